// SPDX-License-Identifier: MIT
// Stack::read and Stack::write on an id that names no connection: an IoError, never the 0 that
// means "nothing to read" or "the send buffer is full", and nothing sent. A POSIX socket layer
// maps StaleSocket to EBADF and NotConnected to ENOTCONN.
#include "tests/support/tcp_script.hh"

namespace tapstack::test {

TEST(TcpStaleSocket, NothingToReadIsZeroBytesNotAnError) {
    TcpScript t;
    SocketId id = t.establish();
    uint8_t buf[16];
    auto r = t.stack.read(id, MutBytes{buf, sizeof buf});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, 0u);
}

TEST(TcpStaleSocket, ReadAndWriteAfterCloseAreStale) {
    TcpScript t;
    SocketId id = t.establish();
    t.stack.close(id);
    t.poll();
    t.expect_sent(seg().fin().ack_(1).seq_(1));
    EXPECT_EQ(t.state_of(id), TcpState::FinWait1);  // the connection lives on; the id does not
    uint8_t buf[16];
    auto r = t.stack.read(id, MutBytes{buf, sizeof buf});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), IoError::StaleSocket);
    auto w = t.stack.write(id, as_bytes("late"));
    ASSERT_FALSE(w.has_value());
    EXPECT_EQ(w.error(), IoError::StaleSocket);
    t.poll();
    t.expect_nothing();
}

TEST(TcpStaleSocket, ReadAndWriteAfterAResetAreStale) {
    TcpScript t;
    SocketId id = t.establish();
    t.peer_sends(seg().rst().seq_(1));
    ASSERT_EQ(t.app.closed.size(), 1u);
    EXPECT_EQ(t.app.closed[0].second, CloseReason::Reset);
    uint8_t buf[16];
    auto r = t.stack.read(id, MutBytes{buf, sizeof buf});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), IoError::StaleSocket);
    auto w = t.stack.write(id, as_bytes("late"));
    ASSERT_FALSE(w.has_value());
    EXPECT_EQ(w.error(), IoError::StaleSocket);
    t.poll();
    t.expect_nothing();
}

TEST(TcpStaleSocket, IdsThatNeverNamedAConnectionAreStale) {
    TcpScript t;
    SocketId id = t.establish();
    uint8_t buf[16];
    for (SocketId bad : {SocketId{}, SocketId{id.index, id.generation + 1}, SocketId{id.index + 100, 1}}) {
        auto r = t.stack.read(bad, MutBytes{buf, sizeof buf});
        ASSERT_FALSE(r.has_value()) << bad.index << "/" << bad.generation;
        EXPECT_EQ(r.error(), IoError::StaleSocket);
        auto w = t.stack.write(bad, as_bytes("x"));
        ASSERT_FALSE(w.has_value());
        EXPECT_EQ(w.error(), IoError::StaleSocket);
    }
    t.poll();
    t.expect_nothing();
}

TEST(TcpStaleSocket, AListenerCarriesNoData) {
    TcpScript t;
    auto listener = t.stack.listen(8080, t.app);
    ASSERT_TRUE(listener.has_value());
    uint8_t buf[16];
    auto r = t.stack.read(*listener, MutBytes{buf, sizeof buf});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), IoError::NotConnected);
    auto w = t.stack.write(*listener, as_bytes("x"));
    ASSERT_FALSE(w.has_value());
    EXPECT_EQ(w.error(), IoError::NotConnected);
}

}  // namespace tapstack::test
