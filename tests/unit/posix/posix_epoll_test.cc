// SPDX-License-Identifier: MIT
// The socket layer's epoll: the instance as a descriptor, epoll_ctl's operations and errors,
// level- and edge-triggered readiness, EPOLLONESHOT, and epoll_wait's timeout in virtual time.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

#include "tests/unit/posix/posix_fixture.hh"

namespace tapstack::test {
namespace {

using std::chrono::milliseconds;

Bytes text(std::string_view s) { return Bytes{reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

class PosixEpollTest : public PosixTest {
protected:
    // An epoll instance watching `fd` for `events` (the event's data is the descriptor).
    int watching(int fd, uint32_t events) {
        int ep = *sockets.epoll_create1(0);
        EXPECT_EQ(errno_of(sockets.epoll_ctl(ep, EPOLL_CTL_ADD, fd, {events, static_cast<uint64_t>(fd)})), 0);
        return ep;
    }
    // What one epoll_wait returns now: the events of the one ready descriptor, or 0.
    uint32_t wait_now(int ep) {
        EpollEvent out[4];
        auto n = sockets.epoll_wait(ep, out, 0);
        EXPECT_TRUE(n.has_value());
        EXPECT_LE(n.value_or(0), 1);
        return n.value_or(0) == 1 ? out[0].events : 0;
    }
};

TEST_F(PosixEpollTest, EpollCreateGivesTheLowestFreeDescriptorAndCloseFreesIt) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    int ep = *sockets.epoll_create(1);
    EXPECT_EQ(ep, fd + 1);
    EXPECT_EQ(errno_of(sockets.close(ep)), 0);
    EXPECT_EQ(errno_of(sockets.close(ep)), EBADF);
    EXPECT_EQ(*sockets.epoll_create1(EPOLL_CLOEXEC), ep);
}

TEST_F(PosixEpollTest, EpollCreateWithABadSizeOrFlagIsEinval) {
    EXPECT_EQ(errno_of(sockets.epoll_create(0)), EINVAL);
    EXPECT_EQ(errno_of(sockets.epoll_create1(5)), EINVAL);
}

TEST_F(PosixEpollTest, EpollCtlErrorsAreLinuxs) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    int ep = *sockets.epoll_create1(0);
    EpollEvent in{EPOLLIN, 0};
    EXPECT_EQ(errno_of(sockets.epoll_ctl(ep, EPOLL_CTL_ADD, 99, in)), EBADF);
    EXPECT_EQ(errno_of(sockets.epoll_ctl(99, EPOLL_CTL_ADD, fd, in)), EBADF);
    EXPECT_EQ(errno_of(sockets.epoll_ctl(fd, EPOLL_CTL_ADD, fd, in)), EINVAL);  // not an epoll
    EXPECT_EQ(errno_of(sockets.epoll_ctl(ep, EPOLL_CTL_ADD, ep, in)), EINVAL);  // itself
    EXPECT_EQ(errno_of(sockets.epoll_ctl(ep, EPOLL_CTL_MOD, fd, in)), ENOENT);
    EXPECT_EQ(errno_of(sockets.epoll_ctl(ep, EPOLL_CTL_DEL, fd, in)), ENOENT);
    EXPECT_EQ(errno_of(sockets.epoll_ctl(ep, 7, fd, in)), EINVAL);
    EXPECT_EQ(errno_of(sockets.epoll_ctl(ep, EPOLL_CTL_ADD, fd, in)), 0);
    EXPECT_EQ(errno_of(sockets.epoll_ctl(ep, EPOLL_CTL_ADD, fd, in)), EEXIST);
    EXPECT_EQ(errno_of(sockets.epoll_ctl(ep, EPOLL_CTL_MOD, fd, {EPOLLIN | EPOLLEXCLUSIVE, 0})), EINVAL);
}

TEST_F(PosixEpollTest, EpollWaitErrorsAreLinuxs) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    int ep = *sockets.epoll_create1(0);
    EpollEvent out[1];
    EXPECT_EQ(errno_of(sockets.epoll_wait(ep, std::span<EpollEvent>{}, 0)), EINVAL);
    EXPECT_EQ(errno_of(sockets.epoll_wait(fd, out, 0)), EINVAL);
    EXPECT_EQ(errno_of(sockets.epoll_wait(99, out, 0)), EBADF);
}

TEST_F(PosixEpollTest, SocketCallsOnAnEpollDescriptorAreEnotsockAndReadIsEinval) {
    int ep = *sockets.epoll_create1(0);
    uint8_t b[1];
    int v = 0;
    EXPECT_EQ(errno_of(sockets.recv(ep, MutBytes{b, 1}, 0)), ENOTSOCK);
    EXPECT_EQ(errno_of(sockets.send(ep, text("x"), 0)), ENOTSOCK);
    EXPECT_EQ(errno_of(sockets.getsockopt(ep, SOL_SOCKET, SO_TYPE, MutBytes{reinterpret_cast<uint8_t*>(&v), 4})),
              ENOTSOCK);
    EXPECT_EQ(errno_of(sockets.readv(ep, {})), EINVAL);
    EXPECT_EQ(errno_of(sockets.ioctl(ep, FIONREAD, &v)), EINVAL);
}

TEST_F(PosixEpollTest, UnconnectedSocketReportsHupEvenWithNoEventsAsked) {
    int fd = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    int ep = watching(fd, 0);
    EXPECT_EQ(wait_now(ep), static_cast<uint32_t>(EPOLLHUP));
}

TEST_F(PosixEpollTest, LevelTriggeredReportsAtEveryWaitWhileReady) {
    int fd = accepted();
    int ep = watching(fd, EPOLLIN);
    EXPECT_EQ(wait_now(ep), 0u);
    peer(seg().seq_(1).ack_(1).data("x"));
    EXPECT_EQ(wait_now(ep), static_cast<uint32_t>(EPOLLIN));
    EXPECT_EQ(wait_now(ep), static_cast<uint32_t>(EPOLLIN));
    (void)read_all(fd);
    EXPECT_EQ(wait_now(ep), 0u);
}

TEST_F(PosixEpollTest, TheEventsDataComesBack) {
    int fd = accepted();
    int ep = *sockets.epoll_create1(0);
    ASSERT_EQ(errno_of(sockets.epoll_ctl(ep, EPOLL_CTL_ADD, fd, {EPOLLOUT, 0xfeedbeef})), 0);
    EpollEvent out[2];
    ASSERT_EQ(*sockets.epoll_wait(ep, out, 0), 1);
    EXPECT_EQ(out[0], (EpollEvent{EPOLLOUT, 0xfeedbeef}));
}

// packetdrill's epoll_in_edge: new data makes EPOLLIN come again, read or not; reading alone
// does not.
TEST_F(PosixEpollTest, EdgeTriggeredReportsOncePerArrival) {
    int fd = accepted();
    int ep = watching(fd, EPOLLIN | EPOLLOUT | EPOLLET);
    EXPECT_EQ(wait_now(ep), static_cast<uint32_t>(EPOLLOUT));
    EXPECT_EQ(wait_now(ep), 0u);
    peer(seg().seq_(1).ack_(1).data("ab"));
    EXPECT_EQ(wait_now(ep), static_cast<uint32_t>(EPOLLIN | EPOLLOUT));
    EXPECT_EQ(wait_now(ep), 0u);
    peer(seg().seq_(3).ack_(1).data("cd"));
    EXPECT_EQ(wait_now(ep), static_cast<uint32_t>(EPOLLIN | EPOLLOUT));
    uint8_t b[1];
    ASSERT_EQ(*sockets.read(fd, MutBytes{b, 1}), 1u);
    EXPECT_EQ(wait_now(ep), 0u);
}

TEST_F(PosixEpollTest, EdgeTriggeredReportsThePeersFinWithRdhup) {
    int fd = accepted();
    int ep = watching(fd, EPOLLIN | EPOLLRDHUP | EPOLLET);
    EXPECT_EQ(wait_now(ep), 0u);
    peer(seg().fin().seq_(1).ack_(1));
    EXPECT_EQ(wait_now(ep), static_cast<uint32_t>(EPOLLIN | EPOLLRDHUP));
    EXPECT_EQ(wait_now(ep), 0u);
}

TEST_F(PosixEpollTest, PeerResetReportsErrAndHup) {
    int fd = accepted();
    int ep = watching(fd, EPOLLIN | EPOLLET);
    peer(seg().rst().seq_(1));
    uint32_t events = wait_now(ep);
    EXPECT_TRUE(events & EPOLLERR);
    EXPECT_TRUE(events & EPOLLHUP);
}

TEST_F(PosixEpollTest, OneshotReportsOnceUntilModRearmsIt) {
    int fd = accepted();
    peer(seg().seq_(1).ack_(1).data("x"));
    int ep = watching(fd, EPOLLIN | EPOLLONESHOT);
    EXPECT_EQ(wait_now(ep), static_cast<uint32_t>(EPOLLIN));
    EXPECT_EQ(wait_now(ep), 0u);
    peer(seg().seq_(2).ack_(1).data("y"));
    EXPECT_EQ(wait_now(ep), 0u);
    ASSERT_EQ(errno_of(sockets.epoll_ctl(ep, EPOLL_CTL_MOD, fd, {EPOLLIN, 0})), 0);
    EXPECT_EQ(wait_now(ep), static_cast<uint32_t>(EPOLLIN));
}

TEST_F(PosixEpollTest, DelAndCloseTakeADescriptorOffTheList) {
    int fd = accepted();
    int ep = watching(fd, EPOLLOUT);
    ASSERT_EQ(errno_of(sockets.epoll_ctl(ep, EPOLL_CTL_DEL, fd, {})), 0);
    EXPECT_EQ(wait_now(ep), 0u);
    ASSERT_EQ(errno_of(sockets.epoll_ctl(ep, EPOLL_CTL_ADD, fd, {EPOLLOUT, 0})), 0);
    ASSERT_EQ(errno_of(sockets.close(fd)), 0);
    EXPECT_EQ(wait_now(ep), 0u);
    int again = *sockets.socket(AF_INET, SOCK_STREAM, 0);  // the same number, not on the list
    ASSERT_EQ(again, fd);
    EXPECT_EQ(errno_of(sockets.epoll_ctl(ep, EPOLL_CTL_DEL, again, {})), ENOENT);
}

TEST_F(PosixEpollTest, ListenerReportsEpollinWhenAConnectionWaits) {
    int l = listener();
    int ep = watching(l, EPOLLIN | EPOLLET);
    EXPECT_EQ(wait_now(ep), 0u);
    handshake();
    EXPECT_EQ(wait_now(ep), static_cast<uint32_t>(EPOLLIN));
}

TEST_F(PosixEpollTest, WaitTimesOutAtItsDeadline) {
    int fd = accepted();
    int ep = watching(fd, EPOLLIN);
    EpollEvent out[1];
    Instant start = driver.instant();
    EXPECT_EQ(*sockets.epoll_wait(ep, out, 250), 0);
    EXPECT_EQ(driver.instant() - start, milliseconds{250});
}

TEST_F(PosixEpollTest, BlockingWaitWakesWhenDataArrives) {
    int fd = accepted();
    int ep = watching(fd, EPOLLIN | EPOLLET);
    peer_at(milliseconds{30}, seg().seq_(1).ack_(1).data("x"));
    EpollEvent out[1];
    Instant start = driver.instant();
    EXPECT_EQ(*sockets.epoll_wait(ep, out, -1), 1);
    EXPECT_EQ(out[0].events, static_cast<uint32_t>(EPOLLIN));
    EXPECT_EQ(driver.instant() - start, milliseconds{30});
}

TEST_F(PosixEpollTest, MaxeventsLimitsTheEventsReturned) {
    int a = accepted();
    int b = *sockets.socket(AF_INET, SOCK_STREAM, 0);
    int ep = *sockets.epoll_create1(0);
    ASSERT_EQ(errno_of(sockets.epoll_ctl(ep, EPOLL_CTL_ADD, a, {EPOLLOUT, 1})), 0);
    ASSERT_EQ(errno_of(sockets.epoll_ctl(ep, EPOLL_CTL_ADD, b, {EPOLLOUT, 2})), 0);
    EpollEvent out[2];
    EXPECT_EQ(*sockets.epoll_wait(ep, std::span<EpollEvent>{out, 1}, 0), 1);
    EXPECT_EQ(*sockets.epoll_wait(ep, out, 0), 2);
}

// A writer that found the send buffer full is woken (EPOLLOUT, edge-triggered) once the peer's
// ACKs have freed a good part of it, not by every ACK.
TEST_F(PosixEpollTest, EdgeTriggeredEpolloutComesBackWhenAFullBufferDrains) {
    int fd = accepted();
    ASSERT_EQ(errno_of(sockets.fcntl(fd, F_SETFL, O_NONBLOCK)), 0);
    int ep = watching(fd, EPOLLOUT | EPOLLET);
    EXPECT_EQ(wait_now(ep), static_cast<uint32_t>(EPOLLOUT));
    std::string big(t.stack.config().tcp.send_buffer + 10000, 'x');
    size_t written = *sockets.write(fd, text(big));
    ASSERT_LT(written, big.size());
    EXPECT_EQ(wait_now(ep), 0u);
    uint32_t sent_end = 1, acked = 0;  // relative sequence numbers: data starts at 1
    auto drain = [&] {
        while (auto s = t.next_sent()) sent_end = std::max(sent_end, t.rel_seq(s->seq) + uint32_t(s->payload.size()));
    };
    drain();
    while (wait_now(ep) == 0 && acked + 1 < sent_end) {
        acked = std::min(acked + 1460, sent_end - 1);
        peer(seg().seq_(1).ack_(1 + acked).win(65535));
        drain();
    }
    EXPECT_GE(acked, written / 3);  // Linux wakes at a third of the buffer free
    EXPECT_LT(acked, written / 2);
    EXPECT_EQ(wait_now(ep), 0u);
}

}  // namespace
}  // namespace tapstack::test
