// SPDX-License-Identifier: MIT
// The link layer (see ethernet_layer.hh): Ethernet demux by destination and ethertype, the ARP
// responder (RFC 826), and sending IPv4 frames to their next hop's MAC, queued while ARP asks.
// Called by Stack::poll() (input, timers) and by Ipv4Layer (output); IPv4 itself is not here.
#include "stack/link/ethernet_layer.hh"

#include <utility>

#include "stack/wire/tcp_offload.hh"

namespace tapstack {

EthernetLayer::EthernetLayer(NetDev& dev, MacAddress mac, Ipv4Cidr ip, Duration arp_timeout, StackStats& stats)
    : dev_(dev), mac_(mac), ip_(ip), stats_(stats) {
    ArpCache::Limits limits;
    limits.entry_lifetime = arp_timeout;
    arp_ = ArpCache(limits);
}

// ---------------------------------------------------------------- input
std::optional<Bytes> EthernetLayer::receive(Bytes frame, Instant now) {
    ++stats_.frames_received;
    if (observer_) observer_->on_frame(now, FrameDirection::Received, frame);
    auto eth = EthernetView::parse(frame);
    if (!eth) {
        stats_.drop(drop_reason(eth.error()));
        return std::nullopt;
    }
    MacAddress dst = eth->dst();
    if (dst != mac_ && !dst.is_broadcast()) {
        stats_.drop(DropReason::EthernetNotForUs);
        return std::nullopt;
    }
    switch (eth->ethertype()) {
    case static_cast<uint16_t>(EtherType::Arp): receive_arp(*eth, now); return std::nullopt;
    case static_cast<uint16_t>(EtherType::Ipv4): return eth->payload();
    default: stats_.drop(DropReason::EthernetUnknownType); return std::nullopt;
    }
}

void EthernetLayer::receive_arp(const EthernetView& eth, Instant now) {
    auto arp_packet = ArpPacket::parse(eth.payload());
    if (!arp_packet) return stats_.drop(drop_reason(arp_packet.error()));
    const ArpPacket& p = *arp_packet;
    bool for_us = p.target_ip == ip_.address;
    bool usable_sender = !p.sender_ip.is_zero() && !p.sender_mac.is_multicast() && !p.sender_ip.is_broadcast() &&
                         ip_.contains(p.sender_ip) && p.sender_ip != ip_.address;
    // RFC 826: update an existing entry ("merge"), and add the sender if the packet is for us.
    if (usable_sender && (for_us || arp_.contains(p.sender_ip))) {
        for (auto& pending : arp_.learn(p.sender_ip, p.sender_mac, now)) {
            p.sender_mac.store(pending, ethernet_field::dst);
            transmit(pending, now);
        }
    }
    if (!for_us) return stats_.drop(DropReason::ArpNotForUs);
    if (p.op == ArpOp::Request) {
        ++stats_.arp_replies_sent;
        send_arp(ArpOp::Reply, p.sender_mac, p.sender_mac, p.sender_ip, now);
    }
}

// ---------------------------------------------------------------- output
void EthernetLayer::transmit(MutBytes frame, Instant now, TxOffload offload) {
    if (observer_) observer_->on_frame(now, FrameDirection::Sent, frame);
    ++stats_.frames_sent;
    if (offload.partial_checksum || offload.segment_payload > 0) return dev_.transmit_offloaded(frame, now, offload);
    dev_.transmit(frame, now);
}

void EthernetLayer::route(MutBytes frame, Ipv4Address hop, Instant now, TxOffload offload) {
    auto mac = arp_.lookup(hop, now);
    emit_ethernet_header(frame, mac.value_or(MacAddress{}), mac_, EtherType::Ipv4);
    if (mac) {
        transmit(frame, now, offload);
        if (arp_.should_refresh(hop, now)) send_arp_request(hop, now);
        return;
    }
    // Queued with the destination MAC still unknown: receive_arp() fills it in. The queue holds
    // finished frames, so what the device would have finished is finished here.
    size_t pieces = offload_piece_count(frame, offload);
    for (size_t i = 0; i < pieces; ++i) {
        std::vector<uint8_t> finished(frame.size());
        finished.resize(build_offload_piece(frame, offload, i, MutBytes{finished}).size());
        switch (arp_.enqueue(hop, std::move(finished), now)) {
        case ArpCache::QueueResult::SendRequest: send_arp_request(hop, now); break;
        case ArpCache::QueueResult::Queued: break;
        case ArpCache::QueueResult::QueueFull:
        case ArpCache::QueueResult::CacheFull: stats_.drop(DropReason::ArpQueueFull); break;
        }
    }
}

void EthernetLayer::send_arp(ArpOp op, MacAddress eth_dst, MacAddress target_mac, Ipv4Address target_ip, Instant now) {
    uint8_t buf[ethernet_field::header_len + arp_field::packet_len];
    MutBytes frame{buf, sizeof buf};
    emit_ethernet_header(frame, eth_dst, mac_, EtherType::Arp);
    ArpPacket{op, mac_, ip_.address, target_mac, target_ip}.emit(frame.subspan(ethernet_field::header_len));
    transmit(frame, now);
}

void EthernetLayer::send_arp_request(Ipv4Address ip, Instant now) {
    ++stats_.arp_requests_sent;
    send_arp(ArpOp::Request, MacAddress::broadcast(), MacAddress{}, ip, now);
}

// ---------------------------------------------------------------- time
std::vector<Ipv4Address> EthernetLayer::run_timers(Instant now) {
    auto at = arp_.poll_at();
    if (!at || *at > now) return {};
    auto expired = arp_.poll(now);
    for (Ipv4Address ip : expired.retry) send_arp_request(ip, now);
    for (size_t i = 0; i < expired.frames_dropped; ++i) stats_.drop(DropReason::ArpUnresolved);
    return std::move(expired.unresolved);
}

}  // namespace tapstack
