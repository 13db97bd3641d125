// SPDX-License-Identifier: MIT
// ICMP echo (see icmp_echo.hh): checks the message and answers echo requests. A reply larger
// than the MTU (a large ping) is fragmented by Ipv4Layer, not here.
#include "stack/ip/icmp_echo.hh"

#include "stack/wire/icmp.hh"

namespace tapstack {

void IcmpEcho::receive(const Ipv4View& ip, Instant now) {
    auto icmp = IcmpView::parse(ip.payload());
    if (!icmp) return stats_.drop(drop_reason(icmp.error()));
    if (icmp->type() != static_cast<uint8_t>(IcmpType::EchoRequest) || icmp->code() != 0)
        return stats_.drop(DropReason::IcmpUnhandledType);
    // RFC 792: the echo reply carries the request's identifier, sequence number and data.
    Bytes rest = icmp->rest_of_header();
    Bytes data = icmp->data();
    ++stats_.icmp_echo_replies;
    ip_.send(
        ip.src(), IpProtocol::Icmp, icmp_field::header_len + data.size(),
        [&](MutBytes out, PseudoHeader) { emit_icmp(out, IcmpType::EchoReply, 0, rest, data); }, now);
}

}  // namespace tapstack
