// SPDX-License-Identifier: MIT
// TapDev: a Linux TAP device (IFF_TAP | IFF_NO_PI, non-blocking) as a NetDev. It attaches to an
// existing device (made by scripts/setup_tap.sh and owned by the user, so no root is needed) or
// creates one when the process may. Setup failures throw std::system_error with a message that
// says what to do; the packet path never throws, it counts what it could not do in TapStats.
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
    uint64_t send_errors = 0;        // write() failed otherwise (the link is down, a runt frame...)
    uint64_t receive_errors = 0;     // read() failed with something other than EAGAIN
    int last_errno = 0;              // errno of the latest send or receive error, for diagnostics

    uint64_t total_drops() const { return oversized_dropped + send_dropped + send_errors + receive_errors; }
};

class TapDev final : public NetDev {
public:
    // Attaches to (or, with CAP_NET_ADMIN, creates) the TAP device `name`; "tap%d" lets the kernel
    // pick a free number, and name() then tells which. `clone_device` is the TUN/TAP clone device;
    // only tests change it.
    explicit TapDev(std::string name, std::string clone_device = "/dev/net/tun");
    ~TapDev() override;
    TapDev(const TapDev&) = delete;
    TapDev& operator=(const TapDev&) = delete;

    std::optional<size_t> receive(MutBytes buffer, Instant now) override;
    void transmit(Bytes frame, Instant now) override;
    int wait_fd() const override { return fd_; }
    size_t mtu() const override { return mtu_; }

    const std::string& name() const { return name_; }
    // True when no device of this name existed before, so this process made it: the kernel
    // removes it again when the fd closes, and nobody has brought it up or given it an address.
    bool created() const { return created_; }
    const TapStats& stats() const { return stats_; }
    // The kernel's side is up and running (IFF_RUNNING). Attaching turns the carrier on, but the
    // kernel takes the link up a little later (its link watch runs up to a second behind), and
    // until then it drops what it would send us: an ARP reply, a SYN/ACK.
    bool running() const;

private:
    int fd_ = -1;
    std::string name_;
    bool created_ = false;
    size_t mtu_ = 1500;
    TapStats stats_;
    std::vector<uint8_t> oversize_;  // where the rest of a frame too large for the caller's buffer goes
};

}  // namespace tapstack
