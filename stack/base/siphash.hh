// SPDX-License-Identifier: MIT
// SipHash-2-4 (Aumasson & Bernstein, 2012): a keyed hash, used for RFC 6528 initial sequence
// numbers so that they cannot be predicted without the secret key.
#pragma once

#include <cstdint>

#include "stack/base/bytes.hh"

namespace tapstack {

inline uint64_t siphash24(uint64_t k0, uint64_t k1, Bytes data) {
    auto rotl = [](uint64_t x, int b) { return (x << b) | (x >> (64 - b)); };
    uint64_t v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
    uint64_t v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
    auto round = [&] {
        v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);
        v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;
        v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;
        v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);
    };
    size_t n = data.size();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t m = 0;
        for (int k = 7; k >= 0; --k) m = (m << 8) | data[i + static_cast<size_t>(k)];  // little-endian
        v3 ^= m, round(), round(), v0 ^= m;
    }
    uint64_t last = uint64_t{n & 0xff} << 56;
    for (size_t k = 0; i + k < n; ++k) last |= uint64_t{data[i + k]} << (8 * k);
    v3 ^= last, round(), round(), v0 ^= last;
    v2 ^= 0xff;
    round(), round(), round(), round();
    return v0 ^ v1 ^ v2 ^ v3;
}

}  // namespace tapstack
