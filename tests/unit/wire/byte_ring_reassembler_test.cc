// SPDX-License-Identifier: MIT
// The receive side's storage: ByteRing (wrap-around, one- and two-span views, out-of-order
// writes made readable by commit) and Reassembler (range merging in every arrangement, the
// max_ranges bound, handing over what became contiguous).
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "stack/tcp/byte_ring.hh"
#include "stack/tcp/reassembler.hh"

namespace tapstack {
namespace {

std::string peek_all(const ByteRing& r) {
    std::string out(r.size(), '\0');
    r.peek(0, MutBytes{reinterpret_cast<uint8_t*>(out.data()), out.size()});
    return out;
}

std::string joined(std::pair<Bytes, Bytes> v) {
    return std::string{as_chars(v.first)} + std::string{as_chars(v.second)};
}

// A ring of capacity 8 whose front is at physical offset 4, holding "efghijk" (wrapped after "efgh").
ByteRing wrapped_ring() {
    ByteRing r(8);
    r.push(as_bytes("abcdef"));
    r.pop(4);
    r.push(as_bytes("ghijk"));
    return r;
}

// --- ByteRing -----------------------------------------------------------------------------

TEST(ByteRing, PushedBytesArePeekedInOrder) {
    ByteRing r(16);
    EXPECT_EQ(r.push(as_bytes("hello")), 5u);
    EXPECT_EQ(r.size(), 5u);
    EXPECT_EQ(r.free_space(), 11u);
    EXPECT_EQ(peek_all(r), "hello");
}

TEST(ByteRing, PushBeyondCapacityTakesWhatFits) {
    ByteRing r(4);
    EXPECT_EQ(r.push(as_bytes("abcdef")), 4u);
    EXPECT_EQ(r.push(as_bytes("x")), 0u);
    EXPECT_EQ(peek_all(r), "abcd");
    EXPECT_EQ(r.free_space(), 0u);
}

TEST(ByteRing, ZeroCapacityRingTakesNothing) {
    ByteRing r(0);
    EXPECT_EQ(r.push(as_bytes("a")), 0u);
    EXPECT_TRUE(r.empty());
}

TEST(ByteRing, PushAfterPopWrapsAroundTheEnd) {
    ByteRing r = wrapped_ring();
    EXPECT_EQ(r.size(), 7u);
    EXPECT_EQ(peek_all(r), "efghijk");
}

TEST(ByteRing, ViewAcrossTheWrapIsTwoSpans) {
    ByteRing r = wrapped_ring();
    auto [first, second] = r.view(0, 7);
    EXPECT_EQ(as_chars(first), "efgh");
    EXPECT_EQ(as_chars(second), "ijk");
}

TEST(ByteRing, ViewInsideOneSideHasAnEmptySecondSpan) {
    ByteRing r = wrapped_ring();
    auto before = r.view(1, 3);
    EXPECT_EQ(as_chars(before.first), "fgh");
    EXPECT_TRUE(before.second.empty());
    auto after = r.view(4, 3);  // starts past the physical end: one span at the front of memory
    EXPECT_EQ(as_chars(after.first), "ijk");
    EXPECT_TRUE(after.second.empty());
}

TEST(ByteRing, ViewAtEveryOffsetAndLengthMatchesPeek) {
    ByteRing r = wrapped_ring();
    for (size_t off = 0; off <= r.size(); ++off) {
        for (size_t len = 0; off + len <= r.size(); ++len) {
            std::string copy(len, '\0');
            r.peek(off, MutBytes{reinterpret_cast<uint8_t*>(copy.data()), len});
            EXPECT_EQ(joined(r.view(off, len)), copy) << "offset " << off << " len " << len;
        }
    }
}

TEST(ByteRing, EmptyViewIsTwoEmptySpans) {
    ByteRing r(8);
    auto [first, second] = r.view(0, 0);
    EXPECT_TRUE(first.empty());
    EXPECT_TRUE(second.empty());
}

TEST(ByteRing, WriteAtAheadStaysUnreadableUntilCommit) {
    ByteRing r(16);
    r.push(as_bytes("ab"));
    r.write_at(4, as_bytes("ef"));  // out of order: "cd" is missing
    EXPECT_EQ(r.size(), 2u);
    r.write_at(2, as_bytes("cd"));
    r.commit(4);
    EXPECT_EQ(r.size(), 6u);
    EXPECT_EQ(peek_all(r), "abcdef");
}

TEST(ByteRing, WriteAtAcrossTheWrapLandsInBothEnds) {
    ByteRing r(8);
    r.push(as_bytes("012345"));
    r.pop(5);  // front at physical 5, "5" readable
    r.write_at(1, as_bytes("6789ab"));
    r.commit(6);
    EXPECT_EQ(peek_all(r), "56789ab");
    auto [first, second] = r.view(0, 7);
    EXPECT_EQ(as_chars(first), "567");
    EXPECT_EQ(as_chars(second), "89ab");
}

TEST(ByteRing, PopToEmptyThenFillToCapacityWorks) {
    ByteRing r(5);
    r.push(as_bytes("abc"));
    r.pop(3);
    EXPECT_TRUE(r.empty());
    EXPECT_EQ(r.push(as_bytes("vwxyz")), 5u);
    EXPECT_EQ(peek_all(r), "vwxyz");
}

TEST(ByteRing, ReleaseWhenEmptyFreesAndStartsOver) {
    ByteRing r(8);
    r.push(as_bytes("abcdef"));
    r.pop(6);
    r.release();
    EXPECT_TRUE(r.empty());
    EXPECT_EQ(r.push(as_bytes("12345678")), 8u);
    auto [first, second] = r.view(0, 8);
    EXPECT_EQ(as_chars(first), "12345678");  // head went back to 0: one span
    EXPECT_TRUE(second.empty());
}

TEST(ByteRing, ReleaseWithDataKeepsIt) {
    ByteRing r(8);
    r.push(as_bytes("keep"));
    r.release();
    EXPECT_EQ(peek_all(r), "keep");
}

// --- Reassembler --------------------------------------------------------------------------

std::vector<std::pair<uint32_t, uint32_t>> ranges(const Reassembler& r) {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (size_t i = 0; i < r.count(); ++i) out.emplace_back(r.range(i).left.raw, r.range(i).right.raw);
    return out;
}
using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;

TEST(Reassembler, FirstRangeIsRecorded) {
    Reassembler r;
    EXPECT_TRUE(r.add(SeqNum{100}, SeqNum{200}));
    EXPECT_EQ(ranges(r), (Ranges{{100, 200}}));
    EXPECT_EQ(r.bytes(), 100u);
}

TEST(Reassembler, EmptyRangeIsIgnored) {
    Reassembler r;
    EXPECT_TRUE(r.add(SeqNum{100}, SeqNum{100}));
    EXPECT_TRUE(r.empty());
}

TEST(Reassembler, AdjacentRangesMerge) {
    Reassembler r;
    r.add(SeqNum{100}, SeqNum{200});
    r.add(SeqNum{200}, SeqNum{300});
    r.add(SeqNum{50}, SeqNum{100});
    EXPECT_EQ(ranges(r), (Ranges{{50, 300}}));
}

TEST(Reassembler, OverlappingRangesMerge) {
    Reassembler r;
    r.add(SeqNum{100}, SeqNum{200});
    r.add(SeqNum{150}, SeqNum{250});
    r.add(SeqNum{80}, SeqNum{120});
    EXPECT_EQ(ranges(r), (Ranges{{80, 250}}));
    EXPECT_EQ(r.bytes(), 170u);
}

TEST(Reassembler, ContainedRangeChangesNothing) {
    Reassembler r;
    r.add(SeqNum{100}, SeqNum{200});
    r.add(SeqNum{120}, SeqNum{130});
    EXPECT_EQ(ranges(r), (Ranges{{100, 200}}));
}

TEST(Reassembler, ContainingRangeSwallowsSeveral) {
    Reassembler r;
    r.add(SeqNum{10}, SeqNum{20});
    r.add(SeqNum{30}, SeqNum{40});
    r.add(SeqNum{50}, SeqNum{60});
    r.add(SeqNum{90}, SeqNum{95});
    r.add(SeqNum{5}, SeqNum{65});
    EXPECT_EQ(ranges(r), (Ranges{{5, 65}, {90, 95}}));
}

TEST(Reassembler, RangeBridgingTwoMergesThemIntoOne) {
    Reassembler r;
    r.add(SeqNum{10}, SeqNum{20});
    r.add(SeqNum{30}, SeqNum{40});
    r.add(SeqNum{50}, SeqNum{60});
    r.add(SeqNum{20}, SeqNum{30});
    EXPECT_EQ(ranges(r), (Ranges{{10, 40}, {50, 60}}));
}

TEST(Reassembler, OutOfOrderRangesStaySorted) {
    Reassembler r;
    r.add(SeqNum{500}, SeqNum{600});
    r.add(SeqNum{100}, SeqNum{200});
    r.add(SeqNum{300}, SeqNum{400});
    r.add(SeqNum{700}, SeqNum{800});
    EXPECT_EQ(ranges(r), (Ranges{{100, 200}, {300, 400}, {500, 600}, {700, 800}}));
    EXPECT_EQ(r.bytes(), 400u);
}

TEST(Reassembler, RangesMergeAcrossTheWrap) {
    Reassembler r;
    r.add(SeqNum{0x00000010u}, SeqNum{0x00000020u});
    r.add(SeqNum{0xfffffff0u}, SeqNum{0x00000000u});
    EXPECT_EQ(ranges(r), (Ranges{{0xfffffff0u, 0x00000000u}, {0x10, 0x20}}));
    r.add(SeqNum{0xfffffff8u}, SeqNum{0x00000012u});
    EXPECT_EQ(ranges(r), (Ranges{{0xfffffff0u, 0x20}}));
    EXPECT_EQ(r.bytes(), 0x30u);
}

TEST(Reassembler, RangeBeyondMaxRangesIsRefusedAndNothingRecorded) {
    Reassembler r;
    for (uint32_t k = 0; k < Reassembler::max_ranges; ++k)
        ASSERT_TRUE(r.add(SeqNum{100 * k + 10}, SeqNum{100 * k + 20}));
    const Ranges before = ranges(r);
    EXPECT_FALSE(r.add(SeqNum{5000}, SeqNum{5010}));
    EXPECT_FALSE(r.add(SeqNum{0}, SeqNum{5}));
    EXPECT_EQ(ranges(r), before);
    EXPECT_EQ(r.count(), Reassembler::max_ranges);
}

TEST(Reassembler, RangeThatMergesIsAcceptedWhenFull) {
    Reassembler r;
    for (uint32_t k = 0; k < Reassembler::max_ranges; ++k) r.add(SeqNum{100 * k + 10}, SeqNum{100 * k + 20});
    EXPECT_TRUE(r.add(SeqNum{15}, SeqNum{110}));  // joins the first two
    EXPECT_EQ(r.count(), Reassembler::max_ranges - 1);
    EXPECT_TRUE(r.add(SeqNum{5000}, SeqNum{5010}));
    EXPECT_EQ(r.count(), Reassembler::max_ranges);
}

TEST(Reassembler, TakeContiguousReturnsTheRangeStartingAtNext) {
    Reassembler r;
    r.add(SeqNum{100}, SeqNum{150});
    r.add(SeqNum{200}, SeqNum{250});
    EXPECT_EQ(r.take_contiguous(SeqNum{100}), 50u);
    EXPECT_EQ(ranges(r), (Ranges{{200, 250}}));
}

TEST(Reassembler, TakeContiguousWithAGapReturnsNothing) {
    Reassembler r;
    r.add(SeqNum{100}, SeqNum{150});
    EXPECT_EQ(r.take_contiguous(SeqNum{99}), 0u);
    EXPECT_EQ(r.count(), 1u);
}

TEST(Reassembler, TakeContiguousCountsOnlyBytesPastNext) {
    Reassembler r;
    r.add(SeqNum{100}, SeqNum{150});
    EXPECT_EQ(r.take_contiguous(SeqNum{120}), 30u);
    EXPECT_TRUE(r.empty());
}

TEST(Reassembler, TakeContiguousDropsRangesAlreadyBehindNext) {
    Reassembler r;
    r.add(SeqNum{100}, SeqNum{150});
    r.add(SeqNum{160}, SeqNum{170});
    r.add(SeqNum{300}, SeqNum{310});
    EXPECT_EQ(r.take_contiguous(SeqNum{200}), 0u);
    EXPECT_EQ(ranges(r), (Ranges{{300, 310}}));
}

TEST(Reassembler, TakeContiguousAcrossTheWrap) {
    Reassembler r;
    r.add(SeqNum{0xfffffffcu}, SeqNum{0x00000004u});
    EXPECT_EQ(r.take_contiguous(SeqNum{0xfffffffcu}), 8u);
    EXPECT_TRUE(r.empty());
}

TEST(Reassembler, ClearForgetsEverything) {
    Reassembler r;
    r.add(SeqNum{1}, SeqNum{2});
    r.clear();
    EXPECT_TRUE(r.empty());
    EXPECT_EQ(r.bytes(), 0u);
}

}  // namespace
}  // namespace tapstack
