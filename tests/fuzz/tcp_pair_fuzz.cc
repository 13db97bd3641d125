// SPDX-License-Identifier: MIT
// libFuzzer target: a whole client and server, two tapstack instances on a MemoryLink with the
// FaultInjector on the server's end, in virtual time. The input picks the faults (seed, drop,
// duplicate, reorder, corrupt, delay, direction), the TCP options and buffer sizes, and a program
// of application calls on either side: writes of fuzzed sizes, reading paused and resumed, close,
// abort, and time passing. Afterwards both applications finish (read everything, close) and the
// pair runs to its end. This reaches what a scripted peer rarely does: both close orders,
// simultaneous close, FIN-WAIT-2, CLOSING, LAST-ACK, TIME-WAIT, and loss recovery on both sides.
//
// What must hold, else the target aborts (and libFuzzer keeps the input):
//  - every byte an application reads is the byte the other one wrote at that offset;
//  - an application that sees the peer's FIN (EOF) has read exactly what the peer wrote;
//  - when neither side aborted, closed early, timed out or was reset, each read all the other
//    wrote;
//  - every connection of both stacks reaches CLOSED within 15 minutes of virtual time once both
//    applications have closed (and an open one moves data or is reset within 4 hours);
//  - when the link is idle, a connection that is not CLOSED has a timer armed, unless it is open
//    (ESTABLISHED, CLOSE-WAIT) and its peer is gone: then its application gives up and closes.
// Everything comes from the input (ISNs fixed, the faults' generator seeded from it): a run is
// deterministic. TCP_PAIR_FUZZ_VERBOSE=1 build/fuzz/tcp_pair_fuzz INPUT prints what happened.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "netdev/fault_injector.hh"
#include "netdev/memory_link.hh"
#include "stack/base/log.hh"
#include "stack/observer.hh"
#include "stack/stack.hh"

using namespace tapstack;

namespace {

[[noreturn]] void fail(const char* what, const char* side = "") {
    std::fprintf(stderr, "tcp_pair_fuzz: invariant broken: %s %s\n", side, what);
    std::abort();
}

// The byte a side writes at stream offset `i`: not periodic in any segment size, so a segment
// delivered at the wrong offset, twice, or from the other direction shows.
uint8_t pattern(int side, uint64_t i) {
    uint64_t x = i * 0x9e3779b97f4a7c15ull + static_cast<uint64_t>(side + 1) * 0xbf58476d1ce4e5b9ull;
    return static_cast<uint8_t>((x ^ (x >> 29) ^ (x >> 47)) & 0xff);
}

constexpr size_t max_stream = 256 * 1024;  // bytes one side writes in a run, at most

// One side's application: writes the pattern, reads and checks what arrives.
class Endpoint : public SocketHandler {
public:
    Endpoint(Stack& s, int side, const char* name) : stack_(s), side_(side), name_(name) {}
    void set_peer(const Endpoint& peer) { peer_ = &peer; }

    void on_accept(SocketId id) override {
        if (id_.valid()) {
            // One connection per run. Another can still come: an old duplicate SYN after the
            // first closed, completed by an old duplicate ACK (both stacks use a fixed ISS here).
            // Nobody would ever use or close it, so it goes at once, as an application would.
            stack_.abort(id);
            return;
        }
        id_ = id;
        open = true;
        pump();
    }
    void on_connected(SocketId id) override {
        id_ = id;
        open = true;
        pump();
    }
    void on_readable(SocketId) override {
        if (reading) drain();
    }
    void on_writable(SocketId) override { pump(); }
    void on_closed(SocketId, CloseReason r) override {
        ended = r;
        open = false;
    }

    // --- what the fuzz program asks for ---
    // Writes and closes asked for before the handshake completes wait for it.
    void write(size_t n) {
        if (!alive()) return;
        pending = std::min(pending + n, max_stream - std::min(max_stream, sent + pending));
        pump();
    }
    void set_reading(bool on) {
        reading = on;
        if (on && usable()) drain();
    }
    void close_when_written() {
        if (!alive()) return;
        close_wanted = true;
        pump();
    }
    void close_now() {
        if (!alive() || !id_.valid()) return;  // the client's socket exists from connect() on
        pending = 0;
        do_close();
    }
    void abort() {
        if (!alive() || !id_.valid()) return;
        stack_.abort(id_);
        app_closed = true;
        open = false;
        aborted = true;
    }
    // The end of the program: read everything; close once nothing more will come either way.
    void finish() {
        finishing = true;
        set_reading(true);
        maybe_finish();
    }
    void maybe_finish() {
        if (!finishing || !usable() || pending > 0) return;
        // Everything the peer will ever write is here (it may still be open, or closed with its
        // FIN on the way), or it is gone (then so is this connection, or its RST was lost).
        bool all_here = (peer_->open || peer_->app_closed) && peer_->pending == 0 && received == peer_->sent;
        bool peer_done = all_here || peer_->ended || peer_->aborted;
        if (peer_done || eof) do_close();
    }

