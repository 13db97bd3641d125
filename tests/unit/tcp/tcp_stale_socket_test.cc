// SPDX-License-Identifier: MIT
// Stack::read and Stack::write on an id that names no connection: an IoError, never the 0 that
// means "nothing to read" or "the send buffer is full", and nothing sent. A POSIX socket layer
// maps StaleSocket to EBADF and NotConnected to ENOTCONN.
#include "tests/support/tcp_script.hh"

namespace tapstack::test {

namespace {

// Both calls on `id` fail with `want` (and so move no bytes).
void expect_io_error(Stack& stack, SocketId id, IoError want) {
    uint8_t buf[16];
    auto r = stack.read(id, MutBytes{buf, sizeof buf});
    ASSERT_FALSE(r.has_value()) << "read on " << id.index << "/" << id.generation;
    EXPECT_EQ(r.error(), want);
    auto w = stack.write(id, as_bytes("late"));
    ASSERT_FALSE(w.has_value()) << "write on " << id.index << "/" << id.generation;
    EXPECT_EQ(w.error(), want);
}

}  // namespace

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
    expect_io_error(t.stack, id, IoError::StaleSocket);
    t.poll();
    t.expect_nothing();
}

TEST(TcpStaleSocket, ReadAndWriteAfterAResetAreStale) {
    TcpScript t;
    SocketId id = t.establish();
    t.peer_sends(seg().rst().seq_(1));
    ASSERT_EQ(t.app.closed.size(), 1u);
    EXPECT_EQ(t.app.closed[0].second, CloseReason::Reset);
    expect_io_error(t.stack, id, IoError::StaleSocket);
    t.poll();
    t.expect_nothing();
}

TEST(TcpStaleSocket, IdsThatNeverNamedAConnectionAreStale) {
    TcpScript t;
    SocketId id = t.establish();
    for (SocketId bad : {SocketId{}, SocketId{id.index, id.generation + 1}, SocketId{id.index + 100, 1}})
        expect_io_error(t.stack, bad, IoError::StaleSocket);
    t.poll();
    t.expect_nothing();
}

TEST(TcpStaleSocket, AListenerCarriesNoData) {
    TcpScript t;
    auto listener = t.stack.listen(8080, t.app);
    ASSERT_TRUE(listener.has_value());
    expect_io_error(t.stack, *listener, IoError::NotConnected);
}

}  // namespace tapstack::test
