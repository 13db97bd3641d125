// SPDX-License-Identifier: MIT
// IPv4 headers and ICMP messages: captured packets parsed field by field and emitted back byte
// for byte; every truncation and every impossible length refused with its reason; Ethernet
// padding kept out of the payload.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "stack/wire/ethernet.hh"
#include "stack/wire/icmp.hh"
#include "stack/wire/ipv4.hh"
#include "tests/support/capture_frames.hh"
#include "tests/support/wire_helpers.hh"

namespace tapstack {
namespace {

using test::hex;
using test::refresh_ipv4_checksum;
using test::to_vec;

Bytes syn_ip() { return capture::bytes(capture::linux_syn).subspan(capture::ip_at); }

Ipv4Error parse_error(Bytes b) {
    auto ip = Ipv4View::parse(b);
    EXPECT_FALSE(ip);
    return ip ? Ipv4Error{} : ip.error();
}

// --- IPv4 ---------------------------------------------------------------------------------

TEST(Ipv4View, CapturedSynHeaderParsesEveryField) {
    auto ip = Ipv4View::parse(syn_ip());
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->header_len(), 20u);
    EXPECT_EQ(ip->total_len(), 60);
    EXPECT_EQ(ip->tos(), 0);
    EXPECT_EQ(ip->ident(), 0x1c46);
    EXPECT_TRUE(ip->dont_fragment());
    EXPECT_FALSE(ip->more_fragments());
    EXPECT_EQ(ip->fragment_offset(), 0u);
    EXPECT_FALSE(ip->is_fragment());
    EXPECT_EQ(ip->ttl(), 64);
    EXPECT_EQ(ip->protocol(), static_cast<uint8_t>(IpProtocol::Tcp));
    EXPECT_EQ(ip->src(), Ipv4Address::from_octets(192, 168, 1, 10));
    EXPECT_EQ(ip->dst(), Ipv4Address::from_octets(93, 184, 216, 34));
    EXPECT_EQ(ip->header().size(), 20u);
    EXPECT_EQ(ip->payload().size(), 40u);
    EXPECT_EQ(ip->payload().data(), syn_ip().data() + 20);
}

TEST(Ipv4Header, EmitWritesTheCapturedBytes) {
    Ipv4Header h{Ipv4Address::from_octets(192, 168, 1, 10),
                 Ipv4Address::from_octets(93, 184, 216, 34),
                 IpProtocol::Tcp,
                 40,
                 0x1c46,
                 64,
                 true};
    std::array<uint8_t, Ipv4Header::len> out{};
    h.emit(out);
    EXPECT_EQ(hex(out), hex(syn_ip().first(20)));
}

TEST(Ipv4Header, PseudoHeaderCarriesTheTransportLength) {
    Ipv4Header h{Ipv4Address::from_octets(10, 0, 0, 1), Ipv4Address::from_octets(10, 0, 0, 2), IpProtocol::Tcp, 40};
    PseudoHeader ph = h.pseudo_header();
    EXPECT_EQ(ph.src, h.src);
    EXPECT_EQ(ph.dst, h.dst);
    EXPECT_EQ(ph.protocol, 6);
    EXPECT_EQ(ph.length, 40);
}

TEST(Ipv4View, EveryTruncationIsRefused) {
    for (size_t n = 0; n < syn_ip().size(); ++n) {
        auto ip = Ipv4View::parse(syn_ip().first(n));
        ASSERT_FALSE(ip) << n << " bytes";
        EXPECT_EQ(ip.error(), n < 20 ? Ipv4Error::Truncated : Ipv4Error::BadTotalLength) << n << " bytes";
    }
}

TEST(Ipv4View, VersionOtherThanFourIsRefused) {
    for (uint8_t version : {uint8_t{0}, uint8_t{6}, uint8_t{15}}) {
        auto p = to_vec(syn_ip());
        p[0] = static_cast<uint8_t>((version << 4) | 5);
        refresh_ipv4_checksum(p);
        EXPECT_EQ(parse_error(p), Ipv4Error::BadVersion) << "version " << int{version};
    }
}

TEST(Ipv4View, HeaderLengthBelowFiveWordsIsRefused) {
    for (uint8_t ihl = 0; ihl < 5; ++ihl) {
        auto p = to_vec(syn_ip());
        p[0] = static_cast<uint8_t>(0x40 | ihl);
        EXPECT_EQ(parse_error(p), Ipv4Error::BadHeaderLength) << "IHL " << int{ihl};
    }
}

TEST(Ipv4View, HeaderLengthPastTheTotalLengthIsRefused) {
    auto p = to_vec(syn_ip());
    store_be16(p, ipv4_field::total_len, 40);
    p[0] = 0x4f;  // 60-byte header in a 40-byte packet
    EXPECT_EQ(parse_error(Bytes{p}.first(40)), Ipv4Error::BadTotalLength);
}

TEST(Ipv4View, TotalLengthBelowTheHeaderIsRefused) {
    for (uint16_t total : {uint16_t{0}, uint16_t{1}, uint16_t{19}}) {
        auto p = to_vec(syn_ip());
        store_be16(p, ipv4_field::total_len, total);
        refresh_ipv4_checksum(p);
        EXPECT_EQ(parse_error(p), Ipv4Error::BadTotalLength) << "total " << total;
    }
}

TEST(Ipv4View, TotalLengthPastTheBufferIsRefused) {
    auto p = to_vec(syn_ip());
    store_be16(p, ipv4_field::total_len, 61);
    refresh_ipv4_checksum(p);
    EXPECT_EQ(parse_error(p), Ipv4Error::BadTotalLength);
}

TEST(Ipv4View, ChangedHeaderByteFailsTheChecksum) {
    auto p = to_vec(syn_ip());
    p[ipv4_field::ttl] = 63;  // a router would have fixed the checksum; nobody did
    EXPECT_EQ(parse_error(p), Ipv4Error::BadChecksum);
}

TEST(Ipv4View, UncheckedParseAcceptsABadChecksumButNothingElse) {
    auto p = to_vec(syn_ip());
    p[ipv4_field::ttl] = 63;
    auto ip = Ipv4View::parse_unchecked(p);
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->ttl(), 63);
    EXPECT_EQ(ip->payload().size(), 40u);
    p[0] = 0x44;  // IHL 4
    auto bad = Ipv4View::parse_unchecked(p);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), Ipv4Error::BadHeaderLength);
}

