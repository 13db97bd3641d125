// SPDX-License-Identifier: MIT
// The tapstack command line. Each option is one row of `option_table`: its names, its value's
// placeholder, its --help text and what it does to Options. parse_options() and usage_text() both
// read the table, so an option cannot be parsed and missing from --help, or the reverse.
#include "apps/tapstack/options.hh"

#include <charconv>
#include <string_view>

namespace tapstack {
namespace {

constexpr std::string_view usage_head = R"(Usage: tapstack [OPTIONS]
       tapstack get [OPTIONS] http://A.B.C.D[:PORT][/PATH] [-o FILE] [--timeout SECONDS]
       tapstack pkt [--tolerance_usecs=N] [-v] FILE.pkt...
       tapstack annotate FILE.pcap [--format text|json] [--check-article [--expect server-first|client-first|any]] [--port N]

A user-space TCP/IP stack on a Linux TAP device, serving HTTP. Every frame goes into a pcap file.
`tapstack get` makes the same stack the client instead: it fetches the URL (ARP, the handshake,
GET, the response, the close) and writes the body to standard output or FILE; the status line
and a summary go to standard error. Exit status 0 for a 2xx answer, 1 for anything else (another
status, refused, reset, timed out after --timeout SECONDS [10]). The URL's host is an IPv4 address.

`tapstack pkt` runs packetdrill scripts against a fresh stack each, in virtual time (no TAP, no
root): one line per script, PASS path, FAIL path: line N: what was expected, what came, or
SKIP path: why; then "N passed, M failed, K skipped". Exit status 0 when none failed, 1 otherwise.

Options:
)";

constexpr std::string_view usage_foot = R"(
Set-up on your own machine: sudo ./scripts/setup_tap.sh, then ./build/tapstack, then curl 10.0.0.2.
SIGINT or SIGTERM closes the connections, completes the pcap file and exits with status 0
(1 if the pcap file could not be written completely). Bad arguments: exit status 2.
)";

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

// What is wrong with a value (printed after "--option: "), or nothing.
using Problem = std::optional<std::string>;

Problem set_percent(double& rate, std::string_view v) {
    auto p = parse_percent(v);
    if (!p) return fmt::format("'{}' is not a percentage from 0 to 100 (like 5 or 5%)", v);
    rate = *p;
    return std::nullopt;
}

Problem set_seconds(uint32_t& seconds, std::string_view v, uint32_t min, uint32_t max) {
    auto s = parse_uint<uint32_t>(v, max);
    if (!s || *s < min) return fmt::format("'{}' is not a number of seconds ({} to {})", v, min, max);
    seconds = *s;
    return std::nullopt;
}

Problem set_delay(Options& o, std::string_view v) {
    std::string_view base = v, jitter;
    for (std::string_view sep : {"±", "+-"}) {
        if (auto at = v.find(sep); at != std::string_view::npos) {
            base = v.substr(0, at);
            jitter = v.substr(at + sep.size());
            break;
        }
    }
    auto d = parse_ms(base);
    auto j = jitter.empty() && base.size() == v.size() ? std::optional<Duration>{Duration{0}} : parse_ms(jitter);
    if (!d || !j) return fmt::format("'{}' is not MS or MS±JITTER in milliseconds (like 20 or 20±5)", v);
    o.faults.rates.delay = *d;
    o.faults.rates.jitter = *j;
    return std::nullopt;
}

Problem set_congestion(Options& o, std::string_view v) {
    std::string names;
    for (CongestionControl c : all_congestion_controls) {
        if (v == to_string(c)) {
            o.congestion = c;
            return std::nullopt;
        }
        names += names.empty() ? "" : ", ";
        names += to_string(c);
    }
    return fmt::format("'{}' is not a congestion controller (one of: {})", v, names);
}

// One option: how --help shows it and what it does.
struct OptionSpec {
    std::string_view names = {};    // as --help shows them, ", " between aliases: "-h, --help"
    std::string_view value = {};    // the value's placeholder ("NAME"); empty: a flag, which takes none
    std::string_view section = {};  // printed in --help before this option
    std::string_view help = {};     // the --help text, '\n' between lines; empty: in the usage lines only
    bool get_only = false;          // for `tapstack get` only
    bool pkt_only = false;          // for `tapstack pkt` only (which takes these and --help alone)
    Problem (*apply)(Options&, std::string_view value) = nullptr;  // value is empty for a flag
};

