// SPDX-License-Identifier: MIT
// NewReno alone (stack/tcp/congestion.hh), without a connection: the window through slow start,
// congestion avoidance, fast recovery with and without SACK, partial and full ACKs, and a
// timeout. SMSS is 1000 bytes so that the RFC 5681 / RFC 6582 arithmetic reads directly.
#include <gtest/gtest.h>

#include <cstdint>

#include "stack/tcp/congestion.hh"

namespace tapstack {
namespace {

constexpr uint32_t smss = 1000;

NewReno connected() {
    NewReno c;
    c.on_connected(smss);
    return c;
}

TEST(NewReno, StartsWithTenSegmentsAndNoThreshold) {
    NewReno c = connected();
    EXPECT_EQ(c.cwnd(), 10 * smss);       // RFC 6928
    EXPECT_EQ(c.ssthresh(), UINT32_MAX);  // RFC 5681 §3.1: "arbitrarily high"
}

TEST(NewReno, SlowStartAddsWhatWasAcknowledgedUpToOneSegmentPerAck) {
    NewReno c = connected();
    c.on_ack(500, smss);
    EXPECT_EQ(c.cwnd(), 10 * smss + 500);
    c.on_ack(3000, smss);  // RFC 5681 eq. 2: min(N, SMSS)
    EXPECT_EQ(c.cwnd(), 11 * smss + 500);
}

TEST(NewReno, AckOfOnlyASynOrFinLeavesTheWindowAlone) {
    NewReno c = connected();
    c.on_ack(0, smss);
    EXPECT_EQ(c.cwnd(), 10 * smss);
}

TEST(NewReno, CongestionAvoidanceAddsSmssSquaredOverCwndPerAck) {
    NewReno c = connected();
    c.on_retransmit_timeout(8 * smss, smss);  // ssthresh 4000, cwnd 1000
    for (int i = 0; i < 3; ++i) c.on_ack(smss, smss);
    EXPECT_EQ(c.cwnd(), 4 * smss);  // slow start up to ssthresh
    c.on_ack(smss, smss);
    EXPECT_EQ(c.cwnd(), 4 * smss + 250);  // RFC 5681 eq. 3: SMSS*SMSS/cwnd
    c.on_ack(smss, smss);
    EXPECT_EQ(c.cwnd(), 4 * smss + 250 + smss * smss / (4 * smss + 250));
}

TEST(NewReno, DuplicateAcksOutsideRecoveryChangeNothing) {
    NewReno c = connected();
    for (uint32_t n = 1; n <= 5; ++n) c.on_duplicate_ack(n, smss);
    EXPECT_EQ(c.cwnd(), 10 * smss);
    EXPECT_EQ(c.ssthresh(), UINT32_MAX);
}

TEST(NewReno, ThreeDuplicateAcksHalveAndInflateByThreeSegments) {
    NewReno c = connected();
    c.on_enter_recovery(10 * smss, smss, /*sack=*/false);
    EXPECT_EQ(c.ssthresh(), 5 * smss);         // RFC 5681 §3.2 (4): FlightSize / 2
    EXPECT_EQ(c.cwnd(), 5 * smss + 3 * smss);  // ssthresh + 3 SMSS
    c.on_duplicate_ack(3, smss);               // the third, already counted
    EXPECT_EQ(c.cwnd(), 8 * smss);
    c.on_duplicate_ack(4, smss);  // each further one inflates by one SMSS
    EXPECT_EQ(c.cwnd(), 9 * smss);
}

TEST(NewReno, SsthreshIsAtLeastTwoSegments) {
    NewReno c = connected();
    c.on_enter_recovery(3 * smss, smss, false);
    EXPECT_EQ(c.ssthresh(), 2 * smss);
}

TEST(NewReno, PartialAckDeflatesByWhatWasAckedAndAddsOneSegmentBack) {
    NewReno c = connected();
    c.on_enter_recovery(10 * smss, smss, false);  // cwnd 8000
    c.on_partial_ack(2 * smss, smss);             // RFC 6582 §3.2 step 5
    EXPECT_EQ(c.cwnd(), 8 * smss - 2 * smss + smss);
    c.on_partial_ack(500, smss);  // less than one SMSS: nothing added back
    EXPECT_EQ(c.cwnd(), 7 * smss - 500);
    c.on_partial_ack(100 * smss, smss);  // never below one segment
    EXPECT_EQ(c.cwnd(), smss);
}

TEST(NewReno, FullAckEndsRecoveryAtMostAtSsthresh) {
    NewReno c = connected();
    c.on_enter_recovery(10 * smss, smss, false);
    c.on_recovery_exit(10 * smss, smss);  // RFC 6582 §3.2 step 3 option 1: min(ssthresh, ...)
    EXPECT_EQ(c.cwnd(), 5 * smss);
    c.on_duplicate_ack(4, smss);  // recovery is over: no more inflation
    EXPECT_EQ(c.cwnd(), 5 * smss);
}

TEST(NewReno, FullAckWithLittleInFlightLeavesFlightSizePlusOneSegment) {
    NewReno c = connected();
    c.on_enter_recovery(10 * smss, smss, false);
    c.on_recovery_exit(2 * smss, smss);  // max(FlightSize, SMSS) + SMSS
    EXPECT_EQ(c.cwnd(), 3 * smss);
    NewReno d = connected();
    d.on_enter_recovery(10 * smss, smss, false);
    d.on_recovery_exit(0, smss);  // nothing in flight: still two segments
    EXPECT_EQ(d.cwnd(), 2 * smss);
}

TEST(NewReno, SackRecoveryNeitherInflatesNorDeflates) {
    NewReno c = connected();
    c.on_enter_recovery(10 * smss, smss, /*sack=*/true);
    EXPECT_EQ(c.ssthresh(), 5 * smss);
    EXPECT_EQ(c.cwnd(), 5 * smss);  // RFC 6675 §5: cwnd = ssthresh; the pipe does the rest
    c.on_duplicate_ack(5, smss);
    c.on_partial_ack(2 * smss, smss);
    EXPECT_EQ(c.cwnd(), 5 * smss);
    c.on_recovery_exit(smss, smss);  // RFC 6675: cwnd = ssthresh
    EXPECT_EQ(c.cwnd(), 5 * smss);
}

TEST(NewReno, TimeoutHalvesAndRestartsFromOneSegment) {
    NewReno c = connected();
    c.on_retransmit_timeout(6 * smss, smss);  // RFC 5681 §3.1 eq. 4
    EXPECT_EQ(c.ssthresh(), 3 * smss);
    EXPECT_EQ(c.cwnd(), smss);
    c.on_retransmit_timeout(smss, smss);
    EXPECT_EQ(c.ssthresh(), 2 * smss);
}

TEST(NewReno, TimeoutInRecoveryEndsIt) {
    NewReno c = connected();
    c.on_enter_recovery(10 * smss, smss, false);
    c.on_retransmit_timeout(10 * smss, smss);
    c.on_duplicate_ack(4, smss);
    c.on_partial_ack(smss, smss);
    EXPECT_EQ(c.cwnd(), smss);
    c.on_ack(smss, smss);  // slow start again
    EXPECT_EQ(c.cwnd(), 2 * smss);
}

TEST(AnyController, ForwardsToTheChosenControllerWithoutAllocating) {
    AnyController c{CongestionControl::NewReno};
    EXPECT_EQ(c.kind(), CongestionControl::NewReno);
    EXPECT_EQ(to_string(c.kind()), "newreno");
    c.on_connected(smss);
    c.on_ack(smss, smss);
    EXPECT_EQ(c.cwnd(), 11 * smss);
    c.on_enter_recovery(10 * smss, smss, false);
    c.on_duplicate_ack(4, smss);
    c.on_partial_ack(smss, smss);
    EXPECT_EQ(c.cwnd(), 9 * smss);
    c.on_recovery_exit(10 * smss, smss);
    EXPECT_EQ(c.cwnd(), 5 * smss);
    c.on_retransmit_timeout(4 * smss, smss);
    EXPECT_EQ(c.cwnd(), smss);
    EXPECT_EQ(c.ssthresh(), 2 * smss);
    static_assert(sizeof(AnyController) <= 16, "held by value in every connection");
}

}  // namespace
}  // namespace tapstack