    void connecting(SocketId id) { id_ = id; }
    bool alive() const { return !app_closed && !ended; }  // may still be used (or become usable)
    bool usable() const { return open && !app_closed; }   // connected, and may be used now

    bool open = false;        // connected or accepted, and not ended by the stack
    bool app_closed = false;  // close() or abort() called
    bool aborted = false;
    bool reading = true;
    bool eof = false;  // the peer's FIN seen, everything before it read
    bool finishing = false;
    bool close_wanted = false;
    std::optional<CloseReason> ended;
    uint64_t sent = 0, received = 0;
    size_t pending = 0;  // asked to write, not yet taken by the stack

private:
    void pump() {
        if (!usable()) return;
        uint8_t chunk[1500];
        while (pending > 0) {
            size_t n = std::min(pending, sizeof chunk);
            for (size_t k = 0; k < n; ++k) chunk[k] = pattern(side_, sent + k);
            size_t taken = stack_.write(id_, Bytes{chunk, n}).value_or(0);
            if (taken > n) fail("write() took more than it was given", name_);
            sent += taken;
            pending -= taken;
            if (taken < n) break;
        }
        if (close_wanted && pending == 0) do_close();
        maybe_finish();
    }
    void drain() {
        if (!usable()) return;
        uint8_t buf[2048];
        while (size_t n = stack_.read(id_, MutBytes{buf, sizeof buf}).value_or(0)) {
            if (n > sizeof buf) fail("read() returned more than the buffer", name_);
            for (size_t k = 0; k < n; ++k) {
                if (received + k >= peer_->sent) fail("read a byte the peer never wrote", name_);
                if (buf[k] != pattern(1 - side_, received + k))
                    fail("read a byte that differs from the one written", name_);
            }
            received += n;
        }
        // EOF: the peer's FIN arrived after all its data, on a connection that is still alive
        // (peer_closed() is also true once a reset has ended it).
        auto info = stack_.info(id_);
        if (!eof && stack_.peer_closed(id_) && info && info->state != TcpState::Closed) {
            eof = true;
            if (peer_->pending > 0 || received != peer_->sent)
                fail("EOF before everything the peer wrote was read", name_);
        }
        maybe_finish();
    }
    void do_close() {
        stack_.close(id_);
        app_closed = true;
        open = false;
    }

    Stack& stack_;
    int side_;
    const char* name_;
    const Endpoint* peer_ = nullptr;
    SocketId id_;
};

// TCP_PAIR_FUZZ_VERBOSE=1 build/fuzz/tcp_pair_fuzz INPUT: every state change, and a summary.
const bool verbose = std::getenv("TCP_PAIR_FUZZ_VERBOSE") != nullptr;

// Each connection's last state (a stack has one, or two while an old one lingers), printed too
// when verbose.
class StateTracker : public ConnectionObserver {
public:
    explicit StateTracker(const char* name) : name_(name) {}
    void on_state_change(Instant now, const FourTuple& tuple, TcpState from, TcpState to,
                         std::string_view why) override {
        bool known = false;
        for (auto& [t, state] : states_) {
            if (t == tuple) state = to, known = true;
        }
        if (!known) states_.emplace_back(tuple, to);
        if (!verbose) return;
        std::fprintf(stderr, "%10.6f %s %.*s -> %.*s (%.*s)\n", static_cast<double>(now.us()) / 1e6, name_,
                     static_cast<int>(to_string(from).size()), to_string(from).data(),
                     static_cast<int>(to_string(to).size()), to_string(to).data(), static_cast<int>(why.size()),
                     why.data());
    }

