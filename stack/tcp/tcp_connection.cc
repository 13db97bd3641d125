// SPDX-License-Identifier: MIT
// TcpConnection: construction, the one state-change function, opening, and the user calls of
// RFC 9293 §3.10 (SEND, RECEIVE, CLOSE, ABORT). Segment arrival is in tcp_input.cc (the ACK step
// in tcp_ack.cc), sending in tcp_output.cc, timers in tcp_timers.cc.
#include "stack/tcp/tcp_connection.hh"

#include <algorithm>

#include "stack/base/log.hh"

namespace tapstack {

namespace {
std::unique_ptr<TcpSettings> own_copy(const TcpSettings& shared, const ConnectionOptions& options) {
    if (!options.changes_settings()) return nullptr;
    return std::make_unique<TcpSettings>(options.applied_to(shared));
}
}  // namespace

TcpConnection::TcpConnection(TcpEnvironment& env, const TcpSettings& shared, const FourTuple& tuple, SeqNum iss,
                             TcpState initial, const ConnectionOptions& options)
    : env_(env),
      own_settings_(own_copy(shared, options)),
      settings_(own_settings_ ? own_settings_.get() : &shared),
      tuple_(tuple),
      state_(initial),
      iss_(iss),
      send_buffer_(settings_->send_buffer),
      receive_buffer_(settings_->receive_buffer),
      congestion_(settings_->congestion_control),
      recovery_(iss) {
    snd_.una = snd_.nxt = snd_.max = iss;
    send_base_ = pushed_seq_ = iss + 1;
    rcv_.offered_shift = window_shift_for(settings_->receive_buffer);
    ts_offset_ = timestamp_offset(iss);
    rcv_.quickacks_left = settings_->quickack_segments;
    keepalive_ = settings_->keepalive.enabled;
}

void TcpConnection::set_state(TcpState next, std::string_view why, Instant now) {
    if (next == state_) return;
    TcpState previous = state_;
    TS_LOG(Debug, "{} {} -> {} ({})", tuple_, to_string(previous), to_string(next), why);
    state_ = next;  // gdb: `break tapstack::TcpConnection::set_state`
    env_.state_changed(*this, previous, next, why, now);
}

void TcpConnection::account_buffers() {
    size_t now_held = send_buffer_.allocated() + receive_buffer_.allocated();
    if (now_held == buffers_accounted_) return;
    env_.buffer_memory_changed(*this, static_cast<int64_t>(now_held) - static_cast<int64_t>(buffers_accounted_));
    buffers_accounted_ = now_held;
}

void TcpConnection::post(Event e) {
    if (app_closed_) return;
    bool was_idle = events_ == 0;
    events_ = static_cast<uint8_t>(events_ | e);
    if (was_idle) env_.post_event(*this);
}

void TcpConnection::accept_syn(const TcpSegment& syn, Instant now) {
    // RFC 9293 §3.10.7.2 (LISTEN, third: check for a SYN).
    passive_open_ = true;
    irs_ = syn.seq;
    rcv_.nxt = syn.seq + 1;
    rcv_.advertised_edge = rcv_.nxt;
    snd_.wnd = syn.window;  // never scaled in a SYN (RFC 7323 §2.2)
    snd_.wl1 = syn.seq;
    snd_.wl2 = iss_;
    negotiate_options(syn.options);
    congestion_.on_connected(smss());
    set_state(TcpState::SynReceived, "SYN received", now);
    send_segment(tcp_flag::syn | tcp_flag::ack, iss_, {}, now, /*with_options=*/true);
    snd_.nxt = snd_.max = iss_ + 1;
    rtt_.start_timing(iss_, now);  // the handshake's RTT, as Linux's tcp_synack_rtt_meas()
    retransmit_timer_.arm(now, rtt_.rto());
}

bool TcpConnection::peer_unreachable(Instant now) {
    if (state_ == TcpState::SynSent) {
        // Our SYN never left: nobody answers ARP for the next hop. Linux's failed neighbour
        // entry reports host unreachable, which is fatal before the handshake (tcp_v4_err):
        // connect() fails with EHOSTUNREACH after ~3 s, instead of SYN retries for two minutes.
        TS_LOG(Debug, "{}: the next hop does not answer ARP: the connect fails", tuple_);
        terminate(CloseReason::HostUnreachable, now);
        return true;
    }
    if (!embryonic() || state_ == TcpState::Closed) return false;
    TS_LOG(Debug, "{}: the peer does not answer ARP: the half-open connection ends", tuple_);
    abandon_handshake(now);
    return true;
}

void TcpConnection::abandon_handshake(Instant now) {
    // No RST: the peer never answered (Linux drops a request socket silently), and the
    // application, which never saw the connection, is not told (as after an RST, reset_by_peer).
    app_closed_ = true;
    terminate(CloseReason::TimedOut, now);
}

void TcpConnection::accept_cookie(const TcpSegment& ack, const SynCookieOptions& cookie, Instant now) {
    irs_ = ack.seq - 1;
    rcv_.nxt = ack.seq;
    rcv_.advertised_edge =
        rcv_.nxt + std::min<uint32_t>(settings_->receive_buffer, max_unscaled_window);  // what the SYN,ACK offered
    last_ack_sent_ = rcv_.nxt;                                                          // the SYN,ACK's
    snd_.una = snd_.nxt = snd_.max = iss_ + 1;
    snd_.mss = std::min(cookie.mss, settings_->mss);
    // What the cookie's SYN,ACK answered, as negotiate_options() would have from the SYN.
    if (settings_->window_scaling && cookie.window_scale) {
        ws_ok_ = true;
        snd_.shift = std::min<uint8_t>(*cookie.window_scale, max_window_shift);
        rcv_.shift = rcv_.offered_shift;
    }
    // RFC 7323 §3.2: TS.Recent from this ACK, the first segment we keep (the SYN's TSval is gone).
    if (settings_->timestamps && cookie.timestamps && ack.options.timestamps) {
        ts_ok_ = true;
        ts_recent_ = ack.options.timestamps->value;
        // The echo times the cookie's SYN,ACK (RFC 7323 §4), as on any passive open and as in
        // Linux. The cookie's TSval is our clock with its low 6 bits replaced, never ahead of it,
        // so the sample can be up to 63 ms long: far closer than the initial 1 s RTO.
        int32_t ms = static_cast<int32_t>(ts_now(now) - ack.options.timestamps->echo_reply);
        if (ack.options.timestamps->echo_reply != 0 && ms >= 0) rtt_.on_sample(std::chrono::milliseconds{ms});
    }
    recovery_.enable_sack(settings_->sack && cookie.sack_permitted);
    snd_.wnd = static_cast<uint32_t>(ack.window) << snd_.shift;  // RFC 7323 §2.2: scaled but in a SYN
    max_snd_wnd_ = snd_.wnd;
    snd_.wl1 = ack.seq;
    snd_.wl2 = ack.ack;
    congestion_.on_connected(smss());
    una_since_ = now;
    set_state(TcpState::Established, "ACK with a valid SYN cookie", now);
    post(Accepted);
    process_text(ack, now);
    process_fin(ack, now);
    send_owed_ack(now);
    restart_keepalive(now);
}

void TcpConnection::connect(Instant now) {
    // RFC 9293 §3.10.1 OPEN call, active: send SYN, enter SYN-SENT.
    set_state(TcpState::SynSent, "active open", now);
    send_segment(tcp_flag::syn, iss_, {}, now, /*with_options=*/true);
    snd_.nxt = snd_.max = iss_ + 1;
    // RFC 6298 §2.1 starts at 1 s "until a round-trip time measurement has been made"; like
    // Linux (tcp_ack_update_rtt on the SYN,ACK) we time the SYN, unless it has to go again (Karn).
    rtt_.start_timing(iss_, now);
    retransmit_timer_.arm(now, rtt_.rto());
}

void TcpConnection::negotiate_options(const TcpOptions& peer) {
    // RFC 9293 §3.7.1: send no more than the peer's MSS (536 if it gave none) nor our own.
    if (peer.mss) snd_.mss = std::max<uint16_t>(*peer.mss, 64);
    snd_.mss = std::min(snd_.mss, settings_->mss);
    // RFC 7323 §2.2: scaling is on only when both SYNs carry the option; shifts above 14 are
    // treated as 14 (§2.3).
    if (settings_->window_scaling && peer.window_scale) {
        ws_ok_ = true;
        snd_.shift = std::min<uint8_t>(*peer.window_scale, max_window_shift);
        rcv_.shift = rcv_.offered_shift;
    }
    // RFC 7323 §3.2: timestamps only if the SYN had them; TS.Recent starts at its TSval.
    if (settings_->timestamps && peer.timestamps) {
        ts_ok_ = true;
        ts_recent_ = peer.timestamps->value;
    }
    recovery_.enable_sack(settings_->sack && peer.sack_permitted);  // RFC 2018 §2
}

uint32_t TcpConnection::send_queue() const {
    bool fin_acked = fin_sent_ && snd_.una == fin_seq_ + 1;
    return static_cast<uint32_t>(send_buffer_.size()) + (fin_queued_ && !fin_acked ? 1u : 0u);
}

size_t TcpConnection::send_space() const {
    switch (state_) {
    case TcpState::SynSent:
    case TcpState::SynReceived:
    case TcpState::Established:
    case TcpState::CloseWait: return fin_queued_ ? 0 : send_buffer_.free_space();
    case TcpState::Closed:
    case TcpState::Listen:
    case TcpState::FinWait1:
    case TcpState::FinWait2:
    case TcpState::Closing:
    case TcpState::LastAck:
    case TcpState::TimeWait: return 0;
    }
    return 0;
}

size_t TcpConnection::write(Bytes data, bool more) {
    // RFC 9293 §3.10.2 SEND: queued in SYN-SENT/SYN-RECEIVED until ESTABLISHED, then segmentized.
    more_ = more;
    // A push asked for before this write (uncork, TCP_NODELAY) was for the data there then;
    // Linux would have sent it already.
    if (more) push_now_ = false;
    if (send_space() == 0) return 0;
    size_t n = send_buffer_.push(data);
    account_buffers();
    return n;
}

size_t TcpConnection::peek(MutBytes out) const {
    size_t n = std::min(out.size(), receive_buffer_.size());
    if (n > 0) receive_buffer_.peek(0, out.first(n));
    return n;
}

size_t TcpConnection::read(MutBytes out, Instant now) {
    size_t n = std::min(out.size(), receive_buffer_.size());
    if (n == 0) return 0;
    receive_buffer_.peek(0, out.first(n));
    receive_buffer_.pop(n);
    if (window_update_due()) ack_pending_ = true;  // tcp_output.cc
    (void)now;
    return n;
}

void TcpConnection::close(Instant now) {
    // RFC 9293 §3.10.4 CLOSE.
    app_closed_ = true;
    events_ = 0;
    // Data still unread is lost: RFC 2525 §2.17 says send RST instead of FIN. Decided before the
    // state moves on: from LAST-ACK (CLOSE-WAIT's next state) no RST would go.
    if (!receive_buffer_.empty() && state_ != TcpState::Closed && state_ != TcpState::TimeWait) {
        send_reset_and_terminate(TcpEnd::Aborted, now);
        return;
    }
    switch (state_) {
    case TcpState::Closed:
    case TcpState::Listen: break;
    case TcpState::SynSent: set_state(TcpState::Closed, "closed before the handshake completed", now); break;
    case TcpState::SynReceived:
    case TcpState::Established:
        fin_queued_ = true;
        set_state(TcpState::FinWait1, "application closed", now);
        break;
    case TcpState::CloseWait:
        fin_queued_ = true;
        set_state(TcpState::LastAck, "application closed after the peer's FIN", now);
        break;
    case TcpState::FinWait2:
        // After shutdown_write(): the connection is orphaned now, and a peer that never sends
        // its FIN must not hold it for good (tcp_settings.hh, fin_wait_2_timeout).
        if (!fin_wait_2_timer_.armed()) fin_wait_2_timer_.arm(now, settings_->fin_wait_2_timeout);
        break;
    case TcpState::FinWait1:
    case TcpState::Closing:
    case TcpState::LastAck:
    case TcpState::TimeWait: break;  // "error: connection closing"
    }
}

void TcpConnection::shutdown_write(Instant now) {
    // RFC 9293 §3.10.4 CLOSE as the RFC means it ("I have no more to send"): the receiving side
    // stays open, and the application is still there to read (app_closed_ stays false).
    switch (state_) {
    case TcpState::SynReceived:
    case TcpState::Established:
        fin_queued_ = true;
        set_state(TcpState::FinWait1, "application shut down its sending side", now);
        break;
    case TcpState::CloseWait:
        fin_queued_ = true;
        set_state(TcpState::LastAck, "application shut down its sending side after the peer's FIN", now);
        break;
    case TcpState::Closed:
    case TcpState::Listen:
    case TcpState::SynSent:  // the socket layer aborts the open instead, as Linux does
    case TcpState::FinWait1:
    case TcpState::FinWait2:
    case TcpState::Closing:
    case TcpState::LastAck:
    case TcpState::TimeWait: break;
    }
}

void TcpConnection::abort(Instant now) {
    // RFC 9293 §3.10.5 ABORT.
    app_closed_ = true;
    events_ = 0;
    send_reset_and_terminate(TcpEnd::ResetByUs, now);
}

void TcpConnection::send_reset_and_terminate(TcpEnd end, Instant now) {
    bool reset = false;
    switch (state_) {
    case TcpState::SynReceived:
    case TcpState::Established:
    case TcpState::FinWait1:
    case TcpState::FinWait2:
    case TcpState::CloseWait:
        send_rst(now);
        reset = true;
        break;
    case TcpState::Closed:
    case TcpState::Listen:
    case TcpState::SynSent:
    case TcpState::Closing:
    case TcpState::LastAck:
    case TcpState::TimeWait: break;
    }
    terminate(CloseReason::Aborted, now, reset ? end : TcpEnd::Aborted);
}

void TcpConnection::terminate(CloseReason reason, Instant now, std::optional<TcpEnd> end) {
    close_reason_ = reason;
    if (end) {
        end_ = *end;
    } else if (state_ == TcpState::TimeWait) {
        end_ = TcpEnd::Closed;  // both sides had closed; only the wait was cut short
    } else {
        end_ = reason == CloseReason::Reset || reason == CloseReason::Refused ? TcpEnd::ResetByPeer : TcpEnd::Aborted;
    }
    retransmit_timer_.disarm();
    persist_timer_.disarm();
    time_wait_timer_.disarm();
    fin_wait_2_timer_.disarm();
    delayed_ack_timer_.disarm();
    keepalive_timer_.disarm();
    probe_timer_.disarm();
    send_buffer_.pop(send_buffer_.size());
    receive_buffer_.pop(receive_buffer_.size());
    reassembler_.clear();
    recovery_.clear();
    send_buffer_.release();
    receive_buffer_.release();
    account_buffers();
    set_state(TcpState::Closed, std::string_view{to_string(reason)}, now);
    post(Closed);
}

uint32_t TcpConnection::rcv_wnd() const {
    // The ring's free space, but no more than it can take without growing past the stack's
    // buffer memory (what it already holds is its own). The window never shrinks below what was
    // announced (window_to_advertise), so the budget can be passed by what is already promised.
    size_t free = receive_buffer_.free_space();
    size_t held =
        receive_buffer_.allocated() > receive_buffer_.size() ? receive_buffer_.allocated() - receive_buffer_.size() : 0;
    size_t left = env_.buffer_memory_left();
    if (left < free - held) free = held + left;
    return static_cast<uint32_t>(std::min<size_t>(free, size_t{max_unscaled_window} << rcv_.shift));
}

bool TcpConnection::accepts_new_syn_in_time_wait(const TcpSegment& syn) const {
    // RFC 9293 §3.10.7.4 note and RFC 6191 §2 (without timestamps): a SYN whose sequence number
    // is beyond the end of the old connection's receive space may start a new incarnation.
    return state_ == TcpState::TimeWait && syn.seq > rcv_.nxt;
}

std::string_view to_string(TcpEnd e) {
    switch (e) {
    case TcpEnd::Closed: return "closed";
    case TcpEnd::ResetByPeer: return "reset by peer";
    case TcpEnd::ResetByUs: return "reset by us";
    case TcpEnd::Aborted: return "aborted";
    }
    return "?";
}

std::string_view to_string(CloseReason r) {
    switch (r) {
    case CloseReason::Reset: return "reset by peer";
    case CloseReason::TimedOut: return "timed out";
    case CloseReason::Refused: return "connection refused";
    case CloseReason::Aborted: return "aborted";
    case CloseReason::HostUnreachable: return "host unreachable";
    }
    return "?";
}

}  // namespace tapstack
