// SPDX-License-Identifier: MIT
// The socket layer: read/recv (MSG_PEEK, MSG_DONTWAIT), write/send, shutdown as a real
// half-close with the segments on the wire, close (SO_LINGER 0: RST); each errno.
#include "tests/unit/posix/posix_fixture.hh"

#include <fcntl.h>

namespace tapstack::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Bytes text(std::string_view s) { return Bytes{reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

TEST_F(PosixTest, ReadReturnsWhatThePeerSent) {
    int fd = accepted();
    peer(seg().seq_(1).ack_(1).data("hello"));
    EXPECT_EQ(read_all(fd), "hello");
}

TEST_F(PosixTest, NonBlockingReadWithNothingBufferedIsEagain) {
    int fd = accepted();
    ASSERT_EQ(errno_of(sockets.fcntl(fd, F_SETFL, O_NONBLOCK)), 0);
    uint8_t b[8];
    EXPECT_EQ(errno_of(sockets.read(fd, MutBytes{b, 8})), EAGAIN);
}

TEST_F(PosixTest, MsgDontwaitOnABlockingSocketIsEagain) {
    int fd = accepted();
    uint8_t b[8];
    EXPECT_EQ(errno_of(sockets.recv(fd, MutBytes{b, 8}, MSG_DONTWAIT)), EAGAIN);
}

TEST_F(PosixTest, MsgPeekLeavesTheBytesToRead) {
    int fd = accepted();
    peer(seg().seq_(1).ack_(1).data("hello"));
    uint8_t b[3];
    EXPECT_EQ(*sockets.recv(fd, MutBytes{b, 3}, MSG_PEEK), 3u);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(b), 3), "hel");
    EXPECT_EQ(read_all(fd), "hello");
}

TEST_F(PosixTest, BlockingReadReturnsWhenDataArrives) {
    int fd = accepted();
    Instant start = driver.instant();
    peer_at(milliseconds{700}, seg().seq_(1).ack_(1).data("late"));
    EXPECT_EQ(read_all(fd), "late");
    EXPECT_EQ(driver.instant() - start, milliseconds{700});
}

TEST_F(PosixTest, MsgWaitallWaitsForTheWholeLength) {
    int fd = accepted();
    Instant start = driver.instant();
    peer_at(milliseconds{100}, seg().seq_(1).ack_(1).data("ab"));
    peer_at(milliseconds{200}, seg().seq_(3).ack_(1).data("cd"));
    uint8_t b[4];
    EXPECT_EQ(*sockets.recv(fd, MutBytes{b, 4}, MSG_WAITALL), 4u);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(b), 4), "abcd");
    EXPECT_EQ(driver.instant() - start, milliseconds{200});
}

TEST_F(PosixTest, NonBlockingWriteToAFullSendBufferIsPartialThenEagain) {
    int fd = accepted();
    ASSERT_EQ(errno_of(sockets.fcntl(fd, F_SETFL, O_NONBLOCK)), 0);
    std::string big(t.stack.config().tcp.send_buffer + 10000, 'x');
    auto n = sockets.write(fd, text(big));
    ASSERT_TRUE(n.has_value());
    EXPECT_LT(*n, big.size());
    EXPECT_EQ(errno_of(sockets.write(fd, text("y"))), EAGAIN);
}

TEST_F(PosixTest, ReadAfterThePeersFinIsZero) {
    int fd = accepted();
    peer(seg().fin().seq_(1).ack_(1));
    EXPECT_EQ(read_all(fd), "");
}

TEST_F(PosixTest, ReadOnASocketNeverConnectedIsEnotconn) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    uint8_t b[8];
    EXPECT_EQ(errno_of(sockets.read(fd, MutBytes{b, 8})), ENOTCONN);
}

TEST_F(PosixTest, WriteOnASocketNeverConnectedIsEpipe) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(errno_of(sockets.write(fd, text("x"))), EPIPE);
}

TEST_F(PosixTest, WriteSendsTheBytesAtOnce) {
    int fd = accepted();
    EXPECT_EQ(*sockets.write(fd, text("reply")), 5u);
    t.expect_sent(seg().psh().seq_(1).ack_(1).data("reply"));
}

TEST_F(PosixTest, PeerResetIsEconnresetOnceThenEndOfFile) {
    int fd = accepted();
    peer(seg().rst().seq_(1));
    uint8_t b[8];
    EXPECT_EQ(errno_of(sockets.read(fd, MutBytes{b, 8})), ECONNRESET);
    EXPECT_EQ(*sockets.read(fd, MutBytes{b, 8}), 0u);
}

TEST_F(PosixTest, WriteAfterAPeerResetIsEconnresetThenEpipe) {
    int fd = accepted();
    peer(seg().rst().seq_(1));
    EXPECT_EQ(errno_of(sockets.write(fd, text("x"))), ECONNRESET);
    EXPECT_EQ(errno_of(sockets.write(fd, text("x"))), EPIPE);
}

