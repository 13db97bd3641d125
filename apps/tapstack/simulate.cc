// SPDX-License-Identifier: MIT
// The simulator: two Stacks joined by a wire that this file owns (so it can delay and lose
// frames), a virtual clock, the HTTP server on one side and a scripted browser on the other.
// Scenarios:
//   article       the article's capture: a 322-byte GET, a 279-byte response, the server closes
//                 first with its FIN in a segment of its own, the browser ACKs it and closes later
//   client-first  keep-alive: the browser closes first (CLOSE-WAIT and LAST-ACK on our side)
//   lost-segment  as article, but the response is lost once and retransmitted (early retransmit)
#include "apps/tapstack/simulate.hh"

#include <fmt/core.h>

#include <charconv>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>

#include "apps/http/http_server.hh"
#include "apps/http/http_session.hh"
#include "apps/http/http_site.hh"
#include "netdev/pcap_tee.hh"
#include "stack/stack.hh"
#include "stack/trace/conversation_tracer.hh"

namespace tapstack {
namespace {

constexpr size_t article_request_len = 322;
constexpr size_t article_response_len = 279;
constexpr Duration one_way_delay = std::chrono::microseconds{250};
constexpr Duration browser_think_time = std::chrono::milliseconds{20};

// One end of the simulated wire: frames sent here are handed to the Wire, which delivers them
// to the other end after a delay (or loses them).
class SimPort final : public NetDev {
public:
    std::optional<size_t> receive(MutBytes buffer, Instant now) override {
        if (inbox.empty() || inbox.front().first > now) return std::nullopt;
        auto frame = std::move(inbox.front().second);
        inbox.pop_front();
        if (frame.size() > buffer.size()) return std::nullopt;
        std::copy(frame.begin(), frame.end(), buffer.begin());
        return frame.size();
    }
    void transmit(Bytes frame, Instant now) override {
        outbox.emplace_back(now, std::vector<uint8_t>(frame.begin(), frame.end()));
    }

    std::deque<std::pair<Instant, std::vector<uint8_t>>> inbox, outbox;
};

// The scripted browser: sends one GET, reads the response, and closes as the scenario says.
class Browser final : public SocketHandler {
public:
    Browser(Stack& s, const Instant& now, std::string request, bool close_after_response)
        : stack_(s), now_(now), request_(std::move(request)), close_after_response_(close_after_response) {}

    // The request fits the send buffer, and the id is the one just connected.
    void on_connected(SocketId id) override { (void)stack_.write(id, as_bytes(request_)); }
    void on_readable(SocketId id) override {
        uint8_t buf[4096];
        while (size_t n = stack_.read(id, MutBytes{buf, sizeof buf}).value_or(0))
            response.append(reinterpret_cast<char*>(buf), n);
        // Like the article's browser: the server's FIN is acknowledged at once (by TCP), and the
        // browser gets round to closing a little later.
        if ((stack_.peer_closed(id) || (close_after_response_ && complete())) && !close_at_)
            close_at_ = now_ + browser_think_time;
        id_ = id;
    }
    void on_closed(SocketId, CloseReason r) override { failure = r; }

    // Called by the simulation loop.
    void poll() {
        if (close_at_ && now_ >= *close_at_ && !closed) {
            stack_.close(id_);
            closed = true;
        }
    }
    std::optional<Instant> poll_at() const { return closed ? std::nullopt : close_at_; }

    bool complete() const {
        size_t end = response.find("\r\n\r\n");
        if (end == std::string::npos) return false;
        size_t at = response.find("Content-Length: ");
        if (at == std::string::npos || at > end) return false;
        size_t length = 0;
        std::from_chars(response.data() + at + 16, response.data() + end, length);
        return response.size() >= end + 4 + length;
    }

