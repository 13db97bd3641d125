// SPDX-License-Identifier: MIT
// One TCP connection: the transmission control block of RFC 9293 §3.3.1 and the code that runs
// it. The work is split like lwIP's: tcp_input.cc holds process() (SEGMENT ARRIVES, §3.10.7) and
// tcp_ack.cc its ACK step, tcp_output.cc holds dispatch() (what to send next), tcp_timers.cc
// on_timer() and next_deadline(), and tcp_connection.cc holds set_state() and the user calls
// (§3.10.1–3.10.6). The algorithms have seams of their own: congestion.hh, rtt_estimator.hh,
// loss_recovery.hh. The Stack owns connections and demultiplexes segments to them; a connection
// never sees frames, ARP or the device.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "stack/base/log.hh"
#include "stack/base/time.hh"
#include "stack/stats.hh"
#include "stack/tcp/byte_ring.hh"
#include "stack/tcp/congestion.hh"
#include "stack/tcp/four_tuple.hh"
#include "stack/tcp/loss_recovery.hh"
#include "stack/tcp/reassembler.hh"
#include "stack/tcp/rtt_estimator.hh"
#include "stack/tcp/socket.hh"
#include "stack/tcp/tcp_constants.hh"
#include "stack/tcp/tcp_environment.hh"
#include "stack/tcp/tcp_settings.hh"
#include "stack/tcp/tcp_state.hh"
#include "stack/wire/tcp.hh"

namespace tapstack {

// RFC 5961 §7: challenge ACKs per connection per second, at most.
inline constexpr uint32_t challenge_acks_per_second = 10;

// RFC 7323 §2.3: the smallest window scale that lets the 16-bit field cover the whole buffer.
inline uint8_t window_shift_for(uint32_t receive_buffer) {
    uint8_t shift = 0;
    while (shift < max_window_shift && (receive_buffer >> shift) > max_unscaled_window) ++shift;
    return shift;
}

// Our TSval clock (RFC 7323 §5.4): milliseconds plus a per-connection offset derived from the
// (keyed) ISS, which hides our clock. The stack needs it too: a SYN cookie's TSval comes from it.
inline uint32_t timestamp_offset(SeqNum iss) { return iss.raw * 0x9e3779b1u; }
inline uint32_t timestamp_clock(Instant now, SeqNum iss) {
    return static_cast<uint32_t>(now.ms()) + timestamp_offset(iss);
}

// What a returning SYN cookie stands for (stack/tcp/syn_cookies.cc decodes it, stack/tcp/tcp_listen.cc uses it).
struct SynCookieOptions {
    uint16_t mss = default_mss;
    bool timestamps = false;              // the cookie's SYN,ACK carried timestamps ...
    std::optional<uint8_t> window_scale;  // ... and so could carry the peer's window scale
    bool sack_permitted = false;          // and SACK-permitted, in its TSval's low bits
};

class TcpConnection {
public:
    // Events pending for the application (bit set, cleared when delivered).
    enum Event : uint8_t { Accepted = 1, Connected = 2, Readable = 4, Writable = 8, Closed = 16 };

    // A passive open starts in LISTEN (the TCB is the listener's, specialised by the SYN, as in
    // RFC 9293 §3.10.7.2); an active open starts in CLOSED. `shared` are the table's settings,
    // the same for all its connections and not copied: they must outlive the connection. Only a
    // connection whose `options` change a setting (setsockopt) gets a copy of its own.
    TcpConnection(TcpEnvironment&, const TcpSettings& shared, const FourTuple&, SeqNum iss,
                  TcpState initial = TcpState::Closed, const ConnectionOptions& options = {});
    TcpConnection(TcpEnvironment&, const TcpSettings&&, const FourTuple&, SeqNum, TcpState = TcpState::Closed,
                  const ConnectionOptions& = {}) = delete;  // a temporary would not outlive it

    // --- opening ---
    // Passive open: a SYN arrived at a listener. Sends SYN,ACK; state SYN-RECEIVED.
    void accept_syn(const TcpSegment& syn, Instant now);
    // The peer's next hop did not answer ARP. A passive open still in its handshake (the SYN,ACK
    // unacknowledged) ends at once and silently, as Linux drops a request socket on a fatal
    // ICMP error; the application never saw it. Returns true if the connection ended.
    bool peer_unreachable(Instant now);
    // A SYN cookie came back (the stack checked it): ESTABLISHED at once, as if the SYN,ACK it
    // answers had come from this connection (ISS = SEG.ACK - 1), with the MSS the cookie held and
    // the window scale, SACK and timestamps its TSval held (none when the SYN had no
    // timestamps). The ACK's data and FIN are taken too.
    void accept_cookie(const TcpSegment& ack, const SynCookieOptions&, Instant now);
    // Active open: sends SYN; state SYN-SENT.
    void connect(Instant now);

