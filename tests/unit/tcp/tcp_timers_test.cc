// SPDX-License-Identifier: MIT
// Delayed ACKs (RFC 1122 §4.2.3.2), Nagle's algorithm (RFC 896), keep-alives (RFC 1122
// §4.2.3.6), the user timeout (RFC 9293 §3.10.1) and how zero-window probing ends (RFC 1122
// §4.2.2.17), all in virtual time.
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
    t.write(id, as_bytes("pong"));
    t.poll();
    t.expect_sent(seg().ack_(21).seq_(1).psh().data("pong"));
    t.advance(100ms);
    t.expect_nothing();  // no separate delayed ACK after the piggybacked one
}

TEST(TcpDelayedAck, ZeroDelayAcknowledgesEverySegment) {
    StackConfig config;
    config.tcp.delayed_ack = Duration{0};
    TcpScript t(0, 1000, config);
    t.establish();
    use_up_quick_acks(t, 20);
}

TEST(TcpNagle, ASmallWriteWaitsWhileDataIsUnacknowledged) {
    TcpScript t;
    SocketId id = t.establish();
    t.write(id, as_bytes("first"));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("first"));  // nothing outstanding: goes
    t.write(id, as_bytes("second"));
    t.poll();
    t.expect_nothing();  // held until the ACK
    t.peer_sends(seg().ack_(6).seq_(1));
    t.expect_sent(seg().ack_(1).seq_(6).psh().data("second"));
}

TEST(TcpNagle, NodelaySendsSmallWritesAtOnce) {
    TcpScript t;
    SocketId id = t.establish();
    t.stack.set_nodelay(id, true);
    t.write(id, as_bytes("first"));
    t.poll();
    t.write(id, as_bytes("second"));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("first"));
    t.expect_sent(seg().ack_(1).seq_(6).psh().data("second"));
}

TEST(TcpNagle, ConfigSwitchTurnsItOffForEveryConnection) {
    StackConfig config;
    config.tcp.nagle = false;
    TcpScript t(0, 1000, config);
    SocketId id = t.establish();
    t.write(id, as_bytes("a"));
    t.poll();
    t.write(id, as_bytes("b"));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("a"));
    t.expect_sent(seg().ack_(1).seq_(2).psh().data("b"));
}

StackConfig keepalive_config() {
    StackConfig config;
    config.tcp.keepalive = KeepaliveSettings{true, 10s, 1s, 3};
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
    t.expect_sent(seg().rst().ack_(1).seq_(1));
    ASSERT_EQ(t.app.closed.size(), 1u);
    EXPECT_EQ(t.app.closed[0].second, CloseReason::TimedOut);
}

TEST(TcpKeepalive, PerConnectionSwitch) {
    StackConfig config = keepalive_config();
    config.tcp.keepalive.enabled = false;  // (an idle time shorter than the ARP entry's life)
    TcpScript t(0, 1000, config);
    SocketId id = t.establish();
    t.stack.set_keepalive(id, true);
    t.advance(10s);
    t.expect_sent(seg().ack_(1).seq_(0));
}

TEST(TcpUserTimeout, GivesUpWhenDataStaysUnacknowledgedThatLong) {
    StackConfig config = rto_only_config();
    config.tcp.user_timeout = 2500ms;
    config.tcp.max_retransmissions = 100;  // the time limit decides, not the count
    TcpScript t(0, 1000, config);
    SocketId id = t.establish();
    t.write(id, as_bytes("void"));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("void"));
    for (Duration rto : {200ms, 400ms, 800ms}) {  // retransmissions at 0.2, 0.6 and 1.4 s
        t.advance(rto);
        t.expect_sent(seg().ack_(1).seq_(1).psh().data("void"));
    }
    EXPECT_TRUE(t.app.closed.empty());
    t.advance(1600ms);   // 3 s: past the user timeout
    t.expect_nothing();  // no RST: the peer has been silent (Linux's tcp_write_err)
    ASSERT_EQ(t.app.closed.size(), 1u);
    EXPECT_EQ(t.app.closed[0].second, CloseReason::TimedOut);
    (void)id;
}