    std::string response;
    bool closed = false;
    std::optional<CloseReason> failure;

private:
    Stack& stack_;
    const Instant& now_;
    std::string request_;
    bool close_after_response_;
    std::optional<Instant> close_at_;
    SocketId id_;
};

// A GET of exactly `size` bytes, padded with a header the server ignores.
std::string make_request(size_t size, bool keep_alive) {
    std::string head = fmt::format(
        "GET / HTTP/1.1\r\nHost: 10.0.0.2\r\nUser-Agent: tapstack-simulated-browser\r\n"
        "Accept: */*\r\nConnection: {}\r\nX-Padding: ",
        keep_alive ? "keep-alive" : "close");
    std::string tail = "\r\n\r\n";
    std::string padding(size > head.size() + tail.size() ? size - head.size() - tail.size() : 0, 'x');
    return head + padding + tail;
}

// The built-in page that makes the server's whole response `size` bytes for `request`: the
// response is produced once offline and the page padded by the difference.
std::string page_for_response_size(HttpConfig config, const std::string& request, size_t size) {
    std::string page = "Hello World!\n";
    for (int round = 0; round < 3; ++round) {
        config.builtin_page = page;
        HttpSite site(config);
        HttpSession session(site);
        session.on_data(as_bytes(request));
        std::string out;
        uint8_t buf[4096];
        while (size_t n = session.produce(MutBytes{buf, sizeof buf})) out.append(reinterpret_cast<char*>(buf), n);
        if (out.size() == size) break;
        size_t headers = out.size() - page.size();
        page = "Hello World!\n" + std::string(size > headers + 13 ? size - headers - 13 : 0, '.');
        if (!page.empty() && size > headers + 13) page.back() = '\n';
    }
    return page;
}

bool is_response_segment(const std::vector<uint8_t>& frame) {
    // Ethernet (14) + IPv4 (20, we send no IP options) + TCP (its data offset: timestamps
    // follow the SYN): "HTTP/1.1 2..."
    constexpr size_t tcp_at = 14 + 20;
    if (frame.size() <= tcp_at + tcp_field::offset) return false;
    size_t at = tcp_at + static_cast<size_t>(frame[tcp_at + tcp_field::offset] >> 4) * 4;
    return frame.size() > at + 9 &&
           std::string_view(reinterpret_cast<const char*>(frame.data() + at), 9) == "HTTP/1.1 ";
}

// The wire between the two stacks: it carries each frame to the other end after one_way_delay,
// and in the lost-segment scenario loses the first response segment once.
class Wire {
public:
    Wire(bool lose_response, bool trace_json) : lose_response_(lose_response), trace_json_(trace_json) {}

    void carry() {
        carry(server_end, browser_end, true);
        carry(browser_end, server_end, false);
    }
    // When the next frame on the wire arrives (nullopt: none in flight).
    std::optional<Instant> next_arrival() const {
        std::optional<Instant> next;
        if (!server_end.inbox.empty()) next = earliest(next, server_end.inbox.front().first);
        if (!browser_end.inbox.empty()) next = earliest(next, browser_end.inbox.front().first);
        return next;
    }

    SimPort server_end, browser_end;

private:
    void carry(SimPort& from, SimPort& to, bool from_server) {
        while (!from.outbox.empty()) {
            auto [sent_at, frame] = std::move(from.outbox.front());
            from.outbox.pop_front();
            if (from_server && lose_response_ && !lost_once_ && is_response_segment(frame)) {
                lost_once_ = true;
                note_loss(sent_at);
                continue;
            }
            to.inbox.emplace_back(sent_at + one_way_delay, std::move(frame));
        }
    }
    // Says in the trace, at the time it was sent, that the frame above was lost.
    void note_loss(Instant sent_at) const {
        if (trace_json_) {
            fmt::print("{{\"t\":{:.6f},\"note\":\"the link lost the response on its way to the browser\"}}\n",
                       static_cast<double>(sent_at.us()) / 1e6);
        } else {
            fmt::print("      {:10.6f}  (the link lost the response above on its way to the browser)\n",
                       static_cast<double>(sent_at.us()) / 1e6);
        }
    }

