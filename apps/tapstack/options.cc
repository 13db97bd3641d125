// SPDX-License-Identifier: MIT
#include "apps/tapstack/options.hh"

#include <charconv>
#include <string_view>

namespace tapstack {

const char* const usage_text = R"(Usage: tapstack [OPTIONS]
       tapstack get [OPTIONS] http://A.B.C.D[:PORT][/PATH] [-o FILE] [--timeout SECONDS]
       tapstack annotate FILE.pcap [--format text|json] [--check-article [--expect server-first|client-first|any]] [--port N]

A user-space TCP/IP stack on a Linux TAP device, serving HTTP. Every frame goes into a pcap file.
`tapstack get` makes the same stack the client instead: it fetches the URL (ARP, the handshake,
GET, the response, the close) and writes the body to standard output or FILE; the status line
and a summary go to standard error. Exit status 0 for a 2xx answer, 1 for anything else (another
status, refused, reset, timed out after --timeout SECONDS [10]). The URL's host is an IPv4 address.

Options:
  --tap NAME              TAP device to attach to (created when run as root)     [tap0]
  --ip A.B.C.D/NN         our address and prefix                                  [10.0.0.2/24]
  --mac XX:XX:XX:XX:XX:XX our MAC address                                         [02:00:00:00:00:02]
  --gateway A.B.C.D       next hop for destinations outside the prefix            [none]
  --http-root DIR         serve files from DIR (default: a built-in "Hello World!" page)
  --port N                HTTP port                                               [80]
  --pcap FILE             capture every received and sent frame into FILE         [tapstack.pcap]
  --no-pcap               do not capture
  --offload               leave TCP checksums and segmentation to the kernel (IFF_VNET_HDR, TUNSETOFFLOAD):
                          64 KB segments out, the kernel's 64 KB bundles in, as a NIC with TSO and GRO.
                          Not with the fault options (they act on single frames)
  --keep-alive SECONDS    keep HTTP/1.1 connections open while idle up to SECONDS [0: Connection: close]
  --trace                 print every frame as the Wireshark article reads it, with TCP state changes
  --trace-format FORMAT   text or json (one object per line)                      [text]
  --log-level LEVEL       error, warn, info, debug (state changes), trace (drops) [info]
  --msl SECONDS           maximum segment lifetime; TIME-WAIT lasts 2*MSL         [30]
  --stats SECONDS         print the counters (frames, drops by reason ...) every SECONDS; they are
                          also printed at exit and when the process gets SIGUSR1   [0: off]
  --seed N                secret for initial sequence numbers (default: random; with --simulate: 1)
  --replay FILE           no TAP, no root: feed the client's side of the first TCP conversation in FILE
                          (a pcap of ours or tcpdump's; --port N picks the conversation by server port)
                          to our stack in virtual time, as the recorded server, and print our answers
                          beside the recorded ones. Exit 0 when they match, 1 when they differ.

A bad link on purpose (between the stack and the device; the pcap shows what crossed the TAP):
  --drop P                lose P percent of the frames ("5" or "5%"; 0 to 100)    [0]
  --duplicate P           deliver P percent twice                                 [0]
  --reorder P             hold P percent back 1 ms, so that later frames overtake them [0]
  --corrupt P             flip one bit (past the Ethernet header) in P percent    [0]
  --delay MS[±J]          delay every frame MS milliseconds, plus or minus up to J (also "+-") [0]
  --faults rx|tx|both     which way the faults apply                              [both]
                          (--seed N also seeds the faults; without it they get a random seed,
                          printed at start so that a run can be repeated)

  --simulate SCENARIO     no TAP, no root: run a conversation in this process, in virtual time, between
                          our HTTP server and a scripted browser on a second tapstack, print it like
                          --trace and write tapstack-SCENARIO.pcap. SCENARIO: article (the article's
                          capture, same sizes and numbers), client-first, lost-segment
  -h, --help              show this help and exit
  --version               show the version and exit

Set-up on your own machine: sudo ./scripts/setup_tap.sh, then ./build/tapstack, then curl 10.0.0.2.
SIGINT or SIGTERM closes the connections, completes the pcap file and exits with status 0
(1 if the pcap file could not be written completely). Bad arguments: exit status 2.
)";

namespace {

// "5", "5%", "0.5": a percentage from 0 to 100, returned as a probability.
std::optional<double> parse_percent(std::string_view s) {
    if (s.ends_with('%')) s.remove_suffix(1);
    double v = 0;
    if (s.empty() || s.front() == '-' || s.front() == '+') return std::nullopt;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || !(v >= 0 && v <= 100)) return std::nullopt;
    return v / 100;
}

std::optional<Duration> parse_ms(std::string_view s) {
    double v = 0;
    if (s.empty() || s.front() == '-' || s.front() == '+') return std::nullopt;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || !(v >= 0 && v <= 60'000)) return std::nullopt;
    return Duration{static_cast<int64_t>(v * 1000)};
}

template <typename T>
std::optional<T> parse_uint(std::string_view s, T max) {
    uint64_t v = 0;
    if (s.empty()) return std::nullopt;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v > max) return std::nullopt;
    return static_cast<T>(v);
}

}  // namespace

