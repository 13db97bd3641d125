// SPDX-License-Identifier: MIT
// A connection's identity: local and remote address and port. Hashable for the connection table.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <functional>

#include "stack/base/byte_order.hh"
#include "stack/wire/address.hh"

namespace tapstack {

struct FourTuple {
    Ipv4Address local_ip;
    uint16_t local_port = 0;
    Ipv4Address remote_ip;
    uint16_t remote_port = 0;

    friend bool operator==(const FourTuple&, const FourTuple&) = default;
};

struct FourTupleHash {
    size_t operator()(const FourTuple& t) const {
        uint64_t a = (uint64_t{t.local_ip.value} << 32) | t.remote_ip.value;
        uint64_t b = (uint64_t{t.local_port} << 16) | t.remote_port;
        uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull + (a << 6) + (a >> 2));
        h ^= h >> 29;
        return static_cast<size_t>(h * 0xbf58476d1ce4e5b9ull);
    }
};

// The 4-tuple as 12 bytes, the input of the keyed hashes (initial sequence numbers, SYN cookies).
inline void store_tuple(MutBytes k, const FourTuple& t) {
    store_be32(k, 0, t.local_ip.value);
    store_be16(k, 4, t.local_port);
    store_be32(k, 6, t.remote_ip.value);
    store_be16(k, 10, t.remote_port);
}

}  // namespace tapstack

template <>
struct fmt::formatter<tapstack::FourTuple> : fmt::formatter<std::string_view> {
    template <typename Ctx>
    auto format(const tapstack::FourTuple& t, Ctx& ctx) const {
        return fmt::format_to(ctx.out(), "{}:{}<->{}:{}", t.local_ip, t.local_port, t.remote_ip, t.remote_port);
    }
};
