// SPDX-License-Identifier: MIT
// The connection counters of the exit summary: every connection opened ends in exactly one of
// closed, reset by peer, reset by us and aborted, or is still in TIME-WAIT, or still open.
#include "tests/support/tcp_script.hh"

namespace tapstack::test {
namespace {

// All of them in one line, so that a failure shows which counter moved.
std::string ends(const StackStats& s) {
    return fmt::format("opened={} closed={} time_wait={} reset_by_peer={} reset_by_us={} aborted={} open={}",
                       s.tcp_connections_opened, s.tcp_connections_closed, s.tcp_connections_time_wait,
                       s.tcp_connections_reset_by_peer, s.tcp_connections_reset_by_us, s.tcp_connections_aborted,
                       s.tcp_connections_open());
}

Seg from(uint16_t port, Seg s) {
    s.src_port = port;
    return s;
}

// A connection from `port` through the handshake; returns its socket.
SocketId open_from(TcpScript& t, uint16_t port) {
    t.peer_sends(from(port, seg().syn().seq_(0)));
    t.next_sent();
    t.peer_sends(from(port, seg().ack_(1).seq_(1)));
    return t.app.last;
}

// Server-first close: our FIN, the peer's FIN and ACK, our last ACK: TIME-WAIT.
void close_into_time_wait(TcpScript& t, SocketId id, uint16_t port) {
    t.stack.close(id);
    t.poll();
    t.next_sent();
    t.peer_sends(from(port, seg().fin().ack_(2).seq_(1)));
    t.next_sent();
}

TEST(TcpEndCounters, AnOpenConnectionIsCountedAsOpen) {
    TcpScript t;
    t.establish();
    EXPECT_EQ(ends(t.stack.stats()), "opened=1 closed=0 time_wait=0 reset_by_peer=0 reset_by_us=0 aborted=0 open=1");
}

TEST(TcpEndCounters, ServerFirstCloseIsInTimeWaitThenClosed) {
    StackConfig config;
    config.tcp.set_msl(std::chrono::seconds{1});
    TcpScript t(0, 1000, config);
    SocketId id = t.establish();
    close_into_time_wait(t, id, TcpScript::peer_port);
    ASSERT_EQ(t.state_log.back(), "FIN-WAIT-2->TIME-WAIT");
    EXPECT_EQ(ends(t.stack.stats()), "opened=1 closed=0 time_wait=1 reset_by_peer=0 reset_by_us=0 aborted=0 open=0");
    t.advance(std::chrono::seconds{2});
    EXPECT_EQ(ends(t.stack.stats()), "opened=1 closed=1 time_wait=0 reset_by_peer=0 reset_by_us=0 aborted=0 open=0");
}

TEST(TcpEndCounters, ClientFirstCloseIsClosedWhenOurFinIsAcknowledged) {
    TcpScript t;
    SocketId id = t.establish();
    t.peer_sends(seg().fin().ack_(1).seq_(1));
    t.stack.close(id);
    t.poll();
    t.peer_sends(seg().ack_(2).seq_(2));
    ASSERT_EQ(t.state_log.back(), "LAST-ACK->CLOSED");
    EXPECT_EQ(ends(t.stack.stats()), "opened=1 closed=1 time_wait=0 reset_by_peer=0 reset_by_us=0 aborted=0 open=0");
}

TEST(TcpEndCounters, TimeWaitReplacedByANewSynCountsAsClosed) {
    TcpScript t;
    SocketId id = t.establish();
    close_into_time_wait(t, id, TcpScript::peer_port);
    t.peer_sends(seg().syn().seq_(100000));  // RFC 6191: the tuple is reused
    ASSERT_EQ(t.state_log.back(), "LISTEN->SYN-RECEIVED");
    EXPECT_EQ(ends(t.stack.stats()), "opened=2 closed=1 time_wait=0 reset_by_peer=0 reset_by_us=0 aborted=0 open=1");
}

TEST(TcpEndCounters, AnRstInTimeWaitCountsAsClosed) {
    TcpScript t;
    SocketId id = t.establish();
    close_into_time_wait(t, id, TcpScript::peer_port);
    t.peer_sends(seg().rst().seq_(2));
    ASSERT_EQ(t.state_log.back(), "TIME-WAIT->CLOSED");
    EXPECT_EQ(ends(t.stack.stats()), "opened=1 closed=1 time_wait=0 reset_by_peer=0 reset_by_us=0 aborted=0 open=0");
}

TEST(TcpEndCounters, AnRstFromThePeerCountsAsResetByPeer) {
    TcpScript t;
    t.establish();
    t.peer_sends(seg().rst().seq_(1));
    EXPECT_EQ(ends(t.stack.stats()), "opened=1 closed=0 time_wait=0 reset_by_peer=1 reset_by_us=0 aborted=0 open=0");
}

TEST(TcpEndCounters, ARefusedConnectCountsAsResetByPeer) {
    TcpScript t;
    auto id = t.stack.connect(Ipv4Address::from_octets(10, 0, 0, 1), 8080, t.app);
    ASSERT_TRUE(id.has_value());
    auto syn = t.next_sent();
    ASSERT_TRUE(syn);
    Seg rst = seg().rst().ack_(1).seq_(0);
    rst.src_port = 8080;
    rst.dst_port = syn->src_port;
    t.peer_sends(rst);
    EXPECT_EQ(ends(t.stack.stats()), "opened=1 closed=0 time_wait=0 reset_by_peer=1 reset_by_us=0 aborted=0 open=0");
}

TEST(TcpEndCounters, AnAbortCountsAsResetByUs) {
    TcpScript t;
    SocketId id = t.establish();
    t.stack.abort(id);
    t.poll();
    t.expect_sent(seg().rst().ack_(1).seq_(1));
    EXPECT_EQ(ends(t.stack.stats()), "opened=1 closed=0 time_wait=0 reset_by_peer=0 reset_by_us=1 aborted=0 open=0");
}

TEST(TcpEndCounters, CloseWithDataUnreadCountsAsAborted) {
    TcpScript t;
    t.app.auto_read = false;
    SocketId id = t.establish();
    t.peer_sends(seg().ack_(1).seq_(1).data("unread"));
    t.stack.close(id);
    t.poll();
    EXPECT_EQ(ends(t.stack.stats()), "opened=1 closed=0 time_wait=0 reset_by_peer=0 reset_by_us=0 aborted=1 open=0");
}

TEST(TcpEndCounters, GivingUpAfterRetransmissionsCountsAsAborted) {
    StackConfig config;
    config.tcp.max_retransmissions = 2;
    TcpScript t(0, 1000, config);
    SocketId id = t.establish();
    t.write(id, as_bytes("nobody listens"));
    t.poll();
    t.advance(std::chrono::seconds{60});
    ASSERT_EQ(t.app.closed.size(), 1u);
    EXPECT_EQ(ends(t.stack.stats()), "opened=1 closed=0 time_wait=0 reset_by_peer=0 reset_by_us=0 aborted=1 open=0");
}

TEST(TcpEndCounters, EachConnectionIsCountedOnceInExactlyOneCategory) {
    StackConfig config;
    config.tcp.set_msl(std::chrono::seconds{1});
    TcpScript t(0, 1000, config);
    t.app.auto_read = false;
    SocketId done = open_from(t, 40001);
    SocketId waiting = open_from(t, 40002);
    open_from(t, 40003);  // reset by the peer
    SocketId aborted = open_from(t, 40004);
    SocketId unread = open_from(t, 40005);
    open_from(t, 40006);  // stays open
    close_into_time_wait(t, done, 40001);
    t.advance(std::chrono::seconds{2});  // 40001's TIME-WAIT is over
    close_into_time_wait(t, waiting, 40002);
    t.peer_sends(from(40003, seg().rst().seq_(1)));
    t.stack.abort(aborted);
    t.peer_sends(from(40005, seg().ack_(1).seq_(1).data("x")));
    t.stack.close(unread);
    t.poll();
    const StackStats& s = t.stack.stats();
    EXPECT_EQ(ends(s), "opened=6 closed=1 time_wait=1 reset_by_peer=1 reset_by_us=1 aborted=1 open=1");
    EXPECT_EQ(s.tcp_connections_open() + s.tcp_connections_time_wait, t.stack.connection_count());
}

}  // namespace
}  // namespace tapstack::test
