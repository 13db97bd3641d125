// SPDX-License-Identifier: MIT
// A connection's timers: on_timer() runs those that expired and next_deadline() says when the
// next one is due (the two mirror each other). Retransmission with back-off (RFC 6298), the tail
// loss probe (RFC 8985 §7; loss_recovery.hh times it), zero-window probes (RFC 9293 §3.8.6.1),
// keep-alive (RFC 1122 §4.2.3.6), FIN-WAIT-2 and TIME-WAIT. What to send otherwise is tcp_output.cc's.
#include <algorithm>

#include "stack/base/log.hh"
#include "stack/tcp/tcp_connection.hh"

namespace tapstack {

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
        on_keepalive_timer(now);
        if (state_ == TcpState::Closed) return;
    }
    if (retransmit_timer_.expired(now)) {
        retransmit_timer_.disarm();
        on_retransmit_timeout(now);
        if (state_ == TcpState::Closed) return;
    }
    if (persist_timer_.expired(now)) {
        persist_timer_.disarm();
        on_persist_timer(now);
    }
    if (cork_timer_.expired(now)) {
        cork_timer_.disarm();
        push_now_ = snd_.una == snd_.max;  // still nothing in flight: what waits goes (dispatch)
    }
}

void TcpConnection::on_keepalive_timer(Instant now) {
    if (snd_.una != snd_.max) {
        restart_keepalive(now);  // data in flight: the retransmission timer watches the peer
    } else if (keepalive_probes_ >= settings_->keepalive.probes) {
        TS_LOG(Info, "{}: no answer to {} keep-alive probes", tuple_, keepalive_probes_);
        send_rst(now);
        terminate(CloseReason::TimedOut, now);
    } else {
        send_keepalive_probe(now);
        ++keepalive_probes_;
        restart_keepalive(now);
    }
}

void TcpConnection::on_persist_timer(Instant now) {
    if (snd_.wnd != 0 || unsent_bytes() == 0) return;
    // Back off like the retransmission timer, up to the maximum (RFC 1122 §4.2.2.17): as Linux's
    // tcp_send_probe0, the wait after the n-th probe is RTO·2^n (the first probe came after one RTO).
    Duration next = std::min(rto_max, rtt_.rto() * (1 << std::min<uint32_t>(backoff_count_ + 1, 10)));
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

bool TcpConnection::persist_gives_up(Instant now, Duration next) const {
    // RFC 1122 §4.2.2.17 keeps a zero window probed "indefinitely" while the peer answers; Linux
    // (tcp_probe_timer) gives up on a peer that stops answering (tcp_retries2 probes), on a user
    // timeout, and on an orphaned connection once the probes have backed off to the maximum after
    // tcp_orphan_retries of them, answered or not: nobody will ever read that connection again,
    // and a peer that keeps its window shut would hold its memory for good.
    if (persist_unanswered_ >= settings_->max_retransmissions) return true;
    if (settings_->user_timeout > Duration{0} && persist_since_ && now - *persist_since_ >= settings_->user_timeout)
        return true;
    return app_closed_ && backoff_count_ >= settings_->max_orphan_retransmissions && next >= rto_max;
}

bool TcpConnection::give_up(Instant now) const {
    // A half-open connection has its own, shorter count (TcpSettings::max_synack_retransmissions):
    // it holds one of the few half-open slots, whether or not its peer exists.
    if (embryonic()) return backoff_count_ > settings_->max_synack_retransmissions;
    // RFC 9293 §3.8.3 R2 / USER TIMEOUT: after a time if the user set one, else after a count.
    if (settings_->user_timeout > Duration{0}) return now - una_since_ >= settings_->user_timeout;
    return backoff_count_ > (app_closed_ ? settings_->max_orphan_retransmissions : settings_->max_retransmissions);
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
        // No RST: the peer has answered nothing for a while, and Linux's tcp_write_err() sends
        // none either (a segment that comes later gets the RST of a connection that is gone).
        terminate(CloseReason::TimedOut, now);
        return;
    }
    env_.loss_detected(*this, true);
    TS_LOG(Debug, "{}: retransmission timeout #{} (RTO {} ms): snd.una={} in flight {} of which SACKed {}, cwnd {}, {}",
           tuple_, backoff_count_, rtt_.rto().count() / 1000, snd_.una - iss_, flight_size(), recovery_.sacked_bytes(),
           congestion_.cwnd(), recovery_.in_recovery() ? "in recovery" : "not in recovery");
    // RFC 5681 §3.1: after a timeout, ssthresh = max(FlightSize/2, 2*SMSS), cwnd = 1 SMSS.
    congestion_.on_retransmit_timeout(flight_size(), smss());
    // Recovery ends; after a second timeout in a row the scoreboard goes too (RFC 2018 §8).
    recovery_.on_retransmit_timeout(snd_.una, snd_.max, /*forget_sacks=*/backoff_count_ > 1);
    rtt_.back_off();  // RFC 6298 §5.5
    SeqNum resent_end = retransmit_first_unacked(now);
    // Go back: everything after SND.UNA is sent again as the window reopens (the receiver's
    // cumulative ACK skips what it already holds; send_data() skips what it SACKed).
    if (state_ != TcpState::SynSent && state_ != TcpState::SynReceived) snd_.nxt = seq_min(resent_end, snd_.max);
    retransmit_timer_.arm(now, rtt_.rto());
}