// In --help's order.
constexpr OptionSpec option_table[] = {
    {.names = "--tap",
     .value = "NAME",
     .help = "TAP device to attach to (created when run as root)     [tap0]",
     .apply = [](Options& o, std::string_view v) -> Problem {
         if (v.empty() || v.size() > 15) return "a device name of 1 to 15 characters";
         o.tap = v;
         return std::nullopt;
     }},
    {.names = "--ip",
     .value = "A.B.C.D/NN",
     .help = "our address and prefix                                  [10.0.0.2/24]",
     .apply = [](Options& o, std::string_view v) -> Problem {
         auto c = Ipv4Cidr::parse(v);
         if (!c || c->prefix_len == 0 || c->prefix_len > 30)
             return fmt::format("'{}' is not an address like 10.0.0.2/24", v);
         o.ip = *c;
         return std::nullopt;
     }},
    {.names = "--mac",
     .value = "XX:XX:XX:XX:XX:XX",
     .help = "our MAC address                                         [02:00:00:00:00:02]",
     .apply = [](Options& o, std::string_view v) -> Problem {
         auto m = MacAddress::parse(v);
         if (!m || m->is_multicast() || m->is_zero())
             return fmt::format("'{}' is not a unicast MAC like 02:00:00:00:00:02", v);
         o.mac = *m;
         return std::nullopt;
     }},
    {.names = "--gateway",
     .value = "A.B.C.D",
     .help = "next hop for destinations outside the prefix            [none]",
     .apply = [](Options& o, std::string_view v) -> Problem {
         auto a = Ipv4Address::parse(v);
         if (!a) return fmt::format("'{}' is not an IPv4 address", v);
         o.gateway = *a;
         return std::nullopt;
     }},
    {.names = "--http-root",
     .value = "DIR",
     .help = "serve files from DIR (default: a built-in \"Hello World!\" page)",
     .apply = [](Options& o, std::string_view v) -> Problem {
         if (v.empty()) return "needs a directory";
         o.http_root = std::string{v};
         return std::nullopt;
     }},
    {.names = "--port",
     .value = "N",
     .help = "HTTP port                                               [80]",
     .apply = [](Options& o, std::string_view v) -> Problem {
         auto p = parse_uint<uint16_t>(v, 65535);
         if (!p || *p == 0) return fmt::format("'{}' is not a port from 1 to 65535", v);
         o.port = *p;
         o.port_given = true;
         return std::nullopt;
     }},
    {.names = "--pcap",
     .value = "FILE",
     .help = "capture every received and sent frame into FILE         [tapstack.pcap]",
     .apply = [](Options& o, std::string_view v) -> Problem {
         if (v.empty()) return "needs a file name";
         o.pcap = std::string{v};
         o.pcap_given = true;
         return std::nullopt;
     }},
    {.names = "--no-pcap",
     .help = "do not capture",
     .apply = [](Options& o, std::string_view) -> Problem {
         o.pcap.reset();
         o.pcap_given = true;
         return std::nullopt;
     }},
    {.names = "--offload",
     .help = "leave TCP checksums and segmentation to the kernel (IFF_VNET_HDR, TUNSETOFFLOAD):\n"
             "64 KB segments out, the kernel's 64 KB bundles in, as a NIC with TSO and GRO.\n"
             "Not with the fault options (they act on single frames)",
     .apply = [](Options& o, std::string_view) -> Problem {
         o.offload = true;
         return std::nullopt;
     }},
    {.names = "--keep-alive",
     .value = "SECONDS",
     .help = "keep HTTP/1.1 connections open while idle up to SECONDS [0: Connection: close]",
     .apply = [](Options& o, std::string_view v) { return set_seconds(o.keep_alive_seconds, v, 0, 86400); }},
    {.names = "--trace",
     .help = "print every frame as the Wireshark article reads it, with TCP state changes",
     .apply = [](Options& o, std::string_view) -> Problem {
         o.trace = true;
         return std::nullopt;
     }},
    {.names = "--trace-format",
     .value = "FORMAT",
     .help = "text or json (one object per line)                      [text]",
     .apply = [](Options& o, std::string_view v) -> Problem {
         if (v != "text" && v != "json") return fmt::format("'{}' is not text or json", v);
         o.trace_json = v == "json";
         o.trace = true;
         return std::nullopt;
     }},
    {.names = "--log-level",
     .value = "LEVEL",
     .help = "error, warn, info, debug (state changes), trace (drops) [info]",
     .apply = [](Options& o, std::string_view v) -> Problem {
         auto l = log::parse_level(v);
         if (!l) return fmt::format("'{}' is not error, warn, info, debug or trace", v);
         o.log_level = *l;
         o.log_level_given = true;
         return std::nullopt;
     }},
    {.names = "--msl",
     .value = "SECONDS",
     .help = "maximum segment lifetime; TIME-WAIT lasts 2*MSL         [30]",
     .apply = [](Options& o, std::string_view v) { return set_seconds(o.msl_seconds, v, 0, 3600); }},
    {.names = "--congestion",
     .value = "NAME",
     .help = "congestion controller: newreno (RFC 5681, RFC 6582)     [newreno]",
     .apply = set_congestion},
    {.names = "--stats",
     .value = "SECONDS",
     .help = "print the counters (frames, drops by reason ...) every SECONDS; they are\n"
             "also printed at exit and when the process gets SIGUSR1   [0: off]",
     .apply = [](Options& o, std::string_view v) { return set_seconds(o.stats_seconds, v, 0, 86400); }},
    {.names = "--seed",
     .value = "N",
     .help = "secret for initial sequence numbers (default: random; with --simulate: 1)",
     .apply = [](Options& o, std::string_view v) -> Problem {
         auto s = parse_uint<uint64_t>(v, UINT64_MAX);
         if (!s) return fmt::format("'{}' is not a non-negative integer", v);
         o.seed = *s;
         return std::nullopt;
     }},
    {.names = "--replay",
     .value = "FILE",
     .help = "no TAP, no root: feed the client's side of the first TCP conversation in FILE\n"
             "(a pcap of ours or tcpdump's; --port N picks the conversation by server port)\n"
             "to our stack in virtual time, as the recorded server, and print our answers\n"
             "beside the recorded ones. Exit 0 when they match, 1 when they differ.",
     .apply = [](Options& o, std::string_view v) -> Problem {
         if (v.empty()) return "needs a capture file";
         o.replay = std::string{v};
         return std::nullopt;
     }},
    {.names = "--drop",
     .value = "P",
     .section = "\nA bad link on purpose (between the stack and the device; the pcap shows what crossed the TAP):\n",
     .help = "lose P percent of the frames (\"5\" or \"5%\"; 0 to 100)    [0]",
     .apply = [](Options& o, std::string_view v) { return set_percent(o.faults.rates.drop, v); }},
    {.names = "--duplicate",
     .value = "P",
     .help = "deliver P percent twice                                 [0]",
     .apply = [](Options& o, std::string_view v) { return set_percent(o.faults.rates.duplicate, v); }},
    {.names = "--reorder",
     .value = "P",
     .help = "hold P percent back 1 ms, so that later frames overtake them [0]",
     .apply = [](Options& o, std::string_view v) { return set_percent(o.faults.rates.reorder, v); }},
    {.names = "--corrupt",
     .value = "P",
     .help = "flip one bit (past the Ethernet header) in P percent    [0]",
     .apply = [](Options& o, std::string_view v) { return set_percent(o.faults.rates.corrupt, v); }},
    {.names = "--delay",
     .value = "MS[±J]",
     .help = "delay every frame MS milliseconds, plus or minus up to J (also \"+-\") [0]",
     .apply = set_delay},
    {.names = "--faults",
     .value = "rx|tx|both",
     .help = "which way the faults apply                              [both]\n"
             "(--seed N also seeds the faults; without it they get a random seed,\n"
             "printed at start so that a run can be repeated)",
     .apply = [](Options& o, std::string_view v) -> Problem {
         if (v == "rx") o.faults.direction = FaultDirection::Rx;
         else if (v == "tx") o.faults.direction = FaultDirection::Tx;
         else if (v == "both") o.faults.direction = FaultDirection::Both;
         else return fmt::format("'{}' is not rx, tx or both", v);
         return std::nullopt;
     }},
    {.names = "--simulate",
     .value = "SCENARIO",
     .section = "\n",
     .help = "no TAP, no root: run a conversation in this process, in virtual time, between\n"
             "our HTTP server and a scripted browser on a second tapstack, print it like\n"
             "--trace and write tapstack-SCENARIO.pcap. SCENARIO: article (the article's\n"
             "capture, same sizes and numbers), client-first, lost-segment",
     .apply = [](Options& o, std::string_view v) -> Problem {
         if (v != "article" && v != "client-first" && v != "lost-segment")
             return fmt::format("'{}' is not article, client-first or lost-segment", v);
         o.simulate = std::string{v};
         return std::nullopt;
     }},
    {.names = "-h, --help",
     .help = "show this help and exit",
     .apply = [](Options& o, std::string_view) -> Problem {
         o.help = true;
         return std::nullopt;
     }},
    {.names = "--version",
     .help = "show the version and exit",
     .apply = [](Options& o, std::string_view) -> Problem {
         o.version = true;
         return std::nullopt;
     }},
    {.names = "--tolerance_usecs",
     .value = "N",
     .section = "\ntapstack pkt:\n",
     .help = "how far from its time an event may happen, in microseconds\n"
             "(a script's own --tolerance_usecs line wins)                 [4000]",
     .pkt_only = true,
     .apply = [](Options& o, std::string_view v) -> Problem {
         auto n = parse_uint<uint32_t>(v, 60'000'000);
         if (!n || *n == 0) return fmt::format("'{}' is not a number of microseconds (1 to 60000000)", v);
         o.tolerance_usecs = *n;
         return std::nullopt;
     }},
    {.names = "-v, --verbose",
     .help = "print each event as it runs, every frame in and out, and the\n"
             "stack's info log lines (without -v: warnings only)",
     .pkt_only = true,
     .apply = [](Options& o, std::string_view) -> Problem {
         o.verbose = true;
         return std::nullopt;
     }},
    {.names = "-o, --output",
     .value = "FILE",
     .get_only = true,
     .apply = [](Options& o, std::string_view v) -> Problem {
         if (v.empty()) return "needs a file name";
         o.output = std::string{v};
         return std::nullopt;
     }},
    {.names = "--timeout",
     .value = "SECONDS",
     .get_only = true,
     .apply = [](Options& o, std::string_view v) { return set_seconds(o.timeout_seconds, v, 1, 3600); }},
};

