// SPDX-License-Identifier: MIT
// The tapstack program: wires a TAP device, the pcap tee, the stack and the HTTP server together
// and runs the single-threaded event loop. This is the only place that reads the clock and
// sleeps: each turn reads the monotonic clock, polls the stack and the server, then waits in
// ppoll() on the device until the next deadline or a signal.
#include <fmt/core.h>
#include <poll.h>
#include <signal.h>
#include <sys/random.h>
#include <time.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <string_view>
#include <system_error>

#include "apps/http/http_server.hh"
#include "apps/tapstack/annotate.hh"
#include "apps/tapstack/options.hh"
#include "apps/tapstack/simulate.hh"
#include "netdev/pcap_tee.hh"
#include "netdev/tap_dev.hh"
#include "stack/stack.hh"
#include "stack/trace/conversation_tracer.hh"

namespace tapstack {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;
void on_stop_signal(int sig) { g_stop_signal = sig; }

Instant monotonic_now() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return Instant::from_us(int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000);
}

// realtime - monotonic: added to Instants so that pcap timestamps are wall-clock times.
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

void print_stats(const StackStats& s) {
    fmt::print(stderr,
               "tapstack: frames received {} sent {}; TCP segments received {} sent {}, retransmissions {} "
               "(timeouts {}, fast recoveries {}), resets sent {}; connections opened {} closed {}; ARP requests {} "
               "replies {}; ICMP echo replies {}\n",
               s.frames_received, s.frames_sent, s.tcp_segments_received, s.tcp_segments_sent, s.tcp_retransmissions,
               s.tcp_timeouts, s.tcp_fast_recoveries, s.tcp_resets_sent, s.tcp_connections_opened, s.tcp_connections_closed, s.arp_requests_sent,
               s.arp_replies_sent, s.icmp_echo_replies);
    std::string drops;
    for (size_t i = 0; i < s.dropped.size(); ++i) {
        if (s.dropped[i] == 0) continue;
        drops += fmt::format(" {}={}", to_string(static_cast<DropReason>(i)), s.dropped[i]);
    }
    fmt::print(stderr, "tapstack: dropped {}{}\n", s.total_drops(), drops);
}

