// SPDX-License-Identifier: MIT
// ARP for IPv4 over Ethernet (RFC 826). Only hardware type 1 / protocol 0x0800 with 6- and
// 4-byte addresses is accepted; anything else is not ours to answer.
//
//  0        2        4    5    6        8                14       18               24       28
// +--------+--------+----+----+--------+----------------+--------+----------------+--------+
// | htype  | ptype  |hlen|plen|  oper  |  sender MAC    |sender IP| target MAC    |target IP|
// +--------+--------+----+----+--------+----------------+--------+----------------+--------+
#pragma once

#include "stack/base/byte_order.hh"
#include "stack/base/result.hh"
#include "stack/wire/address.hh"

namespace tapstack {

namespace arp_field {
inline constexpr size_t htype = 0, ptype = 2, hlen = 4, plen = 5, oper = 6, sha = 8, spa = 14, tha = 18, tpa = 24,
                        packet_len = 28;
}

enum class ArpOp : uint16_t { Request = 1, Reply = 2 };

// Why parse() refused a packet; stack/stats.hh maps it to a DropReason.
enum class ArpError : uint8_t { Truncated, BadHardware, BadProtocol, BadOperation };

struct ArpPacket {
    ArpOp op = ArpOp::Request;
    MacAddress sender_mac;
    Ipv4Address sender_ip;
    MacAddress target_mac;
    Ipv4Address target_ip;

    // Parses and validates; the error says why a packet is not Ethernet/IPv4 ARP.
    static Result<ArpPacket, ArpError> parse(Bytes b) {
        if (b.size() < arp_field::packet_len) return Err{ArpError::Truncated};
        if (load_be16(b, arp_field::htype) != 1 || b[arp_field::hlen] != 6) return Err{ArpError::BadHardware};
        if (load_be16(b, arp_field::ptype) != 0x0800 || b[arp_field::plen] != 4) return Err{ArpError::BadProtocol};
        uint16_t op = load_be16(b, arp_field::oper);
        if (op != 1 && op != 2) return Err{ArpError::BadOperation};
        return ArpPacket{static_cast<ArpOp>(op), MacAddress::load(b, arp_field::sha),
                         Ipv4Address::load(b, arp_field::spa), MacAddress::load(b, arp_field::tha),
                         Ipv4Address::load(b, arp_field::tpa)};
    }
    void emit(MutBytes out) const {
        store_be16(out, arp_field::htype, 1);
        store_be16(out, arp_field::ptype, 0x0800);
        out[arp_field::hlen] = 6;
        out[arp_field::plen] = 4;
        store_be16(out, arp_field::oper, static_cast<uint16_t>(op));
        sender_mac.store(out, arp_field::sha);
        sender_ip.store(out, arp_field::spa);
        target_mac.store(out, arp_field::tha);
        target_ip.store(out, arp_field::tpa);
    }
};

}  // namespace tapstack
