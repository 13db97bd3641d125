// SPDX-License-Identifier: MIT
// Stack::Impl: the interface glue. Frames come in through handle_frame(): EthernetLayer
// (stack/link) takes Ethernet and ARP, Ipv4Layer (stack/ip) checks and reassembles, deliver()
// hands ICMP to IcmpEcho and TCP to handle_tcp(); TCP segments go to their connection by 4-tuple
// (O(1) hash lookup) or to a listener. Frames go out through Ipv4Layer::send(), then
// EthernetLayer::route() (ARP queues the frame while it waits). Timers
// of all connections sit in one min-heap. Socket events are collected while processing and
// delivered at the end of poll().
#include "stack/stack.hh"

#include <algorithm>
#include <cassert>
#include <deque>
#include <queue>
#include <unordered_map>
#include <vector>

#include "stack/base/log.hh"
#include "stack/base/siphash.hh"
#include "stack/ip/icmp_echo.hh"
#include "stack/ip/ipv4_layer.hh"
#include "stack/link/ethernet_layer.hh"
#include "stack/observer.hh"
#include "stack/tcp/syn_cookies.hh"
#include "stack/tcp/tcp_connection.hh"
#include "stack/wire/ethernet.hh"
#include "stack/wire/ipv4.hh"
#include "stack/wire/tcp.hh"

namespace tapstack {
namespace {

// Listener handles live in a separate index space from connection slots.
constexpr uint32_t listener_index_base = 0x80000000u;
// At most this many frames per poll(), so timers and the application still run under a flood.
constexpr size_t max_frames_per_poll = 4096;

}  // namespace

struct Stack::Impl final : TcpEnvironment {
    Impl(const StackConfig& c, NetDev& d)
        : config(c),
          dev(d),
          offloads(d.offloads()),
          ethernet(d, c.mac, c.ip, c.arp_timeout, stats),
          ipv4(ethernet, d, c.ip, c.gateway, stats),
          icmp(ipv4, stats) {
        rx_buffer.resize(max_device_frame_len);
        settings.receive_buffer = c.receive_buffer;
        settings.send_buffer = c.send_buffer;
        settings.time_wait = 2 * c.msl;
        settings.fin_wait_2_timeout = 2 * c.msl;  // Linux: tcp_fin_timeout = TIME-WAIT's 60 s
        settings.max_retransmissions = c.max_retransmissions;
        settings.max_orphan_retransmissions = c.max_orphan_retransmissions;
        settings.max_synack_retransmissions = c.max_synack_retransmissions;
        settings.fin_with_last_data = c.fin_with_last_data;
        settings.window_scaling = c.window_scaling;
        settings.timestamps = c.timestamps;
        settings.sack = c.sack;
        settings.nagle = c.nagle;
        settings.delayed_ack = c.delayed_ack;
        settings.user_timeout = c.user_timeout;
        settings.keepalive = c.keepalive;
        settings.mss = static_cast<uint16_t>(std::min<size_t>(d.mtu(), 65535) - Ipv4Header::len - tcp_field::min_header_len);
        // Segmentation offload: segments as large as the device takes and an IPv4 datagram holds
        // (with the longest TCP header), the way Linux sends 64 KB bundles to a TSO device.
        if (offloads.max_segmentation_frame > 0) {
            size_t frame = std::min(offloads.max_segmentation_frame, max_device_frame_len);
            size_t headers = ethernet_field::header_len + Ipv4Header::len + tcp_field::max_header_len;
            if (frame > headers) settings.offload_payload = static_cast<uint32_t>(std::min<size_t>(frame - headers, 65535 - Ipv4Header::len - tcp_field::max_header_len));
        }
    }

    StackConfig config;
    NetDev& dev;
    Offloads offloads;  // what the device finishes for us (--offload on a TAP device)
    TcpSettings settings;
    StackStats stats;
    ConnectionObserver* observer = nullptr;
    EthernetLayer ethernet;  // Ethernet demux, ARP responder and resolution
    Ipv4Layer ipv4;          // IPv4 input, reassembly, output, fragmentation
    IcmpEcho icmp;           // echo replies
    std::vector<uint8_t> rx_buffer;
    // Slots of the connections in SYN-RECEIVED (at most max_half_open but for simultaneous
    // opens): their count limits the half-open table, and an ARP failure searches them only.
    std::vector<uint32_t> half_open;
    uint16_t next_ephemeral_port = 49152;
    Instant now;