TEST(Ipv4View, ChangedPayloadByteDoesNotMatterToTheHeaderChecksum) {
    auto p = to_vec(syn_ip());
    p[30] ^= 0xff;
    EXPECT_TRUE(Ipv4View::parse(p));
}

TEST(Ipv4View, EthernetPaddingIsKeptOutOfThePayload) {
    auto eth = EthernetView::parse(capture::bytes(capture::padded_ack));
    ASSERT_TRUE(eth);
    ASSERT_EQ(eth->payload().size(), 46u);
    auto ip = Ipv4View::parse(eth->payload());
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->total_len(), 40);
    EXPECT_EQ(ip->bytes().size(), 40u);
    EXPECT_EQ(ip->payload().size(), 20u);
}

TEST(Ipv4View, OptionsAreSkippedByTheHeaderLength) {
    // The SYN's header with four NOP option bytes: IHL 6, total 64.
    auto p = to_vec(syn_ip().first(20));
    p.insert(p.end(), {0x01, 0x01, 0x01, 0x01});
    p.insert(p.end(), syn_ip().begin() + 20, syn_ip().end());
    p[0] = 0x46;
    store_be16(p, ipv4_field::total_len, 64);
    refresh_ipv4_checksum(p);
    auto ip = Ipv4View::parse(p);
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->header_len(), 24u);
    EXPECT_EQ(hex(ip->payload()), hex(syn_ip().subspan(20)));
}

TEST(Ipv4View, FragmentFieldsAreReadInBytes) {
    auto p = to_vec(syn_ip());
    store_be16(p, ipv4_field::flags_frag, ipv4_field::flag_mf | 185);  // offset 185 * 8
    refresh_ipv4_checksum(p);
    auto ip = Ipv4View::parse(p);
    ASSERT_TRUE(ip);
    EXPECT_TRUE(ip->more_fragments());
    EXPECT_FALSE(ip->dont_fragment());
    EXPECT_EQ(ip->fragment_offset(), 1480u);
    EXPECT_TRUE(ip->is_fragment());
}

