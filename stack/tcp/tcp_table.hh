// SPDX-License-Identifier: MIT
// The TCP layer around the connections: demux by 4-tuple, listeners and what arrives for no
// connection (tcp_listen.cc: LISTEN, SYN cookies, RSTs), connection slots with generations
// (SocketId), TIME-WAIT eviction, the timer heap, socket events. It is the connections'
// TcpEnvironment. Stack::poll() and the Stack API call it; the TCP state machine itself is
// TcpConnection's (tcp_connection.cc, tcp_input.cc, tcp_output.cc).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "stack/base/result.hh"
#include "stack/base/time.hh"
#include "stack/ip/ipv4_layer.hh"
#include "stack/observer.hh"
#include "stack/stats.hh"
#include "stack/tcp/four_tuple.hh"
#include "stack/tcp/socket.hh"
#include "stack/tcp/tcp_connection.hh"
#include "stack/wire/ipv4.hh"
#include "stack/wire/tcp.hh"

namespace tapstack {

// The stack-wide limits and keys the table applies (from StackConfig).
struct TcpTableConfig {
    uint32_t max_connections = 16384;  // TCBs of every state, TIME-WAIT included
    uint32_t max_half_open = 256;      // connections in SYN-RECEIVED; past it, SYN cookies
    size_t max_buffer_memory = 64 * 1024 * 1024;
    uint64_t isn_secret = 0;  // keys the ISNs and the SYN cookies
    std::optional<uint32_t> fixed_iss;
    bool checksum_offload = false;  // the device completes TCP checksums
};

class TcpTable final : public TcpEnvironment {
public:
    TcpTable(Ipv4Layer& ip, const TcpSettings& settings, const TcpTableConfig& config, StackStats& stats);

    void set_observer(ConnectionObserver* o) { observer_ = o; }

    // --- input ---
    // A TCP segment in an IPv4 datagram addressed to us: to its connection, or (tcp_listen.cc)
    // to a listener, a SYN cookie, or a reset.
    void receive(const Ipv4View& ip, Instant now);

    // --- the phases of Stack::poll() ---
    void run_timers(Instant now);  // connections whose deadline has come
    // ARP gave up on these next hops: half-open connections behind them end, and so do our
    // own connects (SYN-SENT), with CloseReason::HostUnreachable.
    void end_unreachable(const std::vector<Ipv4Address>& hops, Instant now);
    void deliver_events();             // socket events to the applications' handlers
    void flush_dispatch(Instant now);  // send what is due, free the dead
    std::optional<Instant> poll_at(Instant now) const;
    // Debug builds: every connection that only a timer can move on has one (asserts).
    void check_no_connection_is_stuck() const;

    // --- for the Stack API ---
    // The listener's connections are opened with `options` (tcp_settings.hh).
    bool listen(uint16_t port, SocketHandler& handler, const ConnectionOptions& options = {}) {
        return listeners_.emplace(port, Listener{&handler, std::nullopt, options}).second;
    }
    void update_listener_options(uint16_t port, const ConnectionOptions& change);
    void stop_listening(uint16_t port) { listeners_.erase(port); }
    // How many more handshakes the listener on `port` may complete before its application takes
    // some (nullopt: no limit). At 0, SYNs and handshake-completing ACKs are dropped (Linux's
    // full accept queue); each completed handshake counts one down.
    void set_accept_room(uint16_t port, std::optional<uint32_t> room);
    // Active open from `local_port`, or (0) from the next free ephemeral port (RFC 6335:
    // 49152-65535).
    Result<SocketId, ConnectError> connect(Ipv4Address dst, uint16_t port, SocketHandler& handler, Instant now,
                                           uint16_t local_port = 0, const ConnectionOptions& options = {});
    void close_all(Instant now);  // stops listening and closes every connection
    // The connection behind `id`, or nullptr when its slot is empty or was reused since.
    TcpConnection* get(SocketId id) const {
        if (id.index >= slots_.size()) return nullptr;
        const Slot& s = slots_[id.index];
        return s.generation == id.generation ? s.conn.get() : nullptr;
    }
    // To dispatch at the end of this poll phase (once, however often it is marked).
    void mark(TcpConnection& c) {
        Slot& s = slots_[slot_of(c)];
        if (s.queued_for_dispatch) return;
        s.queued_for_dispatch = true;
        dispatch_queue_.push_back(slot_of(c));
    }
    void reschedule(TcpConnection& c);  // its deadline may have moved
    size_t connection_count() const { return by_tuple_.size(); }

