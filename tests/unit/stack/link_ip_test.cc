// SPDX-License-Identifier: MIT
// The layers below TCP, driven through a whole Stack: Ethernet filtering, ARP (answers, learning,
// the queue of packets waiting for resolution, retries), IPv4 validation with counted drop
// reasons, and ICMP echo.
#include <gtest/gtest.h>

#include "stack/ip/ipv4_reassembly.hh"
#include "stack/stack.hh"
#include "stack/wire/arp.hh"
#include "stack/wire/ethernet.hh"
#include "stack/wire/icmp.hh"
#include "stack/wire/ipv4.hh"
#include "tests/support/tcp_script.hh"

namespace tapstack::test {
namespace {

const MacAddress our_mac{{0x02, 0, 0, 0, 0, 0x02}};
const MacAddress peer_mac{{0x02, 0, 0, 0, 0, 0x01}};
const Ipv4Address our_ip = Ipv4Address::from_octets(10, 0, 0, 2);
const Ipv4Address peer_ip = Ipv4Address::from_octets(10, 0, 0, 1);

std::vector<uint8_t> arp_frame(ArpOp op, MacAddress eth_dst, Ipv4Address sender_ip, Ipv4Address target_ip,
                               MacAddress sender_mac = peer_mac) {
    std::vector<uint8_t> f(ethernet_field::header_len + arp_field::packet_len);
    emit_ethernet_header(f, eth_dst, sender_mac, EtherType::Arp);
    ArpPacket{op, sender_mac, sender_ip, op == ArpOp::Reply ? our_mac : MacAddress{}, target_ip}.emit(
        MutBytes{f}.subspan(ethernet_field::header_len));
    return f;
}

std::vector<uint8_t> icmp_echo_frame(Bytes data, Ipv4Address dst = our_ip, uint16_t ident = 0x1234,
                                     uint16_t sequence = 7) {
    size_t icmp_len = icmp_field::header_len + data.size();
    std::vector<uint8_t> f(ethernet_field::header_len + Ipv4Header::len + icmp_len);
    MutBytes m{f};
    emit_ethernet_header(m, our_mac, peer_mac, EtherType::Ipv4);
    Ipv4Header ip{peer_ip, dst, IpProtocol::Icmp, static_cast<uint16_t>(icmp_len)};
    ip.emit(m.subspan(ethernet_field::header_len));
    uint8_t rest[4];
    store_be16(MutBytes{rest, 4}, 0, ident);
    store_be16(MutBytes{rest, 4}, 2, sequence);
    emit_icmp(m.subspan(ethernet_field::header_len + Ipv4Header::len), IcmpType::EchoRequest, 0, Bytes{rest, 4}, data);
    return f;
}

struct Harness {
    QueueDev dev;
    Stack stack{StackConfig{}, dev};
    Instant now = Instant::from_ms(5000);

