// SPDX-License-Identifier: MIT
// The socket layer: socket, bind, listen with its accept queue, accept4, connect; each errno.
#include "tests/unit/posix/posix_fixture.hh"

#include <fcntl.h>

namespace tapstack::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_F(PosixTest, SocketReturnsTheLowestFreeDescriptorFromThree) {
    EXPECT_EQ(*sockets.socket(AF_INET, SOCK_STREAM, 0), 3);
    EXPECT_EQ(*sockets.socket(AF_INET, SOCK_STREAM, 0), 4);
    EXPECT_EQ(errno_of(sockets.close(3)), 0);
    EXPECT_EQ(*sockets.socket(AF_INET, SOCK_STREAM, 0), 3);
}

TEST_F(PosixTest, SocketOfAnotherFamilyIsEafnosupport) {
    EXPECT_EQ(errno_of(sockets.socket(AF_INET6, SOCK_STREAM, 0)), EAFNOSUPPORT);
}

TEST_F(PosixTest, SocketOfAnotherTypeIsEsocktnosupport) {
    EXPECT_EQ(errno_of(sockets.socket(AF_INET, SOCK_DGRAM, 0)), ESOCKTNOSUPPORT);
}

TEST_F(PosixTest, SocketOfAnotherProtocolIsEprotonosupport) {
    EXPECT_EQ(errno_of(sockets.socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)), EPROTONOSUPPORT);
    EXPECT_EQ(errno_of(sockets.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)), 0);
}

TEST_F(PosixTest, CallsOnADescriptorNotOpenAreEbadf) {
    EXPECT_EQ(errno_of(sockets.close(3)), EBADF);
    EXPECT_EQ(errno_of(sockets.bind(7, {})), EBADF);
    EXPECT_EQ(errno_of(sockets.listen(-1, 1)), EBADF);
    uint8_t b[4];
    EXPECT_EQ(errno_of(sockets.read(3, MutBytes{b, 4})), EBADF);
}

TEST_F(PosixTest, BindTwiceIsEinval) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(errno_of(sockets.bind(fd, {our_address, 5000})), 0);
    EXPECT_EQ(errno_of(sockets.bind(fd, {our_address, 5001})), EINVAL);
}

TEST_F(PosixTest, BindToAPortInUseIsEaddrinuse) {
    int a = *sockets.socket(AF_INET, SOCK_STREAM, 0), b = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(errno_of(sockets.bind(a, {Ipv4Address{}, 5000})), 0);
    EXPECT_EQ(errno_of(sockets.bind(b, {our_address, 5000})), EADDRINUSE);
}

TEST_F(PosixTest, BindWithReuseAddressOnBothSharesAPortNobodyListensOn) {
    int a = *sockets.socket(AF_INET, SOCK_STREAM, 0), b = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    Bytes value{reinterpret_cast<const uint8_t*>(&on), sizeof on};
    ASSERT_EQ(errno_of(sockets.setsockopt(a, SOL_SOCKET, SO_REUSEADDR, value)), 0);
    ASSERT_EQ(errno_of(sockets.setsockopt(b, SOL_SOCKET, SO_REUSEADDR, value)), 0);
    EXPECT_EQ(errno_of(sockets.bind(a, {Ipv4Address{}, 5000})), 0);
    EXPECT_EQ(errno_of(sockets.bind(b, {Ipv4Address{}, 5000})), 0);
}

TEST_F(PosixTest, BindToAnAddressNotOursIsEaddrnotavail) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(errno_of(sockets.bind(fd, {Ipv4Address::from_octets(10, 0, 0, 9), 5000})), EADDRNOTAVAIL);
}

TEST_F(PosixTest, BindToPortZeroPicksAnEphemeralPort) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(errno_of(sockets.bind(fd, {})), 0);
    EXPECT_GE(sockets.getsockname(fd)->port, 32768);
}

TEST_F(PosixTest, ListenOnAnUnboundSocketBindsAnEphemeralPort) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(errno_of(sockets.listen(fd, 1)), 0);
    EXPECT_GE(sockets.getsockname(fd)->port, 32768);
}

