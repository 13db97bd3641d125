// SPDX-License-Identifier: MIT
// HttpServer: the glue between Stack sockets and HttpSessions. service() is the pump: read while
// the session takes input, produce while the stack takes output, until neither moves; then close
// if the session is finished. Unread input is drained before close(), since closing with unread
// data makes the stack send RST (RFC 9293 §3.10.4) and the client could lose our last response.
#include "apps/http/http_server.hh"

#include <algorithm>
#include <cassert>

#include "stack/base/log.hh"

namespace tapstack {
namespace {

// Sized to a few full-size segments: big enough that a file streams in large preads, small
// enough to live on in one place for all connections.
constexpr size_t buffer_size = 64 * 1024;

}  // namespace

HttpServer::HttpServer(Stack& stack, HttpConfig config)
    : stack_(stack), site_(std::move(config)), buffer_(buffer_size) {}

HttpServer::~HttpServer() { stop(); }

Result<SocketId, ListenError> HttpServer::start(uint16_t port) {
    auto listening = stack_.listen(port, *this);
    if (!listening) {
        TS_LOG(Error, "http: cannot listen on port {}: {}", port,
               listening.error() == ListenError::PortInUse ? "port in use" : "invalid port");
        return listening;
    }
    listener_ = *listening;
    TS_LOG(Info, "http: port {}: {}, {}", port,
           site_.has_root() ? "serving " + site_.root() : std::string{"built-in page"},
           site_.config().keep_alive_seconds > 0
               ? "keep-alive " + std::to_string(site_.config().keep_alive_seconds) + " s"
               : std::string{"Connection: close"});
    return listening;
}

void HttpServer::stop() {
    if (listener_.valid()) {
        stack_.close(listener_);
        listener_ = SocketId{};
    }
    std::vector<SocketId> ids;
    ids.reserve(connections_.size());
    for (auto& [id, c] : connections_) ids.push_back(id);
    for (SocketId id : ids) {
        if (auto it = connections_.find(id); it != connections_.end()) close_connection(id, *it->second, false);
    }
    dirty_.clear();
}

// --------------------------------------------------------------------------------- socket events

void HttpServer::on_accept(SocketId id) {
    ++stats_.connections_accepted;
    if (log::enabled(log::Level::Debug)) {
        if (auto info = stack_.info(id))
            TS_LOG(Debug, "http: connection from {}:{}", info->remote_ip, info->remote_port);
    }
    // Responses are written whole: Nagle would only hold back the last short segment of a
    // keep-alive response until the client's delayed ACK (the 40 ms stall nginx avoids with
    // tcp_nodelay, on by default there too).
    stack_.set_nodelay(id, true);
    auto [it, inserted] = connections_.emplace(id, std::make_unique<Connection>(site_));
    assert(inserted);
    mark_dirty(id, *it->second);  // starts the request timeout at the next poll(now)
    service(id);                  // the request may have come with the handshake's last ACK
}

void HttpServer::on_closed(SocketId id, CloseReason reason) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    TS_LOG(Debug, "http: connection lost ({})", to_string(reason));
    ++stats_.connections_lost;
    forget(id, *it->second);
}

void HttpServer::service(SocketId id) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    Connection& c = *it->second;
    MutBytes buffer{buffer_};
    for (;;) {
        bool moved = false;
        // Input: only as much as the session takes now. The rest waits in the stack's receive
        // buffer, whose shrinking window slows down a client that pipelines too far ahead.
        while (size_t space = c.session.input_space()) {
            size_t n = stack_.read(id, buffer.first(std::min(space, buffer.size()))).value_or(0);
            if (n == 0) break;
            size_t taken = c.session.on_data(buffer.first(n));
            assert(taken == n);
            (void)taken;
            moved = true;
        }
        if (!c.eof_delivered && stack_.readable_bytes(id) == 0 && stack_.peer_closed(id)) {
            c.eof_delivered = true;
            c.session.on_peer_closed();
            moved = true;
        }
        // Output: produce no more than the send buffer takes, so nothing waits in here normally.
        if (!flush_unsent(id, c)) break;
        while (size_t space = stack_.send_space(id)) {
            size_t n = c.session.produce(buffer.first(std::min(space, buffer.size())));
            if (n == 0) break;
            size_t written = stack_.write(id, buffer.first(n)).value_or(0);
            c.wrote |= written > 0;
            moved = true;
            if (written < n) {
                c.unsent.assign(buffer.begin() + static_cast<std::ptrdiff_t>(written),
                                buffer.begin() + static_cast<std::ptrdiff_t>(n));
                c.unsent_pos = 0;
                break;
            }
        }
        if (!moved) break;
    }
    if (c.session.should_close() && c.unsent.empty()) return close_connection(id, c, c.session.aborted());
    mark_dirty(id, c);
}

