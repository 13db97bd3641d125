// SPDX-License-Identifier: MIT
// TcpSettings: every knob of a TCP connection, documented once, here. StackConfig embeds one
// (`config.tcp`) and the Stack hands it to each connection, filling in the two numbers that come
// from the device (mss, offload_payload). Tests that drive a TcpConnection alone (ConnScript)
// build one directly. Nothing here is per-connection state. ConnectionOptions, below, is what one
// application may choose for its own connections (the socket layer's setsockopt).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

#include "stack/base/time.hh"
#include "stack/tcp/congestion.hh"

namespace tapstack {

// RFC 1122 §4.2.3.6 keep-alives: off unless enabled here or per connection (Stack::set_keepalive).
struct KeepaliveSettings {
    bool enabled = false;  // for every new connection
    Duration idle = std::chrono::hours{2};
    Duration interval = std::chrono::seconds{75};
    uint32_t probes = 9;  // unanswered probes before the connection is dropped
};

struct TcpSettings {
    // Each connection's rings start small and grow with data up to these; all of them together
    // are also held to StackConfig::max_buffer_memory.
    uint32_t receive_buffer = 64 * 1024;
    uint32_t send_buffer = 256 * 1024;
    // What we announce. Set by the Stack from the device's MTU (MTU - 40); a value set in
    // StackConfig::tcp is replaced.
    uint16_t mss = 1460;
    // TCP segmentation offload (--offload): the largest payload of one segment that the device
    // cuts into MSS-sized pieces; 0: every segment fits the MSS. Set by the Stack from the
    // device's offloads, like mss.
    uint32_t offload_payload = 0;
    // TIME-WAIT lasts 2*MSL (RFC 9293 §3.4.2; 60 s, as Linux).
    Duration time_wait = std::chrono::seconds{60};
    // How long an orphaned connection (the application closed it) waits in FIN-WAIT-2 for the
    // peer's FIN: Linux's tcp_fin_timeout, 60 s. After a half-close (Stack::shutdown_write) the
    // application still holds it and may read for as long as it likes: the wait starts at close().
    Duration fin_wait_2_timeout = std::chrono::seconds{60};
    // Both of the above from one maximum segment lifetime (--msl; 30 s by default).
    void set_msl(Duration msl) { time_wait = fin_wait_2_timeout = 2 * msl; }

    // Retransmissions of one segment before the connection is reset and the app told: Linux's
    // tcp_retries2, 15, while the application holds the connection (at 20 % loss each way, 8 reset
    // a 20 MB download now and then: 9 lost tries in a row, 0.36^9, over hundreds of timeouts);
    // Linux's tcp_orphan_retries, 8, once it has closed it (nobody waits for the answer).
    uint32_t max_retransmissions = 15;
    uint32_t max_orphan_retransmissions = 8;
    // A passive open whose SYN,ACK is never acknowledged gives up after this many
    // retransmissions of it, silently (Linux's tcp_synack_retries: 5, so 1+2+4+8+16+32 = 63 s).
    // A peer that does not answer ARP ends it sooner, when ARP gives up (3 s).
    uint32_t max_synack_retransmissions = 5;
    // Put the FIN on the segment that carries the last data when the application closes right
    // after writing (one frame: no race with a client that closes as soon as it has the data;
    // see README). false: the FIN always goes in a segment of its own, as Apache's did.
    bool fin_with_last_data = true;

