// SPDX-License-Identifier: MIT
// TCP segments: Linux's SYN and SACK ACK parsed field by field and emitted back byte for byte
// (our option layout is Linux's), payloads split in two, every truncation and every impossible
// data offset or option length refused, and the flags spelled as Wireshark spells them.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "stack/wire/ethernet.hh"
#include "stack/wire/ipv4.hh"
#include "stack/wire/tcp.hh"
#include "tests/support/capture_frames.hh"
#include "tests/support/wire_helpers.hh"

namespace tapstack {
namespace {

using test::hex;
using test::refresh_tcp_checksum;
using test::to_vec;

const Ipv4Address client_ip = Ipv4Address::from_octets(192, 168, 1, 10);
const Ipv4Address server_ip = Ipv4Address::from_octets(93, 184, 216, 34);

Bytes syn_tcp() { return capture::bytes(capture::linux_syn).subspan(capture::l4_at); }
Bytes sack_tcp() { return capture::bytes(capture::linux_sack_ack).subspan(capture::l4_at); }

PseudoHeader ph(Ipv4Address src, Ipv4Address dst, size_t len) {
    return {src, dst, static_cast<uint8_t>(IpProtocol::Tcp), static_cast<uint16_t>(len)};
}
PseudoHeader client_ph(size_t len) { return ph(client_ip, server_ip, len); }

std::vector<uint8_t> emit(const TcpSegment& seg, const PseudoHeader& p) {
    std::vector<uint8_t> out(seg.header_len() + seg.payload_len());
    seg.emit(out, p);
    return out;
}

// The SYN's TCP bytes with the option area replaced by `options` (a multiple of 4 bytes) and
// the checksum fixed, so that only the options are wrong.
std::vector<uint8_t> syn_with_options(std::vector<uint8_t> options) {
    std::vector<uint8_t> seg(syn_tcp().begin(), syn_tcp().begin() + 20);
    seg.insert(seg.end(), options.begin(), options.end());
    seg[tcp_field::offset] = static_cast<uint8_t>(((seg.size() / 4) << 4));
    refresh_tcp_checksum(seg, client_ip, server_ip);
    return seg;
}

TcpError parse_error(Bytes b) {
    auto seg = TcpSegment::parse(b, client_ph(b.size()));
    EXPECT_FALSE(seg);
    return seg ? TcpError{} : seg.error();
}

// --- real captures ------------------------------------------------------------------------

TEST(TcpSegment, LinuxSynParsesEveryField) {
    auto seg = TcpSegment::parse(syn_tcp(), client_ph(syn_tcp().size()));
    ASSERT_TRUE(seg);
    EXPECT_EQ(seg->src_port, 51234);
    EXPECT_EQ(seg->dst_port, 80);
    EXPECT_EQ(seg->seq, SeqNum{0xd3a1c5e7});
    EXPECT_EQ(seg->ack, SeqNum{0});
    EXPECT_EQ(seg->flags, tcp_flag::syn);
    EXPECT_TRUE(seg->syn());
    EXPECT_FALSE(seg->has_ack());
    EXPECT_FALSE(seg->fin());
    EXPECT_FALSE(seg->rst());
    EXPECT_FALSE(seg->psh());
    EXPECT_EQ(seg->window, 64240);
    EXPECT_EQ(seg->urgent, 0);
    EXPECT_EQ(seg->options.mss, 1460);
    EXPECT_TRUE(seg->options.sack_permitted);
    ASSERT_TRUE(seg->options.timestamps);
    EXPECT_EQ(seg->options.timestamps->value, 3847203921u);
    EXPECT_EQ(seg->options.timestamps->echo_reply, 0u);
    EXPECT_EQ(seg->options.window_scale, 7);
    EXPECT_EQ(seg->options.sack_count, 0);
    EXPECT_TRUE(seg->payload.empty());
    EXPECT_TRUE(seg->payload_tail.empty());
    EXPECT_EQ(seg->header_len(), 40u);
    EXPECT_EQ(seg->seg_len(), 1u);
}

TEST(TcpSegment, LinuxSynEmitsTheCapturedBytes) {
    auto seg = TcpSegment::parse(syn_tcp(), client_ph(syn_tcp().size()));
    ASSERT_TRUE(seg);
    EXPECT_EQ(hex(emit(*seg, client_ph(40))), hex(syn_tcp()));
}

TEST(TcpSegment, LinuxSynFrameIsRebuiltByTheEmitters) {
    auto seg = TcpSegment::parse(syn_tcp(), client_ph(syn_tcp().size()));
    ASSERT_TRUE(seg);
    std::array<uint8_t, 74> frame{};
    emit_ethernet_header(frame, MacAddress{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}},
                         MacAddress{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}}, EtherType::Ipv4);
    Ipv4Header ip{client_ip, server_ip, IpProtocol::Tcp, 40, 0x1c46, 64, true};
    ip.emit(MutBytes{frame}.subspan(capture::ip_at));
    seg->emit(MutBytes{frame}.subspan(capture::l4_at), ip.pseudo_header());
    EXPECT_EQ(hex(frame), hex(capture::bytes(capture::linux_syn)));
}