    // --- segments and time ---
    // SEGMENT ARRIVES (RFC 9293 §3.10.7.3–4) for a connection that is not LISTEN or CLOSED.
    void process(const TcpSegment&, Instant now);
    // Sends whatever is due: ACKs, new data within the windows, FIN, retransmissions.
    void dispatch(Instant now);
    // Runs the timers that expired at `now` (retransmission, persist, TIME-WAIT).
    void on_timer(Instant now);
    // The earliest armed timer (mirrors on_timer()).
    std::optional<Instant> next_deadline() const;
    // True when only a timer can move this connection on, so next_deadline() must not be empty
    // (the stack checks it in debug builds): the handshake, our FIN, FIN-WAIT-2, TIME-WAIT, and
    // data in flight or held back by the peer's window. An idle ESTABLISHED or CLOSE-WAIT
    // connection waits for its application or its peer instead, as in Linux without keep-alive.
    bool needs_deadline() const;

    // --- user calls (RFC 9293 §3.10.2–3.10.6) ---
    size_t read(MutBytes out, Instant now);
    size_t write(Bytes data, bool more = false);  // more: MSG_MORE (cork_holds, tcp_output.cc)
    void close(Instant now);                      // FIN after queued data
    // Half-close (shutdown(SHUT_WR)): FIN after queued data, as close() sends it, but the
    // application keeps the connection and goes on reading until the peer's FIN.
    void shutdown_write(Instant now);
    void abort(Instant now);                                         // RST
    void set_nodelay(bool on);                                       // Nagle off (TCP_NODELAY); on: what waits goes now
    void set_cork(bool on);                                          // TCP_CORK: partial segments wait (tcp_output.cc)
    void set_keepalive(bool on, Instant now);                        // RFC 1122 §4.2.3.6, with settings_->keepalive
    void set_options(const ConnectionOptions& change, Instant now);  // tcp_settings.hh, on a live one
    size_t readable_bytes() const { return receive_buffer_.size(); }
    // Copies what read() would return, and leaves it in the buffer (MSG_PEEK).
    size_t peek(MutBytes out) const;
    size_t send_space() const;
    bool peer_closed() const { return fin_received_ && receive_buffer_.empty(); }

    // --- for the stack ---
    TcpState state() const { return state_; }
    const FourTuple& tuple() const { return tuple_; }
    bool app_closed() const { return app_closed_; }
    bool passive_open() const { return passive_open_; }           // made by a SYN at a listener
    bool finished() const { return state_ == TcpState::Closed; }  // may be freed
    CloseReason close_reason() const { return close_reason_; }
    TcpEnd end() const { return end_; }  // meaningful once CLOSED
    uint8_t take_events() {
        uint8_t e = events_;
        events_ = 0;
        return e;
    }
    uint8_t pending_events() const { return events_; }
    void mark_app_gone() {
        app_closed_ = true;
        events_ = 0;
    }
    // RFC 9293 §3.10.7.4 / RFC 6191: may a new SYN with this sequence number replace this TIME-WAIT?
    bool accepts_new_syn_in_time_wait(const TcpSegment& syn) const;