    struct Slot {
        std::unique_ptr<TcpConnection> conn;
        uint32_t generation = 1;
        bool queued_for_dispatch = false;
    };
    std::vector<Slot> slots;
    std::vector<uint32_t> free_slots;
    std::unordered_map<FourTuple, uint32_t, FourTupleHash> by_tuple;
    std::unordered_map<uint16_t, SocketHandler*> listeners;

    struct TimerEntry {
        Instant at;
        uint32_t slot;
        uint32_t generation;
        bool operator>(const TimerEntry& o) const { return at > o.at; }
    };
    std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers;
    std::vector<uint32_t> dispatch_queue;  // slots with something to send or to free
    std::deque<SocketId> time_wait_order;  // connections in the order they entered TIME-WAIT
    std::vector<SocketId> event_queue;
    std::vector<SocketId> event_batch;  // reused by deliver_events(): no allocation per poll

    // ---------------------------------------------------------------- bookkeeping
    TcpConnection* get(SocketId id) const {
        if (id.index >= slots.size()) return nullptr;
        const Slot& s = slots[id.index];
        if (s.generation != id.generation || !s.conn) return nullptr;
        return s.conn.get();
    }
    uint32_t slot_of(const TcpConnection& c) const { return c.socket_id().index; }

    void mark(TcpConnection& c) {
        Slot& s = slots[slot_of(c)];
        if (!s.queued_for_dispatch) {
            s.queued_for_dispatch = true;
            dispatch_queue.push_back(slot_of(c));
        }
    }

    // Keeps at most one live heap entry per connection: a later deadline reuses the entry already
    // queued (it fires early, finds nothing to do, and re-queues); an earlier one adds an entry.
    void reschedule(TcpConnection& c) {
        auto at = c.next_deadline();
        if (!at) return;
        if (c.scheduled_at && *c.scheduled_at <= *at) return;
        c.scheduled_at = at;
        timers.push({*at, slot_of(c), c.socket_id().generation});
    }

    TcpConnection* create_connection(const FourTuple& tuple, SeqNum iss, SocketHandler* handler,
                                     TcpState initial = TcpState::Closed) {
        if (by_tuple.size() >= config.max_connections && !evict_oldest_time_wait()) return nullptr;
        uint32_t index;
        if (!free_slots.empty()) {
            index = free_slots.back();
            free_slots.pop_back();
        } else {
            index = static_cast<uint32_t>(slots.size());
            slots.emplace_back();
        }
        Slot& s = slots[index];
        s.conn = std::make_unique<TcpConnection>(*this, settings, tuple, iss, initial);
        s.conn->set_socket_id(SocketId{index, s.generation});
        s.conn->set_handler(handler);
        by_tuple[tuple] = index;
        ++stats.tcp_connections_opened;
        return s.conn.get();
    }

    // A full table makes room by dropping the connection that has been in TIME-WAIT longest (as
    // Linux does past tcp_max_tw_buckets): at high connection rates with server-first close,
    // TIME-WAIT must never lock out new clients. Live connections are never evicted.
    bool evict_oldest_time_wait() {
        while (!time_wait_order.empty()) {
            SocketId id = time_wait_order.front();
            time_wait_order.pop_front();
            TcpConnection* c = get(id);
            if (c && c->state() == TcpState::TimeWait) {
                TS_LOG(Debug, "{}: evicted from TIME-WAIT, the connection table is full", c->tuple());
                free_connection(id.index);
                return true;
            }
        }
        return false;
    }

