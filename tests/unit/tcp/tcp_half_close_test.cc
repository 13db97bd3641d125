// SPDX-License-Identifier: MIT
// Half-close through the Stack API (Stack::shutdown_write, shutdown(SHUT_WR) in the socket layer):
// our FIN goes, the application keeps its id and reads on until the peer's FIN; FIN-WAIT-2 times
// out only once the application has closed. And the accept-queue limit (Stack::set_accept_room).
#include <gtest/gtest.h>

#include "tests/support/tcp_script.hh"

namespace tapstack::test {

using std::chrono::seconds;

TEST(TcpHalfClose, ShutdownWriteSendsFinAndTheApplicationReadsOn) {
    TcpScript t;
    SocketId id = t.establish();
    t.stack.shutdown_write(id);
    t.poll();
    t.expect_sent(seg().fin().seq_(1).ack_(1));
    EXPECT_EQ(t.state_of(id), TcpState::FinWait1);
    t.peer_sends(seg().seq_(1).ack_(2).data("after"));
    t.expect_sent(seg().seq_(2).ack_(6));
    EXPECT_EQ(t.app.received, "after");
    EXPECT_EQ(t.state_of(id), TcpState::FinWait2);
}

TEST(TcpHalfClose, ShutdownWriteInCloseWaitSendsFinAndEntersLastAck) {
    TcpScript t;
    SocketId id = t.close_wait();
    t.stack.shutdown_write(id);
    t.poll();
    t.expect_sent(seg().fin().seq_(1).ack_(2));
    EXPECT_EQ(t.state_of(id), TcpState::LastAck);
}

TEST(TcpHalfClose, FinWait2WaitsForTheApplicationNotForATimer) {
    TcpScript t;
    SocketId id = t.establish();
    t.stack.shutdown_write(id);
    t.poll();
    t.expect_sent(seg().fin().seq_(1).ack_(1));
    t.peer_sends(seg().seq_(1).ack_(2));
    t.advance(seconds{600});
    EXPECT_EQ(t.state_of(id), TcpState::FinWait2);
    t.stack.close(id);  // orphaned now: the FIN-WAIT-2 timeout (60 s) starts
    t.poll();
    t.advance(seconds{59});
    EXPECT_EQ(t.stack.connection_count(), 1u);
    t.advance(seconds{2});
    EXPECT_EQ(t.stack.connection_count(), 0u);
    t.expect_nothing();  // silently, as an orphaned FIN-WAIT-2 always went
}

TEST(TcpHalfClose, PeekLeavesTheBytesInTheReceiveBuffer) {
    TcpScript t;
    t.app.auto_read = false;
    SocketId id = t.establish();
    t.peer_sends(seg().seq_(1).ack_(1).data("abc"));
    uint8_t b[8];
    EXPECT_EQ(t.stack.peek(id, MutBytes{b, 8}).value_or(0), 3u);
    EXPECT_EQ(t.stack.readable_bytes(id), 3u);
}

TEST(TcpAcceptQueue, NoRoomDropsTheSynAndRoomTakesItAgain) {
    TcpScript t;
    auto listener = t.stack.listen(8080, t.app);
    ASSERT_TRUE(listener.has_value());
    t.stack.set_accept_room(*listener, 0u);
    Seg syn = seg().syn().seq_(0).mss_(1460);
    syn.dst_port = 8080;
    t.peer_sends(syn);
    t.expect_nothing();
    EXPECT_EQ(t.stack.stats().drops(DropReason::TcpAcceptQueueFull), 1u);
    t.stack.set_accept_room(*listener, 1u);
    t.peer_sends(syn);
    t.expect_sent(seg().syn().seq_(0).ack_(1));
}

TEST(TcpAcceptQueue, EachCompletedHandshakeTakesOneRoom) {
    TcpScript t;
    auto listener = t.stack.listen(8080, t.app);
    ASSERT_TRUE(listener.has_value());
    t.stack.set_accept_room(*listener, 1u);
    Seg syn = seg().syn().seq_(0).mss_(1460), ack = seg().seq_(1).ack_(1);
    syn.dst_port = ack.dst_port = 8080;
    t.peer_sends(syn);
    t.expect_sent(seg().syn().seq_(0).ack_(1));
    t.peer_sends(ack);
    EXPECT_EQ(t.app.accepted.size(), 1u);
    syn.src_port = 40001;  // a second peer finds no room
    t.peer_sends(syn);
    t.expect_nothing();
}

}  // namespace tapstack::test
