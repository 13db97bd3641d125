// SPDX-License-Identifier: MIT
// TapDev: a Linux TAP device (IFF_TAP | IFF_NO_PI, non-blocking) as a NetDev. It attaches to an
// existing device (made by scripts/setup_tap.sh and owned by the user, so no root is needed) or
// creates one when the process may. Setup failures throw std::system_error with a message that
// says what to do; the packet path never throws.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netdev/net_dev.hh"

namespace tapstack {

struct TapStats {
    uint64_t frames_received = 0, bytes_received = 0;
    uint64_t frames_sent = 0, bytes_sent = 0;
    uint64_t oversized_dropped = 0;  // received frames larger than the caller's buffer
    uint64_t send_dropped = 0;       // the kernel would not take a frame now (EAGAIN, ENOBUFS)
};

class TapDev final : public NetDev {
public:
    explicit TapDev(const std::string& name);
    ~TapDev() override;
    TapDev(const TapDev&) = delete;
    TapDev& operator=(const TapDev&) = delete;

    std::optional<size_t> receive(MutBytes buffer, Instant now) override;
    void transmit(Bytes frame, Instant now) override;
    int wait_fd() const override { return fd_; }
    size_t mtu() const override { return mtu_; }

    const std::string& name() const { return name_; }
    const TapStats& stats() const { return stats_; }

private:
    int fd_ = -1;
    std::string name_;
    size_t mtu_ = 1500;
    TapStats stats_;
    std::vector<uint8_t> oversize_;  // where a frame too large for the caller's buffer goes
};

}  // namespace tapstack
