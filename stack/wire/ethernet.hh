// SPDX-License-Identifier: MIT
// Ethernet II frames (IEEE 802.3 with an EtherType). The FCS is not part of what a TAP device
// hands us, so frames here start at the destination address and end with the payload.
//
//   0                   6                  12        14
//  +-------------------+------------------+---------+----------------
//  | destination MAC   | source MAC       |EtherType| payload ...
//  +-------------------+------------------+---------+----------------
#pragma once

#include "stack/base/byte_order.hh"
#include "stack/base/result.hh"
#include "stack/wire/address.hh"

namespace tapstack {

namespace ethernet_field {
inline constexpr size_t dst = 0, src = 6, ethertype = 12, header_len = 14;
}

enum class EtherType : uint16_t { Ipv4 = 0x0800, Arp = 0x0806, Ipv6 = 0x86dd };

// Why parse() refused a frame; stack/stats.hh maps it to a DropReason.
enum class EthernetError : uint8_t { Truncated };

class EthernetView {
public:
    static Result<EthernetView, EthernetError> parse(Bytes b) {
        if (b.size() < ethernet_field::header_len) return Err{EthernetError::Truncated};
        return EthernetView{b};
    }
    MacAddress dst() const { return MacAddress::load(bytes_, ethernet_field::dst); }
    MacAddress src() const { return MacAddress::load(bytes_, ethernet_field::src); }
    uint16_t ethertype() const { return load_be16(bytes_, ethernet_field::ethertype); }
    Bytes payload() const { return bytes_.subspan(ethernet_field::header_len); }
    Bytes bytes() const { return bytes_; }

private:
    explicit EthernetView(Bytes b) : bytes_(b) {}
    Bytes bytes_;
};

// Writes the 14-byte header at the front of `out`; the payload follows it in the same buffer.
inline void emit_ethernet_header(MutBytes out, MacAddress dst, MacAddress src, EtherType type) {
    dst.store(out, ethernet_field::dst);
    src.store(out, ethernet_field::src);
    store_be16(out, ethernet_field::ethertype, static_cast<uint16_t>(type));
}

}  // namespace tapstack
