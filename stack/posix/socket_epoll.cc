// SPDX-License-Identifier: MIT
// Sockets (sockets.hh): epoll. An epoll instance is a descriptor of the socket table holding an
// interest list; epoll_wait reports each socket's poll() readiness (socket_io.cc) filtered by
// the events asked for. Level-triggered, a ready socket is reported at every wait. Edge-
// triggered (EPOLLET), it is reported once per wake-up the stack gave it (data or room came, it
// connected, it closed; Socket::wakeups), as Linux reports on its wait-queue callbacks: new data
// makes EPOLLIN come again even if the old was never read. EPOLLONESHOT reports once, until
// EPOLL_CTL_MOD. The errno values follow Linux's do_epoll_ctl and do_epoll_wait.
#include <sys/epoll.h>

#include <cerrno>

#include "stack/posix/sockets.hh"

namespace tapstack {

SysResult<int> Sockets::epoll_create(int size) {
    if (size <= 0) return sys_error(EINVAL);
    return epoll_create1(0);
}

SysResult<int> Sockets::epoll_create1(int flags) {
    if ((flags & ~EPOLL_CLOEXEC) != 0) return sys_error(EINVAL);
    return allocate(Epoll{});
}

SysResult<int> Sockets::epoll_ctl(int epfd, int op, int fd, EpollEvent event) {
    Epoll* epoll = find_epoll(epfd);
    if (!epoll && !find(epfd)) return sys_error(EBADF);
    if (!find(fd) && !find_epoll(fd)) return sys_error(EBADF);
    // An epoll inside an epoll is not supported here (Linux nests them).
    if (!epoll || fd == epfd || !find(fd)) return sys_error(EINVAL);
    auto it = epoll->interests.find(fd);
    switch (op) {
    case EPOLL_CTL_ADD:
        if (it != epoll->interests.end()) return sys_error(EEXIST);
        epoll->interests.emplace(fd, Epoll::Interest{event, std::nullopt, false});
        return 0;
    case EPOLL_CTL_MOD:
        if (it == epoll->interests.end()) return sys_error(ENOENT);
        if ((event.events & EPOLLEXCLUSIVE) != 0) return sys_error(EINVAL);
        it->second = Epoll::Interest{event, std::nullopt, false};  // readiness is looked at afresh
        return 0;
    case EPOLL_CTL_DEL:
        if (it == epoll->interests.end()) return sys_error(ENOENT);
        epoll->interests.erase(it);
        return 0;
    default: return sys_error(EINVAL);
    }
}

// The events to report for `fd` now (0: none). With `report`, the interest records that they
// were reported (EPOLLET, EPOLLONESHOT); without, this only looks.
uint32_t Sockets::epoll_ready(Epoll::Interest& interest, int fd, bool report) {
    const Socket* s = find(fd);
    if (!s || interest.disarmed) return 0;
    // EPOLLERR and EPOLLHUP are reported whether asked for or not, as by poll().
    uint32_t wanted = interest.event.events | EPOLLERR | EPOLLHUP;
    uint32_t ready = static_cast<uint16_t>(readiness(*s)) & wanted;
    bool edge = (interest.event.events & EPOLLET) != 0;
    if (ready == 0 || (edge && interest.seen == s->wakeups)) return 0;
    if (report) {
        interest.seen = s->wakeups;
        interest.disarmed = (interest.event.events & EPOLLONESHOT) != 0;
    }
    return ready;
}

int Sockets::epoll_collect(Epoll& epoll, std::span<EpollEvent> out) {
    size_t n = 0;
    for (auto& [fd, interest] : epoll.interests) {
        if (n == out.size()) break;
        if (uint32_t ready = epoll_ready(interest, fd, true)) out[n++] = EpollEvent{ready, interest.event.data};
    }
    return static_cast<int>(n);
}

SysResult<int> Sockets::epoll_wait(int epfd, std::span<EpollEvent> events, int timeout_ms) {
    if (events.empty()) return sys_error(EINVAL);
    Epoll* epoll = find_epoll(epfd);
    if (!epoll) return sys_error(find(epfd) ? EINVAL : EBADF);
    auto any_ready = [this, epoll] {
        for (auto& [fd, interest] : epoll->interests) {
            if (epoll_ready(interest, fd, false) != 0) return true;
        }
        return false;
    };
    if (!any_ready() && timeout_ms != 0) {
        std::optional<Instant> deadline;
        if (timeout_ms > 0) deadline = driver_.instant() + std::chrono::milliseconds{timeout_ms};
        (void)driver_.run_until(any_ready, deadline);
    }
    return epoll_collect(*epoll, events);
}

void Sockets::forget_in_epolls(int fd) {
    for (Slot& slot : table_) {
        if (Epoll* epoll = std::get_if<Epoll>(&slot)) epoll->interests.erase(fd);
    }
}

}  // namespace tapstack
