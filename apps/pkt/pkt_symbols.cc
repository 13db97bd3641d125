// SPDX-License-Identifier: MIT
// The constant and errno tables of pkt_symbols.hh: one row per name, values from the headers.
#include "apps/pkt/pkt_symbols.hh"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <span>

namespace tapstack::pkt {
namespace {

struct Symbol {
    std::string_view name;
    long value;
};

#define ROW(name) \
    Symbol { #name, static_cast < long>(name) }

constexpr Symbol constants[] = {
    // socket(), bind(), connect()
    ROW(AF_INET),
    ROW(AF_INET6),
    ROW(PF_INET),
    ROW(PF_INET6),
    ROW(AF_UNSPEC),
    ROW(SOCK_STREAM),
    ROW(SOCK_DGRAM),
    ROW(SOCK_NONBLOCK),
    ROW(SOCK_CLOEXEC),
    ROW(IPPROTO_TCP),
    ROW(IPPROTO_UDP),
    ROW(IPPROTO_IP),
    ROW(INADDR_ANY),
    // levels and options
    ROW(SOL_SOCKET),
    ROW(SOL_TCP),
    ROW(SOL_IP),
    ROW(SO_REUSEADDR),
    ROW(SO_REUSEPORT),
    ROW(SO_KEEPALIVE),
    ROW(SO_RCVBUF),
    ROW(SO_SNDBUF),
    ROW(SO_LINGER),
    ROW(SO_ERROR),
    ROW(SO_TYPE),
    ROW(SO_ACCEPTCONN),
    ROW(SO_RCVLOWAT),
    ROW(SO_SNDLOWAT),
    ROW(SO_RCVTIMEO),
    ROW(SO_SNDTIMEO),
    ROW(SO_ZEROCOPY),
    ROW(TCP_NODELAY),
    ROW(TCP_MAXSEG),
    ROW(TCP_CORK),
    ROW(TCP_KEEPIDLE),
    ROW(TCP_KEEPINTVL),
    ROW(TCP_KEEPCNT),
    ROW(TCP_SYNCNT),
    ROW(TCP_LINGER2),
    ROW(TCP_DEFER_ACCEPT),
    ROW(TCP_WINDOW_CLAMP),
    ROW(TCP_INFO),
    ROW(TCP_QUICKACK),
    ROW(TCP_CONGESTION),
    ROW(TCP_USER_TIMEOUT),
    ROW(TCP_NOTSENT_LOWAT),
    ROW(TCP_FASTOPEN),
    ROW(TCP_INQ),
    // fcntl()
    ROW(F_GETFL),
    ROW(F_SETFL),
    ROW(F_GETFD),
    ROW(F_SETFD),
    ROW(O_RDONLY),
    ROW(O_WRONLY),
    ROW(O_RDWR),
    ROW(O_NONBLOCK),
    ROW(FD_CLOEXEC),
    // send(), recv()
    ROW(MSG_PEEK),
    ROW(MSG_DONTWAIT),
    ROW(MSG_WAITALL),
    ROW(MSG_NOSIGNAL),
    ROW(MSG_MORE),
    ROW(MSG_OOB),
    ROW(MSG_TRUNC),
    ROW(MSG_EOR),
    ROW(MSG_ERRQUEUE),
    ROW(MSG_ZEROCOPY),
    // shutdown()
    ROW(SHUT_RD),
    ROW(SHUT_WR),
    ROW(SHUT_RDWR),
    // poll() and epoll
    ROW(POLLIN),
    ROW(POLLPRI),
    ROW(POLLOUT),
    ROW(POLLERR),
    ROW(POLLHUP),
    ROW(POLLNVAL),
    ROW(POLLRDNORM),
    ROW(POLLRDBAND),
    ROW(POLLWRNORM),
    ROW(POLLWRBAND),
    ROW(POLLRDHUP),
    ROW(EPOLLIN),
    ROW(EPOLLOUT),
    ROW(EPOLLERR),
    ROW(EPOLLHUP),
    ROW(EPOLLRDHUP),
    ROW(EPOLLET),
    ROW(EPOLLONESHOT),
    ROW(EPOLL_CTL_ADD),
    ROW(EPOLL_CTL_MOD),
    ROW(EPOLL_CTL_DEL),
    ROW(EPOLLPRI),
    ROW(EPOLL_CLOEXEC),
    // ioctl()
    ROW(FIONREAD),
    ROW(SIOCINQ),
    ROW(SIOCOUTQ),
    ROW(SIOCOUTQNSD),
    ROW(FIONBIO),
};

constexpr Symbol errnos[] = {
    ROW(EPERM),         ROW(ENOENT),          ROW(EINTR),        ROW(EIO),          ROW(EBADF),
    ROW(EAGAIN),        ROW(ENOMEM),          ROW(EACCES),       ROW(EFAULT),       ROW(EBUSY),
    ROW(EEXIST),        ROW(EINVAL),          ROW(ENFILE),       ROW(EMFILE),       ROW(ENOSPC),
    ROW(EPIPE),         ROW(ENOTSOCK),        ROW(EDESTADDRREQ), ROW(EMSGSIZE),     ROW(EPROTOTYPE),
    ROW(ENOPROTOOPT),   ROW(EPROTONOSUPPORT), ROW(EOPNOTSUPP),   ROW(EAFNOSUPPORT), ROW(EADDRINUSE),
    ROW(EADDRNOTAVAIL), ROW(ENETDOWN),        ROW(ENETUNREACH),  ROW(ECONNABORTED), ROW(ECONNRESET),
    ROW(ENOBUFS),       ROW(EISCONN),         ROW(ENOTCONN),     ROW(ETIMEDOUT),    ROW(ECONNREFUSED),
    ROW(EHOSTUNREACH),  ROW(EALREADY),        ROW(EINPROGRESS),  ROW(ENOTSUP),      ROW(ENOTTY),
    ROW(EDOM),
};

#undef ROW

std::optional<long> lookup(std::span<const Symbol> table, std::string_view name) {
    for (const Symbol& s : table)
        if (s.name == name) return s.value;
    return std::nullopt;
}

}  // namespace

std::optional<long> symbol_value(std::string_view name) {
    if (auto v = lookup(constants, name)) return v;
    return lookup(errnos, name);  // SO_ERROR's value is written as an errno name: [ECONNREFUSED]
}

std::optional<int> errno_value(std::string_view name) {
    if (name == "EWOULDBLOCK") name = "EAGAIN";
    auto v = lookup(errnos, name);
    return v ? std::optional<int>{static_cast<int>(*v)} : std::nullopt;
}

std::string_view errno_name(int code) {
    for (const Symbol& s : errnos)
        if (s.value == code && s.name != "ENOTSUP") return s.name;  // ENOTSUP == EOPNOTSUPP on Linux
    return "E?";
}

}  // namespace tapstack::pkt
