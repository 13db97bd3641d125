// SPDX-License-Identifier: MIT
// LossRecovery alone (stack/tcp/loss_recovery.hh), without a connection: SACK blocks into the
// scoreboard, RFC 6675's pipe and next hole, when recovery starts and ends (RFC 5681, RFC 6582,
// RFC 5827), RACK-by-order, the timeout, and the tail loss probe's timing (RFC 8985 §7).
// Sequence numbers are absolute and segments are 1000 bytes, so the arithmetic reads directly:
// ten segments 1000..11000 are in flight unless a test says otherwise.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "stack/tcp/loss_recovery.hh"

namespace tapstack {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t smss = 1000;
constexpr SeqNum una{1000};
constexpr SeqNum snd_max{11000};

LossRecovery with_sack() {
    LossRecovery r{SeqNum{0}};
    r.enable_sack(true);
    return r;
}

bool sack(LossRecovery& r, SeqNum ack, std::vector<SackBlock> blocks, SeqNum max = snd_max) {
    return r.on_sack_blocks(ack, blocks, max);
}

TEST(LossRecovery, SackBlocksGoIntoTheScoreboard) {
    LossRecovery r = with_sack();
    EXPECT_TRUE(sack(r, una, {{SeqNum{3000}, SeqNum{5000}}, {SeqNum{6000}, SeqNum{7000}}}));
    EXPECT_EQ(r.sacked_bytes(), 3000u);
    EXPECT_FALSE(sack(r, una, {{SeqNum{3000}, SeqNum{5000}}}));  // nothing new: not a SACK dupack
}

TEST(LossRecovery, BlocksForDataNeverSentOrAlreadyAcknowledgedAreIgnored) {
    LossRecovery r = with_sack();
    EXPECT_FALSE(sack(r, una,
                      {{SeqNum{10000}, SeqNum{12000}},   // beyond SND.MAX
                       {SeqNum{500}, SeqNum{1000}},      // at or below SEG.ACK (D-SACK)
                       {SeqNum{5000}, SeqNum{4000}}}));  // inverted
    EXPECT_EQ(r.sacked_bytes(), 0u);
    EXPECT_TRUE(sack(r, una, {{SeqNum{500}, SeqNum{2000}}}));  // the part above SEG.ACK counts
    EXPECT_EQ(r.sacked_bytes(), 1000u);
}

TEST(LossRecovery, WithoutSackBlocksAreIgnored) {
    LossRecovery r{SeqNum{0}};
    EXPECT_FALSE(sack(r, una, {{SeqNum{3000}, SeqNum{5000}}}));
    EXPECT_EQ(r.sacked_bytes(), 0u);
}

TEST(LossRecovery, PipeCountsWhatIsNeitherSackedNorPresumedLost) {
    LossRecovery r = with_sack();
    EXPECT_EQ(r.pipe(una, snd_max), 10000u);
    sack(r, una, {{SeqNum{3000}, SeqNum{5000}}, {SeqNum{6000}, SeqNum{7000}}});
    // 10000 sent, 3000 SACKed, holes 1000..3000 and 5000..6000 below the highest SACK presumed
    // lost: 4000 bytes (7000..11000) are in the network.
    EXPECT_EQ(r.pipe(una, snd_max), 4000u);
    r.enter_recovery(una, snd_max);
    r.hole_resent(SeqNum{2000});  // one segment of the first hole sent again: in the network
    EXPECT_EQ(r.pipe(una, snd_max), 5000u);
}

TEST(LossRecovery, NextHoleStartsAtHighRxtAndEndsAtTheNextSackedRange) {
    LossRecovery r = with_sack();
    EXPECT_FALSE(r.next_hole(una));  // nothing SACKed: no hole is known
    sack(r, una, {{SeqNum{3000}, SeqNum{5000}}, {SeqNum{6000}, SeqNum{7000}}});
    r.enter_recovery(una, snd_max);
    auto hole = r.next_hole(una);
    ASSERT_TRUE(hole);
    EXPECT_EQ(hole->left, SeqNum{1000});
    EXPECT_EQ(hole->right, SeqNum{3000});
    r.hole_resent(SeqNum{3000});
    hole = r.next_hole(una);
    ASSERT_TRUE(hole);
    EXPECT_EQ(hole->left, SeqNum{5000});
    EXPECT_EQ(hole->right, SeqNum{6000});
    r.hole_resent(SeqNum{6000});
    EXPECT_FALSE(r.next_hole(una));  // above the highest SACKed byte nothing is presumed lost
}

TEST(LossRecovery, SkipSackedJumpsOverWhatThePeerHolds) {
    LossRecovery r = with_sack();
    sack(r, una, {{SeqNum{1000}, SeqNum{2000}}, {SeqNum{3000}, SeqNum{4000}}});
    uint32_t limit = UINT32_MAX;
    EXPECT_EQ(r.skip_sacked(SeqNum{1000}, snd_max, limit), SeqNum{2000});
    EXPECT_EQ(limit, 1000u);  // stop short of 3000
    limit = UINT32_MAX;
    EXPECT_EQ(r.skip_sacked(SeqNum{3500}, snd_max, limit), SeqNum{4000});
    EXPECT_EQ(limit, UINT32_MAX);
}

TEST(LossRecovery, ThreeDuplicateAcksStartRecovery) {
    LossRecovery r{SeqNum{0}};
    r.on_duplicate_ack();
    r.on_duplicate_ack();
    EXPECT_FALSE(r.should_enter_recovery(una, snd_max, 10000, smss, /*unsent=*/5000));
    EXPECT_EQ(r.on_duplicate_ack(), 3u);  // RFC 5681 §3.2
    EXPECT_TRUE(r.should_enter_recovery(una, snd_max, 10000, smss, 5000));
}

TEST(LossRecovery, MoreThanTwoSegmentsSackedStartRecoveryWithoutDuplicates) {
    LossRecovery r = with_sack();
    sack(r, una, {{SeqNum{3000}, SeqNum{5000}}});
    EXPECT_FALSE(r.should_enter_recovery(una, snd_max, 10000, smss, 5000));  // exactly two
    sack(r, una, {{SeqNum{6000}, SeqNum{6001}}});
    EXPECT_TRUE(r.should_enter_recovery(una, snd_max, 10000, smss, 5000));  // RFC 6675 IsLost
}

TEST(LossRecovery, EarlyRetransmitLowersTheThresholdForASmallFlight) {
    LossRecovery r{SeqNum{0}};
    r.on_duplicate_ack();
    // Two segments out and nothing more to send: one duplicate is all that can come (RFC 5827).
    EXPECT_TRUE(r.should_enter_recovery(una, SeqNum{3000}, 2000, smss, /*unsent=*/0));
    EXPECT_FALSE(r.should_enter_recovery(una, SeqNum{3000}, 2000, smss, /*unsent=*/1000));
}

TEST(LossRecovery, NoRecoveryWithNothingOutstanding) {
    LossRecovery r{SeqNum{0}};
    for (int i = 0; i < 3; ++i) r.on_duplicate_ack();
    EXPECT_FALSE(r.should_enter_recovery(una, una, 0, smss, 0));
}

TEST(LossRecovery, PartialAcksWithoutSackResendSndUna) {
    LossRecovery r{SeqNum{0}};
    r.enter_recovery(una, snd_max);
    EXPECT_TRUE(r.in_recovery());
    EXPECT_FALSE(r.sack_recovery());
    EXPECT_EQ(r.on_new_ack(SeqNum{4000}), LossRecovery::AckVerdict::PartialResendUna);  // RFC 6582 §3.2
    EXPECT_EQ(r.on_new_ack(snd_max), LossRecovery::AckVerdict::RecoveryExit);
    EXPECT_FALSE(r.in_recovery());
    EXPECT_EQ(r.on_new_ack(SeqNum{12000}), LossRecovery::AckVerdict::Normal);
}

TEST(LossRecovery, PartialAckWithSackResendsSndUnaOnlyAboveHighRxt) {
    LossRecovery r = with_sack();
    sack(r, una, {{SeqNum{3000}, SeqNum{6000}}});
    r.enter_recovery(una, snd_max);
    EXPECT_TRUE(r.sack_recovery());
    r.una_resent(SeqNum{2000}, snd_max);                                                // fast retransmit of 1000..2000
    EXPECT_EQ(r.on_new_ack(SeqNum{1500}), LossRecovery::AckVerdict::Partial);           // the copy is on its way
    EXPECT_EQ(r.on_new_ack(SeqNum{2000}), LossRecovery::AckVerdict::PartialResendUna);  // 2000.. not resent
}

TEST(LossRecovery, NoNewRecoveryForLossesFromTheWindowAlreadyRecovered) {
    LossRecovery r{SeqNum{0}};
    r.on_retransmit_timeout(una, snd_max, false);  // recover = 11000
    for (int i = 0; i < 3; ++i) r.on_duplicate_ack();
    EXPECT_FALSE(r.should_enter_recovery(SeqNum{5000}, snd_max, 6000, smss, 0));  // RFC 6582 §3.2 step 2
    EXPECT_TRUE(r.should_enter_recovery(snd_max, SeqNum{21000}, 10000, smss, 0));
}

TEST(LossRecovery, DuplicatesCountAgainAfterANewAck) {
    LossRecovery r{SeqNum{0}};
    r.on_duplicate_ack();
    r.on_duplicate_ack();
    EXPECT_EQ(r.limited_transmit_segments(), 2u);  // RFC 3042
    r.on_new_ack(SeqNum{2000});
    EXPECT_EQ(r.limited_transmit_segments(), 0u);
    EXPECT_EQ(r.on_duplicate_ack(), 1u);
}

TEST(LossRecovery, LimitedTransmitStopsAtTheThirdDuplicateAndInRecovery) {
    LossRecovery r{SeqNum{0}};
    for (int i = 0; i < 3; ++i) r.on_duplicate_ack();
    EXPECT_EQ(r.limited_transmit_segments(), 0u);
    LossRecovery s{SeqNum{0}};
    s.on_duplicate_ack();
    s.enter_recovery(una, snd_max);
    EXPECT_EQ(s.limited_transmit_segments(), 0u);
}

TEST(LossRecovery, RetransmissionIsLostOnceDataSentAfterItIsSacked) {
    LossRecovery r = with_sack();
    sack(r, una, {{SeqNum{2000}, SeqNum{5000}}});
    r.enter_recovery(una, snd_max);
    r.una_resent(SeqNum{2000}, snd_max);  // our copy of 1000..2000 left when 11000 was sent
    EXPECT_FALSE(r.retransmission_lost(una));
    SeqNum later_max{13000};                                    // new data went out after the copy ...
    sack(r, una, {{SeqNum{11000}, SeqNum{12000}}}, later_max);  // ... and arrived before it
    EXPECT_TRUE(r.retransmission_lost(una));
    r.una_resent(SeqNum{2000}, later_max);  // sent once more
    EXPECT_FALSE(r.retransmission_lost(una));
}

TEST(LossRecovery, NoLostRetransmissionBeforeSndUnaWasResent) {
    LossRecovery r = with_sack();
    sack(r, una, {{SeqNum{2000}, SeqNum{5000}}});
    EXPECT_FALSE(r.retransmission_lost(una));  // not in recovery
    r.enter_recovery(una, snd_max);
    EXPECT_FALSE(r.retransmission_lost(una));  // HighRxt = SND.UNA: nothing resent yet
}

TEST(LossRecovery, TimeoutEndsRecoveryAndASecondOneForgetsTheScoreboard) {
    LossRecovery r = with_sack();
    sack(r, una, {{SeqNum{3000}, SeqNum{5000}}});
    r.enter_recovery(una, snd_max);
    r.on_retransmit_timeout(una, snd_max, /*forget_sacks=*/false);
    EXPECT_FALSE(r.in_recovery());
    EXPECT_EQ(r.sacked_bytes(), 2000u);  // still trusted after one timeout
    r.on_retransmit_timeout(una, snd_max, /*forget_sacks=*/true);
    EXPECT_EQ(r.sacked_bytes(), 0u);  // RFC 2018 §8: the peer may have reneged
}

TEST(LossRecovery, ProbeTimeoutIsTwoSrttAndMoreForOneSegment) {
    LossRecovery r{SeqNum{0}};
    EXPECT_FALSE(r.probe_timeout(std::nullopt, 0ms, 5000, smss));        // no RTT sample yet
    EXPECT_EQ(r.probe_timeout(10ms, 1ms, 5000, smss), Duration{20ms});   // RFC 8985 §7.2: 2 SRTT
    EXPECT_EQ(r.probe_timeout(10ms, 5ms, 5000, smss), Duration{30ms});   // SRTT + 4 RTTVAR
    EXPECT_EQ(r.probe_timeout(10ms, 1ms, 1000, smss), Duration{220ms});  // + the peer's delayed ACK
    EXPECT_EQ(r.probe_timeout(100us, 0ms, 5000, smss), Duration{tlp_min});
}

TEST(LossRecovery, SecondProbeWaitsTwiceAsLongAndThereIsNoThird) {
    LossRecovery r{SeqNum{0}};
    EXPECT_EQ(r.on_probe_timeout(), LossRecovery::ProbeAction::ProbeTail);
    EXPECT_EQ(r.probe_timeout(10ms, 1ms, 5000, smss), Duration{40ms});
    EXPECT_EQ(r.on_probe_timeout(), LossRecovery::ProbeAction::ProbeTail);
    EXPECT_FALSE(r.probe_timeout(10ms, 1ms, 5000, smss));
    r.on_new_ack(SeqNum{2000});  // progress: probes may come again
    EXPECT_EQ(r.probe_timeout(10ms, 1ms, 5000, smss), Duration{20ms});
}

TEST(LossRecovery, WithSackedDataTheProbeDeclaresSndUnaLostAfterAQuarterMoreThanSrtt) {
    LossRecovery r = with_sack();
    sack(r, una, {{SeqNum{2000}, SeqNum{3000}}});
    EXPECT_EQ(r.probe_timeout(8ms, 1ms, 5000, smss), Duration{10ms});  // RACK's reo_wnd
    EXPECT_EQ(r.on_probe_timeout(), LossRecovery::ProbeAction::EnterRecovery);
    r.enter_recovery(una, snd_max);
    EXPECT_EQ(r.on_probe_timeout(), LossRecovery::ProbeAction::ResendUna);  // no progress in recovery
}

}  // namespace
}  // namespace tapstack
