// SPDX-License-Identifier: MIT
// The link layer: Ethernet frames in and out of the device, the ethertype demux, the ARP
// responder and next-hop resolution (frames wait in the ARP cache's queue for an answer).
// Stack::poll() hands it each received frame and takes back the IPv4 packet; the IPv4 layer
// sends through route(). It knows nothing above IPv4's addresses: no routing, no TCP.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "stack/base/bytes.hh"
#include "stack/base/time.hh"
#include "stack/device.hh"
#include "stack/link/arp_cache.hh"
#include "stack/observer.hh"
#include "stack/stats.hh"
#include "stack/wire/address.hh"
#include "stack/wire/arp.hh"
#include "stack/wire/ethernet.hh"

namespace tapstack {

class EthernetLayer {
public:
    EthernetLayer(NetDev& dev, MacAddress mac, Ipv4Cidr ip, Duration arp_timeout, StackStats& stats);

    void set_observer(ConnectionObserver* o) { observer_ = o; }

    // --- input ---
    // One frame from the device. Returns the IPv4 packet it carries, for the IPv4 layer; nullopt
    // when the frame ends here (ARP, or dropped and counted).
    std::optional<Bytes> receive(Bytes frame, Instant now);

    // --- output ---
    // Sends a frame whose IPv4 part is complete to `hop`'s MAC, or queues it until ARP answers.
    void route(MutBytes frame, Ipv4Address hop, Instant now, TxOffload offload = {});
    // Hands a finished frame to the device (with the work `offload` describes still to do).
    void transmit(MutBytes frame, Instant now, TxOffload offload = {});

    // --- time ---
    // Repeats unanswered ARP requests and expires entries. Returns the next hops ARP gave up on
    // (the frames queued for them are dropped and counted).
    std::vector<Ipv4Address> run_timers(Instant now);
    std::optional<Instant> poll_at() const { return arp_.poll_at(); }

private:
    void receive_arp(const EthernetView& eth, Instant now);
    void send_arp(ArpOp op, MacAddress eth_dst, MacAddress target_mac, Ipv4Address target_ip, Instant now);
    void send_arp_request(Ipv4Address ip, Instant now);

    NetDev& dev_;
    MacAddress mac_;
    Ipv4Cidr ip_;
    StackStats& stats_;
    ConnectionObserver* observer_ = nullptr;
    ArpCache arp_;
};

}  // namespace tapstack
