// SPDX-License-Identifier: MIT
// The socket layer's tests: a Sockets over one Stack whose peer is a TcpScript (10.0.0.1, port
// 40000), in virtual time through a VirtualDriver. Our listening sockets use port 8080 (the
// script's own app listens on 80). peer() sends a segment now; peer_at() schedules one, for a
// blocking call to wait for.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "stack/posix/sockets.hh"
#include "tests/support/tcp_script.hh"

namespace tapstack::test {

inline constexpr uint16_t socket_port = 8080;
inline const Ipv4Address peer_address = Ipv4Address::from_octets(10, 0, 0, 1);
inline const Ipv4Address our_address = Ipv4Address::from_octets(10, 0, 0, 2);

// The errno of a failed call (0 if it succeeded), for EXPECT_EQ(errno_of(r), EAGAIN).
template <typename T>
int errno_of(const SysResult<T>& r) {
    return r.has_value() ? 0 : r.error().code;
}

class PosixTest : public testing::Test {
protected:
    PosixTest() { driver.add(t.stack); }

    // The peer's segment, to or from `port` on our side (default: our listening socket's).
    Seg to(Seg s, uint16_t port = socket_port) {
        s.dst_port = port;
        return s;
    }
    void peer(Seg s, uint16_t port = socket_port) {
        t.now = driver.instant();
        t.peer_sends(to(std::move(s), port));
    }
    void peer_at(Duration after, Seg s, uint16_t port = socket_port) {
        driver.at(driver.instant() + after,
                  [this, s = to(std::move(s), port)] { t.dev.to_stack.push_back(t.build_frame(s)); });
    }
    void advance(Duration d) { driver.advance_to(driver.instant() + d); }

    // socket(), bind(8080), listen(backlog).
    int listener(int backlog = 5) {
        int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
        EXPECT_EQ(errno_of(sockets.bind(fd, {Ipv4Address{}, socket_port})), 0);
        EXPECT_EQ(errno_of(sockets.listen(fd, backlog)), 0);
        return fd;
    }
    // The peer's handshake from `peer_port` to our listener: SYN, our SYN,ACK, ACK.
    void handshake(uint16_t peer_port = TcpScript::peer_port) {
        Seg syn = seg().syn().seq_(0).mss_(1460);
        syn.src_port = peer_port;
        peer(syn);
        t.expect_sent(seg().syn().ack_(1).seq_(0));
        Seg ack = seg().seq_(1).ack_(1);
        ack.src_port = peer_port;
        peer(ack);
    }
    // A listener and one accepted connection; returns the accepted descriptor.
    int accepted(int* listen_fd = nullptr) {
        int l = listener();
        if (listen_fd) *listen_fd = l;
        handshake();
        auto fd = sockets.accept(l);
        EXPECT_TRUE(fd.has_value());
        return fd.value_or(-1);
    }
    // A connected client socket (non-blocking connect, the peer's SYN,ACK); *port is ours.
    int connected(uint16_t* port) {
        int fd = *sockets.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        EXPECT_EQ(errno_of(sockets.connect(fd, {peer_address, TcpScript::peer_port})), EINPROGRESS);
        *port = sockets.getsockname(fd)->port;
        t.expect_sent(seg().syn().seq_(0));
        peer(seg().syn().ack_(1).seq_(0).mss_(1460), *port);
        t.expect_sent(seg().seq_(1).ack_(1));
        return fd;
    }
    short revents(int fd, short events) {
        PollFd p{fd, events, 0};
        (void)sockets.poll(std::span<PollFd>{&p, 1}, 0);
        return p.revents;
    }
    std::string read_all(int fd) {
        uint8_t buf[4096];
        auto n = sockets.read(fd, MutBytes{buf, sizeof buf});
        return n ? std::string(reinterpret_cast<char*>(buf), *n) : "<errno " + std::to_string(n.error().code) + ">";
    }

    // The peer's ARP entry outlives a connect's 15 SYN retransmissions (about 18 minutes), so
    // a peer that never answers a SYN times it out (ETIMEDOUT) rather than ARP (EHOSTUNREACH).
    static StackConfig config() {
        StackConfig c;
        c.arp_timeout = std::chrono::hours{2};
        return c;
    }

    TcpScript t{0, 1000, config()};
    VirtualDriver driver{t.now};
    Sockets sockets{t.stack, driver};
};

}  // namespace tapstack::test