TEST(TcpSegment, LinuxSackAckParsesTimestampsAndBothBlocks) {
    auto seg = TcpSegment::parse(sack_tcp(), ph(server_ip, client_ip, sack_tcp().size()));
    ASSERT_TRUE(seg);
    EXPECT_EQ(seg->src_port, 80);
    EXPECT_EQ(seg->dst_port, 51234);
    EXPECT_EQ(seg->seq, SeqNum{0x7a31b402});
    EXPECT_EQ(seg->ack, SeqNum{0xd3a1c8a0});
    EXPECT_EQ(seg->flags, tcp_flag::ack);
    EXPECT_EQ(seg->window, 501);
    EXPECT_FALSE(seg->options.mss);
    EXPECT_FALSE(seg->options.window_scale);
    EXPECT_FALSE(seg->options.sack_permitted);
    ASSERT_TRUE(seg->options.timestamps);
    EXPECT_EQ(seg->options.timestamps->value, 2216543210u);
    EXPECT_EQ(seg->options.timestamps->echo_reply, 3847204050u);
    ASSERT_EQ(seg->options.sack_count, 2);
    EXPECT_EQ(seg->options.sack[0].left, SeqNum{0xd3a1cdb8});
    EXPECT_EQ(seg->options.sack[0].right, SeqNum{0xd3a1d350});
    EXPECT_EQ(seg->options.sack[1].left, SeqNum{0xd3a1d8e8});
    EXPECT_EQ(seg->options.sack[1].right, SeqNum{0xd3a1de80});
    EXPECT_EQ(seg->header_len(), 52u);
    EXPECT_EQ(seg->seg_len(), 0u);
}

TEST(TcpSegment, LinuxSackAckEmitsTheCapturedBytes) {
    auto p = ph(server_ip, client_ip, sack_tcp().size());
    auto seg = TcpSegment::parse(sack_tcp(), p);
    ASSERT_TRUE(seg);
    EXPECT_EQ(hex(emit(*seg, p)), hex(sack_tcp()));
}

TEST(TcpSegment, PaddedBareAckParsesWithoutThePadding) {
    auto ip = Ipv4View::parse(capture::bytes(capture::padded_ack).subspan(capture::ip_at));
    ASSERT_TRUE(ip);
    auto seg = TcpSegment::parse(ip->payload(), ph(ip->src(), ip->dst(), ip->payload().size()));
    ASSERT_TRUE(seg);
    EXPECT_EQ(seg->window, 502);
    EXPECT_TRUE(seg->payload.empty());
}

// --- emitting -----------------------------------------------------------------------------

