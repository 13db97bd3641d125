// SPDX-License-Identifier: MIT
// The socket layer's options that shape a connection: SO_RCVBUF/SO_SNDBUF, TCP_MAXSEG,
// keep-alive timings, TCP_USER_TIMEOUT, TCP_CORK and MSG_MORE, TCP_INFO, SO_RCVTIMEO/SO_SNDTIMEO;
// the values getsockopt reports and the errno of each bad value, as Linux gives them.
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include "tests/unit/posix/posix_fixture.hh"

namespace tapstack::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Bytes text(std::string_view s) { return Bytes{reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

class PosixOptionsTest : public PosixTest {
protected:
    SysResult<int> set(int fd, int level, int name, int value) {
        return sockets.setsockopt(fd, level, name, Bytes{reinterpret_cast<const uint8_t*>(&value), sizeof value});
    }
    int get(int fd, int level, int name) {
        int v = -1;
        auto n = sockets.getsockopt(fd, level, name, MutBytes{reinterpret_cast<uint8_t*>(&v), sizeof v});
        EXPECT_EQ(n.value_or(0), sizeof v);
        return v;
    }
    SysResult<int> set_timeout(int fd, int name, timeval tv) {
        return sockets.setsockopt(fd, SOL_SOCKET, name, Bytes{reinterpret_cast<const uint8_t*>(&tv), sizeof tv});
    }
    // A listener made after `setup` ran on its socket; the peer's SYN gets the SYN,ACK returned.
    std::optional<TcpSegment> synack_of_listener(const std::function<void(int)>& setup) {
        int l = *sockets.socket(AF_INET, SOCK_STREAM, 0);
        setup(l);
        EXPECT_EQ(errno_of(sockets.bind(l, {Ipv4Address{}, socket_port})), 0);
        EXPECT_EQ(errno_of(sockets.listen(l, 5)), 0);
        peer(seg().syn().seq_(0).mss_(1460).ws(7));
        return t.next_sent();
    }
};

TEST_F(PosixOptionsTest, SoRcvbufReportsTwiceTheValueWithLinuxsMinimumAndMaximum) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(get(fd, SOL_SOCKET, SO_RCVBUF), static_cast<int>(2 * t.stack.config().tcp.receive_buffer));
    ASSERT_EQ(errno_of(set(fd, SOL_SOCKET, SO_RCVBUF, 100000)), 0);
    EXPECT_EQ(get(fd, SOL_SOCKET, SO_RCVBUF), 200000);
    ASSERT_EQ(errno_of(set(fd, SOL_SOCKET, SO_RCVBUF, 1000)), 0);
    EXPECT_EQ(get(fd, SOL_SOCKET, SO_RCVBUF), 2304);
    ASSERT_EQ(errno_of(set(fd, SOL_SOCKET, SO_RCVBUF, 10000000)), 0);
    EXPECT_EQ(get(fd, SOL_SOCKET, SO_RCVBUF), 425984);  // net.core.rmem_max, doubled
    ASSERT_EQ(errno_of(set(fd, SOL_SOCKET, SO_RCVBUF, -5)), 0);
    EXPECT_EQ(get(fd, SOL_SOCKET, SO_RCVBUF), 425984);  // taken as unsigned, as Linux does
}

TEST_F(PosixOptionsTest, SoSndbufReportsTwiceTheValueWithLinuxsMinimum) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(get(fd, SOL_SOCKET, SO_SNDBUF), static_cast<int>(2 * t.stack.config().tcp.send_buffer));
    ASSERT_EQ(errno_of(set(fd, SOL_SOCKET, SO_SNDBUF, 1000)), 0);
    EXPECT_EQ(get(fd, SOL_SOCKET, SO_SNDBUF), 4608);
}

TEST_F(PosixOptionsTest, SoRcvbufBeforeListenSizesTheWindowOfTheSynAck) {
    auto synack = synack_of_listener([this](int l) { ASSERT_EQ(errno_of(set(l, SOL_SOCKET, SO_RCVBUF, 3000)), 0); });
    ASSERT_TRUE(synack.has_value());
    EXPECT_EQ(synack->window, 3000);
    EXPECT_EQ(synack->options.window_scale, std::optional<uint8_t>{0});
}

