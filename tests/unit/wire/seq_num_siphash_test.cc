// SPDX-License-Identifier: MIT
// Sequence numbers compared modulo 2^32 (RFC 9293 §3.4), and SipHash-2-4 against the reference
// vectors of Aumasson and Bernstein (key 00..0f, message 00..len-1).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <vector>

#include "stack/base/siphash.hh"
#include "stack/wire/seq_num.hh"

namespace tapstack {
namespace {

// --- SeqNum -------------------------------------------------------------------------------

TEST(SeqNum, OrderHoldsAcrossTheWrap) {
    const SeqNum before_wrap{0xfffffff0u};
    const SeqNum after_wrap{0x00000010u};
    EXPECT_TRUE(before_wrap < after_wrap);
    EXPECT_TRUE(after_wrap > before_wrap);
    EXPECT_TRUE(before_wrap <= after_wrap);
    EXPECT_TRUE(after_wrap >= before_wrap);
    EXPECT_FALSE(after_wrap < before_wrap);
}

TEST(SeqNum, EqualNumbersAreNeitherLessNorGreater) {
    const SeqNum a{0x80000000u};
    EXPECT_FALSE(a < a);
    EXPECT_FALSE(a > a);
    EXPECT_TRUE(a <= a);
    EXPECT_TRUE(a >= a);
    EXPECT_EQ(a, SeqNum{0x80000000u});
}

TEST(SeqNum, AdditionWrapsModulo2To32) {
    EXPECT_EQ(SeqNum{0xffffffffu} + 1, SeqNum{0});
    EXPECT_EQ(SeqNum{0xfffffff0u} + 0x20, SeqNum{0x10});
    EXPECT_EQ(SeqNum{5} - 10, SeqNum{0xfffffffbu});
    SeqNum s{0xfffffffeu};
    s += 3;
    EXPECT_EQ(s, SeqNum{1});
}

TEST(SeqNum, DifferenceIsSignedAndWrapSafe) {
    EXPECT_EQ(SeqNum{0x10} - SeqNum{0xfffffff0u}, 0x20);
    EXPECT_EQ(SeqNum{0xfffffff0u} - SeqNum{0x10}, -0x20);
    EXPECT_EQ(SeqNum{1000} - SeqNum{1000}, 0);
}

TEST(SeqNum, MoreThanHalfTheSpaceAheadCountsAsBehind) {
    const SeqNum base{0xc0000000u};
    EXPECT_TRUE(base < base + 0x7fffffffu);
    EXPECT_TRUE(base + 0x80000001u < base);
}

TEST(SeqNum, InRangeIsHalfOpenAcrossTheWrap) {
    const SeqNum lo{0xfffffffeu};
    const SeqNum hi{0x00000002u};
    EXPECT_TRUE(seq_in_range(lo, SeqNum{0xfffffffeu}, hi));
    EXPECT_TRUE(seq_in_range(lo, SeqNum{0xffffffffu}, hi));
    EXPECT_TRUE(seq_in_range(lo, SeqNum{0}, hi));
    EXPECT_TRUE(seq_in_range(lo, SeqNum{1}, hi));
    EXPECT_FALSE(seq_in_range(lo, SeqNum{2}, hi));
    EXPECT_FALSE(seq_in_range(lo, SeqNum{0xfffffffdu}, hi));
}

TEST(SeqNum, InRangeWithEqualEndsIsEmpty) {
    EXPECT_FALSE(seq_in_range(SeqNum{7}, SeqNum{7}, SeqNum{7}));
    EXPECT_FALSE(seq_in_range(SeqNum{0}, SeqNum{0}, SeqNum{0}));
}

TEST(SeqNum, MaxAndMinFollowWrapOrder) {
    EXPECT_EQ(seq_max(SeqNum{0xfffffff0u}, SeqNum{3}), SeqNum{3});
    EXPECT_EQ(seq_min(SeqNum{0xfffffff0u}, SeqNum{3}), SeqNum{0xfffffff0u});
}

TEST(SeqNum, FormatsAsTheRawNumber) { EXPECT_EQ(fmt::format("{}", SeqNum{4294967295u}), "4294967295"); }

// --- SipHash-2-4 --------------------------------------------------------------------------

constexpr uint64_t k0 = 0x0706050403020100ull;  // key bytes 00..07, little-endian
constexpr uint64_t k1 = 0x0f0e0d0c0b0a0908ull;  // key bytes 08..0f

uint64_t siphash_of_first(size_t len) {
    std::vector<uint8_t> message(len);
    for (size_t i = 0; i < len; ++i) message[i] = static_cast<uint8_t>(i);
    return siphash24(k0, k1, message);
}

TEST(SipHash24, EmptyMessageMatchesReferenceVector) { EXPECT_EQ(siphash_of_first(0), 0x726fdb47dd0e0e31ull); }

TEST(SipHash24, OneByteMessageMatchesReferenceVector) { EXPECT_EQ(siphash_of_first(1), 0x74f839c593dc67fdull); }

TEST(SipHash24, SevenByteMessageMatchesReferenceVector) { EXPECT_EQ(siphash_of_first(7), 0xab0200f58b01d137ull); }

TEST(SipHash24, ExactlyOneBlockMatchesReferenceVector) { EXPECT_EQ(siphash_of_first(8), 0x93f5f5799a932462ull); }

TEST(SipHash24, FifteenByteMessageMatchesReferenceVector) { EXPECT_EQ(siphash_of_first(15), 0xa129ca6149be45e5ull); }

TEST(SipHash24, TwoBlocksMatchReferenceVector) { EXPECT_EQ(siphash_of_first(16), 0x3f2acc7f57c29bdbull); }

TEST(SipHash24, DifferentKeyGivesADifferentHash) {
    const std::vector<uint8_t> message = {1, 2, 3};
    EXPECT_NE(siphash24(k0, k1, message), siphash24(k0 ^ 1, k1, message));
    EXPECT_NE(siphash24(k0, k1, message), siphash24(k0, k1 ^ (1ull << 63), message));
}

}  // namespace
}  // namespace tapstack