    void free_connection(uint32_t index) {
        Slot& s = slots[index];
        if (!s.conn) return;
        auto it = by_tuple.find(s.conn->tuple());
        if (it != by_tuple.end() && it->second == index) by_tuple.erase(it);
        stats.buffer_memory -= s.conn->buffer_memory();
        if (s.conn->state() == TcpState::TimeWait) {
            // Evicted from a full table or replaced by a new SYN: its close was complete.
            --stats.tcp_connections_time_wait;
            ++stats.tcp_connections_closed;
        }
        s.conn.reset();
        ++s.generation;
        s.queued_for_dispatch = false;
        free_slots.push_back(index);
    }

    // Each connection reaches CLOSED once, and is counted there by how it ended.
    void count_end(TcpEnd end) {
        switch (end) {
        case TcpEnd::Closed: ++stats.tcp_connections_closed; break;
        case TcpEnd::ResetByPeer: ++stats.tcp_connections_reset_by_peer; break;
        case TcpEnd::ResetByUs: ++stats.tcp_connections_reset_by_us; break;
        case TcpEnd::Aborted: ++stats.tcp_connections_aborted; break;
        }
    }

    SeqNum initial_sequence_number(const FourTuple& t) {
        if (config.fixed_iss) return SeqNum{*config.fixed_iss};
        // RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs clock.
        uint8_t key_input[12];
        MutBytes k{key_input, sizeof key_input};
        store_tuple(k, t);
        uint64_t f = siphash24(config.isn_secret, ~config.isn_secret * 0x9e3779b97f4a7c15ull, k);
        return SeqNum{static_cast<uint32_t>(f) + static_cast<uint32_t>(now.us() / 4)};
    }

    // ---------------------------------------------------------------- output
    void send_tcp(Ipv4Address dst, const TcpSegment& seg) {
        size_t len = seg.header_len() + seg.payload_len();
        // With checksum offload the device sums the segment; we leave it the pseudo-header's sum.
        TxOffload offload{offloads.tcp_checksum, seg.offload_segment_payload};
        auto checksum = offload.partial_checksum ? TcpSegment::Checksum::Partial : TcpSegment::Checksum::Full;
        ipv4.send(dst, IpProtocol::Tcp, len, [&](MutBytes out, PseudoHeader ph) { seg.emit(out, ph, checksum); }, now, offload);
        // The device gives every piece of a segment it cuts up an IPv4 identification of its own.
        if (offload.segment_payload > 0) ipv4.skip_identifications((seg.payload_len() - 1) / offload.segment_payload);
        ++stats.tcp_segments_sent;
        if (seg.rst()) ++stats.tcp_resets_sent;
    }

    // TcpEnvironment
    void transmit(TcpConnection& c, const TcpSegment& seg, Instant) override { send_tcp(c.tuple().remote_ip, seg); }
    void state_changed(TcpConnection& c, TcpState from, TcpState to, std::string_view why, Instant at) override {
        if (observer) observer->on_state_change(at, c.tuple(), from, to, why);
        if (to == TcpState::SynReceived) half_open.push_back(slot_of(c));
        if (from == TcpState::SynReceived) std::erase(half_open, slot_of(c));
        if (from == TcpState::TimeWait) --stats.tcp_connections_time_wait;
        if (to == TcpState::Closed) count_end(c.end());
        if (to == TcpState::TimeWait) {
            ++stats.tcp_connections_time_wait;
            // Everyone waits equally long, so the queue is in expiry order: drop from its front
            // what has already left TIME-WAIT, and it never holds more than the live ones.
            while (!time_wait_order.empty()) {
                TcpConnection* old = get(time_wait_order.front());
                if (old && old->state() == TcpState::TimeWait) break;
                time_wait_order.pop_front();
            }
            time_wait_order.push_back(c.socket_id());
        }
        if (to == TcpState::Closed) mark(c);  // to be freed at the end of poll()
    }
    void post_event(TcpConnection& c) override { event_queue.push_back(c.socket_id()); }
    void retransmitted(TcpConnection&) override { ++stats.tcp_retransmissions; }
    size_t buffer_memory_left() const override {
        return config.max_buffer_memory > stats.buffer_memory ? config.max_buffer_memory - stats.buffer_memory : 0;
    }
    void buffer_memory_changed(TcpConnection&, int64_t delta) override {
        stats.buffer_memory = static_cast<uint64_t>(static_cast<int64_t>(stats.buffer_memory) + delta);
    }
    void challenge_ack_suppressed(TcpConnection&) override { ++stats.tcp_challenge_acks_suppressed; }
    void loss_detected(TcpConnection&, bool by_timeout) override {
        ++(by_timeout ? stats.tcp_timeouts : stats.tcp_fast_recoveries);
    }

