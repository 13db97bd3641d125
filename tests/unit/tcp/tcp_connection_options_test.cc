// SPDX-License-Identifier: MIT
// An application's options for its own connections (ConnectionOptions, tcp_settings.hh), through
// the Stack's API: buffer sizes and the MSS clamp in the SYN, TCP_CORK and MSG_MORE holding
// partial segments, keep-alive timings and the user timeout per connection; in virtual time.
#include "tests/support/tcp_script.hh"

namespace tapstack::test {
namespace {

constexpr uint16_t option_port = 8080;  // a listener of our own, beside the script's on 80

Seg to_option_port(Seg s) {
    s.dst_port = option_port;
    return s;
}

// The peer opens a connection to our listener on option_port, which was made with `options`;
// returns the SYN,ACK, for the test to check.
std::optional<TcpSegment> open_to_listener(TcpScript& t, const ConnectionOptions& options) {
    EXPECT_TRUE(t.stack.listen(option_port, t.app, options).has_value());
    t.peer_sends(to_option_port(seg().syn().seq_(0).mss_(1460).ws(7)));
    return t.next_sent();
}

TEST(TcpConnectionOptions, ListenerOptionsSetTheSynAcksWindowScaleAndMss) {
    TcpScript t;
    auto synack = open_to_listener(t, {.receive_buffer = 1000, .max_segment = 1000});
    ASSERT_TRUE(synack.has_value());
    EXPECT_EQ(synack->options.mss, std::optional<uint16_t>{1000});
    EXPECT_EQ(synack->window, 1000);
    EXPECT_EQ(synack->options.window_scale, std::optional<uint8_t>{0});  // 1000 bytes need none
}

TEST(TcpConnectionOptions, ALargeReceiveBufferAnnouncesAWindowScale) {
    TcpScript t;
    auto synack = open_to_listener(t, {.receive_buffer = 1 << 20});
    ASSERT_TRUE(synack.has_value());
    EXPECT_EQ(synack->options.window_scale, std::optional<uint8_t>{5});  // 2^20 >> 5 fits 65535
    EXPECT_EQ(synack->window, 65535);
}

TEST(TcpConnectionOptions, ConnectOptionsGoInTheSyn) {
    TcpScript t;
    t.poll();
    auto id = t.stack.connect(Ipv4Address::from_octets(10, 0, 0, 1), 40000, t.app, 0, {.max_segment = 600});
    ASSERT_TRUE(id.has_value());
    t.poll();
    t.expect_sent(seg().syn().seq_(0).mss_(600));
}

TEST(TcpConnectionOptions, TheSendBufferOptionSizesTheRing) {
    TcpScript t;
    (void)open_to_listener(t, {.send_buffer = 3000});
    t.peer_sends(to_option_port(seg().ack_(1).seq_(1)));
    ASSERT_EQ(t.app.accepted.size(), 1u);
    EXPECT_EQ(t.stack.send_space(t.app.last), 3000u);
}

// TCP_CORK: the partial segment waits for data that fills it, or for the uncork.
TEST(TcpConnectionOptions, CorkHoldsAPartialSegmentUntilUncorked) {
    TcpScript t;
    SocketId id = t.establish();
    t.stack.set_options(id, {.cork = true});
    t.write(id, as_bytes("first"));
    t.poll();
    t.advance(std::chrono::milliseconds{100});
    t.expect_nothing();
    t.stack.set_options(id, {.cork = false});
    t.poll();
    t.expect_sent(seg().psh().ack_(1).seq_(1).data("first"));
}

TEST(TcpConnectionOptions, CorkLetsFullSegmentsGo) {
    TcpScript t;
    SocketId id = t.establish();
    t.stack.set_options(id, {.cork = true});
    t.write(id, as_bytes(std::string(1460 + 100, 'c')));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).data(std::string(1460, 'c')));
    t.expect_nothing();  // the 100 bytes wait for more
}