    void send(std::vector<uint8_t> f) {
        dev.to_stack.push_back(std::move(f));
        stack.poll(now);
    }
    std::optional<std::vector<uint8_t>> take() {
        if (dev.sent.empty()) return std::nullopt;
        auto f = std::move(dev.sent.front());
        dev.sent.pop_front();
        return f;
    }
    void advance(Duration d) {
        now = now + d;
        stack.poll(now);
    }
};

}  // namespace

TEST(Arp, RequestForOurAddressIsAnswered) {
    Harness h;
    h.send(arp_frame(ArpOp::Request, MacAddress::broadcast(), peer_ip, our_ip));
    auto reply = h.take();
    ASSERT_TRUE(reply);
    auto eth = EthernetView::parse(*reply);
    EXPECT_EQ(eth->dst(), peer_mac);
    EXPECT_EQ(eth->src(), our_mac);
    auto arp = ArpPacket::parse(eth->payload());
    ASSERT_TRUE(arp);
    EXPECT_EQ(arp->op, ArpOp::Reply);
    EXPECT_EQ(arp->sender_mac, our_mac);
    EXPECT_EQ(arp->sender_ip, our_ip);
    EXPECT_EQ(arp->target_mac, peer_mac);
    EXPECT_EQ(arp->target_ip, peer_ip);
}

TEST(Arp, RequestForAnotherAddressIsIgnored) {
    Harness h;
    h.send(arp_frame(ArpOp::Request, MacAddress::broadcast(), peer_ip, Ipv4Address::from_octets(10, 0, 0, 9)));
    EXPECT_FALSE(h.take());
    EXPECT_EQ(h.stack.stats().drops(DropReason::ArpNotForUs), 1u);
}

TEST(Arp, TruncatedPacketIsDroppedWithAReason) {
    Harness h;
    auto f = arp_frame(ArpOp::Request, MacAddress::broadcast(), peer_ip, our_ip);
    f.pop_back();
    h.send(f);
    EXPECT_FALSE(h.take());
    EXPECT_EQ(h.stack.stats().drops(DropReason::ArpMalformed), 1u);
}

TEST(Arp, PacketWaitingForResolutionLeavesWhenTheReplyArrives) {
    Harness h;
    SocketHandler handler;
    auto id = h.stack.connect(peer_ip, 80, handler);
    ASSERT_TRUE(id.has_value());
    auto request = h.take();
    ASSERT_TRUE(request);
    auto arp = ArpPacket::parse(EthernetView::parse(*request)->payload());
    ASSERT_TRUE(arp);
    EXPECT_EQ(arp->op, ArpOp::Request);
    EXPECT_EQ(arp->target_ip, peer_ip);
    EXPECT_FALSE(h.take());  // the SYN waits

    h.send(arp_frame(ArpOp::Reply, our_mac, peer_ip, our_ip));
    auto syn_frame = h.take();
    ASSERT_TRUE(syn_frame);  // the SYN that triggered the lookup was kept, not lost
    auto eth = EthernetView::parse(*syn_frame);
    EXPECT_EQ(eth->dst(), peer_mac);
    EXPECT_EQ(eth->src(), our_mac);
    EXPECT_EQ(eth->ethertype(), static_cast<uint16_t>(EtherType::Ipv4));
    auto ip = Ipv4View::parse(eth->payload());
    ASSERT_TRUE(ip);
    auto tcp = TcpSegment::parse_unchecked(ip->payload());
    ASSERT_TRUE(tcp);
    EXPECT_TRUE(tcp->syn());
}

TEST(Arp, RequestIsRepeatedThenTheWaitingPacketsAreDropped) {
    Harness h;
    SocketHandler handler;
    ASSERT_TRUE(h.stack.connect(peer_ip, 80, handler).has_value());
    ASSERT_TRUE(h.take());
    h.advance(1s);
    ASSERT_TRUE(h.take());  // second request
    h.advance(1s);
    ASSERT_TRUE(h.take());  // third request
    h.advance(1s);
    EXPECT_GE(h.stack.stats().drops(DropReason::ArpUnresolved), 1u);
}

// Our own connect to a next hop that never answers ARP fails when ARP gives up (3 s), with
// "host unreachable", as Linux's connect() fails with EHOSTUNREACH: it does not go on sending
// SYNs into the ARP queue for two minutes.
TEST(Arp, ConnectFailsWithHostUnreachableWhenArpGivesUp) {
    struct Recorder : SocketHandler {
        std::optional<CloseReason> closed;
        void on_closed(SocketId, CloseReason r) override { closed = r; }
    } handler;
    Harness h;
    ASSERT_TRUE(h.stack.connect(peer_ip, 80, handler).has_value());
    h.advance(1s);  // the second ARP request (and the SYN's first retransmission)
    h.advance(1s);  // the third
    h.advance(999ms);
    EXPECT_FALSE(handler.closed);
    EXPECT_EQ(h.stack.connection_count(), 1u);
    h.advance(1ms);
    ASSERT_TRUE(handler.closed);
    EXPECT_EQ(*handler.closed, CloseReason::HostUnreachable);
    EXPECT_EQ(to_string(*handler.closed), "host unreachable");
    EXPECT_EQ(h.stack.connection_count(), 0u);
    EXPECT_EQ(h.stack.stats().tcp_connections_aborted, 1u);
    h.dev.sent.clear();
    h.advance(10s);
    EXPECT_FALSE(h.take()) << "nothing more is sent for the failed connect";
}

TEST(Ethernet, FrameForAnotherMacIsDropped) {
    Harness h;
    auto f = icmp_echo_frame(as_bytes("x"));
    MacAddress{{0x02, 0, 0, 0, 0, 0x99}}.store(f, ethernet_field::dst);
    h.send(f);
    EXPECT_FALSE(h.take());
    EXPECT_EQ(h.stack.stats().drops(DropReason::EthernetNotForUs), 1u);
}

TEST(Ethernet, UnknownEtherTypeIsDropped) {
    Harness h;
    auto f = icmp_echo_frame(as_bytes("x"));
    store_be16(f, ethernet_field::ethertype, 0x86dd);
    h.send(f);
    EXPECT_EQ(h.stack.stats().drops(DropReason::EthernetUnknownType), 1u);
}

TEST(Ethernet, ShortFrameIsDropped) {
    Harness h;
    h.send(std::vector<uint8_t>(10, 0xff));
    EXPECT_EQ(h.stack.stats().drops(DropReason::EthernetTruncated), 1u);
}

class IcmpTest : public testing::Test {
protected:
    void SetUp() override { h.send(arp_frame(ArpOp::Request, MacAddress::broadcast(), peer_ip, our_ip)), h.take(); }
    Harness h;
};

TEST_F(IcmpTest, EchoRequestIsAnsweredWithTheSamePayload) {
    std::vector<uint8_t> data(1000);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
    h.send(icmp_echo_frame(data, our_ip, 0xbeef, 42));
    auto reply = h.take();
    ASSERT_TRUE(reply);
    auto eth = EthernetView::parse(*reply);
    EXPECT_EQ(eth->dst(), peer_mac);
    auto ip = Ipv4View::parse(eth->payload());
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->src(), our_ip);
    EXPECT_EQ(ip->dst(), peer_ip);
    auto icmp = IcmpView::parse(ip->payload());
    ASSERT_TRUE(icmp);  // checksum verified
    EXPECT_EQ(icmp->type(), static_cast<uint8_t>(IcmpType::EchoReply));
    EXPECT_EQ(icmp->ident(), 0xbeef);
    EXPECT_EQ(icmp->sequence(), 42);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), icmp->data().begin(), icmp->data().end()));
}

