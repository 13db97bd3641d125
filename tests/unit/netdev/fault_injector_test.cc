// SPDX-License-Identifier: MIT
// FaultInjector: each fault on its own, the direction switch, timing in virtual time, and that a
// seed replays exactly.
#include <gtest/gtest.h>

#include <numeric>

#include "netdev/fault_injector.hh"
#include "netdev/memory_link.hh"

namespace tapstack {
namespace {

std::vector<uint8_t> frame(uint32_t n, size_t len = 60) {
    std::vector<uint8_t> f(len, 0);
    for (size_t i = 0; i < 4; ++i) f[20 + i] = static_cast<uint8_t>(n >> (8 * i));  // a number past the header
    return f;
}
uint32_t number_of(Bytes f) { return f[20] | f[21] << 8 | f[22] << 16 | static_cast<uint32_t>(f[23]) << 24; }

// Sends `count` numbered frames through the injector's send side 100 µs apart and returns
// the numbers the other end of the link received, in order, polling until `until`.
struct TxRig {
    std::pair<MemoryLink::End, MemoryLink::End> link = MemoryLink::pair(100000);
    FaultInjector injector;
    explicit TxRig(FaultConfig c) : injector(link.first, c) {}
    std::vector<uint32_t> run(uint32_t count, Instant until = Instant::from_ms(100000)) {
        std::vector<uint32_t> got;
        uint8_t buf[2048];
        for (uint32_t i = 0; i < count; ++i) injector.transmit(frame(i), Instant::from_us(100 * i));
        for (Instant t = Instant::from_us(100 * count); t <= until;) {
            injector.receive(MutBytes{buf, sizeof buf}, t);  // releases what is due
            auto next = injector.next_ready();
            if (!next) break;
            t = std::max(*next, t);
        }
        while (auto n = link.second.receive(MutBytes{buf, sizeof buf}, until)) got.push_back(number_of(Bytes{buf, *n}));
        return got;
    }
};

FaultConfig rates(double drop, double dup, double reorder, double corrupt, uint64_t seed = 7) {
    FaultConfig c;
    c.rates = FaultRates{drop, dup, reorder, corrupt, Duration{0}, Duration{0}};
    c.seed = seed;
    return c;
}

TEST(FaultInjector, NoFaultsPassesEveryFrameInOrderAtOnce) {
    TxRig r(FaultConfig{});
    auto got = r.run(100);
    std::vector<uint32_t> want(100);
    std::iota(want.begin(), want.end(), 0u);
    EXPECT_EQ(got, want);
}

TEST(FaultInjector, DropRateIsNearWhatWasAskedAndCounted) {
    TxRig r(rates(0.10, 0, 0, 0));
    auto got = r.run(10000);
    EXPECT_NEAR(static_cast<double>(10000 - got.size()), 1000.0, 120.0);
    EXPECT_EQ(r.injector.tx_stats().dropped, 10000 - got.size());
    EXPECT_EQ(r.injector.tx_stats().frames, 10000u);
}

TEST(FaultInjector, DuplicatesArriveTwiceSideBySide) {
    TxRig r(rates(0, 0.5, 0, 0));
    auto got = r.run(1000);
    EXPECT_EQ(got.size(), 1000 + r.injector.tx_stats().duplicated);
    EXPECT_NEAR(static_cast<double>(r.injector.tx_stats().duplicated), 500.0, 60.0);
    EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
}

TEST(FaultInjector, ReorderedFramesAreOvertakenByLaterOnes) {
    TxRig r(rates(0, 0, 0.2, 0));
    auto got = r.run(1000);
    ASSERT_EQ(got.size(), 1000u);
    EXPECT_FALSE(std::is_sorted(got.begin(), got.end()));
    std::vector<uint32_t> sorted = got;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());  // none lost, none twice
    EXPECT_GT(r.injector.tx_stats().reordered, 100u);
}

TEST(FaultInjector, CorruptionFlipsExactlyOneBitPastTheEthernetHeader) {
    auto link = MemoryLink::pair();
    FaultInjector inj(link.first, rates(0, 0, 0, 1.0));
    std::vector<uint8_t> f(200, 0x5a);
    inj.transmit(Bytes{f}, Instant::from_ms(1));
    uint8_t buf[256];
    auto n = link.second.receive(MutBytes{buf, sizeof buf}, Instant::from_ms(1));
    ASSERT_TRUE(n);
    int flipped = 0;
    for (size_t i = 0; i < f.size(); ++i) {
        flipped += __builtin_popcount(static_cast<unsigned>(buf[i] ^ f[i]));
        if (i < 14) {
            EXPECT_EQ(buf[i], f[i]) << "byte " << i;
        }
    }
    EXPECT_EQ(flipped, 1);
}

TEST(FaultInjector, DelayWithJitterHoldsFramesAndSaysWhenTheyAreDue) {
    auto link = MemoryLink::pair();
    FaultConfig c;
    c.rates.delay = std::chrono::milliseconds{20};
    c.rates.jitter = std::chrono::milliseconds{5};
    FaultInjector inj(link.first, c);
    auto f = frame(1);
    inj.transmit(Bytes{f}, Instant::from_ms(100));
    EXPECT_EQ(link.second.pending(), 0u);
    auto due = inj.next_ready();
    ASSERT_TRUE(due);
    EXPECT_GE(*due, Instant::from_ms(115));
    EXPECT_LE(*due, Instant::from_ms(125));
    uint8_t buf[128];
    inj.receive(MutBytes{buf, sizeof buf}, *due - Duration{1});
    EXPECT_EQ(link.second.pending(), 0u);
    inj.receive(MutBytes{buf, sizeof buf}, *due);
    EXPECT_EQ(link.second.pending(), 1u);
    EXPECT_FALSE(inj.next_ready());
}

TEST(FaultInjector, ReceiveSideOnlyLeavesSendingAlone) {
    auto link = MemoryLink::pair();
    FaultConfig c = rates(1.0, 0, 0, 0);
    c.direction = FaultDirection::Rx;
    FaultInjector inj(link.first, c);
    auto f = frame(3);
    inj.transmit(Bytes{f}, Instant::from_ms(1));
    EXPECT_EQ(link.second.pending(), 1u);  // sent untouched
    link.second.transmit(Bytes{f}, Instant::from_ms(1));
    uint8_t buf[128];
    EXPECT_FALSE(inj.receive(MutBytes{buf, sizeof buf}, Instant::from_ms(1)));  // received: dropped
    EXPECT_EQ(inj.rx_stats().dropped, 1u);
    EXPECT_EQ(inj.tx_stats().frames, 0u);
}

TEST(FaultInjector, TheSameSeedGivesTheSameFaults) {
    auto a = TxRig(rates(0.1, 0.05, 0.05, 0.05, 42)).run(2000);
    auto b = TxRig(rates(0.1, 0.05, 0.05, 0.05, 42)).run(2000);
    auto c = TxRig(rates(0.1, 0.05, 0.05, 0.05, 43)).run(2000);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
}

TEST(FaultInjector, AFullQueueDropsAndCounts) {
    auto link = MemoryLink::pair();
    FaultConfig c;
    c.rates.delay = std::chrono::seconds{1};
    c.queue_limit = 10;
    FaultInjector inj(link.first, c);
    auto f = frame(0);
    for (int i = 0; i < 15; ++i) inj.transmit(Bytes{f}, Instant::from_ms(1));
    EXPECT_EQ(inj.tx_stats().queue_full, 5u);
}

TEST(FaultRandom, IsSplitmix64) {
    // The first outputs for seed 0 (the reference values of splitmix64).
    FaultRandom r(0);
    EXPECT_EQ(r.next(), 0xe220a8397b1dcdafull);
    EXPECT_EQ(r.next(), 0x6e789e6aa1b965f4ull);
}

}  // namespace
}  // namespace tapstack
