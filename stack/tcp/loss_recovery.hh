// SPDX-License-Identifier: MIT
// The loss recovery seam: finding lost segments and choosing which to send again. It holds the
// SACK scoreboard (RFC 6675, from ranges), the duplicate ACK count, NewReno's recovery point
// (RFC 6582), RACK-by-order detection of a lost retransmission, and the tail loss probe's timing
// (RFC 8985 §7). A TcpConnection owns one and tells it about ACKs, SACK blocks, retransmissions and
// timeouts; it answers with decisions (enter recovery, resend SND.UNA's segment, the next hole).
// It never sends, arms no timer and leaves the congestion window to the controller (congestion.hh).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "stack/base/time.hh"
#include "stack/tcp/reassembler.hh"
#include "stack/wire/tcp.hh"

namespace tapstack {

// The shortest tail loss probe timeout (RFC 8985 §7.2 sets none; Linux waits 10 ms, which on a
// 0.1 ms link is a hundred round trips lost at every tail).
inline constexpr Duration tlp_min = std::chrono::milliseconds{2};

class LossRecovery {
public:
    // What a new cumulative ACK means for recovery (on_new_ack).
    enum class AckVerdict : uint8_t {
        Normal,            // not in recovery: slow start or congestion avoidance
        RecoveryExit,      // covers the recovery point: fast recovery is over
        Partial,           // below the recovery point; SND.UNA's segment was resent already
        PartialResendUna,  // below the recovery point: resend the segment at SND.UNA now
    };
    // What the tail loss probe timer asks for when it fires (on_probe_timeout).
    enum class ProbeAction : uint8_t {
        ResendUna,      // in recovery, no progress for a PTO: SND.UNA's copy was lost again
        EnterRecovery,  // later data was SACKed and SND.UNA's segment did not come: lost (RACK)
        ProbeTail,      // RFC 8985 §7.3: resend the last segment, so the peer reports the tail
    };

    explicit LossRecovery(SeqNum iss) : high_rxt_(iss), recover_(iss), una_resent_at_max_(iss) {}

    // RFC 2018: the handshake agreed on SACK (else recovery is NewReno's, RFC 6582).
    void enable_sack(bool on) { sack_ = on; }
    bool sack() const { return sack_; }
    bool in_recovery() const { return in_recovery_; }
    bool sack_recovery() const { return in_recovery_ && sack_; }  // RFC 6675's, pipe-limited
    uint32_t sacked_bytes() const { return scoreboard_.bytes(); }
    const Reassembler& scoreboard() const { return scoreboard_; }

    // --- an ACK arrives (tcp_input.cc), in this order ---
    // RFC 2018 §4: records the blocks above `ack` for data sent (below `snd_max`). Returns true if
    // the peer SACKed something new (RFC 6675's duplicate ACK).
    bool on_sack_blocks(SeqNum ack, std::span<const SackBlock> blocks, SeqNum snd_max);
    // SND.UNA moved to `ack`: leaves or continues recovery; the duplicate count starts again.
    AckVerdict on_new_ack(SeqNum ack);
    // One more duplicate ACK; returns how many in a row.
    uint32_t on_duplicate_ack() { return ++dup_acks_; }
    // Forgets SACKed ranges at or below SND.UNA.
    void discard_below(SeqNum una) { scoreboard_.discard_below(una); }
    // RFC 5681 §3.2, RFC 6675 §4 IsLost, RFC 5827: is the segment at SND.UNA lost, and may
    // recovery start (not again for the window already recovered, RFC 6582 §3.2 step 2)?
    // `flight_size` is SND.NXT - SND.UNA; `unsent` the bytes queued and not yet sent.
    bool should_enter_recovery(SeqNum una, SeqNum snd_max, uint32_t flight_size, uint32_t smss, uint32_t unsent) const;
    // Fast retransmit: recovery lasts until `snd_max` is acknowledged (RFC 6582 "recover").
    void enter_recovery(SeqNum una, SeqNum snd_max);
    // RACK by order (RFC 8985's idea without the clock): the peer SACKed data first sent after
    // our last copy of SND.UNA's segment, so that copy was lost; send it again.
    bool retransmission_lost(SeqNum una) const;
    // The retransmission timer expired: recovery ends; after a second timeout in a row
    // (`forget_sacks`) the scoreboard goes too (RFC 2018 §8, RFC 6675 §5.1).
    void on_retransmit_timeout(SeqNum una, SeqNum snd_max, bool forget_sacks);
    void clear() { scoreboard_.clear(); }

    // --- choosing what to send (tcp_output.cc) ---
    // RFC 6675 §4 pipe: bytes presumed in the network.
    uint32_t pipe(SeqNum una, SeqNum snd_max) const;
    // What the congestion window is compared with: pipe in SACK recovery, else the flight size.
    uint32_t in_network(SeqNum una, SeqNum snd_max, uint32_t flight_size) const {
        return sack_recovery() ? pipe(una, snd_max) : flight_size;
    }
    // RFC 6675 NextSeg, rule 1: the first hole at or above HighRxt with SACKed data above it.
    std::optional<SackBlock> next_hole(SeqNum una) const;
    // From `seq`, past any range the peer holds (not beyond `snd_max`); `limit` becomes the room
    // before the next SACKed range (unchanged when none follows).
    SeqNum skip_sacked(SeqNum seq, SeqNum snd_max, uint32_t& limit) const;
    // RFC 3042 limited transmit: segments beyond cwnd that the duplicate ACKs let out (0-2).
    uint32_t limited_transmit_segments() const { return !in_recovery_ && dup_acks_ <= 2 ? dup_acks_ : 0; }
    // The connection sent a hole again, up to `end` (RFC 6675 HighRxt).
    void hole_resent(SeqNum end) { high_rxt_ = end; }
    // The connection sent SND.UNA's segment again, up to `end`, while `snd_max` was sent.
    void una_resent(SeqNum end, SeqNum snd_max);

    // --- the tail loss probe (RFC 8985 §7) ---
    // How long to wait for progress before the probe timer fires; none when no probe is due.
    std::optional<Duration> probe_timeout(std::optional<Duration> srtt, Duration rttvar, uint32_t flight_size,
                                          uint32_t smss) const;
    // The probe timer fired with data still outstanding: what to do.
    ProbeAction on_probe_timeout();

private:
    bool sack_ = false;
    Reassembler scoreboard_;  // ranges above SND.UNA the peer has SACKed
    SeqNum high_rxt_;         // RFC 6675 HighRxt: holes below it were retransmitted
    bool in_recovery_ = false;
    SeqNum recover_;            // RFC 6582 "recover": SND.MAX when recovery (or a timeout) began
    SeqNum una_resent_at_max_;  // SND.MAX when the segment at SND.UNA was last sent again
    uint32_t dup_acks_ = 0;     // duplicate ACKs in a row
    uint8_t probes_sent_ = 0;   // tail loss probes since the last new ACK (at most 2)
};

}  // namespace tapstack