TEST_F(IcmpTest, BadIcmpChecksumIsDropped) {
    auto f = icmp_echo_frame(as_bytes("ping"));
    f.back() ^= 0x01;
    h.send(f);
    EXPECT_FALSE(h.take());
    EXPECT_EQ(h.stack.stats().drops(DropReason::IcmpBadChecksum), 1u);
}

TEST_F(IcmpTest, EchoReplyIsNotAnswered) {
    auto f = icmp_echo_frame(as_bytes("ping"));
    MutBytes icmp = MutBytes{f}.subspan(ethernet_field::header_len + Ipv4Header::len);
    icmp[0] = 0;  // echo reply
    store_be16(icmp, icmp_field::checksum, 0);
    store_be16(icmp, icmp_field::checksum, internet_checksum(icmp));
    h.send(f);
    EXPECT_FALSE(h.take());
    EXPECT_EQ(h.stack.stats().drops(DropReason::IcmpUnhandledType), 1u);
}

TEST_F(IcmpTest, PacketForAnotherAddressIsDropped) {
    h.send(icmp_echo_frame(as_bytes("ping"), Ipv4Address::from_octets(10, 0, 0, 3)));
    EXPECT_FALSE(h.take());
    EXPECT_EQ(h.stack.stats().drops(DropReason::Ipv4NotForUs), 1u);
}

TEST_F(IcmpTest, BadIpv4ChecksumIsDropped) {
    auto f = icmp_echo_frame(as_bytes("ping"));
    f[ethernet_field::header_len + ipv4_field::ttl] ^= 1;
    h.send(f);
    EXPECT_FALSE(h.take());
    EXPECT_EQ(h.stack.stats().drops(DropReason::Ipv4BadChecksum), 1u);
}

// Cuts the IPv4 datagram in `f` (an Ethernet frame) into fragments carrying `piece` bytes each.
std::vector<std::vector<uint8_t>> fragment(const std::vector<uint8_t>& f, size_t piece) {
    Bytes payload = Bytes{f}.subspan(ethernet_field::header_len + Ipv4Header::len);
    auto ip = Ipv4View::parse(Bytes{f}.subspan(ethernet_field::header_len));
    std::vector<std::vector<uint8_t>> out;
    for (size_t off = 0; off < payload.size(); off += piece) {
        size_t n = std::min(piece, payload.size() - off);
        std::vector<uint8_t> g(ethernet_field::header_len + Ipv4Header::len + n);
        MutBytes m{g};
        emit_ethernet_header(m, our_mac, peer_mac, EtherType::Ipv4);
        Ipv4Header h{ip->src(), ip->dst(), IpProtocol::Icmp, static_cast<uint16_t>(n), 0x4242};
        h.dont_fragment = false;
        h.more_fragments = off + n < payload.size();
        h.fragment_offset = static_cast<uint16_t>(off);
        h.emit(m.subspan(ethernet_field::header_len));
        std::copy_n(payload.begin() + static_cast<std::ptrdiff_t>(off), n,
                    g.begin() + ethernet_field::header_len + Ipv4Header::len);
        out.push_back(std::move(g));
    }
    return out;
}

