// SPDX-License-Identifier: MIT
// SEGMENT ARRIVES, fifth step: check the ACK field (RFC 9293 §3.10.7.4), called by process() in
// tcp_input.cc. What an acceptable ACK does on the sending side: SND.UNA moves and the send ring
// lets go, an RTT sample, the congestion window (congestion.hh), duplicate ACKs and SACK blocks
// for loss recovery (loss_recovery.hh), the send window, and the states that wait for our FIN.
#include <algorithm>
#include <span>

#include "stack/tcp/tcp_connection.hh"

namespace tapstack {

bool TcpConnection::process_ack(const TcpSegment& seg, Instant now) {
    if (state_ == TcpState::SynReceived) return complete_passive_open(seg, now);

    // ESTABLISHED and later. RFC 5961 §5.2: an ACK for data never sent, or older than the
    // largest window the peer ever offered, is dropped with a (challenge) ACK.
    if (seg.ack > snd_.max || seg.ack < snd_.una - std::max(max_snd_wnd_, snd_.wnd)) {
        drop(DropReason::TcpAckUnacceptable);
        challenge_ack(now);
        return false;
    }
    if (!(seg.ack < snd_.una)) update_ts_recent(seg);  // an old ACK leaves TS.Recent alone
    take_ack(seg, now);
    // RFC 9293: update the send window if the segment is newer than the last update.
    if (snd_.wl1 < seg.seq || (snd_.wl1 == seg.seq && snd_.wl2 <= seg.ack)) update_send_window(seg);
    return process_fin_acknowledged(now);
}

bool TcpConnection::complete_passive_open(const TcpSegment& seg, Instant now) {
    // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state"; else send a reset.
    if (!(snd_.una < seg.ack && seg.ack <= snd_.max)) {
        drop(DropReason::TcpAckUnacceptable);
        send_segment(tcp_flag::rst, seg.ack, {}, now);
        return false;
    }
    update_ts_recent(seg);
    snd_.wnd = static_cast<uint32_t>(seg.window) << snd_.shift;
    snd_.wl1 = seg.seq;
    snd_.wl2 = seg.ack;
    on_new_ack(seg.ack, &seg, now);
    set_state(TcpState::Established, "ACK of our SYN", now);
    restart_keepalive(now);
    post(Accepted);
    // Continue with the common processing (the ACK may carry data or a FIN).
    if (fin_queued_) set_state(TcpState::FinWait1, "application closed before ESTABLISHED", now);
    return true;
}

void TcpConnection::update_ts_recent(const TcpSegment& seg) {
    // RFC 7323 §5.3 R3: "If SEG.TSval >= TS.Recent and SEG.SEQ =< Last.ACK.sent, then save
    // SEG.TSval in TS.Recent." The RFC does this right after the sequence check; we do it only
    // once the ACK is acceptable too (process_ack), as Linux does: otherwise one forged in-window
    // segment with a huge TSval and any ACK would make PAWS drop all honest traffic after it.
    // Nor from an ACK below SND.UNA (process_ack): such a segment was sent before one we already
    // took, and Linux's tcp_ack leaves TS.Recent alone for it too (its old_ack path), so the
    // ACK of its data echoes the same TSval that Linux would.
    if (!ts_ok_ || !seg.options.timestamps) return;
    if (static_cast<int32_t>(seg.options.timestamps->value - ts_recent_) >= 0 && !(last_ack_sent_ < seg.seq))
        ts_recent_ = seg.options.timestamps->value;
}

void TcpConnection::take_ack(const TcpSegment& seg, Instant now) {
    // What the ACK and its SACK blocks say about our data: loss recovery (loss_recovery.hh)
    // keeps the scoreboard and decides; the sending is done here.
    std::span<const SackBlock> blocks{seg.options.sack.data(), seg.options.sack_count};
    bool sacks_more = recovery_.on_sack_blocks(seg.ack, blocks, snd_.max);
    if (snd_.una < seg.ack) {
        on_new_ack(seg.ack, &seg, now);
    } else if (seg.ack == snd_.una && snd_.max != snd_.una &&
               (sacks_more ||
                (seg.payload.empty() && !seg.fin() && (static_cast<uint32_t>(seg.window) << snd_.shift) == snd_.wnd))) {
        // A duplicate ACK: RFC 5681 §2's (same window, no data), or RFC 6675 §2's (it SACKs
        // something new), which still counts when the peer's window moved as its reader read.
        congestion_.on_duplicate_ack(recovery_.on_duplicate_ack(), smss());  // NewReno without SACK inflates
    }
    recovery_.discard_below(snd_.una);
    if (recovery_.should_enter_recovery(snd_.una, snd_.max, flight_size(), smss(), unsent_bytes())) enter_recovery(now);
    if (recovery_.retransmission_lost(snd_.una)) {
        retransmit_first_unacked(now);
        arm_tail_loss_probe(now);
    }
    if (sacks_more) arm_tail_loss_probe(now);
}

void TcpConnection::on_new_ack(SeqNum ack, const TcpSegment* seg, Instant now) {
    uint32_t acked = static_cast<uint32_t>(ack - snd_.una);
    snd_.una = ack;
    una_since_ = now;
    if (snd_.nxt < ack) snd_.nxt = ack;  // after a go-back-N timeout, the ACK may pass snd.nxt
    uint32_t data_acked = release_acknowledged(ack);
    if (data_acked > 0) more_ = false;  // Linux: an ACK pushes with the socket's own Nagle setting

    // RTT sample (RFC 6298 §3, RFC 7323 §4): the estimator decides whether this ACK may be timed.
    std::optional<uint32_t> echo;
    if (seg && ts_ok_ && seg->options.timestamps) echo = seg->options.timestamps->echo_reply;
    rtt_.on_new_ack(ack, snd_.max, echo, ts_now(now), now);
    backoff_count_ = 0;

    // Loss recovery (loss_recovery.hh: RFC 6582 §3.2 NewReno, RFC 6675 SACK) says what the ACK
    // means; the window itself is the congestion controller's (congestion.cc).
    switch (recovery_.on_new_ack(ack)) {
    case LossRecovery::AckVerdict::Normal:
        congestion_.on_ack(data_acked, smss());  // slow start or congestion avoidance
        break;
    case LossRecovery::AckVerdict::RecoveryExit: congestion_.on_recovery_exit(flight_size(), smss()); break;
    case LossRecovery::AckVerdict::PartialResendUna:
        retransmit_first_unacked(now);  // the next hole was lost too
        congestion_.on_partial_ack(acked, smss());
        break;
    case LossRecovery::AckVerdict::Partial:
        congestion_.on_partial_ack(acked, smss());  // dispatch() resends the holes the pipe allows
        break;
    }

    // RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart it.
    if (snd_.una == snd_.max) retransmit_timer_.disarm();
    else retransmit_timer_.arm(now, rtt_.rto());
    arm_tail_loss_probe(now);
}

uint32_t TcpConnection::release_acknowledged(SeqNum ack) {
    // Acknowledged data leaves the send ring (the SYN and FIN occupy sequence space but not the
    // buffer). Returns how many bytes of data went.
    if (!(send_base_ < ack)) return 0;
    uint32_t data_acked =
        std::min<uint32_t>(static_cast<uint32_t>(ack - send_base_), static_cast<uint32_t>(send_buffer_.size()));
    send_buffer_.pop(data_acked);
    send_base_ += data_acked;
    if (data_acked > 0) post(Writable);
    return data_acked;
}

void TcpConnection::enter_recovery(Instant now) {
    // RFC 5681 §3.2 fast retransmit; RFC 6582 / RFC 6675 fast recovery. The controller sets
    // ssthresh and the window (inflated by three segments without SACK).
    congestion_.on_enter_recovery(flight_size(), smss(), sack_ok());
    recovery_.enter_recovery(snd_.una, snd_.max);
    env_.loss_detected(*this, false);
    retransmit_first_unacked(now);
    arm_tail_loss_probe(now);  // in recovery: watches the copy just sent
}

void TcpConnection::update_send_window(const TcpSegment& seg) {
    bool was_zero = snd_.wnd == 0;
    snd_.wnd = static_cast<uint32_t>(seg.window) << snd_.shift;  // RFC 7323 §2.3
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_.wnd);
    snd_.wl1 = seg.seq;
    snd_.wl2 = seg.ack;
    if (snd_.wnd > 0 && was_zero) {
        persist_timer_.disarm();
        persist_since_.reset();
        post(Writable);
    }
}

