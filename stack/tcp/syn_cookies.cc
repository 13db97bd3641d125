// SPDX-License-Identifier: MIT
// SYN cookies: the encoding and the check (see syn_cookies.hh). Pure functions of their
// arguments; the LISTEN code (tcp_listen.cc) sends the SYN,ACK and makes the connection.
#include "stack/tcp/syn_cookies.hh"

#include <algorithm>
#include <span>

#include "stack/base/byte_order.hh"
#include "stack/base/siphash.hh"

namespace tapstack::syn_cookie {

uint32_t counter(Instant now) { return static_cast<uint32_t>(now.us() / 64'000'000); }

uint8_t mss_index(uint16_t mss) {
    uint8_t index = 0;
    for (uint8_t i = 0; i < mss_table.size(); ++i)
        if (mss_table[i] <= mss) index = i;
    return index;
}

uint8_t options_bits(bool timestamps, std::optional<uint8_t> window_scale, bool sack) {
    if (!timestamps) return without_timestamps;
    return static_cast<uint8_t>((window_scale ? std::min<uint8_t>(*window_scale, max_window_shift) : no_window_scale) |
                                (sack ? sack_permitted : 0));
}

uint32_t encode(uint64_t secret, const FourTuple& t, SeqNum client_isn, uint32_t counter, uint8_t mss_index,
                uint8_t options) {
    uint8_t in[22];
    MutBytes k{in, sizeof in};
    store_tuple(k, t);
    store_be32(k, 12, client_isn.raw);
    store_be32(k, 16, counter);
    in[20] = mss_index;
    in[21] = options;
    uint64_t h = siphash24(secret ^ 0x636f6f6b6965ull, secret * 0x9e3779b97f4a7c15ull + 1, k);
    return (counter & 31u) << 27 | uint32_t{mss_index & 7u} << 24 | static_cast<uint32_t>(h & 0xffffff);
}

uint32_t timestamp(uint32_t clock, uint8_t options) {
    uint32_t ts = (clock & ~ts_mask) | options;
    if (static_cast<int32_t>(ts - clock) > 0) ts -= ts_mask + 1;
    return ts;
}

namespace {

SynCookieOptions decode(uint8_t index, uint8_t options) {
    SynCookieOptions o;
    o.mss = mss_table[index];
    if (options == without_timestamps) return o;
    o.timestamps = true;
    if ((options & no_window_scale) != no_window_scale)
        o.window_scale = static_cast<uint8_t>(options & no_window_scale);
    o.sack_permitted = (options & sack_permitted) != 0;
    return o;
}

}  // namespace

std::optional<SynCookieOptions> check(uint64_t secret, Instant now, const FourTuple& tuple, SeqNum client_isn,
                                      uint32_t cookie, std::optional<uint32_t> echoed_tsval) {
    uint8_t index = static_cast<uint8_t>((cookie >> 24) & 7);
    // The options are in the TSecr if our SYN,ACK carried timestamps. An ACK with timestamps we
    // never offered is tried without them too (RFC 7323 §3.2: the option is ignored).
    std::array<uint8_t, 2> candidates{without_timestamps, 0};
    size_t tries = 1;
    if (echoed_tsval) {
        candidates = {static_cast<uint8_t>(*echoed_tsval & ts_mask), without_timestamps};
        tries = 2;
    }
    uint32_t current = counter(now);
    for (uint32_t c : {current, current - 1}) {
        if (((cookie >> 27) & 31) != (c & 31)) continue;
        for (uint8_t options : std::span{candidates}.first(tries)) {
            if (encode(secret, tuple, client_isn, c, index, options) == cookie) return decode(index, options);
        }
    }
    return std::nullopt;
}

}  // namespace tapstack::syn_cookie
