// SPDX-License-Identifier: MIT
// The socket layer: poll() readiness as a function of the socket's state, poll's timeout in
// virtual time, fcntl and the socket options.
#include "tests/unit/posix/posix_fixture.hh"

#include <fcntl.h>
#include <netinet/tcp.h>

namespace tapstack::test {
namespace {

using std::chrono::milliseconds;

MutBytes bytes_of(int& v) { return MutBytes{reinterpret_cast<uint8_t*>(&v), sizeof v}; }

TEST_F(PosixTest, FreshSocketPollsWritableAndHungUp) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(revents(fd, POLLIN | POLLOUT), POLLOUT | POLLHUP);
}

TEST_F(PosixTest, ListenerPollsReadableWhenAConnectionWaits) {
    int l = listener();
    EXPECT_EQ(revents(l, POLLIN), 0);
    handshake();
    EXPECT_EQ(revents(l, POLLIN), POLLIN);
}

TEST_F(PosixTest, ConnectedSocketPollsWritableAndReadableWithData) {
    int fd = accepted();
    EXPECT_EQ(revents(fd, POLLIN | POLLOUT), POLLOUT);
    peer(seg().seq_(1).ack_(1).data("x"));
    EXPECT_EQ(revents(fd, POLLIN | POLLOUT), POLLIN | POLLOUT);
}

TEST_F(PosixTest, PeersFinPollsReadableAndRdhup) {
    int fd = accepted();
    peer(seg().fin().seq_(1).ack_(1));
    EXPECT_EQ(revents(fd, POLLIN | POLLRDHUP), POLLIN | POLLRDHUP);
}

TEST_F(PosixTest, BothDirectionsShutPollsHup) {
    int fd = accepted();
    peer(seg().fin().seq_(1).ack_(1));
    ASSERT_EQ(errno_of(sockets.shutdown(fd, SHUT_WR)), 0);
    EXPECT_TRUE(revents(fd, POLLIN) & POLLHUP);
}

TEST_F(PosixTest, PeerResetPollsErrAndHup) {
    int fd = accepted();
    peer(seg().rst().seq_(1));
    short r = revents(fd, POLLIN);
    EXPECT_TRUE(r & POLLERR);
    EXPECT_TRUE(r & POLLHUP);
    EXPECT_TRUE(r & POLLIN);
}

TEST_F(PosixTest, PollOnADescriptorNotOpenIsPollnval) { EXPECT_EQ(revents(9, POLLIN), POLLNVAL); }

TEST_F(PosixTest, PollTimesOutAtItsDeadline) {
    int fd = accepted();
    PollFd p{fd, POLLIN, 0};
    Instant start = driver.instant();
    EXPECT_EQ(*sockets.poll(std::span<PollFd>{&p, 1}, 1500), 0);
    EXPECT_EQ(driver.instant() - start, milliseconds{1500});
}

TEST_F(PosixTest, PollWakesWhenDataArrives) {
    int fd = accepted();
    PollFd p{fd, POLLIN, 0};
    Instant start = driver.instant();
    peer_at(milliseconds{40}, seg().seq_(1).ack_(1).data("x"));
    EXPECT_EQ(*sockets.poll(std::span<PollFd>{&p, 1}, -1), 1);
    EXPECT_EQ(p.revents, POLLIN);
    EXPECT_EQ(driver.instant() - start, milliseconds{40});
}

TEST_F(PosixTest, FcntlSetflTurnsNonBlockingOnAndOff) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(*sockets.fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    ASSERT_EQ(errno_of(sockets.fcntl(fd, F_SETFL, O_NONBLOCK)), 0);
    EXPECT_EQ(*sockets.fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    ASSERT_EQ(errno_of(sockets.fcntl(fd, F_SETFL, 0)), 0);
    EXPECT_EQ(*sockets.fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    EXPECT_EQ(errno_of(sockets.fcntl(fd, F_DUPFD)), EINVAL);
}

TEST_F(PosixTest, TcpNodelayIsSetAndRead) {
    int fd = accepted();
    int v = 1;
    ASSERT_EQ(errno_of(sockets.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, bytes_of(v))), 0);
    v = 0;
    EXPECT_EQ(*sockets.getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, bytes_of(v)), sizeof v);
    EXPECT_EQ(v, 1);
}

TEST_F(PosixTest, KeepaliveIsSetAndReadAndAcceptedSocketsInheritIt) {
    int l = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    int v = 1;
    ASSERT_EQ(errno_of(sockets.setsockopt(l, SOL_SOCKET, SO_KEEPALIVE, bytes_of(v))), 0);
    ASSERT_EQ(errno_of(sockets.bind(l, {Ipv4Address{}, socket_port})), 0);
    ASSERT_EQ(errno_of(sockets.listen(l, 1)), 0);
    handshake();
    int fd = *sockets.accept(l);
    v = 0;
    ASSERT_TRUE(sockets.getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, bytes_of(v)));
    EXPECT_EQ(v, 1);
}

TEST_F(PosixTest, UnknownOptionIsEnoprotoopt) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    int v = 1;
    EXPECT_EQ(errno_of(sockets.setsockopt(fd, SOL_SOCKET, SO_BROADCAST, bytes_of(v))), ENOPROTOOPT);
    EXPECT_EQ(errno_of(sockets.getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, bytes_of(v))), ENOPROTOOPT);
}

TEST_F(PosixTest, OptionValueShorterThanAnIntIsEinval) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    uint8_t one = 1;
    EXPECT_EQ(errno_of(sockets.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, Bytes{&one, 1})), EINVAL);
}

TEST_F(PosixTest, SoTypeIsStreamAndSoAcceptconnFollowsListen) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    int v = 0;
    ASSERT_TRUE(sockets.getsockopt(fd, SOL_SOCKET, SO_TYPE, bytes_of(v)));
    EXPECT_EQ(v, SOCK_STREAM);
    ASSERT_TRUE(sockets.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, bytes_of(v)));
    EXPECT_EQ(v, 0);
    ASSERT_EQ(errno_of(sockets.listen(fd, 1)), 0);
    ASSERT_TRUE(sockets.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, bytes_of(v)));
    EXPECT_EQ(v, 1);
}

TEST_F(PosixTest, GetpeernameOfASocketNotConnectedIsEnotconn) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(errno_of(sockets.getpeername(fd)), ENOTCONN);
    EXPECT_EQ(*sockets.getsockname(fd), SocketAddress{});
}

}  // namespace
}  // namespace tapstack::test