    // ---------------------------------------------------------------- input
    void handle_frame(Bytes frame) {
        auto packet = ethernet.receive(frame, now);
        if (!packet) return;
        auto datagram = ipv4.receive(*packet, now);
        if (!datagram) return;
        deliver(*datagram);
    }

    void deliver(const Ipv4View& ip) {
        switch (ip.protocol()) {
        case static_cast<uint8_t>(IpProtocol::Icmp): return icmp.receive(ip, now);
        case static_cast<uint8_t>(IpProtocol::Tcp): return handle_tcp(ip);
        default: return stats.drop(DropReason::Ipv4UnknownProtocol);
        }
    }

    void handle_tcp(const Ipv4View& ip) {
        PseudoHeader ph{ip.src(), ip.dst(), static_cast<uint8_t>(IpProtocol::Tcp), static_cast<uint16_t>(ip.payload().size())};
        TcpError why{};
        auto seg = TcpSegment::parse(ip.payload(), ph, &why);
        if (!seg) return stats.drop(why == TcpError::BadChecksum ? DropReason::TcpBadChecksum : DropReason::TcpMalformed);
        if (seg->src_port == 0 || seg->dst_port == 0) return stats.drop(DropReason::TcpBadSegment);
        ++stats.tcp_segments_received;
        FourTuple tuple{ip.dst(), seg->dst_port, ip.src(), seg->src_port};

        if (auto it = by_tuple.find(tuple); it != by_tuple.end()) {
            TcpConnection& c = *slots[it->second].conn;
            // RFC 9293 §3.10.7.4 / RFC 6191: a new SYN may reopen a tuple that sits in TIME-WAIT.
            if (seg->syn() && !seg->has_ack() && !seg->rst() && c.accepts_new_syn_in_time_wait(*seg) &&
                listeners.count(tuple.local_port)) {
                TS_LOG(Debug, "{}: new SYN reuses the tuple in TIME-WAIT", tuple);
                free_connection(it->second);
            } else {
                c.process(*seg, now);
                mark(c);  // its ACK goes out after this batch of frames, before the application runs
                return;
            }
        }
        handle_tcp_without_connection(tuple, *seg);
    }

    // RFC 9293 §3.10.7.1 (CLOSED) and §3.10.7.2 (LISTEN).
    void handle_tcp_without_connection(const FourTuple& tuple, const TcpSegment& seg) {
        if (seg.rst()) return;  // "An incoming segment containing a RST is discarded"
        auto listener = listeners.find(tuple.local_port);
        if (listener != listeners.end() && seg.has_ack() && !seg.syn()) {
            if (auto cookie = valid_syn_cookie(tuple, seg)) return accept_cookie(tuple, seg, *cookie, listener->second);
        }
        // (A table full of live connections drops the SYN instead, below: the client tries again
        // later, where a cookie would leave it connected to nothing.)
        if (listener != listeners.end() && seg.syn() && !seg.has_ack() && half_open.size() >= config.max_half_open) {
            return send_syn_cookie(tuple, seg);
        }
        if (listener == listeners.end() || seg.has_ack() || !seg.syn()) {
            if (listener == listeners.end()) stats.drop(DropReason::TcpNoListener);
            else stats.drop(DropReason::TcpUnacceptable);
            if (listener != listeners.end() && !seg.has_ack() && !seg.syn()) return;  // LISTEN: drop
            send_reset_for(tuple, seg);
            return;
        }
        TcpConnection* c = create_connection(tuple, initial_sequence_number(tuple), listener->second, TcpState::Listen);
        if (!c) return stats.drop(DropReason::TcpTableFull);
        c->accept_syn(seg, now);
        reschedule(*c);
    }

