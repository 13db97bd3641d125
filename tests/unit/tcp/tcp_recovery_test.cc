// SPDX-License-Identifier: MIT
// Congestion control and loss recovery beyond the basics: slow start and congestion avoidance
// (RFC 5681), Karn's rule (RFC 6298 §3), NewReno's exit from recovery (RFC 6582) and SACK-based
// recovery that resends only the holes (RFC 6675). One behaviour per test, in virtual time.
#include "stack/tcp/tcp_connection.hh"
#include "tests/support/tcp_script.hh"

namespace tapstack::test {
namespace {

Seg full_syn() { return seg().syn().seq_(0).mss_(1460).win(64240).ws(7).sack_perm().ts(5000, 0); }

// A connection with timestamps and SACK; the peer's window (scaled by 2^7) is never the limit.
SocketId establish_with_sack(TcpScript& t) {
    t.peer_sends(full_syn());
    t.expect_sent(seg().syn().ack_(1).seq_(0).sack_perm());
    t.peer_sends(seg().ack_(1).seq_(1).win(2000).ts(5001, 0));
    return t.app.last;
}

constexpr uint32_t seg_len = 1448;                   // 1460 less 12 bytes of timestamps
uint32_t at(uint32_t n) { return 1 + n * seg_len; }  // relative sequence number of segment n

TEST(TcpCongestion, SlowStartAddsOneSegmentPerAckThenAvoidanceOnePerWindow) {
    TcpScript t;
    SocketId id = t.establish();
    EXPECT_EQ(t.stack.info(id)->cwnd, 10u * 1460);  // RFC 6928 initial window
    std::string data(4 * 1460, 'c');
    t.write(id, as_bytes(data));
    t.poll();
    t.peer_sends(seg().ack_(1461).seq_(1));
    EXPECT_EQ(t.stack.info(id)->cwnd, 11u * 1460);
    t.peer_sends(seg().ack_(2921).seq_(1));
    EXPECT_EQ(t.stack.info(id)->cwnd, 12u * 1460);
}

TEST(TcpCongestion, TimeoutHalvesSsthreshAndRestartsFromOneSegment) {
    TcpScript t(0, 1000, rto_only_config());
    SocketId id = t.establish();
    std::string data(4 * 1460, 'c');
    t.write(id, as_bytes(data));
    t.poll();
    t.advance(200ms);
    auto i = t.stack.info(id);
    EXPECT_EQ(i->cwnd, 1460u);
    EXPECT_EQ(i->ssthresh, 2u * 1460);   // max(FlightSize / 2, 2 SMSS)
    EXPECT_EQ(i->rto, Duration{400ms});  // backed off from the handshake's 200 ms
}

TEST(TcpCongestion, KarnIgnoresTheAckOfARetransmittedSegment) {
    TcpScript t;
    SocketId id = t.establish();
    t.write(id, as_bytes("k"));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("k"));
    t.advance(200ms);
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("k"));
    t.advance(5ms);
    t.peer_sends(seg().ack_(2).seq_(1));
    // Was it the first copy or the second that arrived? Unknown, so no sample: the RTO stays
    // backed off (200 ms after the handshake, doubled).
    EXPECT_EQ(t.stack.info(id)->rto, Duration{400ms});
}

TEST(TcpCongestion, NewRenoLeavesRecoveryOnTheAckOfEverythingSentBefore) {
    TcpScript t;
    SocketId id = t.establish();
    std::string data(6 * 1460, 'n');
    t.write(id, as_bytes(data));
    t.poll();
    for (int i = 0; i < 3; ++i) t.peer_sends(seg().ack_(1).seq_(1));
    EXPECT_TRUE(t.stack.info(id)->in_recovery);
    uint32_t ssthresh = t.stack.info(id)->ssthresh;
    EXPECT_EQ(ssthresh, 3u * 1460);                  // half of six segments in flight
    t.peer_sends(seg().ack_(1 + 3 * 1460).seq_(1));  // partial: still recovering
    EXPECT_TRUE(t.stack.info(id)->in_recovery);
    t.peer_sends(seg().ack_(1 + 6 * 1460).seq_(1));  // all of it
    EXPECT_FALSE(t.stack.info(id)->in_recovery);
    EXPECT_LE(t.stack.info(id)->cwnd, ssthresh);
    // A later loss can start a new recovery (the old recovery point was passed).
    t.write(id, as_bytes(data));
    t.poll();
    for (int i = 0; i < 3; ++i) t.peer_sends(seg().ack_(1 + 6 * 1460).seq_(1));
    EXPECT_TRUE(t.stack.info(id)->in_recovery);
}

TEST(TcpLossDetection, LimitedTransmitSendsANewSegmentForEachOfTheFirstTwoDuplicates) {
    TcpScript t;
    SocketId id = t.establish();
    std::string data(12 * 1460, 'l');
    t.write(id, as_bytes(data));
    t.poll();
    for (uint32_t n = 0; n < 10; ++n) t.expect_sent(seg().ack_(1).seq_(1 + n * 1460));  // cwnd: 10
    t.expect_nothing();
    t.peer_sends(seg().ack_(1).seq_(1));
    t.expect_sent(seg().ack_(1).seq_(1 + 10 * 1460));  // RFC 3042
    t.peer_sends(seg().ack_(1).seq_(1));
    t.expect_sent(seg().ack_(1).seq_(1 + 11 * 1460).psh());
    t.peer_sends(seg().ack_(1).seq_(1));
    t.expect_sent(seg().ack_(1).seq_(1));  // the third: fast retransmit
}