TEST_F(PosixOptionsTest, SoSndbufSizesTheAcceptedConnectionsSendBuffer) {
    int l = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(errno_of(set(l, SOL_SOCKET, SO_SNDBUF, 5000)), 0);
    ASSERT_EQ(errno_of(sockets.bind(l, {Ipv4Address{}, socket_port})), 0);
    ASSERT_EQ(errno_of(sockets.listen(l, 5)), 0);
    handshake();
    int fd = *sockets.accept(l);
    ASSERT_EQ(errno_of(sockets.fcntl(fd, F_SETFL, O_NONBLOCK)), 0);
    EXPECT_EQ(*sockets.write(fd, text(std::string(9000, 'x'))), 5000u);
    EXPECT_EQ(get(fd, SOL_SOCKET, SO_SNDBUF), 10000);
}

TEST_F(PosixOptionsTest, TcpMaxsegReadsLinuxsDefaultThenTheClampThenTheMssInUse) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(get(fd, IPPROTO_TCP, TCP_MAXSEG), 536);
    ASSERT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_MAXSEG, 1000)), 0);
    EXPECT_EQ(get(fd, IPPROTO_TCP, TCP_MAXSEG), 1000);
    int c = accepted();
    EXPECT_EQ(get(c, IPPROTO_TCP, TCP_MAXSEG), 1460);
}

TEST_F(PosixOptionsTest, TcpMaxsegOutOfLinuxsRangeIsEinval) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_MAXSEG, 87)), EINVAL);
    EXPECT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_MAXSEG, 32768)), EINVAL);
    EXPECT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_MAXSEG, 88)), 0);
    EXPECT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_MAXSEG, 0)), 0);  // takes the clamp away
    EXPECT_EQ(get(fd, IPPROTO_TCP, TCP_MAXSEG), 536);
}

TEST_F(PosixOptionsTest, TcpMaxsegBeforeListenClampsTheAnnouncedMss) {
    auto synack = synack_of_listener([this](int l) { ASSERT_EQ(errno_of(set(l, IPPROTO_TCP, TCP_MAXSEG, 1000)), 0); });
    ASSERT_TRUE(synack.has_value());
    EXPECT_EQ(synack->options.mss, std::optional<uint16_t>{1000});
}

TEST_F(PosixOptionsTest, TcpMaxsegOnAListeningSocketClampsItsNextConnections) {
    int l = listener();
    ASSERT_EQ(errno_of(set(l, IPPROTO_TCP, TCP_MAXSEG, 900)), 0);
    peer(seg().syn().seq_(0).mss_(1460));
    t.expect_sent(seg().syn().ack_(1).seq_(0).mss_(900));
    ASSERT_EQ(errno_of(set(l, IPPROTO_TCP, TCP_MAXSEG, 0)), 0);  // the clamp comes off
    Seg syn = seg().syn().seq_(0).mss_(1460);
    syn.src_port = TcpScript::peer_port + 1;
    peer(syn);
    t.expect_sent(seg().syn().ack_(1).seq_(0).mss_(1460));
}

TEST_F(PosixOptionsTest, TcpMaxsegBeforeConnectClampsTheSynsMss) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_MAXSEG, 700)), 0);
    EXPECT_EQ(errno_of(sockets.connect(fd, {peer_address, TcpScript::peer_port})), EINPROGRESS);
    t.expect_sent(seg().syn().seq_(0).mss_(700));
}