    // ------------------------------------------------------------ SYN cookies
    // When the half-open connections reach config.max_half_open (a SYN flood), a SYN gets a
    // SYN,ACK whose ISN and TSval encode everything we need (stack/tcp/syn_cookies.hh) and no
    // TCB: the client's final ACK proves it received our ISN, and the connection is made then.
    void send_syn_cookie(const FourTuple& tuple, const TcpSegment& syn) {
        uint16_t peer_mss = syn.options.mss.value_or(536);
        uint8_t index = syn_cookie::mss_index(std::min<uint16_t>(peer_mss, settings.mss));
        // What a normal SYN,ACK would answer (RFC 7323 §2.2, §3.2; RFC 2018 §2), if we can carry it.
        bool timestamps = settings.timestamps && syn.options.timestamps;
        bool window_scale = timestamps && settings.window_scaling && syn.options.window_scale;
        bool sack = timestamps && settings.sack && syn.options.sack_permitted;
        uint8_t options = syn_cookie::options_bits(timestamps, window_scale ? syn.options.window_scale : std::nullopt, sack);
        TcpSegment synack;
        synack.src_port = tuple.local_port;
        synack.dst_port = tuple.remote_port;
        synack.seq = SeqNum{syn_cookie::encode(config.isn_secret, tuple, syn.seq, syn_cookie::counter(now), index, options)};
        synack.ack = syn.seq + 1;
        synack.flags = tcp_flag::syn | tcp_flag::ack;
        synack.window = static_cast<uint16_t>(std::min<uint32_t>(settings.receive_buffer, 0xffff));
        synack.options.mss = settings.mss;
        if (window_scale) synack.options.window_scale = window_shift_for(settings.receive_buffer);
        synack.options.sack_permitted = sack;
        if (timestamps) {
            uint32_t tsval = syn_cookie::timestamp(timestamp_clock(now, synack.seq), options);
            synack.options.timestamps = TcpOptions::Timestamps{tsval, syn.options.timestamps->value};
        }
        ++stats.tcp_syn_cookies_sent;
        send_tcp(tuple.remote_ip, synack);
    }

    // What the cookie in this ACK stands for, if it is one of ours from the last two minutes.
    std::optional<SynCookieOptions> valid_syn_cookie(const FourTuple& tuple, const TcpSegment& ack) const {
        if (stats.tcp_syn_cookies_sent == 0) return std::nullopt;  // none out there to answer
        std::optional<uint32_t> echoed;
        if (settings.timestamps && ack.options.timestamps) echoed = ack.options.timestamps->echo_reply;
        return syn_cookie::check(config.isn_secret, now, tuple, ack.seq - 1, (ack.ack - 1).raw, echoed);
    }

    void accept_cookie(const FourTuple& tuple, const TcpSegment& ack, const SynCookieOptions& options, SocketHandler* handler) {
        TcpConnection* c = create_connection(tuple, ack.ack - 1, handler, TcpState::Listen);
        if (!c) return stats.drop(DropReason::TcpTableFull);
        ++stats.tcp_syn_cookies_accepted;
        c->accept_cookie(ack, options, now);
        mark(*c);
        reschedule(*c);
    }

    void send_reset_for(const FourTuple& tuple, const TcpSegment& seg) {
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
        send_tcp(tuple.remote_ip, rst);
    }

    // ---------------------------------------------------------------- the loop
    void run_timers() {
        while (!timers.empty() && timers.top().at <= now) {
            TimerEntry e = timers.top();
            timers.pop();
            TcpConnection* c = get(SocketId{e.slot, e.generation});
            if (!c || !c->scheduled_at || *c->scheduled_at != e.at) continue;  // stale entry
            c->scheduled_at.reset();
            c->on_timer(now);
            c->dispatch(now);
            reschedule(*c);
            if (c->finished()) mark(*c);
        }
        ipv4.run_timers(now);
        auto unresolved = ethernet.run_timers(now);
        if (!unresolved.empty()) end_unreachable_half_open(unresolved);
    }

