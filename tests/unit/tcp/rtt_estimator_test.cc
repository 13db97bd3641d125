// SPDX-License-Identifier: MIT
// RttEstimator alone (stack/tcp/rtt_estimator.hh): RFC 6298 §2's arithmetic, the 200 ms / 60 s
// bounds, back-off, Karn's rule, and which timestamp echoes may be timed (RFC 7323 §4).
#include <gtest/gtest.h>

#include <chrono>

#include "stack/tcp/rtt_estimator.hh"

namespace tapstack {
namespace {

using namespace std::chrono_literals;

const Instant t0 = Instant::from_us(1'000'000);

TEST(RttEstimator, StartsWithOneSecondAndNoSrtt) {
    RttEstimator e;
    EXPECT_EQ(e.rto(), Duration{1s});  // RFC 6298 §2.1
    EXPECT_FALSE(e.srtt());
}

TEST(RttEstimator, FirstSampleSetsSrttToItAndRttvarToHalf) {
    RttEstimator e;
    e.on_sample(100ms);  // RFC 6298 §2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR
    EXPECT_EQ(*e.srtt(), Duration{100ms});
    EXPECT_EQ(e.rttvar(), Duration{50ms});
    EXPECT_EQ(e.rto(), Duration{300ms});
}

TEST(RttEstimator, LaterSamplesAreSmoothedWithAnEighthAndAQuarter) {
    RttEstimator e;
    e.on_sample(100ms);
    e.on_sample(200ms);  // RFC 6298 §2.3: RTTVAR = 3/4 * 50 + 1/4 * |100 - 200|, SRTT = 7/8 * 100 + 1/8 * 200
    EXPECT_EQ(e.rttvar(), Duration{62500us});
    EXPECT_EQ(*e.srtt(), Duration{112500us});
    EXPECT_EQ(e.rto(), Duration{362500us});
}

// Linux's floor (tcp_set_rto): the 200 ms minimum bounds the variance term, not the sum.
TEST(RttEstimator, VarianceTermIsAtLeastTheMinimum) {
    RttEstimator e;
    for (int i = 0; i < 100; ++i) e.on_sample(300ms);  // RTTVAR decays to 0
    EXPECT_EQ(e.rttvar(), Duration{0});
    EXPECT_EQ(e.rto(), Duration{500ms});  // SRTT + max(200 ms, 4 RTTVAR)
}

TEST(RttEstimator, RtoIsAtLeast200MsAboveSrttAndAtMost60s) {
    RttEstimator fast;
    fast.on_sample(10ms);
    EXPECT_EQ(fast.rto(), 10ms + rto_min);
    EXPECT_EQ(rto_min, Duration{200ms});
    RttEstimator slow;
    slow.on_sample(50s);
    EXPECT_EQ(slow.rto(), rto_max);
    EXPECT_EQ(rto_max, Duration{60s});
}

TEST(RttEstimator, BackOffDoublesUpToTheMaximum) {
    RttEstimator e;
    e.back_off();  // RFC 6298 §5.5
    EXPECT_EQ(e.rto(), Duration{2s});
    for (int i = 0; i < 10; ++i) e.back_off();
    EXPECT_EQ(e.rto(), rto_max);
    e.on_sample(100ms);  // a new sample replaces the backed-off value (§5.7)
    EXPECT_EQ(e.rto(), Duration{300ms});
}

TEST(RttEstimator, TimedSegmentGivesASampleWhenAckedPastIt) {
    RttEstimator e;
    e.start_timing(SeqNum{100}, t0);
    e.on_new_ack(SeqNum{100}, SeqNum{2000}, std::nullopt, 0, t0 + 30ms);  // not past it yet
    EXPECT_FALSE(e.srtt());
    e.on_new_ack(SeqNum{1100}, SeqNum{2000}, std::nullopt, 0, t0 + 80ms);
    EXPECT_EQ(*e.srtt(), Duration{80ms});
}

TEST(RttEstimator, OnlyOneSegmentIsTimedAtATime) {
    RttEstimator e;
    e.start_timing(SeqNum{100}, t0);
    e.start_timing(SeqNum{1100}, t0 + 10ms);  // ignored: 100 is still being timed
    e.on_new_ack(SeqNum{1100}, SeqNum{2100}, std::nullopt, 0, t0 + 50ms);
    EXPECT_EQ(*e.srtt(), Duration{50ms});
}

TEST(RttEstimator, KarnNoSampleFromASegmentSentAgain) {
    RttEstimator e;
    e.start_timing(SeqNum{100}, t0);
    e.stop_timing();  // RFC 6298 §3: retransmitted, so the ACK is ambiguous
    e.on_new_ack(SeqNum{1100}, SeqNum{1100}, std::nullopt, 0, t0 + 1s);
    EXPECT_FALSE(e.srtt());
    EXPECT_EQ(e.rto(), Duration{1s});
}

TEST(RttEstimator, TimestampEchoGivesOneSamplePerWindow) {
    RttEstimator e;
    e.on_new_ack(SeqNum{1000}, SeqNum{5000}, 7000u, 7040, t0);  // RFC 7323 §4: TSval now - TSecr
    EXPECT_EQ(*e.srtt(), Duration{40ms});
    e.on_new_ack(SeqNum{3000}, SeqNum{9000}, 7000u, 7400, t0);  // same window (below 5000): no sample
    EXPECT_EQ(*e.srtt(), Duration{40ms});
    e.on_new_ack(SeqNum{5001}, SeqNum{9000}, 7000u, 7040, t0);  // the next window
    EXPECT_EQ(*e.srtt(), Duration{40ms});
    EXPECT_EQ(e.rttvar(), Duration{15ms});  // 3/4 * 20 + 1/4 * 0: a second sample was taken
}

TEST(RttEstimator, ZeroEchoIsNoTimestamp) {
    RttEstimator e;
    e.on_new_ack(SeqNum{1000}, SeqNum{5000}, 0u, 7040, t0);
    EXPECT_FALSE(e.srtt());
}

TEST(RttEstimator, EchoFromBeforeTheLastRetransmissionIsNotTimed) {
    RttEstimator e;
    e.on_retransmission(2000);
    e.on_new_ack(SeqNum{1000}, SeqNum{5000}, 1990u, 2100, t0);  // TS.Recent from before the loss
    EXPECT_FALSE(e.srtt());
    e.on_new_ack(SeqNum{1000}, SeqNum{5000}, 2000u, 2100, t0);
    EXPECT_EQ(*e.srtt(), Duration{100ms});
}

TEST(RttEstimator, TimestampsWaitWhileASegmentIsTimedByTheClock) {
    RttEstimator e;
    e.start_timing(SeqNum{6000}, t0);
    e.on_new_ack(SeqNum{1000}, SeqNum{7000}, 7000u, 7500, t0 + 20ms);
    EXPECT_FALSE(e.srtt());
}

TEST(RttEstimator, EchoSampleIsCappedAtTheMaximumRto) {
    RttEstimator e;
    e.on_new_ack(SeqNum{1000}, SeqNum{5000}, 1u, 100'000'001u, t0);  // 100 000 s "ago"
    EXPECT_EQ(*e.srtt(), rto_max);
}

}  // namespace
}  // namespace tapstack
