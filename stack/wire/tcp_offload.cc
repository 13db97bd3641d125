// SPDX-License-Identifier: MIT
// Software segmentation and checksum offload (see tcp_offload.hh), done byte by byte. It is the
// fallback of devices that cannot hand the work on, and the reference the unit tests hold the
// stack's offloaded frames to (MemoryLink with offloads on): every piece it makes must verify like
// a frame from the stack. It follows Linux's tcp_gso_segment(): each piece's checksum starts from
// the seed the stack left, adjusted for the piece's length, so a wrong seed gives wrong checksums
// here too.
#include "stack/wire/tcp_offload.hh"

#include <algorithm>

#include "stack/base/byte_order.hh"
#include "stack/wire/checksum.hh"
#include "stack/wire/ipv4.hh"

namespace tapstack {
namespace {

constexpr size_t eth_len = ethernet_field::header_len;
constexpr size_t ip_total_len = ipv4_field::total_len, ip_ident = ipv4_field::ident, ip_checksum = ipv4_field::checksum;
constexpr size_t tcp_seq = tcp_field::seq, tcp_flags = tcp_field::flags, tcp_checksum = tcp_field::checksum;
constexpr uint8_t fin_psh = tcp_flag::fin | tcp_flag::psh;

using Layout = TcpFrameLayout;

// Ones' complement a + b - c on 16-bit values: the seed of a shorter piece (RFC 1624 style).
uint16_t adjust_seed(uint16_t seed, uint16_t old_len, uint16_t new_len) {
    uint32_t s = uint32_t{seed} + static_cast<uint16_t>(~old_len) + new_len;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
}

// Completes the TCP checksum of `frame` (the field holds the seed) as the device would.
void complete_checksum(MutBytes frame, const Layout& l) {
    complete_partial_checksum(frame, l.tcp_start(), l.checksum_field());
}

// The folded pseudo-header sum (RFC 9293 §3.1) of an IPv4/TCP frame's addresses and `tcp_len`.
uint16_t pseudo_header_seed(Bytes frame, uint16_t tcp_len) {
    InternetChecksum c;
    c.add(frame.subspan(eth_len + ipv4_field::src, 8));  // source and destination address
    c.add16(static_cast<uint16_t>(IpProtocol::Tcp));
    c.add16(tcp_len);
    return c.folded();
}

void finish_ip_header(MutBytes frame, const Layout& l, uint16_t total, uint16_t ident) {
    store_be16(frame, eth_len + ip_total_len, total);
    store_be16(frame, eth_len + ip_ident, ident);
    store_be16(frame, eth_len + ip_checksum, 0);
    store_be16(frame, eth_len + ip_checksum, internet_checksum(Bytes{frame}.subspan(eth_len, l.ip_header)));
}

}  // namespace

std::optional<TcpFrameLayout> tcp_frame_layout(Bytes frame) {
    if (frame.size() < eth_len + ipv4_field::min_header_len ||
        load_be16(frame, ethernet_field::ethertype) != static_cast<uint16_t>(EtherType::Ipv4))
        return std::nullopt;
    Layout l;
    l.ip_header = size_t{frame[eth_len + ipv4_field::version_ihl] & 0x0fu} * 4;
    if (l.ip_header < ipv4_field::min_header_len ||
        frame[eth_len + ipv4_field::protocol] != static_cast<uint8_t>(IpProtocol::Tcp) ||
        frame.size() < eth_len + l.ip_header + tcp_field::min_header_len)
        return std::nullopt;
    l.tcp_header = static_cast<size_t>(frame[eth_len + l.ip_header + tcp_field::offset] >> 4) * 4;
    if (l.tcp_header < tcp_field::min_header_len || frame.size() < l.headers()) return std::nullopt;
    return l;
}

bool complete_partial_checksum(MutBytes frame, size_t start, size_t field) {
    if (start >= frame.size() || field + 2 > frame.size()) return false;
    InternetChecksum c;
    c.add(Bytes{frame}.subspan(start));
    store_be16(frame, field, c.finish());
    return true;
}

size_t offload_piece_count(Bytes frame, TxOffload offload) {
    auto l = tcp_frame_layout(frame);
    if (!l || offload.segment_payload == 0) return 1;
    size_t payload = frame.size() - l->headers();
    return std::max<size_t>(1, (payload + offload.segment_payload - 1) / offload.segment_payload);
}

MutBytes build_offload_piece(Bytes frame, TxOffload offload, size_t index, MutBytes buffer) {
    auto layout = tcp_frame_layout(frame);
    size_t pieces = offload_piece_count(frame, offload);
    if (!layout || pieces == 1) {
        MutBytes out = buffer.first(frame.size());
        std::copy(frame.begin(), frame.end(), out.begin());
        if (layout && offload.partial_checksum) complete_checksum(out, *layout);
        return out;
    }
    const Layout& l = *layout;
    size_t payload = frame.size() - l.headers();
    size_t at = index * offload.segment_payload;
    size_t n = std::min<size_t>(offload.segment_payload, payload - at);
    MutBytes out = buffer.first(l.headers() + n);
    std::copy_n(frame.begin(), l.headers(), out.begin());
    std::copy_n(frame.begin() + static_cast<std::ptrdiff_t>(l.headers() + at), n,
                out.begin() + static_cast<std::ptrdiff_t>(l.headers()));
    uint16_t ident = static_cast<uint16_t>(load_be16(frame, eth_len + ip_ident) + index);
    finish_ip_header(out, l, static_cast<uint16_t>(l.ip_header + l.tcp_header + n), ident);
    size_t tcp = eth_len + l.ip_header;
    store_be32(out, tcp + tcp_seq, load_be32(frame, tcp + tcp_seq) + static_cast<uint32_t>(at));
    if (index + 1 < pieces) out[tcp + tcp_flags] = static_cast<uint8_t>(out[tcp + tcp_flags] & ~fin_psh);
    uint16_t piece_len = static_cast<uint16_t>(l.tcp_header + n);
    uint16_t seed = offload.partial_checksum ? adjust_seed(load_be16(frame, tcp + tcp_checksum),
                                                           static_cast<uint16_t>(frame.size() - tcp), piece_len)
                                             : pseudo_header_seed(out, piece_len);
    store_be16(out, tcp + tcp_checksum, seed);
    complete_checksum(out, l);
    return out;
}

}  // namespace tapstack