    // TCP extensions, offered in our SYN or SYN,ACK and used only when the peer offers them too
    // (README, "TCP").
    bool window_scaling = true;  // RFC 7323 §2
    bool timestamps = true;      // RFC 7323 §3 (RTTM) and §5 (PAWS)
    bool sack = true;            // RFC 2018, with RFC 6675 loss recovery
    // The probe timer (loss_recovery.hh): RFC 8985's tail loss probe and, in recovery, the resend
    // of a lost retransmission (RACK by order). Off: only duplicate ACKs and the retransmission
    // timer find losses (Linux's net.ipv4.tcp_early_retrans=0).
    bool tail_loss_probe = true;
    CongestionControl congestion_control = CongestionControl::NewReno;  // congestion.hh; --congestion
    bool nagle = true;  // RFC 896 / RFC 1122 §4.2.3.4; per connection: set_nodelay()
    // Delayed ACKs (RFC 1122 §4.2.3.2, RFC 5681 §4.2): in-order data is acknowledged at least
    // every second full-sized segment or after this delay (0: every segment at once). The first
    // `quickack_segments` data segments of a connection are acknowledged at once, as Linux does,
    // so a request gets its own ACK before the response (the article's No10).
    Duration delayed_ack = std::chrono::milliseconds{40};
    uint32_t quickack_segments = 16;
    // RFC 9293 §3.10.1 USER TIMEOUT: give up when data stays unacknowledged this long (0: give up
    // after max_retransmissions timeouts instead).
    // Zero-window probes (persist timer) go on for as long as the peer answers them (RFC 1122
    // §4.2.2.17); they give up after max_retransmissions unanswered ones, after user_timeout of
    // probing if one is set, and, once the application has closed, after
    // max_orphan_retransmissions probes backed off to rto_max, answered or not (as Linux).
    Duration user_timeout{0};
    KeepaliveSettings keepalive;  // off unless enabled here or per connection
};

// What one application chooses for its own connections (the socket options of stack/posix/):
// each field set replaces the stack's TcpSettings for them. Given at the open (Stack::connect,
// Stack::listen) all of them count; on a live connection (Stack::set_options) the buffer sizes
// and the MSS clamp no longer do: the SYN has announced the window scale and MSS they give.
struct ConnectionOptions {
    // ({} on each: a designated initializer may name just one.)
    std::optional<uint32_t> receive_buffer{}, send_buffer{};  // SO_RCVBUF, SO_SNDBUF: the rings' capacity
    std::optional<uint16_t> max_segment{};  // TCP_MAXSEG: the MSS we announce and use, at most (0: none)
    std::optional<bool> nodelay{};          // TCP_NODELAY: Nagle's algorithm off
    std::optional<bool> cork{};             // TCP_CORK: partial segments wait (tcp_output.cc)
    std::optional<bool> keepalive{};        // SO_KEEPALIVE
    std::optional<Duration> keepalive_idle{}, keepalive_interval{};  // TCP_KEEPIDLE, TCP_KEEPINTVL
    std::optional<uint32_t> keepalive_probes{};                      // TCP_KEEPCNT
    std::optional<Duration> user_timeout{};                          // TCP_USER_TIMEOUT (0: off)

    // Whether any of them replaces a setting (nodelay and cork do not: they are connection state).
    bool changes_settings() const {
        return receive_buffer || send_buffer || max_segment || keepalive || keepalive_idle || keepalive_interval ||
               keepalive_probes || user_timeout;
    }
    // `base` with the settings these options replace (nodelay and cork are connection state,
    // not settings: TcpConnection::set_options applies them).
    TcpSettings applied_to(TcpSettings base) const {
        if (receive_buffer) base.receive_buffer = *receive_buffer;
        if (send_buffer) base.send_buffer = *send_buffer;
        if (max_segment && *max_segment > 0) base.mss = std::min(base.mss, *max_segment);
        if (keepalive) base.keepalive.enabled = *keepalive;
        if (keepalive_idle) base.keepalive.idle = *keepalive_idle;
        if (keepalive_interval) base.keepalive.interval = *keepalive_interval;
        if (keepalive_probes) base.keepalive.probes = *keepalive_probes;
        if (user_timeout) base.user_timeout = *user_timeout;
        return base;
    }
    // Takes the options set in `change`, keeps the rest.
    void update(const ConnectionOptions& change) {
        auto take = [](auto& mine, const auto& theirs) {
            if (theirs) mine = theirs;
        };
        take(receive_buffer, change.receive_buffer);
        take(send_buffer, change.send_buffer);
        take(max_segment, change.max_segment);
        take(nodelay, change.nodelay);
        take(cork, change.cork);
        take(keepalive, change.keepalive);
        take(keepalive_idle, change.keepalive_idle);
        take(keepalive_interval, change.keepalive_interval);
        take(keepalive_probes, change.keepalive_probes);
        take(user_timeout, change.user_timeout);
    }
};

}  // namespace tapstack