TEST_F(PosixOptionsTest, KeepaliveTimingsReadTheStacksDefaultsAndLinuxsRanges) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(get(fd, IPPROTO_TCP, TCP_KEEPIDLE), 7200);
    EXPECT_EQ(get(fd, IPPROTO_TCP, TCP_KEEPINTVL), 75);
    EXPECT_EQ(get(fd, IPPROTO_TCP, TCP_KEEPCNT), 9);
    EXPECT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_KEEPIDLE, 0)), EINVAL);
    EXPECT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_KEEPIDLE, 32768)), EINVAL);
    EXPECT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_KEEPINTVL, 0)), EINVAL);
    EXPECT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_KEEPCNT, 128)), EINVAL);
    ASSERT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_KEEPIDLE, 32767)), 0);
    ASSERT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_KEEPCNT, 127)), 0);
    EXPECT_EQ(get(fd, IPPROTO_TCP, TCP_KEEPIDLE), 32767);
    EXPECT_EQ(get(fd, IPPROTO_TCP, TCP_KEEPCNT), 127);
}

TEST_F(PosixOptionsTest, KeepaliveTimingsReachTheConnection) {
    int fd = accepted();
    ASSERT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_KEEPIDLE, 5)), 0);
    ASSERT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_KEEPINTVL, 2)), 0);
    ASSERT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_KEEPCNT, 1)), 0);
    ASSERT_EQ(errno_of(set(fd, SOL_SOCKET, SO_KEEPALIVE, 1)), 0);
    advance(seconds{5});
    t.expect_sent(seg().ack_(1).seq_(0));
    advance(seconds{2});
    t.expect_sent(seg().rst().ack_(1).seq_(1));
    uint8_t b[4];
    EXPECT_EQ(errno_of(sockets.read(fd, MutBytes{b, 4})), ETIMEDOUT);
}

TEST_F(PosixOptionsTest, TcpUserTimeoutIsSetInMillisecondsAndNegativeIsEinval) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(get(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 0);
    EXPECT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, -1)), EINVAL);
    ASSERT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 5000)), 0);
    EXPECT_EQ(get(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 5000);
}

TEST_F(PosixOptionsTest, TcpUserTimeoutEndsAConnectionWhoseDataGoesUnacknowledged) {
    int fd = accepted();
    ASSERT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 1500)), 0);
    ASSERT_EQ(*sockets.write(fd, text("void")), 4u);
    advance(seconds{3});
    uint8_t b[4];
    EXPECT_EQ(errno_of(sockets.read(fd, MutBytes{b, 4})), ETIMEDOUT);
}

// As packetdrill's nagle/sockopt_cork_nodelay.pkt: corked writes wait; uncorking, or setting
// TCP_NODELAY, sends them.
TEST_F(PosixOptionsTest, TcpCorkHoldsWritesUntilUncorkOrNodelay) {
    int fd = accepted();
    ASSERT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_CORK, 1)), 0);
    EXPECT_EQ(get(fd, IPPROTO_TCP, TCP_CORK), 1);
    ASSERT_EQ(*sockets.write(fd, text("ab")), 2u);
    advance(milliseconds{50});
    ASSERT_EQ(*sockets.write(fd, text("cd")), 2u);
    t.expect_nothing();
    ASSERT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_CORK, 0)), 0);
    t.expect_sent(seg().psh().seq_(1).ack_(1).data("abcd"));
    peer(seg().seq_(1).ack_(5));
    ASSERT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_CORK, 1)), 0);
    ASSERT_EQ(*sockets.write(fd, text("ef")), 2u);
    t.expect_nothing();
    ASSERT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_NODELAY, 1)), 0);
    t.expect_sent(seg().psh().seq_(5).ack_(1).data("ef"));
}

TEST_F(PosixOptionsTest, MsgMoreHoldsUntilASendWithoutIt) {
    int fd = accepted();
    ASSERT_EQ(*sockets.send(fd, text("ab"), MSG_MORE), 2u);
    t.expect_nothing();
    ASSERT_EQ(*sockets.send(fd, text("cd"), 0), 2u);
    t.expect_sent(seg().psh().seq_(1).ack_(1).data("abcd"));
}

