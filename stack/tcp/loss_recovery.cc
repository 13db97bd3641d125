// SPDX-License-Identifier: MIT
// Loss recovery (loss_recovery.hh): the SACK scoreboard and RFC 6675's pipe and NextSeg computed
// from ranges instead of per-segment flags, NewReno's recovery point, RACK-by-order, and the
// tail loss probe's timeout. The connection calls these and does the sending.
#include "stack/tcp/loss_recovery.hh"

#include <algorithm>

namespace tapstack {

bool LossRecovery::on_sack_blocks(SeqNum ack, std::span<const SackBlock> blocks, SeqNum snd_max) {
    // ASSIGNMENT sack: BEGIN
    // RFC 2018 §4 / RFC 6675: remember what the peer holds above SND.UNA. Blocks for data we
    // never sent are ignored, as are blocks at or below SND.UNA (D-SACK, RFC 2883, is not used).
    if (!sack_) return false;
    uint32_t before = scoreboard_.bytes();
    for (const SackBlock& b : blocks) {
        if (!(b.left < b.right) || snd_max < b.right || !(ack < b.right)) continue;
        scoreboard_.add(seq_max(b.left, ack), b.right);  // full: the peer repeats it later
    }
    return scoreboard_.bytes() > before;
    // ASSIGNMENT sack: STUB
    // // RFC 2018 §4 / RFC 6675 §5: remember (scoreboard_.add) what the peer holds above SND.UNA,
    // // ignoring blocks that are empty, above snd_max or at or below ack. True when the scoreboard
    // // grew. Until then SACK blocks are ignored.
    // (void)ack;
    // (void)blocks;
    // (void)snd_max;
    // return false;
    // ASSIGNMENT sack: END
}

LossRecovery::AckVerdict LossRecovery::on_new_ack(SeqNum ack) {
    probes_sent_ = 0;
    dup_acks_ = 0;
    if (!in_recovery_) return AckVerdict::Normal;
    if (!(ack < recover_)) {
        in_recovery_ = false;  // RFC 6582 §3.2 step 3: full acknowledgment
        return AckVerdict::RecoveryExit;
    }
    // A partial acknowledgment: the next hole was lost too. Without SACK it goes at once
    // (RFC 6582 §3.2 step 3); with SACK the pipe paces the holes, and only the one at SND.UNA
    // goes at once, if it was not resent yet (NewReno's rule).
    if (sack_ && ack < high_rxt_) return AckVerdict::Partial;
    return AckVerdict::PartialResendUna;
}

bool LossRecovery::should_enter_recovery(SeqNum una, SeqNum snd_max, uint32_t flight_size, uint32_t smss,
                                         uint32_t unsent) const {
    if (in_recovery_ || una == snd_max) return false;
    // RFC 6582 §3.2 step 2: not again for losses from the window already recovered.
    if (una < recover_) return false;
    // RFC 5681 §3.2: three duplicate ACKs; RFC 6675 §4 IsLost: or more than (DupThresh - 1)
    // segments' worth of data SACKed above SND.UNA (ACKs may have been lost or coalesced).
    // RFC 5827 early retransmit: with fewer than four segments outstanding and nothing new to
    // send, three duplicates can never come; the threshold drops to the segments outstanding - 1.
    uint32_t segments = (flight_size + smss - 1) / smss;
    uint32_t threshold = 3;
    if (segments < 4 && unsent == 0) threshold = std::max<uint32_t>(segments, 2) - 1;
    return dup_acks_ >= threshold || (sack_ && scoreboard_.bytes() > (threshold - 1) * smss);
}

void LossRecovery::enter_recovery(SeqNum una, SeqNum snd_max) {
    recover_ = snd_max;
    in_recovery_ = true;
    high_rxt_ = una;
}

bool LossRecovery::retransmission_lost(SeqNum una) const {
    // RFC 6675 alone repairs a lost retransmission only by a timeout. As RACK (RFC 8985) does
    // by time, we do by order: once the peer SACKs data first sent after our last copy of the
    // segment at SND.UNA, that copy should have arrived before it.
    if (!in_recovery_ || !sack_ || scoreboard_.empty() || !(una < high_rxt_)) return false;
    return una_resent_at_max_ < scoreboard_.range(scoreboard_.count() - 1).right;
}

void LossRecovery::on_retransmit_timeout(SeqNum una, SeqNum snd_max, bool forget_sacks) {
    in_recovery_ = false;
    recover_ = snd_max;
    dup_acks_ = 0;
    high_rxt_ = una;
    // RFC 2018 §8: the peer may drop data it SACKed; after a second timeout in a row, stop
    // trusting the scoreboard and resend everything (RFC 6675 §5.1).
    if (forget_sacks) scoreboard_.clear();
}

uint32_t LossRecovery::pipe(SeqNum una, SeqNum snd_max) const {
    // ASSIGNMENT sack: BEGIN
    // RFC 6675 §4 "pipe", from ranges instead of per-segment flags: what was sent and is not
    // acknowledged, less what the peer SACKed, less the holes below its highest SACKed byte that
    // are presumed lost and not yet sent again (those above HighRxt).
    uint32_t outstanding = static_cast<uint32_t>(snd_max - una);
    uint32_t gone = scoreboard_.bytes();
    SeqNum cursor = seq_max(una, high_rxt_);
    for (size_t i = 0; i < scoreboard_.count(); ++i) {
        const SackBlock& r = scoreboard_.range(i);
        if (!(cursor < r.right)) continue;
        if (cursor < r.left) gone += static_cast<uint32_t>(r.left - cursor);
        cursor = r.right;
    }
    return outstanding > gone ? outstanding - gone : 0;
    // ASSIGNMENT sack: STUB
    // // RFC 6675 §4 "pipe": what was sent and is not acknowledged, less what the peer SACKed, less
    // // the holes below its highest SACKed byte that are presumed lost and not sent again since
    // // (those at or above high_rxt_). Until then, everything outstanding.
    // return static_cast<uint32_t>(snd_max - una);
    // ASSIGNMENT sack: END
}

std::optional<SackBlock> LossRecovery::next_hole(SeqNum una) const {
    // ASSIGNMENT sack: BEGIN
    // The first byte at or above HighRxt that the peer lacks while holding something above it.
    SeqNum cursor = seq_max(una, high_rxt_);
    for (size_t i = 0; i < scoreboard_.count(); ++i) {
        const SackBlock& r = scoreboard_.range(i);
        if (!(cursor < r.right)) continue;
        if (cursor < r.left) return SackBlock{cursor, r.left};
        cursor = r.right;
    }
    return std::nullopt;
    // ASSIGNMENT sack: STUB
    // // The first hole at or above high_rxt_ (and SND.UNA) that has SACKed data above it, as
    // // RFC 6675 §4 NextSeg's rule (1) would pick it. Until then, none.
    // (void)una;
    // return std::nullopt;
    // ASSIGNMENT sack: END
}

SeqNum LossRecovery::skip_sacked(SeqNum seq, SeqNum snd_max, uint32_t& limit) const {
    for (size_t i = 0; i < scoreboard_.count(); ++i) {
        const SackBlock& r = scoreboard_.range(i);
        if (!(seq < r.right)) continue;
        if (!(seq < r.left)) {
            seq = r.right;  // inside a SACKed range: the peer has it
            continue;
        }
        limit = static_cast<uint32_t>(r.left - seq);
        break;
    }
    return seq_min(seq, snd_max);
}

void LossRecovery::una_resent(SeqNum end, SeqNum snd_max) {
    high_rxt_ = seq_max(high_rxt_, end);
    una_resent_at_max_ = snd_max;
}

std::optional<Duration> LossRecovery::probe_timeout(std::optional<Duration> srtt, Duration rttvar, uint32_t flight_size,
                                                    uint32_t smss) const {
    // RFC 8985 §7.2: PTO = 2 SRTT (plus the peer's delayed-ACK time when one segment is out),
    // and at least SRTT + 4 RTTVAR and tlp_min. The variance term is ours: over TAP the RTT is
    // 0.1 ms until the client is scheduled late, and 2 SRTT alone then probed segments that were
    // not lost on a clean link. In recovery the same timer watches our retransmission of SND.UNA's
    // segment: no progress within PTO means that copy was lost too (RACK's reordering timer,
    // RFC 8985 §6.2, with PTO for the window).
    if (!srtt || !(in_recovery_ || probes_sent_ < 2)) return std::nullopt;
    Duration pto = std::max<Duration>({2 * *srtt, *srtt + 4 * rttvar, tlp_min});
    if (!in_recovery_ && flight_size <= smss) pto += std::chrono::milliseconds{200};  // RFC 8985 WCDelAckT
    // RFC 8985 sends one probe and then waits for the timeout; when the probe or its answer is
    // lost too, that costs 200 ms. A second probe, after twice the time, makes it rarer.
    if (!in_recovery_ && probes_sent_ == 1) pto *= 2;
    // Once the peer has SACKed data sent after SND.UNA's segment, that segment needs only one
    // RTT plus a quarter for reordering (RACK's reo_wnd, RFC 8985 §6.2) to be called lost.
    if (sack_ && !scoreboard_.empty()) pto = std::max<Duration>(*srtt + *srtt / 4, std::chrono::milliseconds{1});
    return pto;
}

LossRecovery::ProbeAction LossRecovery::on_probe_timeout() {
    if (in_recovery_) return ProbeAction::ResendUna;
    // Data sent after SND.UNA's segment has arrived and a whole PTO passed without that segment:
    // it is lost (RACK's rule, RFC 8985 §6.2, applied by order at this timer), even if too few
    // segments came after it for three duplicate ACKs.
    if (sack_ && !scoreboard_.empty()) return ProbeAction::EnterRecovery;
    ++probes_sent_;
    return ProbeAction::ProbeTail;
}

}  // namespace tapstack
