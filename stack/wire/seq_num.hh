// SPDX-License-Identifier: MIT
// TCP sequence numbers: 32-bit values compared modulo 2^32 (RFC 9293 §3.4). Plain `<` on raw
// integers breaks at wrap-around, so SeqNum only offers the wrap-safe comparisons.
#pragma once

#include <fmt/format.h>

#include <cstdint>

namespace tapstack {

struct SeqNum {
    uint32_t raw = 0;

    constexpr SeqNum() = default;
    constexpr explicit SeqNum(uint32_t v) : raw(v) {}

    friend constexpr bool operator==(SeqNum a, SeqNum b) { return a.raw == b.raw; }
    // ASSIGNMENT seq_num: BEGIN
    friend constexpr bool operator<(SeqNum a, SeqNum b) { return static_cast<int32_t>(a.raw - b.raw) < 0; }
    // ASSIGNMENT seq_num: STUB
    // // Wrong once the numbers wrap around 2^32: compare them as RFC 9293 §3.4 does.
    // friend constexpr bool operator<(SeqNum a, SeqNum b) { return a.raw < b.raw; }
    // ASSIGNMENT seq_num: END
    friend constexpr bool operator>(SeqNum a, SeqNum b) { return b < a; }
    friend constexpr bool operator<=(SeqNum a, SeqNum b) { return !(b < a); }
    friend constexpr bool operator>=(SeqNum a, SeqNum b) { return !(a < b); }
    friend constexpr SeqNum operator+(SeqNum a, uint32_t n) { return SeqNum{a.raw + n}; }
    friend constexpr SeqNum operator-(SeqNum a, uint32_t n) { return SeqNum{a.raw - n}; }
    // Signed distance a - b; meaningful while the two are within 2^31 of each other.
    friend constexpr int32_t operator-(SeqNum a, SeqNum b) { return static_cast<int32_t>(a.raw - b.raw); }
    SeqNum& operator+=(uint32_t n) {
        raw += n;
        return *this;
    }
};

// ASSIGNMENT seq_num: BEGIN
static_assert(SeqNum{0xffffffffu} < SeqNum{1});
// ASSIGNMENT seq_num: STUB
// ASSIGNMENT seq_num: END
static_assert(SeqNum{1} - SeqNum{0xffffffffu} == 2);

// lo <= x < hi, modulo 2^32 (an empty range when lo == hi).
constexpr bool seq_in_range(SeqNum lo, SeqNum x, SeqNum hi) { return lo <= x && x < hi; }
constexpr SeqNum seq_max(SeqNum a, SeqNum b) { return a < b ? b : a; }
constexpr SeqNum seq_min(SeqNum a, SeqNum b) { return a < b ? a : b; }

}  // namespace tapstack

template <>
struct fmt::formatter<tapstack::SeqNum> : fmt::formatter<uint32_t> {
    template <typename Ctx>
    auto format(tapstack::SeqNum s, Ctx& ctx) const {
        return fmt::formatter<uint32_t>::format(s.raw, ctx);
    }
};