TEST_F(IcmpTest, ALargePingIsReassembledAndItsReplyFragmented) {
    // ping -s 2000: 2008 bytes of ICMP, which Linux sends as 1480 + 528.
    std::vector<uint8_t> data(2000);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 13);
    auto pieces = fragment(icmp_echo_frame(data, our_ip, 0xabcd, 3), 1480);
    ASSERT_EQ(pieces.size(), 2u);
    h.send(pieces[1]);  // out of order on purpose
    EXPECT_FALSE(h.take());
    h.send(pieces[0]);
    EXPECT_EQ(h.stack.stats().ipv4_reassembled, 1u);
    // The reply is 2028 bytes of IPv4 at MTU 1500: two fragments, which we put together again.
    Ipv4Reassembly check;
    std::optional<Bytes> whole;
    std::vector<std::vector<uint8_t>> replies;
    while (auto r = h.take()) replies.push_back(std::move(*r));
    ASSERT_EQ(replies.size(), 2u);
    for (auto& r : replies) {
        EXPECT_LE(r.size(), ethernet_field::header_len + 1500);
        auto ip = Ipv4View::parse(Bytes{r}.subspan(ethernet_field::header_len));
        ASSERT_TRUE(ip);
        EXPECT_TRUE(ip->is_fragment());
        std::optional<DropReason> dropped;
        if (auto w = check.add(*ip, h.now, &dropped)) whole = w;
        EXPECT_FALSE(dropped);
    }
    ASSERT_TRUE(whole);
    auto ip = Ipv4View::parse(*whole);
    auto icmp = IcmpView::parse(ip->payload());
    ASSERT_TRUE(icmp);  // the checksum covers all 2008 bytes
    EXPECT_EQ(icmp->type(), static_cast<uint8_t>(IcmpType::EchoReply));
    EXPECT_TRUE(std::equal(data.begin(), data.end(), icmp->data().begin(), icmp->data().end()));
}

TEST_F(IcmpTest, ALoneFragmentTimesOutWithACountedReason) {
    auto pieces = fragment(icmp_echo_frame(std::vector<uint8_t>(100, 1)), 64);
    h.send(pieces[0]);
    EXPECT_FALSE(h.take());
    h.advance(std::chrono::seconds{29});
    EXPECT_EQ(h.stack.stats().drops(DropReason::Ipv4FragmentTimeout), 0u);
    h.advance(std::chrono::seconds{1});
    EXPECT_EQ(h.stack.stats().drops(DropReason::Ipv4FragmentTimeout), 1u);
    h.send(pieces[1]);  // too late: alone now, and waits in its turn
    EXPECT_FALSE(h.take());
}

TEST_F(IcmpTest, HeaderLengthBelowFiveIsDropped) {
    auto f = icmp_echo_frame(as_bytes("ping"));
    MutBytes ip = MutBytes{f}.subspan(ethernet_field::header_len, Ipv4Header::len);
    ip[0] = 0x44;
    store_be16(ip, ipv4_field::checksum, 0);
    store_be16(ip, ipv4_field::checksum, internet_checksum(ip));
    h.send(f);
    EXPECT_EQ(h.stack.stats().drops(DropReason::Ipv4BadHeaderLength), 1u);
}

TEST_F(IcmpTest, BroadcastSourceIsDropped) {
    auto f = icmp_echo_frame(as_bytes("ping"));
    MutBytes ip = MutBytes{f}.subspan(ethernet_field::header_len, Ipv4Header::len);
    Ipv4Address{0xffffffffu}.store(ip, ipv4_field::src);
    store_be16(ip, ipv4_field::checksum, 0);
    store_be16(ip, ipv4_field::checksum, internet_checksum(ip));
    h.send(f);
    EXPECT_EQ(h.stack.stats().drops(DropReason::Ipv4BadSource), 1u);
}

TEST_F(IcmpTest, EthernetPaddingAfterTheDatagramIsIgnored) {
    auto f = icmp_echo_frame(as_bytes("hi"));
    f.resize(60, 0);  // padded to the Ethernet minimum
    h.send(f);
    auto reply = h.take();
    ASSERT_TRUE(reply);
    auto ip = Ipv4View::parse(EthernetView::parse(*reply)->payload());
    EXPECT_EQ(IcmpView::parse(ip->payload())->data().size(), 2u);
}

}  // namespace tapstack::test

namespace tapstack::test {

TEST(Arp, EntryInUseIsRefreshedBeforeItExpires) {
    Harness h;
    h.send(arp_frame(ArpOp::Request, MacAddress::broadcast(), peer_ip, our_ip));
    h.take();  // our reply; the peer is now in the cache for 60 s
    h.advance(std::chrono::seconds{50});
    h.send(icmp_echo_frame(as_bytes("late ping")));
    auto reply = h.take();
    ASSERT_TRUE(reply);
    EXPECT_EQ(EthernetView::parse(*reply)->ethertype(), static_cast<uint16_t>(EtherType::Ipv4));
    auto request = h.take();  // and a request to refresh the entry while it still works
    ASSERT_TRUE(request);
    auto arp = ArpPacket::parse(EthernetView::parse(*request)->payload());
    ASSERT_TRUE(arp);
    EXPECT_EQ(arp->op, ArpOp::Request);
    EXPECT_EQ(arp->target_ip, peer_ip);
}

}  // namespace tapstack::test
