// SPDX-License-Identifier: MIT
// Sockets (sockets.hh): reading, writing, and poll() readiness as a function of the socket's
// state, with Linux's errno values and poll bits (tcp_recvmsg, tcp_sendmsg, tcp_poll).
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "stack/posix/sockets.hh"

namespace tapstack {

bool Sockets::wait(std::optional<Duration> timeout, const std::function<bool()>& ready) {
    // A driver that sees nothing left to happen gives up, and the call fails with EAGAIN, as
    // after a timeout.
    std::optional<Instant> deadline;
    if (timeout) deadline = driver_.instant() + *timeout;
    return driver_.run_until(ready, deadline);
}

// The peer's FIN has arrived (Linux's RCV_SHUTDOWN from tcp_fin), whether or not the data before
// it has been read; a connection the stack already let go had it too.
bool Sockets::peer_fin(const Socket& s) const {
    auto info = stack_.info(s.id);
    if (!info) return true;
    switch (info->state) {
    case TcpState::CloseWait:
    case TcpState::Closing:
    case TcpState::LastAck:
    case TcpState::TimeWait:
    case TcpState::Closed: return true;
    case TcpState::Listen:
    case TcpState::SynSent:
    case TcpState::SynReceived:
    case TcpState::Established:
    case TcpState::FinWait1:
    case TcpState::FinWait2: return false;
    }
    return false;
}

SysResult<size_t> Sockets::recv(int fd, MutBytes buffer, int flags) {
    Socket* s = find(fd);
    if (!s) return sys_error(not_found(fd));
    if ((flags & ~(MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL | MSG_NOSIGNAL)) != 0) return sys_error(EOPNOTSUPP);
    bool dont_wait = s->nonblocking || (flags & MSG_DONTWAIT) != 0;
    for (;;) {
        switch (s->state) {
        case State::Unbound:
        case State::Bound:
        case State::Listening: return sys_error(ENOTCONN);
        case State::Closed:
            // After a reset: its error once (ECONNRESET), then end of file, as Linux.
            if (int e = take_error(*s)) return sys_error(e);
            return size_t{0};
        case State::Connecting:
        case State::Connected: break;
        }
        if (buffer.empty()) return size_t{0};
        size_t ready = s->state == State::Connected ? stack_.readable_bytes(s->id) : 0;
        bool at_end = s->state == State::Connected && (s->shut_read || peer_fin(*s));
        bool enough = (flags & MSG_WAITALL) == 0 || ready >= buffer.size() || at_end;
        if (ready > 0 && (enough || dont_wait)) {
            auto n = (flags & MSG_PEEK) != 0 ? stack_.peek(s->id, buffer) : stack_.read(s->id, buffer);
            driver_.flush();  // a window update may be owed
            return n.value_or(0);
        }
        if (at_end) return size_t{0};
        if (dont_wait) return sys_error(EAGAIN);
        bool waited = wait(s->receive_timeout, [this, s, &buffer, flags] {
            if (s->state != State::Connected) return s->state != State::Connecting;
            size_t have = stack_.readable_bytes(s->id);
            bool all = (flags & MSG_WAITALL) == 0 || have >= buffer.size();
            return (have > 0 && all) || s->shut_read || peer_fin(*s);
        });
        if (!waited) return sys_error(EAGAIN);
    }
}

SysResult<size_t> Sockets::send(int fd, Bytes data, int flags) {
    Socket* s = find(fd);
    if (!s) return sys_error(not_found(fd));
    if ((flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE)) != 0) return sys_error(EOPNOTSUPP);
    bool dont_wait = s->nonblocking || (flags & MSG_DONTWAIT) != 0;
    if (s->state == State::Connecting) {
        if (dont_wait) return sys_error(EAGAIN);
        (void)wait(s->send_timeout, [s] { return s->state != State::Connecting; });
    }
    size_t done = 0;
    for (;;) {
        // Linux (tcp_sendmsg): the pending error first, then EPIPE for a socket that cannot
        // send (never connected, shut down for writing, reset).
        if (s->state != State::Connected || s->shut_write) {
            if (done > 0) break;
            if (int e = take_error(*s)) return sys_error(e);
            return sys_error(s->state == State::Connecting ? EAGAIN : EPIPE);
        }
        auto written = stack_.write(s->id, data.subspan(done), (flags & MSG_MORE) != 0);
        if (!written) {  // the stack let the connection go (both sides closed): nothing to send on
            if (done > 0) break;
            return sys_error(EPIPE);
        }
        done += *written;
        if (done == data.size()) break;
        s->no_space = true;
        if (dont_wait) {
            if (done == 0) return sys_error(EAGAIN);
            break;
        }
        driver_.flush();  // what fits goes out while we wait for room
        if (!wait(s->send_timeout,
                  [this, s] { return s->state != State::Connected || stack_.send_space(s->id) > 0; })) {
            if (done == 0) return sys_error(EAGAIN);
            break;
        }
    }
    driver_.flush();
    return done;
}

