// SPDX-License-Identifier: MIT
// Sockets (sockets.hh): the vector and message forms of reading and writing, readv, writev,
// sendto, recvfrom, sendmsg and recvmsg, over recv() and send() (socket_io.cc). For TCP they add
// no behaviour of their own: the pieces are one byte stream, and addresses are ignored on the way
// out and never given on the way in, as in Linux's tcp_sendmsg and tcp_recvmsg.
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "stack/posix/sockets.hh"

namespace tapstack {
namespace {

// Linux's UIO_MAXIOV (IOV_MAX): more pieces are EINVAL for readv/writev, EMSGSIZE for
// sendmsg/recvmsg.
constexpr size_t max_iov = 1024;

template <typename Piece>
size_t total_size(std::span<const Piece> iov) {
    size_t total = 0;
    for (const Piece& piece : iov) total += piece.size();
    return total;
}

}  // namespace

// One recv() into a buffer as large as all the pieces, then scattered: the data is copied twice,
// but recv()'s waiting, MSG_PEEK and MSG_WAITALL hold for the whole length at once.
SysResult<size_t> Sockets::readv(int fd, std::span<const MutBytes> iov) {
    if (find_epoll(fd)) return sys_error(EINVAL);  // Linux: an epoll descriptor has no read()
    if (iov.size() > max_iov) return sys_error(EINVAL);
    MsgHdr msg{std::nullopt, iov, 0};
    return recvmsg(fd, msg, 0);
}

SysResult<size_t> Sockets::writev(int fd, std::span<const Bytes> iov) {
    if (find_epoll(fd)) return sys_error(EINVAL);
    if (iov.size() > max_iov) return sys_error(EINVAL);
    std::vector<uint8_t> all;
    all.reserve(total_size(iov));
    for (Bytes piece : iov) all.insert(all.end(), piece.begin(), piece.end());
    return send(fd, all, 0);
}

SysResult<size_t> Sockets::sendto(int fd, Bytes data, int flags, std::optional<SocketAddress> to) {
    (void)to;  // TCP sends to its peer; Linux reads the address only for TCP Fast Open
    return send(fd, data, flags);
}

SysResult<size_t> Sockets::recvfrom(int fd, MutBytes buffer, int flags, std::optional<SocketAddress>* from) {
    auto n = recv(fd, buffer, flags);
    if (n && from) from->reset();  // Linux leaves a TCP recvfrom's address unset (addrlen 0)
    return n;
}

SysResult<size_t> Sockets::sendmsg(int fd, const MsgHdr& msg, int flags) {
    if (msg.iov.size() > max_iov) return sys_error(EMSGSIZE);
    std::vector<uint8_t> all;
    all.reserve(total_size(msg.iov));
    for (MutBytes piece : msg.iov) all.insert(all.end(), piece.begin(), piece.end());
    return send(fd, all, flags);
}

SysResult<size_t> Sockets::recvmsg(int fd, MsgHdr& msg, int flags) {
    if (msg.iov.size() > max_iov) return sys_error(EMSGSIZE);
    std::vector<uint8_t> all(total_size(msg.iov));
    auto n = recv(fd, all, flags);
    if (!n) return n;
    size_t copied = 0;
    for (MutBytes piece : msg.iov) {
        size_t len = std::min(piece.size(), *n - copied);
        if (len > 0) std::memcpy(piece.data(), all.data() + copied, len);
        copied += len;
    }
    msg.name.reset();  // msg_namelen 0, as Linux for TCP
    msg.flags = 0;     // a byte stream is never truncated and has no record ends
    return n;
}

}  // namespace tapstack
