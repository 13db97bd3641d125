// SPDX-License-Identifier: MIT
// Ipv4Reassembly on its own: every arrangement of fragments, every rule that refuses ambiguity,
// and every bound.
#include <gtest/gtest.h>

#include <numeric>

#include "stack/ip/ipv4_reassembly.hh"

namespace tapstack {
namespace {

const Ipv4Address a = Ipv4Address::from_octets(10, 0, 0, 1), b = Ipv4Address::from_octets(10, 0, 0, 2);

// One fragment of datagram `ident`: bytes [offset, offset + data.size()) of its payload.
struct Fragment {
    std::vector<uint8_t> bytes;
    Fragment(uint16_t ident, size_t offset, std::vector<uint8_t> data, bool more) {
        bytes.resize(Ipv4Header::len + data.size());
        Ipv4Header h{a, b, IpProtocol::Tcp, static_cast<uint16_t>(data.size()), ident};
        h.dont_fragment = false;
        h.more_fragments = more;
        h.fragment_offset = static_cast<uint16_t>(offset);
        h.emit(MutBytes{bytes});
        std::copy(data.begin(), data.end(), bytes.begin() + Ipv4Header::len);
    }
    Ipv4View view() const { return *Ipv4View::parse(Bytes{bytes}); }
};

std::vector<uint8_t> payload(size_t n, uint8_t seed = 0) {
    std::vector<uint8_t> p(n);
    std::iota(p.begin(), p.end(), seed);
    return p;
}
std::vector<uint8_t> slice(const std::vector<uint8_t>& p, size_t from, size_t n) {
    return {p.begin() + static_cast<std::ptrdiff_t>(from), p.begin() + static_cast<std::ptrdiff_t>(from + n)};
}

struct Rig {
    Rig() = default;
    explicit Rig(const Ipv4Reassembly::Limits& limits) : r(limits) {}
    Ipv4Reassembly r;
    Instant now = Instant::from_ms(1000);
    std::optional<DropReason> dropped;
    std::optional<std::vector<uint8_t>> add(const Fragment& f) {
        dropped.reset();
        auto whole = r.add(f.view(), now, &dropped);
        if (!whole) return std::nullopt;
        return std::vector<uint8_t>(whole->begin(), whole->end());
    }
};

void expect_datagram(const std::optional<std::vector<uint8_t>>& whole, const std::vector<uint8_t>& p) {
    ASSERT_TRUE(whole);
    auto ip = Ipv4View::parse(Bytes{*whole});
    ASSERT_TRUE(ip);  // a valid header, checksum included
    EXPECT_FALSE(ip->is_fragment());
    EXPECT_EQ(ip->src(), a);
    EXPECT_EQ(ip->protocol(), static_cast<uint8_t>(IpProtocol::Tcp));
    EXPECT_TRUE(std::equal(p.begin(), p.end(), ip->payload().begin(), ip->payload().end()));
}

TEST(Ipv4Reassembly, InOrder) {
    Rig t;
    auto p = payload(3000);
    EXPECT_FALSE(t.add({1, 0, slice(p, 0, 1480), true}));
    EXPECT_FALSE(t.add({1, 1480, slice(p, 1480, 1480), true}));
    expect_datagram(t.add({1, 2960, slice(p, 2960, 40), false}), p);
    EXPECT_EQ(t.r.in_progress(), 0u);
    EXPECT_EQ(t.r.bytes_buffered(), 0u);
}

TEST(Ipv4Reassembly, LastFirstAndShuffled) {
    Rig t;
    auto p = payload(64, 5);
    EXPECT_FALSE(t.add({2, 56, slice(p, 56, 8), false}));
    EXPECT_FALSE(t.add({2, 16, slice(p, 16, 40), true}));
    expect_datagram(t.add({2, 0, slice(p, 0, 16), true}), p);
}

TEST(Ipv4Reassembly, AnExactDuplicateIsIgnored) {
    Rig t;
    auto p = payload(32);
    EXPECT_FALSE(t.add({3, 0, slice(p, 0, 16), true}));
    EXPECT_FALSE(t.add({3, 0, slice(p, 0, 16), true}));
    EXPECT_FALSE(t.dropped);
    expect_datagram(t.add({3, 16, slice(p, 16, 16), false}), p);
}

TEST(Ipv4Reassembly, OverlapWithOtherBytesDropsTheWholeDatagram) {
    Rig t;
    auto p = payload(32);
    EXPECT_FALSE(t.add({4, 0, slice(p, 0, 16), true}));
    auto other = slice(p, 8, 16);
    other[0] ^= 0xff;
    EXPECT_FALSE(t.add({4, 8, other, true}));
    EXPECT_EQ(t.dropped, DropReason::Ipv4FragmentOverlap);
    EXPECT_EQ(t.r.in_progress(), 0u);
    EXPECT_FALSE(t.add({4, 16, slice(p, 16, 16), false}));  // a new datagram now, never complete
}

TEST(Ipv4Reassembly, APartialOverlapEvenWithTheSameBytesIsRefused) {
    Rig t;
    auto p = payload(48);
    EXPECT_FALSE(t.add({5, 0, slice(p, 0, 24), true}));
    EXPECT_FALSE(t.add({5, 16, slice(p, 16, 24), true}));  // reaches beyond what we hold
    EXPECT_EQ(t.dropped, DropReason::Ipv4FragmentOverlap);
}

TEST(Ipv4Reassembly, TwoDifferentEndsAreRefused) {
    Rig t;
    auto p = payload(48);
    EXPECT_FALSE(t.add({6, 32, slice(p, 32, 16), false}));
    EXPECT_FALSE(t.add({6, 24, slice(p, 24, 8), false}));
    EXPECT_EQ(t.dropped, DropReason::Ipv4FragmentOverlap);
}

TEST(Ipv4Reassembly, ANonFinalFragmentMustCarryAMultipleOfEight) {
    Rig t;
    EXPECT_FALSE(t.add({7, 0, payload(10), true}));
    EXPECT_EQ(t.dropped, DropReason::Ipv4FragmentMalformed);
}

TEST(Ipv4Reassembly, NothingBeyond64KiB) {
    Rig t;
    EXPECT_FALSE(t.add({8, 65512, payload(8), false}));  // 65520 > 65515
    EXPECT_EQ(t.dropped, DropReason::Ipv4FragmentTooBig);
}

TEST(Ipv4Reassembly, DatagramsOfDifferentIdentsStayApart) {
    Rig t;
    auto p = payload(16, 1), q = payload(16, 100);
    EXPECT_FALSE(t.add({9, 0, slice(p, 0, 8), true}));
    EXPECT_FALSE(t.add({10, 0, slice(q, 0, 8), true}));
    expect_datagram(t.add({10, 8, slice(q, 8, 8), false}), q);
    expect_datagram(t.add({9, 8, slice(p, 8, 8), false}), p);
}

TEST(Ipv4Reassembly, TheOldestIsEvictedWhenAllSlotsAreTaken) {
    Ipv4Reassembly::Limits limits;
    limits.max_datagrams = 2;
    Rig t{limits};
    auto p = payload(16);
    EXPECT_FALSE(t.add({11, 0, slice(p, 0, 8), true}));
    t.now = t.now + std::chrono::milliseconds{1};
    EXPECT_FALSE(t.add({12, 0, slice(p, 0, 8), true}));
    EXPECT_FALSE(t.add({13, 0, slice(p, 0, 8), true}));
    EXPECT_EQ(t.dropped, DropReason::Ipv4FragmentEvicted);
    EXPECT_EQ(t.r.in_progress(), 2u);
    expect_datagram(t.add({12, 8, slice(p, 8, 8), false}), p);
    EXPECT_FALSE(t.add({11, 8, slice(p, 8, 8), false}));  // its first half went with the eviction
}

TEST(Ipv4Reassembly, BytesAreCappedOverAllDatagrams) {
    Ipv4Reassembly::Limits limits;
    limits.max_bytes = 4000;
    Rig t{limits};
    EXPECT_FALSE(t.add({14, 0, payload(2000), true}));
    EXPECT_FALSE(t.add({15, 0, payload(2000), true}));
    EXPECT_FALSE(t.add({16, 0, payload(8), true}));
    EXPECT_EQ(t.dropped, DropReason::Ipv4FragmentNoMemory);
    EXPECT_LE(t.r.bytes_buffered(), 4000u);
}

TEST(Ipv4Reassembly, AnUnfinishedDatagramExpires) {
    Rig t;
    EXPECT_FALSE(t.add({17, 0, payload(8), true}));
    EXPECT_EQ(t.r.next_expiry(), t.now + std::chrono::seconds{30});
    EXPECT_EQ(t.r.expire(t.now + std::chrono::seconds{29}), 0u);
    EXPECT_EQ(t.r.expire(t.now + std::chrono::seconds{30}), 1u);
    EXPECT_EQ(t.r.bytes_buffered(), 0u);
    EXPECT_FALSE(t.r.next_expiry());
}

}  // namespace
}  // namespace tapstack