TEST_F(PosixOptionsTest, TcpInfoOfAConnection) {
    int fd = accepted();
    tcp_info info{};
    auto n = sockets.getsockopt(fd, IPPROTO_TCP, TCP_INFO, MutBytes{reinterpret_cast<uint8_t*>(&info), sizeof info});
    ASSERT_EQ(n.value_or(0), sizeof info);
    EXPECT_EQ(info.tcpi_state, 1);  // TCP_ESTABLISHED
    EXPECT_EQ(info.tcpi_ca_state, 0);
    EXPECT_EQ(info.tcpi_snd_mss, 1460u);
    EXPECT_EQ(info.tcpi_advmss, 1460u);
    EXPECT_EQ(info.tcpi_rto, 200000u);   // SRTT (0 here) + 200 ms, from the handshake's sample
    EXPECT_EQ(info.tcpi_snd_cwnd, 10u);  // RFC 6928's initial window, in segments
    EXPECT_EQ(info.tcpi_unacked, 0u);
    ASSERT_EQ(*sockets.write(fd, text(std::string(2000, 'x'))), 2000u);
    (void)sockets.getsockopt(fd, IPPROTO_TCP, TCP_INFO, MutBytes{reinterpret_cast<uint8_t*>(&info), sizeof info});
    EXPECT_EQ(info.tcpi_unacked, 1u);  // Nagle holds the last 540 bytes behind the first segment
    int unsent = 0;
    ASSERT_EQ(errno_of(sockets.ioctl(fd, SIOCOUTQNSD, &unsent)), 0);
    EXPECT_EQ(unsent, 540);
}

TEST_F(PosixOptionsTest, TcpInfoOfASocketWithoutAConnectionHasItsStateOnly) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    tcp_info info{};
    info.tcpi_rto = 77;
    ASSERT_TRUE(
        sockets.getsockopt(fd, IPPROTO_TCP, TCP_INFO, MutBytes{reinterpret_cast<uint8_t*>(&info), sizeof info}));
    EXPECT_EQ(info.tcpi_state, 7);  // TCP_CLOSE
    EXPECT_EQ(info.tcpi_rto, 0u);
    EXPECT_EQ(get(listener(), IPPROTO_TCP, TCP_INFO) & 0xff, 10);  // TCP_LISTEN, in the first byte
}

TEST_F(PosixOptionsTest, GetsockoptCutsTheValueToTheBuffer) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    uint8_t b[2] = {0xee, 0xee};
    EXPECT_EQ(*sockets.getsockopt(fd, SOL_SOCKET, SO_TYPE, MutBytes{b, 2}), 2u);
    EXPECT_EQ(b[0], SOCK_STREAM);
}

TEST_F(PosixOptionsTest, SoRcvtimeoEndsABlockingReadWithEagain) {
    int fd = accepted();
    ASSERT_EQ(errno_of(set_timeout(fd, SO_RCVTIMEO, {1, 500000})), 0);
    uint8_t b[4];
    Instant start = driver.instant();
    EXPECT_EQ(errno_of(sockets.read(fd, MutBytes{b, 4})), EAGAIN);
    EXPECT_EQ(driver.instant() - start, milliseconds{1500});
    timeval tv{};
    ASSERT_TRUE(sockets.getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, MutBytes{reinterpret_cast<uint8_t*>(&tv), sizeof tv}));
    EXPECT_EQ(tv.tv_sec, 1);
    EXPECT_EQ(tv.tv_usec, 500000);
}

TEST_F(PosixOptionsTest, SoSndtimeoEndsABlockingConnectWithEinprogress) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(errno_of(set_timeout(fd, SO_SNDTIMEO, {0, 300000})), 0);
    EXPECT_EQ(errno_of(sockets.connect(fd, {peer_address, TcpScript::peer_port})), EINPROGRESS);
}

TEST_F(PosixOptionsTest, SoRcvtimeoWithBadMicrosecondsIsEdomAndShortIsEinval) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(errno_of(set_timeout(fd, SO_RCVTIMEO, {1, 1000000})), EDOM);
    EXPECT_EQ(errno_of(set(fd, SOL_SOCKET, SO_RCVTIMEO, 1)), EINVAL);
}

TEST_F(PosixOptionsTest, SetsockoptTcpInfoIsEnoprotoopt) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(errno_of(set(fd, IPPROTO_TCP, TCP_INFO, 1)), ENOPROTOOPT);
}

}  // namespace
}  // namespace tapstack::test
