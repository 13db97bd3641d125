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
    if (flags & tcp_flag::ack) {
        seg.ack = rcv_.nxt;
        seg.window = window_to_advertise();
        ack_pending_ = false;
    } else if (!(flags & tcp_flag::rst)) {
        seg.window = window_to_advertise();  // a SYN: our window, RCV.NXT not yet known
    }
    if (with_options) seg.options.mss = settings_.mss;
    env_.transmit(*this, seg, now);
}

void TcpConnection::send_rst(Instant now) {
    // RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>.
    send_segment(tcp_flag::rst, snd_.nxt, {}, now);
}

uint16_t TcpConnection::window_to_advertise() {
    // Receiver-side silly-window avoidance (RFC 1122 §4.2.3.3): move the right edge only by at
    // least min(MSS, half the buffer); never move it left (RFC 9293 §3.8.6).
    uint32_t free = rcv_wnd();
    SeqNum edge = rcv_.nxt + free;
    uint32_t step = std::min<uint32_t>(settings_.mss, settings_.receive_buffer / 2);
    if (rcv_.advertised_edge < edge && static_cast<uint32_t>(edge - rcv_.advertised_edge) < step &&
        rcv_.nxt <= rcv_.advertised_edge) {
        edge = rcv_.advertised_edge;  // too small a step: keep the old edge
    } else if (edge < rcv_.advertised_edge) {
        edge = rcv_.advertised_edge;
    }
    uint32_t wnd = edge > rcv_.nxt ? static_cast<uint32_t>(edge - rcv_.nxt) : 0;
    wnd = std::min<uint32_t>(wnd, 0xffff);
    rcv_.advertised_edge = rcv_.nxt + wnd;
    rcv_.advertised_wnd = wnd;
    return static_cast<uint16_t>(wnd);
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
    seg.window = window_to_advertise();
    seg.payload = head;
    seg.payload_tail = tail;
    ack_pending_ = false;
    env_.transmit(*this, seg, now);
}

uint32_t TcpConnection::unsent_bytes() const {
    SeqNum end = data_end();
    return snd_.nxt < end ? static_cast<uint32_t>(end - snd_.nxt) : 0;
}

bool TcpConnection::send_data(Instant now) {
    uint32_t unsent = unsent_bytes();
    if (unsent == 0 || !can_send_data()) return false;
    uint32_t window = std::min(snd_.wnd, cwnd_);
    uint32_t flight = flight_size();
    uint32_t usable = window > flight ? window - flight : 0;
    if (usable == 0) {
        // RFC 9293 §3.8.6.1: a zero window with nothing in flight is probed by the persist timer.
        if (snd_.wnd == 0 && snd_.una == snd_.max && !persist_timer_.armed()) persist_timer_.arm(now, rto_);
        return false;
    }
    uint32_t len = std::min({unsent, usable, uint32_t{snd_.mss}});
    // Sender-side silly-window avoidance (RFC 1122 §4.2.3.4): a short segment goes out only
    // when it is the end of what the application wrote, or nothing is outstanding.
    if (len < snd_.mss && len < unsent && flight > 0) return false;

    bool retransmission = snd_.nxt < snd_.max;
    if (!retransmission && !rtt_seq_) {
        rtt_seq_ = snd_.nxt;
        rtt_start_ = now;
    }
    if (retransmission) count_retransmission();
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
    if (!retransmit_timer_.armed()) retransmit_timer_.arm(now, rto_);
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
        while (send_data(now)) {
        }
        // A FIN with no data left to carry it (the application closed after everything was
        // sent) goes in a segment of its own. After a timeout rewound snd.nxt, it is sent again.
        if (fin_queued_ && snd_.nxt == data_end() && (!fin_sent_ || snd_.nxt == fin_seq_)) {
            bool retransmission = fin_sent_;
            fin_seq_ = data_end();
            fin_sent_ = true;
            if (retransmission) count_retransmission();
            send_segment(tcp_flag::fin | tcp_flag::ack, fin_seq_, {}, now);
            snd_.nxt = fin_seq_ + 1;
            if (snd_.max < snd_.nxt) snd_.max = snd_.nxt;
            if (!retransmit_timer_.armed()) retransmit_timer_.arm(now, rto_);
        }
        break;
    }
    if (ack_pending_) send_ack(now);
}

