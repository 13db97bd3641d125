// SPDX-License-Identifier: MIT
// Stack: one network interface (Ethernet + ARP + IPv4 + ICMP + TCP) on one NetDev.
// The only entry points are poll(now) and poll_at(): the caller's event loop reads the clock,
// calls poll(), then sleeps on the device fd until poll_at(). Nothing in here reads a clock or
// blocks, so tests drive the same code in virtual time over a MemoryLink.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "stack/base/result.hh"
#include "stack/base/time.hh"
#include "stack/device.hh"
#include "stack/stats.hh"
#include "stack/tcp/socket.hh"
#include "stack/tcp/tcp_settings.hh"
#include "stack/wire/address.hh"

namespace tapstack {

class ConnectionObserver;

struct StackConfig {
    MacAddress mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};  // locally administered
    Ipv4Cidr ip{Ipv4Address::from_octets(10, 0, 0, 2), 24};
    std::optional<Ipv4Address> gateway;  // for destinations off the subnet

    // Initial sequence numbers: RFC 6528 keyed hash of the 4-tuple plus a 4 µs clock, keyed by
    // `isn_secret`. Tests set `fixed_iss` so that captures are reproducible.
    uint64_t isn_secret = 0;
    std::optional<uint32_t> fixed_iss;

    uint32_t max_connections = 16384;  // TCBs of every state, TIME-WAIT included
    uint32_t max_half_open = 256;      // connections in SYN-RECEIVED; past it, SYN cookies
    // Memory for all connections' send and receive rings together. When it is used up, receive
    // windows close (they never shrink below what was announced, so it can be passed by what is
    // already promised); each ring is also capped by tcp.receive_buffer / tcp.send_buffer.
    size_t max_buffer_memory = 64 * 1024 * 1024;
    Duration arp_timeout = std::chrono::seconds{60};

    // Every connection's settings (stack/tcp/tcp_settings.hh, where each is documented). The
    // Stack sets tcp.mss and tcp.offload_payload from the device; TIME-WAIT is 2*MSL:
    // tcp.set_msl().
    TcpSettings tcp;
};

class Stack {
public:
    Stack(const StackConfig&, NetDev&);
    ~Stack();
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;

    // Receives and processes every frame the device has, runs expired timers, delivers socket
    // events to handlers, and sends what is due.
    void poll(Instant now);
    // The earliest time poll() has work to do without new frames (nullopt: none).
    std::optional<Instant> poll_at() const;

    // --- sockets ---
    // The listener's connections are opened with `options` (tcp_settings.hh: buffer sizes, MSS
    // clamp, keep-alive...), the stack's settings filling in the rest.
    Result<SocketId, ListenError> listen(uint16_t port, SocketHandler& handler, const ConnectionOptions& options = {});
    // Active open. Its timers start at the time of the last poll(): poll once before the first
    // connect of a program.
    Result<SocketId, ConnectError> connect(Ipv4Address dst, uint16_t port, SocketHandler& handler);
    // The same from a chosen local port (bind() before connect(); 0: an ephemeral one) and with
    // the application's options; AddressInUse if the 4-tuple is taken.
    Result<SocketId, ConnectError> connect(Ipv4Address dst, uint16_t port, SocketHandler& handler, uint16_t local_port,
                                           const ConnectionOptions& options = {});
    // A listener's accept queue limit (listen()'s backlog, kept by the socket layer): how many
    // more handshakes it may complete before the application takes some (nullopt, the default:
    // no limit). At 0, SYNs and handshake-completing ACKs are dropped, as Linux does when the
    // accept queue is full; each completed handshake counts one down.
    void set_accept_room(SocketId listener, std::optional<uint32_t> room);
    // Bytes copied out of the receive buffer (0: nothing buffered, or the peer closed and all is
    // read: see peer_closed()); an IoError for an id that names no connection.
    Result<size_t, IoError> read(SocketId, MutBytes);
    // Bytes accepted into the send buffer (0: it is full); an IoError as for read(). `more`
    // (MSG_MORE): more data follows soon, so a partial segment at the end waits for it, as under
    // TCP_CORK, until a write without `more` or an ACK of new data.
    Result<size_t, IoError> write(SocketId, Bytes, bool more = false);
    // What read() would copy, left in the receive buffer (MSG_PEEK).
    Result<size_t, IoError> peek(SocketId, MutBytes);
    size_t readable_bytes(SocketId) const;
    size_t send_space(SocketId) const;
    bool peer_closed(SocketId) const;  // FIN received and all data before it read
    void close(SocketId);              // FIN after queued data; the id becomes stale
    // Half-close (shutdown(SHUT_WR)): FIN after queued data; the id stays valid and reading goes
    // on until the peer's FIN. close() later lets the connection go.
    void shutdown_write(SocketId);
    void abort(SocketId);                   // RST now; the id becomes stale
    void set_nodelay(SocketId, bool on);    // Nagle's algorithm off (TCP_NODELAY)
    void set_keepalive(SocketId, bool on);  // keep-alive probes per StackConfig::tcp.keepalive
    // The options set in `change` for a connection (from now on: buffer sizes and the MSS clamp
    // count only at the open), or for a listener's connections to come.
    void set_options(SocketId, const ConnectionOptions& change);
    std::optional<SocketInfo> info(SocketId) const;
    size_t connection_count() const;

    // Closes every connection (FIN for established ones) and stops accepting: for shutdown.
    void close_all();

    const StackConfig& config() const { return config_; }
    const StackStats& stats() const;
    // Called on every TCP state change and segment (the tracer and tests hook in here).
    void set_observer(ConnectionObserver*);

private:
    struct Impl;
    StackConfig config_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tapstack
