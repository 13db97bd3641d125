// SPDX-License-Identifier: MIT
// Segments a connection discards are counted by reason, like the frames the layers below drop
// (stats.hh, TcpEnvironment::segment_dropped): one counter per step of RFC 9293 §3.10.7.4 that
// says "drop the segment", through the whole stack, so --stats shows them.
#include "tests/support/conn_script.hh"
#include "tests/support/tcp_script.hh"

namespace tapstack::test {

TEST(TcpDropCounters, PawsRejectedSegmentIsCountedAndAcknowledged) {
    TcpScript t;
    t.peer_sends(seg().syn().seq_(0).mss_(1460).win(64240).ts(5000, 0));
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().ack_(1).seq_(1).ts(6000, 0));
    // In window, but its timestamp is older than TS.Recent (RFC 7323 §5.3 R1).
    t.peer_sends(seg().ack_(1).seq_(1).psh().data("old").ts(5999, 0));
    t.expect_sent(seg().ack_(1).seq_(1).ts(0, 6000));
    EXPECT_EQ(t.stack.stats().drops(DropReason::TcpPaws), 1u);
    EXPECT_EQ(t.app.received, "");
}

TEST(TcpDropCounters, SegmentOutsideTheWindowIsCountedAndAcknowledged) {
    TcpScript t;
    t.establish();
    t.peer_sends(seg().ack_(1).seq_(1'000'000).data("far"));
    t.expect_sent(seg().ack_(1).seq_(1));
    EXPECT_EQ(t.stack.stats().drops(DropReason::TcpOutOfWindow), 1u);
}

TEST(TcpDropCounters, RstInTheWindowButNotAtRcvNxtIsCountedAndChallenged) {
    TcpScript t;
    t.establish();
    t.peer_sends(seg().rst().seq_(100));
    t.expect_sent(seg().ack_(1).seq_(1));  // RFC 5961 §3.2: the challenge ACK
    EXPECT_EQ(t.stack.stats().drops(DropReason::TcpRstNotExact), 1u);
    EXPECT_EQ(t.state(), TcpState::Established);
}

TEST(TcpDropCounters, SynInEstablishedIsCounted) {
    TcpScript t;
    t.establish();
    t.peer_sends(seg().syn().seq_(5000));
    t.expect_sent(seg().ack_(1).seq_(1));
    EXPECT_EQ(t.stack.stats().drops(DropReason::TcpSynUnexpected), 1u);
}

TEST(TcpDropCounters, SegmentWithoutAckAfterTheHandshakeIsCounted) {
    TcpScript t;
    t.establish();
    t.peer_sends(seg().seq_(1).data("no ack"));
    t.expect_nothing();
    EXPECT_EQ(t.stack.stats().drops(DropReason::TcpNoAck), 1u);
    EXPECT_EQ(t.app.received, "");
}

TEST(TcpDropCounters, AckForDataNeverSentIsCountedAndChallenged) {
    TcpScript t;
    t.establish();
    t.peer_sends(seg().ack_(5000).seq_(1).data("x"));
    t.expect_sent(seg().ack_(1).seq_(1));  // RFC 5961 §5.2
    EXPECT_EQ(t.stack.stats().drops(DropReason::TcpAckUnacceptable), 1u);
    EXPECT_EQ(t.app.received, "");
}

TEST(TcpDropCounters, BadAckInSynReceivedIsCountedAndReset) {
    TcpScript t;
    t.peer_sends(seg().syn().seq_(0).mss_(1460));
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().ack_(77).seq_(1));
    auto rst = t.next_sent();
    ASSERT_TRUE(rst);
    EXPECT_TRUE(rst->rst());
    EXPECT_EQ(t.stack.stats().drops(DropReason::TcpAckUnacceptable), 1u);
}

TEST(TcpDropCounters, TextBeyondTheOutOfOrderRangesWeKeepIsCounted) {
    TcpScript t;
    t.establish();
    // Every second byte: each segment needs a range of its own, and 16 is the most we keep.
    for (uint32_t i = 0; i <= Reassembler::max_ranges; ++i) t.peer_sends(seg().ack_(1).seq_(3 + 2 * i).data("x"));
    while (t.next_sent()) {
    }
    EXPECT_EQ(t.stack.stats().drops(DropReason::TcpReassemblyFull), 1u);
}

TEST(TcpDropCounters, TheConnectionReportsEachDropToItsEnvironment) {
    ConnScript t;  // no stack: the hook alone
    t.establish();
    t.peer_sends(seg().rst().seq_(100));
    t.peer_sends(seg().ack_(1).seq_(1'000'000).data("far"));
    EXPECT_EQ(t.dropped, (std::vector<DropReason>{DropReason::TcpRstNotExact, DropReason::TcpOutOfWindow}));
}

TEST(TcpDropCounters, NamesAreTheOnesStatsPrints) {
    EXPECT_EQ(to_string(DropReason::TcpPaws), "tcp_paws");
    EXPECT_EQ(to_string(DropReason::TcpOutOfWindow), "tcp_out_of_window");
    EXPECT_EQ(to_string(DropReason::TcpRstNotExact), "tcp_rst_not_exact");
    EXPECT_EQ(to_string(DropReason::TcpSynUnexpected), "tcp_syn_unexpected");
    EXPECT_EQ(to_string(DropReason::TcpNoAck), "tcp_no_ack");
    EXPECT_EQ(to_string(DropReason::TcpAckUnacceptable), "tcp_ack_unacceptable");
    EXPECT_EQ(to_string(DropReason::TcpReceiveBufferFull), "tcp_receive_buffer_full");
    EXPECT_EQ(to_string(DropReason::TcpReassemblyFull), "tcp_reassembly_full");
    EXPECT_EQ(to_string(DropReason::FrameTooLarge), "frame_too_large");
}

}  // namespace tapstack::test
