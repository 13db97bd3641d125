// SPDX-License-Identifier: MIT
// Segments that find no connection (RFC 9293 §3.10.7.1 CLOSED, §3.10.7.2 LISTEN): a SYN to a
// listener makes a connection, past max_half_open a SYN gets a SYN cookie instead, a returning
// cookie makes an ESTABLISHED one, and anything else gets the RST the RFC asks for; a listener
// whose accept queue is full (set_accept_room) takes no new handshake. Part of
// TcpTable (tcp_table.hh), called from TcpTable::receive; the cookie's arithmetic is in syn_cookies.cc.
#include <algorithm>

#include "stack/tcp/syn_cookies.hh"
#include "stack/tcp/tcp_constants.hh"
#include "stack/tcp/tcp_table.hh"

namespace tapstack {

void TcpTable::receive_without_connection(const FourTuple& tuple, const TcpSegment& seg, Instant now) {
    if (seg.rst()) return;  // "An incoming segment containing a RST is discarded"
    auto listener = listeners_.find(tuple.local_port);
    // A full accept queue takes no new handshake, cookie or not: Linux drops the SYN (or the
    // cookie's ACK) and the peer tries again later.
    if (listener != listeners_.end() && listener->second.full() && seg.has_ack() != seg.syn()) {
        return stats_.drop(DropReason::TcpAcceptQueueFull);
    }
    if (listener != listeners_.end() && seg.has_ack() && !seg.syn()) {
        if (auto cookie = valid_syn_cookie(tuple, seg, now))
            return accept_cookie(tuple, seg, *cookie, listener->second, now);
    }
    // (A table full of live connections drops the SYN instead, below: the client tries again
    // later, where a cookie would leave it connected to nothing.)
    if (listener != listeners_.end() && seg.syn() && !seg.has_ack() && half_open_.size() >= config_.max_half_open) {
        return send_syn_cookie(tuple, seg, listener->second, now);
    }
    if (listener == listeners_.end() || seg.has_ack() || !seg.syn()) {
        if (listener == listeners_.end()) stats_.drop(DropReason::TcpNoListener);
        else stats_.drop(DropReason::TcpUnacceptable);
        if (listener != listeners_.end() && !seg.has_ack() && !seg.syn()) return;  // LISTEN: drop
        send_reset_for(tuple, seg, now);
        return;
    }
    TcpConnection* c = create_connection(tuple, initial_sequence_number(tuple, now), listener->second.handler,
                                         TcpState::Listen, listener->second.options);
    if (!c) return stats_.drop(DropReason::TcpTableFull);
    c->accept_syn(seg, now);
    reschedule(*c);
}

// When the half-open connections reach max_half_open (a SYN flood), a SYN gets a SYN,ACK whose
// ISN and TSval encode everything we need (syn_cookies.hh) and no TCB: the client's final ACK
// proves it received our ISN, and the connection is made then.
void TcpTable::send_syn_cookie(const FourTuple& tuple, const TcpSegment& syn, const Listener& listener, Instant now) {
    TcpSettings settings = listener.options.applied_to(settings_);
    uint16_t peer_mss = syn.options.mss.value_or(default_mss);
    uint8_t index = syn_cookie::mss_index(std::min<uint16_t>(peer_mss, settings.mss));
    // What a normal SYN,ACK would answer (RFC 7323 §2.2, §3.2; RFC 2018 §2), if we can carry it.
    bool timestamps = settings.timestamps && syn.options.timestamps;
    bool window_scale = timestamps && settings.window_scaling && syn.options.window_scale;
    bool sack = timestamps && settings.sack && syn.options.sack_permitted;
    uint8_t options =
        syn_cookie::options_bits(timestamps, window_scale ? syn.options.window_scale : std::nullopt, sack);
    TcpSegment synack;
    synack.src_port = tuple.local_port;
    synack.dst_port = tuple.remote_port;
    synack.seq =
        SeqNum{syn_cookie::encode(config_.isn_secret, tuple, syn.seq, syn_cookie::counter(now), index, options)};
    synack.ack = syn.seq + 1;
    synack.flags = tcp_flag::syn | tcp_flag::ack;
    synack.window = static_cast<uint16_t>(std::min(settings.receive_buffer, max_unscaled_window));
    synack.options.mss = settings.mss;
    if (window_scale) synack.options.window_scale = window_shift_for(settings.receive_buffer);
    synack.options.sack_permitted = sack;
    if (timestamps) {
        uint32_t tsval = syn_cookie::timestamp(timestamp_clock(now, synack.seq), options);
        synack.options.timestamps = TcpOptions::Timestamps{tsval, syn.options.timestamps->value};
    }
    ++stats_.tcp_syn_cookies_sent;
    send(tuple.remote_ip, synack, now);
}

// What the cookie in this ACK stands for, if it is one of ours from the last two minutes.
std::optional<SynCookieOptions> TcpTable::valid_syn_cookie(const FourTuple& tuple, const TcpSegment& ack,
                                                           Instant now) const {
    if (stats_.tcp_syn_cookies_sent == 0) return std::nullopt;  // none out there to answer
    std::optional<uint32_t> echoed;
    if (settings_.timestamps && ack.options.timestamps) echoed = ack.options.timestamps->echo_reply;
    return syn_cookie::check(config_.isn_secret, now, tuple, ack.seq - 1, (ack.ack - 1).raw, echoed);
}

void TcpTable::accept_cookie(const FourTuple& tuple, const TcpSegment& ack, const SynCookieOptions& options,
                             const Listener& listener, Instant now) {
    TcpConnection* c = create_connection(tuple, ack.ack - 1, listener.handler, TcpState::Listen, listener.options);
    if (!c) return stats_.drop(DropReason::TcpTableFull);
    ++stats_.tcp_syn_cookies_accepted;
    c->accept_cookie(ack, options, now);
    mark(*c);
    reschedule(*c);
}

void TcpTable::update_listener_options(uint16_t port, const ConnectionOptions& change) {
    if (auto it = listeners_.find(port); it != listeners_.end()) it->second.options.update(change);
}

void TcpTable::set_accept_room(uint16_t port, std::optional<uint32_t> room) {
    if (auto it = listeners_.find(port); it != listeners_.end()) it->second.accept_room = room;
}

bool TcpTable::accept_queue_full(uint16_t port) const {
    auto it = listeners_.find(port);
    return it != listeners_.end() && it->second.full();
}

void TcpTable::took_accept_room(uint16_t port) {
    auto it = listeners_.find(port);
    if (it != listeners_.end() && it->second.accept_room && *it->second.accept_room > 0) --*it->second.accept_room;
}

// Linux's full accept queue (tcp_check_req): the ACK that would complete a passive open is
// dropped, the connection stays in SYN-RECEIVED, and its SYN,ACK retransmission makes the peer
// send the ACK again, by when the application may have accepted.
bool TcpTable::drops_for_full_accept_queue(const TcpConnection& c, const TcpSegment& seg) const {
    return c.state() == TcpState::SynReceived && c.passive_open() && seg.has_ack() && !seg.rst() && !seg.syn() &&
           accept_queue_full(c.tuple().local_port);
}

void TcpTable::send_reset_for(const FourTuple& tuple, const TcpSegment& seg, Instant now) {
    // "If the ACK bit is off, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; else <SEQ=SEG.ACK><CTL=RST>"
    TcpSegment rst;
    rst.src_port = tuple.local_port;
    rst.dst_port = tuple.remote_port;
    if (seg.has_ack()) {
        rst.seq = seg.ack;
        rst.flags = tcp_flag::rst;
    } else {
        rst.seq = SeqNum{0};
        rst.ack = seg.seq + seg.seg_len();
        rst.flags = tcp_flag::rst | tcp_flag::ack;
    }
    send(tuple.remote_ip, rst, now);
}

}  // namespace tapstack
