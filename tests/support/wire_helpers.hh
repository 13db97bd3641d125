// SPDX-License-Identifier: MIT
// Small helpers for tests that look at bytes: hex text (so that a failed comparison shows which
// byte differs), copies, and re-computing a checksum after a test has changed a header on purpose.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

#include "stack/base/byte_order.hh"
#include "stack/base/bytes.hh"
#include "stack/wire/checksum.hh"
#include "stack/wire/ipv4.hh"
#include "stack/wire/tcp.hh"

namespace tapstack::test {

// "45 00 00 3c ..." with a line break every 16 bytes.
inline std::string hex(Bytes b) {
    std::string out;
    for (size_t i = 0; i < b.size(); ++i) {
        if (i > 0) out += (i % 16 == 0) ? '\n' : ' ';
        out += fmt::format("{:02x}", b[i]);
    }
    return out;
}

inline std::vector<uint8_t> to_vec(Bytes b) { return {b.begin(), b.end()}; }

// Recomputes the header checksum of the IPv4 header at the front of `ip` (its IHL decides the length).
inline void refresh_ipv4_checksum(MutBytes ip) {
    size_t hlen = size_t{ip[0] & 0x0fu} * 4;
    store_be16(ip, ipv4_field::checksum, 0);
    store_be16(ip, ipv4_field::checksum, internet_checksum(ip.first(hlen)));
}

// Recomputes the checksum of the whole TCP segment `tcp` carried from `src` to `dst`.
inline void refresh_tcp_checksum(MutBytes tcp, Ipv4Address src, Ipv4Address dst) {
    store_be16(tcp, tcp_field::checksum, 0);
    InternetChecksum c;
    PseudoHeader{src, dst, static_cast<uint8_t>(IpProtocol::Tcp), static_cast<uint16_t>(tcp.size())}.add_to(c);
    c.add(tcp);
    store_be16(tcp, tcp_field::checksum, c.finish());
}

}  // namespace tapstack::test