// Linux's sk_stream_is_writeable: room for at least half of what is queued (a third of the
// buffer), so that a writer woken for room finds a good amount of it.
bool Sockets::writable(const Socket& s) const {
    size_t room = stack_.send_space(s.id);
    auto info = stack_.info(s.id);
    return room > 0 && room >= (info ? info->send_queue : 0) / 2;
}

// Room came (the peer acknowledged data): a wake-up only for a writer that found none, and only
// once the socket is writable again (Linux's SOCK_NOSPACE and sk_stream_write_space).
void Sockets::on_writable(SocketId id) {
    auto it = fd_of_.find(id);
    Socket* s = it != fd_of_.end() ? find(it->second) : nullptr;
    if (!s || !s->no_space || !writable(*s)) return;
    s->no_space = false;
    ++s->wakeups;
}

// Linux's tcp_poll: POLLHUP once both directions are shut (or there is no connection),
// POLLIN|POLLRDHUP once reading is shut or the peer's FIN came, POLLOUT while there is room or
// writing is shut (a write would not block: it fails), POLLERR while an error is pending.
short Sockets::readiness(const Socket& s) const {
    constexpr short in = POLLIN | POLLRDNORM, out = POLLOUT | POLLWRNORM;
    short mask = s.pending_error != 0 ? POLLERR : 0;
    switch (s.state) {
    case State::Unbound:
    case State::Bound: return static_cast<short>(mask | out | POLLHUP);
    case State::Closed: return static_cast<short>(mask | in | POLLRDHUP | out | POLLHUP);
    case State::Listening: return static_cast<short>(mask | (s.accept_queue.empty() ? 0 : in));
    case State::Connecting: return mask;
    case State::Connected: break;
    }
    bool read_shut = s.shut_read || peer_fin(s);
    if (read_shut) mask |= in | POLLRDHUP;
    if (stack_.readable_bytes(s.id) > 0) mask |= in;
    if (s.shut_write || writable(s)) mask |= out;
    if (read_shut && s.shut_write) mask |= POLLHUP;
    return mask;
}

SysResult<int> Sockets::poll(std::span<PollFd> fds, int timeout_ms) {
    auto count_ready = [this, fds] {
        int ready = 0;
        for (PollFd& p : fds) {
            p.revents = 0;
            if (p.fd < 0) continue;  // POSIX: ignored
            const Socket* s = find(p.fd);
            // POLLERR, POLLHUP and POLLNVAL are reported whether asked for or not.
            short wanted = static_cast<short>(p.events | POLLERR | POLLHUP);
            p.revents = s ? static_cast<short>(readiness(*s) & wanted) : static_cast<short>(POLLNVAL);
            if (p.revents != 0) ++ready;
        }
        return ready;
    };
    if (int ready = count_ready(); ready > 0 || timeout_ms == 0) return ready;
    std::optional<Instant> deadline;
    if (timeout_ms > 0) deadline = driver_.instant() + std::chrono::milliseconds{timeout_ms};
    (void)driver_.run_until([&] { return count_ready() > 0; }, deadline);
    return count_ready();
}

}  // namespace tapstack
