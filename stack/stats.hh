// SPDX-License-Identifier: MIT
// Counters: what arrived, what was sent, and every reason a frame was dropped. One place to look
// ("why was my packet ignored?") and one breakpoint: StackStats::drop(), which every layer calls.
// Also the one mapping from each wire parser's error (stack/wire/) to the reason it is counted as.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "stack/wire/arp.hh"
#include "stack/wire/ethernet.hh"
#include "stack/wire/icmp.hh"
#include "stack/wire/ipv4.hh"
#include "stack/wire/tcp.hh"

namespace tapstack {

// one line per layer, in the order a frame meets them (kept by hand):
// clang-format off
enum class DropReason : uint8_t {
    EthernetTruncated, EthernetNotForUs, EthernetUnknownType,
    ArpMalformed, ArpNotForUs, ArpQueueFull, ArpUnresolved,
    Ipv4Truncated, Ipv4BadVersion, Ipv4BadHeaderLength, Ipv4BadTotalLength, Ipv4BadChecksum,
    Ipv4NotForUs, Ipv4BadSource, Ipv4UnknownProtocol,
    Ipv4FragmentMalformed, Ipv4FragmentTooBig, Ipv4FragmentOverlap, Ipv4FragmentNoMemory, Ipv4FragmentEvicted,
    Ipv4FragmentTimeout,
    IcmpMalformed, IcmpBadChecksum, IcmpUnhandledType,
    TcpMalformed, TcpBadChecksum, TcpNoListener, TcpUnacceptable, TcpTableFull, TcpBadSegment,
    TcpAcceptQueueFull,  // Stack::set_accept_room(): a SYN or handshake ACK for a full listener
    // Inside a connection (TcpEnvironment::segment_dropped), in RFC 9293 §3.10.7.4's order:
    TcpPaws,               // RFC 7323 §5.3 R1: its timestamp is older than TS.Recent (ACK sent)
    TcpOutOfWindow,        // the sequence number check failed (ACK sent unless RST)
    TcpRstNotExact,        // RFC 5961 §3.2: an RST in the window but not at RCV.NXT (challenge ACK)
    TcpSynUnexpected,      // RFC 5961 §4.2: a SYN in a synchronized state (challenge ACK)
    TcpNoAck,              // no ACK bit after the handshake
    TcpAckUnacceptable,    // an ACK for data never sent, or too old (RFC 5961 §5.2), or bad in SYN-SENT/-RECEIVED
    TcpReceiveBufferFull,  // its text lies beyond the receive ring's free space
    TcpReassemblyFull,     // its text would need one out-of-order range more than we keep
    FrameTooLarge,
    Count_
};

constexpr std::string_view to_string(DropReason r) {
    constexpr std::string_view names[] = {
        "ethernet_truncated", "ethernet_not_for_us", "ethernet_unknown_type",
        "arp_malformed", "arp_not_for_us", "arp_queue_full", "arp_unresolved",
        "ipv4_truncated", "ipv4_bad_version", "ipv4_bad_header_length", "ipv4_bad_total_length",
        "ipv4_bad_checksum", "ipv4_not_for_us", "ipv4_bad_source",
        "ipv4_unknown_protocol",
        "ipv4_fragment_malformed", "ipv4_fragment_too_big", "ipv4_fragment_overlap", "ipv4_fragment_no_memory",
        "ipv4_fragment_evicted", "ipv4_fragment_timeout",
        "icmp_malformed", "icmp_bad_checksum", "icmp_unhandled_type",
        "tcp_malformed", "tcp_bad_checksum", "tcp_no_listener", "tcp_unacceptable", "tcp_table_full",
        "tcp_bad_segment", "tcp_accept_queue_full",
        "tcp_paws", "tcp_out_of_window", "tcp_rst_not_exact", "tcp_syn_unexpected", "tcp_no_ack",
        "tcp_ack_unacceptable", "tcp_receive_buffer_full", "tcp_reassembly_full",
        "frame_too_large",
    };
    // clang-format on
    static_assert(std::size(names) == static_cast<size_t>(DropReason::Count_));
    return names[static_cast<size_t>(r)];
}

// Why a parser refused the bytes -> the counter that says so. Here rather than beside each error
// enum because stack/wire/ knows nothing of the stack's counters. The switches have no default:
// a new parser error does not compile (-Wswitch) until it is given a drop reason here.
constexpr DropReason drop_reason(EthernetError e) {
    switch (e) {
    case EthernetError::Truncated: return DropReason::EthernetTruncated;
    }
    return DropReason::EthernetTruncated;  // (not reached: the switch covers every value)
}

constexpr DropReason drop_reason(ArpError e) {
    switch (e) {  // not Ethernet/IPv4 ARP, whatever the detail
    case ArpError::Truncated:
    case ArpError::BadHardware:
    case ArpError::BadProtocol:
    case ArpError::BadOperation: return DropReason::ArpMalformed;
    }
    return DropReason::ArpMalformed;  // (not reached)
}

constexpr DropReason drop_reason(Ipv4Error e) {
    switch (e) {
    case Ipv4Error::Truncated: return DropReason::Ipv4Truncated;
    case Ipv4Error::BadVersion: return DropReason::Ipv4BadVersion;
    case Ipv4Error::BadHeaderLength: return DropReason::Ipv4BadHeaderLength;
    case Ipv4Error::BadTotalLength: return DropReason::Ipv4BadTotalLength;
    case Ipv4Error::BadChecksum: return DropReason::Ipv4BadChecksum;
    }
    return DropReason::Ipv4Truncated;  // (not reached)
}

constexpr DropReason drop_reason(IcmpError e) {
    switch (e) {
    case IcmpError::Truncated: return DropReason::IcmpMalformed;
    case IcmpError::BadChecksum: return DropReason::IcmpBadChecksum;
    }
    return DropReason::IcmpMalformed;  // (not reached)
}

constexpr DropReason drop_reason(TcpError e) {
    switch (e) {
    case TcpError::Truncated:
    case TcpError::BadDataOffset:
    case TcpError::BadOption: return DropReason::TcpMalformed;
    case TcpError::BadChecksum: return DropReason::TcpBadChecksum;
    }
    return DropReason::TcpMalformed;  // (not reached)
}

struct StackStats {
    uint64_t frames_received = 0;
    uint64_t frames_sent = 0;
    uint64_t arp_requests_sent = 0;
    uint64_t arp_replies_sent = 0;
    uint64_t icmp_echo_replies = 0;
    uint64_t ipv4_reassembled = 0;  // datagrams put together from fragments
    uint64_t buffer_memory = 0;     // bytes the connections' rings hold now (a level, not a count)
    uint64_t tcp_segments_received = 0;
    uint64_t tcp_segments_sent = 0;
    uint64_t tcp_retransmissions = 0;
    uint64_t tcp_timeouts = 0;                   // retransmission timer expiries
    uint64_t tcp_challenge_acks_suppressed = 0;  // RFC 5961 §7 limit reached
    uint64_t tcp_syn_cookies_sent = 0;           // SYN,ACKs sent without a TCB (half-open limit reached)
    uint64_t tcp_syn_cookies_accepted = 0;       // connections made from a returning cookie
    uint64_t tcp_fast_recoveries = 0;            // losses repaired without a timeout (RFC 5681/6582/6675)
    uint64_t tcp_resets_sent = 0;
    // Connections: every one opened ends in exactly one of the four end counters (TcpEnd), or is
    // still in TIME-WAIT, or still open (docs/design.md, "Counting connections").
    uint64_t tcp_connections_opened = 0;
    uint64_t tcp_connections_closed = 0;         // both FINs acknowledged: TIME-WAIT over, or LAST-ACK done
    uint64_t tcp_connections_reset_by_peer = 0;  // an RST arrived (connection refused included)
    uint64_t tcp_connections_reset_by_us = 0;    // the application aborted: we sent an RST
    uint64_t tcp_connections_aborted = 0;        // timed out, closed with data unread, connect cancelled or unreachable
    uint64_t tcp_connections_time_wait = 0;      // in TIME-WAIT now (a level, not a count)
    std::array<uint64_t, static_cast<size_t>(DropReason::Count_)> dropped{};

    // Counts a frame (or segment) dropped for `r` and traces it (stack/stats.cc).
    void drop(DropReason r);
    uint64_t drops(DropReason r) const { return dropped[static_cast<size_t>(r)]; }
    // Connections in any state but TIME-WAIT and CLOSED now.
    uint64_t tcp_connections_open() const {
        return tcp_connections_opened - tcp_connections_closed - tcp_connections_reset_by_peer -
               tcp_connections_reset_by_us - tcp_connections_aborted - tcp_connections_time_wait;
    }
    uint64_t total_drops() const {
        uint64_t n = 0;
        for (auto v : dropped) n += v;
        return n;
    }
};

}  // namespace tapstack
