// SPDX-License-Identifier: MIT
// Time is a parameter, never a syscall: the stack only sees `Instant`s handed to it by its caller.
// Real programs pass a monotonic clock (apps/tapstack/main.cc); tests pass a virtual clock.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>

namespace tapstack {

using Duration = std::chrono::microseconds;
using namespace std::chrono_literals;

// A point in time: microseconds since an arbitrary epoch chosen by whoever drives the stack.
struct Instant {
    Duration since_epoch{0};

    static constexpr Instant from_us(int64_t us) { return Instant{Duration{us}}; }
    static constexpr Instant from_ms(int64_t ms) { return Instant{std::chrono::milliseconds{ms}}; }
    constexpr int64_t us() const { return since_epoch.count(); }
    constexpr int64_t ms() const { return since_epoch.count() / 1000; }

    friend constexpr auto operator<=>(Instant, Instant) = default;
    friend constexpr Instant operator+(Instant a, Duration d) { return Instant{a.since_epoch + d}; }
    friend constexpr Instant operator-(Instant a, Duration d) { return Instant{a.since_epoch - d}; }
    friend constexpr Duration operator-(Instant a, Instant b) { return a.since_epoch - b.since_epoch; }
};

// A one-shot deadline. Armed or not; expired once `now` reaches the deadline.
class Timer {
public:
    void arm(Instant now, Duration after) { deadline_ = now + after; }
    void arm_at(Instant when) { deadline_ = when; }
    void disarm() { deadline_.reset(); }
    bool armed() const { return deadline_.has_value(); }
    bool expired(Instant now) const { return deadline_ && now >= *deadline_; }
    std::optional<Instant> deadline() const { return deadline_; }

private:
    std::optional<Instant> deadline_;
};

// The earlier of two optional deadlines (nullopt = "never").
inline std::optional<Instant> earliest(std::optional<Instant> a, std::optional<Instant> b) {
    if (!a) return b;
    if (!b) return a;
    return *a < *b ? a : b;
}

}  // namespace tapstack
