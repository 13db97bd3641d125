// SPDX-License-Identifier: MIT
// PcapTee: a NetDev decorator that writes every received and every sent frame to a pcap file
// (libpcap, DLT_EN10MB), stamped with `now` plus a fixed offset: the real program passes
// realtime - monotonic so the file has wall-clock times; tests pass 0 for byte-stable files.
// Records are buffered; flush() (once per event-loop turn) and the destructor put them on disk.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <string>

#include "stack/device.hh"

namespace tapstack {

class PcapTee final : public NetDev {
public:
    // Creates (or truncates) `path`. Throws std::system_error naming the path and the reason.
    PcapTee(NetDev& inner, const std::string& path, Duration wall_offset = Duration{0});
    ~PcapTee() override;  // flushes and closes the file
    PcapTee(const PcapTee&) = delete;
    PcapTee& operator=(const PcapTee&) = delete;

    // A frame is recorded when the inner device delivers it, and when it is handed to the inner
    // device (even if that device then drops it).
    std::optional<size_t> receive(MutBytes buffer, Instant now) override;
    void transmit(Bytes frame, Instant now) override;
    // Recorded with its TCP checksum completed (the inner device gets it as it came), so a
    // capture made with --offload checks clean in tshark; bundles are recorded whole, as tcpdump
    // on a host with TSO shows them.
    void transmit_offloaded(MutBytes frame, Instant now, TxOffload offload) override;
    Offloads offloads() const override { return inner_.offloads(); }
    int wait_fd() const override { return inner_.wait_fd(); }
    size_t mtu() const override { return inner_.mtu(); }
    std::optional<Instant> next_ready() const override { return inner_.next_ready(); }

    // Writes buffered records to the file; a no-op when nothing was recorded since the last flush.
    void flush();
    // Something was recorded since the last flush().
    bool dirty() const { return dirty_; }
    uint64_t frames_written() const { return frames_written_; }
    // A write to the file failed (disk full, say): the capture is incomplete from there on.
    bool write_failed() const { return write_failed_; }

    // Largest number of bytes of one frame kept in the file (the pcap header's snaplen).
    static constexpr uint32_t snaplen = 65535;

private:
    void record(Bytes frame, Instant now);

    NetDev& inner_;
    Duration wall_offset_;
    pcap_t* pcap_ = nullptr;
    pcap_dumper_t* dumper_ = nullptr;
    bool dirty_ = false;
    bool write_failed_ = false;
    uint64_t frames_written_ = 0;
};

}  // namespace tapstack
