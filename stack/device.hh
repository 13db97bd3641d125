// SPDX-License-Identifier: MIT
// The one link-layer interface the stack sees (as smoltcp's phy::Device is defined for its
// interface): receive a frame into a caller's buffer, transmit a frame, and (for real devices) a
// file descriptor to poll. The stack defines it; netdev/ implements it: TapDev (Linux TAP),
// MemoryLink (tests), and decorators that wrap another NetDev: PcapTee (capture) and
// FaultInjector (a bad link on purpose).
#pragma once

#include <cstddef>
#include <optional>

#include "stack/base/bytes.hh"
#include "stack/base/time.hh"
#include "stack/wire/tcp_offload.hh"

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
