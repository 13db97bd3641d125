// SPDX-License-Identifier: MIT
// TcpSettings: every knob of a TCP connection, documented once, here. StackConfig embeds one
// (`config.tcp`) and the Stack hands it to each connection, filling in the two numbers that come
// from the device (mss, offload_payload). Tests that drive a TcpConnection alone (ConnScript)
// build one directly. Nothing here is per-connection state.
#pragma once

#include <cstdint>

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

}  // namespace tapstack
