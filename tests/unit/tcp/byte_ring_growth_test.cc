// SPDX-License-Identifier: MIT
// ByteRing grows its memory with use: every byte, readable or written ahead, keeps its offset
// across a growth, also when the ring had wrapped.
#include <gtest/gtest.h>

#include <string>

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

}  // namespace tapstack
