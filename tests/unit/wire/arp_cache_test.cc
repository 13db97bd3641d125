// SPDX-License-Identifier: MIT
// The ARP cache's bookkeeping, in virtual time: lookups and expiry, frames queued while an
// address resolves (bounded per entry), the cap on entries, and requests retried then given up.
#include <gtest/gtest.h>

#include <vector>

#include "stack/link/arp_cache.hh"

namespace tapstack {
namespace {

using namespace std::chrono_literals;

const Ipv4Address peer = Ipv4Address::from_octets(10, 0, 0, 2);
const Ipv4Address other = Ipv4Address::from_octets(10, 0, 0, 3);
const Ipv4Address third = Ipv4Address::from_octets(10, 0, 0, 4);
const MacAddress peer_mac{{0x02, 0, 0, 0, 0, 0x02}};
const MacAddress other_mac{{0x02, 0, 0, 0, 0, 0x03}};

constexpr Instant t0 = Instant::from_ms(10'000);

std::vector<uint8_t> frame(uint8_t tag) { return {tag, tag, tag}; }

ArpCache::Limits small_limits() {
    ArpCache::Limits l;
    l.max_entries = 2;
    l.max_queued_per_entry = 3;
    l.entry_lifetime = 60s;
    l.retry_interval = 1s;
    l.max_requests = 3;
    return l;
}

TEST(ArpCache, UnknownAddressHasNoMac) {
    ArpCache c;
    EXPECT_FALSE(c.lookup(peer, t0));
    EXPECT_FALSE(c.contains(peer));
}

TEST(ArpCache, LearnedAddressIsFound) {
    ArpCache c;
    EXPECT_TRUE(c.learn(peer, peer_mac, t0).empty());
    EXPECT_EQ(c.lookup(peer, t0), peer_mac);
    EXPECT_TRUE(c.contains(peer));
}

TEST(ArpCache, EntryExpiresAtTheEndOfItsLifetime) {
    ArpCache c(small_limits());
    c.learn(peer, peer_mac, t0);
    EXPECT_EQ(c.lookup(peer, t0 + 59'999ms), peer_mac);
    EXPECT_FALSE(c.lookup(peer, t0 + 60s));
}

TEST(ArpCache, PollRemovesExpiredEntry) {
    ArpCache c(small_limits());
    c.learn(peer, peer_mac, t0);
    auto e = c.poll(t0 + 60s);
    EXPECT_TRUE(e.retry.empty());
    EXPECT_EQ(e.frames_dropped, 0u);
    EXPECT_EQ(c.size(), 0u);
}

TEST(ArpCache, LearningAgainExtendsTheLifetime) {
    ArpCache c(small_limits());
    c.learn(peer, peer_mac, t0);
    c.learn(peer, peer_mac, t0 + 30s);
    EXPECT_EQ(c.lookup(peer, t0 + 80s), peer_mac);
}

TEST(ArpCache, FirstQueuedFrameAsksForARequestAndLaterOnesWait) {
    ArpCache c(small_limits());
    EXPECT_EQ(c.enqueue(peer, frame(1), t0), ArpCache::QueueResult::SendRequest);
    EXPECT_EQ(c.enqueue(peer, frame(2), t0), ArpCache::QueueResult::Queued);
    EXPECT_TRUE(c.contains(peer));
    EXPECT_FALSE(c.lookup(peer, t0));
}

TEST(ArpCache, ReplyReleasesWaitingFramesInOrder) {
    ArpCache c(small_limits());
    c.enqueue(peer, frame(1), t0);
    c.enqueue(peer, frame(2), t0);
    auto out = c.learn(peer, peer_mac, t0 + 3ms);
    EXPECT_EQ(out, (std::vector<std::vector<uint8_t>>{frame(1), frame(2)}));
    EXPECT_EQ(c.lookup(peer, t0 + 3ms), peer_mac);
    EXPECT_TRUE(c.learn(peer, peer_mac, t0 + 4ms).empty());  // nothing left waiting
}

TEST(ArpCache, QueuePerEntryIsBounded) {
    ArpCache c(small_limits());
    c.enqueue(peer, frame(1), t0);
    c.enqueue(peer, frame(2), t0);
    c.enqueue(peer, frame(3), t0);
    EXPECT_EQ(c.enqueue(peer, frame(4), t0), ArpCache::QueueResult::QueueFull);
    EXPECT_EQ(c.learn(peer, peer_mac, t0).size(), 3u);
}

TEST(ArpCache, NewPendingAddressIsRefusedWhenFullOfPendingOnes) {
    ArpCache c(small_limits());
    c.enqueue(peer, frame(1), t0);
    c.enqueue(other, frame(2), t0);
    EXPECT_EQ(c.enqueue(third, frame(3), t0), ArpCache::QueueResult::CacheFull);
    EXPECT_EQ(c.size(), 2u);
}

TEST(ArpCache, NewPendingAddressIsRefusedWhenFullOfLiveEntries) {
    ArpCache c(small_limits());
    c.learn(peer, peer_mac, t0);
    c.learn(other, other_mac, t0);
    EXPECT_EQ(c.enqueue(third, frame(3), t0 + 1s), ArpCache::QueueResult::CacheFull);
}

TEST(ArpCache, ExpiredEntryMakesRoomForANewPendingAddress) {
    ArpCache c(small_limits());
    c.learn(peer, peer_mac, t0);
    c.learn(other, other_mac, t0 + 30s);
    EXPECT_EQ(c.enqueue(third, frame(3), t0 + 61s), ArpCache::QueueResult::SendRequest);
    EXPECT_FALSE(c.contains(peer));
    EXPECT_TRUE(c.contains(other));
    EXPECT_EQ(c.size(), 2u);
}

TEST(ArpCache, LearningWhenFullReplacesAResolvedEntryNeverAPendingOne) {
    ArpCache c(small_limits());
    c.enqueue(peer, frame(1), t0);
    c.learn(other, other_mac, t0);
    c.learn(third, peer_mac, t0 + 1ms);
    EXPECT_TRUE(c.contains(peer));  // its frame is still waiting
    EXPECT_FALSE(c.contains(other));
    EXPECT_EQ(c.lookup(third, t0 + 1ms), peer_mac);
}

TEST(ArpCache, LearningWhenFullOfPendingEntriesIsDropped) {
    ArpCache c(small_limits());
    c.enqueue(peer, frame(1), t0);
    c.enqueue(other, frame(2), t0);
    EXPECT_TRUE(c.learn(third, peer_mac, t0).empty());
    EXPECT_FALSE(c.contains(third));
    EXPECT_EQ(c.size(), 2u);
}

TEST(ArpCache, UnansweredRequestIsRetriedEachIntervalThenFramesAreDropped) {
    ArpCache c(small_limits());
    c.enqueue(peer, frame(1), t0);
    c.enqueue(peer, frame(2), t0);
    EXPECT_TRUE(c.poll(t0 + 999ms).retry.empty());
    auto first = c.poll(t0 + 1s);
    EXPECT_EQ(first.retry, std::vector<Ipv4Address>{peer});  // request 2
    auto second = c.poll(t0 + 2s);
    EXPECT_EQ(second.retry, std::vector<Ipv4Address>{peer});  // request 3
    auto last = c.poll(t0 + 3s);
    EXPECT_TRUE(last.retry.empty());
    EXPECT_EQ(last.frames_dropped, 2u);
    EXPECT_FALSE(c.contains(peer));
}

TEST(ArpCache, QueuingOnAPendingEntryDoesNotRestartItsRetries) {
    ArpCache c(small_limits());
    c.enqueue(peer, frame(1), t0);
    c.poll(t0 + 1s);
    EXPECT_EQ(c.enqueue(peer, frame(2), t0 + 1500ms), ArpCache::QueueResult::Queued);
    EXPECT_EQ(c.poll_at(), t0 + 2s);
}

TEST(ArpCache, AnswerAfterARetryStopsTheRetries) {
    ArpCache c(small_limits());
    c.enqueue(peer, frame(1), t0);
    c.poll(t0 + 1s);
    EXPECT_EQ(c.learn(peer, peer_mac, t0 + 1200ms).size(), 1u);
    auto e = c.poll(t0 + 5s);
    EXPECT_TRUE(e.retry.empty());
    EXPECT_EQ(e.frames_dropped, 0u);
    EXPECT_EQ(c.lookup(peer, t0 + 5s), peer_mac);
}

TEST(ArpCache, ExpiredEntryResolvesAgainWhenAFrameIsQueued) {
    ArpCache c(small_limits());
    c.learn(peer, peer_mac, t0);
    EXPECT_EQ(c.enqueue(peer, frame(1), t0 + 61s), ArpCache::QueueResult::SendRequest);
    EXPECT_FALSE(c.lookup(peer, t0 + 61s));
    EXPECT_EQ(c.learn(peer, other_mac, t0 + 62s).size(), 1u);
    EXPECT_EQ(c.lookup(peer, t0 + 62s), other_mac);
}

TEST(ArpCache, RefreshIsAskedForInTheLastQuarterOncePerInterval) {
    ArpCache c(small_limits());
    c.learn(peer, peer_mac, t0);
    EXPECT_FALSE(c.should_refresh(peer, t0 + 44s));
    EXPECT_TRUE(c.should_refresh(peer, t0 + 45s));
    EXPECT_FALSE(c.should_refresh(peer, t0 + 45500ms));
    EXPECT_TRUE(c.should_refresh(peer, t0 + 46s));
    EXPECT_FALSE(c.should_refresh(other, t0 + 46s));
}

TEST(ArpCache, PollAtIsTheEarliestDeadline) {
    ArpCache c(small_limits());
    EXPECT_FALSE(c.poll_at());
    c.learn(peer, peer_mac, t0);
    c.enqueue(other, frame(1), t0 + 5s);
    EXPECT_EQ(c.poll_at(), t0 + 6s);
}

}  // namespace
}  // namespace tapstack
