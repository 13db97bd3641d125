// SPDX-License-Identifier: MIT
// Stack: the wiring of the layers, poll() and the public API. Frames go up
// EthernetLayer -> Ipv4Layer -> IcmpEcho | TcpTable (stack/link, stack/ip, stack/tcp): each
// layer's receive() returns what the next one takes, and deliver() picks by protocol. Frames go
// down through Ipv4Layer::send() and EthernetLayer::route(). Nothing here parses or builds a
// header; poll() sets the order of the work (input, ACKs, timers, events, output).
#include "stack/stack.hh"

#include <algorithm>
#include <vector>

#include "stack/ip/icmp_echo.hh"
#include "stack/ip/ipv4_layer.hh"
#include "stack/link/ethernet_layer.hh"
#include "stack/tcp/tcp_connection.hh"
#include "stack/tcp/tcp_table.hh"
#include "stack/wire/ethernet.hh"
#include "stack/wire/ipv4.hh"
#include "stack/wire/tcp.hh"

namespace tapstack {
namespace {

// Listener handles live in a separate index space from connection slots.
constexpr uint32_t listener_index_base = 0x80000000u;
// At most this many frames per poll(), so timers and the application still run under a flood.
constexpr size_t max_frames_per_poll = 4096;

// StackConfig::tcp, with the two numbers that come from the device: the MSS we announce and, with
// segmentation offload, the largest payload of one segment.
TcpSettings tcp_settings(const StackConfig& c, const NetDev& d, const Offloads& offloads) {
    TcpSettings settings = c.tcp;
    settings.mss =
        static_cast<uint16_t>(std::min<size_t>(d.mtu(), 65535) - Ipv4Header::len - tcp_field::min_header_len);
    settings.offload_payload = 0;
    // Segmentation offload: segments as large as the device takes and an IPv4 datagram holds
    // (with the longest TCP header), the way Linux sends 64 KB bundles to a TSO device.
    if (offloads.max_segmentation_frame > 0) {
        size_t frame = std::min(offloads.max_segmentation_frame, max_device_frame_len);
        size_t headers = ethernet_field::header_len + Ipv4Header::len + tcp_field::max_header_len;
        if (frame > headers)
            settings.offload_payload = static_cast<uint32_t>(
                std::min<size_t>(frame - headers, 65535 - Ipv4Header::len - tcp_field::max_header_len));
    }
    return settings;
}

TcpTableConfig tcp_table_config(const StackConfig& c, const Offloads& offloads) {
    TcpTableConfig t;
    t.max_connections = c.max_connections;
    t.max_half_open = c.max_half_open;
    t.max_buffer_memory = c.max_buffer_memory;
    t.isn_secret = c.isn_secret;
    t.fixed_iss = c.fixed_iss;
    t.checksum_offload = offloads.tcp_checksum;
    return t;
}

}  // namespace

struct Stack::Impl {
    Impl(const StackConfig& c, NetDev& d)
        : dev(d),
          offloads(d.offloads()),
          ethernet(d, c.mac, c.ip, c.arp_timeout, stats),
          ipv4(ethernet, d, c.ip, c.gateway, stats),
          icmp(ipv4, stats),
          tcp(ipv4, tcp_settings(c, d, offloads), tcp_table_config(c, offloads), stats) {
        rx_buffer.resize(max_device_frame_len);
    }

    NetDev& dev;
    Offloads offloads;  // what the device finishes for us (--offload on a TAP device)
    StackStats stats;
    std::vector<uint8_t> rx_buffer;
    Instant now;
    // The layers, bottom up; each holds references to those below it and to stats.
    EthernetLayer ethernet;
    Ipv4Layer ipv4;
    IcmpEcho icmp;
    TcpTable tcp;

    void handle_frame(Bytes frame) {
        auto packet = ethernet.receive(frame, now);
        if (!packet) return;
        auto datagram = ipv4.receive(*packet, now);
        if (!datagram) return;
        deliver(*datagram);
    }

    void deliver(const Ipv4View& ip) {
        switch (ip.protocol()) {
        case static_cast<uint8_t>(IpProtocol::Icmp): return icmp.receive(ip, now);
        case static_cast<uint8_t>(IpProtocol::Tcp): return tcp.receive(ip, now);
        default: return stats.drop(DropReason::Ipv4UnknownProtocol);
        }
    }

