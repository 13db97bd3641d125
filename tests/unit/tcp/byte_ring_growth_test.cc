// SPDX-License-Identifier: MIT
// ByteRing grows its memory with use: every byte, readable or written ahead, keeps its offset
// across a growth, also when the ring had wrapped. Released first blocks start later rings.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stack/tcp/byte_ring.hh"

namespace tapstack {

TEST(ByteRingGrowth, BytesKeepTheirOffsetsWhenTheRingGrowsWhileWrapped) {
    ByteRing ring(1 << 20);
    std::string first(3000, 'a');
    ASSERT_EQ(ring.push(as_bytes(first)), 3000u);
    ring.pop(2500);  // head moves near the end of the first 4 KiB
    std::string second(2000, 'b');
    ASSERT_EQ(ring.push(as_bytes(second)), 2000u);  // wraps inside the first allocation
    std::string ahead(100, 'z');
    ring.write_at(ring.size() + 50000, as_bytes(ahead));  // forces growth far beyond
    std::string out(ring.size(), '\0');
    ring.peek(0, MutBytes{reinterpret_cast<uint8_t*>(out.data()), out.size()});
    EXPECT_EQ(out, std::string(500, 'a') + second);
    std::string filler(50000, 'f');
    ring.write_at(ring.size(), as_bytes(filler));
    ring.commit(50000 + 100);
    std::string tail(100, '\0');
    ring.peek(ring.size() - 100, MutBytes{reinterpret_cast<uint8_t*>(tail.data()), tail.size()});
    EXPECT_EQ(tail, ahead);
}

TEST(ByteRingGrowth, ReleaseFreesAndTheRingWorksAgain) {
    ByteRing ring(65536);
    ring.push(as_bytes(std::string(10000, 'x')));
    ring.pop(10000);
    ring.release();
    ASSERT_EQ(ring.push(as_bytes("again")), 5u);
    auto [head, tail] = ring.view(0, 5);
    EXPECT_EQ(std::string(as_chars(head)) + std::string(as_chars(tail)), "again");
}

namespace {
const uint8_t* first_byte(const ByteRing& ring) { return ring.view(0, 1).first.data(); }
}  // namespace

TEST(ByteRingGrowth, AReleasedFirstBlockStartsTheNextRing) {
    ByteRing closing(65536);
    closing.push(as_bytes("reply"));
    const uint8_t* block = first_byte(closing);
    closing.pop(5);
    closing.release();  // as in TIME-WAIT
    ByteRing next(65536);
    next.push(as_bytes("request"));
    EXPECT_EQ(first_byte(next), block);
    auto [head, tail] = next.view(0, 7);
    EXPECT_EQ(std::string(as_chars(head)) + std::string(as_chars(tail)), "request");
}

TEST(ByteRingGrowth, TheFirstBlockOfAGrownRingIsKeptToo) {
    ByteRing growing(65536);
    growing.push(as_bytes("x"));
    const uint8_t* block = first_byte(growing);
    growing.push(as_bytes(std::string(5000, 'y')));  // 4 KiB -> 8 KiB
    EXPECT_NE(first_byte(growing), block);
    ByteRing next(65536);
    next.push(as_bytes("z"));
    EXPECT_EQ(first_byte(next), block);
}

TEST(ByteRingGrowth, TheCacheOfFirstBlocksIsBounded) {
    std::vector<ByteRing> rings;
    for (size_t i = 0; i < 2 * ByteRing::max_spare_blocks; ++i) {
        rings.emplace_back(65536);
        rings.back().push(as_bytes("x"));
    }
    EXPECT_EQ(ByteRing::spare_blocks(), 0u);  // the rings took every cached block
    for (ByteRing& r : rings) {
        r.pop(1);
        r.release();
    }
    EXPECT_EQ(ByteRing::spare_blocks(), ByteRing::max_spare_blocks);
}

}  // namespace tapstack
