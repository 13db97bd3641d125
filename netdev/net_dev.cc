// SPDX-License-Identifier: MIT
// NetDev's software offload: what a device with TCP checksum offload and TSO does to a frame
// the stack hands it (TxOffload), done here byte by byte. It is the fallback of devices that
// cannot hand the work on, and the reference the unit tests hold the stack's offloaded frames to
// (MemoryLink with offloads on): every piece it makes must verify like a frame from the stack.
// It follows Linux's tcp_gso_segment(): each piece's checksum starts from the seed the stack left,
// adjusted for the piece's length, so a wrong seed gives wrong checksums here too.
#include <algorithm>
#include <vector>

#include "netdev/net_dev.hh"
#include "stack/base/byte_order.hh"
#include "stack/wire/checksum.hh"

namespace tapstack {
namespace {

constexpr size_t eth_len = 14;
constexpr size_t ip_total_len = 2, ip_ident = 4, ip_checksum = 10;
constexpr size_t tcp_seq = 4, tcp_flags = 13, tcp_checksum = 16;
constexpr uint8_t fin_psh = 0x01 | 0x08;

using Layout = TcpFrameLayout;

// Ones' complement a + b - c on 16-bit values: the seed of a shorter piece (RFC 1624 style).
uint16_t adjust_seed(uint16_t seed, uint16_t old_len, uint16_t new_len) {
    uint32_t s = uint32_t{seed} + static_cast<uint16_t>(~old_len) + new_len;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
}

// Completes the TCP checksum of `frame` (the field holds the seed) as the device would.
void complete_checksum(MutBytes frame, const Layout& l) { complete_partial_checksum(frame, l.tcp_start(), l.checksum_field()); }

// The folded pseudo-header sum (RFC 9293 §3.1) of an IPv4/TCP frame's addresses and `tcp_len`.
uint16_t pseudo_header_seed(Bytes frame, uint16_t tcp_len) {
    InternetChecksum c;
    c.add(frame.subspan(eth_len + 12, 8));  // source and destination address
    c.add16(6);
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
    if (frame.size() < eth_len + 20 || load_be16(frame, 12) != 0x0800) return std::nullopt;
    Layout l;
    l.ip_header = size_t{frame[eth_len] & 0x0fu} * 4;
    if (l.ip_header < 20 || frame[eth_len + 9] != 6 || frame.size() < eth_len + l.ip_header + 20) return std::nullopt;
    l.tcp_header = static_cast<size_t>(frame[eth_len + l.ip_header + 12] >> 4) * 4;
    if (l.tcp_header < 20 || frame.size() < l.headers()) return std::nullopt;
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
    std::copy_n(frame.begin() + static_cast<std::ptrdiff_t>(l.headers() + at), n, out.begin() + static_cast<std::ptrdiff_t>(l.headers()));
    uint16_t ident = static_cast<uint16_t>(load_be16(frame, eth_len + ip_ident) + index);
    finish_ip_header(out, l, static_cast<uint16_t>(l.ip_header + l.tcp_header + n), ident);
    size_t tcp = eth_len + l.ip_header;
    store_be32(out, tcp + tcp_seq, load_be32(frame, tcp + tcp_seq) + static_cast<uint32_t>(at));
    if (index + 1 < pieces) out[tcp + tcp_flags] = static_cast<uint8_t>(out[tcp + tcp_flags] & ~fin_psh);
    uint16_t piece_len = static_cast<uint16_t>(l.tcp_header + n);
    uint16_t seed = offload.partial_checksum
                        ? adjust_seed(load_be16(frame, tcp + tcp_checksum), static_cast<uint16_t>(frame.size() - tcp), piece_len)
                        : pseudo_header_seed(out, piece_len);
    store_be16(out, tcp + tcp_checksum, seed);
    complete_checksum(out, l);
    return out;
}

void NetDev::transmit_offloaded(MutBytes frame, Instant now, TxOffload offload) {
    // One piece at a time in a buffer kept for the next frame: allocation-free in steady state.
    thread_local std::vector<uint8_t> piece;
    piece.resize(std::max(piece.size(), frame.size()));
    size_t pieces = offload_piece_count(frame, offload);
    for (size_t i = 0; i < pieces; ++i) transmit(build_offload_piece(frame, offload, i, piece), now);
}

}  // namespace tapstack
