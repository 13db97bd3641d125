// SPDX-License-Identifier: MIT
// TCP segmentation and checksum offload as bytes: what a NIC with TSO and checksum offload (or
// Linux's tcp_gso_segment) does to an Ethernet/IPv4/TCP frame, done in software. Wire-level work
// with no state: the stack uses it for frames it must finish itself (its ARP queue), netdev/ for
// devices that cannot hand the work on (NetDev::transmit_offloaded's default) and for captures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/base/bytes.hh"
#include "stack/wire/ethernet.hh"
#include "stack/wire/tcp.hh"

namespace tapstack {

// How an IPv4/TCP frame handed to a device with offloads is to be finished.
struct TxOffload {
    // The TCP checksum field holds the folded pseudo-header sum, not the checksum (Linux's
    // CHECKSUM_PARTIAL): the device sums from the TCP header to the end and stores the result.
    bool partial_checksum = false;
    // > 0: the frame is larger than the MTU and is cut into segments carrying this many payload
    // bytes (the last one less): same headers, sequence numbers advanced, PSH and FIN only on the
    // last, each with its own IPv4 identification, total length and checksums.
    uint16_t segment_payload = 0;
};

// Where the headers of an Ethernet/IPv4/TCP frame end, and where its TCP checksum lies.
struct TcpFrameLayout {
    static constexpr size_t ethernet_header = ethernet_field::header_len;
    size_t ip_header = 0;   // IHL * 4
    size_t tcp_header = 0;  // data offset * 4
    size_t tcp_start() const { return ethernet_header + ip_header; }
    size_t checksum_field() const { return tcp_start() + tcp_field::checksum; }
    size_t headers() const { return tcp_start() + tcp_header; }
};
// nullopt when `frame` is not a whole IPv4/TCP frame with sane header lengths.
std::optional<TcpFrameLayout> tcp_frame_layout(Bytes frame);

// Completes a partial checksum as a NIC does: sums from `start` to the end of `frame` (the seed
// already in the field included) and stores the result at `field`. False, and nothing written,
// when the offsets do not fit the frame.
bool complete_partial_checksum(MutBytes frame, size_t start, size_t field);

// The pieces a device with these offloads makes of an IPv4/TCP frame: their number, and piece
// `index` built into `buffer` (at least frame.size() bytes), checksums complete. Anything that is
// not an IPv4/TCP frame is one piece, copied as it is.
size_t offload_piece_count(Bytes frame, TxOffload offload);
MutBytes build_offload_piece(Bytes frame, TxOffload offload, size_t index, MutBytes buffer);

}  // namespace tapstack
