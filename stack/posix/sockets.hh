// SPDX-License-Identifier: MIT
// Sockets: POSIX-style TCP sockets over one Stack, for programs written against the BSD socket
// calls (the packetdrill runner `tapstack pkt`, later an LD_PRELOAD shim). It stands on the
// stack's public API only (stack/stack.hh): no frames, no TCP internals. Descriptors are small
// ints, lowest free first; results carry the errno value Linux gives (the constants are the
// host's, <cerrno>, <sys/socket.h>, <poll.h>...). Blocking calls wait through a Driver
// (driver.hh), never by spinning. An epoll instance is a descriptor of the same table. The calls
// live by theme: sockets.cc makes and ends connections, socket_io.cc reads, writes and polls,
// socket_msg.cc has the vector and message forms (readv ... recvmsg), socket_options.cc fcntl,
// ioctl and setsockopt, socket_getopt.cc getsockopt and TCP_INFO, socket_epoll.cc epoll. docs/design.md ("The socket
// layer") lists what Linux does that this does not.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <unordered_map>
#include <variant>
#include <vector>

#include "stack/base/bytes.hh"
#include "stack/base/result.hh"
#include "stack/posix/driver.hh"
#include "stack/stack.hh"

namespace tapstack {

// An errno value (EAGAIN, ECONNREFUSED, ...): the error side of every call's Result.
struct Errno {
    int code = 0;
    friend bool operator==(Errno, Errno) = default;
};
template <typename T>
using SysResult = Result<T, Errno>;
inline Err<Errno> sys_error(int code) { return Err{Errno{code}}; }

// An IPv4 address and port: what a sockaddr_in holds (the shim and the runner convert).
struct SocketAddress {
    Ipv4Address ip;
    uint16_t port = 0;
    friend bool operator==(const SocketAddress&, const SocketAddress&) = default;
};

// One entry of poll(): the descriptor, the events asked for, the events that hold.
struct PollFd {
    int fd = -1;
    short events = 0;
    short revents = 0;
};

// struct epoll_event: the events (EPOLLIN, EPOLLOUT, EPOLLET...) and the caller's data, as its u64.
struct EpollEvent {
    uint32_t events = 0;
    uint64_t data = 0;
    friend bool operator==(const EpollEvent&, const EpollEvent&) = default;
};

// struct msghdr as TCP uses it (no control messages). sendmsg ignores `name`, as Linux does for
// TCP; recvmsg empties it (msg_namelen 0) and sets `flags` (msg_flags: always 0 for TCP, which
// has no MSG_TRUNC or MSG_EOR to report).
struct MsgHdr {
    std::optional<SocketAddress> name;
    std::span<const MutBytes> iov;
    int flags = 0;
};

class Sockets final : private SocketHandler {
public:
    // Descriptors start at `first_fd` (3: a process has 0-2 open already, and packetdrill
    // scripts expect socket() to return 3).
    Sockets(Stack& stack, Driver& driver, int first_fd = 3);
    // Closes every descriptor still open. Handshakes a closed listener had under way still name
    // this object as their handler: destroy it together with its stack, or poll no more.
    ~Sockets() override;
    Sockets(const Sockets&) = delete;
    Sockets& operator=(const Sockets&) = delete;

    // --- sockets.cc: making and ending connections ---
    SysResult<int> socket(int domain, int type, int protocol);
    SysResult<int> bind(int fd, SocketAddress local);
    SysResult<int> listen(int fd, int backlog);
    SysResult<int> accept(int fd, SocketAddress* peer = nullptr) { return accept4(fd, peer, 0); }
    SysResult<int> accept4(int fd, SocketAddress* peer, int flags);
    SysResult<int> connect(int fd, SocketAddress remote);
    SysResult<int> shutdown(int fd, int how);
    SysResult<int> close(int fd);
    SysResult<SocketAddress> getsockname(int fd) const;
    SysResult<SocketAddress> getpeername(int fd) const;

    // --- socket_io.cc: data and readiness ---
    SysResult<size_t> read(int fd, MutBytes buffer) { return recv(fd, buffer, 0); }
    SysResult<size_t> write(int fd, Bytes data) { return send(fd, data, 0); }
    SysResult<size_t> recv(int fd, MutBytes buffer, int flags);  // MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL
    SysResult<size_t> send(int fd, Bytes data, int flags);       // MSG_DONTWAIT, MSG_NOSIGNAL, MSG_MORE
    // timeout_ms < 0: wait for ever; 0: look and return.
    SysResult<int> poll(std::span<PollFd> fds, int timeout_ms);

    // --- socket_msg.cc: the vector and message forms ---
    SysResult<size_t> readv(int fd, std::span<const MutBytes> iov);
    SysResult<size_t> writev(int fd, std::span<const Bytes> iov);
    // TCP ignores the address of sendto (Linux: EPIPE when not connected, whatever `to` says)
    // and never fills recvfrom's (`*from` is emptied: addrlen 0).
    SysResult<size_t> sendto(int fd, Bytes data, int flags, std::optional<SocketAddress> to);
    SysResult<size_t> recvfrom(int fd, MutBytes buffer, int flags, std::optional<SocketAddress>* from);
    SysResult<size_t> sendmsg(int fd, const MsgHdr& msg, int flags);
    SysResult<size_t> recvmsg(int fd, MsgHdr& msg, int flags);