    void run_timers() {
        tcp.run_timers(now);
        ipv4.run_timers(now);
        auto unresolved = ethernet.run_timers(now);
        if (!unresolved.empty()) tcp.end_unreachable(unresolved, now);
    }

    void poll(Instant t) {
        now = t;
        for (size_t i = 0; i < max_frames_per_poll; ++i) {
            auto n = dev.receive(MutBytes{rx_buffer.data(), rx_buffer.size()}, now);
            if (!n) break;
            handle_frame(Bytes{rx_buffer.data(), *n});
        }
        // ACKs for everything that just arrived leave now, one per connection however many of
        // its segments came in this batch, and before the application answers: the article's
        // separate "ACK 323" comes from here.
        tcp.flush_dispatch(now);
        run_timers();
        tcp.deliver_events();
        tcp.flush_dispatch(now);
#ifndef NDEBUG
        tcp.check_no_connection_is_stuck();
#endif
    }

    std::optional<Instant> poll_at() const {
        std::optional<Instant> at = earliest(ethernet.poll_at(), dev.next_ready());
        at = earliest(at, ipv4.poll_at());
        return earliest(at, tcp.poll_at(now));
    }

    Result<TcpConnection*, IoError> open_connection(SocketId id) const;
};

// -------------------------------------------------------------------- Stack

Stack::Stack(const StackConfig& config, NetDev& dev) : config_(config), impl_(std::make_unique<Impl>(config, dev)) {}
Stack::~Stack() = default;

void Stack::poll(Instant now) { impl_->poll(now); }
std::optional<Instant> Stack::poll_at() const { return impl_->poll_at(); }
const StackStats& Stack::stats() const { return impl_->stats; }
void Stack::set_observer(ConnectionObserver* o) {
    impl_->ethernet.set_observer(o);
    impl_->tcp.set_observer(o);
}
size_t Stack::connection_count() const { return impl_->tcp.connection_count(); }

Result<SocketId, ListenError> Stack::listen(uint16_t port, SocketHandler& handler, const ConnectionOptions& options) {
    if (port == 0) return Err{ListenError::InvalidPort};
    if (!impl_->tcp.listen(port, handler, options)) return Err{ListenError::PortInUse};
    return SocketId{listener_index_base | port, 1};
}

Result<SocketId, ConnectError> Stack::connect(Ipv4Address dst, uint16_t port, SocketHandler& handler) {
    if (!impl_->ipv4.next_hop(dst)) return Err{ConnectError::NoRoute};
    return impl_->tcp.connect(dst, port, handler, impl_->now);
}

Result<SocketId, ConnectError> Stack::connect(Ipv4Address dst, uint16_t port, SocketHandler& handler,
                                              uint16_t local_port, const ConnectionOptions& options) {
    if (!impl_->ipv4.next_hop(dst)) return Err{ConnectError::NoRoute};
    return impl_->tcp.connect(dst, port, handler, impl_->now, local_port, options);
}

void Stack::set_accept_room(SocketId listener, std::optional<uint32_t> room) {
    if (listener.index < listener_index_base || listener.index == UINT32_MAX) return;
    impl_->tcp.set_accept_room(static_cast<uint16_t>(listener.index & 0xffff), room);
}

std::string_view to_string(IoError e) {
    switch (e) {
    case IoError::StaleSocket: return "stale socket";
    case IoError::NotConnected: return "not connected";
    }
    return "?";
}

// The connection behind an id the application may still use, or why there is none.
Result<TcpConnection*, IoError> Stack::Impl::open_connection(SocketId id) const {
    if (id.index >= listener_index_base && id.index != UINT32_MAX) return Err{IoError::NotConnected};
    TcpConnection* c = tcp.get(id);
    if (!c || c->app_closed()) return Err{IoError::StaleSocket};
    return c;
}

Result<size_t, IoError> Stack::read(SocketId id, MutBytes out) {
    auto found = impl_->open_connection(id);
    if (!found) return Err{found.error()};
    TcpConnection* c = *found;
    size_t n = c->read(out, impl_->now);
    if (n > 0) impl_->tcp.mark(*c);  // may owe the peer a window update
    return n;
}

Result<size_t, IoError> Stack::peek(SocketId id, MutBytes out) {
    auto found = impl_->open_connection(id);
    if (!found) return Err{found.error()};
    return (*found)->peek(out);
}

Result<size_t, IoError> Stack::write(SocketId id, Bytes data, bool more) {
    auto found = impl_->open_connection(id);
    if (!found) return Err{found.error()};
    TcpConnection* c = *found;
    size_t n = c->write(data, more);
    if (n > 0 || !more) impl_->tcp.mark(*c);  // a write without MSG_MORE pushes what waits
    return n;
}

size_t Stack::readable_bytes(SocketId id) const {
    TcpConnection* c = impl_->tcp.get(id);
    return c && !c->app_closed() ? c->readable_bytes() : 0;
}
size_t Stack::send_space(SocketId id) const {
    TcpConnection* c = impl_->tcp.get(id);
    return c && !c->app_closed() ? c->send_space() : 0;
}
bool Stack::peer_closed(SocketId id) const {
    TcpConnection* c = impl_->tcp.get(id);
    return !c || c->peer_closed() || c->state() == TcpState::Closed;
}

void Stack::close(SocketId id) {
    if (id.index >= listener_index_base && id.index != UINT32_MAX) {
        impl_->tcp.stop_listening(static_cast<uint16_t>(id.index & 0xffff));
        return;
    }
    TcpConnection* c = impl_->tcp.get(id);
    if (!c || c->app_closed()) return;
    c->close(impl_->now);
    impl_->tcp.mark(*c);
}

void Stack::shutdown_write(SocketId id) {
    auto found = impl_->open_connection(id);
    if (!found) return;
    (*found)->shutdown_write(impl_->now);
    impl_->tcp.mark(**found);  // the FIN may go now
}

void Stack::abort(SocketId id) {
    TcpConnection* c = impl_->tcp.get(id);
    if (!c || c->app_closed()) return;
    c->abort(impl_->now);
    impl_->tcp.mark(*c);
}

void Stack::set_nodelay(SocketId id, bool on) {
    if (TcpConnection* c = impl_->tcp.get(id)) {
        c->set_nodelay(on);
        impl_->tcp.mark(*c);  // data held back by Nagle may go now
    }
}

void Stack::set_keepalive(SocketId id, bool on) {
    if (TcpConnection* c = impl_->tcp.get(id)) {
        c->set_keepalive(on, impl_->now);
        impl_->tcp.reschedule(*c);
    }
}

void Stack::set_options(SocketId id, const ConnectionOptions& change) {
    if (id.index >= listener_index_base && id.index != UINT32_MAX) {
        impl_->tcp.update_listener_options(static_cast<uint16_t>(id.index & 0xffff), change);
    } else if (TcpConnection* c = impl_->tcp.get(id)) {
        c->set_options(change, impl_->now);
        impl_->tcp.mark(*c);        // an uncork or TCP_NODELAY sends what waits
        impl_->tcp.reschedule(*c);  // keep-alive timings move its timer
    }
}

std::optional<SocketInfo> Stack::info(SocketId id) const {
    TcpConnection* c = impl_->tcp.get(id);
    if (!c) return std::nullopt;
    const FourTuple& t = c->tuple();
    SocketInfo i{t.local_ip, t.local_port, t.remote_ip, t.remote_port, c->state()};
    i.cwnd = c->cwnd();
    i.ssthresh = c->ssthresh();
    i.rto = c->rto();
    i.retransmissions = c->retransmissions();
    i.in_recovery = c->in_recovery();
    i.timestamps = c->timestamps_enabled();
    i.sack = c->sack_enabled();
    i.window_scaling = c->window_scaling_enabled();
    i.send_queue = c->send_queue();
    i.unsent = c->unsent();
    i.send_mss = c->send_mss();
    i.receive_mss = c->receive_mss();
    i.announced_mss = c->announced_mss();
    i.srtt = c->rtt().srtt();
    i.rttvar = c->rtt().rttvar();
    i.backoff = c->backoff();
    i.send_window_shift = c->send_window_shift();
    i.receive_window_shift = c->receive_window_shift();
    return i;
}

void Stack::close_all() { impl_->tcp.close_all(impl_->now); }

}  // namespace tapstack
