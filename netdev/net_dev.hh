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

class NetDev {
public:
    virtual ~NetDev() = default;

    // Copies the next received frame into `buffer` and returns its length; nullopt when nothing is
    // ready. Never blocks. A frame longer than `buffer` is dropped and counted by the device.
    virtual std::optional<size_t> receive(MutBytes buffer, Instant now) = 0;

    // Sends one complete Ethernet frame (no FCS). Never blocks; a frame the device cannot take now
    // is dropped and counted (TCP recovers).
    virtual void transmit(Bytes frame, Instant now) = 0;

    // A file descriptor that becomes readable when receive() may return a frame, or -1.
    virtual int wait_fd() const { return -1; }

    // Largest IP payload (MTU) the link carries.
    virtual size_t mtu() const { return 1500; }

    // When a frame the device holds back (a delaying decorator) becomes due, for the event loop's
    // sleep; nullopt: nothing held.
    virtual std::optional<Instant> next_ready() const { return std::nullopt; }
};

}  // namespace tapstack