// The name as typed matches one of the row's names.
bool names_match(std::string_view names, std::string_view arg) {
    while (!names.empty()) {
        size_t comma = names.find(", ");
        if (names.substr(0, comma) == arg) return true;
        names = comma == std::string_view::npos ? std::string_view{} : names.substr(comma + 2);
    }
    return false;
}

// `tapstack pkt` takes its own options and --help; the others take every option but the ones
// of the other subcommands.
const OptionSpec* find_option(std::string_view arg, const Options& o) {
    for (const OptionSpec& spec : option_table) {
        if (!names_match(spec.names, arg)) continue;
        if (o.pkt ? spec.pkt_only || names_match(spec.names, "--help") : !spec.pkt_only && (o.get || !spec.get_only))
            return &spec;
    }
    return nullptr;
}

// Columns, not bytes: "--delay MS[±J]" has a two-byte character.
size_t display_width(std::string_view s) {
    size_t width = 0;
    for (char c : s) width += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    return width;
}

// The checks that involve more than one option.
Problem check_combinations(const Options& o) {
    if (o.gateway && !o.ip.contains(*o.gateway)) return "--gateway: must be inside the --ip prefix";
    if (o.get && !o.url && !o.help) return "get: which URL? (tapstack get http://10.0.0.1/)";
    if (o.pkt && o.pkt_files.empty() && !o.help) return "pkt: which scripts? (tapstack pkt FILE.pkt...)";
    if (o.get && (o.simulate || o.replay)) return "get: --simulate and --replay are for the server";
    if (o.simulate && o.replay) return "--replay: one of --simulate and --replay";
    if (o.offload && (o.simulate || o.replay))
        return "--offload: is for a TAP device; --simulate and --replay have none";
    if (o.offload && o.faults.rates.any())
        return "--offload: not with --drop, --duplicate, --reorder, --corrupt or --delay (they act on single frames)";
    return std::nullopt;
}

}  // namespace