    bool lose_response_, trace_json_;
    bool lost_once_ = false;
};

// The side the article captured: 10.0.0.2, its FIN in a segment of its own.
StackConfig server_stack_config(const Options& o, uint64_t seed) {
    StackConfig config;
    config.ip = Ipv4Cidr{Ipv4Address::from_octets(10, 0, 0, 2), 24};
    config.mac = MacAddress{{0x02, 0, 0, 0, 0, 0x02}};
    config.fixed_iss = isn_from(seed, 2);
    config.tcp.fin_with_last_data = false;  // no race in here: the FIN goes alone, as Apache's
    config.tcp.set_msl(std::chrono::seconds{o.msl_seconds});
    config.tcp.congestion_control = o.congestion;
    return config;
}

StackConfig browser_stack_config(const Options& o, uint64_t seed) {
    StackConfig config;
    config.ip = Ipv4Cidr{Ipv4Address::from_octets(10, 0, 0, 1), 24};
    config.mac = MacAddress{{0x02, 0, 0, 0, 0, 0x01}};
    config.fixed_iss = isn_from(seed, 1);
    config.tcp.set_msl(std::chrono::seconds{o.msl_seconds});
    config.tcp.congestion_control = o.congestion;
    return config;
}

void print_line(std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
}

// Virtual time: jump from one event (a frame due, a timer) to the next. Stops when both
// sides are idle with nothing in flight, or after 5 virtual minutes (TIME-WAIT included).
void run_to_idle(Instant& now, Wire& wire, Stack& server_stack, HttpServer& server, Stack& browser_stack,
                 Browser& browser) {
    for (int steps = 0; steps < 100000 && now < Instant::from_ms(300'000); ++steps) {
        server_stack.poll(now);
        server.poll(now);
        browser_stack.poll(now);
        browser.poll();
        wire.carry();
        std::optional<Instant> next = earliest(server_stack.poll_at(), browser_stack.poll_at());
        next = earliest(next, server.poll_at());
        next = earliest(next, browser.poll_at());
        next = earliest(next, wire.next_arrival());
        if (!next) break;
        now = std::max(*next, now + std::chrono::microseconds{1});
    }
}

}  // namespace

uint32_t isn_from(uint64_t seed, uint64_t which) {
    // SplitMix64: a fixed, well-spread number per seed, so captures are the same on every run.
    uint64_t z = seed * 2 + which + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return static_cast<uint32_t>(z ^ (z >> 31));
}

int run_simulate(const Options& o) {
    const std::string& scenario = *o.simulate;
    bool client_first = scenario == "client-first";
    bool lose_response = scenario == "lost-segment";
    if (scenario != "article" && !client_first && !lose_response) {
        fmt::print(stderr, "tapstack: --simulate: '{}' is not one of: {}\n", scenario, simulate_scenarios);
        return 2;
    }
    uint64_t seed = o.seed.value_or(1);
    log::set_level(o.log_level);

    Instant now = Instant::from_ms(0);
    Wire wire(lose_response, o.trace_json);
    std::unique_ptr<PcapTee> pcap;
    NetDev* server_dev = &wire.server_end;
    if (o.pcap) {
        // A fixed wall-clock origin (the article's era) keeps the file identical from run to run.
        pcap = std::make_unique<PcapTee>(wire.server_end, *o.pcap, std::chrono::seconds{1'230'768'000});
        server_dev = pcap.get();
    }
    StackConfig server_config = server_stack_config(o, seed);
    Stack server_stack(server_config, *server_dev);
    Stack browser_stack(browser_stack_config(o, seed), wire.browser_end);
    ConversationTracer tracer(print_line, o.trace_json ? TraceFormat::Json : TraceFormat::Text);
    server_stack.set_observer(&tracer);

    HttpConfig http;
    http.keep_alive_seconds = client_first ? 5 : 0;
    std::string request = make_request(article_request_len, client_first);
    http.builtin_page = page_for_response_size(http, request, article_response_len);
    HttpServer server(server_stack, http);
    if (!server.start(o.port)) return 1;
    Browser browser(browser_stack, now, request, client_first);
    if (!browser_stack.connect(server_config.ip.address, o.port, browser)) return 1;

    run_to_idle(now, wire, server_stack, server, browser_stack, browser);
    if (pcap) pcap->flush();

    bool ok = browser.closed && !browser.failure && browser.complete() && server_stack.connection_count() == 0;
    fmt::print(stderr, "tapstack: simulated '{}' (seed {}): request {} bytes, response {} bytes, {}{}\n", scenario,
               seed, request.size(), browser.response.size(), ok ? "conversation complete" : "conversation INCOMPLETE",
               o.pcap ? fmt::format("; pcap {}", *o.pcap) : std::string{});
    return ok ? 0 : 1;
}

}  // namespace tapstack
