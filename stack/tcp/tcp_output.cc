// SPDX-License-Identifier: MIT
// What a connection sends: dispatch() picks the next segments (ACK, holes in SACK recovery, data
// within the send and congestion windows, FIN) and builds them. Which holes go again is loss
// recovery's choice (loss_recovery.hh); the timers that send probes and retransmissions are in
// tcp_timers.cc.
#include <algorithm>

#include "stack/base/log.hh"
#include "stack/tcp/tcp_connection.hh"

namespace tapstack {

void TcpConnection::send_segment(uint8_t flags, SeqNum seq, Bytes payload, Instant now, bool with_options) {
    TcpSegment seg = make_segment(flags, seq, payload, with_options);
    // An RST sent here answers a segment: no options, as Linux's tcp_v4_send_reset. The RSTs a
    // connection sends on its own account go through send_rst().
    if (!(flags & tcp_flag::rst)) add_options(seg, now);
    env_.transmit(*this, seg, now);
}

TcpSegment TcpConnection::make_segment(uint8_t flags, SeqNum seq, Bytes payload, bool with_options) {
    TcpSegment seg;
    seg.src_port = tuple_.local_port;
    seg.dst_port = tuple_.remote_port;
    seg.seq = seq;
    seg.flags = flags;
    seg.payload = payload;
    bool syn = flags & tcp_flag::syn;
    if (flags & tcp_flag::ack) {
        seg.ack = rcv_.nxt;
        seg.window = window_to_advertise(syn);
        mark_acked_by_segment();
    } else if (!(flags & tcp_flag::rst)) {
        seg.window = window_to_advertise(syn);  // a SYN: our window, RCV.NXT not yet known
    }
    if (with_options) add_syn_options(seg.options);
    return seg;
}

void TcpConnection::send_rst(Instant now) {
    // RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>, for an abort, a close with data unread or a
    // timeout. Like Linux's tcp_send_active_reset it also carries the ACK bit, with RCV.NXT and
    // our window (the RFC leaves the ACK field of a reset free), and the timestamps the
    // connection negotiated, TSecr being TS.Recent (RFC 7323 §3.2).
    TcpSegment seg = make_segment(tcp_flag::rst | tcp_flag::ack, snd_.nxt, {}, false);
    add_options(seg, now);
    env_.transmit(*this, seg, now);
}

void TcpConnection::mark_acked_by_segment() {
    ack_pending_ = false;
    ack_now_ = false;
    last_ack_sent_ = rcv_.nxt;
    rcv_.unacked_bytes = 0;
    delayed_ack_timer_.disarm();
}

void TcpConnection::add_syn_options(TcpOptions& o) const {
    // Our SYN offers what the settings allow; our SYN,ACK answers only what the peer offered
    // (RFC 7323 §2.2, §3.2; RFC 2018 §2).
    bool active = state_ == TcpState::SynSent;
    o.mss = settings_->mss;
    if (active ? settings_->window_scaling : ws_ok_) o.window_scale = rcv_.offered_shift;
    o.sack_permitted = active ? settings_->sack : sack_ok();
}

void TcpConnection::add_options(TcpSegment& seg, Instant now) {
    // RFC 7323 §3.2: once agreed, every segment carries timestamps (an RST only when the
    // connection sends it on its own, send_rst); TSecr is TS.Recent, zero where the ACK bit is
    // off (our first SYN).
    bool offering = state_ == TcpState::SynSent && seg.syn() && settings_->timestamps;
    if (ts_ok_ || offering)
        seg.options.timestamps = TcpOptions::Timestamps{ts_now(now), seg.has_ack() ? ts_recent_ : 0};
    // RFC 2018 §4: every ACK sent while we hold out-of-order data reports it, the block with the
    // most recent segment first, then the others from the highest down (a simpler order than the
    // RFC's "most recently reported", and the same when data arrives in sequence order).
    if (sack_ok() && seg.has_ack() && !reassembler_.empty()) {
        size_t n = reassembler_.count();
        size_t first = n;
        for (size_t i = 0; i < n; ++i) {
            const SackBlock& r = reassembler_.range(i);
            if (!(rcv_.last_ooo < r.left) && rcv_.last_ooo < r.right) first = i;
        }
        uint8_t k = 0;
        if (first < n) seg.options.sack[k++] = reassembler_.range(first);
        for (size_t i = n; i-- > 0 && k < seg.options.sack.size();)
            if (i != first) seg.options.sack[k++] = reassembler_.range(i);
        seg.options.sack_count = k;
    }
}

uint32_t TcpConnection::option_overhead() const {
    TcpOptions o;
    if (ts_ok_) o.timestamps = TcpOptions::Timestamps{};
    if (sack_ok()) o.sack_count = static_cast<uint8_t>(std::min<size_t>(reassembler_.count(), o.sack.size()));
    return static_cast<uint32_t>(o.encoded_len());
}

uint16_t TcpConnection::window_to_advertise(bool syn) {
    // ASSIGNMENT flow_control: BEGIN
    // RFC 7323 §2.2: the window in a SYN is never scaled.
    uint8_t shift = syn ? 0 : rcv_.shift;
    // Receiver-side silly-window avoidance (RFC 1122 §4.2.3.3): move the right edge only by at
    // least min(MSS, half the buffer); never move it left (RFC 9293 §3.8.6).
    uint32_t free = std::min<uint32_t>(rcv_wnd(), max_unscaled_window << shift);
    SeqNum edge = rcv_.nxt + free;
    uint32_t step = std::min<uint32_t>(settings_->mss, settings_->receive_buffer / 2);
    if (rcv_.advertised_edge < edge && static_cast<uint32_t>(edge - rcv_.advertised_edge) < step &&
        rcv_.nxt <= rcv_.advertised_edge) {
        edge = rcv_.advertised_edge;  // too small a step: keep the old edge
    } else if (edge < rcv_.advertised_edge) {
        edge = rcv_.advertised_edge;
    }
    uint32_t wnd = std::min(edge > rcv_.nxt ? static_cast<uint32_t>(edge - rcv_.nxt) : 0, max_unscaled_window << shift);
    // The field holds wnd >> shift; rounding down may pull the edge back by less than 2^shift
    // bytes (RFC 7323 §2.4), so the edge we accept up to stays the larger one.
    uint32_t field = std::min<uint32_t>(wnd >> shift, max_unscaled_window);
    rcv_.advertised_wnd = field << shift;
    rcv_.advertised_edge = seq_max(rcv_.advertised_edge, rcv_.nxt + rcv_.advertised_wnd);
    return static_cast<uint16_t>(field);
    // ASSIGNMENT flow_control: STUB
    // // Announce the free space (rcv_wnd()) in the window field: shifted right by rcv_.shift but
    // // never in a SYN (RFC 7323 §2.2); the right edge (rcv_.advertised_edge) never moves left
    // // (RFC 9293 §3.8.6) and moves right only by min(MSS, half the buffer) at least (RFC 1122
    // // §4.2.3.3); rcv_.advertised_wnd and advertised_edge remember what was announced.
    // (void)syn;
    // return static_cast<uint16_t>(std::min<uint32_t>(rcv_wnd(), max_unscaled_window));
    // ASSIGNMENT flow_control: END
}

bool TcpConnection::window_update_due() const {
    // ASSIGNMENT flow_control: BEGIN
    // After the application reads: announce the larger window at once only when what is left of
    // the one announced is at most half the most we could announce, and the window we would
    // announce now is at least twice that, as Linux's tcp_cleanup_rbuf does. A small read waits
    // for the next ACK to carry the window; a read that reopens a closed or nearly full window
    // is announced (a peer that waits on it would otherwise fall back to probing). Not once the
    // peer's FIN is in: nothing more will come.
    if (fin_received_) return false;
    uint32_t most = std::min<uint32_t>(settings_->receive_buffer, max_unscaled_window << rcv_.shift);
    uint32_t left = rcv_.advertised_edge > rcv_.nxt ? static_cast<uint32_t>(rcv_.advertised_edge - rcv_.nxt) : 0;
    if (uint64_t{left} * 2 > most) return false;
    // What window_to_advertise() would announce: the free space, if it moves the right edge by
    // at least its silly-window step.
    uint32_t free = std::min<uint32_t>(rcv_wnd(), max_unscaled_window << rcv_.shift);
    uint32_t step = std::min<uint32_t>(settings_->mss, settings_->receive_buffer / 2);
    uint32_t next = free >= left + step ? free : left;
    return next > 0 && next >= uint64_t{left} * 2;
    // ASSIGNMENT flow_control: STUB
    // // After the application reads: is the window that opened worth an ACK of its own now?
    // // (Linux's tcp_cleanup_rbuf; RFC 1122 §4.2.3.3.) Until then, never: the peer learns of the
    // // room only when it probes.
    // return false;
    // ASSIGNMENT flow_control: END
}

bool TcpConnection::can_send_data() const {
    switch (state_) {
    case TcpState::Established:
    case TcpState::CloseWait:
    case TcpState::FinWait1:
    case TcpState::LastAck:
    case TcpState::Closing: return true;  // data queued before CLOSE still goes out before the FIN
    case TcpState::Closed:
    case TcpState::Listen:
    case TcpState::SynSent:
    case TcpState::SynReceived:
    case TcpState::FinWait2:
    case TcpState::TimeWait: return false;
    }
    return false;
}

void TcpConnection::send_data_segment(SeqNum seq, uint32_t len, Instant now) {
    // The bytes go straight from the send ring into the frame (two pieces if the ring wraps).
    auto [head, tail] = send_buffer_.view(static_cast<size_t>(seq - send_base_), len);
    TcpSegment seg;
    seg.src_port = tuple_.local_port;
    seg.dst_port = tuple_.remote_port;
    seg.seq = seq;
    seg.ack = rcv_.nxt;
    bool last = seq + len == data_end();
    seg.flags = static_cast<uint8_t>(tcp_flag::ack | (takes_push(seq + len) ? tcp_flag::psh : 0) |
                                     (last && fin_sent_ && fin_seq_ == data_end() ? tcp_flag::fin : 0));
    seg.window = window_to_advertise(false);
    seg.payload = head;
    seg.payload_tail = tail;
    if (len > max_payload()) seg.offload_segment_payload = static_cast<uint16_t>(max_payload());
    mark_acked_by_segment();
    add_options(seg, now);
    env_.transmit(*this, seg, now);
}

bool TcpConnection::takes_push(SeqNum end) {
    // PSH as Linux sets it: on the segment that empties what the application wrote (tcp_push
    // after each write; Apache's responses look the same), and within a long write once more
    // than half the peer's largest window has gone since the last PSH (tcp_sendmsg's
    // forced_push, tcp_mark_push), so a receiver that waits for PSH is not kept waiting.
    uint32_t half_window = std::max(max_snd_wnd_, snd_.wnd) / 2;
    bool forced = pushed_seq_ < end && half_window > 0 && static_cast<uint32_t>(end - pushed_seq_) > half_window;
    bool push = end == data_end() || forced;
    if (push && pushed_seq_ < end) pushed_seq_ = end;
    return push;
}

uint32_t TcpConnection::unsent_bytes() const {
    SeqNum end = data_end();
    return snd_.nxt < end ? static_cast<uint32_t>(end - snd_.nxt) : 0;
}

bool TcpConnection::send_data(Instant now) {
    if (unsent_bytes() == 0 || !can_send_data()) return false;
    // Resending after a timeout: skip what the peer has SACKed, and stop short of the next
    // range it holds.
    uint32_t limit = UINT32_MAX;
    if (snd_.nxt < snd_.max) snd_.nxt = recovery_.skip_sacked(snd_.nxt, snd_.max, limit);
    uint32_t unsent = unsent_bytes();
    if (unsent == 0) return false;

    uint32_t usable = send_room();
    if (usable == 0) {
        // RFC 9293 §3.8.6.1: a zero window with nothing in flight is probed by the persist timer.
        if (snd_.wnd == 0 && snd_.una == snd_.max && !persist_timer_.armed()) persist_timer_.arm(now, rtt_.rto());
        return false;
    }
    // With segmentation offload one segment may carry many full ones, which the device cuts up;
    // cut short by a window, it ends on a full segment's boundary.
    uint32_t full = max_payload();
    uint32_t burst = std::max(full, settings_->offload_payload / full * full);
    uint32_t wanted = std::min({unsent, burst, limit});
    uint32_t len = std::min(wanted, usable);
    if (len > full && len < wanted) len -= len % full;
    if (cork_holds(len, unsent)) {
        // Nothing in flight, no ACK will come to release it: it goes after an RTO (200 ms at
        // least), as Linux's probe timer sends it (tcp(7): TCP_CORK's "200 millisecond ceiling").
        if (snd_.una == snd_.max && !cork_timer_.armed()) cork_timer_.arm(now, rtt_.rto());
        return false;
    }
    if (holds_back(len, wanted, unsent)) return false;
    transmit_data(len, unsent, now);
    return true;
}

uint32_t TcpConnection::send_room() const {
    // Two limits: the peer's window, from SND.UNA (RFC 9293 §3.8.6), and the congestion window
    // less what is in the network (RFC 5681; in SACK recovery, RFC 6675's pipe).
    // ASSIGNMENT flow_control: BEGIN
    SeqNum right_edge = snd_.una + snd_.wnd;
    uint32_t peer_room = snd_.nxt < right_edge ? static_cast<uint32_t>(right_edge - snd_.nxt) : 0;
    // ASSIGNMENT flow_control: STUB
    // // What the peer's window (snd_.wnd, from SND.UNA) leaves from SND.NXT on. Until then, the
    // // peer's window is not looked at.
    // uint32_t peer_room = UINT32_MAX;
    // ASSIGNMENT flow_control: END
    // The congestion window is counted in whole segments, as Linux does: any room at all lets a
    // full segment go. A byte-exact room would cut segments short, and a short segment that
    // waits for an ACK the peer delays (one segment outstanding) stalls for the delay.
    uint32_t full = max_payload();
    uint32_t in_network = recovery_.in_network(snd_.una, snd_.max, flight_size());
    uint32_t window = congestion_.cwnd();
    uint32_t cwnd_room = window > in_network ? std::max(window - in_network, full) : 0;
    // RFC 3042 limited transmit: each of the first two duplicate ACKs lets one new segment out
    // beyond the congestion window, so that a small window still yields three duplicates.
    uint32_t extra = recovery_.limited_transmit_segments() * smss();
    if (extra > 0 && !retransmission_pending())
        cwnd_room = std::max(cwnd_room, window + extra > in_network ? window + extra - in_network : 0);
    return std::min(peer_room, cwnd_room);
}

bool TcpConnection::holds_back(uint32_t len, uint32_t wanted, uint32_t unsent) const {
    uint32_t full = max_payload();
    bool retransmission = snd_.nxt < snd_.max;
    bool outstanding = snd_.una != snd_.nxt;
    // Sender-side silly-window avoidance (RFC 1122 §4.2.3.4): no segment cut short by a window
    // while something is outstanding; the ACK for it opens the window further.
    if (len < std::min(wanted, full) && outstanding) return true;
    // Nagle (RFC 896): the end of what the application wrote, shorter than a full segment, goes
    // only when nothing is outstanding, unless Nagle is off or the application has closed (the
    // last piece goes out with or before the FIN).
    return len < full && len == unsent && !retransmission && outstanding && settings_->nagle && !nodelay_ &&
           !fin_queued_ && !push_now_;
}

// TCP_CORK and MSG_MORE (Linux's TCP_NAGLE_CORK): the end of the data, shorter than a full
// segment, waits for the data that fills it, whether or not anything is in flight; full
// segments go, and so does the end once the application closes.
bool TcpConnection::cork_holds(uint32_t len, uint32_t unsent) const {
    return (corked_ || more_) && !push_now_ && len < max_payload() && len == unsent && !retransmission_pending() &&
           !fin_queued_;
}

void TcpConnection::transmit_data(uint32_t len, uint32_t unsent, Instant now) {
    bool retransmission = snd_.nxt < snd_.max;
    if (!retransmission) rtt_.start_timing(snd_.nxt, now);
    if (snd_.una == snd_.max) una_since_ = now;  // the clock of the user timeout starts
    if (retransmission) count_retransmission(now);
    // The FIN rides on the segment that carries the last byte the application wrote, so the peer
    // gets the end of the response and the end of the stream in one frame (docs/design.md,
    // "Why the FIN rides on the last data segment").
    if (settings_->fin_with_last_data && fin_queued_ && !fin_sent_ && len == unsent) {
        fin_sent_ = true;
        fin_seq_ = data_end();
    }
    if (len == unsent) cork_timer_.disarm();  // nothing is held back any more
    send_data_segment(snd_.nxt, len, now);
    snd_.nxt += len;
    if (fin_sent_ && snd_.nxt == fin_seq_) snd_.nxt += 1;
    if (snd_.max < snd_.nxt) snd_.max = snd_.nxt;
    if (!retransmit_timer_.armed()) retransmit_timer_.arm(now, rtt_.rto());
}

bool TcpConnection::retransmit_next_hole(Instant now) {
    // RFC 6675 §5 NextSeg: loss recovery names the hole, we send (part of) it.
    std::optional<SackBlock> hole = recovery_.next_hole(snd_.una);
    if (!hole || !(hole->left < data_end())) return false;
    uint32_t len = std::min({static_cast<uint32_t>(hole->right - hole->left), max_payload(),
                             static_cast<uint32_t>(data_end() - hole->left)});
    count_retransmission(now);
    rtt_.stop_timing();  // Karn
    send_data_segment(hole->left, len, now);
    recovery_.hole_resent(hole->left + len);
    return true;
}

void TcpConnection::dispatch(Instant now) {
    switch (state_) {
    case TcpState::Closed:
    case TcpState::Listen:
    case TcpState::SynSent: return;
    case TcpState::SynReceived:
    case TcpState::TimeWait:
    case TcpState::FinWait2: break;
    case TcpState::Established:
    case TcpState::CloseWait:
    case TcpState::FinWait1:
    case TcpState::Closing:
    case TcpState::LastAck:
        // SACK recovery (RFC 6675 §5): first the holes, as far as the congestion window allows,
        // then new data.
        if (recovery_.sack_recovery()) {
            while (recovery_.pipe(snd_.una, snd_.max) + max_payload() <= congestion_.cwnd() &&
                   retransmit_next_hole(now)) {
            }
        }
        while (send_data(now)) {
        }
        if (!probe_timer_.armed()) arm_tail_loss_probe(now);
        if (fin_queued_ && snd_.nxt == data_end() && (!fin_sent_ || snd_.nxt == fin_seq_)) send_fin_alone(now);
        break;
    }
    if (ack_pending_) send_ack(now);
    push_now_ = false;  // a push is for the data there when it was asked for
}

void TcpConnection::send_fin_alone(Instant now) {
    // A FIN with no data left to carry it (the application closed after everything was sent)
    // goes in a segment of its own. After a timeout rewound snd.nxt, it is sent again.
    bool retransmission = fin_sent_;
    fin_seq_ = data_end();
    fin_sent_ = true;
    if (retransmission) count_retransmission(now);
    send_segment(tcp_flag::fin | tcp_flag::ack, fin_seq_, {}, now);
    snd_.nxt = fin_seq_ + 1;
    if (snd_.max < snd_.nxt) snd_.max = snd_.nxt;
    if (!retransmit_timer_.armed()) retransmit_timer_.arm(now, rtt_.rto());
}

SeqNum TcpConnection::retransmit_first_unacked(Instant now) {
    // Resends the segment at SND.UNA without rewinding snd.nxt (fast retransmit, partial ACK).
    count_retransmission(now);
    rtt_.stop_timing();  // Karn: no RTT sample across a retransmission
    if (snd_.una == iss_) {
        // Our SYN is not acknowledged yet: it goes again, also when the application closed
        // meanwhile (SYN-RECEIVED -> FIN-WAIT-1, RFC 9293 §3.10.4) and our FIN waits behind it.
        uint8_t flags =
            state_ == TcpState::SynSent ? tcp_flag::syn : static_cast<uint8_t>(tcp_flag::syn | tcp_flag::ack);
        send_segment(flags, iss_, {}, now, true);
        return iss_ + 1;
    }
    if (fin_sent_ && snd_.una == fin_seq_) {
        send_segment(tcp_flag::fin | tcp_flag::ack, fin_seq_, {}, now);
        return fin_seq_ + 1;
    }
    uint32_t available = static_cast<uint32_t>(std::max<int32_t>(0, data_end() - snd_.una));
    uint32_t limit = UINT32_MAX;
    (void)recovery_.skip_sacked(snd_.una, snd_.max, limit);  // not into a range the peer holds
    uint32_t len = std::min<uint32_t>({available, max_payload(), static_cast<uint32_t>(snd_.max - snd_.una), limit});
    if (len == 0) return snd_.una;
    send_data_segment(snd_.una, len, now);
    SeqNum end = snd_.una + len;
    recovery_.una_resent(end, snd_.max);
    // The FIN went along when this segment carries the last byte (send_data_segment sets it).
    if (fin_sent_ && end == fin_seq_ && end == data_end()) return fin_seq_ + 1;
    return end;
}

}  // namespace tapstack
