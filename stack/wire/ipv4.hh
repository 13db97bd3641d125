// SPDX-License-Identifier: MIT
// IPv4 headers (RFC 791). parse() checks every length field against the buffer once, then the
// accessors can't read out of bounds. Options are skipped (their bytes stay inside header_len).
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version|  IHL  |Type of Service|          Total Length         |
// |         Identification        |Flags|      Fragment Offset    |
// |  Time to Live |    Protocol   |         Header Checksum       |
// |                       Source Address                          |
// |                    Destination Address                        |
// |                    Options                    |    Padding    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "stack/base/byte_order.hh"
#include "stack/base/result.hh"
#include "stack/wire/address.hh"
#include "stack/wire/checksum.hh"

namespace tapstack {

namespace ipv4_field {
inline constexpr size_t version_ihl = 0, tos = 1, total_len = 2, ident = 4, flags_frag = 6, ttl = 8, protocol = 9,
                        checksum = 10, src = 12, dst = 16, min_header_len = 20;
inline constexpr uint16_t flag_df = 0x4000, flag_mf = 0x2000, frag_offset_mask = 0x1fff;
}  // namespace ipv4_field

enum class IpProtocol : uint8_t { Icmp = 1, Tcp = 6, Udp = 17 };

// Why parse() refused a header; stack/stats.hh maps it to a DropReason.
enum class Ipv4Error : uint8_t { Truncated, BadVersion, BadHeaderLength, BadTotalLength, BadChecksum };

class Ipv4View {
public:
    // Validates version, IHL, total length against the buffer, and the header checksum.
    // Bytes past total_len (Ethernet padding) are cut off: payload() never includes them.
    static Result<Ipv4View, Ipv4Error> parse(Bytes b) {
        auto view = parse_unchecked(b);
        if (view && internet_checksum(view->header()) != 0) return Err{Ipv4Error::BadChecksum};
        return view;
    }
    // The same checks but the checksum, for tools reading captures taken on a sending host (the
    // NIC fills the checksum in after the capture saw the frame).
    // (stack/wire/ipv4.cc: an assignment's region, docs/assignments/ipv4.md.)
    static Result<Ipv4View, Ipv4Error> parse_unchecked(Bytes b);

    size_t header_len() const { return size_t{bytes_[0] & 0x0fu} * 4; }
    uint16_t total_len() const { return load_be16(bytes_, ipv4_field::total_len); }
    uint8_t tos() const { return bytes_[ipv4_field::tos]; }
    uint16_t ident() const { return load_be16(bytes_, ipv4_field::ident); }
    bool dont_fragment() const { return load_be16(bytes_, ipv4_field::flags_frag) & ipv4_field::flag_df; }
    bool more_fragments() const { return load_be16(bytes_, ipv4_field::flags_frag) & ipv4_field::flag_mf; }
    size_t fragment_offset() const {  // in bytes
        return static_cast<size_t>(load_be16(bytes_, ipv4_field::flags_frag) & ipv4_field::frag_offset_mask) * 8;
    }
    bool is_fragment() const { return more_fragments() || fragment_offset() != 0; }
    uint8_t ttl() const { return bytes_[ipv4_field::ttl]; }
    uint8_t protocol() const { return bytes_[ipv4_field::protocol]; }
    Ipv4Address src() const { return Ipv4Address::load(bytes_, ipv4_field::src); }
    Ipv4Address dst() const { return Ipv4Address::load(bytes_, ipv4_field::dst); }
    Bytes header() const { return bytes_.first(header_len()); }
    Bytes payload() const { return bytes_.subspan(header_len()); }
    Bytes bytes() const { return bytes_; }

private:
    explicit Ipv4View(Bytes b) : bytes_(b) {}
    Bytes bytes_;
};

// What we put in the 20-byte header we send (we never send options).
struct Ipv4Header {
    Ipv4Address src;
    Ipv4Address dst;
    IpProtocol protocol = IpProtocol::Tcp;
    uint16_t payload_len = 0;
    uint16_t ident = 0;
    uint8_t ttl = 64;
    bool dont_fragment = true;
    bool more_fragments = false;   // RFC 791 fragmentation, for datagrams larger than the MTU
    uint16_t fragment_offset = 0;  // in bytes, a multiple of 8

    static constexpr size_t len = ipv4_field::min_header_len;

    // Writes the header (checksum included) into the first 20 bytes of `out`.
    void emit(MutBytes out) const {
        out[ipv4_field::version_ihl] = 0x45;
        out[ipv4_field::tos] = 0;
        store_be16(out, ipv4_field::total_len, static_cast<uint16_t>(len + payload_len));
        store_be16(out, ipv4_field::ident, ident);
        store_be16(out, ipv4_field::flags_frag,
                   static_cast<uint16_t>((dont_fragment ? ipv4_field::flag_df : 0) |
                                         (more_fragments ? ipv4_field::flag_mf : 0) |
                                         ((fragment_offset / 8) & ipv4_field::frag_offset_mask)));
        out[ipv4_field::ttl] = ttl;
        out[ipv4_field::protocol] = static_cast<uint8_t>(protocol);
        store_be16(out, ipv4_field::checksum, 0);
        src.store(out, ipv4_field::src);
        dst.store(out, ipv4_field::dst);
        store_be16(out, ipv4_field::checksum, internet_checksum(out.first(len)));
    }
    PseudoHeader pseudo_header() const { return {src, dst, static_cast<uint8_t>(protocol), payload_len}; }
};

}  // namespace tapstack
