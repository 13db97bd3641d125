// SPDX-License-Identifier: MIT
// ICMP (RFC 792), the one message we answer: an echo request gets its echo reply (ping).
// Stack::poll() delivers every ICMP datagram here; replies leave through Ipv4Layer::send().
// Everything else (errors, unreachables, timestamps) is dropped and counted; we send no ICMP errors.
#pragma once

#include "stack/base/time.hh"
#include "stack/ip/ipv4_layer.hh"
#include "stack/stats.hh"
#include "stack/wire/ipv4.hh"

namespace tapstack {

class IcmpEcho {
public:
    IcmpEcho(Ipv4Layer& ip, StackStats& stats) : ip_(ip), stats_(stats) {}

    // An ICMP datagram addressed to us.
    void receive(const Ipv4View& ip, Instant now);

private:
    Ipv4Layer& ip_;
    StackStats& stats_;
};

}  // namespace tapstack