std::variant<Options, ParseError> parse_options(int argc, char** argv) {
    Options o;
    int first = 1;
    if (argc >= 2 && std::string_view{argv[1]} == "get") {
        o.get = true;
        first = 2;
    }
    for (int i = first; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (o.get && !arg.starts_with("-")) {
            if (o.url) return ParseError{fmt::format("get: one URL only ('{}' is a second one)", arg)};
            o.url = std::string{arg};
            continue;
        }
        std::string_view value;
        bool has_inline_value = false;
        if (arg.starts_with("--")) {
            if (auto eq = arg.find('='); eq != std::string_view::npos) {
                value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
                has_inline_value = true;
            }
        }
        auto need_value = [&]() -> std::optional<std::string_view> {
            if (has_inline_value) return value;
            if (i + 1 >= argc) return std::nullopt;
            return std::string_view{argv[++i]};
        };
        auto bad = [&](std::string_view what) { return ParseError{fmt::format("{}: {}", arg, what)}; };

        if (arg == "-h" || arg == "--help") { o.help = true; continue; }
        if (arg == "--version") { o.version = true; continue; }
        if (arg == "--trace") { o.trace = true; continue; }
        if (arg == "--no-pcap") { o.pcap.reset(); o.pcap_given = true; continue; }
        if (arg == "--offload") { o.offload = true; continue; }

        bool takes_value = arg == "--tap" || arg == "--ip" || arg == "--mac" || arg == "--gateway" ||
                           arg == "--http-root" || arg == "--port" || arg == "--pcap" || arg == "--keep-alive" ||
                           arg == "--trace-format" || arg == "--log-level" || arg == "--msl" || arg == "--seed" ||
                           arg == "--stats" ||
                           arg == "--simulate" || arg == "--replay" || arg == "--drop" || arg == "--duplicate" || arg == "--reorder" ||
                           arg == "--corrupt" || arg == "--delay" || arg == "--faults" ||
                           (o.get && (arg == "-o" || arg == "--output" || arg == "--timeout"));
        if (!takes_value) return ParseError{fmt::format("unknown option '{}' (see --help)", arg)};
        auto v = need_value();
        if (!v) return bad("needs a value");

        if (arg == "--tap") {
            if (v->empty() || v->size() > 15) return bad("a device name of 1 to 15 characters");
            o.tap = *v;
        } else if (arg == "--ip") {
            auto c = Ipv4Cidr::parse(*v);
            if (!c || c->prefix_len == 0 || c->prefix_len > 30) return bad(fmt::format("'{}' is not an address like 10.0.0.2/24", *v));
            o.ip = *c;
        } else if (arg == "--mac") {
            auto m = MacAddress::parse(*v);
            if (!m || m->is_multicast() || m->is_zero()) return bad(fmt::format("'{}' is not a unicast MAC like 02:00:00:00:00:02", *v));
            o.mac = *m;
        } else if (arg == "--gateway") {
            auto a = Ipv4Address::parse(*v);
            if (!a) return bad(fmt::format("'{}' is not an IPv4 address", *v));
            o.gateway = *a;
        } else if (arg == "--http-root") {
            if (v->empty()) return bad("needs a directory");
            o.http_root = std::string{*v};
        } else if (arg == "--port") {
            auto p = parse_uint<uint16_t>(*v, 65535);
            if (!p || *p == 0) return bad(fmt::format("'{}' is not a port from 1 to 65535", *v));
            o.port = *p;
            o.port_given = true;
        } else if (arg == "--pcap") {
            if (v->empty()) return bad("needs a file name");
            o.pcap = std::string{*v};
            o.pcap_given = true;
        } else if (arg == "--simulate") {
            if (*v != "article" && *v != "client-first" && *v != "lost-segment")
                return bad(fmt::format("'{}' is not article, client-first or lost-segment", *v));
            o.simulate = std::string{*v};
        } else if (arg == "--replay") {
            if (v->empty()) return bad("needs a capture file");
            o.replay = std::string{*v};
        } else if (arg == "--keep-alive") {
            auto s = parse_uint<uint32_t>(*v, 86400);
            if (!s) return bad(fmt::format("'{}' is not a number of seconds (0 to 86400)", *v));
            o.keep_alive_seconds = *s;
        } else if (arg == "--trace-format") {
            if (*v == "text") o.trace_json = false;
            else if (*v == "json") o.trace_json = true;
            else return bad(fmt::format("'{}' is not text or json", *v));
            o.trace = true;
        } else if (arg == "--log-level") {
            auto l = log::parse_level(*v);
            if (!l) return bad(fmt::format("'{}' is not error, warn, info, debug or trace", *v));
            o.log_level = *l;
        } else if (arg == "--stats") {
            auto s = parse_uint<uint32_t>(*v, 86400);
            if (!s) return bad(fmt::format("'{}' is not a number of seconds (0 to 86400)", *v));
            o.stats_seconds = *s;
        } else if (arg == "--msl") {
            auto s = parse_uint<uint32_t>(*v, 3600);
            if (!s) return bad(fmt::format("'{}' is not a number of seconds (0 to 3600)", *v));
            o.msl_seconds = *s;
        } else if (arg == "--drop" || arg == "--duplicate" || arg == "--reorder" || arg == "--corrupt") {
            auto p = parse_percent(*v);
            if (!p) return bad(fmt::format("'{}' is not a percentage from 0 to 100 (like 5 or 5%)", *v));
            FaultRates& r = o.faults.rates;
            (arg == "--drop" ? r.drop : arg == "--duplicate" ? r.duplicate : arg == "--reorder" ? r.reorder : r.corrupt) = *p;
        } else if (arg == "--delay") {
            std::string_view base = *v, jitter;
            for (std::string_view sep : {"±", "+-"}) {
                if (auto at = v->find(sep); at != std::string_view::npos) {
                    base = v->substr(0, at);
                    jitter = v->substr(at + sep.size());
                    break;
                }
            }
            auto d = parse_ms(base);
            auto j = jitter.empty() && base.size() == v->size() ? std::optional<Duration>{Duration{0}} : parse_ms(jitter);
            if (!d || !j) return bad(fmt::format("'{}' is not MS or MS±JITTER in milliseconds (like 20 or 20±5)", *v));
            o.faults.rates.delay = *d;
            o.faults.rates.jitter = *j;
        } else if (arg == "--faults") {
            if (*v == "rx") o.faults.direction = FaultDirection::Rx;
            else if (*v == "tx") o.faults.direction = FaultDirection::Tx;
            else if (*v == "both") o.faults.direction = FaultDirection::Both;
            else return bad(fmt::format("'{}' is not rx, tx or both", *v));
        } else if (arg == "-o" || arg == "--output") {
            if (v->empty()) return bad("needs a file name");
            o.output = std::string{*v};
        } else if (arg == "--timeout") {
            auto s = parse_uint<uint32_t>(*v, 3600);
            if (!s || *s == 0) return bad(fmt::format("'{}' is not a number of seconds (1 to 3600)", *v));
            o.timeout_seconds = *s;
        } else if (arg == "--seed") {
            auto s = parse_uint<uint64_t>(*v, UINT64_MAX);
            if (!s) return bad(fmt::format("'{}' is not a non-negative integer", *v));
            o.seed = *s;
        }
    }
    if (o.gateway && !o.ip.contains(*o.gateway)) return ParseError{"--gateway: must be inside the --ip prefix"};
    if (o.get && !o.url && !o.help) return ParseError{"get: which URL? (tapstack get http://10.0.0.1/)"};
    if (o.get && (o.simulate || o.replay)) return ParseError{"get: --simulate and --replay are for the server"};
    if (o.simulate && o.replay) return ParseError{"--replay: one of --simulate and --replay"};
    if (o.offload && (o.simulate || o.replay)) return ParseError{"--offload: is for a TAP device; --simulate and --replay have none"};
    if (o.offload && o.faults.rates.any())
        return ParseError{"--offload: not with --drop, --duplicate, --reorder, --corrupt or --delay (they act on single frames)"};
    return o;
}

}  // namespace tapstack
