// SPDX-License-Identifier: MIT
// The IPv4 layer: checks that a packet is sound and addressed to us, reassembles fragments
// (ipv4_reassembly), and sends datagrams: header, next hop (the subnet or the gateway), and
// RFC 791 fragmentation past the MTU. Stack::poll() hands it what EthernetLayer received and
// delivers what it returns by protocol; ICMP and TCP send through send(). No ICMP errors, no
// options, no routing table beyond one gateway.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "stack/base/bytes.hh"
#include "stack/base/time.hh"
#include "stack/device.hh"
#include "stack/ip/ipv4_reassembly.hh"
#include "stack/link/ethernet_layer.hh"
#include "stack/stats.hh"
#include "stack/wire/address.hh"
#include "stack/wire/ethernet.hh"
#include "stack/wire/ipv4.hh"

namespace tapstack {

class Ipv4Layer {
public:
    Ipv4Layer(EthernetLayer& link, NetDev& dev, Ipv4Cidr ip, std::optional<Ipv4Address> gateway, StackStats& stats);

    // --- input ---
    // One packet from the link layer. Returns the datagram for the protocol above (put together
    // first if it came in fragments: then it lives in the reassembly buffer until the next
    // call); nullopt when it is dropped, or waits for more fragments.
    std::optional<Ipv4View> receive(Bytes packet, Instant now);

    // --- output ---
    // Sends an IPv4 datagram whose payload `fill(MutBytes, PseudoHeader)` writes into the span it
    // is given (exactly payload_len bytes). The frame is built in one reused buffer, Ethernet
    // header space included, so nothing is copied on the way down.
    template <typename Fill>
    void send(Ipv4Address dst, IpProtocol proto, size_t payload_len, Fill&& fill, Instant now, TxOffload offload = {}) {
        size_t frame_len = ethernet_field::header_len + Ipv4Header::len + payload_len;
        if (frame_len > tx_buffer_.size()) return;
        MutBytes frame{tx_buffer_.data(), frame_len};
        Ipv4Header ip{ip_.address, dst, proto, static_cast<uint16_t>(payload_len), ident_++};
        ip.emit(frame.subspan(ethernet_field::header_len));
        fill(frame.subspan(ethernet_field::header_len + Ipv4Header::len), ip.pseudo_header());
        route(frame, ip, now, offload);
    }
    // A device that cuts one segment into many gives each piece an identification of its own.
    void skip_identifications(size_t n) { ident_ = static_cast<uint16_t>(ident_ + n); }
    // Where a datagram to `dst` goes first: dst itself on our subnet, else the gateway (nullopt: none).
    std::optional<Ipv4Address> next_hop(Ipv4Address dst) const;
    Ipv4Address address() const { return ip_.address; }

    // --- time ---
    // Drops datagrams whose fragments did not all arrive in time.
    void run_timers(Instant now);
    std::optional<Instant> poll_at() const { return reassembly_.next_expiry(); }

private:
    void route(MutBytes frame, const Ipv4Header& ip, Instant now, TxOffload offload);
    void send_fragments(MutBytes frame, const Ipv4Header& ip, Ipv4Address hop, Instant now);

    EthernetLayer& link_;
    NetDev& dev_;
    Ipv4Cidr ip_;
    std::optional<Ipv4Address> gateway_;
    StackStats& stats_;
    std::vector<uint8_t> tx_buffer_;
    std::vector<uint8_t> fragment_buffer_;  // one outgoing fragment at a time
    Ipv4Reassembly reassembly_;
    uint16_t ident_ = 0;
};

}  // namespace tapstack
