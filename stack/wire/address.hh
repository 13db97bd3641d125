// SPDX-License-Identifier: MIT
// Link and network addresses as small value types, with parsing from text and fmt formatting.
#pragma once

#include <fmt/format.h>

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string_view>

#include "stack/base/byte_order.hh"

namespace tapstack {

struct MacAddress {
    std::array<uint8_t, 6> octets{};

    static constexpr MacAddress broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    static std::optional<MacAddress> parse(std::string_view text);  // "02:00:00:00:00:01"
    static MacAddress load(Bytes b, size_t at) {
        MacAddress m;
        for (size_t i = 0; i < 6; ++i) m.octets[i] = b[at + i];
        return m;
    }
    void store(MutBytes b, size_t at) const {
        for (size_t i = 0; i < 6; ++i) b[at + i] = octets[i];
    }
    bool is_broadcast() const { return *this == broadcast(); }
    bool is_multicast() const { return (octets[0] & 1) != 0; }  // includes broadcast
    bool is_zero() const { return *this == MacAddress{}; }
    friend constexpr auto operator<=>(const MacAddress&, const MacAddress&) = default;
};

struct Ipv4Address {
    uint32_t value = 0;  // host order: 10.0.0.2 == 0x0a000002

    static constexpr Ipv4Address from_octets(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
        return {(uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d};
    }
    static std::optional<Ipv4Address> parse(std::string_view text);  // dotted quad
    static Ipv4Address load(Bytes b, size_t at) { return {load_be32(b, at)}; }
    void store(MutBytes b, size_t at) const { store_be32(b, at, value); }
    bool is_broadcast() const { return value == 0xffffffffu; }
    bool is_multicast() const { return (value >> 28) == 0xe; }
    bool is_zero() const { return value == 0; }
    friend constexpr auto operator<=>(const Ipv4Address&, const Ipv4Address&) = default;
};

// An interface address with its prefix: 10.0.0.2/24.
struct Ipv4Cidr {
    Ipv4Address address;
    uint8_t prefix_len = 24;

    static std::optional<Ipv4Cidr> parse(std::string_view text);
    uint32_t netmask() const { return prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len); }
    bool contains(Ipv4Address a) const { return (a.value & netmask()) == (address.value & netmask()); }
    Ipv4Address subnet_broadcast() const { return {address.value | ~netmask()}; }
};

}  // namespace tapstack

template <>
struct fmt::formatter<tapstack::MacAddress> : fmt::formatter<std::string_view> {
    template <typename Ctx>
    auto format(const tapstack::MacAddress& m, Ctx& ctx) const {
        const auto& o = m.octets;
        return fmt::format_to(ctx.out(), "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", o[0], o[1], o[2], o[3], o[4],
                              o[5]);
    }
};
template <>
struct fmt::formatter<tapstack::Ipv4Address> : fmt::formatter<std::string_view> {
    template <typename Ctx>
    auto format(const tapstack::Ipv4Address& a, Ctx& ctx) const {
        return fmt::format_to(ctx.out(), "{}.{}.{}.{}", a.value >> 24, (a.value >> 16) & 0xff, (a.value >> 8) & 0xff,
                              a.value & 0xff);
    }
};