std::string usage_text() {
    constexpr size_t help_column = 26;  // "  " and the names, padded
    std::string out{usage_head};
    for (const OptionSpec& spec : option_table) {
        if (spec.help.empty()) continue;
        out += spec.section;
        std::string left = fmt::format("  {}{}{}", spec.names, spec.value.empty() ? "" : " ", spec.value);
        out += left + std::string(help_column - std::min(display_width(left), help_column - 1), ' ');
        for (char c : spec.help) out += c == '\n' ? "\n" + std::string(help_column, ' ') : std::string(1, c);
        out += '\n';
    }
    out += usage_foot;
    return out;
}

std::variant<Options, ParseError> parse_options(int argc, char** argv) {
    Options o;
    int first = 1;
    if (argc >= 2 && std::string_view{argv[1]} == "get") {
        o.get = true;
        first = 2;
    } else if (argc >= 2 && std::string_view{argv[1]} == "pkt") {
        o.pkt = true;
        first = 2;
    }
    for (int i = first; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (o.get && !arg.starts_with("-")) {
            if (o.url) return ParseError{fmt::format("get: one URL only ('{}' is a second one)", arg)};
            o.url = std::string{arg};
            continue;
        }
        if (o.pkt && !arg.starts_with("-")) {
            o.pkt_files.emplace_back(arg);
            continue;
        }
        std::optional<std::string_view> value;  // --name=value or --name value
        if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
        }
        const OptionSpec* spec = find_option(arg, o);
        if (!spec) return ParseError{fmt::format("unknown option '{}' (see --help)", arg)};
        if (spec->value.empty()) {
            value = std::string_view{};  // a flag: an "=value" is ignored
        } else if (!value) {
            if (i + 1 >= argc) return ParseError{fmt::format("{}: needs a value", arg)};
            value = std::string_view{argv[++i]};
        }
        if (Problem p = spec->apply(o, *value)) return ParseError{fmt::format("{}: {}", arg, *p)};
    }
    if (Problem p = check_combinations(o)) return ParseError{*p};
    return o;
}

}  // namespace tapstack
