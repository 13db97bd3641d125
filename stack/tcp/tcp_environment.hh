// SPDX-License-Identifier: MIT
// TcpEnvironment: what a TcpConnection needs from the world around it (the stack's TcpTable, or a
// test's recording harness, tests/support/conn_script.hh): a way to send, and to tell of state
// changes, socket events, retransmissions, losses and drops. And TcpEnd, how a connection ended.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "stack/base/time.hh"
#include "stack/stats.hh"
#include "stack/tcp/tcp_state.hh"
#include "stack/wire/tcp.hh"

namespace tapstack {

class TcpConnection;

// How a connection ended, for the stack's counters: each connection ends in exactly one way.
enum class TcpEnd : uint8_t {
    Closed,       // both FINs sent and acknowledged (after TIME-WAIT or LAST-ACK): the normal end
    ResetByPeer,  // an RST arrived (also "connection refused" in SYN-SENT)
    ResetByUs,    // the application's ABORT sent an RST
    Aborted,      // the stack gave up or data was lost: retransmissions, user timeout, keep-alive,
                  // closed with data unread (RST), a connect cancelled before the handshake
};
std::string_view to_string(TcpEnd);

// What a connection needs from the stack around it.
class TcpEnvironment {
public:
    virtual ~TcpEnvironment() = default;
    // Sends one segment of this connection (the stack adds IPv4 and Ethernet).
    virtual void transmit(TcpConnection&, const TcpSegment&, Instant now) = 0;
    // Every state change, for the log, the tracer and tests.
    virtual void state_changed(TcpConnection&, TcpState from, TcpState to, std::string_view why, Instant now) = 0;
    // Socket events for the application, delivered later (end of Stack::poll).
    virtual void post_event(TcpConnection&) = 0;
    // A segment (or SYN/FIN) is being sent again: for the counters.
    virtual void retransmitted(TcpConnection&) {}
    // Buffer memory, stack-wide (StackConfig::max_buffer_memory): how much more the rings may take,
    // and each change of what this connection's rings hold.
    virtual size_t buffer_memory_left() const { return SIZE_MAX; }
    virtual void buffer_memory_changed(TcpConnection&, int64_t delta) { (void)delta; }
    // An ACK owed to a suspicious segment was not sent: the per-connection limit was reached.
    virtual void challenge_ack_suppressed(TcpConnection&) {}
    // A loss was detected: by the retransmission timer, or by duplicate ACKs / SACK blocks.
    virtual void loss_detected(TcpConnection&, bool by_timeout) { (void)by_timeout; }
    // A segment was discarded, or its text was (RFC 9293 §3.10.7.4's "drop the segment"), for
    // `reason` (one of the tcp_* reasons after TcpBadSegment in stats.hh).
    virtual void segment_dropped(TcpConnection&, DropReason reason) { (void)reason; }
};

}  // namespace tapstack