    // Read-only views for tests, the tracer and gdb.
    SeqNum iss() const { return iss_; }
    SeqNum irs() const { return irs_; }
    SeqNum snd_una() const { return snd_.una; }
    SeqNum snd_nxt() const { return snd_.nxt; }
    uint32_t snd_wnd() const { return snd_.wnd; }
    SeqNum rcv_nxt() const { return rcv_.nxt; }
    uint32_t rcv_wnd() const;
    Duration rto() const { return rtt_.rto(); }
    uint32_t cwnd() const { return congestion_.cwnd(); }
    uint32_t retransmissions() const { return total_retransmissions_; }
    uint32_t ssthresh() const { return congestion_.ssthresh(); }
    bool in_recovery() const { return recovery_.in_recovery(); }
    // Negotiated in the handshake (RFC 7323, RFC 2018).
    bool timestamps_enabled() const { return ts_ok_; }
    bool sack_enabled() const { return sack_ok(); }
    uint8_t send_window_shift() const { return snd_.shift; }
    uint8_t receive_window_shift() const { return rcv_.shift; }
    uint32_t sacked_bytes() const { return recovery_.sacked_bytes(); }
    bool window_scaling_enabled() const { return ws_ok_; }
    uint32_t send_queue() const;  // unacknowledged and unsent bytes, and a FIN not yet acknowledged
    uint32_t unsent() const { return unsent_bytes() + (fin_queued_ && !fin_sent_ ? 1u : 0u); }
    uint32_t send_mss() const { return smss(); }
    uint32_t receive_mss() const { return rcv_.mss; }
    uint16_t announced_mss() const { return settings_->mss; }
    const RttEstimator& rtt() const { return rtt_; }
    uint32_t backoff() const { return backoff_count_; }  // timeouts in a row
    size_t buffer_memory() const { return buffers_accounted_; }

    void set_socket_id(SocketId id) { socket_id_ = id; }
    SocketId socket_id() const { return socket_id_; }
    void set_handler(SocketHandler* h) { handler_ = h; }
    SocketHandler* handler() const { return handler_; }

    // Stack bookkeeping for the timer queue (see TcpTable::reschedule).
    std::optional<Instant> scheduled_at;

private:
    // The single place where state_ changes: one breakpoint for every transition.
    void set_state(TcpState next, std::string_view why, Instant now);

    // RFC 2018 SACK: on when both SYNs carried SACK-permitted (loss recovery keeps the flag).
    bool sack_ok() const { return recovery_.sack(); }
    // A segment (or its text) is discarded: for the stack's counters (stats.hh).
    void drop(DropReason reason) { env_.segment_dropped(*this, reason); }

    // tcp_input.cc, in the order of RFC 9293 §3.10.7
    void process_syn_sent(const TcpSegment&, Instant now);
    void negotiate_options(const TcpOptions& peer_syn);
    bool check_sequence_number(const TcpSegment&, Instant now);  // false: drop the segment
    bool paws_rejects(const TcpSegment&) const;
    bool syn_sent_again(const TcpSegment&) const;  // the peer's SYN again, in SYN-RECEIVED
    void resend_syn_ack(Instant now);
    bool segment_acceptable(const TcpSegment&) const;
    void challenge_ack(Instant now);
    void process_rst(const TcpSegment&, Instant now);
    bool takes_text() const;
    void process_text(const TcpSegment&, Instant now);
    std::optional<SeqNum> store_text(SeqNum seq, Bytes data);
    void deliver_in_order();
    void acknowledge_received(const TcpSegment&, bool in_order, Instant now);
    void process_fin(const TcpSegment&, Instant now);
    void send_owed_ack(Instant now);  // the ACK process_text() or process_fin() found due at once
    void enter_time_wait(Instant now);
    void reset_by_peer(Instant now);

    // tcp_ack.cc: the fifth step, check the ACK field
    bool process_ack(const TcpSegment&, Instant now);            // false: drop the segment
    bool complete_passive_open(const TcpSegment&, Instant now);  // the ACK in SYN-RECEIVED
    void update_ts_recent(const TcpSegment&);
    void take_ack(const TcpSegment&, Instant now);  // new, duplicate, SACK: loss recovery
    void on_new_ack(SeqNum ack, const TcpSegment* seg, Instant now);
    uint32_t release_acknowledged(SeqNum ack);
    void enter_recovery(Instant now);
    void update_send_window(const TcpSegment&);
    bool process_fin_acknowledged(Instant now);  // false: the connection closed

