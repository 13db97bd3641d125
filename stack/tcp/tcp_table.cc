// SPDX-License-Identifier: MIT
// The connection table (see tcp_table.hh): slots with generations, the 4-tuple map, TIME-WAIT
// eviction, the timer heap (one live entry per connection), dispatch and socket events, and the
// counters of how connections end. Called by Stack::poll() and the Stack API, and by the
// connections as their TcpEnvironment. Segments for no connection are in tcp_listen.cc.
#include "stack/tcp/tcp_table.hh"

#include <algorithm>
#include <cassert>

#include "stack/base/log.hh"
#include "stack/base/siphash.hh"

namespace tapstack {

TcpTable::TcpTable(Ipv4Layer& ip, const TcpSettings& settings, const TcpTableConfig& config, StackStats& stats)
    : ip_(ip), settings_(settings), config_(config), stats_(stats) {}

// ---------------------------------------------------------------- input
void TcpTable::receive(const Ipv4View& ip, Instant now) {
    PseudoHeader ph{ip.src(), ip.dst(), static_cast<uint8_t>(IpProtocol::Tcp),
                    static_cast<uint16_t>(ip.payload().size())};
    auto seg = TcpSegment::parse(ip.payload(), ph);
    if (!seg) return stats_.drop(drop_reason(seg.error()));
    if (seg->src_port == 0 || seg->dst_port == 0) return stats_.drop(DropReason::TcpBadSegment);
    ++stats_.tcp_segments_received;
    FourTuple tuple{ip.dst(), seg->dst_port, ip.src(), seg->src_port};

    if (auto it = by_tuple_.find(tuple); it != by_tuple_.end()) {
        TcpConnection& c = *slots_[it->second].conn;
        // RFC 9293 §3.10.7.4 / RFC 6191: a new SYN may reopen a tuple that sits in TIME-WAIT.
        if (seg->syn() && !seg->has_ack() && !seg->rst() && c.accepts_new_syn_in_time_wait(*seg) &&
            listeners_.count(tuple.local_port)) {
            TS_LOG(Debug, "{}: new SYN reuses the tuple in TIME-WAIT", tuple);
            free_connection(it->second);
        } else if (drops_for_full_accept_queue(c, *seg)) {
            return stats_.drop(DropReason::TcpAcceptQueueFull);
        } else {
            c.process(*seg, now);
            mark(c);  // its ACK goes out after this batch of frames, before the application runs
            return;
        }
    }
    receive_without_connection(tuple, *seg, now);
}

// ---------------------------------------------------------------- slots
TcpConnection* TcpTable::create_connection(const FourTuple& tuple, SeqNum iss, SocketHandler* handler, TcpState initial,
                                           const ConnectionOptions& options) {
    if (by_tuple_.size() >= config_.max_connections && !evict_oldest_time_wait()) return nullptr;
    uint32_t index;
    if (!free_slots_.empty()) {
        index = free_slots_.back();
        free_slots_.pop_back();
    } else {
        index = static_cast<uint32_t>(slots_.size());
        slots_.emplace_back();
    }
    Slot& s = slots_[index];
    s.conn = std::make_unique<TcpConnection>(*this, settings_, tuple, iss, initial, options);
    if (options.nodelay) s.conn->set_nodelay(*options.nodelay);
    if (options.cork) s.conn->set_cork(*options.cork);
    s.conn->set_socket_id(SocketId{index, s.generation});
    s.conn->set_handler(handler);
    by_tuple_[tuple] = index;
    ++stats_.tcp_connections_opened;
    return s.conn.get();
}

// A full table makes room by dropping the connection that has been in TIME-WAIT longest (as
// Linux does past tcp_max_tw_buckets): at high connection rates with server-first close,
// TIME-WAIT must never lock out new clients. Live connections are never evicted.
bool TcpTable::evict_oldest_time_wait() {
    while (!time_wait_order_.empty()) {
        SocketId id = time_wait_order_.front();
        time_wait_order_.pop_front();
        TcpConnection* c = get(id);
        if (c && c->state() == TcpState::TimeWait) {
            TS_LOG(Debug, "{}: evicted from TIME-WAIT, the connection table is full", c->tuple());
            free_connection(id.index);
            return true;
        }
    }
    return false;
}

void TcpTable::free_connection(uint32_t index) {
    Slot& s = slots_[index];
    if (!s.conn) return;
    auto it = by_tuple_.find(s.conn->tuple());
    if (it != by_tuple_.end() && it->second == index) by_tuple_.erase(it);
    stats_.buffer_memory -= s.conn->buffer_memory();
    if (s.conn->state() == TcpState::TimeWait) {
        // Evicted from a full table or replaced by a new SYN: its close was complete.
        --stats_.tcp_connections_time_wait;
        ++stats_.tcp_connections_closed;
    }
    s.conn.reset();
    ++s.generation;
    s.queued_for_dispatch = false;
    free_slots_.push_back(index);
}

SeqNum TcpTable::initial_sequence_number(const FourTuple& t, Instant now) const {
    if (config_.fixed_iss) return SeqNum{*config_.fixed_iss};
    // RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs clock.
    uint8_t key_input[12];
    MutBytes k{key_input, sizeof key_input};
    store_tuple(k, t);
    uint64_t f = siphash24(config_.isn_secret, ~config_.isn_secret * 0x9e3779b97f4a7c15ull, k);
    return SeqNum{static_cast<uint32_t>(f) + static_cast<uint32_t>(now.us() / 4)};
}

// ---------------------------------------------------------------- for the Stack API
Result<SocketId, ConnectError> TcpTable::connect(Ipv4Address dst, uint16_t port, SocketHandler& handler, Instant now,
                                                 uint16_t local_port, const ConnectionOptions& options) {
    if (local_port != 0) {
        FourTuple tuple{ip_.address(), local_port, dst, port};
        if (by_tuple_.count(tuple)) return Err{ConnectError::AddressInUse};
        return open_active(tuple, handler, now, options);
    }
    // Ephemeral ports 49152-65535 (RFC 6335), the first free one for this destination.
    for (uint32_t tries = 0; tries < 16384; ++tries) {
        uint16_t p = next_ephemeral_port_;
        next_ephemeral_port_ = static_cast<uint16_t>(p == 65535 ? 49152 : p + 1);
        FourTuple tuple{ip_.address(), p, dst, port};
        if (by_tuple_.count(tuple) || listeners_.count(p)) continue;
        return open_active(tuple, handler, now, options);
    }
    return Err{ConnectError::NoFreePort};
}

Result<SocketId, ConnectError> TcpTable::open_active(const FourTuple& tuple, SocketHandler& handler, Instant now,
                                                     const ConnectionOptions& options) {
    TcpConnection* c =
        create_connection(tuple, initial_sequence_number(tuple, now), &handler, TcpState::Closed, options);
    if (!c) return Err{ConnectError::TooManyConnections};
    c->connect(now);
    reschedule(*c);
    return c->socket_id();
}

void TcpTable::close_all(Instant now) {
    listeners_.clear();
    for (auto& slot : slots_) {
        if (!slot.conn) continue;
        TcpConnection& c = *slot.conn;
        if (!c.app_closed()) {
            c.close(now);
            mark(c);
        }
    }
}

// ---------------------------------------------------------------- output and TcpEnvironment
void TcpTable::send(Ipv4Address dst, const TcpSegment& seg, Instant now) {
    size_t len = seg.header_len() + seg.payload_len();
    // With checksum offload the device sums the segment; we leave it the pseudo-header's sum.
    TxOffload offload{config_.checksum_offload, seg.offload_segment_payload};
    auto checksum = offload.partial_checksum ? TcpSegment::Checksum::Partial : TcpSegment::Checksum::Full;
    ip_.send(
        dst, IpProtocol::Tcp, len, [&](MutBytes out, PseudoHeader ph) { seg.emit(out, ph, checksum); }, now, offload);
    // The device gives every piece of a segment it cuts up an IPv4 identification of its own.
    if (offload.segment_payload > 0) ip_.skip_identifications((seg.payload_len() - 1) / offload.segment_payload);
    ++stats_.tcp_segments_sent;
    if (seg.rst()) ++stats_.tcp_resets_sent;
}

void TcpTable::state_changed(TcpConnection& c, TcpState from, TcpState to, std::string_view why, Instant at) {
    if (observer_) observer_->on_state_change(at, c.tuple(), from, to, why);
    if (to == TcpState::SynReceived) half_open_.push_back(slot_of(c));
    if (from == TcpState::SynReceived) std::erase(half_open_, slot_of(c));
    if (to == TcpState::SynSent) connecting_.push_back(slot_of(c));
    if (from == TcpState::SynSent) std::erase(connecting_, slot_of(c));
    // A passive open is complete (from a SYN, or from LISTEN with a SYN cookie): it waits in
    // its listener's accept queue.
    if (to == TcpState::Established && (from == TcpState::Listen || c.passive_open()))
        took_accept_room(c.tuple().local_port);
    if (from == TcpState::TimeWait) --stats_.tcp_connections_time_wait;
    if (to == TcpState::Closed) count_end(c.end());
    if (to == TcpState::TimeWait) entered_time_wait(c);
    if (to == TcpState::Closed) mark(c);  // to be freed at the end of poll()
}

void TcpTable::entered_time_wait(TcpConnection& c) {
    ++stats_.tcp_connections_time_wait;
    // Everyone waits equally long, so the queue is in expiry order: drop from its front what has
    // already left TIME-WAIT, and it never holds more than the live ones.
    while (!time_wait_order_.empty()) {
        TcpConnection* old = get(time_wait_order_.front());
        if (old && old->state() == TcpState::TimeWait) break;
        time_wait_order_.pop_front();
    }
    time_wait_order_.push_back(c.socket_id());
}

// Each connection reaches CLOSED once, and is counted there by how it ended.
void TcpTable::count_end(TcpEnd end) {
    switch (end) {
    case TcpEnd::Closed: ++stats_.tcp_connections_closed; break;
    case TcpEnd::ResetByPeer: ++stats_.tcp_connections_reset_by_peer; break;
    case TcpEnd::ResetByUs: ++stats_.tcp_connections_reset_by_us; break;
    case TcpEnd::Aborted: ++stats_.tcp_connections_aborted; break;
    }
}

size_t TcpTable::buffer_memory_left() const {
    return config_.max_buffer_memory > stats_.buffer_memory ? config_.max_buffer_memory - stats_.buffer_memory : 0;
}

void TcpTable::buffer_memory_changed(TcpConnection&, int64_t delta) {
    stats_.buffer_memory = static_cast<uint64_t>(static_cast<int64_t>(stats_.buffer_memory) + delta);
}

void TcpTable::loss_detected(TcpConnection&, bool by_timeout) {
    ++(by_timeout ? stats_.tcp_timeouts : stats_.tcp_fast_recoveries);
}

// ---------------------------------------------------------------- timers, dispatch, events
// Keeps at most one live heap entry per connection: a later deadline reuses the entry already
// queued (it fires early, finds nothing to do, and re-queues); an earlier one adds an entry.
void TcpTable::reschedule(TcpConnection& c) {
    auto at = c.next_deadline();
    if (!at) return;
    if (c.scheduled_at && *c.scheduled_at <= *at) return;
    c.scheduled_at = at;
    timers_.push({*at, slot_of(c), c.socket_id().generation});
}

void TcpTable::run_timers(Instant now) {
    while (!timers_.empty() && timers_.top().at <= now) {
        TimerEntry e = timers_.top();
        timers_.pop();
        TcpConnection* c = get(SocketId{e.slot, e.generation});
        if (!c || !c->scheduled_at || *c->scheduled_at != e.at) continue;  // stale entry
        c->scheduled_at.reset();
        c->on_timer(now);
        c->dispatch(now);
        reschedule(*c);
        if (c->finished()) mark(*c);
    }
}

// ARP gave up on these next hops. A half-open connection behind one of them would otherwise
// keep its slot until its SYN,ACKs run out (a minute), each one queued for an address that
// does not answer: a SYN flood from spoofed addresses on the link held the whole table so.
// Connections the application has, established or not, wait for their own timers instead.
void TcpTable::end_unreachable(const std::vector<Ipv4Address>& hops, Instant now) {
    // Backwards: a connection that ends leaves its list (state_changed), and marks itself
    // to be freed at the end of poll().
    for (std::vector<uint32_t>* list : {&half_open_, &connecting_}) {
        for (size_t i = list->size(); i-- > 0;) {
            TcpConnection& c = *slots_[(*list)[i]].conn;
            auto hop = ip_.next_hop(c.tuple().remote_ip);
            if (hop && std::find(hops.begin(), hops.end(), *hop) != hops.end()) c.peer_unreachable(now);
        }
    }
}

void TcpTable::deliver_events() {
    // Handlers may cause more events (a write that completes, a close): a few rounds at most.
    for (int round = 0; round < 4 && !event_queue_.empty(); ++round) {
        event_batch_.clear();
        event_batch_.swap(event_queue_);
        for (SocketId id : event_batch_) {
            TcpConnection* c = get(id);
            if (!c) continue;
            uint8_t ev = c->take_events();
            SocketHandler* h = c->handler();
            if (!h || ev == 0) continue;
            if ((ev & TcpConnection::Accepted)) h->on_accept(id);
            if ((ev & TcpConnection::Connected) && get(id)) h->on_connected(id);
            if ((ev & TcpConnection::Readable) && get(id) && !get(id)->app_closed()) h->on_readable(id);
            if ((ev & TcpConnection::Writable) && get(id) && !get(id)->app_closed()) h->on_writable(id);
            if ((ev & TcpConnection::Closed) && get(id)) {
                TcpConnection* closed = get(id);
                closed->mark_app_gone();
                h->on_closed(id, closed->close_reason());
                mark(*closed);
            }
        }
    }
}

void TcpTable::flush_dispatch(Instant now) {
    // Connections touched by the application or by input: send what is due, free the dead.
    for (size_t i = 0; i < dispatch_queue_.size(); ++i) {
        uint32_t index = dispatch_queue_[i];
        Slot& s = slots_[index];
        s.queued_for_dispatch = false;
        if (!s.conn) continue;
        TcpConnection& c = *s.conn;
        c.dispatch(now);
        reschedule(c);
        if (c.finished() && (c.app_closed() || c.pending_events() == 0)) free_connection(index);
    }
    dispatch_queue_.clear();
}

std::optional<Instant> TcpTable::poll_at(Instant now) const {
    std::optional<Instant> at;
    if (!timers_.empty()) at = timers_.top().at;
    if (!dispatch_queue_.empty() || !event_queue_.empty()) at = earliest(at, now);
    return at;
}

// A connection that only a timer can move on and that has none would sit there for good (a
// half-open one held its slot so). Debug builds, and so the unit tests and the fuzz targets,
// check every connection after every poll: each one that needs a deadline has one, and the heap
// holds an entry for it that fires no later.
void TcpTable::check_no_connection_is_stuck() const {
    for (const Slot& s : slots_) {
        if (!s.conn || !s.conn->needs_deadline()) continue;
        const TcpConnection& c = *s.conn;
        auto at = c.next_deadline();
        bool queued = at && c.scheduled_at && *c.scheduled_at <= *at;
        if (!queued)
            TS_LOG(Error, "{} in {} has no timer: it would stay there for good", c.tuple(), to_string(c.state()));
        assert(queued);
    }
}

}  // namespace tapstack