TEST(TcpLossDetection, EarlyRetransmitWithFewSegmentsOutstanding) {
    TcpScript t;
    SocketId id = t.establish();
    std::string data(3 * 1460, 'e');
    t.write(id, as_bytes(data));
    t.poll();
    for (int n = 0; n < 3; ++n) t.next_sent();
    t.peer_sends(seg().ack_(1).seq_(1));
    t.expect_nothing();
    // Three segments out and nothing left to send: two duplicates are all that can come.
    t.peer_sends(seg().ack_(1).seq_(1));
    t.expect_sent(seg().ack_(1).seq_(1));
}

TEST(TcpLossDetection, TailLossProbeResendsTheLastSegmentBeforeTheTimeout) {
    TcpScript t;
    SocketId id = t.establish(64240, 10ms);  // the handshake's sample: SRTT 10 ms, RTTVAR 5 ms
    std::string data(2 * 1460, 't');
    t.write(id, as_bytes(data));
    t.poll();
    t.next_sent();
    t.next_sent();
    t.advance(29ms);
    t.expect_nothing();
    t.advance(1ms);  // PTO = SRTT + 4 RTTVAR: 30 ms after one sample (more than 2 SRTT)
    t.expect_sent(seg().ack_(1).seq_(1 + 1460).psh());
    t.advance(59ms);
    t.expect_nothing();
    t.advance(1ms);  // no answer: a second probe after twice the time
    t.expect_sent(seg().ack_(1).seq_(1 + 1460).psh());
    t.advance(150ms);
    t.expect_nothing();  // then only the retransmission timer
}

TEST(TcpLossDetection, TailLossProbeWaitsForTheRttVariance) {
    TcpScript t;
    SocketId id = t.establish(64240, 1ms);  // first sample 1 ms: SRTT 1 ms, RTTVAR 0.5 ms
    std::string data(2 * 1460, 't');
    t.write(id, as_bytes(data));
    t.poll();
    t.next_sent();
    t.next_sent();
    t.advance(3ms - 1us);  // 2 SRTT = 2 ms would have probed already; SRTT + 4 RTTVAR = 3 ms
    t.expect_nothing();
    t.advance(1us);
    t.expect_sent(seg().ack_(1).seq_(1 + 1460).psh());
}

TEST(TcpLossDetection, AProbeAnsweredWithSackStartsRecovery) {
    TcpScript t;
    SocketId id = establish_with_sack(t);
    t.write(id, as_bytes("a"));
    t.poll();
    t.next_sent();
    t.advance(10ms);
    t.peer_sends(seg().ack_(2).seq_(1).win(2000).ts(5002, 0));  // SRTT 10 ms
    std::string data(3 * seg_len, 'p');
    t.write(id, as_bytes(data));
    t.poll();
    for (int n = 0; n < 3; ++n) t.next_sent();
    t.advance(30ms);                                           // PTO: SRTT + 4 RTTVAR after one sample
    t.expect_sent(seg().ack_(1).seq_(2 + 2 * seg_len).psh());  // the probe: the last segment
    // The peer holds only the last segment: the first two were lost. One SACK, no three
    // duplicates; after RTT + RTT/4 (RACK) the first hole is called lost.
    t.peer_sends(seg().ack_(2).seq_(1).win(2000).sacks({{2 + 2 * seg_len, 2 + 3 * seg_len}}).ts(5003, 0));
    t.expect_nothing();
    t.advance(12500us);
    t.expect_sent(seg().ack_(1).seq_(2));
    EXPECT_TRUE(t.stack.info(id)->in_recovery);
}

TEST(TcpSackRecovery, OnlyTheHolesAreResent) {
    TcpScript t;
    SocketId id = establish_with_sack(t);
    std::string data(8 * seg_len, 's');
    t.write(id, as_bytes(data));
    t.poll();
    for (uint32_t n = 0; n < 7; ++n) t.expect_sent(seg().ack_(1).seq_(at(n)));
    t.expect_sent(seg().ack_(1).seq_(at(7)).psh());
    // Segments 0 and 2 are lost. The SACKs for 1, 3 and 4 tell us before three duplicate ACKs.
    t.peer_sends(seg().ack_(1).seq_(1).win(2000).sacks({{at(1), at(2)}}).ts(5002, 0));
    t.expect_nothing();
    t.peer_sends(seg().ack_(1).seq_(1).win(2000).sacks({{at(3), at(5)}, {at(1), at(2)}}).ts(5003, 0));
    t.expect_sent(seg().ack_(1).seq_(at(0)).data(std::string(seg_len, 's')));  // the first hole
    EXPECT_TRUE(t.stack.info(id)->in_recovery);
    // More SACKs shrink the pipe: the second hole goes too, and nothing the peer holds.
    t.peer_sends(seg().ack_(1).seq_(1).win(2000).sacks({{at(3), at(8)}, {at(1), at(2)}}).ts(5004, 0));
    t.expect_sent(seg().ack_(1).seq_(at(2)).data(std::string(seg_len, 's')));
    t.expect_nothing();
    t.peer_sends(seg().ack_(at(2)).seq_(1).win(2000).sacks({{at(3), at(8)}}).ts(5005, 0));
    t.expect_nothing();  // a partial ACK for a hole already resent
    t.peer_sends(seg().ack_(at(8)).seq_(1).win(2000).ts(5006, 0));
    EXPECT_FALSE(t.stack.info(id)->in_recovery);
    EXPECT_EQ(t.stack.info(id)->retransmissions, 2u);
    t.advance(5s);
    t.expect_nothing();
}