    // A connection that only its application can move on: open, nothing owed to the peer.
    bool only_idle_open() const {
        for (const auto& [t, state] : states_) {
            if (state != TcpState::Closed && state != TcpState::Established && state != TcpState::CloseWait)
                return false;
        }
        return true;
    }

private:
    const char* name_;
    std::vector<std::pair<FourTuple, TcpState>> states_;
};

// Reads the input front to back; past its end, zeros.
class Input {
public:
    Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
    bool done() const { return at_ >= size_; }

private:
    const uint8_t* data_;
    size_t size_;
    size_t at_ = 0;
};

StackConfig config_for(uint8_t last_octet, uint8_t options) {
    StackConfig c;
    c.mac = MacAddress{{0x02, 0, 0, 0, 0, last_octet}};
    c.ip = Ipv4Cidr{Ipv4Address::from_octets(10, 0, 0, last_octet), 24};
    c.fixed_iss = last_octet == 1 ? 0xfffff000u : 0x7ffffff0u;  // one of them wraps early
    c.tcp.sack = options & 1;
    c.tcp.timestamps = options & 2;
    c.tcp.window_scaling = options & 4;
    c.tcp.nagle = options & 8;
    c.tcp.delayed_ack = options & 16 ? Duration{std::chrono::milliseconds{40}} : Duration{0};
    c.tcp.fin_with_last_data = options & 32;
    static constexpr uint32_t buffers[] = {2048, 4096, 16384, 65536};
    c.tcp.receive_buffer = buffers[options >> 6];
    c.tcp.send_buffer = 2 * c.tcp.receive_buffer;
    c.tcp.set_msl(std::chrono::seconds{1});  // TIME-WAIT 2 s: the run's end comes sooner
    return c;
}

struct Pair {
    std::pair<MemoryLink::End, MemoryLink::End> ends = MemoryLink::pair(4096);
    FaultInjector faults;
    Stack client, server;
    Instant now = Instant::from_ms(1);

    Pair(const FaultConfig& fc, uint8_t client_options, uint8_t server_options)
        : faults(ends.second, fc),
          client(config_for(1, client_options), ends.first),
          server(config_for(2, server_options), faults) {}

    std::optional<Instant> next() const { return earliest(client.poll_at(), server.poll_at()); }
    bool frames_waiting() const { return ends.first.pending() > 0 || ends.second.pending() > 0; }

