// SPDX-License-Identifier: MIT
// The one link-layer interface the stack sees: receive a frame into a caller's buffer, transmit a
// frame, and (for real devices) a file descriptor to poll. Implementations: TapDev (Linux TAP),
// MemoryLink (tests), and decorators that wrap another NetDev: PcapTee (capture) and
// FaultInjector (a bad link on purpose). Only this header of netdev/ may be included from stack/.
#pragma once

#include <cstddef>
#include <optional>

#include "stack/base/bytes.hh"
#include "stack/base/time.hh"

namespace tapstack {

// Largest Ethernet frame (without FCS) we handle at MTU 1500: 14 + 1500.
inline constexpr size_t max_frame_len = 1514;
// Largest frame any device hands over: the largest IPv4 datagram, an Ethernet header and one
// VLAN tag (a TAP device at its largest MTU, or a GSO bundle from the kernel with --offload).
inline constexpr size_t max_device_frame_len = 65535 + 14 + 4;

// What a device can do for the stack besides carrying frames: a TAP device attached with
// `--offload` (IFF_VNET_HDR) leaves TCP checksums and segmentation to the kernel, as a NIC with
// checksum offload and TSO does. The stack asks offloads() once and sends accordingly.
struct Offloads {
    // The device completes TCP checksums of the frames handed to transmit_offloaded().
    bool tcp_checksum = false;
    // Largest TCP/IPv4 frame (Ethernet header included) the device cuts into MTU-sized segments
    // itself (TCP segmentation offload); 0: none. Such a device also receives frames this large
    // (the kernel's GSO/GRO bundles), with their checksums complete.
    size_t max_segmentation_frame = 0;
};

// How transmit_offloaded() is to finish an IPv4/TCP frame.
struct TxOffload {
    // The TCP checksum field holds the folded pseudo-header sum, not the checksum (Linux's
    // CHECKSUM_PARTIAL): the device sums from the TCP header to the end and stores the result.
    bool partial_checksum = false;
    // > 0: the frame is larger than the MTU and is cut into segments carrying this many payload
    // bytes (the last one less): same headers, sequence numbers advanced, PSH and FIN only on the
    // last, each with its own IPv4 identification, total length and checksums.
    uint16_t segment_payload = 0;
};

// Where the headers of an Ethernet/IPv4/TCP frame end, and where its TCP checksum lies: what a
// device needs to finish a frame the stack handed it with offloads.
struct TcpFrameLayout {
    static constexpr size_t ethernet_header = 14;
    size_t ip_header = 0;   // IHL * 4
    size_t tcp_header = 0;  // data offset * 4
    size_t tcp_start() const { return ethernet_header + ip_header; }
    size_t checksum_field() const { return tcp_start() + 16; }
    size_t headers() const { return tcp_start() + tcp_header; }
};
// nullopt when `frame` is not a whole IPv4/TCP frame with sane header lengths.
std::optional<TcpFrameLayout> tcp_frame_layout(Bytes frame);

// Completes a partial checksum as a NIC does: sums from `start` to the end of `frame` (the seed
// already in the field included) and stores the result at `field`. False, and nothing written,
// when the offsets do not fit the frame.
bool complete_partial_checksum(MutBytes frame, size_t start, size_t field);

// The pieces a device with these offloads makes of an IPv4/TCP frame, done in software: their
// number, and piece `index` built into `buffer` (at least frame.size() bytes), checksums
// complete. Anything that is not an IPv4/TCP frame is one piece, copied as it is. NetDev's
// default transmit_offloaded() and the stack's ARP queue use it; tests hold the stack to it.
size_t offload_piece_count(Bytes frame, TxOffload offload);
MutBytes build_offload_piece(Bytes frame, TxOffload offload, size_t index, MutBytes buffer);

class NetDev {
public:
    virtual ~NetDev() = default;

    // Copies the next received frame into `buffer` and returns its length; nullopt when nothing is
    // ready. Never blocks. A frame longer than `buffer` is dropped and counted by the device.
    virtual std::optional<size_t> receive(MutBytes buffer, Instant now) = 0;

    // Sends one complete Ethernet frame (no FCS). Never blocks; a frame the device cannot take now
    // is dropped and counted (TCP recovers).
    virtual void transmit(Bytes frame, Instant now) = 0;

    // Sends an IPv4/TCP frame that still needs the work `offload` describes. Only devices whose
    // offloads() promise it get such frames. This default does the work in software (segments
    // and checksums, then transmit() for each piece): correct and allocation-free, but a copy per
    // piece; devices that can hand the work on (TapDev with --offload) override it.
    virtual void transmit_offloaded(MutBytes frame, Instant now, TxOffload offload);
    virtual Offloads offloads() const { return {}; }

    // A file descriptor that becomes readable when receive() may return a frame, or -1.
    virtual int wait_fd() const { return -1; }

    // Largest IP payload (MTU) the link carries.
    virtual size_t mtu() const { return 1500; }

    // When a frame the device holds back (a delaying decorator) becomes due, for the event loop's
    // sleep; nullopt: nothing held.
    virtual std::optional<Instant> next_ready() const { return std::nullopt; }
};

}  // namespace tapstack
