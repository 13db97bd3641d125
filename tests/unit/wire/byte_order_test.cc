// SPDX-License-Identifier: MIT
// Network byte order (stack/base/byte_order.hh): the most significant byte first, at any offset,
// and what is stored reads back the same.
#include <gtest/gtest.h>

#include <array>

#include "stack/base/byte_order.hh"

namespace tapstack {
namespace {

// The first bytes of the article's SYN (No6): source port 51234 (0xc822), destination port 80.
constexpr std::array<uint8_t, 8> tcp_start = {0xc8, 0x22, 0x00, 0x50, 0x12, 0x34, 0x56, 0x78};

TEST(ByteOrder, Load16ReadsTheMostSignificantByteFirst) {
    EXPECT_EQ(load_be16(tcp_start, 0), 51234);
    EXPECT_EQ(load_be16(tcp_start, 2), 80);
    EXPECT_EQ(load_be16(tcp_start, 3), 0x5012);  // at any offset, aligned or not
}

TEST(ByteOrder, Load32ReadsTheMostSignificantByteFirst) {
    EXPECT_EQ(load_be32(tcp_start, 4), 0x12345678u);
    EXPECT_EQ(load_be32(tcp_start, 0), 0xc8220050u);
    EXPECT_EQ(load_be32(tcp_start, 1), 0x22005012u);
}

TEST(ByteOrder, StoresWriteTheMostSignificantByteFirstAndNothingElse) {
    std::array<uint8_t, 8> b{};
    b.fill(0xee);
    store_be16(b, 1, 0xabcd);
    store_be32(b, 3, 0x01020304);
    EXPECT_EQ(b, (std::array<uint8_t, 8>{0xee, 0xab, 0xcd, 0x01, 0x02, 0x03, 0x04, 0xee}));
}

TEST(ByteOrder, WhatIsStoredReadsBack) {
    std::array<uint8_t, 6> b{};
    for (uint32_t v : {0u, 1u, 0x80u, 0xffffu, 0x10000u, 0x80000000u, 0xffffffffu}) {
        store_be32(b, 2, v);
        EXPECT_EQ(load_be32(b, 2), v);
        store_be16(b, 0, static_cast<uint16_t>(v));
        EXPECT_EQ(load_be16(b, 0), static_cast<uint16_t>(v));
    }
}

TEST(ByteOrder, UsableInConstantExpressions) {
    // (Checked at run time, so that a starter tree's stub still compiles.)
    constexpr std::array<uint8_t, 2> two = {0x01, 0x02};
    constexpr uint16_t v = load_be16(two, 0);
    EXPECT_EQ(v, 0x0102);
}

}  // namespace
}  // namespace tapstack
