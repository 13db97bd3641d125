// SPDX-License-Identifier: MIT
// ARP under attack: a gratuitous ARP for an address we have no entry for creates none (RFC 826
// merge rule), a flood of requests for our address is answered one for one, and
// traffic waiting for resolution never sends more than one ARP request per address per second.
#include <gtest/gtest.h>

#include "stack/stack.hh"
#include "stack/wire/arp.hh"
#include "stack/wire/ethernet.hh"
#include "tests/support/tcp_script.hh"

namespace tapstack::test {
namespace {

const MacAddress attacker_mac{{0x02, 0, 0, 0, 0, 0x66}};

std::vector<uint8_t> arp(ArpOp op, Ipv4Address sender, Ipv4Address target) {
    std::vector<uint8_t> f(ethernet_field::header_len + arp_field::packet_len);
    emit_ethernet_header(f, MacAddress::broadcast(), attacker_mac, EtherType::Arp);
    ArpPacket{op, attacker_mac, sender, MacAddress{}, target}.emit(MutBytes{f}.subspan(ethernet_field::header_len));
    return f;
}

size_t arp_requests_in(const std::deque<std::vector<uint8_t>>& frames) {
    size_t n = 0;
    for (const auto& f : frames) {
        auto eth = EthernetView::parse(f);
        if (eth && eth->ethertype() == static_cast<uint16_t>(EtherType::Arp)) ++n;
    }
    return n;
}

}  // namespace

TEST(ArpHostile, GratuitousArpForAnUnknownAddressCreatesNoEntry) {
    TcpScript t;
    Ipv4Address other = Ipv4Address::from_octets(10, 0, 0, 9);
    t.peer_sends_frame(arp(ArpOp::Reply, other, other));
    EXPECT_EQ(t.dev.sent.size(), 0u);
    // Had an entry been created, connecting to 10.0.0.9 would send the SYN straight away.
    ASSERT_TRUE(t.stack.connect(other, 80, t.app));
    t.poll();
    EXPECT_EQ(arp_requests_in(t.dev.sent), 1u);
    EXPECT_EQ(t.dev.sent.size(), 1u);  // the SYN waits for the answer
}

TEST(ArpHostile, RequestFloodFromManySendersIsAnsweredOneForOne) {
    TcpScript t;
    uint64_t replies_before = t.stack.stats().arp_replies_sent;
    for (uint32_t i = 0; i < 1000; ++i) {
        Ipv4Address sender{Ipv4Address::from_octets(10, 0, 0, 0).value + 3 + (i % 250)};
        t.peer_sends_frame(arp(ArpOp::Request, sender, Ipv4Address::from_octets(10, 0, 0, 2)));
        EXPECT_LE(t.dev.sent.size(), 1u);
        t.dev.sent.clear();
    }
    EXPECT_EQ(t.stack.stats().arp_replies_sent - replies_before, 1000u);
}

TEST(ArpHostile, WaitingTrafficSendsAtMostOneRequestPerSecondPerAddress) {
    TcpScript t;
    Ipv4Address silent = Ipv4Address::from_octets(10, 0, 0, 77);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(t.stack.connect(silent, static_cast<uint16_t>(1000 + i), t.app));
    t.poll();
    EXPECT_EQ(arp_requests_in(t.dev.sent), 1u);
    t.dev.sent.clear();
    t.advance(std::chrono::milliseconds{999});
    EXPECT_EQ(arp_requests_in(t.dev.sent), 0u);
    t.advance(std::chrono::milliseconds{1});
    EXPECT_EQ(arp_requests_in(t.dev.sent), 1u);
}

}  // namespace tapstack::test