TEST_F(PosixTest, ListenOnAPortAnotherProgramListensOnIsEaddrinuse) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(errno_of(sockets.bind(fd, {Ipv4Address{}, TcpScript::our_port})), 0);  // the script's app has 80
    EXPECT_EQ(errno_of(sockets.listen(fd, 1)), EADDRINUSE);
}

TEST_F(PosixTest, NonBlockingAcceptWithAnEmptyQueueIsEagain) {
    int l = listener();
    ASSERT_EQ(errno_of(sockets.fcntl(l, F_SETFL, O_NONBLOCK)), 0);
    EXPECT_EQ(errno_of(sockets.accept(l)), EAGAIN);
}

TEST_F(PosixTest, AcceptOnASocketNotListeningIsEinval) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(errno_of(sockets.accept(fd)), EINVAL);
}

TEST_F(PosixTest, AcceptReturnsTheCompletedConnectionAndItsPeer) {
    int l = listener();
    handshake();
    SocketAddress from;
    auto fd = sockets.accept(l, &from);
    ASSERT_TRUE(fd.has_value());
    EXPECT_EQ(*fd, l + 1);
    EXPECT_EQ(from, (SocketAddress{peer_address, TcpScript::peer_port}));
    EXPECT_EQ(*sockets.getpeername(*fd), from);
    EXPECT_EQ(*sockets.getsockname(*fd), (SocketAddress{our_address, socket_port}));
}

TEST_F(PosixTest, Accept4WithSockNonblockMakesANonBlockingSocket) {
    int l = listener();
    handshake();
    auto fd = sockets.accept4(l, nullptr, SOCK_NONBLOCK);
    ASSERT_TRUE(fd.has_value());
    EXPECT_EQ(*sockets.fcntl(*fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    EXPECT_EQ(errno_of(sockets.accept4(l, nullptr, 0x4000000)), EINVAL);
}

TEST_F(PosixTest, BlockingAcceptReturnsWhenTheHandshakeCompletes) {
    int l = listener();
    Instant start = driver.instant();
    peer_at(seconds{2}, seg().syn().seq_(0).mss_(1460));
    peer_at(seconds{3}, seg().seq_(1).ack_(1));
    auto fd = sockets.accept(l);
    ASSERT_TRUE(fd.has_value());
    EXPECT_EQ(driver.instant() - start, seconds{3});
}

TEST_F(PosixTest, FullAcceptQueueDropsTheSynOfTheNextConnection) {
    int l = listener(0);  // Linux: backlog 0 still queues one connection
    handshake();
    Seg syn = seg().syn().seq_(0).mss_(1460);
    syn.src_port = 40001;
    peer(syn);
    t.expect_nothing();
    EXPECT_EQ(t.stack.stats().drops(DropReason::TcpAcceptQueueFull), 1u);
    ASSERT_TRUE(sockets.accept(l).has_value());
    peer(syn);  // the peer's retransmission finds room
    t.expect_sent(seg().syn().ack_(1).seq_(0));
}

TEST_F(PosixTest, FullAcceptQueueDropsTheHandshakeAckUntilTheApplicationAccepts) {
    int l = listener(0);
    Seg syn = seg().syn().seq_(0).mss_(1460), ack = seg().seq_(1).ack_(1);
    syn.src_port = ack.src_port = 40001;
    peer(seg().syn().seq_(0).mss_(1460));
    peer(syn);
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    peer(seg().seq_(1).ack_(1));  // the first fills the queue
    peer(ack);                    // dropped: the second stays in SYN-RECEIVED
    EXPECT_EQ(t.stack.stats().drops(DropReason::TcpAcceptQueueFull), 1u);
    ASSERT_TRUE(sockets.accept(l).has_value());
    ASSERT_EQ(errno_of(sockets.fcntl(l, F_SETFL, O_NONBLOCK)), 0);
    EXPECT_EQ(errno_of(sockets.accept(l)), EAGAIN);
    advance(seconds{1});  // our SYN,ACK retransmission, and the peer's ACK again
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    peer(ack);
    EXPECT_TRUE(sockets.accept(l).has_value());
}

TEST_F(PosixTest, BlockingConnectReturnsWhenTheSynAckArrives) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(errno_of(sockets.bind(fd, {Ipv4Address{}, 5000})), 0);
    Instant start = driver.instant();
    peer_at(milliseconds{250}, seg().syn().ack_(1).seq_(0).mss_(1460), 5000);
    EXPECT_EQ(errno_of(sockets.connect(fd, {peer_address, TcpScript::peer_port})), 0);
    EXPECT_EQ(driver.instant() - start, milliseconds{250});
    t.expect_sent(seg().syn().seq_(0));
    t.expect_sent(seg().seq_(1).ack_(1));
    EXPECT_EQ(sockets.getsockname(fd)->port, 5000);  // the port bind() chose
}

TEST_F(PosixTest, NonBlockingConnectIsEinprogressThenEalreadyThenZeroThenEisconn) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    SocketAddress to{peer_address, TcpScript::peer_port};
    EXPECT_EQ(errno_of(sockets.connect(fd, to)), EINPROGRESS);
    EXPECT_EQ(errno_of(sockets.connect(fd, to)), EALREADY);
    peer(seg().syn().ack_(1).seq_(0).mss_(1460), sockets.getsockname(fd)->port);
    EXPECT_EQ(errno_of(sockets.connect(fd, to)), 0);
    EXPECT_EQ(errno_of(sockets.connect(fd, to)), EISCONN);
}

