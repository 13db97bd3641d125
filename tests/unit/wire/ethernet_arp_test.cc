// SPDX-License-Identifier: MIT
// Ethernet II headers and ARP packets: real frames parsed field by field and emitted back byte for
// byte, every truncation refused, and each kind of ARP packet that is not Ethernet/IPv4 refused
// with its reason.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "stack/wire/arp.hh"
#include "stack/wire/ethernet.hh"
#include "tests/support/capture_frames.hh"
#include "tests/support/wire_helpers.hh"

namespace tapstack {
namespace {

using test::hex;

const MacAddress host_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const MacAddress router_mac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};

// --- Ethernet -----------------------------------------------------------------------------

TEST(EthernetView, CapturedFrameParsesAddressesTypeAndPayload) {
    auto eth = EthernetView::parse(capture::bytes(capture::linux_syn));
    ASSERT_TRUE(eth);
    EXPECT_EQ(eth->dst(), router_mac);
    EXPECT_EQ(eth->src(), host_mac);
    EXPECT_EQ(eth->ethertype(), static_cast<uint16_t>(EtherType::Ipv4));
    EXPECT_EQ(eth->payload().size(), capture::linux_syn.size() - 14);
    EXPECT_EQ(eth->payload().data(), capture::linux_syn.data() + 14);
}

TEST(EthernetView, EveryLengthBelowFourteenIsRefused) {
    for (size_t n = 0; n < ethernet_field::header_len; ++n) {
        auto eth = EthernetView::parse(capture::bytes(capture::arp_request).first(n));
        ASSERT_FALSE(eth) << n << " bytes";
        EXPECT_EQ(eth.error(), EthernetError::Truncated) << n << " bytes";
    }
}

TEST(EthernetView, HeaderAloneParsesWithEmptyPayload) {
    auto eth = EthernetView::parse(capture::bytes(capture::arp_request).first(14));
    ASSERT_TRUE(eth);
    EXPECT_TRUE(eth->payload().empty());
    EXPECT_EQ(eth->ethertype(), static_cast<uint16_t>(EtherType::Arp));
}

TEST(EthernetView, EmitWritesTheCapturedHeader) {
    std::array<uint8_t, 14> out{};
    emit_ethernet_header(out, router_mac, host_mac, EtherType::Ipv4);
    EXPECT_EQ(hex(out), hex(capture::bytes(capture::linux_syn).first(14)));
}

// --- ARP ----------------------------------------------------------------------------------

Bytes arp_body() { return capture::bytes(capture::arp_request).subspan(14); }

std::array<uint8_t, 28> arp_copy() {
    std::array<uint8_t, 28> a{};
    for (size_t i = 0; i < a.size(); ++i) a[i] = arp_body()[i];
    return a;
}

TEST(ArpPacket, CapturedRequestParsesEveryField) {
    auto eth = EthernetView::parse(capture::bytes(capture::arp_request));
    ASSERT_TRUE(eth);
    EXPECT_TRUE(eth->dst().is_broadcast());
    EXPECT_EQ(eth->ethertype(), static_cast<uint16_t>(EtherType::Arp));
    auto arp = ArpPacket::parse(eth->payload());
    ASSERT_TRUE(arp);
    EXPECT_EQ(arp->op, ArpOp::Request);
    EXPECT_EQ(arp->sender_mac, host_mac);
    EXPECT_EQ(arp->sender_ip, Ipv4Address::from_octets(10, 0, 0, 1));
    EXPECT_TRUE(arp->target_mac.is_zero());
    EXPECT_EQ(arp->target_ip, Ipv4Address::from_octets(10, 0, 0, 2));
}

TEST(ArpPacket, ParsedRequestEmitsTheCapturedBytes) {
    auto arp = ArpPacket::parse(arp_body());
    ASSERT_TRUE(arp);
    std::array<uint8_t, arp_field::packet_len> out{};
    arp->emit(out);
    EXPECT_EQ(hex(out), hex(arp_body()));
}

TEST(ArpPacket, ReplyRoundTripsThroughEmitAndParse) {
    ArpPacket reply{ArpOp::Reply, router_mac, Ipv4Address::from_octets(10, 0, 0, 2), host_mac,
                    Ipv4Address::from_octets(10, 0, 0, 1)};
    std::array<uint8_t, arp_field::packet_len> out{};
    reply.emit(out);
    auto back = ArpPacket::parse(out);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->op, ArpOp::Reply);
    EXPECT_EQ(back->sender_mac, router_mac);
    EXPECT_EQ(back->sender_ip, Ipv4Address::from_octets(10, 0, 0, 2));
    EXPECT_EQ(back->target_mac, host_mac);
    EXPECT_EQ(back->target_ip, Ipv4Address::from_octets(10, 0, 0, 1));
}

TEST(ArpPacket, EveryTruncationIsRefusedAsTruncated) {
    for (size_t n = 0; n < arp_field::packet_len; ++n) {
        auto arp = ArpPacket::parse(arp_body().first(n));
        ASSERT_FALSE(arp) << n << " bytes";
        EXPECT_EQ(arp.error(), ArpError::Truncated) << n << " bytes";
    }
}

TEST(ArpPacket, TrailingEthernetPaddingIsIgnored) {
    std::vector<uint8_t> padded(arp_body().begin(), arp_body().end());
    padded.resize(46, 0);  // a 60-byte frame's payload
    auto arp = ArpPacket::parse(padded);
    ASSERT_TRUE(arp);
    EXPECT_EQ(arp->target_ip, Ipv4Address::from_octets(10, 0, 0, 2));
}

ArpError parse_error(const std::array<uint8_t, 28>& a) {
    auto arp = ArpPacket::parse(a);
    EXPECT_FALSE(arp);
    return arp ? ArpError{} : arp.error();
}

TEST(ArpPacket, HardwareTypeOtherThanEthernetIsRefused) {
    auto a = arp_copy();
    a[1] = 6;  // IEEE 802
    EXPECT_EQ(parse_error(a), ArpError::BadHardware);
}

TEST(ArpPacket, HardwareLengthOtherThanSixIsRefused) {
    auto a = arp_copy();
    a[arp_field::hlen] = 8;
    EXPECT_EQ(parse_error(a), ArpError::BadHardware);
}

TEST(ArpPacket, ProtocolTypeOtherThanIpv4IsRefused) {
    auto a = arp_copy();
    a[2] = 0x86, a[3] = 0xdd;
    EXPECT_EQ(parse_error(a), ArpError::BadProtocol);
}

TEST(ArpPacket, ProtocolLengthOtherThanFourIsRefused) {
    auto a = arp_copy();
    a[arp_field::plen] = 16;
    EXPECT_EQ(parse_error(a), ArpError::BadProtocol);
}

TEST(ArpPacket, OperationOtherThanRequestOrReplyIsRefused) {
    for (uint8_t op : {uint8_t{0}, uint8_t{3}, uint8_t{8}}) {
        auto a = arp_copy();
        a[7] = op;
        EXPECT_EQ(parse_error(a), ArpError::BadOperation) << "op " << int{op};
    }
    auto a = arp_copy();
    a[6] = 0x01, a[7] = 0x01;  // 257: the high byte counts too
    EXPECT_EQ(parse_error(a), ArpError::BadOperation);
}

}  // namespace
}  // namespace tapstack
