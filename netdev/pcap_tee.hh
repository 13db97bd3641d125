// SPDX-License-Identifier: MIT
// PcapTee: a NetDev decorator that writes every received and every sent frame to a pcap file
// (libpcap, DLT_EN10MB), stamped with `now` plus a fixed offset: the real program passes
// realtime - monotonic so the file has wall-clock times; tests pass 0 for byte-stable files.
// flush() makes the file complete on disk; the event loop calls it once per turn.
#pragma once

#include <pcap/pcap.h>

#include <string>

#include "netdev/net_dev.hh"

namespace tapstack {

class PcapTee final : public NetDev {
public:
    PcapTee(NetDev& inner, const std::string& path, Duration wall_offset = Duration{0});
    ~PcapTee() override;
    PcapTee(const PcapTee&) = delete;
    PcapTee& operator=(const PcapTee&) = delete;

    std::optional<size_t> receive(MutBytes buffer, Instant now) override;
    void transmit(Bytes frame, Instant now) override;
    int wait_fd() const override { return inner_.wait_fd(); }
    size_t mtu() const override { return inner_.mtu(); }

    // Writes buffered records to the file (no-op when nothing was written since the last flush).
    void flush();
    uint64_t frames_written() const { return frames_written_; }

private:
    void record(Bytes frame, Instant now);

    NetDev& inner_;
    Duration wall_offset_;
    pcap_t* pcap_ = nullptr;
    pcap_dumper_t* dumper_ = nullptr;
    bool dirty_ = false;
    uint64_t frames_written_ = 0;
};

}  // namespace tapstack
