// SPDX-License-Identifier: MIT
#include "apps/tapstack/host.hh"

#include <fmt/core.h>
#include <poll.h>
#include <sys/random.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <string>
#include <system_error>

namespace tapstack {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;
volatile std::sig_atomic_t g_stats_request = 0;
void on_stop_signal(int sig) { g_stop_signal = sig; }
void on_stats_signal(int) { g_stats_request = 1; }

}  // namespace

Instant monotonic_now() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return Instant::from_us(int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000);
}

Duration wall_clock_offset() {
    timespec mono{}, real{};
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    int64_t us = (int64_t{real.tv_sec} - mono.tv_sec) * 1'000'000 + (real.tv_nsec - mono.tv_nsec) / 1000;
    return Duration{us};
}

uint64_t random_secret() {
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) {
        throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    return v;
}

StopSignals::StopSignals() {
    sigset_t block{};
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &wait_mask_);
    sigdelset(&wait_mask_, SIGINT);
    sigdelset(&wait_mask_, SIGTERM);
    sigdelset(&wait_mask_, SIGUSR1);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    struct sigaction usr {};
    usr.sa_handler = on_stats_signal;
    sigaction(SIGUSR1, &usr, nullptr);
}

int StopSignals::received() const { return g_stop_signal; }

bool StopSignals::take_stats_request() {
    bool asked = g_stats_request != 0;
    g_stats_request = 0;
    return asked;
}

DeviceChain::DeviceChain(const Options& o, uint64_t fault_seed)
    : tap_(o.tap, o.offload ? TapOffload::On : TapOffload::Off), top_(&tap_) {
    if (tap_.created()) {
        fmt::print(stderr,
                   "tapstack: created {}, which has no address and is down: the kernel cannot reach us through it "
                   "(sudo ./scripts/setup_tap.sh makes a usable one)\n",
                   tap_.name());
    }
    if (o.offload) fmt::print(stderr, "tapstack: offloads on {}: {}\n", tap_.name(), tap_.offload_features());
    if (o.pcap) {
        pcap_ = std::make_unique<PcapTee>(tap_, *o.pcap, wall_clock_offset());
        top_ = pcap_.get();
    }
    if (o.faults.rates.any()) {
        FaultConfig fc = o.faults;
        fc.seed = fault_seed;
        faults_ = std::make_unique<FaultInjector>(*top_, fc);
        top_ = faults_.get();
        const FaultRates& r = fc.rates;
        fmt::print(stderr,
                   "tapstack: faults on {} (seed {}): drop {}%, duplicate {}%, reorder {}%, corrupt {}%, delay {} ms ± "
                   "{} ms\n",
                   fc.direction == FaultDirection::Rx   ? "receive"
                   : fc.direction == FaultDirection::Tx ? "send"
                                                        : "receive and send",
                   fc.seed, r.drop * 100, r.duplicate * 100, r.reorder * 100, r.corrupt * 100,
                   static_cast<double>(r.delay.count()) / 1000, static_cast<double>(r.jitter.count()) / 1000);
    }
}

void DeviceChain::flush() {
    if (pcap_) pcap_->flush();
}

void DeviceChain::print_stats() const {
    const TapStats& t = tap_.stats();
    if (t.total_drops() > 0) {
        fmt::print(
            stderr,
            "tapstack: device {}: {} frames too large, {} not sent (queue full), {} send errors, {} receive errors, "
            "{} bad vnet headers\n",
            tap_.name(), t.oversized_dropped, t.send_dropped, t.send_errors, t.receive_errors, t.bad_vnet_header);
    }
    if (t.bundles_sent > 0 || t.bundles_received > 0) {
        fmt::print(stderr, "tapstack: device {}: {} TCP bundles sent for the kernel to cut up, {} received whole\n",
                   tap_.name(), t.bundles_sent, t.bundles_received);
    }
    if (faults_) {
        fmt::print(stderr, "tapstack: faults on receive: {}\n", describe(faults_->rx_stats()));
        fmt::print(stderr, "tapstack: faults on send: {}\n", describe(faults_->tx_stats()));
    }
}

void wait_for(const NetDev& dev, std::optional<Instant> wake, const StopSignals& signals) {
    pollfd pfd{dev.wait_fd(), POLLIN, 0};
    timespec timeout{};
    timespec* timeout_ptr = nullptr;  // no deadline: wait for a frame or a signal
    if (wake) {
        int64_t us = std::max<int64_t>(0, (*wake - monotonic_now()).count());
        timeout.tv_sec = us / 1'000'000;
        timeout.tv_nsec = (us % 1'000'000) * 1000;
        timeout_ptr = &timeout;
    }
    if (ppoll(&pfd, 1, timeout_ptr, &signals.wait_mask()) < 0 && errno != EINTR) {
        throw std::system_error(errno, std::generic_category(), "ppoll");
    }
}

StackConfig stack_config(const Options& o, uint64_t isn_secret) {
    StackConfig config;
    config.mac = o.mac;
    config.ip = o.ip;
    config.gateway = o.gateway;
    config.isn_secret = isn_secret;
    config.tcp.set_msl(std::chrono::seconds{o.msl_seconds});
    config.tcp.congestion_control = o.congestion;
    return config;
}

void print_stats(const StackStats& s) {
    fmt::print(stderr,
               "tapstack: frames received {} sent {}; TCP segments received {} sent {}, retransmissions {} "
               "(timeouts {}, fast recoveries {}), resets sent {}; ARP requests {} "
               "replies {}; ICMP echo replies {}; IPv4 reassembled {}; SYN cookies sent {} accepted {}; "
               "challenge ACKs suppressed {}\n",
               s.frames_received, s.frames_sent, s.tcp_segments_received, s.tcp_segments_sent, s.tcp_retransmissions,
               s.tcp_timeouts, s.tcp_fast_recoveries, s.tcp_resets_sent, s.arp_requests_sent, s.arp_replies_sent,
               s.icmp_echo_replies, s.ipv4_reassembled, s.tcp_syn_cookies_sent, s.tcp_syn_cookies_accepted,
               s.tcp_challenge_acks_suppressed);
    // What became of every connection: each is counted once, in exactly one of these.
    fmt::print(stderr,
               "tapstack: connections opened {}: closed {}, in TIME-WAIT {}, reset by peer {}, reset by us {}, "
               "aborted {}, still open {}\n",
               s.tcp_connections_opened, s.tcp_connections_closed, s.tcp_connections_time_wait,
               s.tcp_connections_reset_by_peer, s.tcp_connections_reset_by_us, s.tcp_connections_aborted,
               s.tcp_connections_open());
    std::string drops;
    for (size_t i = 0; i < s.dropped.size(); ++i) {
        if (s.dropped[i] == 0) continue;
        drops += fmt::format(" {}={}", to_string(static_cast<DropReason>(i)), s.dropped[i]);
    }
    fmt::print(stderr, "tapstack: dropped {}{}\n", s.total_drops(), drops);
}

}  // namespace tapstack
