// SPDX-License-Identifier: MIT
// Sockets (sockets.hh): fcntl(F_GETFL/F_SETFL), ioctl and the socket options the stack can honour:
// SO_ERROR, SO_REUSEADDR, SO_KEEPALIVE, SO_LINGER, SO_TYPE, SO_ACCEPTCONN and TCP_NODELAY.
// Option values travel as bytes, as through setsockopt(2)'s optval/optlen.
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

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

size_t store(MutBytes out, const void* value, size_t len) {
    std::memcpy(out.data(), value, len);
    return len;
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
    if (value.size() < sizeof(int)) return sys_error(EINVAL);
    bool on = load_int(value) != 0;
    bool connection = s->state == State::Connecting || s->state == State::Connected;
    if (level == SOL_SOCKET && name == SO_REUSEADDR) {
        s->reuse_address = on;
    } else if (level == SOL_SOCKET && name == SO_KEEPALIVE) {
        s->keepalive = on;
        if (connection) stack_.set_keepalive(s->id, on);
    } else if (level == SOL_SOCKET && name == SO_LINGER) {
        if (value.size() < sizeof(linger)) return sys_error(EINVAL);
        linger l{};
        std::memcpy(&l, value.data(), sizeof l);
        s->linger_seconds = l.l_onoff != 0 ? std::optional<int>{l.l_linger} : std::nullopt;
    } else if (level == IPPROTO_TCP && name == TCP_NODELAY) {
        s->nodelay = on;
        if (connection) stack_.set_nodelay(s->id, on);
        driver_.flush();  // data Nagle held back may go now
    } else {
        return sys_error(ENOPROTOOPT);
    }
    return 0;
}

SysResult<size_t> Sockets::getsockopt(int fd, int level, int name, MutBytes value) {
    Socket* s = find(fd);
    if (!s) return sys_error(not_found(fd));
    if (value.size() < sizeof(int)) return sys_error(EINVAL);
    int v = 0;
    if (level == SOL_SOCKET && name == SO_ERROR) {
        v = take_error(*s);
    } else if (level == SOL_SOCKET && name == SO_REUSEADDR) {
        v = s->reuse_address;
    } else if (level == SOL_SOCKET && name == SO_KEEPALIVE) {
        v = s->keepalive.value_or(stack_.config().tcp.keepalive.enabled);
    } else if (level == SOL_SOCKET && name == SO_TYPE) {
        v = SOCK_STREAM;
    } else if (level == SOL_SOCKET && name == SO_ACCEPTCONN) {
        v = s->state == State::Listening;
    } else if (level == SOL_SOCKET && name == SO_LINGER) {
        if (value.size() < sizeof(linger)) return sys_error(EINVAL);
        linger l{s->linger_seconds.has_value(), s->linger_seconds.value_or(0)};
        return store(value, &l, sizeof l);
    } else if (level == IPPROTO_TCP && name == TCP_NODELAY) {
        v = s->nodelay.value_or(!stack_.config().tcp.nagle);
    } else {
        return sys_error(ENOPROTOOPT);
    }
    return store(value, &v, sizeof v);
}

}  // namespace tapstack
