// SPDX-License-Identifier: MIT
// Loss recovery: retransmission on timeout with back-off (RFC 6298), Karn's rule, fast retransmit
// after three duplicate ACKs (RFC 5681), giving up after too many timeouts.
#include "tests/support/tcp_script.hh"

namespace tapstack::test {

TEST(TcpRetransmit, LostSegmentIsResentAfterTheTimeoutThenBackedOff) {
    TcpScript t;
    SocketId id = t.establish();
    t.write(id, as_bytes("lost"));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("lost"));
    t.advance(199ms);  // the RTO after a handshake of no time: 0 + 200 ms
    t.expect_nothing();
    t.advance(1ms);
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("lost"));
    t.advance(400ms);
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("lost"));
    t.peer_sends(seg().ack_(5).seq_(1));
    t.advance(10s);
    t.expect_nothing();
    EXPECT_EQ(t.stack.stats().tcp_connections_closed, 0u);
}

TEST(TcpRetransmit, RttSampleShortensTheTimeout) {
    TcpScript t;
    // The handshake is timed (as in Linux): a sample of 10 ms takes the RTO from the initial 1 s
    // to SRTT + max(200 ms, 4 RTTVAR) = 10 + max(200, 20) = 210 ms.
    SocketId id = t.establish(64240, 10ms);
    t.write(id, as_bytes("b"));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("b"));
    t.advance(209ms);
    t.expect_nothing();
    t.advance(1ms);
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("b"));
}

TEST(TcpRetransmit, ThreeDuplicateAcksTriggerFastRetransmit) {
    TcpScript t;
    SocketId id = t.establish();
    std::string data(5 * 1460, 'z');
    t.write(id, as_bytes(data));
    t.poll();
    for (uint32_t i = 0; i < 4; ++i) t.expect_sent(seg().ack_(1).seq_(1 + 1460 * i));
    t.expect_sent(seg().ack_(1).seq_(1 + 1460 * 4).psh());
    // The first segment is lost; the other four each produce a duplicate ACK.
    t.peer_sends(seg().ack_(1).seq_(1));
    t.peer_sends(seg().ack_(1).seq_(1));
    t.expect_nothing();
    t.peer_sends(seg().ack_(1).seq_(1));
    t.expect_sent(seg().ack_(1).seq_(1).data(std::string(1460, 'z')));  // at once, no timeout
    t.peer_sends(seg().ack_(1 + 5 * 1460).seq_(1));
    t.advance(5s);
    t.expect_nothing();
}

TEST(TcpRetransmit, PartialAckAfterTimeoutResendsTheRest) {
    TcpScript t(0, 1000, rto_only_config());
    SocketId id = t.establish();
    std::string data(3 * 1460, 'p');
    t.write(id, as_bytes(data));
    t.poll();
    for (int i = 0; i < 3; ++i) t.next_sent();
    t.advance(200ms);
    t.expect_sent(seg().ack_(1).seq_(1));  // cwnd is one segment after a timeout
    t.expect_nothing();
    t.peer_sends(seg().ack_(1461).seq_(1));
    t.expect_sent(seg().ack_(1).seq_(1461));
    t.expect_sent(seg().ack_(1).seq_(2921).psh());
}

TEST(TcpRetransmit, GivesUpAfterTooManyTimeoutsAndTellsTheApplication) {
    StackConfig config = rto_only_config();  // the timer counts, not the tail loss probes
    config.tcp.max_retransmissions = 3;
    TcpScript t(0, 1000, config);
    SocketId id = t.establish();
    t.write(id, as_bytes("nobody listens"));
    t.poll();
    t.advance(60s);
    ASSERT_EQ(t.app.closed.size(), 1u);
    EXPECT_EQ(t.app.closed[0].second, CloseReason::TimedOut);
    EXPECT_EQ(t.stack.connection_count(), 0u);
    // 1 original + 3 retransmissions, and no RST: the peer has answered nothing, and Linux's
    // tcp_write_err() sends none either.
    size_t data_segments = 0, resets = 0;
    while (auto s = t.next_sent()) {
        if (s->rst()) ++resets;
        else if (!s->payload.empty()) ++data_segments;
    }
    EXPECT_EQ(data_segments, 4u);
    EXPECT_EQ(resets, 0u);
}

// Linux's counts: 15 retransmissions (tcp_retries2) while the application holds the connection,
// 8 (tcp_orphan_retries) once it has closed it. At 20 % loss each way a segment and its ACK both
// get through with p = 0.64, so 9 failures in a row (p = 0.36^9) come now and then over the
// hundreds of timeouts of a 20 MB download: with 8 for every connection such a download was reset.
uint64_t retransmissions_until_giving_up(bool close_first) {
    TcpScript t(0, 1000, rto_only_config());  // the timer's tries, not the tail loss probes
    SocketId id = t.establish();
    t.write(id, as_bytes(std::string(100, 'd')));
    if (close_first) t.stack.close(id);
    t.poll();
    for (int i = 0; i < 30 && t.stack.connection_count() > 0; ++i) t.advance(60s);
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_EQ(t.stack.stats().tcp_resets_sent, 0u);
    return t.stack.stats().tcp_retransmissions;
}

TEST(TcpRetransmit, AHeldConnectionTriesFifteenTimesAnOrphanedOneEight) {
    EXPECT_EQ(retransmissions_until_giving_up(false), 15u);
    EXPECT_EQ(retransmissions_until_giving_up(true), 8u);
}

}  // namespace tapstack::test
