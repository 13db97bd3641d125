// SPDX-License-Identifier: MIT
// The tapstack program: wires a TAP device, the pcap tee, the stack and the HTTP server together
// and runs the single-threaded event loop (`tapstack get` is apps/tapstack/get.cc, the offline
// tools annotate.cc, simulate.cc and pkt_command.cc). Each turn reads the monotonic clock, polls the stack and
// the server, then waits in ppoll() on the device until the next deadline or a signal; the
// clock, the signals and the device chain are apps/tapstack/host.cc.
#include <fmt/core.h>

#include <cstring>
#include <memory>
#include <string_view>
#include <system_error>

#include "apps/http/http_server.hh"
#include "apps/tapstack/annotate.hh"
#include "apps/tapstack/get.hh"
#include "apps/tapstack/host.hh"
#include "apps/tapstack/options.hh"
#include "apps/tapstack/pkt_command.hh"
#include "apps/tapstack/replay.hh"
#include "apps/tapstack/simulate.hh"
#include "stack/stack.hh"
#include "stack/trace/conversation_tracer.hh"

namespace tapstack {
namespace {

// --trace: one line per segment on standard output.
std::unique_ptr<ConversationTracer> attach_tracer(const Options& o, Stack& stack) {
    if (!o.trace) return nullptr;
    auto tracer = std::make_unique<ConversationTracer>(
        // Buffered, flushed once per loop turn: a write() per line between two frames would
        // widen the gap between our response and our FIN (see docs/design.md, "Timing").
        [](std::string_view line) {
            std::fwrite(line.data(), 1, line.size(), stdout);
            std::fputc('\n', stdout);
        },
        o.trace_json ? TraceFormat::Json : TraceFormat::Text);
    stack.set_observer(tracer.get());
    return tracer;
}

HttpConfig http_config(const Options& o) {
    HttpConfig http;
    if (o.http_root) http.root = *o.http_root;
    http.keep_alive_seconds = o.keep_alive_seconds;
    http.wall_clock_offset = wall_clock_offset();  // a Date header, as Apache sends
    return http;
}

// The event loop: read the clock, print the counters when asked (SIGUSR1, --stats), poll the
// stack and the server, flush, then sleep until the next deadline, a frame or a signal. A stop
// signal closes every connection; the loop ends when they are gone, or 1 s later.
void serve(const Options& o, Stack& stack, HttpServer& server, DeviceChain& devices, StopSignals& signals,
           bool tracing) {
    std::optional<Instant> shutdown_deadline;
    std::optional<Instant> next_stats;
    if (o.stats_seconds > 0) next_stats = monotonic_now() + std::chrono::seconds{o.stats_seconds};
    for (;;) {
        Instant now = monotonic_now();
        if (signals.take_stats_request() || (next_stats && now >= *next_stats)) {
            print_stats(stack.stats());
            if (next_stats) next_stats = now + std::chrono::seconds{o.stats_seconds};
        }
        if (signals.received() && !shutdown_deadline) {
            fmt::print(stderr, "tapstack: {} received, closing connections\n", strsignal(signals.received()));
            server.stop();
            stack.close_all();
            shutdown_deadline = now + std::chrono::seconds{1};  // time for FINs to be acknowledged
        }
        stack.poll(now);
        server.poll(now);
        devices.flush();
        if (tracing) std::fflush(stdout);
        if (shutdown_deadline && (now >= *shutdown_deadline || stack.connection_count() == 0)) break;

        std::optional<Instant> wake = earliest(stack.poll_at(), server.poll_at());
        if (shutdown_deadline) wake = earliest(wake, *shutdown_deadline);
        wake = earliest(wake, next_stats);
        wait_for(devices.stack_device(), wake, signals);
    }
}

int run(const Options& o) {
    log::set_level(o.log_level);
    StopSignals signals;
    DeviceChain devices(o, o.seed ? *o.seed : random_secret());  // (the fault seed is printed)
    Stack stack(stack_config(o, o.seed ? *o.seed : random_secret()), devices.stack_device());
    std::unique_ptr<ConversationTracer> tracer = attach_tracer(o, stack);

    HttpServer server(stack, http_config(o));
    if (auto started = server.start(o.port); !started) {
        fmt::print(stderr, "tapstack: cannot listen on port {}\n", o.port);
        return 1;
    }
    fmt::print(stderr, "tapstack: listening on {}:{} ({}, MAC {}), {}\n", o.ip.address, o.port, o.tap, o.mac,
               o.pcap ? fmt::format("pcap {}", *o.pcap) : std::string{"no pcap"});

    serve(o, stack, server, devices, signals, tracer != nullptr);
    devices.flush();
    print_stats(stack.stats());
    devices.print_stats();
    if (devices.capture_failed()) {
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
        fmt::print("{}", usage_text());
        return 0;
    }
    if (o.version) {
        fmt::print("tapstack 0.1\n");
        return 0;
    }
    try {
        if (o.pkt) return run_pkt(o);
        if (o.get) return run_get(o);
        if (o.replay) return run_replay(o);
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
