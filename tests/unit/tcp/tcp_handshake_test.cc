// SPDX-License-Identifier: MIT
// Opening connections: passive open (the article's No6-No8), RSTs for closed ports and bad ACKs,
// SYN-ACK retransmission, active open.
#include "tests/support/tcp_script.hh"

namespace tapstack::test {

TEST(TcpListen, SynIsAnsweredWithSynAckAndEntersSynReceived) {
    TcpScript t;
    t.peer_sends(seg().syn().seq_(0).mss_(1460));
    t.expect_sent(seg().syn().ack_(1).seq_(0).mss_(1460));
    t.expect_nothing();
    EXPECT_EQ(t.state_log, std::vector<std::string>{"LISTEN->SYN-RECEIVED"});
}

TEST(TcpListen, AckOfSynAckEstablishesAndAcceptsOnce) {
    TcpScript t;
    SocketId id = t.establish();
    EXPECT_EQ(t.state_of(id), TcpState::Established);
    EXPECT_EQ(t.app.accepted.size(), 1u);
    t.expect_nothing();  // the third segment of the handshake is not answered
}

TEST(TcpListen, SynToClosedPortGetsRstAck) {
    TcpScript t;
    Seg s = seg().syn().seq_(0);
    s.dst_port = 81;
    t.peer_sends(s);
    // RFC 9293 §3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
    auto rst = t.next_sent();
    ASSERT_TRUE(rst);
    EXPECT_EQ(rst->flags, tcp_flag::rst | tcp_flag::ack);
    EXPECT_EQ(rst->seq.raw, 0u);
    EXPECT_EQ(t.rel_ack(rst->ack), 1u);
    EXPECT_EQ(t.stack.stats().drops(DropReason::TcpNoListener), 1u);
}

TEST(TcpListen, AckWithoutConnectionGetsRstAtItsAckNumber) {
    TcpScript t;
    t.peer_sends(seg().ack_(1234).seq_(5));
    t.expect_sent(seg().rst().seq_(1234));
}

TEST(TcpListen, RstWithoutConnectionIsIgnored) {
    TcpScript t;
    t.peer_sends(seg().rst().seq_(5));
    t.expect_nothing();
}

TEST(TcpSynReceived, UnacceptableAckIsAnsweredWithRst) {
    TcpScript t;
    t.peer_sends(seg().syn().seq_(0));
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().ack_(77).seq_(1));
    t.expect_sent(seg().rst().seq_(77));
    EXPECT_TRUE(t.app.accepted.empty());
}

TEST(TcpSynReceived, SynAckIsRetransmittedAfterOneSecond) {
    TcpScript t;
    t.peer_sends(seg().syn().seq_(0));
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.advance(999ms);
    t.expect_nothing();
    t.advance(1ms);
    t.expect_sent(seg().syn().ack_(1).seq_(0));  // RFC 6298 §2.1: initial RTO of 1 s
    t.advance(1999ms);
    t.expect_nothing();
    t.advance(1ms);
    t.expect_sent(seg().syn().ack_(1).seq_(0));  // §5.5: doubled
}

TEST(TcpSynReceived, RstReturnsWithoutTellingTheApplication) {
    TcpScript t;
    t.peer_sends(seg().syn().seq_(0));
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().rst().seq_(1));
    t.expect_nothing();
    EXPECT_TRUE(t.app.accepted.empty());
    EXPECT_TRUE(t.app.closed.empty());
    t.poll();
    EXPECT_EQ(t.stack.connection_count(), 0u);
}

TEST(TcpListen, PeerMssLimitsOurSegments) {
    TcpScript t;
    t.peer_sends(seg().syn().seq_(0).mss_(100));
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().ack_(1).seq_(1));
    std::string data(250, 'x');
    t.stack.set_nodelay(t.app.last, true);  // the short tail goes at once
    t.write(t.app.last, as_bytes(data));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).data(std::string(100, 'x')));
    t.expect_sent(seg().ack_(1).seq_(101).data(std::string(100, 'x')));
    t.expect_sent(seg().ack_(1).seq_(201).psh().data(std::string(50, 'x')));
}

TEST(TcpSequence, HandshakeAndDataAcrossTheWrapOfSequenceNumbers) {
    TcpScript t(/*our_iss=*/0xfffffff0u, /*peer_iss=*/0xfffffffau);
    SocketId id = t.establish();
    t.peer_sends(seg().ack_(1).seq_(1).data("0123456789abcdef"));
    t.expect_sent(seg().ack_(17).seq_(1));
    EXPECT_EQ(t.app.received, "0123456789abcdef");
    std::string out(40, 'y');
    t.write(id, as_bytes(out));
    t.poll();
    t.expect_sent(seg().ack_(17).seq_(1).psh().data(out));
    t.peer_sends(seg().ack_(41).seq_(17));
    t.expect_nothing();
    t.advance(10s);
    t.expect_nothing();  // acknowledged across the wrap: nothing to retransmit
}

class Connector : public SocketHandler {};