int run(const Options& o) {
    log::set_level(o.log_level);

    // Block the stop signals except inside ppoll(), so a signal can never slip in between the
    // check of g_stop_signal and the wait.
    sigset_t block{}, wait_mask{};
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);
    struct sigaction sa{};
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    TapDev tap(o.tap);
    if (tap.created()) {
        fmt::print(stderr, "tapstack: created {}, which has no address and is down: the kernel cannot reach us through it "
                           "(sudo ./scripts/setup_tap.sh makes a usable one)\n", tap.name());
    }
    std::unique_ptr<PcapTee> pcap;
    NetDev* dev = &tap;
    if (o.pcap) {
        pcap = std::make_unique<PcapTee>(tap, *o.pcap, wall_clock_offset());
        dev = pcap.get();
    }
    // The faults sit between the stack and the capture: the pcap shows what crossed the TAP, as a
    // capture on the kernel's side of a bad link would.
    std::unique_ptr<FaultInjector> faults;
    if (o.faults.rates.any()) {
        FaultConfig fc = o.faults;
        fc.seed = o.seed ? *o.seed : random_secret();
        faults = std::make_unique<FaultInjector>(*dev, fc);
        dev = faults.get();
        fmt::print(stderr, "tapstack: faults on {} (seed {}): drop {}%, duplicate {}%, reorder {}%, corrupt {}%, delay {} ms ± {} ms\n",
                   fc.direction == FaultDirection::Rx ? "receive" : fc.direction == FaultDirection::Tx ? "send" : "receive and send",
                   fc.seed, fc.rates.drop * 100, fc.rates.duplicate * 100, fc.rates.reorder * 100, fc.rates.corrupt * 100,
                   static_cast<double>(fc.rates.delay.count()) / 1000, static_cast<double>(fc.rates.jitter.count()) / 1000);
    }

    StackConfig config;
    config.mac = o.mac;
    config.ip = o.ip;
    config.gateway = o.gateway;
    config.isn_secret = o.seed ? *o.seed : random_secret();
    config.msl = std::chrono::seconds{o.msl_seconds};
    Stack stack(config, *dev);

    std::unique_ptr<ConversationTracer> tracer;
    if (o.trace) {
        tracer = std::make_unique<ConversationTracer>(
            // Buffered, flushed once per loop turn: a write() per line between two frames would
            // widen the gap between our response and our FIN (see docs/design.md, "Timing").
            [](std::string_view line) {
                std::fwrite(line.data(), 1, line.size(), stdout);
                std::fputc('\n', stdout);
            },
            o.trace_json ? TraceFormat::Json : TraceFormat::Text);
        stack.set_observer(tracer.get());
    }

    HttpConfig http;
    if (o.http_root) http.root = *o.http_root;
    http.keep_alive_seconds = o.keep_alive_seconds;
    http.wall_clock_offset = wall_clock_offset();  // a Date header, as Apache sends
    HttpServer server(stack, http);
    if (auto started = server.start(o.port); !started) {
        fmt::print(stderr, "tapstack: cannot listen on port {}\n", o.port);
        return 1;
    }
    fmt::print(stderr, "tapstack: listening on {}:{} ({}, MAC {}), {}\n", o.ip.address, o.port, o.tap, o.mac,
               o.pcap ? fmt::format("pcap {}", *o.pcap) : std::string{"no pcap"});

    pollfd pfd{dev->wait_fd(), POLLIN, 0};
    std::optional<Instant> shutdown_deadline;
    for (;;) {
        Instant now = monotonic_now();
        if (g_stop_signal && !shutdown_deadline) {
            fmt::print(stderr, "tapstack: {} received, closing connections\n", strsignal(g_stop_signal));
            server.stop();
            stack.close_all();
            shutdown_deadline = now + std::chrono::seconds{1};  // time for FINs to be acknowledged
        }
        stack.poll(now);
        server.poll(now);
        if (pcap) pcap->flush();
        if (tracer) std::fflush(stdout);
        if (shutdown_deadline && (now >= *shutdown_deadline || stack.connection_count() == 0)) break;

        std::optional<Instant> wake = earliest(stack.poll_at(), server.poll_at());
        if (shutdown_deadline) wake = earliest(wake, *shutdown_deadline);
        timespec timeout{};
        timespec* timeout_ptr = nullptr;  // no deadline: wait for a frame or a signal
        if (wake) {
            int64_t us = std::max<int64_t>(0, (*wake - monotonic_now()).count());
            timeout.tv_sec = us / 1'000'000;
            timeout.tv_nsec = (us % 1'000'000) * 1000;
            timeout_ptr = &timeout;
        }
        if (ppoll(&pfd, 1, timeout_ptr, &wait_mask) < 0 && errno != EINTR) {
            throw std::system_error(errno, std::generic_category(), "ppoll");
        }
    }
    if (pcap) pcap->flush();
    print_stats(stack.stats());
    if (faults) {
        fmt::print(stderr, "tapstack: faults on receive: {}\n", describe(faults->rx_stats()));
        fmt::print(stderr, "tapstack: faults on send: {}\n", describe(faults->tx_stats()));
    }
    const TapStats& t = tap.stats();
    if (t.total_drops() > 0) {
        fmt::print(stderr, "tapstack: device {}: {} frames too large, {} not sent (queue full), {} send errors, {} receive errors\n",
                   tap.name(), t.oversized_dropped, t.send_dropped, t.send_errors, t.receive_errors);
    }
    if (pcap && pcap->write_failed()) {
        fmt::print(stderr, "tapstack: writing {} failed (disk full?): the capture is incomplete\n", *o.pcap);
        return 1;
    }
    return 0;
}

}  // namespace
}  // namespace tapstack

int main(int argc, char** argv) {
    using namespace tapstack;
    if (argc >= 2 && std::string_view{argv[1]} == "annotate") return run_annotate(argc - 1, argv + 1);

    auto parsed = parse_options(argc, argv);
    if (auto* err = std::get_if<ParseError>(&parsed)) {
        fmt::print(stderr, "tapstack: {}\n", err->message);
        return 2;
    }
    const Options& o = std::get<Options>(parsed);
    if (o.help) {
        fmt::print("{}", usage_text);
        return 0;
    }
    if (o.version) {
        fmt::print("tapstack 0.1\n");
        return 0;
    }
    try {
        if (o.simulate) {
            Options sim = o;
            if (!sim.pcap_given) sim.pcap = "tapstack-" + *sim.simulate + ".pcap";
            return run_simulate(sim);
        }
        return run(o);
    } catch (const std::system_error& e) {
        fmt::print(stderr, "tapstack: {}\n", e.what());
        return 1;
    }
}
