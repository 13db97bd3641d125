// SPDX-License-Identifier: MIT
// Sockets (sockets.hh): fcntl(F_GETFL/F_SETFL), ioctl, and setsockopt for the options the stack
// can honour (socket_getopt.cc reads them back). Option values travel as bytes, as through
// setsockopt(2)'s optval/optlen; the ranges and errno values are Linux's (sock_setsockopt,
// do_tcp_setsockopt). Options that shape a connection go to the stack as ConnectionOptions:
// given before connect() or listen() the stack opens the connection with them, given later they
// change the live one.
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "stack/posix/sockets.hh"

namespace tapstack {
namespace {

int load_int(Bytes value) {
    int v = 0;
    std::memcpy(&v, value.data(), sizeof v);
    return v;
}

// Linux's default net.core.rmem_max and wmem_max: SO_RCVBUF and SO_SNDBUF ask for at most this.
constexpr uint32_t buffer_max = 212992;
// Linux's SOCK_MIN_RCVBUF and SOCK_MIN_SNDBUF on x86-64, which count its bookkeeping (sk_buff).
constexpr uint32_t receive_buffer_min = 2304, send_buffer_min = 4608;
// TCP_MAXSEG: Linux's TCP_MIN_MSS and MAX_TCP_WINDOW. TCP_KEEPIDLE/TCP_KEEPINTVL: MAX_TCP_KEEPIDLE,
// MAX_TCP_KEEPINTVL (seconds); TCP_KEEPCNT: MAX_TCP_KEEPCNT.
constexpr int mss_min = 88, mss_max = 32767, keepalive_time_max = 32767, keepalive_probes_max = 127;

// Linux keeps twice the size asked for (for its bookkeeping) and reports that; the ring here
// holds the size asked for, at least half the minimum (it has no bookkeeping to hold).
uint32_t ring_for(int asked, uint32_t minimum) {
    uint32_t reported = std::max(std::min(static_cast<uint32_t>(asked), buffer_max) * 2, minimum);
    return reported / 2;
}

// SO_RCVTIMEO, SO_SNDTIMEO: a struct timeval; zero means no timeout, as does a negative one.
SysResult<std::optional<Duration>> load_timeout(Bytes value) {
    timeval tv{};
    if (value.size() < sizeof tv) return sys_error(EINVAL);
    std::memcpy(&tv, value.data(), sizeof tv);
    if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) return sys_error(EDOM);
    Duration d = std::chrono::seconds{tv.tv_sec} + std::chrono::microseconds{tv.tv_usec};
    return d > Duration{0} ? std::optional<Duration>{d} : std::nullopt;
}

}  // namespace

SysResult<int> Sockets::fcntl(int fd, int command, int arg) {
    Socket* s = find(fd);
    if (!s) return sys_error(not_found(fd));
    switch (command) {
    case F_GETFL: return O_RDWR | (s->nonblocking ? O_NONBLOCK : 0);
    case F_SETFL: s->nonblocking = (arg & O_NONBLOCK) != 0; return 0;
    case F_GETFD: return 0;  // FD_CLOEXEC means nothing without exec()
    case F_SETFD: return 0;
    default: return sys_error(EINVAL);
    }
}

// Linux's tcp_ioctl: a listener has no queues (EINVAL); a connection not yet established has
// nothing in them.
SysResult<int> Sockets::ioctl(int fd, unsigned long request, int* value) {
    Socket* s = find(fd);
    if (!s) return sys_error(find_epoll(fd) ? EINVAL : EBADF);
    if (request == FIONBIO) {
        s->nonblocking = *value != 0;
        return 0;
    }
    if (request != SIOCINQ && request != SIOCOUTQ && request != SIOCOUTQNSD) return sys_error(ENOTTY);
    if (s->state == State::Listening) return sys_error(EINVAL);
    auto info = s->state == State::Connected ? stack_.info(s->id) : std::nullopt;
    if (request == SIOCINQ) *value = static_cast<int>(info ? stack_.readable_bytes(s->id) : 0);
    if (request == SIOCOUTQ) *value = static_cast<int>(info ? info->send_queue : 0);
    if (request == SIOCOUTQNSD) *value = static_cast<int>(info ? info->unsent : 0);
    return 0;
}

