// SPDX-License-Identifier: MIT
#include "stack/wire/address.hh"

#include <charconv>

namespace tapstack {
namespace {
// Parses an unsigned decimal or hex number that spans exactly `text`.
std::optional<unsigned> parse_number(std::string_view text, int base, unsigned max) {
    if (text.empty() || text.size() > 3) return std::nullopt;
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
    if (ec != std::errc{} || end != text.data() + text.size() || v > max) return std::nullopt;
    return v;
}
}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
    MacAddress m;
    for (size_t i = 0; i < 6; ++i) {
        size_t colon = text.find(':');
        std::string_view part = i < 5 ? text.substr(0, colon) : text;
        if (i < 5 && colon == std::string_view::npos) return std::nullopt;
        if (part.size() != 2) return std::nullopt;
        auto v = parse_number(part, 16, 0xff);
        if (!v) return std::nullopt;
        m.octets[i] = static_cast<uint8_t>(*v);
        if (i < 5) text.remove_prefix(colon + 1);
    }
    return m;
}

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
        size_t dot = text.find('.');
        std::string_view part = i < 3 ? text.substr(0, dot) : text;
        if (i < 3 && dot == std::string_view::npos) return std::nullopt;
        if (part.size() > 1 && part[0] == '0') return std::nullopt;  // no octal ambiguity
        auto v = parse_number(part, 10, 255);
        if (!v) return std::nullopt;
        value = (value << 8) | *v;
        if (i < 3) text.remove_prefix(dot + 1);
    }
    return Ipv4Address{value};
}

std::optional<Ipv4Cidr> Ipv4Cidr::parse(std::string_view text) {
    size_t slash = text.find('/');
    auto addr = Ipv4Address::parse(text.substr(0, slash));
    if (!addr) return std::nullopt;
    Ipv4Cidr c{*addr, 24};
    if (slash != std::string_view::npos) {
        auto len = parse_number(text.substr(slash + 1), 10, 32);
        if (!len) return std::nullopt;
        c.prefix_len = static_cast<uint8_t>(*len);
    }
    return c;
}

}  // namespace tapstack