TEST(TcpSackRecovery, AfterATimeoutSackedDataIsNotSentAgain) {
    TcpScript t(0, 1000, rto_only_config());  // else the probe timer finds segment 0 lost first
    SocketId id = establish_with_sack(t);
    std::string data(4 * seg_len, 'r');
    t.write(id, as_bytes(data));
    t.poll();
    for (uint32_t n = 0; n < 4; ++n) t.next_sent();
    // Segment 0 lost; only segment 3 was SACKed (too little for fast retransmit).
    t.peer_sends(seg().ack_(1).seq_(1).win(2000).sacks({{at(3), at(4)}}).ts(5002, 0));
    t.expect_nothing();
    t.advance(200ms);
    t.expect_sent(seg().ack_(1).seq_(at(0)));
    t.peer_sends(seg().ack_(at(1)).seq_(1).win(2000).sacks({{at(3), at(4)}}).ts(5003, 0));
    t.expect_sent(seg().ack_(1).seq_(at(1)));
    t.expect_sent(seg().ack_(1).seq_(at(2)));
    t.expect_nothing();  // segment 3 is with the peer already
    t.peer_sends(seg().ack_(at(4)).seq_(1).win(2000).ts(5004, 0));
    EXPECT_EQ(t.stack.info(id)->retransmissions, 3u);
}

TEST(TcpSackRecovery, ALostRetransmissionIsSentAgainOnceLaterDataIsSacked) {
    TcpScript t;
    SocketId id = establish_with_sack(t);
    std::string data(4 * seg_len, 'L');
    t.write(id, as_bytes(data));
    t.poll();
    for (uint32_t n = 0; n < 4; ++n) t.next_sent();
    t.peer_sends(seg().ack_(1).seq_(1).win(2000).sacks({{at(1), at(4)}}).ts(5002, 0));
    t.expect_sent(seg().ack_(1).seq_(at(0)));  // fast retransmit
    t.write(id, as_bytes(std::string(seg_len, 'M')));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(at(4)).psh());  // new data, sent after the retransmission
    t.expect_nothing();
    // The new segment arrived, the retransmitted one did not: it was lost too.
    t.peer_sends(seg().ack_(1).seq_(1).win(2000).sacks({{at(1), at(5)}}).ts(5003, 0));
    t.expect_sent(seg().ack_(1).seq_(at(0)));
    t.peer_sends(seg().ack_(at(5)).seq_(1).win(2000).ts(5004, 0));
    EXPECT_FALSE(t.stack.info(id)->in_recovery);
    EXPECT_EQ(t.stack.info(id)->retransmissions, 2u);
}

TEST(TcpSackRecovery, BlocksForDataNeverSentAreIgnored) {
    TcpScript t;
    SocketId id = establish_with_sack(t);
    t.write(id, as_bytes("abc"));
    t.poll();
    t.next_sent();
    for (int i = 0; i < 3; ++i) t.peer_sends(seg().ack_(1).seq_(1).win(2000).sacks({{100000, 200000}}).ts(5002, 0));
    EXPECT_EQ(t.stack.info(id)->retransmissions, 1u);  // three duplicate ACKs, nothing more
}

TEST(TcpTimestamps, RttIsMeasuredFromTheEchoAcrossRetransmissions) {
    TcpScript t;
    SocketId id = establish_with_sack(t);
    auto our_tsval = [&] {
        auto s = t.next_sent();
        return s && s->options.timestamps ? s->options.timestamps->value : 0;
    };
    t.write(id, as_bytes("x"));
    t.poll();
    (void)our_tsval();
    t.advance(200ms);
    uint32_t resent = our_tsval();  // the retransmission carries a new TSval
    t.advance(20ms);
    // The echo names the copy that arrived: a valid sample of 20 ms despite Karn (without it the
    // RTO would stay backed off at 400 ms). After the handshake's sample of 0: SRTT 2.5 ms,
    // RTTVAR 5 ms, RTO = 2.5 ms + max(200 ms, 20 ms).
    t.peer_sends(seg().ack_(2).seq_(1).win(2000).ts(5002, resent));
    EXPECT_EQ(t.stack.info(id)->rto, Duration{202500us});
}

}  // namespace
}  // namespace tapstack::test
