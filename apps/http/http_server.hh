// SPDX-License-Identifier: MIT
// HttpServer: runs one HttpSession per accepted connection on the tapstack socket API. It only
// moves bytes between the Stack and the sessions and keeps the timers; every HTTP decision is in
// HttpSession, so a kernel-socket (epoll) adapter can reuse the sessions unchanged. It never reads
// a clock: the event loop passes `now` to poll(), after each Stack::poll(), and sleeps until poll_at().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "apps/http/http_config.hh"
#include "apps/http/http_session.hh"
#include "apps/http/http_site.hh"
#include "stack/base/result.hh"
#include "stack/base/time.hh"
#include "stack/stack.hh"
#include "stack/tcp/socket.hh"

namespace tapstack {

struct HttpServerStats {
    uint64_t connections_accepted = 0;
    uint64_t connections_closed = 0;  // by the server: FIN (or RST after a send timeout)
    uint64_t connections_lost = 0;    // by the stack: reset by the peer, retransmissions exhausted
    uint64_t responses = 0;           // of connections that have ended
    uint64_t request_timeouts = 0;
    uint64_t idle_timeouts = 0;
    uint64_t send_timeouts = 0;
};

class HttpServer final : public SocketHandler {
public:
    // Throws std::system_error when config.root is set but is not a usable directory. `stack`
    // must outlive the server.
    HttpServer(Stack& stack, HttpConfig config);
    ~HttpServer() override;  // stop()
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Listens on `port`. The error (port in use, port 0) is also logged.
    Result<SocketId, ListenError> start(uint16_t port);
    // Stops listening and closes every connection (FIN after what is already written).
    void stop();

    // Stamps the events delivered since the last call with `now`, and closes connections whose
    // request, keep-alive or send timeout has passed. Call it after every Stack::poll(now).
    void poll(Instant now);
    // The next time poll() has something to do (nullopt: nothing until a socket event).
    std::optional<Instant> poll_at() const;

    size_t connection_count() const { return connections_.size(); }
    const HttpServerStats& stats() const { return stats_; }
    const HttpSite& site() const { return site_; }

    // SocketHandler
    void on_accept(SocketId) override;
    void on_readable(SocketId id) override { service(id); }
    void on_writable(SocketId id) override { service(id); }
    void on_closed(SocketId, CloseReason) override;

private:
    struct Connection {
        explicit Connection(const HttpSite& site) : session(site) {}
        HttpSession session;
        std::vector<uint8_t> unsent;  // produced, but write() took only part of it
        size_t unsent_pos = 0;
        bool eof_delivered = false;
        // Timers. Events arrive inside Stack::poll(), before the server learns the time, so a
        // touched connection is only marked `dirty` there and stamped in the next poll(now).
        bool dirty = false;
        bool wrote = false;    // the stack took response bytes since the last stamp
        bool stamped = false;  // `since` has been set at least once
        HttpSession::Status status = HttpSession::Status::ReadingRequest;
        uint64_t stamped_responses = 0;
        Instant since;                    // when `status` (or the current request cycle) began
        Instant last_progress;            // when the stack last took response bytes
        std::optional<Instant> check_at;  // this connection's entry in timers_
    };
    using Key = uint64_t;

    void service(SocketId id);
    bool flush_unsent(SocketId id, Connection& c);
    void close_connection(SocketId id, Connection& c, bool reset);
    void forget(SocketId id, Connection& c);
    void mark_dirty(SocketId id, Connection& c);
    void stamp(SocketId id, Connection& c);
    std::optional<Instant> deadline_of(const Connection& c) const;
    void schedule(SocketId id, Connection& c, Instant at);
    void expire(SocketId id, Connection& c);

    static Key key_of(SocketId id) { return (Key{id.generation} << 32) | id.index; }
    static SocketId id_of(Key k) { return SocketId{static_cast<uint32_t>(k), static_cast<uint32_t>(k >> 32)}; }

    Stack& stack_;
    HttpSite site_;
    SocketId listener_;
    Instant now_;
    std::unordered_map<SocketId, std::unique_ptr<Connection>, SocketIdHash> connections_;
    std::vector<SocketId> dirty_;
    // (time, connection): at most one entry per connection, never later than its true deadline.
    // A deadline that moves later leaves the entry in place; when it fires, the connection is
    // checked and rescheduled. So a busy keep-alive connection costs no set update per request.
    std::set<std::pair<Instant, Key>> timers_;
    // One buffer for all connections (single thread): reads from the stack and produce() output.
    std::vector<uint8_t> buffer_;
    HttpServerStats stats_;
};

}  // namespace tapstack