SysResult<int> Sockets::setsockopt(int fd, int level, int name, Bytes value) {
    Socket* s = find(fd);
    if (!s) return sys_error(not_found(fd));
    if (level == SOL_SOCKET) return set_socket_option(*s, name, value);
    if (level == IPPROTO_TCP) return set_tcp_option(*s, name, value);
    return sys_error(ENOPROTOOPT);
}

// The socket's options, and its connection's or listener's when it has one.
void Sockets::change_options(Socket& s, const ConnectionOptions& change) {
    s.options.update(change);
    if (s.state == State::Listening || s.state == State::Connecting || s.state == State::Connected) {
        stack_.set_options(s.id, change);
        driver_.flush();  // an uncork or TCP_NODELAY sends what waits
    }
}

SysResult<int> Sockets::set_socket_option(Socket& s, int name, Bytes value) {
    if (name == SO_RCVTIMEO || name == SO_SNDTIMEO) {
        auto timeout = load_timeout(value);
        if (!timeout) return Err{timeout.error()};
        (name == SO_RCVTIMEO ? s.receive_timeout : s.send_timeout) = *timeout;
        return 0;
    }
    if (name == SO_LINGER) {
        if (value.size() < sizeof(linger)) return sys_error(EINVAL);
        linger l{};
        std::memcpy(&l, value.data(), sizeof l);
        s.linger_seconds = l.l_onoff != 0 ? std::optional<int>{l.l_linger} : std::nullopt;
        return 0;
    }
    if (value.size() < sizeof(int)) return sys_error(EINVAL);
    int v = load_int(value);
    switch (name) {
    case SO_REUSEADDR: s.reuse_address = v != 0; return 0;
    case SO_KEEPALIVE: change_options(s, {.keepalive = v != 0}); return 0;
    case SO_RCVBUF: change_options(s, {.receive_buffer = ring_for(v, receive_buffer_min)}); return 0;
    case SO_SNDBUF: change_options(s, {.send_buffer = ring_for(v, send_buffer_min)}); return 0;
    default: return sys_error(ENOPROTOOPT);
    }
}

SysResult<int> Sockets::set_tcp_option(Socket& s, int name, Bytes value) {
    if (value.size() < sizeof(int)) return sys_error(EINVAL);
    int v = load_int(value);
    using std::chrono::seconds;
    switch (name) {
    case TCP_NODELAY: change_options(s, {.nodelay = v != 0}); return 0;
    case TCP_CORK: change_options(s, {.cork = v != 0}); return 0;
    case TCP_MAXSEG:
        if (v != 0 && (v < mss_min || v > mss_max)) return sys_error(EINVAL);
        // It counts at the open only (the SYN announces it): a socket's connect(), a listener's
        // next connections. 0 takes it away.
        change_options(s, {.max_segment = static_cast<uint16_t>(v)});
        return 0;
    case TCP_KEEPIDLE:
        if (v < 1 || v > keepalive_time_max) return sys_error(EINVAL);
        change_options(s, {.keepalive_idle = seconds{v}});
        return 0;
    case TCP_KEEPINTVL:
        if (v < 1 || v > keepalive_time_max) return sys_error(EINVAL);
        change_options(s, {.keepalive_interval = seconds{v}});
        return 0;
    case TCP_KEEPCNT:
        if (v < 1 || v > keepalive_probes_max) return sys_error(EINVAL);
        change_options(s, {.keepalive_probes = static_cast<uint32_t>(v)});
        return 0;
    case TCP_USER_TIMEOUT:
        if (v < 0) return sys_error(EINVAL);
        change_options(s, {.user_timeout = std::chrono::milliseconds{v}});
        return 0;
    default: return sys_error(ENOPROTOOPT);
    }
}

}  // namespace tapstack
