// SPDX-License-Identifier: MIT
// The IPv4 layer (see ipv4_layer.hh): input checks and reassembly, next hop, fragmentation.
// Called by Stack::poll() for input and timers, by IcmpEcho and TcpTable (through send()) for
// output. Demultiplexing by protocol is the stack's wiring (stack.cc), not this file's.
#include "stack/ip/ipv4_layer.hh"

#include <algorithm>

namespace tapstack {

Ipv4Layer::Ipv4Layer(EthernetLayer& link, NetDev& dev, Ipv4Cidr ip, std::optional<Ipv4Address> gateway,
                     StackStats& stats)
    : link_(link), dev_(dev), ip_(ip), gateway_(gateway), stats_(stats) {
    tx_buffer_.resize(max_device_frame_len);
    fragment_buffer_.resize(ethernet_field::header_len + std::max<size_t>(dev.mtu(), 68));
}

// ---------------------------------------------------------------- input
std::optional<Ipv4View> Ipv4Layer::receive(Bytes packet, Instant now) {
    auto ip = Ipv4View::parse(packet);
    if (!ip) {
        stats_.drop(drop_reason(ip.error()));
        return std::nullopt;
    }
    // ASSIGNMENT ipv4: BEGIN
    if (ip->dst() != ip_.address) {
        stats_.drop(DropReason::Ipv4NotForUs);
        return std::nullopt;
    }
    Ipv4Address src = ip->src();
    if (src.is_zero() || src.is_broadcast() || src.is_multicast() || src == ip_.address ||
        src == ip_.subnet_broadcast()) {
        stats_.drop(DropReason::Ipv4BadSource);
        return std::nullopt;
    }
    // ASSIGNMENT ipv4: STUB
    // // Only what is addressed to us is ours (Ipv4NotForUs); a source that cannot be a host's
    // // (zero, broadcast, multicast, ours, our subnet's broadcast) is dropped (Ipv4BadSource).
    // ASSIGNMENT ipv4: END
    if (!ip->is_fragment()) return *ip;
    std::optional<DropReason> dropped;
    auto whole = reassembly_.add(*ip, now, &dropped);
    if (dropped) stats_.drop(*dropped);
    if (!whole) return std::nullopt;
    ++stats_.ipv4_reassembled;
    return Ipv4View::parse(*whole).ok();  // (cannot fail: the reassembly wrote its header)
}

// ---------------------------------------------------------------- output
std::optional<Ipv4Address> Ipv4Layer::next_hop(Ipv4Address dst) const {
    if (ip_.contains(dst)) return dst;
    return gateway_;
}

void Ipv4Layer::route(MutBytes frame, const Ipv4Header& ip, Instant now, TxOffload offload) {
    auto hop = next_hop(ip.dst);
    if (!hop) return stats_.drop(DropReason::ArpUnresolved);
    if (Ipv4Header::len + ip.payload_len <= dev_.mtu() || offload.segment_payload > 0)
        return link_.route(frame, *hop, now, offload);
    send_fragments(frame, ip, *hop, now);
}

// RFC 791 §3.2 fragmentation, for what we build larger than the link's MTU (only an echo reply to
// a large ping can be: TCP keeps its segments within the MSS). Every piece but the last carries a
// multiple of 8 bytes.
void Ipv4Layer::send_fragments(MutBytes frame, const Ipv4Header& ip, Ipv4Address hop, Instant now) {
    size_t payload_len = ip.payload_len;
    size_t piece = (dev_.mtu() - Ipv4Header::len) & ~size_t{7};
    Bytes payload = frame.subspan(ethernet_field::header_len + Ipv4Header::len, payload_len);
    for (size_t offset = 0; offset < payload_len; offset += piece) {
        size_t n = std::min(piece, payload_len - offset);
        MutBytes f{fragment_buffer_.data(), ethernet_field::header_len + Ipv4Header::len + n};
        Ipv4Header part = ip;
        part.payload_len = static_cast<uint16_t>(n);
        part.dont_fragment = false;
        part.more_fragments = offset + n < payload_len;
        part.fragment_offset = static_cast<uint16_t>(offset);
        part.emit(f.subspan(ethernet_field::header_len));
        std::copy_n(payload.begin() + static_cast<std::ptrdiff_t>(offset), n,
                    f.begin() + ethernet_field::header_len + Ipv4Header::len);
        link_.route(f, hop, now);
    }
}

// ---------------------------------------------------------------- time
void Ipv4Layer::run_timers(Instant now) {
    if (auto at = reassembly_.next_expiry(); at && *at <= now) {
        for (size_t n = reassembly_.expire(now); n > 0; --n) stats_.drop(DropReason::Ipv4FragmentTimeout);
    }
}

}  // namespace tapstack