TEST(TcpSynSent, ActiveOpenCompletesOnSynAck) {
    TcpScript t;
    auto id = t.stack.connect(Ipv4Address::from_octets(10, 0, 0, 1), 8080, t.app);
    ASSERT_TRUE(id.has_value());
    t.poll();
    auto syn = t.next_sent();
    ASSERT_TRUE(syn);
    EXPECT_EQ(syn->flags, tcp_flag::syn);
    EXPECT_TRUE(syn->options.mss.has_value());
    EXPECT_EQ(t.state_of(*id), TcpState::SynSent);
    Seg synack = seg().syn().ack_(1).seq_(0);
    synack.src_port = 8080;
    synack.dst_port = syn->src_port;
    t.peer_sends(synack);
    auto ack = t.next_sent();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->flags, tcp_flag::ack);
    EXPECT_EQ(t.rel_ack(ack->ack), 1u);
    EXPECT_EQ(t.state_of(*id), TcpState::Established);
    EXPECT_EQ(t.app.connected.size(), 1u);
}

// The SYN is timed (as Linux's tcp_ack_update_rtt does on the SYN,ACK), so the first data goes
// out with SRTT + 200 ms as its timeout, not RFC 6298's initial second; a SYN sent twice is not
// timed (Karn), and the RTO stays where the back-off left it.
SocketId connect_with_handshake_rtt(TcpScript& t, Duration syn_ack_after, bool syn_lost) {
    auto id = t.stack.connect(Ipv4Address::from_octets(10, 0, 0, 1), 8080, t.app);
    EXPECT_TRUE(id.has_value());
    t.poll();
    auto syn = t.next_sent();
    EXPECT_TRUE(syn);
    if (syn_lost) {
        t.advance(1s);  // the SYN again, after the initial RTO
        EXPECT_TRUE(t.next_sent());
    }
    t.advance(syn_ack_after);
    Seg synack = seg().syn().ack_(1).seq_(0);
    synack.src_port = 8080;
    synack.dst_port = syn ? syn->src_port : 0;
    t.peer_sends(synack);
    EXPECT_EQ(t.state_of(*id), TcpState::Established);
    return *id;
}

TEST(TcpSynSent, TheHandshakeGivesTheFirstRttSample) {
    TcpScript t;
    SocketId id = connect_with_handshake_rtt(t, 50ms, /*syn_lost=*/false);
    EXPECT_EQ(t.stack.info(id)->rto, Duration{250ms});  // 50 ms + max(200 ms, 4 x 25 ms)
}

TEST(TcpSynSent, ASynSentTwiceIsNotTimed) {
    TcpScript t;
    SocketId id = connect_with_handshake_rtt(t, 50ms, /*syn_lost=*/true);
    EXPECT_EQ(t.stack.info(id)->rto, Duration{2s});  // backed off, and no sample to bring it down
}

TEST(TcpSynSent, RstAckMeansRefused) {
    TcpScript t;
    auto id = t.stack.connect(Ipv4Address::from_octets(10, 0, 0, 1), 8080, t.app);
    ASSERT_TRUE(id.has_value());
    auto syn = t.next_sent();
    ASSERT_TRUE(syn);
    Seg rst = seg().rst().ack_(1).seq_(0);
    rst.src_port = 8080;
    rst.dst_port = syn->src_port;
    t.peer_sends(rst);
    ASSERT_EQ(t.app.closed.size(), 1u);
    EXPECT_EQ(t.app.closed[0].second, CloseReason::Refused);
}

// The peer's SYN again: our SYN,ACK was lost. A bare ACK (RFC 9293's answer to a segment below
// RCV.NXT) would be dropped by a peer in SYN-SENT; Linux sends the SYN,ACK again, at most every
// 500 ms, and restarts its timer. Its TSecr stays the first SYN's TSval (a long RTT sample for
// the peer, never a short one).
TEST(TcpSynReceived, ARetransmittedSynGetsTheSynAckAgain) {
    TcpScript t;
    t.peer_sends(seg().syn().seq_(0).mss_(1460).sack_perm().ts(100, 0));
    t.expect_sent(seg().syn().ack_(1).seq_(0).mss_(1460).ts(0, 100));
    t.advance(900ms);
    t.peer_sends(seg().syn().seq_(0).mss_(1460).sack_perm().ts(1000, 0));
    t.expect_sent(seg().syn().ack_(1).seq_(0).mss_(1460).sack_perm(true).ts(0, 100));
    t.expect_nothing();
    t.advance(300ms);  // 1,200 ms: the first timer (due at 1 s) was restarted
    t.peer_sends(seg().syn().seq_(0).mss_(1460).sack_perm().ts(1300, 0));
    t.expect_nothing();  // 300 ms after the last: rate-limited
    t.advance(699ms);    // the timer, restarted at 900 ms with the 1 s RTO, fires at 1,900 ms
    t.expect_nothing();
    t.advance(1ms);
    t.expect_sent(seg().syn().ack_(1).seq_(0).ts(0, 100));
    t.peer_sends(seg().ack_(1).seq_(1).ts(3000, 0));
    EXPECT_EQ(t.state(), TcpState::Established);
    EXPECT_EQ(t.app.accepted.size(), 1u);
}

}  // namespace tapstack::test