    // tcp_output.cc
    void send_segment(uint8_t flags, SeqNum seq, Bytes payload, Instant now, bool with_options = false);
    TcpSegment make_segment(uint8_t flags, SeqNum seq, Bytes payload, bool with_options);
    void send_ack(Instant now) { send_segment(tcp_flag::ack, snd_.nxt, {}, now); }
    void add_options(TcpSegment&, Instant now);
    void add_syn_options(TcpOptions&) const;
    uint32_t option_overhead() const;  // option bytes our next data segment carries
    uint32_t max_payload() const { return snd_.mss - option_overhead(); }
    // RFC 5681's SMSS, for the congestion window: the MSS less the options every segment carries.
    uint32_t smss() const { return snd_.mss - (ts_ok_ ? timestamp_option_len : 0u); }
    uint32_t ts_now(Instant now) const { return static_cast<uint32_t>(now.ms()) + ts_offset_; }
    void mark_acked_by_segment();
    void send_rst(Instant now);
    bool send_data(Instant now);  // one segment of new data, if allowed
    uint32_t send_room() const;   // what the peer's and the congestion window let out now
    bool holds_back(uint32_t len, uint32_t wanted, uint32_t unsent) const;  // SWS avoidance, Nagle
    bool cork_holds(uint32_t len, uint32_t unsent) const;                   // TCP_CORK, MSG_MORE
    void transmit_data(uint32_t len, uint32_t unsent, Instant now);
    void send_data_segment(SeqNum seq, uint32_t len, Instant now);
    bool takes_push(SeqNum end);                   // PSH on a data segment that ends at `end`
    SeqNum retransmit_first_unacked(Instant now);  // returns the end of what it resent
    bool retransmit_next_hole(Instant now);        // SACK recovery: recovery_ names the hole
    void send_fin_alone(Instant now);              // no data left to carry our FIN
    SeqNum data_end() const { return send_base_ + static_cast<uint32_t>(send_buffer_.size()); }
    bool can_send_data() const;
    uint32_t flight_size() const { return static_cast<uint32_t>(snd_.nxt - snd_.una); }
    bool retransmission_pending() const { return snd_.nxt < snd_.max; }  // going back after a timeout
    uint32_t unsent_bytes() const;
    uint16_t window_to_advertise(bool syn);
    bool window_update_due() const;  // after a read: is the larger window worth an ACK now?

    // tcp_timers.cc
    void on_retransmit_timeout(Instant now);
    bool give_up(Instant now) const;
    void arm_tail_loss_probe(Instant now);
    void send_tail_loss_probe(Instant now);
    void on_keepalive_timer(Instant now);
    void send_keepalive_probe(Instant now);
    void restart_keepalive(Instant now);
    void on_persist_timer(Instant now);
    void send_persist_probe(Instant now);
    bool persist_gives_up(Instant now, Duration next) const;

    // tcp_connection.cc
    void terminate(CloseReason, Instant now, std::optional<TcpEnd> end = std::nullopt);
    void send_reset_and_terminate(TcpEnd end, Instant now);  // ABORT, or CLOSE with data unread
    // A passive open whose SYN,ACK is not yet acknowledged (SYN-RECEIVED, or FIN-WAIT-1 when
    // closed there): Linux's request socket, which the application has not seen.
    bool embryonic() const { return passive_open_ && snd_.una == iss_; }
    void abandon_handshake(Instant now);
    void count_retransmission(Instant now) {
        ++total_retransmissions_;
        rtt_.on_retransmission(ts_now(now));
        TS_LOG(Debug, "{}: retransmission in {} (snd.una={} snd.nxt={})", tuple_, to_string(state_), snd_.una - iss_,
               snd_.nxt - iss_);
        env_.retransmitted(*this);
    }
    void post(Event e);
    void account_buffers();  // tells the stack what the rings hold now

    TcpEnvironment& env_;
    std::unique_ptr<TcpSettings> own_settings_;  // only when options changed a setting
    const TcpSettings* settings_;                // the table's, shared by its connections, or own_settings_
    FourTuple tuple_;
    TcpState state_;

    // RFC 9293 §3.3.1 send sequence variables.
    struct {
        SeqNum una, nxt;             // oldest unacknowledged; next to send
        SeqNum max;                  // highest sequence number sent so far (snd.nxt falls back on timeout)
        uint32_t wnd = 0;            // the peer's receive window, in bytes
        SeqNum wl1, wl2;             // segment seq / ack used for the last window update
        uint16_t mss = default_mss;  // the peer's MSS (RFC 9293 §3.7.1 default 536)
        uint8_t shift = 0;           // the peer's window scale (RFC 7323 §2.3): SEG.WND << shift
    } snd_;
    // Receive sequence variables.
    struct {
        SeqNum nxt;
        uint32_t advertised_wnd = 0;  // last window we announced
        SeqNum advertised_edge;       // rcv.nxt + that window: never shrunk (RFC 9293 §3.8.6)
        uint8_t shift = 0;            // our window scale, once both sides agreed on scaling
        uint8_t offered_shift = 0;    // what our SYN or SYN,ACK offers
        uint32_t mss = default_mss;   // largest segment seen from the peer (for delayed ACKs)
        uint32_t unacked_bytes = 0;   // in-order bytes received since our last ACK
        uint32_t quickacks_left = 0;  // data segments still acknowledged at once
        SeqNum last_ooo;              // start of the latest out-of-order segment (SACK order)
    } rcv_;
    SeqNum iss_, irs_;