// Nothing in flight, no ACK to release the corked bytes: they go after an RTO (Linux's probe
// timer; tcp(7)'s "200 ms ceiling").
TEST(TcpConnectionOptions, CorkedBytesGoAfterAnRtoWhenNothingIsInFlight) {
    TcpScript t;
    SocketId id = t.establish();
    t.stack.set_options(id, {.cork = true});
    t.write(id, as_bytes("held"));
    t.poll();
    Duration rto = t.stack.info(id)->rto;
    t.advance(rto - std::chrono::milliseconds{1});
    t.expect_nothing();
    t.advance(std::chrono::milliseconds{1});
    t.expect_sent(seg().psh().ack_(1).seq_(1).data("held"));
}

TEST(TcpConnectionOptions, MsgMoreHoldsUntilAWriteWithoutIt) {
    TcpScript t;
    SocketId id = t.establish();
    ASSERT_EQ(*t.stack.write(id, as_bytes("ab"), true), 2u);
    t.poll();
    t.expect_nothing();
    ASSERT_EQ(*t.stack.write(id, as_bytes("cd"), false), 2u);
    t.poll();
    t.expect_sent(seg().psh().ack_(1).seq_(1).data("abcd"));
}

// An ACK of new data pushes what MSG_MORE held, with the connection's own Nagle setting.
TEST(TcpConnectionOptions, AnAckReleasesWhatMsgMoreHeld) {
    TcpScript t;
    SocketId id = t.establish();
    t.stack.set_nodelay(id, true);
    t.poll();
    ASSERT_EQ(*t.stack.write(id, as_bytes(std::string(2 * 1460 + 50, 'm')), true), 2 * 1460u + 50);
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).data(std::string(1460, 'm')));
    t.expect_sent(seg().ack_(1).seq_(1461).data(std::string(1460, 'm')));
    t.expect_nothing();
    t.peer_sends(seg().ack_(1461).seq_(1));
    t.expect_sent(seg().psh().ack_(1).seq_(2921).data(std::string(50, 'm')));
}

TEST(TcpConnectionOptions, KeepaliveTimingsPerConnection) {
    TcpScript t;
    SocketId id = t.establish();
    using std::chrono::seconds;
    t.stack.set_options(
        id, {.keepalive = true, .keepalive_idle = seconds{5}, .keepalive_interval = seconds{2}, .keepalive_probes = 1});
    t.advance(seconds{5});
    t.expect_sent(seg().ack_(1).seq_(0));
    t.advance(seconds{2});
    t.expect_sent(seg().rst().ack_(1).seq_(1));  // one probe unanswered is enough
    ASSERT_EQ(t.app.closed.size(), 1u);
    EXPECT_EQ(t.app.closed[0].second, CloseReason::TimedOut);
}

TEST(TcpConnectionOptions, ChangingKeepaliveTimingsKeepsItOn) {
    StackConfig config;
    config.tcp.keepalive = KeepaliveSettings{false, std::chrono::seconds{10}, std::chrono::seconds{1}, 3};
    TcpScript t(0, 1000, config);
    SocketId id = t.establish();
    t.stack.set_keepalive(id, true);
    t.stack.set_options(id, {.keepalive_idle = std::chrono::seconds{3}});
    t.advance(std::chrono::seconds{3});
    t.expect_sent(seg().ack_(1).seq_(0));
}

// The retransmissions come at 0.2 and 0.6 s; the timeout at 1.4 s finds the data a second
// old, past this connection's user timeout, and gives up instead of sending a third.
TEST(TcpConnectionOptions, UserTimeoutPerConnection) {
    using std::chrono::milliseconds;
    StackConfig config;
    config.tcp.tail_loss_probe = false;    // the retransmission timer alone
    config.tcp.max_retransmissions = 100;  // the time limit decides, not the count
    TcpScript t(0, 1000, config);
    SocketId id = t.establish();
    t.stack.set_options(id, {.user_timeout = milliseconds{1000}});
    t.write(id, as_bytes("void"));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("void"));
    for (Duration rto : {milliseconds{200}, milliseconds{400}}) {
        t.advance(rto);
        t.expect_sent(seg().ack_(1).seq_(1).psh().data("void"));
    }
    EXPECT_TRUE(t.app.closed.empty());
    t.advance(milliseconds{800});
    t.expect_nothing();  // no RST: the peer has been silent (Linux's tcp_write_err)
    ASSERT_EQ(t.app.closed.size(), 1u);
    EXPECT_EQ(t.app.closed[0].second, CloseReason::TimedOut);
}

}  // namespace
}  // namespace tapstack::test
