// SPDX-License-Identifier: MIT
// Sockets (sockets.hh): the descriptor table, and the calls that make and end connections:
// socket, bind, listen, accept4, connect, shutdown, close, getsockname, getpeername. Each errno
// is the one Linux returns in that case (net/ipv4/af_inet.c and tcp.c are the reference).
#include "stack/posix/sockets.hh"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace tapstack {
namespace {

// Linux's default net.core.somaxconn: a larger backlog is cut to it.
constexpr int max_backlog = 4096;
// Linux's default ip_local_port_range, for bind() to port 0 and listen() on an unbound socket.
constexpr uint16_t ephemeral_first = 32768, ephemeral_last = 60999;

int errno_for(ConnectError e) {
    switch (e) {
    case ConnectError::NoRoute: return ENETUNREACH;
    case ConnectError::NoFreePort: return EADDRNOTAVAIL;
    case ConnectError::TooManyConnections: return EAGAIN;
    case ConnectError::AddressInUse: return EADDRNOTAVAIL;  // as Linux for a taken 4-tuple
    }
    return EINVAL;
}

}  // namespace

Sockets::Sockets(Stack& stack, Driver& driver, int first_fd) : stack_(stack), driver_(driver), first_fd_(first_fd) {}

Sockets::~Sockets() {
    for (size_t i = 0; i < table_.size(); ++i) {
        if (!std::holds_alternative<std::monostate>(table_[i])) (void)close(first_fd_ + static_cast<int>(i));
    }
}

Sockets::Socket* Sockets::find(int fd) {
    if (fd < first_fd_ || static_cast<size_t>(fd - first_fd_) >= table_.size()) return nullptr;
    return std::get_if<Socket>(&table_[static_cast<size_t>(fd - first_fd_)]);
}

const Sockets::Socket* Sockets::find(int fd) const { return const_cast<Sockets*>(this)->find(fd); }

Sockets::Epoll* Sockets::find_epoll(int fd) {
    if (fd < first_fd_ || static_cast<size_t>(fd - first_fd_) >= table_.size()) return nullptr;
    return std::get_if<Epoll>(&table_[static_cast<size_t>(fd - first_fd_)]);
}

int Sockets::not_found(int fd) const { return const_cast<Sockets*>(this)->find_epoll(fd) ? ENOTSOCK : EBADF; }

int Sockets::allocate(Slot slot) {
    // POSIX: the lowest descriptor not open.
    auto free = std::find_if(table_.begin(), table_.end(),
                             [](const Slot& s) { return std::holds_alternative<std::monostate>(s); });
    size_t index = static_cast<size_t>(free - table_.begin());
    if (free == table_.end()) table_.emplace_back();
    table_[index] = std::move(slot);
    ++open_;
    return first_fd_ + static_cast<int>(index);
}

// The stack has news for this connection's socket (see Socket::wakeups).
void Sockets::wake(SocketId id) {
    auto it = fd_of_.find(id);
    if (Socket* s = it != fd_of_.end() ? find(it->second) : nullptr) ++s->wakeups;
}

SysResult<int> Sockets::socket(int domain, int type, int protocol) {
    if (domain != AF_INET) return sys_error(EAFNOSUPPORT);
    int kind = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (kind != SOCK_STREAM) return sys_error(ESOCKTNOSUPPORT);  // no UDP or raw sockets here
    if (protocol != 0 && protocol != IPPROTO_TCP) return sys_error(EPROTONOSUPPORT);
    Socket s;
    s.nonblocking = (type & SOCK_NONBLOCK) != 0;
    return allocate(std::move(s));
}

// Linux's rule (inet_csk_bind_conflict): a port is shared only when both sockets set
// SO_REUSEADDR and the other one is not listening.
bool Sockets::port_in_use(uint16_t port, const Socket& asking) const {
    for (const Slot& slot : table_) {
        const Socket* s = std::get_if<Socket>(&slot);
        if (!s || s == &asking || s->state == State::Unbound || s->local.port != port) continue;
        bool shared = asking.reuse_address && s->reuse_address && s->state != State::Listening;
        if (!shared) return true;
    }
    return false;
}

std::optional<uint16_t> Sockets::ephemeral_port(const Socket& asking) {
    for (uint32_t tries = 0; tries <= ephemeral_last - ephemeral_first; ++tries) {
        uint16_t p = next_ephemeral_;
        next_ephemeral_ = static_cast<uint16_t>(p == ephemeral_last ? ephemeral_first : p + 1);
        if (!port_in_use(p, asking)) return p;
    }
    return std::nullopt;
}

SysResult<int> Sockets::bind(int fd, SocketAddress local) {
    Socket* s = find(fd);
    if (!s) return sys_error(not_found(fd));
    if (s->state != State::Unbound) return sys_error(EINVAL);  // already bound (or connected)
    Ipv4Address ours = stack_.config().ip.address;
    if (local.ip != Ipv4Address{} && local.ip != ours) return sys_error(EADDRNOTAVAIL);
    if (local.port == 0) {
        auto port = ephemeral_port(*s);
        if (!port) return sys_error(EADDRINUSE);
        local.port = *port;
        s->port_chosen_by_us = true;
    } else if (port_in_use(local.port, *s)) {
        return sys_error(EADDRINUSE);
    }
    s->local = local;
    s->state = State::Bound;
    return 0;
}