    SeqNum send_base_;         // sequence number of send_buffer_'s first byte
    ByteRing send_buffer_;     // from send_base_ on: unacked, then unsent bytes
    ByteRing receive_buffer_;  // readable bytes, then out-of-order bytes ahead of them
    Reassembler reassembler_;

    SeqNum pushed_seq_;  // end of the last data segment sent with PSH (takes_push)

    bool fin_queued_ = false;  // the app closed: send FIN after the data
    bool fin_sent_ = false;
    SeqNum fin_seq_;  // sequence number our FIN occupies
    bool fin_received_ = false;
    std::optional<SeqNum> peer_fin_seq_;  // a FIN that arrived ahead of missing data
    bool ack_pending_ = false;            // an ACK must go out at the next dispatch
    bool ack_now_ = false;                // ... at the end of this segment's processing (one ACK per segment)
    bool nodelay_ = false;                // Nagle's algorithm off
    bool corked_ = false;                 // TCP_CORK
    bool more_ = false;                   // the last write had MSG_MORE, and no ACK came since
    bool push_now_ = false;               // this dispatch sends partial segments, corked or not
    // RFC 7323 timestamps: on when both SYNs carried them.
    bool ts_ok_ = false;
    uint32_t ts_offset_ = 0;    // per-connection offset of our TSval clock (RFC 7323 §5.4)
    uint32_t ts_recent_ = 0;    // TS.Recent
    SeqNum last_ack_sent_;      // Last.ACK.sent
    bool ws_ok_ = false;        // RFC 7323 window scaling: both SYNs carried it
    uint32_t max_snd_wnd_ = 0;  // the largest window the peer offered (RFC 5961 §5.2)
    Instant challenge_window_start_;
    std::optional<Instant> synack_resent_at_;  // for a retransmitted SYN in SYN-RECEIVED
    uint32_t challenge_acks_ = 0;              // sent in the second that started there
    bool app_closed_ = false;
    bool passive_open_ = false;  // made by a SYN at a listener (accept_syn)
    CloseReason close_reason_ = CloseReason::Aborted;
    TcpEnd end_ = TcpEnd::Aborted;  // set before the change to CLOSED (the stack counts it then)

    // Timers (RFC 6298 retransmission, persist, TIME-WAIT, FIN-WAIT-2).
    Timer retransmit_timer_;
    Timer persist_timer_;
    Timer time_wait_timer_;
    Timer fin_wait_2_timer_;
    Timer delayed_ack_timer_;
    Timer probe_timer_;  // RFC 8985 §7 tail loss probe (recovery_ says when)
    Timer keepalive_timer_;
    Timer cork_timer_;  // corked data with nothing in flight goes after an RTO (tcp_output.cc)
    bool keepalive_ = false;
    uint32_t keepalive_probes_ = 0;         // sent without an answer
    uint32_t persist_unanswered_ = 0;       // zero-window probes since the peer last sent anything
    std::optional<Instant> persist_since_;  // the first zero-window probe of this closed window
    Instant una_since_;                     // when SND.UNA last moved (or data first went out)
    RttEstimator rtt_;                      // SRTT, RTTVAR, RTO; Karn's rule (rtt_estimator.hh)
    uint32_t backoff_count_ = 0;            // consecutive timeouts without progress
    uint32_t total_retransmissions_ = 0;

    // Congestion control: the window is the controller's (congestion.hh); which segments are
    // lost and go again is loss recovery's (loss_recovery.hh: the scoreboard, the duplicate ACK
    // count, NewReno's recovery point, RACK-by-order, the tail loss probe's timeout).
    AnyController congestion_;
    LossRecovery recovery_;

    size_t buffers_accounted_ = 0;  // ring memory last reported to the stack
    uint8_t events_ = 0;
    SocketId socket_id_;
    SocketHandler* handler_ = nullptr;
};

}  // namespace tapstack