void TcpConnection::arm_tail_loss_probe(Instant now) {
    // RFC 8985 §7: a loss at the tail of a flight brings no duplicate ACKs; the probe makes the
    // peer report it (SACK). In recovery the same timer watches our retransmission of SND.UNA's
    // segment, which goes again without waiting for the 200 ms timeout if no progress comes.
    // Loss recovery says how long (LossRecovery::probe_timeout); the probe must come before the
    // retransmission timeout.
    std::optional<Duration> pto;
    if (settings_->tail_loss_probe && snd_.una != snd_.max && !retransmission_pending() && can_send_data())
        pto = recovery_.probe_timeout(rtt_.srtt(), rtt_.rttvar(), flight_size(), smss());
    auto rto_at = retransmit_timer_.deadline();
    if (!pto || (rto_at && now + *pto >= *rto_at)) probe_timer_.disarm();
    else probe_timer_.arm(now, *pto);
}

void TcpConnection::send_tail_loss_probe(Instant now) {
    bool still_due = snd_.una != snd_.max && !retransmission_pending() && can_send_data();
    if (!still_due) return;
    TS_LOG(Debug, "{}: {} (snd.una={}, in flight {}, SACKed {})", tuple_,
           recovery_.in_recovery() ? "no progress in recovery: SND.UNA's segment again" : "tail loss probe",
           snd_.una - iss_, flight_size(), recovery_.sacked_bytes());
    switch (recovery_.on_probe_timeout()) {
    case LossRecovery::ProbeAction::ResendUna:
        retransmit_first_unacked(now);
        arm_tail_loss_probe(now);
        return;
    case LossRecovery::ProbeAction::EnterRecovery: enter_recovery(now); return;
    case LossRecovery::ProbeAction::ProbeTail: break;
    }
    // RFC 8985 §7.3 allows new data or the last segment sent; we resend the last segment: the
    // peer answers it at once either way (it fills a hole, or it is a duplicate), where new data
    // that arrives in order may wait for the peer's delayed ACK (40 ms on Linux). The congestion
    // window is not touched.
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

void TcpConnection::send_persist_probe(Instant now) {
    // As Linux's tcp_xmit_probe_skb: a segment the peer must answer with its current window, the
    // byte before SND.UNA and no data (RFC 9293 §3.8.6.1 also allows "at least one octet of new
    // data"; packetdrill scripts and captures show Linux's form). Nothing goes in flight, so
    // neither the retransmission timer nor the tail loss probe has anything to time.
    if (unsent_bytes() == 0 || snd_.wnd != 0) return;
    send_segment(tcp_flag::ack, snd_.una - 1, {}, now);
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
    keepalive_timer_.arm(now, keepalive_probes_ == 0 ? settings_->keepalive.idle : settings_->keepalive.interval);
}

bool TcpConnection::needs_deadline() const {
    switch (state_) {
    case TcpState::Closed:
    case TcpState::Listen: return false;
    case TcpState::FinWait2: return app_closed_;  // after shutdown_write() it waits for its application (close())
    case TcpState::SynSent:
    case TcpState::SynReceived:
    case TcpState::FinWait1:
    case TcpState::Closing:
    case TcpState::LastAck:
    case TcpState::TimeWait: return true;
    case TcpState::Established:
    case TcpState::CloseWait: return snd_.una != snd_.max || unsent_bytes() > 0;
    }
    return true;
}

std::optional<Instant> TcpConnection::next_deadline() const {
    auto at = earliest(retransmit_timer_.deadline(), persist_timer_.deadline());
    at = earliest(at, time_wait_timer_.deadline());
    at = earliest(at, fin_wait_2_timer_.deadline());
    at = earliest(at, delayed_ack_timer_.deadline());
    at = earliest(at, probe_timer_.deadline());
    at = earliest(at, cork_timer_.deadline());
    return earliest(at, keepalive_timer_.deadline());
}

}  // namespace tapstack
