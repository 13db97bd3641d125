// SPDX-License-Identifier: MIT
// TcpScript: drives one Stack in virtual time through a scripted peer, for unit tests written as
// segment scripts. The peer (10.0.0.1, port 40000 by default) sends segments given with relative
// sequence numbers; what the stack sends back is parsed and compared field by field, also in
// relative numbers (our ISS is pinned to `our_iss`, the peer's to `peer_iss`). When a test that
// used a script has failed, the script prints its whole transcript as it ends (and a failed
// expect_sent() prints it at once). Starting states (established(), close_wait(), fin_wait_1(),
// ...) replay real segments through the stack's entry points, as a test would.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "stack/device.hh"
#include "stack/observer.hh"
#include "stack/stack.hh"
#include "stack/wire/tcp.hh"

namespace tapstack::test {

// A NetDev made of two queues: frames for the stack to receive, frames it sent.
class QueueDev : public NetDev {
public:
    std::optional<size_t> receive(MutBytes buffer, Instant) override;
    void transmit(Bytes frame, Instant) override { sent.emplace_back(frame.begin(), frame.end()); }
    std::deque<std::vector<uint8_t>> to_stack;
    std::deque<std::vector<uint8_t>> sent;
};

// A segment in relative numbers; unset fields are not compared.
struct Seg {
    uint8_t flags = 0;
    std::optional<uint32_t> seq, ack;
    std::optional<uint16_t> window, mss;
    std::optional<uint8_t> wscale;                                   // window-scale option (shift)
    std::optional<bool> sack_permitted;                              // compared only when set
    std::optional<TcpOptions::Timestamps> timestamps;                // sent as given; expected: TSecr compared
    std::optional<bool> has_timestamps;                              // expected: option present or not
    std::optional<std::vector<std::pair<uint32_t, uint32_t>>> sack;  // blocks, relative to the receiver's ISS
    std::string payload;
    bool payload_set = false;
    uint16_t src_port = 0, dst_port = 0;  // 0: the script's defaults
    std::optional<Ipv4Address> src_ip;    // a peer other than 10.0.0.1 (one we never heard from)

    // one builder a line, so the list reads as the options a segment can have (kept by hand):
    // clang-format off
    Seg& syn() { flags |= tcp_flag::syn; return *this; }
    Seg& fin() { flags |= tcp_flag::fin; return *this; }
    Seg& rst() { flags |= tcp_flag::rst; return *this; }
    Seg& psh() { flags |= tcp_flag::psh; return *this; }
    Seg& ack_flag() { flags |= tcp_flag::ack; return *this; }
    Seg& seq_(uint32_t s) { seq = s; return *this; }
    Seg& ack_(uint32_t a) { ack = a; flags |= tcp_flag::ack; return *this; }
    Seg& win(uint16_t w) { window = w; return *this; }
    Seg& mss_(uint16_t m) { mss = m; return *this; }
    Seg& ws(uint8_t shift) { wscale = shift; return *this; }
    Seg& sack_perm(bool on = true) { sack_permitted = on; return *this; }
    Seg& ts(uint32_t value, uint32_t echo) { timestamps = TcpOptions::Timestamps{value, echo}; has_timestamps = true; return *this; }
    Seg& no_ts() { has_timestamps = false; return *this; }
    Seg& sacks(std::vector<std::pair<uint32_t, uint32_t>> blocks) { sack = std::move(blocks); return *this; }
    Seg& from(Ipv4Address ip) { src_ip = ip; return *this; }
    Seg& data(std::string d) { payload = std::move(d); payload_set = true; return *this; }
    // clang-format on
};
inline Seg seg() { return Seg{}; }

// A stack whose losses only the retransmission timer (and duplicate ACKs) find: no tail loss
// probe. For tests about the timer itself, which the probe would otherwise come before.
inline StackConfig rto_only_config(StackConfig config = {}) {
    config.tcp.tail_loss_probe = false;
    return config;
}

// Records what the application sees.
class RecordingApp : public SocketHandler {
public:
    explicit RecordingApp(Stack& s) : stack_(s) {}
    void on_accept(SocketId id) override {
        accepted.push_back(id);
        last = id;
    }
    void on_connected(SocketId id) override {
        connected.push_back(id);
        last = id;
    }
    void on_readable(SocketId id) override;
    void on_writable(SocketId) override { ++writable_events; }
    void on_closed(SocketId id, CloseReason r) override { closed.push_back({id, r}); }

    std::vector<SocketId> accepted, connected;
    std::vector<std::pair<SocketId, CloseReason>> closed;
    std::string received;
    bool saw_eof = false;
    bool auto_read = true;
    int writable_events = 0;
    SocketId last;

private:
    Stack& stack_;
};

class TcpScript {
public:
    static constexpr uint16_t our_port = 80;
    static constexpr uint16_t peer_port = 40000;

