// SPDX-License-Identifier: MIT
// The RTT estimator seam: round-trip samples in, the retransmission timeout out (RFC 6298), with
// Karn's rule and the timestamp guard deciding which ACKs may be timed. A TcpConnection owns one:
// send_data() starts timing, every retransmission stops it, on_new_ack() offers each new ACK,
// and the retransmission timer backs the RTO off. It arms no timer itself.
#pragma once

#include <cstdint>
#include <optional>

#include "stack/base/time.hh"
#include "stack/wire/seq_num.hh"

namespace tapstack {

// RFC 6298 §2: initial RTO 1 s; we use Linux's 200 ms minimum rather than the RFC's 1 s (§2.4
// allows it: "MAY be lower"), so that a lost segment costs 0.2 s, not 1 s, and apply it as Linux
// does, to the variance term (RTO >= SRTT + 200 ms); 60 s maximum.
inline constexpr Duration rto_initial = std::chrono::seconds{1};
inline constexpr Duration rto_min = std::chrono::milliseconds{200};
inline constexpr Duration rto_max = std::chrono::seconds{60};

class RttEstimator {
public:
    Duration rto() const { return rto_; }
    std::optional<Duration> srtt() const { return srtt_; }  // none before the first sample
    Duration rttvar() const { return rttvar_; }

    // RFC 6298 §2.2-2.4: one measurement R updates SRTT, RTTVAR and the RTO.
    void on_sample(Duration r);
    // RFC 6298 §5.5: the retransmission timer expired; double the RTO, up to rto_max.
    void back_off();

    // Timing by our clock, one segment at a time: new data starting at `seq` leaves now (ignored
    // while a segment is already being timed).
    void start_timing(SeqNum seq, Instant now);
    // Karn's rule (RFC 6298 §3): something was sent again, so the timed segment's ACK could be
    // for either copy; no sample from it.
    void stop_timing() { rtt_seq_.reset(); }
    // We sent something again at `tsval` (our TSval clock): echoes older than that are not timed.
    void on_retransmission(uint32_t tsval) { ts_last_retransmission_ = tsval; }

    // A new cumulative ACK (SND.UNA moved to `ack`; `snd_max` is the highest sequence sent). It
    // yields at most one sample: from the timed segment, else from the echoed timestamp `echo`
    // (RFC 7323 §4; none when timestamps are off or the segment had none), taken at `tsval_now`.
    void on_new_ack(SeqNum ack, SeqNum snd_max, std::optional<uint32_t> echo, uint32_t tsval_now, Instant now);

private:
    bool echo_usable(SeqNum ack, uint32_t echo) const;

    Duration rto_ = rto_initial;
    std::optional<Duration> srtt_;
    Duration rttvar_{0};
    // One RTT measurement at a time (Karn's algorithm: never time a retransmitted segment).
    std::optional<SeqNum> rtt_seq_;
    Instant rtt_start_;
    std::optional<SeqNum> ts_rtt_mark_;  // one timestamp RTT sample per window of data
    // Our TSval clock when we last sent something again (none yet: every echo is from after it).
    std::optional<uint32_t> ts_last_retransmission_;
};

}  // namespace tapstack
