// SPDX-License-Identifier: MIT
// What a connection sends and when: dispatch() picks the next segments (ACK, data within the
// send and congestion windows, FIN), and the timers of RFC 6298 (retransmission, with back-off),
// RFC 9293 §3.8.6.1 (zero-window probes) and §3.10.7.4 (TIME-WAIT) run from on_timer().
#include <algorithm>

#include "stack/base/log.hh"
#include "stack/tcp/tcp_connection.hh"

namespace tapstack {

void TcpConnection::send_segment(uint8_t flags, SeqNum seq, Bytes payload, Instant now, bool with_options) {
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
    if (!(flags & tcp_flag::rst)) add_options(seg, now);
    env_.transmit(*this, seg, now);
}

void TcpConnection::send_rst(Instant now) {
    // RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>.
    send_segment(tcp_flag::rst, snd_.nxt, {}, now);
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
    o.mss = settings_.mss;
    if (active ? settings_.window_scaling : ws_ok_) o.window_scale = rcv_.offered_shift;
    o.sack_permitted = active ? settings_.sack : sack_ok_;
}

void TcpConnection::add_options(TcpSegment& seg, Instant now) {
    // RFC 7323 §3.2: once agreed, every segment but a RST carries timestamps; TSecr is TS.Recent
    // (zero in our first SYN, where the ACK bit is off).
    bool offering = state_ == TcpState::SynSent && seg.syn() && settings_.timestamps;
    if (ts_ok_ || offering)
        seg.options.timestamps = TcpOptions::Timestamps{ts_now(now), seg.has_ack() ? ts_recent_ : 0};
    // RFC 2018 §4: every ACK sent while we hold out-of-order data reports it, the block with the
    // most recent segment first, then the others from the highest down (a simpler order than the
    // RFC's "most recently reported", and the same when data arrives in sequence order).
    if (sack_ok_ && seg.has_ack() && !reassembler_.empty()) {
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
    if (sack_ok_) o.sack_count = static_cast<uint8_t>(std::min<size_t>(reassembler_.count(), o.sack.size()));
    return static_cast<uint32_t>(o.encoded_len());
}

uint16_t TcpConnection::window_to_advertise(bool syn) {
    // RFC 7323 §2.2: the window in a SYN is never scaled.
    uint8_t shift = syn ? 0 : rcv_.shift;
    // Receiver-side silly-window avoidance (RFC 1122 §4.2.3.3): move the right edge only by at
    // least min(MSS, half the buffer); never move it left (RFC 9293 §3.8.6).
    uint32_t free = std::min<uint32_t>(rcv_wnd(), uint32_t{0xffff} << shift);
    SeqNum edge = rcv_.nxt + free;
    uint32_t step = std::min<uint32_t>(settings_.mss, settings_.receive_buffer / 2);
    if (rcv_.advertised_edge < edge && static_cast<uint32_t>(edge - rcv_.advertised_edge) < step &&
        rcv_.nxt <= rcv_.advertised_edge) {
        edge = rcv_.advertised_edge;  // too small a step: keep the old edge
    } else if (edge < rcv_.advertised_edge) {
        edge = rcv_.advertised_edge;
    }
    uint32_t wnd = std::min(edge > rcv_.nxt ? static_cast<uint32_t>(edge - rcv_.nxt) : 0, uint32_t{0xffff} << shift);
    // The field holds wnd >> shift; rounding down may pull the edge back by less than 2^shift
    // bytes (RFC 7323 §2.4), so the edge we accept up to stays the larger one.
    uint32_t field = std::min<uint32_t>(wnd >> shift, 0xffff);
    rcv_.advertised_wnd = field << shift;
    rcv_.advertised_edge = seq_max(rcv_.advertised_edge, rcv_.nxt + rcv_.advertised_wnd);
    return static_cast<uint16_t>(field);
}

bool TcpConnection::can_send_data() const {
    switch (state_) {
    case TcpState::Established:
    case TcpState::CloseWait:
    case TcpState::FinWait1:
    case TcpState::LastAck:
    case TcpState::Closing:
        return true;  // data queued before CLOSE still goes out before the FIN
    case TcpState::Closed:
    case TcpState::Listen:
    case TcpState::SynSent:
    case TcpState::SynReceived:
    case TcpState::FinWait2:
    case TcpState::TimeWait:
        return false;
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
    // PSH on the segment that empties what the application wrote, as Linux and Apache do.
    bool last = seq + len == data_end();
    seg.flags = static_cast<uint8_t>(tcp_flag::ack | (last ? tcp_flag::psh : 0) |
                                     (last && fin_sent_ && fin_seq_ == data_end() ? tcp_flag::fin : 0));
    seg.window = window_to_advertise(false);
    seg.payload = head;
    seg.payload_tail = tail;
    if (len > max_payload()) seg.offload_segment_payload = static_cast<uint16_t>(max_payload());
    mark_acked_by_segment();
    add_options(seg, now);
    env_.transmit(*this, seg, now);
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
    if (snd_.nxt < snd_.max) snd_.nxt = skip_sacked(snd_.nxt, limit);
    uint32_t unsent = unsent_bytes();
    if (unsent == 0) return false;

    // Two limits: the peer's window, from SND.UNA (RFC 9293 §3.8.6), and the congestion window
    // less what is in the network (RFC 5681; in SACK recovery, RFC 6675's pipe).
    SeqNum right_edge = snd_.una + snd_.wnd;
    uint32_t peer_room = snd_.nxt < right_edge ? static_cast<uint32_t>(right_edge - snd_.nxt) : 0;
    // The congestion window is counted in whole segments, as Linux does: any room at all lets a
    // full segment go. A byte-exact room would cut segments short, and a short segment that
    // waits for an ACK the peer delays (one segment outstanding) stalls for the delay.
    uint32_t full = max_payload();
    uint32_t in_network = in_recovery_ && sack_ok_ ? pipe() : flight_size();
    uint32_t window = congestion_.cwnd();
    uint32_t cwnd_room = window > in_network ? std::max(window - in_network, full) : 0;
    // RFC 3042 limited transmit: each of the first two duplicate ACKs lets one new segment out
    // beyond the congestion window, so that a small window still yields three duplicates.
    if (!in_recovery_ && !retransmission_pending() && dup_acks_ > 0 && dup_acks_ <= 2)
        cwnd_room = std::max(cwnd_room, window + dup_acks_ * smss() > in_network ? window + dup_acks_ * smss() - in_network : 0);
    uint32_t usable = std::min(peer_room, cwnd_room);
    if (usable == 0) {
        // RFC 9293 §3.8.6.1: a zero window with nothing in flight is probed by the persist timer.
        if (snd_.wnd == 0 && snd_.una == snd_.max && !persist_timer_.armed()) persist_timer_.arm(now, rtt_.rto());
        return false;
    }
    // With segmentation offload one segment may carry many full ones, which the device cuts up;
    // cut short by a window, it ends on a full segment's boundary.
    uint32_t burst = std::max(full, settings_.offload_payload / full * full);
    uint32_t wanted = std::min({unsent, burst, limit});
    uint32_t len = std::min(wanted, usable);
    if (len > full && len < wanted) len -= len % full;
    bool retransmission = snd_.nxt < snd_.max;
    bool outstanding = snd_.una != snd_.nxt;
    // Sender-side silly-window avoidance (RFC 1122 §4.2.3.4): no segment cut short by a window
    // while something is outstanding; the ACK for it opens the window further.
    if (len < std::min(wanted, full) && outstanding) return false;
    // Nagle (RFC 896): the end of what the application wrote, shorter than a full segment, goes
    // only when nothing is outstanding, unless Nagle is off or the application has closed (the
    // last piece goes out with or before the FIN).
    if (len < full && len == unsent && !retransmission && outstanding && settings_.nagle && !nodelay_ && !fin_queued_)
        return false;
    if (!retransmission) rtt_.start_timing(snd_.nxt, now);
    if (snd_.una == snd_.max) una_since_ = now;  // the clock of the user timeout starts
    if (retransmission) count_retransmission(now);
    // The FIN rides on the segment that carries the last byte the application wrote, so the peer
    // gets the end of the response and the end of the stream in one frame (docs/design.md,
    // "Why the FIN rides on the last data segment").
    if (settings_.fin_with_last_data && fin_queued_ && !fin_sent_ && len == unsent) {
        fin_sent_ = true;
        fin_seq_ = data_end();
    }
    send_data_segment(snd_.nxt, len, now);
    snd_.nxt += len;
    if (fin_sent_ && snd_.nxt == fin_seq_) snd_.nxt += 1;
    if (snd_.max < snd_.nxt) snd_.max = snd_.nxt;
    if (!retransmit_timer_.armed()) retransmit_timer_.arm(now, rtt_.rto());
    return true;
}

SeqNum TcpConnection::skip_sacked(SeqNum seq, uint32_t& limit) const {
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
    return seq_min(seq, snd_.max);
}

uint32_t TcpConnection::pipe() const {
    // RFC 6675 §4 "pipe", from ranges instead of per-segment flags: what was sent and is not
    // acknowledged, less what the peer SACKed, less the holes below its highest SACKed byte that
    // are presumed lost and not yet sent again (those above HighRxt).
    uint32_t outstanding = static_cast<uint32_t>(snd_.max - snd_.una);
    uint32_t gone = scoreboard_.bytes();
    SeqNum cursor = seq_max(snd_.una, high_rxt_);
    for (size_t i = 0; i < scoreboard_.count(); ++i) {
        const SackBlock& r = scoreboard_.range(i);
        if (!(cursor < r.right)) continue;
        if (cursor < r.left) gone += static_cast<uint32_t>(r.left - cursor);
        cursor = r.right;
    }
    return outstanding > gone ? outstanding - gone : 0;
}

std::optional<SeqNum> TcpConnection::next_hole(uint32_t& len) const {
    // The first byte at or above HighRxt that the peer lacks while holding something above it.
    SeqNum cursor = seq_max(snd_.una, high_rxt_);
    for (size_t i = 0; i < scoreboard_.count(); ++i) {
        const SackBlock& r = scoreboard_.range(i);
        if (!(cursor < r.right)) continue;
        if (cursor < r.left) {
            len = static_cast<uint32_t>(r.left - cursor);
            return cursor;
        }
        cursor = r.right;
    }
    return std::nullopt;
}

bool TcpConnection::retransmit_next_hole(Instant now) {
    uint32_t len = 0;
    auto seq = next_hole(len);
    if (!seq || !(*seq < data_end())) return false;
    len = std::min({len, max_payload(), static_cast<uint32_t>(data_end() - *seq)});
    count_retransmission(now);
    rtt_.stop_timing();  // Karn
    send_data_segment(*seq, len, now);
    high_rxt_ = *seq + len;
    return true;
}

void TcpConnection::dispatch(Instant now) {
    switch (state_) {
    case TcpState::Closed:
    case TcpState::Listen:
    case TcpState::SynSent:
        return;
    case TcpState::SynReceived:
    case TcpState::TimeWait:
    case TcpState::FinWait2:
        break;
    case TcpState::Established:
    case TcpState::CloseWait:
    case TcpState::FinWait1:
    case TcpState::Closing:
    case TcpState::LastAck:
        // SACK recovery (RFC 6675 §5): first the holes, as far as the congestion window allows,
        // then new data.
        if (in_recovery_ && sack_ok_) {
            while (pipe() + max_payload() <= congestion_.cwnd() && retransmit_next_hole(now)) {
            }
        }
        while (send_data(now)) {
        }
        if (!probe_timer_.armed()) arm_tail_loss_probe(now);
        // A FIN with no data left to carry it (the application closed after everything was
        // sent) goes in a segment of its own. After a timeout rewound snd.nxt, it is sent again.
        if (fin_queued_ && snd_.nxt == data_end() && (!fin_sent_ || snd_.nxt == fin_seq_)) {
            bool retransmission = fin_sent_;
            fin_seq_ = data_end();
            fin_sent_ = true;
            if (retransmission) count_retransmission(now);
            send_segment(tcp_flag::fin | tcp_flag::ack, fin_seq_, {}, now);
            snd_.nxt = fin_seq_ + 1;
            if (snd_.max < snd_.nxt) snd_.max = snd_.nxt;
            if (!retransmit_timer_.armed()) retransmit_timer_.arm(now, rtt_.rto());
        }
        break;
    }
    if (ack_pending_) send_ack(now);
}

SeqNum TcpConnection::retransmit_first_unacked(Instant now) {
    // Resends the segment at SND.UNA without rewinding snd.nxt (fast retransmit, partial ACK).
    count_retransmission(now);
    rtt_.stop_timing();  // Karn: no RTT sample across a retransmission
    if (snd_.una == iss_) {
        // Our SYN is not acknowledged yet: it goes again, also when the application closed
        // meanwhile (SYN-RECEIVED -> FIN-WAIT-1, RFC 9293 §3.10.4) and our FIN waits behind it.
        uint8_t flags = state_ == TcpState::SynSent ? tcp_flag::syn : static_cast<uint8_t>(tcp_flag::syn | tcp_flag::ack);
        send_segment(flags, iss_, {}, now, true);
        return iss_ + 1;
    }
    if (fin_sent_ && snd_.una == fin_seq_) {
        send_segment(tcp_flag::fin | tcp_flag::ack, fin_seq_, {}, now);
        return fin_seq_ + 1;
    }
    uint32_t available = static_cast<uint32_t>(std::max<int32_t>(0, data_end() - snd_.una));
    uint32_t limit = UINT32_MAX;
    (void)skip_sacked(snd_.una, limit);  // not into a range the peer holds
    uint32_t len = std::min<uint32_t>({available, max_payload(), static_cast<uint32_t>(snd_.max - snd_.una), limit});
    if (len == 0) return snd_.una;
    send_data_segment(snd_.una, len, now);
    SeqNum end = snd_.una + len;
    high_rxt_ = seq_max(high_rxt_, end);
    una_resent_at_max_ = snd_.max;
    // The FIN went along when this segment carries the last byte (send_data_segment sets it).
    if (fin_sent_ && end == fin_seq_ && end == data_end()) return fin_seq_ + 1;
    return end;
}

bool TcpConnection::give_up(Instant now) const {
    // A half-open connection has its own, shorter count (TcpSettings::max_synack_retransmissions):
    // it holds one of the few half-open slots, whether or not its peer exists.
    if (embryonic()) return backoff_count_ > settings_.max_synack_retransmissions;
    // RFC 9293 §3.8.3 R2 / USER TIMEOUT: after a time if the user set one, else after a count.
    if (settings_.user_timeout > Duration{0}) return now - una_since_ >= settings_.user_timeout;
    return backoff_count_ > (app_closed_ ? settings_.max_orphan_retransmissions : settings_.max_retransmissions);
}

void TcpConnection::on_retransmit_timeout(Instant now) {
    ++backoff_count_;
    if (give_up(now) && embryonic()) {
        // Debug, not Info: a SYN flood ends hundreds of these a minute.
        TS_LOG(Debug, "{}: no ACK for our SYN,ACK after {} retransmissions", tuple_, backoff_count_ - 1);
        abandon_handshake(now);
        return;
    }
    if (give_up(now)) {
        TS_LOG(Info, "{}: giving up after {} retransmissions", tuple_, backoff_count_ - 1);
        if (state_ != TcpState::SynSent) send_rst(now);
        terminate(CloseReason::TimedOut, now);
        return;
    }
    env_.loss_detected(*this, true);
    TS_LOG(Debug, "{}: retransmission timeout #{} (RTO {} ms): snd.una={} in flight {} of which SACKed {}, cwnd {}, {}", tuple_,
           backoff_count_, rtt_.rto().count() / 1000, snd_.una - iss_, flight_size(), scoreboard_.bytes(), congestion_.cwnd(),
           in_recovery_ ? "in recovery" : "not in recovery");
    // RFC 5681 §3.1: after a timeout, ssthresh = max(FlightSize/2, 2*SMSS), cwnd = 1 SMSS.
    congestion_.on_retransmit_timeout(flight_size(), smss());
    in_recovery_ = false;
    recover_ = snd_.max;
    dup_acks_ = 0;
    high_rxt_ = snd_.una;
    // RFC 2018 §8: the peer may drop data it SACKed. After a second timeout in a row, stop
    // trusting the scoreboard and resend everything (RFC 6675 §5.1).
    if (backoff_count_ > 1) scoreboard_.clear();
    rtt_.back_off();  // RFC 6298 §5.5
    SeqNum resent_end = retransmit_first_unacked(now);
    // Go back: everything after SND.UNA is sent again as the window reopens (the receiver's
    // cumulative ACK skips what it already holds; send_data() skips what it SACKed).
    if (state_ != TcpState::SynSent && state_ != TcpState::SynReceived) snd_.nxt = seq_min(resent_end, snd_.max);
    retransmit_timer_.arm(now, rtt_.rto());
}

void TcpConnection::send_persist_probe(Instant now) {
    // One byte beyond the closed window; snd.nxt does not move, so it is not "in flight".
    if (unsent_bytes() == 0 || snd_.wnd != 0) return;
    if (snd_.max < snd_.nxt + 1) snd_.max = snd_.nxt + 1;
    send_data_segment(snd_.nxt, 1, now);
}

void TcpConnection::arm_tail_loss_probe(Instant now) {
    // RFC 8985 §7.2: PTO = 2 SRTT (plus the peer's delayed-ACK time when one segment is out),
    // and at least SRTT + 4 RTTVAR and tlp_min, and only if it comes before the retransmission
    // timeout. The variance term is ours: over TAP the RTT is 0.1 ms until the client is
    // scheduled late, and 2 SRTT alone then probed segments that were not lost on a clean link. A loss at the
    // tail of a flight brings no duplicate ACKs; the probe makes the peer report it (SACK).
    // In recovery the same timer watches our retransmission of SND.UNA's segment: no progress
    // within PTO means that copy was lost too (RACK's reordering timer, RFC 8985 §6.2, with PTO
    // for the window), and it goes again without waiting for the 200 ms timeout.
    std::optional<Duration> srtt = rtt_.srtt();
    bool eligible = srtt && snd_.una != snd_.max && !retransmission_pending() && (in_recovery_ || probes_sent_ < 2) &&
                    can_send_data();
    if (!eligible) {
        probe_timer_.disarm();
        return;
    }
    Duration pto = std::max<Duration>({2 * *srtt, *srtt + 4 * rtt_.rttvar(), tlp_min});
    if (!in_recovery_ && flight_size() <= smss()) pto += std::chrono::milliseconds{200};  // RFC 8985 WCDelAckT
    // RFC 8985 sends one probe and then waits for the timeout; when the probe or its answer is
    // lost too, that costs 200 ms. A second probe, after twice the time, makes it rarer.
    if (!in_recovery_ && probes_sent_ == 1) pto *= 2;
    // Once the peer has SACKed data sent after SND.UNA's segment, that segment needs only one
    // RTT plus a quarter for reordering (RACK's reo_wnd, RFC 8985 §6.2) to be called lost.
    if (sack_ok_ && !scoreboard_.empty()) pto = std::max<Duration>(*srtt + *srtt / 4, std::chrono::milliseconds{1});
    auto rto_at = retransmit_timer_.deadline();
    if (rto_at && now + pto >= *rto_at) probe_timer_.disarm();
    else probe_timer_.arm(now, pto);
}

void TcpConnection::send_tail_loss_probe(Instant now) {
    bool still_due = snd_.una != snd_.max && !retransmission_pending() &&
                     can_send_data();
    if (!still_due) return;
    TS_LOG(Debug, "{}: {} (snd.una={}, in flight {}, SACKed {})", tuple_,
           in_recovery_ ? "no progress in recovery: SND.UNA's segment again" : "tail loss probe", snd_.una - iss_,
           flight_size(), scoreboard_.bytes());
    if (in_recovery_) {
        retransmit_first_unacked(now);
        arm_tail_loss_probe(now);
        return;
    }
    if (sack_ok_ && !scoreboard_.empty()) {
        // Data sent after SND.UNA's segment has arrived and a whole PTO passed without that
        // segment: it is lost (RACK's rule, RFC 8985 §6.2, applied by order at this timer), even
        // if too few segments came after it for three duplicate ACKs.
        enter_recovery(now);
        return;
    }
    // RFC 8985 §7.3 allows new data or the last segment sent; we resend the last segment: the
    // peer answers it at once either way (it fills a hole, or it is a duplicate), where new data
    // that arrives in order may wait for the peer's delayed ACK (40 ms on Linux). The congestion
    // window is not touched.
    ++probes_sent_;
    SeqNum end = seq_min(snd_.max, data_end());
    if (!(snd_.una < end) || snd_.una == iss_) {
        retransmit_first_unacked(now);  // only a FIN (or our SYN) is outstanding
        return;
    }
    uint32_t len = std::min<uint32_t>(max_payload(), static_cast<uint32_t>(end - snd_.una));
    count_retransmission(now);
    rtt_.stop_timing();  // Karn
    send_data_segment(end - len, len, now);
    retransmit_timer_.arm(now, rtt_.rto());
}

void TcpConnection::send_keepalive_probe(Instant now) {
    // RFC 1122 §4.2.3.6: SEG.SEQ = SND.NXT - 1 and no data; the peer answers with an ACK.
    send_segment(tcp_flag::ack, snd_.nxt - 1, {}, now);
}

void TcpConnection::restart_keepalive(Instant now) {
    if (!keepalive_ || (state_ != TcpState::Established && state_ != TcpState::CloseWait)) {
        keepalive_timer_.disarm();
        return;
    }
    keepalive_timer_.arm(now, keepalive_probes_ == 0 ? settings_.keepalive.idle : settings_.keepalive.interval);
}

void TcpConnection::on_timer(Instant now) {
    if (time_wait_timer_.expired(now)) {
        time_wait_timer_.disarm();
        end_ = TcpEnd::Closed;
        set_state(TcpState::Closed, "TIME-WAIT timer expired (2 MSL)", now);
        return;
    }
    if (fin_wait_2_timer_.expired(now)) {
        // The peer never sent its FIN. As Linux does for an orphaned socket, the connection just
        // goes, without a RST: the peer may be gone, and if not, its next segment gets one.
        TS_LOG(Debug, "{}: no FIN from the peer in FIN-WAIT-2", tuple_);
        terminate(CloseReason::TimedOut, now);
        return;
    }
    if (probe_timer_.expired(now)) {
        probe_timer_.disarm();
        send_tail_loss_probe(now);
    }
    if (delayed_ack_timer_.expired(now)) {
        delayed_ack_timer_.disarm();
        ack_pending_ = true;  // dispatch() sends it
    }
    if (keepalive_timer_.expired(now)) {
        keepalive_timer_.disarm();
        if (snd_.una != snd_.max) {
            restart_keepalive(now);  // data in flight: the retransmission timer watches the peer
        } else if (keepalive_probes_ >= settings_.keepalive.probes) {
            TS_LOG(Info, "{}: no answer to {} keep-alive probes", tuple_, keepalive_probes_);
            send_rst(now);
            terminate(CloseReason::TimedOut, now);
            return;
        } else {
            send_keepalive_probe(now);
            ++keepalive_probes_;
            restart_keepalive(now);
        }
    }
    if (retransmit_timer_.expired(now)) {
        retransmit_timer_.disarm();
        on_retransmit_timeout(now);
        if (state_ == TcpState::Closed) return;
    }
    if (persist_timer_.expired(now)) {
        persist_timer_.disarm();
        if (snd_.wnd != 0 || unsent_bytes() == 0) return;
        // Back off like the retransmission timer, up to the maximum (RFC 1122 §4.2.2.17).
        Duration next = std::min(rto_max, rtt_.rto() * (1 << std::min<uint32_t>(backoff_count_, 10)));
        if (persist_gives_up(now, next)) {
            TS_LOG(Info, "{}: giving up on the peer's zero window after {} probes ({} unanswered{})", tuple_,
                   backoff_count_, persist_unanswered_, app_closed_ ? ", the application has closed" : "");
            send_rst(now);
            terminate(CloseReason::TimedOut, now);
            return;
        }
        if (!persist_since_) persist_since_ = now;
        send_persist_probe(now);
        ++persist_unanswered_;
        ++backoff_count_;
        persist_timer_.arm(now, next);
    }
}

bool TcpConnection::persist_gives_up(Instant now, Duration next) const {
    // RFC 1122 §4.2.2.17 keeps a zero window probed "indefinitely" while the peer answers; Linux
    // (tcp_probe_timer) gives up on a peer that stops answering (tcp_retries2 probes), on a user
    // timeout, and on an orphaned connection once the probes have backed off to the maximum after
    // tcp_orphan_retries of them, answered or not: nobody will ever read that connection again,
    // and a peer that keeps its window shut would hold its memory for good.
    if (persist_unanswered_ >= settings_.max_retransmissions) return true;
    if (settings_.user_timeout > Duration{0} && persist_since_ && now - *persist_since_ >= settings_.user_timeout) return true;
    return app_closed_ && backoff_count_ >= settings_.max_orphan_retransmissions && next >= rto_max;
}

bool TcpConnection::needs_deadline() const {
    switch (state_) {
    case TcpState::Closed:
    case TcpState::Listen:
        return false;
    case TcpState::SynSent:
    case TcpState::SynReceived:
    case TcpState::FinWait1:
    case TcpState::FinWait2:
    case TcpState::Closing:
    case TcpState::LastAck:
    case TcpState::TimeWait:
        return true;
    case TcpState::Established:
    case TcpState::CloseWait:
        return snd_.una != snd_.max || unsent_bytes() > 0;
    }
    return true;
}

std::optional<Instant> TcpConnection::next_deadline() const {
    auto at = earliest(retransmit_timer_.deadline(), persist_timer_.deadline());
    at = earliest(at, time_wait_timer_.deadline());
    at = earliest(at, fin_wait_2_timer_.deadline());
    at = earliest(at, delayed_ack_timer_.deadline());
    at = earliest(at, probe_timer_.deadline());
    return earliest(at, keepalive_timer_.deadline());
}

}  // namespace tapstack