TEST_F(PosixTest, BlockingConnectAnsweredWithRstIsEconnrefused) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(errno_of(sockets.bind(fd, {Ipv4Address{}, 5000})), 0);
    peer_at(milliseconds{10}, seg().rst().ack_(1).seq_(0), 5000);
    EXPECT_EQ(errno_of(sockets.connect(fd, {peer_address, TcpScript::peer_port})), ECONNREFUSED);
    int error = -1;
    EXPECT_EQ(*sockets.getsockopt(fd, SOL_SOCKET, SO_ERROR, MutBytes{reinterpret_cast<uint8_t*>(&error), sizeof error}),
              sizeof error);
    EXPECT_EQ(error, 0);  // connect() took it
}

TEST_F(PosixTest, NonBlockingConnectRefusedIsReportedBySoErrorAndPollerr) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_EQ(errno_of(sockets.connect(fd, {peer_address, TcpScript::peer_port})), EINPROGRESS);
    peer(seg().rst().ack_(1).seq_(0), sockets.getsockname(fd)->port);
    EXPECT_TRUE(revents(fd, POLLOUT) & POLLERR);
    int error = 0;
    ASSERT_TRUE(
        sockets.getsockopt(fd, SOL_SOCKET, SO_ERROR, MutBytes{reinterpret_cast<uint8_t*>(&error), sizeof error}));
    EXPECT_EQ(error, ECONNREFUSED);
    EXPECT_FALSE(revents(fd, POLLOUT) & POLLERR);  // read and cleared
}

TEST_F(PosixTest, ConnectNobodyAnswersIsEtimedout) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(errno_of(sockets.connect(fd, {peer_address, TcpScript::peer_port})), ETIMEDOUT);
}

TEST_F(PosixTest, ConnectToAHostThatNeverAnswersArpIsEhostunreach) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    Instant start = driver.instant();
    EXPECT_EQ(errno_of(sockets.connect(fd, {Ipv4Address::from_octets(10, 0, 0, 7), 80})), EHOSTUNREACH);
    EXPECT_EQ(driver.instant() - start, seconds{3});  // when ARP gives up
}

TEST_F(PosixTest, ConnectOnAListenerIsEisconn) {
    int l = listener();
    EXPECT_EQ(errno_of(sockets.connect(l, {peer_address, TcpScript::peer_port})), EISCONN);
}

TEST_F(PosixTest, ConnectOffTheSubnetWithoutAGatewayIsEnetunreach) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(errno_of(sockets.connect(fd, {Ipv4Address::from_octets(192, 0, 2, 1), 80})), ENETUNREACH);
}

}  // namespace
}  // namespace tapstack::test