// The stack may complete backlog + 1 handshakes ahead of accept(), as Linux's accept queue
// holds (sk_acceptq_is_full: more than the backlog).
void Sockets::update_accept_room(Socket& listener) {
    size_t room = static_cast<size_t>(listener.backlog) + 1;
    room -= std::min(room, listener.accept_queue.size());
    stack_.set_accept_room(listener.id, static_cast<uint32_t>(room));
}

SysResult<int> Sockets::listen(int fd, int backlog) {
    Socket* s = find(fd);
    if (!s) return sys_error(not_found(fd));
    backlog = std::clamp(backlog, 0, max_backlog);
    switch (s->state) {
    case State::Listening:
        s->backlog = backlog;  // listen() again changes the backlog only
        update_accept_room(*s);
        return 0;
    case State::Connecting:
    case State::Connected:
    case State::Closed: return sys_error(EINVAL);
    case State::Unbound:
        if (auto r = bind(fd, SocketAddress{}); !r) return r;
        break;
    case State::Bound: break;
    }
    auto listener = stack_.listen(s->local.port, *this, s->options);
    if (!listener) return sys_error(EADDRINUSE);  // another program on the stack listens there
    s->id = *listener;
    s->state = State::Listening;
    s->backlog = backlog;
    listener_fd_[s->local.port] = fd;
    update_accept_room(*s);
    return 0;
}

