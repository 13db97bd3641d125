// SPDX-License-Identifier: MIT
// SYN cookies as pure functions (stack/tcp/syn_cookies.hh): what a cookie encodes comes back
// from check(), for every option combination the TSval can carry; a wrong secret, a cookie from
// two periods ago, or an altered MSS index, TSecr or client ISN is refused.
#include <gtest/gtest.h>

#include <optional>

#include "stack/tcp/syn_cookies.hh"

namespace tapstack {
namespace {

constexpr uint64_t secret = 0x0123456789abcdefull;
const FourTuple tuple{Ipv4Address::from_octets(10, 0, 0, 2), 80, Ipv4Address::from_octets(10, 0, 0, 1), 49152};
const SeqNum client_isn{0xfffffff0u};
const Instant sent_at = Instant::from_ms(3'600'000);

// What the SYN,ACK carries and what the returning ACK echoes.
struct Sent {
    uint32_t cookie;
    std::optional<uint32_t> tsval;  // nullopt: the SYN,ACK had no timestamps
};

Sent send(uint8_t mss_index, uint8_t options, Instant at = sent_at, uint64_t key = secret) {
    uint32_t cookie = syn_cookie::encode(key, tuple, client_isn, syn_cookie::counter(at), mss_index, options);
    if (options == syn_cookie::without_timestamps) return {cookie, std::nullopt};
    return {cookie, syn_cookie::timestamp(timestamp_clock(at, SeqNum{cookie}), options)};
}

std::optional<SynCookieOptions> answer(const Sent& s, Instant at = sent_at, uint64_t key = secret) {
    return syn_cookie::check(key, at, tuple, client_isn, s.cookie, s.tsval);
}

TEST(SynCookie, RoundTripWithoutTimestampsKeepsTheMssOnly) {
    for (uint8_t index = 0; index < syn_cookie::mss_table.size(); ++index) {
        auto o = answer(send(index, syn_cookie::without_timestamps));
        ASSERT_TRUE(o) << "index " << int{index};
        EXPECT_EQ(o->mss, syn_cookie::mss_table[index]);
        EXPECT_FALSE(o->timestamps);
        EXPECT_FALSE(o->window_scale);
        EXPECT_FALSE(o->sack_permitted);
    }
}

TEST(SynCookie, EveryOptionCombinationInTheTsvalComesBack) {
    for (int scale = -1; scale <= 14; ++scale) {
        for (bool sack : {false, true}) {
            std::optional<uint8_t> ws;
            if (scale >= 0) ws = static_cast<uint8_t>(scale);
            uint8_t options = syn_cookie::options_bits(true, ws, sack);
            Sent s = send(5, options);
            ASSERT_TRUE(s.tsval);
            EXPECT_EQ(*s.tsval & syn_cookie::ts_mask, options);
            auto o = answer(s);
            ASSERT_TRUE(o) << "scale " << scale << " sack " << sack;
            EXPECT_EQ(o->mss, 1440);
            EXPECT_TRUE(o->timestamps);
            EXPECT_EQ(o->window_scale, ws);
            EXPECT_EQ(o->sack_permitted, sack);
        }
    }
}

TEST(SynCookie, AWindowScaleAbove14IsCappedAt14) {
    EXPECT_EQ(syn_cookie::options_bits(true, uint8_t{15}, false), 14);
    EXPECT_EQ(syn_cookie::options_bits(false, uint8_t{3}, true), syn_cookie::without_timestamps);
}

TEST(SynCookie, TimestampsWeNeverOfferedAreIgnored) {
    // RFC 7323 §3.2: an ACK with timestamps our SYN,ACK did not carry is checked without them.
    Sent s = send(7, syn_cookie::without_timestamps);
    s.tsval = 0x12345678u;
    auto o = answer(s);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->mss, 1460);
    EXPECT_FALSE(o->timestamps);
}

TEST(SynCookie, AWrongSecretIsRefused) {
    EXPECT_FALSE(answer(send(3, syn_cookie::without_timestamps), sent_at, secret + 1));
    EXPECT_FALSE(answer(send(3, syn_cookie::options_bits(true, uint8_t{7}, true)), sent_at, secret ^ 1));
}

TEST(SynCookie, GoodForItsPeriodAndTheNextThenExpired) {
    const Instant period_start = Instant::from_ms(64'000 * 100);
    Sent s = send(2, syn_cookie::options_bits(true, uint8_t{2}, true), period_start);
    EXPECT_TRUE(answer(s, period_start + std::chrono::seconds{63}));
    EXPECT_TRUE(answer(s, period_start + std::chrono::seconds{64}));
    EXPECT_TRUE(answer(s, period_start + std::chrono::milliseconds{127'999}));
    EXPECT_FALSE(answer(s, period_start + std::chrono::seconds{128}));
    EXPECT_FALSE(answer(s, period_start - std::chrono::seconds{1}));  // from the future
}

TEST(SynCookie, AnAlteredMssIndexIsRefused) {
    Sent s = send(4, syn_cookie::options_bits(true, uint8_t{7}, true));
    for (uint32_t bit = 24; bit < 27; ++bit) {
        Sent altered = s;
        altered.cookie ^= uint32_t{1} << bit;
        EXPECT_FALSE(answer(altered)) << "bit " << bit;
    }
}

TEST(SynCookie, AlteredOptionBitsInTheTsecrAreRefused) {
    Sent s = send(4, syn_cookie::options_bits(true, uint8_t{7}, false));
    for (uint32_t bit = 0; bit < 6; ++bit) {
        Sent altered = s;
        *altered.tsval ^= uint32_t{1} << bit;
        EXPECT_FALSE(answer(altered)) << "bit " << bit;
    }
    Sent dropped = s;  // the TSecr left out: the options are not in the hash that way either
    dropped.tsval.reset();
    EXPECT_FALSE(answer(dropped));
}

TEST(SynCookie, AnotherClientIsnOrTupleIsRefused) {
    Sent s = send(1, syn_cookie::without_timestamps);
    EXPECT_FALSE(syn_cookie::check(secret, sent_at, tuple, client_isn + 1, s.cookie, s.tsval));
    FourTuple other = tuple;
    other.remote_port = 49153;
    EXPECT_FALSE(syn_cookie::check(secret, sent_at, other, client_isn, s.cookie, s.tsval));
}

TEST(SynCookie, TheTsvalIsNeverAheadOfTheClock) {
    for (uint32_t clock : {0u, 1u, 0x3fu, 0x40u, 0x12345678u, 0xffffffc0u, 0xffffffffu}) {
        for (uint8_t options : {uint8_t{0}, uint8_t{0x1f}, uint8_t{0x3f}}) {
            uint32_t ts = syn_cookie::timestamp(clock, options);
            EXPECT_EQ(ts & syn_cookie::ts_mask, options);
            EXPECT_LE(static_cast<int32_t>(ts - clock), 0) << clock;
            EXPECT_GT(static_cast<int32_t>(ts - clock), -64) << clock;
        }
    }
}

TEST(SynCookie, MssIndexPicksTheLargestThatFits) {
    EXPECT_EQ(syn_cookie::mss_index(1460), 7);
    EXPECT_EQ(syn_cookie::mss_index(1459), 6);
    EXPECT_EQ(syn_cookie::mss_index(65535), 7);
    EXPECT_EQ(syn_cookie::mss_index(536), 0);
    EXPECT_EQ(syn_cookie::mss_index(100), 0);  // below the table: its smallest
}

}  // namespace
}  // namespace tapstack