    explicit TcpScript(uint32_t our_iss = 0, uint32_t peer_iss = 1000, StackConfig config = {});

    // The peer sends `s`; the stack then runs (poll) at the current virtual time.
    void peer_sends(const Seg& s);
    // Sends raw frame bytes to the stack.
    void peer_sends_frame(std::vector<uint8_t> frame);
    // Moves virtual time forward and polls.
    void advance(Duration d);
    void poll() { stack.poll(now); }

    // Takes the next TCP segment the stack sent and compares it with `expected`.
    void expect_sent(const Seg& expected, const char* file = __builtin_FILE(), int line = __builtin_LINE());
    void expect_nothing(const char* file = __builtin_FILE(), int line = __builtin_LINE());
    // The application writes `data` on `id`, which must name an open connection (Stack::write
    // fails only for a stale id); returns the bytes the send buffer took.
    size_t write(SocketId id, Bytes data, const char* file = __builtin_FILE(), int line = __builtin_LINE());
    // The next sent segment (relative numbers), parsed; nullopt if none.
    std::optional<TcpSegment> next_sent();
    size_t sent_count() const { return dev.sent.size(); }

    // Drives the handshake: SYN, expect SYN-ACK, ACK `handshake_rtt` later (the stack's first RTT
    // sample, as in Linux: RTO = that + 200 ms). Afterwards app.last is the socket.
    SocketId establish(uint16_t peer_window = 64240, Duration handshake_rtt = Duration{0});

    // Starting states, each reached by real segments from establish() on (relative numbers as
    // in the comments; our data, if any, is acknowledged unless said otherwise):
    SocketId close_wait();  // the peer's FIN (seq 1) acknowledged: ACK 2
    SocketId last_ack();    // close_wait(), then our close(): FIN seq 1 ack 2, unacknowledged
    SocketId fin_wait_1();  // our close(): FIN seq 1 ack 1, unacknowledged
    SocketId fin_wait_2();  // fin_wait_1(), the peer acknowledges the FIN (ACK 2)
    SocketId time_wait();   // fin_wait_2(), then the peer's FIN (seq 1) acknowledged: ACK 2
    // Established, then `bytes` of 'd' written and sent in MSS-sized segments (seq 1 on), none
    // acknowledged yet: the peer's window must take them.
    SocketId in_flight(uint32_t bytes, uint16_t peer_window = 64240);
    // The peer sends `bytes` in segments of 2,048 ('a' in the first, 'b' in the second, ...),
    // each acknowledged at once; an ACK that fills the receive buffer must close the window
    // (for tests with app.auto_read = false).
    void peer_fills(uint32_t bytes);
    TcpState state() const;
    TcpState state_of(SocketId id) const;

    ~TcpScript();
    TcpScript(const TcpScript&) = delete;
    TcpScript& operator=(const TcpScript&) = delete;

    std::vector<uint8_t> build_frame(const Seg& s) const;
    uint32_t rel_seq(SeqNum s) const { return s.raw - our_iss_; }
    uint32_t rel_ack(SeqNum a) const { return a.raw - peer_iss_; }

    QueueDev dev;
    Stack stack;
    RecordingApp app;
    Instant now = Instant::from_ms(1000);
    std::string transcript;
    std::vector<std::string> state_log;

private:
    class StateLog : public ConnectionObserver {
    public:
        explicit StateLog(TcpScript& t) : t_(t) {}
        void on_state_change(Instant, const FourTuple&, TcpState from, TcpState to, std::string_view) override;

    private:
        TcpScript& t_;
    };
    uint32_t our_iss_, peer_iss_;
    StateLog state_observer_{*this};
    std::vector<uint8_t> leftover_;
    std::vector<std::vector<uint8_t>> held_;  // keeps parsed frames alive
};

std::string describe(const TcpSegment& s, uint32_t our_iss, uint32_t peer_iss);
// The segment a Seg describes, from the peer (its sequence numbers relative to `peer_iss`, its
// ACK and SACK blocks to `our_iss`); the payload is a view of s.payload.
TcpSegment to_segment(const Seg& s, uint32_t our_iss, uint32_t peer_iss, uint16_t our_port, uint16_t peer_port);
// Compares what we sent with what a test expects: the fields `e` sets, in relative numbers.
void check_segment(const Seg& e, const TcpSegment& got, uint32_t our_iss, uint32_t peer_iss);

}  // namespace tapstack::test

namespace tapstack {
// GoogleTest prints states as the RFC spells them ("ESTABLISHED"), not as a byte.
inline void PrintTo(TcpState s, std::ostream* os) { *os << to_string(s); }
}  // namespace tapstack
