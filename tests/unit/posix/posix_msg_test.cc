// SPDX-License-Identifier: MIT
// The socket layer: readv/writev, sendto/recvfrom, sendmsg/recvmsg (their pieces, their ignored
// addresses, their flags), and ioctl (FIONREAD/SIOCINQ, SIOCOUTQ, SIOCOUTQNSD, FIONBIO); each
// errno as Linux gives it.
#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include "tests/unit/posix/posix_fixture.hh"

namespace tapstack::test {
namespace {

using std::chrono::milliseconds;

Bytes text(std::string_view s) { return Bytes{reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
std::string str(const uint8_t* b, size_t n) { return std::string(reinterpret_cast<const char*>(b), n); }

TEST_F(PosixTest, ReadvScattersOneReadOverThePieces) {
    int fd = accepted();
    peer(seg().seq_(1).ack_(1).data("hello"));
    uint8_t a[2], b[8];
    MutBytes iov[] = {{a, 2}, {b, 8}};
    EXPECT_EQ(*sockets.readv(fd, iov), 5u);
    EXPECT_EQ(str(a, 2), "he");
    EXPECT_EQ(str(b, 3), "llo");
}

TEST_F(PosixTest, WritevSendsThePiecesAsOneSegment) {
    int fd = accepted();
    Bytes iov[] = {text("ab"), text(""), text("cd")};
    EXPECT_EQ(*sockets.writev(fd, iov), 4u);
    t.expect_sent(seg().psh().seq_(1).ack_(1).data("abcd"));
}

TEST_F(PosixTest, ReadvAndWritevWithNoPiecesReturnZero) {
    int fd = accepted();
    EXPECT_EQ(*sockets.readv(fd, {}), 0u);
    EXPECT_EQ(*sockets.writev(fd, {}), 0u);
}

TEST_F(PosixTest, ReadvWithMoreThanIovMaxPiecesIsEinval) {
    int fd = accepted();
    std::vector<MutBytes> read_iov(1025);
    std::vector<Bytes> write_iov(1025);
    EXPECT_EQ(errno_of(sockets.readv(fd, read_iov)), EINVAL);
    EXPECT_EQ(errno_of(sockets.writev(fd, write_iov)), EINVAL);
}

TEST_F(PosixTest, SendtoOnAConnectedSocketIgnoresTheAddress) {
    int fd = accepted();
    SocketAddress elsewhere{Ipv4Address::from_octets(10, 0, 0, 99), 9};
    EXPECT_EQ(*sockets.sendto(fd, text("x"), 0, elsewhere), 1u);
    t.expect_sent(seg().psh().seq_(1).ack_(1).data("x"));
}

TEST_F(PosixTest, SendtoOnASocketNotConnectedIsEpipeWhateverTheAddress) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    SocketAddress peer_end{peer_address, TcpScript::peer_port};
    EXPECT_EQ(errno_of(sockets.sendto(fd, text("x"), MSG_NOSIGNAL, peer_end)), EPIPE);
}

TEST_F(PosixTest, RecvfromLeavesTheAddressEmpty) {
    int fd = accepted();
    peer(seg().seq_(1).ack_(1).data("hi"));
    uint8_t b[4];
    std::optional<SocketAddress> from = SocketAddress{peer_address, 1};
    EXPECT_EQ(*sockets.recvfrom(fd, MutBytes{b, 4}, 0, &from), 2u);
    EXPECT_FALSE(from.has_value());
}

TEST_F(PosixTest, RecvfromOnASocketNotConnectedIsEnotconn) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    uint8_t b[4];
    EXPECT_EQ(errno_of(sockets.recvfrom(fd, MutBytes{b, 4}, MSG_DONTWAIT, nullptr)), ENOTCONN);
}

TEST_F(PosixTest, RecvmsgPeeksIntoPiecesAndClearsNameAndFlags) {
    int fd = accepted();
    peer(seg().seq_(1).ack_(1).data("hello"));
    uint8_t a[1], b[10];
    MutBytes iov[] = {{a, 1}, {b, 10}};
    MsgHdr msg{SocketAddress{peer_address, 1}, iov, 0x7777};
    EXPECT_EQ(*sockets.recvmsg(fd, msg, MSG_PEEK), 5u);
    EXPECT_EQ(str(a, 1) + str(b, 4), "hello");
    EXPECT_FALSE(msg.name.has_value());
    EXPECT_EQ(msg.flags, 0);
    EXPECT_EQ(read_all(fd), "hello");  // the peek left it
}

TEST_F(PosixTest, RecvmsgWithMsgDontwaitAndNothingBufferedIsEagain) {
    int fd = accepted();
    uint8_t b[4];
    MutBytes iov[] = {{b, 4}};
    MsgHdr msg{std::nullopt, iov, 0};
    EXPECT_EQ(errno_of(sockets.recvmsg(fd, msg, MSG_DONTWAIT)), EAGAIN);
}

TEST_F(PosixTest, SendmsgGathersThePiecesAndIgnoresTheName) {
    int fd = accepted();
    uint8_t a[] = {'a'}, b[] = {'b', 'c'};
    MutBytes iov[] = {{a, 1}, {b, 2}};
    MsgHdr msg{SocketAddress{peer_address, 9}, iov, 0};
    EXPECT_EQ(*sockets.sendmsg(fd, msg, 0), 3u);
    t.expect_sent(seg().psh().seq_(1).ack_(1).data("abc"));
}

TEST_F(PosixTest, SendmsgAndRecvmsgWithMoreThanIovMaxPiecesAreEmsgsize) {
    int fd = accepted();
    std::vector<MutBytes> iov(1025);
    MsgHdr msg{std::nullopt, iov, 0};
    EXPECT_EQ(errno_of(sockets.sendmsg(fd, msg, 0)), EMSGSIZE);
    EXPECT_EQ(errno_of(sockets.recvmsg(fd, msg, 0)), EMSGSIZE);
}

// --- ioctl ---

TEST_F(PosixTest, FionreadCountsTheBytesReadableAndNotTheFin) {
    int fd = accepted();
    int n = -1;
    ASSERT_EQ(errno_of(sockets.ioctl(fd, FIONREAD, &n)), 0);
    EXPECT_EQ(n, 0);
    peer(seg().fin().seq_(1).ack_(1).data("hello"));
    ASSERT_EQ(errno_of(sockets.ioctl(fd, SIOCINQ, &n)), 0);
    EXPECT_EQ(n, 5);
}

TEST_F(PosixTest, FionreadOnASocketNotConnectedIsZero) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    int n = -1;
    ASSERT_EQ(errno_of(sockets.ioctl(fd, FIONREAD, &n)), 0);
    EXPECT_EQ(n, 0);
}

TEST_F(PosixTest, QueueIoctlsOnAListenerAreEinval) {
    int l = listener();
    int n = 0;
    EXPECT_EQ(errno_of(sockets.ioctl(l, SIOCINQ, &n)), EINVAL);
    EXPECT_EQ(errno_of(sockets.ioctl(l, SIOCOUTQ, &n)), EINVAL);
    EXPECT_EQ(errno_of(sockets.ioctl(l, SIOCOUTQNSD, &n)), EINVAL);
}

TEST_F(PosixTest, SiocoutqCountsWhatIsNotYetAcknowledged) {
    int fd = accepted();
    ASSERT_EQ(*sockets.write(fd, text("hello")), 5u);
    t.expect_sent(seg().psh().seq_(1).ack_(1).data("hello"));
    int queued = -1, unsent = -1;
    ASSERT_EQ(errno_of(sockets.ioctl(fd, SIOCOUTQ, &queued)), 0);
    ASSERT_EQ(errno_of(sockets.ioctl(fd, SIOCOUTQNSD, &unsent)), 0);
    EXPECT_EQ(queued, 5);
    EXPECT_EQ(unsent, 0);
    peer(seg().seq_(1).ack_(4));
    ASSERT_EQ(errno_of(sockets.ioctl(fd, SIOCOUTQ, &queued)), 0);
    EXPECT_EQ(queued, 2);
}

TEST_F(PosixTest, SiocoutqCountsAFinNotYetAcknowledged) {
    int fd = accepted();
    ASSERT_EQ(errno_of(sockets.shutdown(fd, SHUT_WR)), 0);
    t.expect_sent(seg().fin().seq_(1).ack_(1));
    int queued = -1;
    ASSERT_EQ(errno_of(sockets.ioctl(fd, SIOCOUTQ, &queued)), 0);
    EXPECT_EQ(queued, 1);
    peer(seg().seq_(1).ack_(2));
    ASSERT_EQ(errno_of(sockets.ioctl(fd, SIOCOUTQ, &queued)), 0);
    EXPECT_EQ(queued, 0);
}

TEST_F(PosixTest, FionbioTurnsNonBlockingOnAndOff) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    int on = 1, off = 0;
    ASSERT_EQ(errno_of(sockets.ioctl(fd, FIONBIO, &on)), 0);
    EXPECT_EQ(*sockets.fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    ASSERT_EQ(errno_of(sockets.ioctl(fd, FIONBIO, &off)), 0);
    EXPECT_EQ(*sockets.fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
}

TEST_F(PosixTest, UnknownIoctlIsEnottyAndABadDescriptorEbadf) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    int n = 0;
    EXPECT_EQ(errno_of(sockets.ioctl(fd, 0x1234, &n)), ENOTTY);
    EXPECT_EQ(errno_of(sockets.ioctl(42, FIONREAD, &n)), EBADF);
}

}  // namespace
}  // namespace tapstack::test
