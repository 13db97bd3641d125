// SPDX-License-Identifier: MIT
// Hooks for watching the stack work: every frame in and out, every TCP state change. The
// conversation tracer (stack/trace) and tests implement it; the stack calls it synchronously.
#pragma once

#include <string_view>

#include "stack/base/bytes.hh"
#include "stack/base/time.hh"
#include "stack/tcp/four_tuple.hh"
#include "stack/tcp/tcp_state.hh"

namespace tapstack {

enum class FrameDirection : uint8_t { Received, Sent };

class ConnectionObserver {
public:
    virtual ~ConnectionObserver() = default;
    // Called for every frame read from the device (before processing) and every frame sent.
    virtual void on_frame(Instant, FrameDirection, Bytes /*frame*/) {}
    // Called by TcpConnection::set_state for every transition, after the frame that caused it
    // has been reported through on_frame (state changes on timers have no frame).
    virtual void on_state_change(Instant, const FourTuple&, TcpState /*from*/, TcpState /*to*/,
                                 std::string_view /*why*/) {}
};

}  // namespace tapstack
