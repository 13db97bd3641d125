// SPDX-License-Identifier: MIT
// Delayed ACKs (RFC 1122 §4.2.3.2), Nagle's algorithm (RFC 896), keep-alives (RFC 1122
// §4.2.3.6) and the user timeout (RFC 9293 §3.10.1), all in virtual time.
#include "tests/support/tcp_script.hh"

namespace tapstack::test {
namespace {

// Sends `n` one-byte segments, each acknowledged at once while quick ACKs last.
void use_up_quick_acks(TcpScript& t, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
        t.peer_sends(seg().ack_(1).seq_(1 + i).data("q"));
        t.expect_sent(seg().ack_(1).ack_(2 + i));
    }
}

TEST(TcpDelayedAck, TheFirstSegmentsAreAcknowledgedAtOnce) {
    TcpScript t;
    t.establish();
    use_up_quick_acks(t, 16);  // also: the article's request gets its own ACK (No10)
}

TEST(TcpDelayedAck, LaterASingleSegmentWaitsForTheTimer) {
    TcpScript t;
    t.establish();
    use_up_quick_acks(t, 16);
    t.peer_sends(seg().ack_(1).seq_(17).data("d"));
    t.expect_nothing();
    t.advance(39ms);
    t.expect_nothing();
    t.advance(1ms);
    t.expect_sent(seg().ack_(1).ack_(18));
}

TEST(TcpDelayedAck, EverySecondFullSizedSegmentIsAcknowledged) {
    TcpScript t;
    t.establish();
    use_up_quick_acks(t, 16);
    std::string full(536, 'f');  // the largest segment seen so far counts as full-sized
    t.peer_sends(seg().ack_(1).seq_(17).data(full));
    t.expect_nothing();
    t.peer_sends(seg().ack_(1).seq_(17 + 536).data(full));
    t.expect_sent(seg().ack_(1).ack_(17 + 2 * 536));
}

TEST(TcpDelayedAck, OutOfOrderDataIsAcknowledgedAtOnceOnePerSegment) {
    TcpScript t;
    t.establish();
    use_up_quick_acks(t, 16);
    t.peer_sends(seg().ack_(1).seq_(20).data("x"));
    t.expect_sent(seg().ack_(1).ack_(17));
    t.peer_sends(seg().ack_(1).seq_(22).data("y"));
    t.expect_sent(seg().ack_(1).ack_(17));
    t.peer_sends(seg().ack_(1).seq_(17).data("abc"));  // fills part of the hole
    t.expect_sent(seg().ack_(1).ack_(21));
}

TEST(TcpDelayedAck, ReplyDataCarriesTheAck) {
    TcpScript t;
    SocketId id = t.establish();
    use_up_quick_acks(t, 16);
    t.peer_sends(seg().ack_(1).seq_(17).data("ping"));
    t.stack.write(id, as_bytes("pong"));
    t.poll();
    t.expect_sent(seg().ack_(21).seq_(1).psh().data("pong"));
    t.advance(100ms);
    t.expect_nothing();  // no separate delayed ACK after the piggybacked one
}

TEST(TcpDelayedAck, ZeroDelayAcknowledgesEverySegment) {
    StackConfig config;
    config.delayed_ack = Duration{0};
    TcpScript t(0, 1000, config);
    t.establish();
    use_up_quick_acks(t, 20);
}

TEST(TcpNagle, ASmallWriteWaitsWhileDataIsUnacknowledged) {
    TcpScript t;
    SocketId id = t.establish();
    t.stack.write(id, as_bytes("first"));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("first"));  // nothing outstanding: goes
    t.stack.write(id, as_bytes("second"));
    t.poll();
    t.expect_nothing();  // held until the ACK
    t.peer_sends(seg().ack_(6).seq_(1));
    t.expect_sent(seg().ack_(1).seq_(6).psh().data("second"));
}

TEST(TcpNagle, NodelaySendsSmallWritesAtOnce) {
    TcpScript t;
    SocketId id = t.establish();
    t.stack.set_nodelay(id, true);
    t.stack.write(id, as_bytes("first"));
    t.poll();
    t.stack.write(id, as_bytes("second"));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("first"));
    t.expect_sent(seg().ack_(1).seq_(6).psh().data("second"));
}

TEST(TcpNagle, ConfigSwitchTurnsItOffForEveryConnection) {
    StackConfig config;
    config.nagle = false;
    TcpScript t(0, 1000, config);
    SocketId id = t.establish();
    t.stack.write(id, as_bytes("a"));
    t.poll();
    t.stack.write(id, as_bytes("b"));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("a"));
    t.expect_sent(seg().ack_(1).seq_(2).psh().data("b"));
}

StackConfig keepalive_config() {
    StackConfig config;
    config.keepalive = KeepaliveSettings{true, 10s, 1s, 3};
    return config;
}

TEST(TcpKeepalive, OffByDefault) {
    TcpScript t;
    t.establish();
    t.advance(3h);
    t.expect_nothing();
}

TEST(TcpKeepalive, AnIdleConnectionIsProbedAndTheAnswerKeepsIt) {
    TcpScript t(0, 1000, keepalive_config());
    SocketId id = t.establish();
    t.advance(9999ms);
    t.expect_nothing();
    t.advance(1ms);
    t.expect_sent(seg().ack_(1).seq_(0));  // SND.NXT - 1: the peer must answer with an ACK
    t.peer_sends(seg().ack_(1).seq_(1));
    t.advance(9s);
    t.expect_nothing();  // the answer restarted the idle time
    EXPECT_EQ(t.state_of(id), TcpState::Established);
}

TEST(TcpKeepalive, UnansweredProbesDropTheConnection) {
    TcpScript t(0, 1000, keepalive_config());
    t.establish();
    t.advance(10s);
    t.expect_sent(seg().ack_(1).seq_(0));
    t.advance(1s);
    t.expect_sent(seg().ack_(1).seq_(0));
    t.advance(1s);
    t.expect_sent(seg().ack_(1).seq_(0));
    EXPECT_TRUE(t.app.closed.empty());
    t.advance(1s);
    t.expect_sent(seg().rst().seq_(1));
    ASSERT_EQ(t.app.closed.size(), 1u);
    EXPECT_EQ(t.app.closed[0].second, CloseReason::TimedOut);
}

TEST(TcpKeepalive, PerConnectionSwitch) {
    StackConfig config = keepalive_config();
    config.keepalive.enabled = false;  // (an idle time shorter than the ARP entry's life)
    TcpScript t(0, 1000, config);
    SocketId id = t.establish();
    t.stack.set_keepalive(id, true);
    t.advance(10s);
    t.expect_sent(seg().ack_(1).seq_(0));
}

TEST(TcpUserTimeout, GivesUpWhenDataStaysUnacknowledgedThatLong) {
    StackConfig config;
    config.user_timeout = 2500ms;
    config.max_retransmissions = 100;  // the time limit decides, not the count
    TcpScript t(0, 1000, config);
    SocketId id = t.establish();
    t.stack.write(id, as_bytes("void"));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("void"));
    t.advance(1s);
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("void"));  // 1 s: retransmission
    EXPECT_TRUE(t.app.closed.empty());
    t.advance(2s);                              // 3 s: past the user timeout
    t.expect_sent(seg().rst().seq_(5));
    ASSERT_EQ(t.app.closed.size(), 1u);
    EXPECT_EQ(t.app.closed[0].second, CloseReason::TimedOut);
    (void)id;
}

}  // namespace
}  // namespace tapstack::test