TEST(Ipv4View, LastFragmentIsStillAFragment) {
    auto p = to_vec(syn_ip());
    store_be16(p, ipv4_field::flags_frag, 1);
    refresh_ipv4_checksum(p);
    auto ip = Ipv4View::parse(p);
    ASSERT_TRUE(ip);
    EXPECT_FALSE(ip->more_fragments());
    EXPECT_TRUE(ip->is_fragment());
}

// --- ICMP ---------------------------------------------------------------------------------

Bytes echo_icmp() { return capture::bytes(capture::icmp_echo_request).subspan(capture::l4_at); }

TEST(IcmpView, CapturedEchoRequestParsesEveryField) {
    auto ip = Ipv4View::parse(capture::bytes(capture::icmp_echo_request).subspan(capture::ip_at));
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->protocol(), static_cast<uint8_t>(IpProtocol::Icmp));
    EXPECT_EQ(ip->ident(), 0xb7e1);
    auto icmp = IcmpView::parse(ip->payload());
    ASSERT_TRUE(icmp);
    EXPECT_EQ(icmp->type(), static_cast<uint8_t>(IcmpType::EchoRequest));
    EXPECT_EQ(icmp->code(), 0);
    EXPECT_EQ(icmp->ident(), 0x1f2b);
    EXPECT_EQ(icmp->sequence(), 1);
    EXPECT_EQ(icmp->data().size(), 56u);
    EXPECT_EQ(icmp->data()[16], 0x10);
    EXPECT_EQ(icmp->data()[55], 0x37);
    EXPECT_EQ(hex(icmp->rest_of_header()), "1f 2b 00 01");
}

TEST(IcmpView, ParsedEchoRequestEmitsTheCapturedBytes) {
    auto icmp = IcmpView::parse(echo_icmp());
    ASSERT_TRUE(icmp);
    std::vector<uint8_t> out(echo_icmp().size());
    emit_icmp(out, IcmpType::EchoRequest, 0, icmp->rest_of_header(), icmp->data());
    EXPECT_EQ(hex(out), hex(echo_icmp()));
}

TEST(IcmpView, EchoReplyWithOddLengthDataRoundTrips) {
    const std::array<uint8_t, 4> rest = {0x12, 0x34, 0x00, 0x07};
    const std::array<uint8_t, 5> data = {'h', 'e', 'l', 'l', 'o'};
    std::vector<uint8_t> out(icmp_field::header_len + data.size());
    emit_icmp(out, IcmpType::EchoReply, 0, rest, data);
    auto icmp = IcmpView::parse(out);
    ASSERT_TRUE(icmp);
    EXPECT_EQ(icmp->type(), 0);
    EXPECT_EQ(icmp->ident(), 0x1234);
    EXPECT_EQ(icmp->sequence(), 7);
    EXPECT_EQ(hex(icmp->data()), hex(data));
}

TEST(IcmpView, EveryTruncationIsRefused) {
    for (size_t n = 0; n < echo_icmp().size(); ++n) {
        auto icmp = IcmpView::parse(echo_icmp().first(n));
        ASSERT_FALSE(icmp) << n << " bytes";
        EXPECT_EQ(icmp.error(), n < icmp_field::header_len ? IcmpError::Truncated : IcmpError::BadChecksum)
            << n << " bytes";
    }
}

TEST(IcmpView, ChangedDataByteFailsTheChecksum) {
    auto p = to_vec(echo_icmp());
    p[40] ^= 0x01;
    auto icmp = IcmpView::parse(p);
    ASSERT_FALSE(icmp);
    EXPECT_EQ(icmp.error(), IcmpError::BadChecksum);
}

TEST(IcmpView, WrongChecksumFieldIsRefused) {
    auto p = to_vec(echo_icmp());
    store_be16(p, icmp_field::checksum, 0xe41e);
    auto icmp = IcmpView::parse(p);
    ASSERT_FALSE(icmp);
    EXPECT_EQ(icmp.error(), IcmpError::BadChecksum);
}

}  // namespace
}  // namespace tapstack