TEST_F(PosixTest, ShutWrSendsFinAndReadingGoesOn) {
    int fd = accepted();
    ASSERT_EQ(errno_of(sockets.shutdown(fd, SHUT_WR)), 0);
    t.expect_sent(seg().fin().seq_(1).ack_(1));
    peer(seg().seq_(1).ack_(2).data("more"));  // acknowledges our FIN, and sends on
    t.expect_sent(seg().seq_(2).ack_(5));
    EXPECT_EQ(read_all(fd), "more");
    peer(seg().fin().seq_(5).ack_(2));
    t.expect_sent(seg().seq_(2).ack_(6));
    EXPECT_EQ(read_all(fd), "");
}

TEST_F(PosixTest, WriteAfterShutWrIsEpipe) {
    int fd = accepted();
    ASSERT_EQ(errno_of(sockets.shutdown(fd, SHUT_WR)), 0);
    EXPECT_EQ(errno_of(sockets.write(fd, text("x"))), EPIPE);
}

TEST_F(PosixTest, HalfClosedConnectionWaitsInFinWait2UntilTheApplicationCloses) {
    int fd = accepted();
    ASSERT_EQ(errno_of(sockets.shutdown(fd, SHUT_WR)), 0);
    peer(seg().seq_(1).ack_(2));  // our FIN acknowledged: FIN-WAIT-2
    advance(seconds{300});        // far past the 60 s FIN-WAIT-2 timeout
    EXPECT_EQ(t.stack.connection_count(), 1u);
    peer(seg().seq_(1).ack_(2).data("still"));
    EXPECT_EQ(read_all(fd), "still");
    ASSERT_EQ(errno_of(sockets.close(fd)), 0);  // orphaned now: the timeout starts
    advance(seconds{61});
    EXPECT_EQ(t.stack.connection_count(), 0u);
}

TEST_F(PosixTest, AfterThePeersFinWeKeepWriting) {
    int fd = accepted();
    peer(seg().fin().seq_(1).ack_(1));
    t.expect_sent(seg().seq_(1).ack_(2));
    EXPECT_EQ(read_all(fd), "");
    EXPECT_EQ(*sockets.write(fd, text("answer")), 6u);
    t.expect_sent(seg().psh().seq_(1).ack_(2).data("answer"));
    ASSERT_EQ(errno_of(sockets.shutdown(fd, SHUT_WR)), 0);
    t.expect_sent(seg().fin().seq_(7).ack_(2));
}

TEST_F(PosixTest, ShutRdMakesReadReturnZeroWithoutWaiting) {
    int fd = accepted();
    ASSERT_EQ(errno_of(sockets.shutdown(fd, SHUT_RD)), 0);
    t.expect_nothing();  // nothing on the wire, as in Linux
    EXPECT_EQ(read_all(fd), "");
}

TEST_F(PosixTest, ShutdownOfASocketNotConnectedIsEnotconn) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(errno_of(sockets.shutdown(fd, SHUT_WR)), ENOTCONN);
}

TEST_F(PosixTest, ShutdownOfAConnectingSocketAbandonsTheOpenWithoutRst) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_EQ(errno_of(sockets.connect(fd, {peer_address, TcpScript::peer_port})), EINPROGRESS);
    t.expect_sent(seg().syn().seq_(0));
    EXPECT_EQ(errno_of(sockets.shutdown(fd, SHUT_RDWR)), 0);
    t.expect_nothing();
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_EQ(errno_of(sockets.shutdown(fd, SHUT_RDWR)), ENOTCONN);  // unconnected again
}

TEST_F(PosixTest, ShutRdOfAListenerStopsListening) {
    int l = listener();
    ASSERT_EQ(errno_of(sockets.shutdown(l, SHUT_RD)), 0);
    peer(seg().syn().seq_(0).mss_(1460));
    t.expect_sent(seg().rst().ack_(1));  // nobody listens on the port now
}

TEST_F(PosixTest, ShutdownWithAnUnknownHowIsEinval) {
    int fd = accepted();
    EXPECT_EQ(errno_of(sockets.shutdown(fd, 7)), EINVAL);
}

TEST_F(PosixTest, CloseSendsFin) {
    int fd = accepted();
    ASSERT_EQ(errno_of(sockets.close(fd)), 0);
    t.expect_sent(seg().fin().seq_(1).ack_(1));
    EXPECT_EQ(sockets.open_count(), 1u);  // the listener
}

TEST_F(PosixTest, CloseWithLingerZeroSendsRst) {
    int fd = accepted();
    linger l{1, 0};
    ASSERT_EQ(
        errno_of(sockets.setsockopt(fd, SOL_SOCKET, SO_LINGER, Bytes{reinterpret_cast<const uint8_t*>(&l), sizeof l})),
        0);
    ASSERT_EQ(errno_of(sockets.close(fd)), 0);
    t.expect_sent(seg().rst().ack_(1).seq_(1));
}

TEST_F(PosixTest, ClosingAListenerResetsConnectionsNotYetAccepted) {
    int l = listener();
    handshake();
    ASSERT_EQ(errno_of(sockets.close(l)), 0);
    t.expect_sent(seg().rst().ack_(1).seq_(1));
}

}  // namespace
}  // namespace tapstack::test