TcpSegment data_segment(Bytes payload) {
    TcpSegment s;
    s.src_port = 80;
    s.dst_port = 51234;
    s.seq = SeqNum{0xfffffff0};
    s.ack = SeqNum{0x12345678};
    s.flags = tcp_flag::psh | tcp_flag::ack;
    s.window = 509;
    s.options.timestamps = TcpOptions::Timestamps{1000, 2000};
    s.payload = payload;
    return s;
}

TEST(TcpSegment, PayloadSplitInTwoEmitsTheSameBytesAsOnePiece) {
    const std::string text = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    Bytes all = as_bytes(text);
    const auto whole = emit(data_segment(all), ph(server_ip, client_ip, 32 + all.size()));
    for (size_t cut = 0; cut <= all.size(); ++cut) {
        TcpSegment split = data_segment(all.first(cut));
        split.payload_tail = all.subspan(cut);
        ASSERT_EQ(split.payload_len(), all.size());
        EXPECT_EQ(hex(emit(split, ph(server_ip, client_ip, 32 + all.size()))), hex(whole)) << "split at " << cut;
    }
}

TEST(TcpSegment, EmittedDataSegmentParsesBack) {
    const std::string text = "odd-length payload";
    auto p = ph(server_ip, client_ip, 32 + text.size());
    const auto bytes = emit(data_segment(as_bytes(text)), p);
    auto seg = TcpSegment::parse(bytes, p);
    ASSERT_TRUE(seg);
    EXPECT_EQ(seg->seq, SeqNum{0xfffffff0});
    EXPECT_EQ(seg->ack, SeqNum{0x12345678});
    EXPECT_EQ(seg->flags, tcp_flag::psh | tcp_flag::ack);
    EXPECT_EQ(as_chars(seg->payload), text);
    EXPECT_EQ(seg->seg_len(), text.size());
}

TEST(TcpSegment, AckNumberIsZeroOnTheWireWithoutTheAckFlag) {
    TcpSegment s;
    s.flags = tcp_flag::syn;
    s.ack = SeqNum{0xdeadbeef};
    const auto bytes = emit(s, client_ph(20));
    EXPECT_EQ(load_be32(bytes, tcp_field::ack), 0u);
}

TEST(TcpSegment, TimestampsWithoutSackPermittedGetTwoNops) {
    TcpSegment s;
    s.flags = tcp_flag::ack;
    s.options.timestamps = TcpOptions::Timestamps{1, 2};
    const auto bytes = emit(s, client_ph(32));
    EXPECT_EQ(hex(Bytes{bytes}.subspan(20)), "01 01 08 0a 00 00 00 01 00 00 00 02");
}

TEST(TcpSegment, SackPermittedWithoutTimestampsGetsTwoNops) {
    TcpSegment s;
    s.flags = tcp_flag::syn;
    s.options.mss = 536;
    s.options.sack_permitted = true;
    const auto bytes = emit(s, client_ph(28));
    EXPECT_EQ(hex(Bytes{bytes}.subspan(20)), "02 04 02 18 01 01 04 02");
}

TEST(TcpSegment, FourSackBlocksFitWithoutTimestamps) {
    TcpSegment s;
    s.flags = tcp_flag::ack;
    s.options.sack_count = 4;
    for (uint32_t k = 0; k < 4; ++k) s.options.sack[k] = {SeqNum{100 * k + 10}, SeqNum{100 * k + 20}};
    EXPECT_EQ(s.header_len(), 56u);
    auto p = client_ph(56);
    auto seg = TcpSegment::parse(emit(s, p), p);
    ASSERT_TRUE(seg);
    ASSERT_EQ(seg->options.sack_count, 4);
    EXPECT_EQ(seg->options.sack[3].left, SeqNum{310});
    EXPECT_EQ(seg->options.sack[3].right, SeqNum{320});
}

