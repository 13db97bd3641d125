// SPDX-License-Identifier: MIT
// The socket-like API that applications use (apps/http, the client in `tapstack get`, tests).
// Connections are owned by the stack; applications hold SocketIds, small handles that become
// stale (and harmless: calls on them do nothing) once the connection is gone.
//
// Events are never delivered while the stack is in the middle of processing a segment: they are
// queued and handed to the SocketHandler at the end of Stack::poll(), so a handler may call any
// API function (read, write, close, connect) from inside a callback.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "stack/base/time.hh"
#include "stack/tcp/tcp_state.hh"
#include "stack/wire/address.hh"

namespace tapstack {

struct SocketId {
    uint32_t index = UINT32_MAX;
    uint32_t generation = 0;

    bool valid() const { return index != UINT32_MAX; }
    friend bool operator==(SocketId, SocketId) = default;
};

struct SocketIdHash {
    size_t operator()(SocketId s) const { return (size_t{s.generation} << 32) ^ s.index; }
};

// Why a connection ended without the application closing it.
enum class CloseReason : uint8_t {
    Reset,            // the peer sent RST
    TimedOut,         // retransmissions exhausted (or connect timed out)
    Refused,          // RST in answer to our SYN
    Aborted,          // the stack gave up on it (e.g. shutdown)
    HostUnreachable,  // a connect whose next hop never answered ARP (Linux: EHOSTUNREACH)
};
std::string_view to_string(CloseReason);

// Implemented by applications. One handler may serve many sockets.
class SocketHandler {
public:
    virtual ~SocketHandler() = default;
    // A listener accepted a connection (now ESTABLISHED). The socket uses this same handler.
    virtual void on_accept(SocketId /*accepted*/) {}
    // An active open completed (ESTABLISHED).
    virtual void on_connected(SocketId) {}
    // New bytes can be read, or the peer closed its side (read() == 0 and peer_closed()).
    virtual void on_readable(SocketId) {}
    // Send space grew: write() will accept more bytes now.
    virtual void on_writable(SocketId) {}
    // The connection ended without the application's close(): the SocketId is stale afterwards.
    virtual void on_closed(SocketId, CloseReason) {}
};

enum class ListenError : uint8_t { PortInUse, InvalidPort };
// Why read() or write() could not even try. "Nothing to read" and "no room to write" are not
// errors (0 bytes); these are for an id that names no connection, which a POSIX socket layer
// reports as EBADF and ENOTCONN.
enum class IoError : uint8_t {
    StaleSocket,   // no connection has this id (any more): it ended, or close()/abort() let it go
    NotConnected,  // a listener's id: a listening socket carries no data
};
std::string_view to_string(IoError);
enum class ConnectError : uint8_t {
    NoRoute,
    NoFreePort,
    TooManyConnections,
    AddressInUse,  // connect() from a given local port: that 4-tuple is taken
};

struct SocketInfo {
    Ipv4Address local_ip;
    uint16_t local_port = 0;
    Ipv4Address remote_ip;
    uint16_t remote_port = 0;
    TcpState state = TcpState::Closed;  // to_string(state): the RFC spelling, "ESTABLISHED"
    // The sender's view, for tools, tests and learners.
    uint32_t cwnd = 0, ssthresh = 0;  // bytes
    Duration rto{0};
    uint32_t retransmissions = 0;
    bool in_recovery = false;
    bool timestamps = false, sack = false, window_scaling = false;  // negotiated
    // The send queue (Linux's SIOCOUTQ and SIOCOUTQNSD): bytes written and not yet acknowledged,
    // and of those the ones not sent yet; a FIN queued counts one, as it does in Linux.
    uint32_t send_queue = 0, unsent = 0;
    // For TCP_INFO.
    uint32_t send_mss = 0;           // payload of a full segment we send (less the options every one carries)
    uint32_t receive_mss = 0;        // the largest segment the peer has sent
    uint32_t announced_mss = 0;      // the MSS our SYN or SYN,ACK announced
    std::optional<Duration> srtt{};  // none before the first sample
    Duration rttvar{0};
    uint32_t backoff = 0;  // retransmission timeouts in a row, without progress
    uint8_t send_window_shift = 0, receive_window_shift = 0;
};

}  // namespace tapstack