    // --- socket_options.cc: fcntl, ioctl, setsockopt ---
    SysResult<int> fcntl(int fd, int command, int arg = 0);  // F_GETFL, F_SETFL (O_NONBLOCK)
    // FIONREAD/SIOCINQ, SIOCOUTQ, SIOCOUTQNSD (into *value), FIONBIO (from *value).
    SysResult<int> ioctl(int fd, unsigned long request, int* value);
    SysResult<int> setsockopt(int fd, int level, int name, Bytes value);
    // --- socket_getopt.cc ---
    // The option's value into `value`, cut to its size as Linux does; returns the length
    // written (optlen). TCP_INFO fills a struct tcp_info (<netinet/tcp.h>).
    SysResult<size_t> getsockopt(int fd, int level, int name, MutBytes value);

    // --- socket_epoll.cc ---
    SysResult<int> epoll_create(int size);    // size > 0, and otherwise unused, as in Linux
    SysResult<int> epoll_create1(int flags);  // 0 or EPOLL_CLOEXEC
    SysResult<int> epoll_ctl(int epfd, int op, int fd, EpollEvent event);  // EPOLL_CTL_ADD/MOD/DEL
    // The ready descriptors' events, at most events.size() of them, in descriptor order; waits
    // like poll() when none is.
    SysResult<int> epoll_wait(int epfd, std::span<EpollEvent> events, int timeout_ms);

    size_t open_count() const { return open_; }

private:
    enum class State : uint8_t { Unbound, Bound, Listening, Connecting, Connected, Closed };
    struct Socket {
        State state = State::Unbound;
        bool nonblocking = false;
        int pending_error = 0;            // SO_ERROR: read (and cleared) by getsockopt or a failing call
        bool reset = false;               // the connection ended without our close (RST, timeout)
        bool was_connected = false;       // reached Connected once (a Closed socket stays so)
        bool connect_unreported = false;  // a non-blocking connect completed; connect() says 0 once
        bool shut_read = false, shut_write = false;
        bool port_chosen_by_us = false;  // an ephemeral port, given back if a connect fails
        bool reuse_address = false;
        // Set by setsockopt; unset, the stack's defaults hold (StackConfig::tcp). The stack
        // opens the socket's connections with them.
        ConnectionOptions options;
        std::optional<int> linger_seconds;                      // SO_LINGER on
        std::optional<Duration> receive_timeout, send_timeout;  // SO_RCVTIMEO, SO_SNDTIMEO
        SocketAddress local, remote;
        SocketId id;  // the stack's connection or listener
        int backlog = 0;
        std::deque<SocketId> accept_queue;  // connections the stack completed, not yet accepted
        // Counts the stack's wake-ups (data or room came, connected, closed): what EPOLLET
        // reports on, as Linux's wait-queue callbacks do.
        uint64_t wakeups = 0;
        bool no_space = false;  // a send found the buffer full: room that comes is a wake-up
    };
    struct Epoll {
        struct Interest {
            EpollEvent event;              // as epoll_ctl gave it
            std::optional<uint64_t> seen;  // EPOLLET: the socket's wakeups when last reported
            bool disarmed = false;         // EPOLLONESHOT: reported once, until EPOLL_CTL_MOD
        };
        std::map<int, Interest> interests;  // by descriptor
    };
    using Slot = std::variant<std::monostate, Socket, Epoll>;

    // SocketHandler: what the stack tells us at the end of its poll.
    void on_accept(SocketId accepted) override;
    void on_connected(SocketId id) override;
    void on_closed(SocketId id, CloseReason reason) override;
    void on_readable(SocketId id) override { wake(id); }
    void on_writable(SocketId id) override;

    // sockets.cc
    Socket* find(int fd);
    const Socket* find(int fd) const;
    Epoll* find_epoll(int fd);
    // The errno for a descriptor find() did not find: ENOTSOCK for an epoll instance, else EBADF.
    int not_found(int fd) const;
    int allocate(Slot slot);
    void wake(SocketId id);
    bool port_in_use(uint16_t port, const Socket& asking) const;
    std::optional<uint16_t> ephemeral_port(const Socket& asking);
    void update_accept_room(Socket& listener);
    SysResult<int> finish_connect(Socket& s);
    int take_error(Socket& s);
    // socket_io.cc
    // Blocks until ready() (true), or until `timeout` (SO_RCVTIMEO, SO_SNDTIMEO; none: for
    // ever) passes or the driver gives up (false).
    bool wait(std::optional<Duration> timeout, const std::function<bool()>& ready);
    short readiness(const Socket& s) const;
    bool writable(const Socket& s) const;
    bool peer_fin(const Socket& s) const;
    // socket_options.cc, socket_getopt.cc
    SysResult<int> set_socket_option(Socket& s, int name, Bytes value);
    SysResult<int> set_tcp_option(Socket& s, int name, Bytes value);
    void change_options(Socket& s, const ConnectionOptions& change);
    std::optional<int> socket_option(Socket& s, int name);  // SO_ERROR reads and clears
    std::optional<int> tcp_option(const Socket& s, int name) const;
    size_t get_tcp_info(const Socket& s, MutBytes out) const;
    // socket_epoll.cc
    uint32_t epoll_ready(Epoll::Interest& interest, int fd, bool report);
    int epoll_collect(Epoll& epoll, std::span<EpollEvent> out);
    void forget_in_epolls(int fd);  // close(): a closed descriptor leaves every interest list

    Stack& stack_;
    Driver& driver_;
    int first_fd_;
    std::vector<Slot> table_;  // index fd - first_fd_; monostate: free
    size_t open_ = 0;
    std::unordered_map<SocketId, int, SocketIdHash> fd_of_;  // connections (not those in accept queues)
    std::unordered_map<uint16_t, int> listener_fd_;          // by port, for on_accept
    uint16_t next_ephemeral_ = 32768;                        // Linux's ip_local_port_range starts here
};

}  // namespace tapstack