void TcpConnection::retransmit_first_unacked(Instant now) {
    // Resends the segment at SND.UNA without rewinding snd.nxt (fast retransmit, partial ACK).
    count_retransmission();
    rtt_seq_.reset();  // Karn: no RTT sample across a retransmission
    if (state_ == TcpState::SynSent) {
        send_segment(tcp_flag::syn, iss_, {}, now, true);
        return;
    }
    if (state_ == TcpState::SynReceived && snd_.una == iss_) {
        send_segment(tcp_flag::syn | tcp_flag::ack, iss_, {}, now, true);
        return;
    }
    if (fin_sent_ && snd_.una == fin_seq_) {
        send_segment(tcp_flag::fin | tcp_flag::ack, fin_seq_, {}, now);
        return;
    }
    uint32_t available = static_cast<uint32_t>(std::max<int32_t>(0, data_end() - snd_.una));
    uint32_t len = std::min<uint32_t>({available, snd_.mss, static_cast<uint32_t>(snd_.max - snd_.una)});
    if (len == 0) return;
    send_data_segment(snd_.una, len, now);
}

void TcpConnection::on_rtt_sample(Duration r) {
    // RFC 6298 §2.2 and §2.3, with alpha = 1/8, beta = 1/4, K = 4, G = 1 ms.
    if (!srtt_) {
        srtt_ = r;
        rttvar_ = r / 2;
    } else {
        Duration diff = *srtt_ > r ? *srtt_ - r : r - *srtt_;
        rttvar_ = (3 * rttvar_ + diff) / 4;
        srtt_ = (7 * *srtt_ + r) / 8;
    }
    Duration rto = *srtt_ + std::max<Duration>(std::chrono::milliseconds{1}, 4 * rttvar_);
    rto_ = std::clamp(rto, rto_min, rto_max);
}

void TcpConnection::on_retransmit_timeout(Instant now) {
    if (++backoff_count_ > settings_.max_retransmissions) {
        TS_LOG(Info, "{}: giving up after {} retransmissions", tuple_, settings_.max_retransmissions);
        if (state_ != TcpState::SynSent) send_rst(now);
        terminate(CloseReason::TimedOut, now);
        return;
    }
    // RFC 5681 §3.1 (5): after a timeout, ssthresh = max(FlightSize/2, 2*SMSS), cwnd = 1 SMSS.
    ssthresh_ = std::max(flight_size() / 2, 2u * snd_.mss);
    cwnd_ = snd_.mss;
    in_recovery_ = false;
    recover_ = snd_.max;
    dup_acks_ = 0;
    rto_ = std::min(rto_ * 2, rto_max);  // RFC 6298 §5.5: back off
    retransmit_first_unacked(now);
    // Go back: everything after SND.UNA is sent again as the window reopens (the receiver's
    // cumulative ACK skips what it already holds).
    if (state_ != TcpState::SynSent && state_ != TcpState::SynReceived) {
        SeqNum resent_end = snd_.una + std::min<uint32_t>(snd_.mss, static_cast<uint32_t>(snd_.max - snd_.una));
        if (fin_sent_ && resent_end == fin_seq_) resent_end = fin_seq_ + 1;  // the FIN went along
        snd_.nxt = seq_min(resent_end, snd_.max);
    }
    retransmit_timer_.arm(now, rto_);
}

void TcpConnection::send_persist_probe(Instant now) {
    // One byte beyond the closed window; snd.nxt does not move, so it is not "in flight".
    if (unsent_bytes() == 0 || snd_.wnd != 0) return;
    if (snd_.max < snd_.nxt + 1) snd_.max = snd_.nxt + 1;
    send_data_segment(snd_.nxt, 1, now);
}

void TcpConnection::on_timer(Instant now) {
    if (time_wait_timer_.expired(now)) {
        time_wait_timer_.disarm();
        set_state(TcpState::Closed, "TIME-WAIT timer expired (2 MSL)", now);
        return;
    }
    if (retransmit_timer_.expired(now)) {
        retransmit_timer_.disarm();
        on_retransmit_timeout(now);
        if (state_ == TcpState::Closed) return;
    }
    if (persist_timer_.expired(now)) {
        send_persist_probe(now);
        // Back off like the retransmission timer, up to the maximum (RFC 1122 §4.2.2.17).
        Duration next = std::min(rto_max, rto_ * (1 << std::min<uint32_t>(backoff_count_, 10)));
        ++backoff_count_;
        if (snd_.wnd == 0 && unsent_bytes() > 0) persist_timer_.arm(now, next);
        else persist_timer_.disarm();
    }
}

std::optional<Instant> TcpConnection::next_deadline() const {
    return earliest(earliest(retransmit_timer_.deadline(), persist_timer_.deadline()), time_wait_timer_.deadline());
}

}  // namespace tapstack