    // Runs both stacks at `now` until neither has anything left to do now.
    void settle() {
        for (int rounds = 0; rounds < 100000; ++rounds) {
            client.poll(now);
            server.poll(now);
            auto at = next();
            if (!frames_waiting() && (!at || *at > now)) return;
        }
        fail("the stacks kept each other busy at one instant");
    }
    // Runs until `until` (every timer and frame due before it), then settles at `until`.
    void run_until(Instant until) {
        settle();
        while (auto at = next()) {
            if (*at > until) break;
            now = std::max(*at, now);
            settle();
        }
        now = std::max(now, until);
        settle();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const bool quiet = [] {
        log::set_level(log::Level::Error);
        return true;
    }();
    (void)quiet;
    Input in(data, size);

    // Header: the faults and both sides' options.
    FaultConfig fc;
    fc.seed = 0;
    for (int k = 0; k < 4; ++k) fc.seed = fc.seed << 8 | in.byte();
    fc.rates.drop = (in.byte() & 0x3f) / 256.0;       // up to 25 %
    fc.rates.duplicate = (in.byte() & 0x1f) / 256.0;  // up to 12 %
    fc.rates.reorder = (in.byte() & 0x1f) / 256.0;
    fc.rates.corrupt = (in.byte() & 0x1f) / 256.0;
    uint8_t timing = in.byte();
    fc.rates.delay = std::chrono::microseconds{(timing & 0x0f) * 500};  // 0 to 7.5 ms
    fc.rates.jitter = std::chrono::microseconds{(timing >> 4) * 250};   // frames may overtake
    fc.reorder_hold = std::chrono::milliseconds{1 + (timing & 3)};
    uint8_t direction = in.byte() % 3;
    fc.direction = direction == 0 ? FaultDirection::Both : direction == 1 ? FaultDirection::Rx : FaultDirection::Tx;
    uint8_t client_options = in.byte();
    uint8_t server_options = in.byte();

    Pair p(fc, client_options, server_options);
    StateTracker client_states("client"), server_states("server");
    p.client.set_observer(&client_states);
    p.server.set_observer(&server_states);
    Endpoint client(p.client, 0, "client"), server(p.server, 1, "server");
    client.set_peer(server);
    server.set_peer(client);
    if (!p.server.listen(80, server).has_value()) fail("listen failed");
    p.settle();
    auto connected = p.client.connect(Ipv4Address::from_octets(10, 0, 0, 2), 80, client);
    if (!connected.has_value()) fail("connect failed");
    client.connecting(*connected);
    p.settle();

    // The program: two bytes a step, [side and verb][argument].
    while (!in.done()) {
        uint8_t op = in.byte(), arg = in.byte();
        Endpoint& e = op & 1 ? server : client;
        switch ((op >> 1) % 8) {
        case 0: e.write(size_t{arg} * 37 + 1); break;
        case 1: e.write(size_t{arg} * 1024); break;
        case 2: e.set_reading(!e.reading); break;
        case 3: e.close_when_written(); break;
        case 4: e.close_now(); break;
        case 5:
            if (arg >= 0xf0) e.abort();  // rare: most runs should end cleanly
            break;
        case 6: p.run_until(p.now + std::chrono::milliseconds{arg}); break;
        case 7: p.run_until(p.now + std::chrono::milliseconds{arg} * 64); break;
        }
        p.settle();
    }

    // The end: both applications read everything and close; the pair runs until every
    // connection is gone, or the bound. 8 retransmissions with backoff (at most 60 s each) take
    // about 4 minutes; TIME-WAIT is 2 s here.
    // A close asked for by the program may come before the other side's data (it is then reset,
    // and an application that has closed is not told): only runs without one are clean.
    bool closed_early = client.app_closed || server.app_closed || client.close_wanted || server.close_wanted;
    client.finish();
    server.finish();
    p.settle();
    // Bounds: a transfer through a bad link may take long (each stall ends in a reset, at worst
    // after 8 backed-off retransmissions), but once both applications have closed, 15 minutes
    // are plenty: the slowest end is a FIN resent 8 times at the 60 s maximum RTO.
    const Instant transfer_bound = p.now + std::chrono::hours{4};
    std::optional<Instant> close_bound;
    bool gave_up = false;
    while (p.client.connection_count() + p.server.connection_count() > 0) {
        auto at = p.next();
        if (!at && !p.frames_waiting()) {
            // Nothing will ever happen again by itself. Fine only for an open connection whose
            // peer is gone (its RST lost): its application waits for data that will not come,
            // and gives up. Both still there, or a closing state without a timer: stuck.
            bool one_side_left = p.client.connection_count() == 0 || p.server.connection_count() == 0;
            if (!one_side_left || !client_states.only_idle_open() || !server_states.only_idle_open() || gave_up)
                fail("a connection that is not CLOSED has no timer armed: stuck for good");
            gave_up = true;
            client.close_now();
            server.close_now();
            p.settle();
            continue;
        }
        if (!close_bound && client.app_closed && server.app_closed) close_bound = p.now + std::chrono::minutes{15};
        if (at && *at > (close_bound ? *close_bound : transfer_bound)) break;
        p.run_until(at ? *at : p.now);
        // An application whose peer went away or that is still waiting closes now.
        client.maybe_finish();
        server.maybe_finish();
    }
    if (!close_bound && p.client.connection_count() + p.server.connection_count() > 0)
        fail("an open connection moved no data for 4 hours without being reset");
    if (p.client.connection_count() > 0)
        fail("a connection of the client's stack is still open 15 minutes after both closed");
    if (p.server.connection_count() > 0)
        fail("a connection of the server's stack is still open 15 minutes after both closed");

    if (verbose) {
        for (const Endpoint* e : {&client, &server}) {
            std::fprintf(stderr, "%s: wrote %lu, read %lu, eof %d, aborted %d, ended %s\n",
                         e == &client ? "client" : "server", static_cast<unsigned long>(e->sent),
                         static_cast<unsigned long>(e->received), e->eof, e->aborted,
                         e->ended ? std::string(to_string(*e->ended)).c_str() : "no");
        }
        std::fprintf(stderr,
                     "faults: rx %s; tx %s; retransmissions client %lu server %lu; resets sent client %lu server %lu; "
                     "ended at %.3f s\n",
                     describe(p.faults.rx_stats()).c_str(), describe(p.faults.tx_stats()).c_str(),
                     static_cast<unsigned long>(p.client.stats().tcp_retransmissions),
                     static_cast<unsigned long>(p.server.stats().tcp_retransmissions),
                     static_cast<unsigned long>(p.client.stats().tcp_resets_sent),
                     static_cast<unsigned long>(p.server.stats().tcp_resets_sent),
                     static_cast<double>(p.now.us()) / 1e6);
    }
    // Nobody aborted, closed early, timed out or was reset: each read all the other wrote.
    bool clean = !closed_early && !gave_up && !client.aborted && !server.aborted && !client.ended && !server.ended;
    if (clean && (client.received != server.sent || server.received != client.sent))
        fail("a clean close, yet the bytes read differ from the bytes written");
    return 0;
}
