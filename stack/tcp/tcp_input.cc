// SPDX-License-Identifier: MIT
// SEGMENT ARRIVES (RFC 9293 §3.10.7.3 for SYN-SENT, §3.10.7.4 for the synchronized states), in
// the RFC's order: sequence number, RST, SYN, ACK, (URG), text, FIN. The ACK step has a file of its
// own (tcp_ack.cc). LISTEN and CLOSED are the table's business (stack/tcp/tcp_table.cc,
// tcp_listen.cc), since no connection exists for them yet.
#include <algorithm>

#include "stack/base/log.hh"
#include "stack/tcp/tcp_connection.hh"

namespace tapstack {

void TcpConnection::process(const TcpSegment& seg, Instant now) {
    if (state_ == TcpState::SynSent) {
        process_syn_sent(seg, now);
        return;
    }
    if (state_ == TcpState::Closed || state_ == TcpState::Listen) return;

    // (PAWS and a SYN sent again first.) 1st: check sequence number.
    if (!check_sequence_number(seg, now)) return;

    // 2nd: check the RST bit.
    if (seg.rst()) {
        process_rst(seg, now);
        return;
    }

    // 3rd: security/compartment — not used. 4th: SYN in a synchronized state gets a challenge
    // ACK (RFC 9293 §3.10.7.4, RFC 5961 §4.2); a SYN that may reuse a TIME-WAIT tuple was
    // handled by the stack before it reached us.
    if (seg.syn()) {
        drop(DropReason::TcpSynUnexpected);
        challenge_ack(now);
        return;
    }

    // 5th: check the ACK field. Without ACK, drop.
    if (!seg.has_ack()) {
        drop(DropReason::TcpNoAck);
        return;
    }
    if (!process_ack(seg, now)) return;
    if (state_ == TcpState::Closed) return;

    // 6th: URG — the urgent pointer is ignored (RFC 6093 recommends against using it).
    // 7th: segment text.
    process_text(seg, now);
    // 8th: FIN.
    process_fin(seg, now);
    send_owed_ack(now);
}

bool TcpConnection::check_sequence_number(const TcpSegment& seg, Instant now) {
    // RFC 7323 §5.3 R1: PAWS. A segment whose timestamp is older than TS.Recent is an old
    // duplicate (from before the sequence numbers wrapped): acknowledge and drop it.
    if (paws_rejects(seg)) {
        drop(DropReason::TcpPaws);
        challenge_ack(now);
        return false;
    }
    if (syn_sent_again(seg)) {
        resend_syn_ack(now);
        return false;
    }
    // 1st: check sequence number.
    if (!segment_acceptable(seg)) {
        // "If an incoming segment is not acceptable, an acknowledgment should be sent in reply
        // (unless the RST bit is set)". A retransmitted FIN in TIME-WAIT lands here too.
        drop(DropReason::TcpOutOfWindow);
        if (!seg.rst()) challenge_ack(now);
        if (state_ == TcpState::TimeWait && seg.fin()) time_wait_timer_.arm(now, settings_->time_wait);
        return false;
    }
    // (RFC 7323 §5.3 R3, TS.Recent, waits for the ACK check: process_ack(), docs/design.md.)
    keepalive_probes_ = 0;  // the peer is alive
    persist_unanswered_ = 0;
    restart_keepalive(now);
    return true;
}

bool TcpConnection::syn_sent_again(const TcpSegment& seg) const {
    return state_ == TcpState::SynReceived && seg.syn() && !seg.has_ack() && seg.seq == irs_ && snd_.una == iss_;
}

void TcpConnection::resend_syn_ack(Instant now) {
    // A retransmitted SYN in SYN-RECEIVED: our SYN,ACK was lost, or is late. It lies below RCV.NXT,
    // so RFC 9293 answers with a bare ACK, which a peer in SYN-SENT drops (no SYN bit) before it
    // waits for our own timer. Linux (tcp_check_req) sends the SYN,ACK again, at most every 500 ms
    // (tcp_oow_rate_limited), and restarts its timer; so do we. TS.Recent stays that of the first
    // SYN, as in Linux: the peer's RTT sample from our echo may come out long, never short.
    if (synack_resent_at_ && now - *synack_resent_at_ < std::chrono::milliseconds{500}) return;
    synack_resent_at_ = now;
    count_retransmission(now);
    rtt_.stop_timing();
    send_segment(tcp_flag::syn | tcp_flag::ack, iss_, {}, now, /*with_options=*/true);
    retransmit_timer_.arm(now, rtt_.rto());
}

void TcpConnection::process_rst(const TcpSegment& seg, Instant now) {
    // ASSIGNMENT acceptability: BEGIN
    // RFC 9293 §3.10.7.4 with RFC 5961 §3.2: only an RST exactly at RCV.NXT resets; any other
    // in-window RST gets a challenge ACK.
    if (seg.seq != rcv_.nxt) {
        drop(DropReason::TcpRstNotExact);
        challenge_ack(now);
        return;
    }
    reset_by_peer(now);
    // ASSIGNMENT acceptability: STUB
    // // RFC 9293 §3.10.7.4 with RFC 5961 §3.2: which in-window RST resets the connection, and
    // // what answers the others. Until then, every RST that passed the sequence check resets.
    // (void)seg;
    // reset_by_peer(now);
    // ASSIGNMENT acceptability: END
}

void TcpConnection::send_owed_ack(Instant now) {
    // The ACK this one segment earned (out of order, a duplicate, a hole filled, or a FIN taken)
    // goes now, after the FIN step, so that it covers the FIN when the segment carried one.
    if (ack_now_) send_ack(now);
}

void TcpConnection::challenge_ack(Instant now) {
    // RFC 5961 §7: challenge ACKs (and the ACKs for unacceptable segments) are limited per unit
    // of time. Per connection, not per stack: a counter that all connections share tells a blind
    // attacker when his guess hit (CVE-2016-5696), one per connection tells him nothing new.
    if (now - challenge_window_start_ >= std::chrono::seconds{1}) {
        challenge_window_start_ = now;
        challenge_acks_ = 0;
    }
    if (challenge_acks_ >= challenge_acks_per_second) {
        env_.challenge_ack_suppressed(*this);
        return;
    }
    ++challenge_acks_;
    ack_pending_ = true;
}

bool TcpConnection::paws_rejects(const TcpSegment& seg) const {
    // (RFC 7323's exception for a TS.Recent idle for 24 days is not needed: connections that
    // stay idle that long keep sending keep-alives or are gone.)
    if (!ts_ok_ || seg.rst() || !seg.options.timestamps) return false;
    return static_cast<int32_t>(seg.options.timestamps->value - ts_recent_) < 0;
}

bool TcpConnection::segment_acceptable(const TcpSegment& seg) const {
    // ASSIGNMENT acceptability: BEGIN
    // RFC 9293 §3.10.7.4, the four cases of segment length and receive window. The window is
    // what we last announced (it never shrinks) or the current free space, whichever is larger.
    uint32_t wnd = std::max<uint32_t>(
        rcv_wnd(), rcv_.advertised_edge > rcv_.nxt ? static_cast<uint32_t>(rcv_.advertised_edge - rcv_.nxt) : 0);
    uint32_t len = seg.seg_len();
    SeqNum end = rcv_.nxt + wnd;
    if (len == 0 && wnd == 0) return seg.seq == rcv_.nxt;
    // A bare FIN at RCV.NXT takes no room: accepted in a zero window too, as Linux does, so a
    // peer that closes while our application is not reading is acknowledged at once, not told
    // again and again that its FIN does not fit.
    if (wnd == 0 && seg.fin() && seg.payload.empty() && !seg.syn() && seg.seq == rcv_.nxt) return true;
    if (len == 0) return seq_in_range(rcv_.nxt, seg.seq, end);
    if (wnd == 0) return false;
    return seq_in_range(rcv_.nxt, seg.seq, end) || seq_in_range(rcv_.nxt, seg.seq + (len - 1), end);
    // ASSIGNMENT acceptability: STUB
    // // RFC 9293 §3.10.7.4's four cases of segment length and receive window. Until then, only a
    // // segment exactly at RCV.NXT is taken: out of order data and in-window RSTs go unseen.
    // return seg.seq == rcv_.nxt;
    // ASSIGNMENT acceptability: END
}

void TcpConnection::process_syn_sent(const TcpSegment& seg, Instant now) {
    // RFC 9293 §3.10.7.3. First: check the ACK bit.
    bool ack_ok = false;
    if (seg.has_ack()) {
        if (seg.ack <= iss_ || seg.ack > snd_.nxt) {
            drop(DropReason::TcpAckUnacceptable);
            if (!seg.rst()) send_segment(tcp_flag::rst, seg.ack, {}, now);
            return;
        }
        ack_ok = true;
    }
    // Second: the RST bit.
    if (seg.rst()) {
        if (ack_ok) terminate(CloseReason::Refused, now);
        return;
    }
    // Fourth: the SYN bit.
    // ASSIGNMENT state_machine: BEGIN
    if (!seg.syn()) return;
    irs_ = seg.seq;
    rcv_.nxt = seg.seq + 1;
    rcv_.advertised_edge = rcv_.nxt;
    negotiate_options(seg.options);
    congestion_.on_connected(smss());
    snd_.wnd = seg.window;
    snd_.wl1 = seg.seq;
    snd_.wl2 = seg.ack;
    if (ack_ok) {
        on_new_ack(seg.ack, &seg, now);
        set_state(TcpState::Established, "SYN,ACK received", now);
        restart_keepalive(now);
        ack_pending_ = true;
        post(Connected);
        post(Writable);
    } else {
        // Simultaneous open: both sides sent SYN.
        set_state(TcpState::SynReceived, "SYN received in SYN-SENT (simultaneous open)", now);
        send_segment(tcp_flag::syn | tcp_flag::ack, iss_, {}, now, /*with_options=*/true);
    }
    // ASSIGNMENT state_machine: STUB
    // // RFC 9293 §3.10.7.3, "fourth, check the SYN bit": learn the peer's ISN (irs_, RCV.NXT and
    // // the window edges, snd_.wnd, wl1 and wl2), negotiate_options(), start the congestion window,
    // // and move to ESTABLISHED (our SYN acknowledged: on_new_ack, keepalive, an ACK, Connected and
    // // Writable posted) or SYN-RECEIVED (a simultaneous open: our SYN again, with an ACK). Until
    // // then a SYN,ACK is not taken: the active open never completes.
    // (void)ack_ok;
    // ASSIGNMENT state_machine: END
}

bool TcpConnection::takes_text() const {
    switch (state_) {
    case TcpState::Established:
    case TcpState::FinWait1:
    case TcpState::FinWait2: return true;
    case TcpState::Closed:
    case TcpState::Listen:
    case TcpState::SynSent:
    case TcpState::SynReceived:
    case TcpState::CloseWait:
    case TcpState::Closing:
    case TcpState::LastAck:
    case TcpState::TimeWait: return false;  // "This should not occur, since a FIN has been received": ignore the text
    }
    return false;
}

void TcpConnection::process_text(const TcpSegment& seg, Instant now) {
    if (!takes_text()) return;
    if (seg.fin() && !fin_received_) peer_fin_seq_ = seg.seq + static_cast<uint32_t>(seg.payload.size());
    if (seg.payload.empty()) {
        // A FIN ahead of missing data: say at once what we are missing.
        if (seg.seq != rcv_.nxt && seg.seg_len() > 0) ack_pending_ = true;
        return;
    }
    // RFC 1122 §4.2.2.13: new data after the application closed has nobody to read it: send RST
    // so that the peer learns it was lost, as Linux does. Kept, it would fill the receive buffer,
    // and the peer would probe our zero window for ever, its own close stuck behind the data.
    if (app_closed_ && seg.seq + static_cast<uint32_t>(seg.payload.size()) > rcv_.nxt) {
        // The RST answers this segment: no timestamps, as from Linux's tcp_v4_send_reset.
        send_segment(tcp_flag::rst, snd_.nxt, {}, now);
        terminate(CloseReason::Aborted, now);
        return;
    }

    bool had_holes = !reassembler_.empty();
    std::optional<SeqNum> stored = store_text(seg.seq, seg.payload);
    if (!stored) return;
    bool in_order = *stored == rcv_.nxt;
    if (!in_order) rcv_.last_ooo = *stored;
    deliver_in_order();
    acknowledge_received(seg, in_order && !had_holes, now);
}

std::optional<SeqNum> TcpConnection::store_text(SeqNum seq, Bytes data) {
    // Trim what we already have (overlap at the front) and what does not fit (at the back), and
    // write the rest into the receive ring. Returns where what was kept starts, or nothing.
    if (seq < rcv_.nxt) {
        uint32_t skip = static_cast<uint32_t>(rcv_.nxt - seq);
        if (skip >= data.size()) {
            ack_now_ = true;  // all of it was here already: an immediate duplicate ACK (RFC 5681 §4.2)
            return std::nullopt;
        }
        data = data.subspan(skip);
        seq = rcv_.nxt;
    }
    size_t offset = static_cast<size_t>(seq - rcv_.nxt);
    size_t room = receive_buffer_.free_space();
    if (offset >= room) {
        drop(DropReason::TcpReceiveBufferFull);
        ack_pending_ = true;
        return std::nullopt;
    }
    data = data.first(std::min(data.size(), room - offset));

    receive_buffer_.write_at(receive_buffer_.size() + offset, data);
    account_buffers();
    if (!reassembler_.add(seq, seq + static_cast<uint32_t>(data.size()))) {
        drop(DropReason::TcpReassemblyFull);
        ack_pending_ = true;  // too fragmented to keep: the peer sends it again
        return std::nullopt;
    }
    return seq;
}

void TcpConnection::acknowledge_received(const TcpSegment& seg, bool plain_in_order, Instant now) {
    // RFC 5681 §4.2: data out of order, or filling a hole, is acknowledged at once, one ACK per
    // segment, so that the sender counts duplicate ACKs and reads fresh SACK blocks.
    if (!plain_in_order) {
        ack_now_ = true;
        return;
    }
    // In order: RFC 1122 §4.2.3.2 delayed ACK - at least every second full-sized segment, and
    // never later than the delay; the first segments of a connection are acknowledged at once.
    uint32_t len = static_cast<uint32_t>(seg.payload.size());
    rcv_.mss = std::max(rcv_.mss, len);
    rcv_.unacked_bytes += len;
    if (rcv_.quickacks_left > 0) {
        --rcv_.quickacks_left;
        ack_pending_ = true;
    } else if (settings_->delayed_ack == Duration{0} || rcv_.unacked_bytes >= 2 * rcv_.mss) {
        ack_pending_ = true;
    } else if (!delayed_ack_timer_.armed()) {
        delayed_ack_timer_.arm(now, settings_->delayed_ack);
    }
}

void TcpConnection::deliver_in_order() {
    uint32_t n = reassembler_.take_contiguous(rcv_.nxt);
    if (n == 0) return;
    receive_buffer_.commit(n);
    rcv_.nxt += n;
    post(Readable);
}

void TcpConnection::process_fin(const TcpSegment& seg, Instant now) {
    (void)seg;
    // A FIN counts only when every byte before it has arrived (it may have come early).
    if (fin_received_ || !peer_fin_seq_ || *peer_fin_seq_ != rcv_.nxt) return;
    // ASSIGNMENT state_machine: BEGIN
    switch (state_) {
    case TcpState::Closed:
    case TcpState::Listen:
    case TcpState::SynSent: return;
    case TcpState::SynReceived:
    case TcpState::Established:
        fin_received_ = true;
        rcv_.nxt += 1;
        set_state(TcpState::CloseWait, "FIN received", now);
        break;
    case TcpState::FinWait1:
        fin_received_ = true;
        rcv_.nxt += 1;
        // Our FIN acknowledged by this same segment would have moved us to FIN-WAIT-2 already.
        set_state(TcpState::Closing, "FIN received before our FIN was acknowledged", now);
        break;
    case TcpState::FinWait2:
        fin_received_ = true;
        rcv_.nxt += 1;
        enter_time_wait(now);
        break;
    case TcpState::CloseWait:
    case TcpState::Closing:
    case TcpState::LastAck:
    case TcpState::TimeWait: return;  // fin_received_ is set in these states: a FIN sent again is out of the window
    }
    // RCV.NXT moved past the FIN: acknowledged in this very batch, never by the delayed ACK (an
    // ACK owed to this segment, sent below in send_owed_ack(), covers it too).
    ack_pending_ = true;
    post(Readable);
    // ASSIGNMENT state_machine: STUB
    // // The FIN's step of RFC 9293 §3.10.7.4 ("eighth, check the FIN bit"): in which states the FIN
    // // counts, what it does to RCV.NXT and fin_received_, which state follows (set_state, or
    // // enter_time_wait), and that it is acknowledged at once (ack_pending_). Until then the FIN
    // // is ignored: the peer sends it again and again.
    // (void)now;
    // ASSIGNMENT state_machine: END
}

void TcpConnection::enter_time_wait(Instant now) {
    retransmit_timer_.disarm();
    persist_timer_.disarm();
    fin_wait_2_timer_.disarm();
    time_wait_timer_.arm(now, settings_->time_wait);
    // Nothing more can be sent or read: keep no buffers while we wait (memory per connection).
    send_buffer_.pop(send_buffer_.size());
    send_buffer_.release();
    if (receive_buffer_.empty() || app_closed_) {
        receive_buffer_.pop(receive_buffer_.size());
        receive_buffer_.release();
    }
    account_buffers();
    set_state(TcpState::TimeWait, fin_received_ ? "both FINs acknowledged" : "FIN received", now);
}

void TcpConnection::reset_by_peer(Instant now) {
    if (state_ == TcpState::SynReceived && !app_closed_) {
        // A passive open that is reset returns to LISTEN: for us the half-open child just goes.
        app_closed_ = true;
    }
    terminate(CloseReason::Reset, now);
}

}  // namespace tapstack