    // --- TcpEnvironment ---
    void transmit(TcpConnection& c, const TcpSegment& seg, Instant now) override {
        send(c.tuple().remote_ip, seg, now);
    }
    void state_changed(TcpConnection& c, TcpState from, TcpState to, std::string_view why, Instant at) override;
    void post_event(TcpConnection& c) override { event_queue_.push_back(c.socket_id()); }
    void retransmitted(TcpConnection&) override { ++stats_.tcp_retransmissions; }
    size_t buffer_memory_left() const override;
    void buffer_memory_changed(TcpConnection&, int64_t delta) override;
    void challenge_ack_suppressed(TcpConnection&) override { ++stats_.tcp_challenge_acks_suppressed; }
    void loss_detected(TcpConnection&, bool by_timeout) override;
    void segment_dropped(TcpConnection&, DropReason reason) override { stats_.drop(reason); }

private:
    struct Slot {
        std::unique_ptr<TcpConnection> conn;
        uint32_t generation = 1;
        bool queued_for_dispatch = false;
    };
    struct Listener {
        SocketHandler* handler;
        std::optional<uint32_t> accept_room;  // set_accept_room()
        ConnectionOptions options;            // for each connection it makes
        bool full() const { return accept_room && *accept_room == 0; }
    };
    struct TimerEntry {
        Instant at;
        uint32_t slot;
        uint32_t generation;
        bool operator>(const TimerEntry& o) const { return at > o.at; }
    };

    // tcp_table.cc
    void send(Ipv4Address dst, const TcpSegment& seg, Instant now);
    TcpConnection* create_connection(const FourTuple& tuple, SeqNum iss, SocketHandler* handler,
                                     TcpState initial = TcpState::Closed, const ConnectionOptions& options = {});
    Result<SocketId, ConnectError> open_active(const FourTuple& tuple, SocketHandler& handler, Instant now,
                                               const ConnectionOptions& options);
    bool evict_oldest_time_wait();
    void free_connection(uint32_t index);
    void count_end(TcpEnd end);
    void entered_time_wait(TcpConnection& c);
    SeqNum initial_sequence_number(const FourTuple& t, Instant now) const;
    uint32_t slot_of(const TcpConnection& c) const { return c.socket_id().index; }

    // tcp_listen.cc: segments for no connection (RFC 9293 §3.10.7.1-2) and SYN cookies
    void receive_without_connection(const FourTuple& tuple, const TcpSegment& seg, Instant now);
    void send_syn_cookie(const FourTuple& tuple, const TcpSegment& syn, const Listener& listener, Instant now);
    std::optional<SynCookieOptions> valid_syn_cookie(const FourTuple& tuple, const TcpSegment& ack, Instant now) const;
    void accept_cookie(const FourTuple& tuple, const TcpSegment& ack, const SynCookieOptions& options,
                       const Listener& listener, Instant now);
    void send_reset_for(const FourTuple& tuple, const TcpSegment& seg, Instant now);
    bool accept_queue_full(uint16_t port) const;
    void took_accept_room(uint16_t port);
    bool drops_for_full_accept_queue(const TcpConnection& c, const TcpSegment& seg) const;

    Ipv4Layer& ip_;
    TcpSettings settings_;
    TcpTableConfig config_;
    StackStats& stats_;
    ConnectionObserver* observer_ = nullptr;

    std::vector<Slot> slots_;
    std::vector<uint32_t> free_slots_;
    std::unordered_map<FourTuple, uint32_t, FourTupleHash> by_tuple_;
    std::unordered_map<uint16_t, Listener> listeners_;
    // Slots of the connections in SYN-RECEIVED (at most max_half_open but for simultaneous
    // opens): their count limits the half-open table, and an ARP failure searches them only.
    std::vector<uint32_t> half_open_;
    std::vector<uint32_t> connecting_;  // slots in SYN-SENT: an ARP failure searches them too
    uint16_t next_ephemeral_port_ = 49152;

    std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
    std::vector<uint32_t> dispatch_queue_;  // slots with something to send or to free
    std::deque<SocketId> time_wait_order_;  // connections in the order they entered TIME-WAIT
    std::vector<SocketId> event_queue_;
    std::vector<SocketId> event_batch_;  // reused by deliver_events(): no allocation per poll
};

}  // namespace tapstack
