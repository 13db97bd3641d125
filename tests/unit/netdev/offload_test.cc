// SPDX-License-Identifier: MIT
// The software form of checksum and segmentation offload (stack/wire/tcp_offload.hh): what the kernel
// does with the frames tapstack hands a TAP device under --offload. Each piece must be a frame
// that verifies on its own: IPv4 header checksum and length, TCP checksum from the seed the stack
// left, sequence numbers advanced, PSH and FIN only on the last piece, identifications counted up.
#include <gtest/gtest.h>

#include <vector>

#include "stack/device.hh"
#include "stack/wire/ethernet.hh"
#include "stack/wire/ipv4.hh"
#include "stack/wire/tcp.hh"

namespace tapstack {
namespace {

const Ipv4Address src = Ipv4Address::from_octets(10, 0, 0, 2);
const Ipv4Address dst = Ipv4Address::from_octets(10, 0, 0, 1);

// An Ethernet/IPv4/TCP frame as the stack builds it with checksum offload: `payload_len` bytes of
// data, timestamps on, PSH|FIN|ACK, the TCP checksum left as the pseudo-header's sum.
std::vector<uint8_t> offloaded_frame(size_t payload_len, std::vector<uint8_t>& payload) {
    payload.resize(payload_len);
    for (size_t i = 0; i < payload_len; ++i) payload[i] = static_cast<uint8_t>(i * 7 + 3);
    TcpSegment seg;
    seg.src_port = 80;
    seg.dst_port = 40000;
    seg.seq = SeqNum{0xfffff000u};  // wraps inside the bundle
    seg.ack = SeqNum{12345};
    seg.flags = tcp_flag::ack | tcp_flag::psh | tcp_flag::fin;
    seg.window = 500;
    seg.options.timestamps = TcpOptions::Timestamps{111, 222};
    seg.payload = payload;
    size_t tcp_len = seg.header_len() + payload_len;
    std::vector<uint8_t> frame(ethernet_field::header_len + Ipv4Header::len + tcp_len);
    MutBytes f{frame};
    emit_ethernet_header(f, MacAddress{{2, 0, 0, 0, 0, 1}}, MacAddress{{2, 0, 0, 0, 0, 2}}, EtherType::Ipv4);
    Ipv4Header ip{src, dst, IpProtocol::Tcp, static_cast<uint16_t>(tcp_len), 0xfffe};
    ip.emit(f.subspan(ethernet_field::header_len));
    seg.emit(f.subspan(ethernet_field::header_len + Ipv4Header::len), ip.pseudo_header(),
             TcpSegment::Checksum::Partial);
    return frame;
}

struct Piece {
    Ipv4View ip;
    TcpSegment tcp;
};

// Parses a finished piece the way the stack parses what it receives: both checksums checked.
std::optional<Piece> parse_piece(Bytes frame) {
    auto ip = Ipv4View::parse(frame.subspan(ethernet_field::header_len));
    if (!ip) return std::nullopt;
    auto tcp = TcpSegment::parse(ip->payload(),
                                 PseudoHeader{ip->src(), ip->dst(), 6, static_cast<uint16_t>(ip->payload().size())});
    if (!tcp) return std::nullopt;
    return Piece{*ip, *tcp};
}

TEST(SoftwareOffload, PartialChecksumIsThePseudoHeadersFoldedSum) {
    std::vector<uint8_t> payload;
    auto frame = offloaded_frame(100, payload);
    Bytes tcp = Bytes{frame}.subspan(ethernet_field::header_len + Ipv4Header::len);
    InternetChecksum c;
    PseudoHeader{src, dst, 6, static_cast<uint16_t>(tcp.size())}.add_to(c);
    EXPECT_EQ(load_be16(tcp, tcp_field::checksum), c.folded());
    EXPECT_FALSE(parse_piece(frame)) << "not a valid frame until the device completes it";
}

TEST(SoftwareOffload, ChecksumOnlyCompletesTheFrameInOnePiece) {
    std::vector<uint8_t> payload;
    auto frame = offloaded_frame(1000, payload);
    TxOffload offload{.partial_checksum = true, .segment_payload = 0};
    ASSERT_EQ(offload_piece_count(frame, offload), 1u);
    std::vector<uint8_t> buffer(frame.size());
    MutBytes piece = build_offload_piece(frame, offload, 0, buffer);
    auto p = parse_piece(piece);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->tcp.payload_len(), 1000u);
}

TEST(SoftwareOffload, BundleIsCutIntoSegmentsThatEachVerify) {
    std::vector<uint8_t> payload;
    const size_t mss = 1448;
    auto frame = offloaded_frame(3 * mss + 100, payload);
    TxOffload offload{.partial_checksum = true, .segment_payload = static_cast<uint16_t>(mss)};
    ASSERT_EQ(offload_piece_count(frame, offload), 4u);
    std::vector<uint8_t> buffer(frame.size());
    std::vector<uint8_t> joined;
    for (size_t i = 0; i < 4; ++i) {
        MutBytes piece = build_offload_piece(frame, offload, i, buffer);
        auto p = parse_piece(piece);
        ASSERT_TRUE(p) << "piece " << i << " fails its checksums";
        bool last = i == 3;
        EXPECT_EQ(p->tcp.payload_len(), last ? 100u : mss) << i;
        EXPECT_LE(p->ip.total_len(), 1500u);
        EXPECT_EQ(p->tcp.seq, SeqNum{0xfffff000u} + static_cast<uint32_t>(i * mss)) << i;
        EXPECT_EQ(p->tcp.ack, SeqNum{12345});
        EXPECT_EQ(p->tcp.psh(), last) << i;
        EXPECT_EQ(p->tcp.fin(), last) << i;
        EXPECT_TRUE(p->tcp.has_ack());
        ASSERT_TRUE(p->tcp.options.timestamps);
        EXPECT_EQ(p->tcp.options.timestamps->value, 111u);
        EXPECT_EQ(p->ip.ident(), static_cast<uint16_t>(0xfffe + i)) << "identifications count up and wrap";
        joined.insert(joined.end(), p->tcp.payload.begin(), p->tcp.payload.end());
    }
    EXPECT_EQ(joined, payload);
}

TEST(SoftwareOffload, WrongSeedGivesWrongChecksumsAsOnTheKernel) {
    std::vector<uint8_t> payload;
    auto frame = offloaded_frame(3000, payload);
    frame[ethernet_field::header_len + Ipv4Header::len + tcp_field::checksum] ^= 0x01;
    TxOffload offload{.partial_checksum = true, .segment_payload = 1448};
    std::vector<uint8_t> buffer(frame.size());
    EXPECT_FALSE(parse_piece(build_offload_piece(frame, offload, 0, buffer)));
}

TEST(SoftwareOffload, NonTcpFrameGoesOutAsItIs) {
    std::vector<uint8_t> arp(42, 0xab);
    arp[12] = 0x08, arp[13] = 0x06;
    TxOffload offload{.partial_checksum = true, .segment_payload = 1448};
    ASSERT_EQ(offload_piece_count(arp, offload), 1u);
    std::vector<uint8_t> buffer(arp.size());
    MutBytes out = build_offload_piece(arp, offload, 0, buffer);
    EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.end()), arp);
}

}  // namespace
}  // namespace tapstack