TEST(TcpSegment, SackBlocksBeyondTheOptionSpaceAreLeftOutWithTimestamps) {
    // 12 bytes of timestamps leave room for 3 blocks (RFC 2018 §3), never a header past 60 bytes.
    TcpSegment s;
    s.flags = tcp_flag::ack;
    s.options.timestamps = TcpOptions::Timestamps{7, 8};
    s.options.sack_count = 4;
    for (uint32_t k = 0; k < 4; ++k) s.options.sack[k] = {SeqNum{100 * k + 10}, SeqNum{100 * k + 20}};
    EXPECT_EQ(s.options.sack_blocks_that_fit(), 3u);
    ASSERT_EQ(s.header_len(), 60u);
    auto p = client_ph(60);
    const auto bytes = emit(s, p);
    auto seg = TcpSegment::parse(bytes, p);
    ASSERT_TRUE(seg);
    EXPECT_EQ(seg->header_len(), 60u);
    ASSERT_EQ(seg->options.sack_count, 3);
    EXPECT_EQ(seg->options.sack[2].right, SeqNum{220});
    ASSERT_TRUE(seg->options.timestamps);
    EXPECT_EQ(seg->options.timestamps->value, 7u);
}

// --- refusing bad input -------------------------------------------------------------------

TEST(TcpSegment, EveryTruncationIsRefused) {
    for (size_t n = 0; n < syn_tcp().size(); ++n) {
        auto seg = TcpSegment::parse_unchecked(syn_tcp().first(n));
        ASSERT_FALSE(seg) << n << " bytes";
        EXPECT_EQ(seg.error(), n < 20 ? TcpError::Truncated : TcpError::BadDataOffset) << n << " bytes";
        EXPECT_FALSE(TcpSegment::parse(syn_tcp().first(n), client_ph(n))) << n << " bytes, checksummed";
    }
}

TEST(TcpSegment, DataOffsetBelowFiveWordsIsRefused) {
    for (uint8_t words = 0; words < 5; ++words) {
        auto seg = to_vec(syn_tcp());
        seg[tcp_field::offset] = static_cast<uint8_t>(words << 4);
        refresh_tcp_checksum(seg, client_ip, server_ip);
        EXPECT_EQ(parse_error(seg), TcpError::BadDataOffset) << int{words} << " words";
    }
}

TEST(TcpSegment, DataOffsetPastTheEndIsRefused) {
    auto seg = to_vec(syn_tcp());
    seg[tcp_field::offset] = 0xb0;  // 44 bytes of header in a 40-byte segment
    refresh_tcp_checksum(seg, client_ip, server_ip);
    EXPECT_EQ(parse_error(seg), TcpError::BadDataOffset);
}

TEST(TcpSegment, ChangedByteFailsTheChecksum) {
    auto seg = to_vec(syn_tcp());
    seg[tcp_field::window] ^= 0x01;
    EXPECT_EQ(parse_error(seg), TcpError::BadChecksum);
}

TEST(TcpSegment, WrongPseudoHeaderFailsTheChecksum) {
    auto seg = TcpSegment::parse(syn_tcp(), ph(client_ip, Ipv4Address::from_octets(93, 184, 216, 35), 40));
    ASSERT_FALSE(seg);
    EXPECT_EQ(seg.error(), TcpError::BadChecksum);
}

TEST(TcpSegment, UncheckedParseIgnoresABadChecksum) {
    auto seg = to_vec(syn_tcp());
    store_be16(seg, tcp_field::checksum, 0);  // as a capture with checksum offload shows it
    EXPECT_TRUE(TcpSegment::parse_unchecked(seg));
}

TEST(TcpSegment, OptionLengthZeroIsRefused) {
    EXPECT_EQ(parse_error(syn_with_options({0x02, 0x00, 0x01, 0x01})), TcpError::BadOption);
}

TEST(TcpSegment, OptionLengthOneIsRefused) {
    EXPECT_EQ(parse_error(syn_with_options({0x08, 0x01, 0x01, 0x01})), TcpError::BadOption);
}