bool TcpConnection::process_fin_acknowledged(Instant now) {
    // The states that wait for the ACK of our FIN (RFC 9293 §3.10.7.4, fifth step). Returns
    // false when the connection closed (LAST-ACK): nothing more of the segment is processed.
    bool fin_acked = fin_sent_ && snd_.una == fin_seq_ + 1;
    switch (state_) {
    case TcpState::FinWait1:
        if (fin_acked) {
            set_state(TcpState::FinWait2, "our FIN was acknowledged", now);
            // A peer that never sends its FIN: only an orphaned connection times out, as in
            // Linux; after a half-close the application may read for as long as it likes.
            if (app_closed_) fin_wait_2_timer_.arm(now, settings_->fin_wait_2_timeout);
        }
        break;
    case TcpState::Closing:
        if (fin_acked) enter_time_wait(now);
        break;
    case TcpState::LastAck:
        if (fin_acked) {
            retransmit_timer_.disarm();
            end_ = TcpEnd::Closed;
            set_state(TcpState::Closed, "our FIN was acknowledged", now);
            return false;
        }
        break;
    case TcpState::Closed:
    case TcpState::Listen:
    case TcpState::SynSent:
    case TcpState::SynReceived:
    case TcpState::Established:
    case TcpState::FinWait2:
    case TcpState::CloseWait:
    case TcpState::TimeWait: break;
    }
    return true;
}

}  // namespace tapstack