// Zero-window probing. The peer's window is shut and "waiting" is queued; `answer` says whether
// the peer acknowledges each probe (with its window still shut). Runs for at most `limit` of
// virtual time, a second at a time, and returns the probes seen before a RST (or the limit).
struct ProbeRun {
    uint32_t probes = 0;
    bool reset = false;
    Duration took{0};
};
ProbeRun probe_shut_window(TcpScript& t, bool answer, Duration limit) {
    ProbeRun run;
    for (Duration d{0}; d < limit && !run.reset; d += 1s) {
        t.advance(1s);
        while (auto s = t.next_sent()) {
            if (s->rst()) {
                run.reset = true;
                run.took = d + 1s;
                break;
            }
            EXPECT_TRUE(s->payload.empty()) << "only probes (no data) while the window is shut";
            ++run.probes;
            if (answer) t.peer_sends(seg().ack_(1).seq_(1).win(0));
        }
    }
    return run;
}

// The script's peer does not answer ARP: its entry must outlive the test.
StackConfig long_arp_config() {
    StackConfig config;
    config.arp_timeout = 24h;
    return config;
}

SocketId shut_window_with_data_queued(TcpScript& t) {
    SocketId id = t.establish();
    t.peer_sends(seg().ack_(1).seq_(1).win(0));
    t.write(id, as_bytes("waiting"));
    t.poll();
    t.expect_nothing();
    return id;
}

// As Linux's tcp_send_probe0: the first probe after one RTO (200 ms after a handshake of no time),
// then RTO·2^n after the n-th, answered or not. (Found by a packetdrill script: our second probe
// came one RTO after the first.)
TEST(TcpPersist, ProbesBackOffFromTheFirst) {
    TcpScript t;
    shut_window_with_data_queued(t);
    for (Duration wait : {200ms, 400ms, 800ms, 1600ms}) {
        t.advance(wait - 1ms);
        t.expect_nothing();
        t.advance(1ms);
        t.expect_sent(seg().ack_(1).seq_(0).data(""));
        t.peer_sends(seg().ack_(1).seq_(1).win(0));
        t.expect_nothing();
    }
}

TEST(TcpPersist, ProbesGoOnForHoursWhileThePeerAnswers) {
    TcpScript t(0, 1000, long_arp_config());
    SocketId id = shut_window_with_data_queued(t);
    ProbeRun run = probe_shut_window(t, /*answer=*/true, 3h);
    EXPECT_FALSE(run.reset);
    EXPECT_GT(run.probes, 150u);  // every 60 s once backed off
    EXPECT_EQ(t.state_of(id), TcpState::Established);
    t.peer_sends(seg().ack_(1).seq_(1).win(1000));
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("waiting"));
}

TEST(TcpPersist, UnansweredProbesGiveUpAfterMaxRetransmissions) {
    TcpScript t(0, 1000, long_arp_config());
    shut_window_with_data_queued(t);
    ProbeRun run = probe_shut_window(t, /*answer=*/false, 2h);
    EXPECT_TRUE(run.reset);
    EXPECT_EQ(run.probes, 15u);  // Linux's tcp_retries2
    ASSERT_EQ(t.app.closed.size(), 1u);
    EXPECT_EQ(t.app.closed[0].second, CloseReason::TimedOut);
}

TEST(TcpPersist, AUserTimeoutEndsProbingThatLong) {
    StackConfig config = long_arp_config();
    config.tcp.user_timeout = 30s;
    TcpScript t(0, 1000, config);
    shut_window_with_data_queued(t);
    ProbeRun run = probe_shut_window(t, /*answer=*/true, 2h);
    EXPECT_TRUE(run.reset);
    EXPECT_GE(run.took, 30s);
    // At the first probe due after 30 s: they go 0.2, 0.4, ... 25.6 s apart (the RTO after the
    // handshake, 200 ms, doubled each time), the one after 30 s at 51 s.
    EXPECT_LE(run.took, 30s + 25600ms + 1s);
}

// The fuzz target's finding: a server closed with its response queued behind a client's shut
// window, the client answering every probe, stayed in FIN-WAIT-1 for good.
TEST(TcpPersist, AnOrphanedConnectionGivesUpEvenWhenThePeerAnswers) {
    TcpScript t(0, 1000, long_arp_config());
    SocketId id = shut_window_with_data_queued(t);
    t.stack.close(id);
    t.poll();
    EXPECT_EQ(t.state(), TcpState::FinWait1);
    ProbeRun run = probe_shut_window(t, /*answer=*/true, 2h);
    EXPECT_TRUE(run.reset);
    EXPECT_GE(run.probes, 8u);  // Linux's tcp_orphan_retries, once backed off to the maximum
    EXPECT_LE(run.took, 5min);
    EXPECT_EQ(t.state(), TcpState::Closed);
}

}  // namespace
}  // namespace tapstack::test