    // ARP gave up on these next hops. A half-open connection behind one of them would otherwise
    // keep its slot until its SYN,ACKs run out (a minute), each one queued for an address that
    // does not answer: a SYN flood from spoofed addresses on the link held the whole table so.
    // Connections the application has, established or not, wait for their own timers instead.
    void end_unreachable_half_open(const std::vector<Ipv4Address>& hops) {
        // Backwards: a connection that ends leaves the list (state_changed), and marks itself
        // to be freed at the end of poll().
        for (size_t i = half_open.size(); i-- > 0;) {
            TcpConnection& c = *slots[half_open[i]].conn;
            auto hop = ipv4.next_hop(c.tuple().remote_ip);
            if (hop && std::find(hops.begin(), hops.end(), *hop) != hops.end()) c.peer_unreachable(now);
        }
    }

    void deliver_events() {
        // Handlers may cause more events (a write that completes, a close): a few rounds at most.
        for (int round = 0; round < 4 && !event_queue.empty(); ++round) {
            event_batch.clear();
            event_batch.swap(event_queue);
            for (SocketId id : event_batch) {
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

    void flush_dispatch() {
        // Connections touched by the application or by input: send what is due, free the dead.
        for (size_t i = 0; i < dispatch_queue.size(); ++i) {
            uint32_t index = dispatch_queue[i];
            Slot& s = slots[index];
            s.queued_for_dispatch = false;
            if (!s.conn) continue;
            TcpConnection& c = *s.conn;
            c.dispatch(now);
            reschedule(c);
            if (c.finished() && (c.app_closed() || c.pending_events() == 0)) free_connection(index);
        }
        dispatch_queue.clear();
    }

    void poll(Instant t) {
        now = t;
        for (size_t i = 0; i < max_frames_per_poll; ++i) {
            auto n = dev.receive(MutBytes{rx_buffer.data(), rx_buffer.size()}, now);
            if (!n) break;
            handle_frame(Bytes{rx_buffer.data(), *n});
        }
        // ACKs for everything that just arrived leave now, one per connection however many of
        // its segments came in this batch, and before the application answers: the article's
        // separate "ACK 323" comes from here.
        flush_dispatch();
        run_timers();
        deliver_events();
        flush_dispatch();
#ifndef NDEBUG
        check_no_connection_is_stuck();
#endif
    }

    // A connection that only a timer can move on and that has none would sit there for good
    // (a half-open one held its slot so). Debug builds, and so the unit tests and the fuzz
    // targets, check every connection after every poll: each one that needs a deadline has one,
    // and the heap holds an entry for it that fires no later.
    void check_no_connection_is_stuck() const {
        for (const Slot& s : slots) {
            if (!s.conn || !s.conn->needs_deadline()) continue;
            const TcpConnection& c = *s.conn;
            auto at = c.next_deadline();
            bool queued = at && c.scheduled_at && *c.scheduled_at <= *at;
            if (!queued) TS_LOG(Error, "{} in {} has no timer: it would stay there for good", c.tuple(), to_string(c.state()));
            assert(queued);
        }
    }

    std::optional<Instant> poll_at() const {
        std::optional<Instant> at = earliest(ethernet.poll_at(), dev.next_ready());
        at = earliest(at, ipv4.poll_at());
        if (!timers.empty()) at = earliest(at, timers.top().at);
        if (!dispatch_queue.empty() || !event_queue.empty()) at = earliest(at, now);
        return at;
    }
};

// -------------------------------------------------------------------- Stack

Stack::Stack(const StackConfig& config, NetDev& dev) : config_(config), impl_(std::make_unique<Impl>(config, dev)) {}
Stack::~Stack() = default;

void Stack::poll(Instant now) { impl_->poll(now); }
std::optional<Instant> Stack::poll_at() const { return impl_->poll_at(); }
const StackStats& Stack::stats() const { return impl_->stats; }
void Stack::set_observer(ConnectionObserver* o) {
    impl_->observer = o;
    impl_->ethernet.set_observer(o);
}
size_t Stack::connection_count() const { return impl_->by_tuple.size(); }

Result<SocketId, ListenError> Stack::listen(uint16_t port, SocketHandler& handler) {
    if (port == 0) return Err{ListenError::InvalidPort};
    if (!impl_->listeners.emplace(port, &handler).second) return Err{ListenError::PortInUse};
    return SocketId{listener_index_base | port, 1};
}

Result<SocketId, ConnectError> Stack::connect(Ipv4Address dst, uint16_t port, SocketHandler& handler) {
    Impl& s = *impl_;
    if (!s.ipv4.next_hop(dst)) return Err{ConnectError::NoRoute};
    // Ephemeral ports 49152-65535 (RFC 6335), the first free one for this destination.
    for (uint32_t tries = 0; tries < 16384; ++tries) {
        uint16_t p = s.next_ephemeral_port;
        s.next_ephemeral_port = static_cast<uint16_t>(p == 65535 ? 49152 : p + 1);
        FourTuple tuple{s.config.ip.address, p, dst, port};
        if (s.by_tuple.count(tuple) || s.listeners.count(p)) continue;
        TcpConnection* c = s.create_connection(tuple, s.initial_sequence_number(tuple), &handler);
        if (!c) return Err{ConnectError::TooManyConnections};
        c->connect(s.now);
        s.reschedule(*c);
        return c->socket_id();
    }
    return Err{ConnectError::NoFreePort};
}

size_t Stack::read(SocketId id, MutBytes out) {
    TcpConnection* c = impl_->get(id);
    if (!c || c->app_closed()) return 0;
    size_t n = c->read(out, impl_->now);
    if (n > 0) impl_->mark(*c);  // may owe the peer a window update
    return n;
}

size_t Stack::write(SocketId id, Bytes data) {
    TcpConnection* c = impl_->get(id);
    if (!c || c->app_closed()) return 0;
    size_t n = c->write(data);
    if (n > 0) impl_->mark(*c);
    return n;
}

size_t Stack::readable_bytes(SocketId id) const {
    TcpConnection* c = impl_->get(id);
    return c && !c->app_closed() ? c->readable_bytes() : 0;
}
size_t Stack::send_space(SocketId id) const {
    TcpConnection* c = impl_->get(id);
    return c && !c->app_closed() ? c->send_space() : 0;
}
bool Stack::peer_closed(SocketId id) const {
    TcpConnection* c = impl_->get(id);
    return !c || c->peer_closed() || c->state() == TcpState::Closed;
}

void Stack::close(SocketId id) {
    if (id.index >= listener_index_base && id.index != UINT32_MAX) {
        impl_->listeners.erase(static_cast<uint16_t>(id.index & 0xffff));
        return;
    }
    TcpConnection* c = impl_->get(id);
    if (!c || c->app_closed()) return;
    c->close(impl_->now);
    impl_->mark(*c);
}

void Stack::abort(SocketId id) {
    TcpConnection* c = impl_->get(id);
    if (!c || c->app_closed()) return;
    c->abort(impl_->now);
    impl_->mark(*c);
}

void Stack::set_nodelay(SocketId id, bool on) {
    if (TcpConnection* c = impl_->get(id)) {
        c->set_nodelay(on);
        impl_->mark(*c);  // data held back by Nagle may go now
    }
}

void Stack::set_keepalive(SocketId id, bool on) {
    if (TcpConnection* c = impl_->get(id)) {
        c->set_keepalive(on, impl_->now);
        impl_->reschedule(*c);
    }
}

std::optional<SocketInfo> Stack::info(SocketId id) const {
    TcpConnection* c = impl_->get(id);
    if (!c) return std::nullopt;
    const FourTuple& t = c->tuple();
    SocketInfo i{t.local_ip, t.local_port, t.remote_ip, t.remote_port, to_string(c->state())};
    i.cwnd = c->cwnd();
    i.ssthresh = c->ssthresh();
    i.rto = c->rto();
    i.retransmissions = c->retransmissions();
    i.in_recovery = c->in_recovery();
    i.timestamps = c->timestamps_enabled();
    i.sack = c->sack_enabled();
    return i;
}

void Stack::close_all() {
    impl_->listeners.clear();
    for (auto& slot : impl_->slots) {
        if (!slot.conn) continue;
        TcpConnection& c = *slot.conn;
        if (!c.app_closed()) {
            c.close(impl_->now);
            impl_->mark(c);
        }
    }
}

}  // namespace tapstack
