// SPDX-License-Identifier: MIT
// PcapReader: reads a capture file frame by frame (libpcap; pcap or pcapng), ours or anyone's. It
// reports the link type and where the IPv4 header starts for the link types tcpdump produces
// (Ethernet, Linux cooked v1/v2 from `tcpdump -i any`, raw IP), so tools such as
// `tapstack annotate` can read them. Used by tools and tests only, never on the packet path.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <optional>
#include <string>

#include "stack/base/bytes.hh"
#include "stack/base/time.hh"

namespace tapstack {

class PcapReader {
public:
    struct Frame {
        Instant timestamp;             // microseconds since the Unix epoch
        Bytes data;                    // the captured bytes; valid until the next call to next()
        uint32_t original_length = 0;  // length on the wire; more than data.size() if the capture cut it
        uint64_t number = 0;           // 1 for the first frame, as Wireshark numbers them
    };

    // Opens `path` ("-" reads standard input). Throws std::system_error when the file cannot be
    // opened or is not a capture file.
    explicit PcapReader(const std::string& path);
    ~PcapReader();
    PcapReader(const PcapReader&) = delete;
    PcapReader& operator=(const PcapReader&) = delete;

    // The next frame, or nullopt at the end of the file. Throws std::system_error when the file is
    // cut short in the middle of a record or damaged (the frames before it were good).
    std::optional<Frame> next();

    int link_type() const { return link_type_; }  // a DLT_ value
    std::string link_type_name() const;           // "EN10MB", "LINUX_SLL", ...
    bool is_ethernet() const { return link_type_ == DLT_EN10MB; }
    // Where the network-layer header starts in each frame (0 for raw IP); nullopt for link types
    // we cannot read. For Ethernet this ignores VLAN tags; ipv4_offset() looks at the frame.
    std::optional<size_t> network_offset() const;
    // Where the IPv4 header starts in `frame` (read from this file); nullopt when the frame does
    // not carry IPv4 (ARP, IPv6, ...) or is too short to tell.
    std::optional<size_t> ipv4_offset(Bytes frame) const;

private:
    std::string path_;
    pcap_t* pcap_ = nullptr;
    int link_type_ = 0;
    uint64_t frames_read_ = 0;
};

}  // namespace tapstack
