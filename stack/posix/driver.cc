// SPDX-License-Identifier: MIT
// VirtualDriver (driver.hh): virtual time that jumps from event to event.
#include "stack/posix/driver.hh"

#include <algorithm>

#include "stack/stack.hh"

namespace tapstack {

void VirtualDriver::step() {
    while (!actions_.empty() && actions_.begin()->first <= now_) {
        auto action = std::move(actions_.begin()->second);
        actions_.erase(actions_.begin());
        action();
    }
    // Two stacks answering each other at the same instant settle within a few rounds.
    for (int round = 0; round < 64; ++round) {
        for (Stack* s : stacks_) s->poll(now_);
        if (!link_ || !link_(now_)) break;
    }
}

std::optional<Instant> VirtualDriver::next_event() const {
    std::optional<Instant> at;
    if (!actions_.empty()) at = actions_.begin()->first;
    for (const Stack* s : stacks_) at = earliest(at, s->poll_at());
    return at;
}

bool VirtualDriver::run_until(const std::function<bool()>& ready, std::optional<Instant> deadline) {
    Instant give_up = deadline.value_or(now_ + horizon);
    for (;;) {
        step();
        if (ready()) return true;
        std::optional<Instant> next = next_event();
        if (!next || *next > give_up) {
            // Nothing happens before the deadline: time still passes up to it.
            if (!deadline || *deadline <= now_) return false;
            now_ = *deadline;
            step();
            return ready();
        }
        // A deadline never lies in the past after a poll; the microsecond guards against a
        // stack that says otherwise, so the loop always moves on.
        now_ = std::max(*next, now_ + std::chrono::microseconds{1});
    }
}

}  // namespace tapstack
