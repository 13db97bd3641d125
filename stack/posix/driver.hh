// SPDX-License-Identifier: MIT
// Driver: how a blocking socket call waits. The socket layer (sockets.hh) never spins and never
// starts a thread: a blocking call hands the driver a condition and a deadline, and the driver
// runs the world (polls the stack, lets time pass) until one of them is met. VirtualDriver is the
// one for tests and for `tapstack pkt`: time jumps from one event to the next (Stack::poll_at, a
// scheduled action), so a 3-second wait costs a handful of polls. A driver for real programs
// (poll(2) on the device fd until the next deadline, as apps/tapstack/host.cc's loop does) is
// not written yet: it would read the clock, which nothing under stack/ does.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "stack/base/time.hh"

namespace tapstack {

class Stack;

class Driver {
public:
    virtual ~Driver() = default;
    virtual Instant instant() const = 0;  // the current time, as the driver keeps it
    // Runs the world until ready() holds (true) or `deadline` passes (nullopt: none). Returns
    // false, too, when nothing is left that could ever make ready() hold.
    virtual bool run_until(const std::function<bool()>& ready, std::optional<Instant> deadline) = 0;
    // Lets the stack act at once on what a call just did (send the SYN, the data, the FIN), as a
    // system call does before it returns.
    virtual void flush() = 0;
};

class VirtualDriver final : public Driver {
public:
    explicit VirtualDriver(Instant start) : now_(start) {}

    // A stack to poll at every step (one, or both ends of a simulated link).
    void add(Stack& stack) { stacks_.push_back(&stack); }
    // Moves frames between the stacks' devices after they poll; returns true if any moved (then
    // they poll again at the same instant).
    void set_link(std::function<bool(Instant)> carry) { link_ = std::move(carry); }
    // Runs `action` (a scripted peer sends a frame, a test steps in) when time reaches `at`,
    // before the stacks poll at that instant.
    void at(Instant when, std::function<void()> action) { actions_.emplace(when, std::move(action)); }
    // Lets time pass until `t`, running everything due on the way.
    void advance_to(Instant t) {
        run_until([] { return false; }, t);
    }

    Instant instant() const override { return now_; }
    bool run_until(const std::function<bool()>& ready, std::optional<Instant> deadline) override;
    void flush() override { step(); }

    // Without a deadline, a wait gives up after this much virtual time (a peer that keeps a
    // connection alive with keep-alives would otherwise be waited for without end).
    Duration horizon = std::chrono::hours{24};

private:
    void step();  // due actions, then every stack polls at now_, frames carried until quiet
    std::optional<Instant> next_event() const;

    Instant now_;
    std::vector<Stack*> stacks_;
    std::function<bool(Instant)> link_;
    std::multimap<Instant, std::function<void()>> actions_;
};

}  // namespace tapstack