SysResult<int> Sockets::accept4(int fd, SocketAddress* peer, int flags) {
    Socket* s = find(fd);
    if (!s) return sys_error(not_found(fd));
    if ((flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0 || s->state != State::Listening) return sys_error(EINVAL);
    if (s->accept_queue.empty()) {
        if (s->nonblocking) return sys_error(EAGAIN);
        if (!wait(s->receive_timeout, [s] { return !s->accept_queue.empty() || s->state != State::Listening; }))
            return sys_error(EAGAIN);
        if (s->state != State::Listening) return sys_error(EINVAL);  // shut down meanwhile
    }
    SocketId id = s->accept_queue.front();
    s->accept_queue.pop_front();
    update_accept_room(*s);
    auto info = stack_.info(id);
    Socket c;  // it inherits the listener's options, as in Linux
    c.state = State::Connected;
    c.was_connected = true;
    c.nonblocking = (flags & SOCK_NONBLOCK) != 0;
    c.reuse_address = s->reuse_address;
    c.options = s->options;  // the stack opened the connection with them too
    c.receive_timeout = s->receive_timeout;
    c.send_timeout = s->send_timeout;
    c.linger_seconds = s->linger_seconds;
    c.id = id;
    if (info) {
        c.local = {info->local_ip, info->local_port};
        c.remote = {info->remote_ip, info->remote_port};
    }
    if (peer) *peer = c.remote;
    int new_fd = allocate(std::move(c));
    fd_of_[id] = new_fd;
    driver_.flush();
    return new_fd;
}

SysResult<int> Sockets::connect(int fd, SocketAddress remote) {
    Socket* s = find(fd);
    if (!s) return sys_error(not_found(fd));
    switch (s->state) {
    case State::Listening: return sys_error(EISCONN);
    case State::Connected:
        if (!s->connect_unreported) return sys_error(EISCONN);
        s->connect_unreported = false;  // Linux: the first connect() after completion says 0
        return 0;
    case State::Connecting:
        if (s->nonblocking) return sys_error(EALREADY);
        return finish_connect(*s);
    case State::Closed:
        if (s->was_connected) return sys_error(EISCONN);
        s->state = s->port_chosen_by_us || s->local.port == 0 ? State::Unbound : State::Bound;
        break;  // a failed connect may be tried again
    case State::Unbound:
    case State::Bound: break;
    }
    uint16_t local_port = s->state == State::Bound ? s->local.port : 0;  // 0: the stack picks one
    auto id = stack_.connect(remote.ip, remote.port, *this, local_port, s->options);
    if (!id) return sys_error(errno_for(id.error()));
    s->id = *id;
    s->state = State::Connecting;
    s->remote = remote;
    s->pending_error = 0;
    s->reset = false;
    if (auto info = stack_.info(*id)) s->local = {info->local_ip, info->local_port};
    fd_of_[*id] = fd;
    driver_.flush();  // the SYN leaves now
    if (s->nonblocking) return sys_error(EINPROGRESS);
    return finish_connect(*s);
}

SysResult<int> Sockets::finish_connect(Socket& s) {
    // Linux: a connect that SO_SNDTIMEO cuts short goes on in the background (EINPROGRESS).
    if (!wait(s.send_timeout, [&s] { return s.state != State::Connecting; }))
        return sys_error(s.send_timeout ? EINPROGRESS : EAGAIN);
    if (s.state == State::Connected) {
        s.connect_unreported = false;
        return 0;
    }
    int error = take_error(s);
    return sys_error(error != 0 ? error : ECONNREFUSED);
}

int Sockets::take_error(Socket& s) {
    int e = s.pending_error;
    s.pending_error = 0;
    return e;
}

SysResult<int> Sockets::shutdown(int fd, int how) {
    Socket* s = find(fd);
    if (!s) return sys_error(not_found(fd));
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return sys_error(EINVAL);
    switch (s->state) {
    case State::Unbound:
    case State::Bound:
    case State::Closed: return sys_error(ENOTCONN);
    case State::Listening:
        if (how == SHUT_WR) return 0;
        // Linux stops listening (and resets the connections not yet accepted); the port stays.
        for (SocketId queued : s->accept_queue) stack_.abort(queued);
        s->accept_queue.clear();
        stack_.close(s->id);
        listener_fd_.erase(s->local.port);
        s->state = State::Bound;
        break;
    case State::Connecting:
        // Linux abandons the open (no RST in SYN-SENT) and the socket is unconnected again.
        stack_.abort(s->id);
        fd_of_.erase(s->id);
        s->state = s->port_chosen_by_us || s->local.port == 0 ? State::Unbound : State::Bound;
        break;
    case State::Connected:
        if (how != SHUT_WR) s->shut_read = true;
        if (how != SHUT_RD && !s->shut_write) {
            s->shut_write = true;
            stack_.shutdown_write(s->id);  // FIN after what is queued; reading goes on
        }
        ++s->wakeups;  // Linux's state change wakes the waiters too
        break;
    }
    driver_.flush();
    return 0;
}

SysResult<int> Sockets::close(int fd) {
    Socket* s = find(fd);
    if (!s && !find_epoll(fd)) return sys_error(EBADF);
    forget_in_epolls(fd);
    switch (s ? s->state : State::Closed) {
    case State::Listening:
        // Connections the application never accepted are reset, as Linux does.
        for (SocketId queued : s->accept_queue) stack_.abort(queued);
        stack_.close(s->id);
        listener_fd_.erase(s->local.port);
        break;
    case State::Connecting:
    case State::Connected:
        // SO_LINGER on with a zero time: RST instead of FIN (and unsent data dropped).
        if (s->linger_seconds == 0) stack_.abort(s->id);
        else stack_.close(s->id);
        fd_of_.erase(s->id);
        break;
    case State::Unbound:
    case State::Bound:
    case State::Closed: break;
    }
    table_[static_cast<size_t>(fd - first_fd_)] = std::monostate{};
    --open_;
    driver_.flush();
    return 0;
}

SysResult<SocketAddress> Sockets::getsockname(int fd) const {
    const Socket* s = find(fd);
    if (!s) return sys_error(not_found(fd));
    return s->local;
}

SysResult<SocketAddress> Sockets::getpeername(int fd) const {
    const Socket* s = find(fd);
    if (!s) return sys_error(not_found(fd));
    if (s->state != State::Connected) return sys_error(ENOTCONN);
    return s->remote;
}

// --- what the stack tells us (at the end of its poll) ---

void Sockets::on_accept(SocketId accepted) {
    auto info = stack_.info(accepted);
    auto listener = info ? listener_fd_.find(info->local_port) : listener_fd_.end();
    Socket* s = listener != listener_fd_.end() ? find(listener->second) : nullptr;
    if (!s) return stack_.abort(accepted);  // its listener was closed meanwhile
    s->accept_queue.push_back(accepted);
    ++s->wakeups;
    update_accept_room(*s);
}

void Sockets::on_connected(SocketId id) {
    auto it = fd_of_.find(id);
    Socket* s = it != fd_of_.end() ? find(it->second) : nullptr;
    if (!s || s->state != State::Connecting) return;
    s->state = State::Connected;
    s->was_connected = true;
    s->connect_unreported = true;
    ++s->wakeups;
}

void Sockets::on_closed(SocketId id, CloseReason reason) {
    // Still in an accept queue: Linux would hand it out and report the reset on first use;
    // here it simply leaves the queue (see docs/design.md, "The socket layer").
    for (auto& [port, listener_fd] : listener_fd_) {
        Socket* l = find(listener_fd);
        if (!l) continue;
        auto queued = std::find(l->accept_queue.begin(), l->accept_queue.end(), id);
        if (queued == l->accept_queue.end()) continue;
        l->accept_queue.erase(queued);
        update_accept_room(*l);
        return;
    }
    auto it = fd_of_.find(id);
    if (it == fd_of_.end()) return;
    Socket* s = find(it->second);
    fd_of_.erase(it);
    if (!s) return;
    bool connecting = s->state == State::Connecting;
    switch (reason) {
    case CloseReason::Reset: s->pending_error = connecting ? ECONNREFUSED : ECONNRESET; break;
    case CloseReason::Refused: s->pending_error = ECONNREFUSED; break;
    case CloseReason::TimedOut: s->pending_error = ETIMEDOUT; break;
    case CloseReason::Aborted: s->pending_error = ECONNABORTED; break;
    case CloseReason::HostUnreachable: s->pending_error = EHOSTUNREACH; break;
    }
    s->state = State::Closed;
    s->reset = true;
    ++s->wakeups;
}

}  // namespace tapstack
