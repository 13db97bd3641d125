// SPDX-License-Identifier: MIT
// PcapReader: reads a capture file frame by frame (libpcap), ours or anyone's. It reports where
// the IPv4 header starts for the link types tcpdump produces (Ethernet, Linux cooked v1/v2, raw
// IP), so tools can read `tcpdump -i any` captures too.
#pragma once

#include <pcap/pcap.h>

#include <optional>
#include <string>

#include "stack/base/bytes.hh"
#include "stack/base/time.hh"

namespace tapstack {

class PcapReader {
public:
    struct Frame {
        Instant timestamp;  // microseconds since the Unix epoch
        Bytes data;         // valid until the next call to next()
        uint32_t original_length = 0;
    };

    // Throws std::system_error when the file cannot be opened or is not a capture.
    explicit PcapReader(const std::string& path);
    ~PcapReader();
    PcapReader(const PcapReader&) = delete;
    PcapReader& operator=(const PcapReader&) = delete;

    std::optional<Frame> next();

    int link_type() const { return link_type_; }
    bool is_ethernet() const { return link_type_ == DLT_EN10MB; }
    // Where the network-layer header starts in each frame (0 for raw IP); nullopt for link types
    // we cannot read.
    std::optional<size_t> network_offset() const;

private:
    pcap_t* pcap_ = nullptr;
    int link_type_ = 0;
};

}  // namespace tapstack
