// SPDX-License-Identifier: MIT
// NewReno (RFC 5681, RFC 6582), the controller behind AnyController: the only place where the
// congestion window and the slow-start threshold change (`make lint` checks). The connection calls
// these from on_new_ack(), on_duplicate_ack(), enter_recovery() and on_retransmit_timeout().
#include "stack/tcp/congestion.hh"

#include <algorithm>

#include "stack/tcp/tcp_constants.hh"

namespace tapstack {

std::string_view to_string(CongestionControl c) {
    switch (c) {
    case CongestionControl::NewReno: return "newreno";
    }
    return "?";
}

AnyController::AnyController(CongestionControl kind) {
    switch (kind) {
    case CongestionControl::NewReno: controller_.emplace<NewReno>(); break;
    }
}

void NewReno::on_connected(uint32_t smss) {
    // RFC 5681 §3.1: IW = min(4*MSS, max(2*MSS, 4380)); RFC 6928's 10 segments is Linux's choice.
    cwnd_ = initial_window_segments * smss;
}

// ASSIGNMENT congestion: BEGIN
void NewReno::on_ack(uint32_t data_acked, uint32_t smss) {
    // Only a SYN or FIN was acknowledged: no data left the network, cwnd stays.
    if (data_acked == 0) return;
    if (cwnd_ < ssthresh_) {
        cwnd_ += std::min(data_acked, smss);  // slow start (RFC 5681 §3.1, eq. 2)
    } else {
        // Congestion avoidance (RFC 5681 §3.1, eq. 3): about one SMSS per round trip.
        cwnd_ += std::max<uint32_t>(1, smss * smss / std::max<uint32_t>(cwnd_, 1));
    }
}

void NewReno::on_duplicate_ack(uint32_t dup_acks, uint32_t smss) {
    // RFC 6582 §3.2 step 4 (NewReno without SACK): each further duplicate means one more segment
    // left the network. The first three were counted when recovery began.
    if (recovery_ == Recovery::Inflating && dup_acks > 3) cwnd_ += smss;
}

void NewReno::on_enter_recovery(uint32_t flight_size, uint32_t smss, bool sack) {
    // RFC 5681 §3.2 step 2: ssthresh = max(FlightSize / 2, 2*SMSS).
    ssthresh_ = std::max(flight_size / 2, 2 * smss);
    // With SACK (RFC 6675 §5) the pipe counts what left the network; without, NewReno inflates
    // the window by the three segments the duplicate ACKs stand for (RFC 5681 §3.2 step 3).
    recovery_ = sack ? Recovery::Sack : Recovery::Inflating;
    cwnd_ = sack ? ssthresh_ : ssthresh_ + 3 * smss;
}

void NewReno::on_partial_ack(uint32_t acked, uint32_t smss) {
    // With SACK the pipe already accounts for the partial ACK: cwnd stays.
    if (recovery_ != Recovery::Inflating) return;
    // RFC 6582 §3.2 step 5: deflate by the amount acknowledged, add back one SMSS if at least
    // that much was acknowledged, and never below one segment.
    cwnd_ = (cwnd_ > acked ? cwnd_ - acked : 0) + (acked >= smss ? smss : 0);
    cwnd_ = std::max(cwnd_, smss);
}

void NewReno::on_recovery_exit(uint32_t flight_size, uint32_t smss) {
    // RFC 6582 §3.2 step 3 (full acknowledgment), option 1: min(ssthresh, max(FlightSize, SMSS) +
    // SMSS); RFC 6675 §5: with SACK, cwnd = ssthresh.
    cwnd_ = recovery_ == Recovery::Sack ? ssthresh_ : std::min(ssthresh_, std::max(flight_size, smss) + smss);
    recovery_ = Recovery::None;
}

void NewReno::on_retransmit_timeout(uint32_t flight_size, uint32_t smss) {
    // RFC 5681 §3.1 (4): after a timeout, ssthresh = max(FlightSize/2, 2*SMSS), cwnd = 1 SMSS
    // (the loss window); recovery, if any, is over.
    ssthresh_ = std::max(flight_size / 2, 2 * smss);
    cwnd_ = smss;
    recovery_ = Recovery::None;
}
// ASSIGNMENT congestion: STUB
// // NewReno: RFC 5681 §3.1 (slow start, congestion avoidance, the timeout), §3.2 (fast
// // retransmit and fast recovery) and RFC 6582 §3.2 (partial acknowledgments); with SACK, RFC
// // 6675 §5. Until then cwnd keeps its initial window whatever happens.
// void NewReno::on_ack(uint32_t data_acked, uint32_t smss) {
//     (void)data_acked;
//     (void)smss;
// }
// void NewReno::on_duplicate_ack(uint32_t dup_acks, uint32_t smss) {
//     (void)dup_acks;
//     (void)smss;
// }
// void NewReno::on_enter_recovery(uint32_t flight_size, uint32_t smss, bool sack) {
//     (void)flight_size;
//     (void)smss;
//     recovery_ = sack ? Recovery::Sack : Recovery::Inflating;
// }
// void NewReno::on_partial_ack(uint32_t acked, uint32_t smss) {
//     (void)acked;
//     (void)smss;
// }
// void NewReno::on_recovery_exit(uint32_t flight_size, uint32_t smss) {
//     (void)flight_size;
//     (void)smss;
//     recovery_ = Recovery::None;
// }
// void NewReno::on_retransmit_timeout(uint32_t flight_size, uint32_t smss) {
//     (void)flight_size;
//     (void)smss;
//     recovery_ = Recovery::None;
// }
// ASSIGNMENT congestion: END

}  // namespace tapstack