// Writes what an earlier write() did not take. True when nothing is left over.
bool HttpServer::flush_unsent(SocketId id, Connection& c) {
    if (c.unsent.empty()) return true;
    size_t written = stack_.write(id, Bytes{c.unsent}.subspan(c.unsent_pos)).value_or(0);
    c.wrote |= written > 0;
    c.unsent_pos += written;
    if (c.unsent_pos < c.unsent.size()) return false;
    c.unsent.clear();
    c.unsent.shrink_to_fit();
    c.unsent_pos = 0;
    return true;
}

void HttpServer::close_connection(SocketId id, Connection& c, bool reset) {
    if (reset) {
        stack_.abort(id);
    } else {
        MutBytes buffer{buffer_};
        while (stack_.read(id, buffer).value_or(0) > 0) {
        }
        stack_.close(id);
    }
    ++stats_.connections_closed;
    forget(id, c);
}

// Drops the server's state for `id`; `c` is destroyed.
void HttpServer::forget(SocketId id, Connection& c) {
    stats_.responses += c.session.responses_started();
    if (c.check_at) timers_.erase({*c.check_at, key_of(id)});
    connections_.erase(id);  // dirty_ may still name it: poll() skips ids it cannot find
}

// ------------------------------------------------------------------------------------------ timers

void HttpServer::mark_dirty(SocketId id, Connection& c) {
    if (c.dirty) return;
    c.dirty = true;
    dirty_.push_back(id);
}

void HttpServer::poll(Instant now) {
    now_ = now;
    site_.update_date(now);
    for (SocketId id : dirty_) {
        auto it = connections_.find(id);
        if (it == connections_.end()) continue;
        it->second->dirty = false;
        stamp(id, *it->second);
    }
    dirty_.clear();

    while (!timers_.empty() && timers_.begin()->first <= now) {
        Key k = timers_.begin()->second;
        timers_.erase(timers_.begin());
        SocketId id = id_of(k);
        auto it = connections_.find(id);
        if (it == connections_.end()) continue;
        Connection& c = *it->second;
        c.check_at.reset();
        auto deadline = deadline_of(c);
        if (!deadline) continue;
        if (*deadline <= now) {
            expire(id, c);
        } else {
            schedule(id, c, *deadline);
        }
    }
}

std::optional<Instant> HttpServer::poll_at() const {
    if (!dirty_.empty()) return now_;
    if (timers_.empty()) return std::nullopt;
    return timers_.begin()->first;
}

// Records what the connection is waiting for since this poll, and arms its timer.
void HttpServer::stamp(SocketId id, Connection& c) {
    HttpSession::Status status = c.unsent.empty() ? c.session.status() : HttpSession::Status::Producing;
    // A new response also restarts the clock: Idle -> request -> Idle may pass unseen in between.
    if (!c.stamped || status != c.status || c.session.responses_started() != c.stamped_responses) {
        c.stamped = true;
        c.status = status;
        c.stamped_responses = c.session.responses_started();
        c.since = now_;
    }
    if (c.wrote) {
        c.last_progress = now_;
        c.wrote = false;
    }
    if (auto deadline = deadline_of(c)) schedule(id, c, *deadline);
}

std::optional<Instant> HttpServer::deadline_of(const Connection& c) const {
    const HttpConfig& config = site_.config();
    switch (c.status) {
    case HttpSession::Status::ReadingRequest:
        // From the request's first byte (or the accept), not the latest byte: a client dripping
        // one byte at a time still has to finish within the limit.
        return c.since + config.request_timeout;
    case HttpSession::Status::Idle: return c.since + std::chrono::seconds{config.keep_alive_seconds};
    case HttpSession::Status::Producing: return std::max(c.since, c.last_progress) + config.send_timeout;
    case HttpSession::Status::Finished: return std::nullopt;
    }
    return std::nullopt;
}

void HttpServer::schedule(SocketId id, Connection& c, Instant at) {
    if (c.check_at && *c.check_at <= at) return;  // the earlier check will reschedule
    if (c.check_at) timers_.erase({*c.check_at, key_of(id)});
    c.check_at = at;
    timers_.insert({at, key_of(id)});
}

void HttpServer::expire(SocketId id, Connection& c) {
    switch (c.status) {
    case HttpSession::Status::ReadingRequest:
        TS_LOG(Debug, "http: request timeout");
        ++stats_.request_timeouts;
        c.session.on_request_timeout();  // 408 if part of a request came, then finished
        return service(id);
    case HttpSession::Status::Idle:
        TS_LOG(Debug, "http: keep-alive timeout");
        ++stats_.idle_timeouts;
        return close_connection(id, c, false);  // the server closes first, as after a response
    case HttpSession::Status::Producing:
        // The peer takes nothing (zero window, or gone without RST): a FIN would wait behind the
        // unsent data forever, so reset.
        TS_LOG(Debug, "http: send timeout");
        ++stats_.send_timeouts;
        return close_connection(id, c, true);
    case HttpSession::Status::Finished: return;
    }
}

}  // namespace tapstack
