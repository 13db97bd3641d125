// SPDX-License-Identifier: MIT
// RttEstimator: RFC 6298's SRTT/RTTVAR/RTO and which ACKs may be timed (Karn's rule, RFC 7323 §4
// timestamps). Called by TcpConnection (on_new_ack in tcp_input.cc, send_data and the timers in
// tcp_output.cc); the connection arms the timers with rto().
#include "stack/tcp/rtt_estimator.hh"

#include <algorithm>

namespace tapstack {

void RttEstimator::on_sample(Duration r) {
    // ASSIGNMENT rtt: BEGIN
    // RFC 6298 §2.2 and §2.3, with alpha = 1/8, beta = 1/4, K = 4, G = 1 ms.
    if (!srtt_) {
        srtt_ = r;
        rttvar_ = r / 2;
    } else {
        Duration diff = *srtt_ > r ? *srtt_ - r : r - *srtt_;
        rttvar_ = (3 * rttvar_ + diff) / 4;
        srtt_ = (7 * *srtt_ + r) / 8;
    }
    // RFC 6298 §2.3's RTO = SRTT + max(G, K*RTTVAR), with Linux's floor (tcp_set_rto): the
    // minimum bounds the variance term, not the sum, so the RTO stays at least 200 ms above
    // SRTT however steady the samples are (the RFC's own floor is a whole second, §2.4).
    rto_ = std::min(*srtt_ + std::max<Duration>(rto_min, 4 * rttvar_), rto_max);
    // ASSIGNMENT rtt: STUB
    // // RFC 6298 §2.2 (the first measurement) and §2.3 (each later one): SRTT, RTTVAR, and RTO =
    // // SRTT + max(rto_min, 4 RTTVAR), with alpha = 1/8 and beta = 1/4; rto_min (Linux's 200 ms)
    // // takes the place of G, and the RTO is at most rto_max. Until then it stays at 1 s.
    // (void)r;
    // ASSIGNMENT rtt: END
}

void RttEstimator::back_off() {
    // ASSIGNMENT rtt: BEGIN
    rto_ = std::min(rto_ * 2, rto_max);
    // ASSIGNMENT rtt: STUB
    // // RFC 6298 §5.5: after a timeout, the next one comes twice as late (at most rto_max).
    // ASSIGNMENT rtt: END
}

void RttEstimator::start_timing(SeqNum seq, Instant now) {
    if (rtt_seq_) return;
    rtt_seq_ = seq;
    rtt_start_ = now;
}

bool RttEstimator::echo_usable(SeqNum ack, uint32_t echo) const {
    // Zero is no echo (RFC 7323 §3.2); one sample per window of data; and an echo older than our
    // last retransmission is TS.Recent from before a loss: its "RTT" would include the time the
    // loss took to repair and inflate the timeout just when losses are frequent, so it is not
    // used (RFC 7323 §4.2 accepts that inflation; Linux also avoids it).
    if (echo == 0) return false;
    if (ts_rtt_mark_ && !(*ts_rtt_mark_ < ack)) return false;
    return !ts_last_retransmission_ || static_cast<int32_t>(echo - *ts_last_retransmission_) >= 0;
}

void RttEstimator::on_new_ack(SeqNum ack, SeqNum snd_max, std::optional<uint32_t> echo, uint32_t tsval_now,
                              Instant now) {
    // ASSIGNMENT rtt: BEGIN
    // RFC 6298 §3: timed by our clock for a segment never retransmitted (Karn), or from the
    // echoed timestamp (RFC 7323 §4), once per window of data.
    if (rtt_seq_ && *rtt_seq_ < ack) {
        on_sample(now - rtt_start_);
        rtt_seq_.reset();
        ts_rtt_mark_ = snd_max;
    } else if (!rtt_seq_ && echo && echo_usable(ack, *echo)) {
        uint32_t ms = tsval_now - *echo;
        on_sample(std::min<Duration>(std::chrono::milliseconds{ms}, rto_max));
        ts_rtt_mark_ = snd_max;
    }
    // ASSIGNMENT rtt: STUB
    // // An ACK that covers the timed segment (rtt_seq_, which start_timing set and stop_timing
    // // clears when it is sent again: Karn's rule) gives a sample of now - rtt_start_; without one,
    // // a usable timestamp echo (echo_usable) gives tsval_now - echo milliseconds. One sample per
    // // window of data: ts_rtt_mark_ = snd_max after each.
    // (void)ack;
    // (void)snd_max;
    // (void)echo;
    // (void)tsval_now;
    // (void)now;
    // ASSIGNMENT rtt: END
}

}  // namespace tapstack