TEST(TcpSegment, OptionRunningPastTheHeaderIsRefused) {
    // Timestamps claim 10 bytes; 8 are left in the header (and the payload must not count).
    auto seg = syn_with_options({0x01, 0x01, 0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 0, 0, 0});
    seg.insert(seg.end(), {0xaa, 0xbb, 0xcc, 0xdd});
    refresh_tcp_checksum(seg, client_ip, server_ip);
    EXPECT_EQ(parse_error(seg), TcpError::BadOption);
}

TEST(TcpSegment, OptionKindInTheLastByteWithoutLengthIsRefused) {
    EXPECT_EQ(parse_error(syn_with_options({0x01, 0x01, 0x01, 0x02})), TcpError::BadOption);
}

TEST(TcpSegment, UnknownOptionIsSkippedByItsLength) {
    auto seg = TcpSegment::parse(syn_with_options({0x1e, 0x04, 0xaa, 0xbb, 0x02, 0x04, 0x05, 0xb4}), client_ph(28));
    ASSERT_TRUE(seg);
    EXPECT_EQ(seg->options.mss, 1460);
}

TEST(TcpSegment, EndOfOptionListStopsParsing) {
    auto seg = TcpSegment::parse(syn_with_options({0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00}), client_ph(28));
    ASSERT_TRUE(seg);  // the zero-length "option" after EOL is padding, never read
    EXPECT_FALSE(seg->options.mss);
}

TEST(TcpSegment, KnownOptionWithTheWrongLengthIsIgnored) {
    auto seg = TcpSegment::parse(syn_with_options({0x02, 0x03, 0x05, 0x03, 0x04, 0x07, 0x00, 0x01}), client_ph(28));
    ASSERT_TRUE(seg);
    EXPECT_FALSE(seg->options.mss);
    EXPECT_FALSE(seg->options.window_scale);
}

TEST(TcpSegment, SackWithARaggedLengthIsIgnored) {
    auto seg = TcpSegment::parse(syn_with_options({0x01, 0x01, 0x05, 0x0c, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}),
                                 client_ph(36));
    ASSERT_TRUE(seg);
    EXPECT_EQ(seg->options.sack_count, 0);
}

// --- flags --------------------------------------------------------------------------------

TEST(TcpFlagsString, SynAckIsSpelledAsWireshark) {
    EXPECT_EQ(tcp_flags_string(tcp_flag::syn | tcp_flag::ack), "SYN, ACK");
}

TEST(TcpFlagsString, FinPshAckKeepsWiresharksOrder) {
    EXPECT_EQ(tcp_flags_string(tcp_flag::ack | tcp_flag::psh | tcp_flag::fin), "FIN, PSH, ACK");
}

TEST(TcpFlagsString, SingleFlagsHaveTheirNames) {
    EXPECT_EQ(tcp_flags_string(tcp_flag::syn), "SYN");
    EXPECT_EQ(tcp_flags_string(tcp_flag::rst), "RST");
    EXPECT_EQ(tcp_flags_string(tcp_flag::ack), "ACK");
    EXPECT_EQ(tcp_flags_string(tcp_flag::rst | tcp_flag::ack), "RST, ACK");
}

TEST(TcpFlagsString, EcnSynIsSpelledAsWireshark) {
    EXPECT_EQ(tcp_flags_string(tcp_flag::syn | tcp_flag::ack | tcp_flag::ece | tcp_flag::cwr), "SYN, ACK, ECE, CWR");
}

TEST(TcpFlagsString, AllEightFlagsComeInBitOrder) {
    EXPECT_EQ(tcp_flags_string(0xff), "FIN, SYN, RST, PSH, ACK, URG, ECE, CWR");
}

TEST(TcpFlagsString, NoFlagsIsWiresharksNone) { EXPECT_EQ(tcp_flags_string(0), "<None>"); }

}  // namespace
}  // namespace tapstack
