// SPDX-License-Identifier: MIT
// TCP segments (RFC 9293 §3.1). One level, unlike smoltcp's two: TcpSegment::parse() checks the
// data offset and the checksum once and returns the parsed value (ports, numbers, flags, options,
// a view of the payload); emit() writes one. Options understood: MSS, window scale,
// SACK-permitted, SACK, timestamps (RFC 7323, 2018); unknown options are skipped by their length.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          Source Port          |       Destination Port        |
// |                        Sequence Number                        |
// |                    Acknowledgment Number                      |
// |  Data |       |C|E|U|A|P|R|S|F|                               |
// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
// |           Checksum            |         Urgent Pointer        |
// |                    Options                    |    Padding    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include <array>
#include <optional>
#include <string>

#include "stack/base/byte_order.hh"
#include "stack/base/result.hh"
#include "stack/wire/checksum.hh"
#include "stack/wire/seq_num.hh"

namespace tapstack {

namespace tcp_field {
inline constexpr size_t src_port = 0, dst_port = 2, seq = 4, ack = 8, offset = 12, flags = 13, window = 14,
                        checksum = 16, urgent = 18, min_header_len = 20, max_header_len = 60;
}

namespace tcp_flag {
inline constexpr uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10, urg = 0x20, ece = 0x40, cwr = 0x80;
}

// Why parse() refused a segment; stack/stats.hh maps it to a DropReason.
enum class TcpError : uint8_t { Truncated, BadDataOffset, BadChecksum, BadOption };

struct SackBlock {
    SeqNum left;
    SeqNum right;  // first sequence number after the block
};

struct TcpOptions {
    std::optional<uint16_t> mss;
    std::optional<uint8_t> window_scale;
    bool sack_permitted = false;
    struct Timestamps {
        uint32_t value = 0;
        uint32_t echo_reply = 0;
    };
    std::optional<Timestamps> timestamps;
    uint8_t sack_count = 0;
    std::array<SackBlock, 4> sack{};

    size_t encoded_len() const;  // padded to a multiple of 4
    // How many of the sack_count blocks emit() writes: as many as fit in the 40 option bytes
    // beside the other options (RFC 2018 §3: 3 with timestamps, 4 without).
    size_t sack_blocks_that_fit() const;
};

struct TcpSegment {
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    SeqNum seq;
    SeqNum ack;  // meaningful only with the ACK flag
    uint8_t flags = 0;
    uint16_t window = 0;  // as on the wire, before scaling
    uint16_t urgent = 0;
    TcpOptions options;
    Bytes payload;
    // emit() only: payload that continues in a second piece (data that wraps around a ring
    // buffer goes out without an extra copy). parse() never sets it.
    Bytes payload_tail;
    // emit() only: > 0 marks a segment longer than the connection's MSS, for a device with TCP
    // segmentation offload to cut into pieces of this many payload bytes (stack/wire/tcp_offload.hh).
    uint16_t offload_segment_payload = 0;

    bool syn() const { return flags & tcp_flag::syn; }
    bool fin() const { return flags & tcp_flag::fin; }
    bool rst() const { return flags & tcp_flag::rst; }
    bool has_ack() const { return flags & tcp_flag::ack; }
    bool psh() const { return flags & tcp_flag::psh; }
    // SEG.LEN: payload plus one for SYN and one for FIN (RFC 9293 §3.4).
    uint32_t seg_len() const { return static_cast<uint32_t>(payload_len()) + (syn() ? 1 : 0) + (fin() ? 1 : 0); }
    size_t payload_len() const { return payload.size() + payload_tail.size(); }

    size_t header_len() const { return tcp_field::min_header_len + options.encoded_len(); }

    // Parses a TCP segment carried in an IPv4 datagram described by `ph` and checks the checksum.
    static Result<TcpSegment, TcpError> parse(Bytes b, const PseudoHeader& ph);
    // Parses without a checksum check (for tools reading captures with offloaded checksums).
    static Result<TcpSegment, TcpError> parse_unchecked(Bytes b);
    // Writes header, options and payload into `out` (exactly header_len() + payload_len() bytes)
    // and the checksum over `ph` (ph.length must equal that size). Partial: only the folded sum
    // of `ph` goes in the checksum field, for a device that completes it (checksum offload).
    enum class Checksum : uint8_t { Full, Partial };
    void emit(MutBytes out, const PseudoHeader& ph, Checksum checksum = Checksum::Full) const;
};

// "SYN, ACK" — Wireshark's spelling of a flag set.
std::string tcp_flags_string(uint8_t flags);

}  // namespace tapstack
