// SPDX-License-Identifier: MIT
// A script's packets as frames: build_inbound() turns a `<` line into the Ethernet/IPv4/TCP
// frame the peer sends; parse_sent() reads a frame our stack sent, match_outbound() compares it
// with a `>` line and says what differs, describe() writes it in the script's notation. Sequence
// numbers follow packetdrill's convention: the peer's are written as they go on the wire, ours
// relative to our ISN (a Flow keeps the offset), and a TS ecr the peer sends names a TS val we
// sent by the number the script gave it. Wire work only: no stack, no time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apps/pkt/pkt_script.hh"
#include "stack/base/bytes.hh"
#include "stack/base/result.hh"
#include "stack/wire/address.hh"

namespace tapstack::pkt {

// One connection as the script sees it.
struct Flow {
    uint16_t local_port = 0, remote_port = 0;
    uint32_t local_offset = 0;  // our sequence number on the wire = the script's + local_offset
    // TS val as the script wrote it -> the TS val we really sent, from the segments matched so far.
    std::map<uint32_t, uint32_t> ts_vals;
    std::optional<uint32_t> first_script_ts, first_actual_ts;  // the first pair, for --tcp_ts_tick_usecs
    // The last TS val we sent, matched or not (the runner's guessed_ecr while a blocking call runs).
    std::optional<uint32_t> last_ts_val;
    std::optional<uint32_t> remote_isn;  // the peer's SYN
    bool active = false;                 // opened by our connect()
};

// The link-layer and IP ends of every frame: ours, and the scripted peer's.
struct Ends {
    MacAddress local_mac, remote_mac;
    Ipv4Address local_ip, remote_ip;
};

// The frame of an inbound TCP packet (payload: zeros), or why it cannot be built. `guessed_ecr`
// is the TS ecr to send when the script's names no TS val we sent (nullopt: that is an error).
Result<std::vector<uint8_t>, std::string> build_inbound(const TcpPacket&, const std::optional<IpInfo>&, const Flow&,
                                                        const Ends&,
                                                        std::optional<uint32_t> guessed_ecr = std::nullopt);

// A TCP option as it went out: kind and the bytes after kind and length.
struct RawOption {
    uint8_t kind = 0;
    std::vector<uint8_t> data;
};

// What our stack sent, read from its frame.
struct SentSegment {
    Ipv4Address src, dst;
    uint8_t tos = 0;
    uint16_t src_port = 0, dst_port = 0;
    uint32_t seq = 0, ack = 0;
    uint16_t flags = 0;  // pkt_script.hh's tcp_flag bits
    uint16_t window = 0, urgent = 0;
    std::vector<RawOption> options;
    size_t payload_len = 0;
};
std::optional<SentSegment> parse_sent(Bytes frame);  // nullopt: not an IPv4/TCP frame

// nullopt when `got` is the segment `want` describes; else what differs ("ack 2001 expected, 1
// came"). A SYN sets the flow's offset; the TS vals are remembered for later ecr values. A TS val
// is checked only with ts_tolerance_ticks (--tcp_ts_tick_usecs), as packetdrill does.
std::optional<std::string> match_outbound(const TcpPacket& want, const SentSegment& got, Flow&,
                                          std::optional<int64_t> ts_tolerance_ticks);

// `got` in the script's notation, our numbers relative to the flow's offset:
// "S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>".
std::string describe(const SentSegment& got, const Flow&);
std::optional<uint32_t> ts_val(const SentSegment&);
std::string flags_text(uint16_t flags);

}  // namespace tapstack::pkt
