// SPDX-License-Identifier: MIT
// `tapstack annotate`: a capture file in, the article's view of it out. Frames go through the
// same ConversationTracer that `--trace` uses; --check-article then runs check_article() on each
// TCP conversation (optionally only those with a given server port).
#include "apps/tapstack/annotate.hh"

#include <fmt/core.h>

#include <charconv>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "apps/tapstack/article_check.hh"
#include "netdev/pcap_reader.hh"
#include "stack/trace/conversation_tracer.hh"

namespace tapstack {
namespace {

constexpr const char* usage =
    "Usage: tapstack annotate FILE.pcap [--format text|json] [--check-article [--expect "
    "server-first|client-first|any]] [--port N]\n"
    "Prints every frame as the Wireshark article reads it (relative seq/ack, lengths, next seq, HTTP lines).\n"
    "--check-article checks each TCP conversation against the article's shape and numbers; exit 0 when all pass.\n";

int usage_error(std::string_view message) {
    fmt::print(stderr, "tapstack annotate: {}\n", message);
    return 2;
}

struct AnnotateArgs {
    std::string path;
    TraceFormat format = TraceFormat::Text;
    bool check = false;
    CloseOrder expect = CloseOrder::Any;
    std::optional<uint16_t> port;
};

std::optional<TraceFormat> parse_format(std::optional<std::string_view> v) {
    if (v == "text") return TraceFormat::Text;
    if (v == "json") return TraceFormat::Json;
    return std::nullopt;
}

std::optional<CloseOrder> parse_expect(std::optional<std::string_view> v) {
    if (v == "server-first") return CloseOrder::ServerFirst;
    if (v == "client-first") return CloseOrder::ClientFirst;
    if (v == "any") return CloseOrder::Any;
    return std::nullopt;
}

std::optional<uint16_t> parse_port(std::optional<std::string_view> v) {
    unsigned p = 0;
    auto parsed = v ? std::from_chars(v->data(), v->data() + v->size(), p) : std::from_chars_result{};
    if (!v || parsed.ec != std::errc{} || parsed.ptr != v->data() + v->size() || p == 0 || p > 65535)
        return std::nullopt;
    return static_cast<uint16_t>(p);
}

// The command line into `args`; an exit status when there is nothing more to do (--help, or a
// usage error, said on standard error).
std::optional<int> parse_args(int argc, char** argv, AnnotateArgs& args) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto value = [&]() -> std::optional<std::string_view> {
            if (i + 1 >= argc) return std::nullopt;
            return std::string_view{argv[++i]};
        };
        if (a == "-h" || a == "--help") {
            fmt::print("{}", usage);
            return 0;
        } else if (a == "--check-article") {
            args.check = true;
        } else if (a == "--format") {
            auto format = parse_format(value());
            if (!format) return usage_error("--format: text or json");
            args.format = *format;
        } else if (a == "--expect") {
            auto expect = parse_expect(value());
            if (!expect) return usage_error("--expect: server-first, client-first or any");
            args.expect = *expect;
        } else if (a == "--port") {
            args.port = parse_port(value());
            if (!args.port) return usage_error("--port: a port from 1 to 65535");
        } else if (a.starts_with("-")) {
            return usage_error(fmt::format("unknown option '{}' (see --help)", a));
        } else if (args.path.empty()) {
            args.path = a;
        } else {
            return usage_error("only one capture file, please");
        }
    }
    if (args.path.empty()) return usage_error("which capture file? (see --help)");
    return std::nullopt;
}

using Conversations = std::vector<std::vector<TracedSegment>>;

// Prints every frame of the capture through the tracer and returns its TCP conversations (on
// `port`, if given), in order of first appearance.
Conversations trace_capture(PcapReader& reader, const AnnotateArgs& args) {
    ConversationTracer tracer(
        [](std::string_view line) {
            std::fwrite(line.data(), 1, line.size(), stdout);
            std::fputc('\n', stdout);
        },
        args.format);
    // Keyed by the client side of the tuple; a new SYN on the same tuple starts a new one.
    Conversations conversations;
    std::map<std::tuple<uint32_t, uint16_t, uint32_t, uint16_t>, size_t> index;
    tracer.on_segment = [&](const TracedSegment& s) {
        const FourTuple& c = s.client;
        if (args.port && c.remote_port != *args.port) return;
        auto key = std::make_tuple(c.local_ip.value, c.local_port, c.remote_ip.value, c.remote_port);
        bool new_syn = s.from_client && (s.flags & tcp_flag::syn) && !s.ack;
        auto it = index.find(key);
        if (it == index.end() || new_syn) {
            index[key] = conversations.size();
            conversations.emplace_back();
            it = index.find(key);
        }
        conversations[it->second].push_back(s);
    };
    while (auto frame = reader.next()) {
        if (reader.is_ethernet()) {
            tracer.on_frame(frame->timestamp, FrameDirection::Received, frame->data);
        } else if (auto at = reader.ipv4_offset(frame->data)) {
            tracer.on_ipv4_packet(frame->timestamp, frame->data.subspan(*at));  // cooked or raw capture
        }
    }
    return conversations;
}

// --check-article: each conversation's report; 0 when all of them pass.
int check_conversations(const Conversations& conversations, const AnnotateArgs& args) {
    if (conversations.empty()) {
        fmt::print("article check: FAIL: no TCP conversation{} in {}\n",
                   args.port ? fmt::format(" on port {}", *args.port) : "", args.path);
        return 1;
    }
    bool all = true;
    for (const auto& conv : conversations) {
        const FourTuple& c = conv.front().client;
        fmt::print("\nconversation {}:{} → {}:{} ({} segments)\n", c.local_ip, c.local_port, c.remote_ip, c.remote_port,
                   conv.size());
        ArticleCheck r = check_article(conv, args.expect);
        for (const auto& line : r.report) fmt::print("{}\n", line);
        all = all && r.passed;
    }
    return all ? 0 : 1;
}

}  // namespace

int run_annotate(int argc, char** argv) {
    AnnotateArgs args;
    if (auto status = parse_args(argc, argv, args)) return *status;
    try {
        PcapReader reader(args.path);
        if (!reader.network_offset()) {
            fmt::print(stderr, "tapstack annotate: {}: link type {} is not Ethernet, Linux cooked or raw IP\n",
                       args.path, reader.link_type());
            return 1;
        }
        Conversations conversations = trace_capture(reader, args);
        if (!args.check) return 0;
        return check_conversations(conversations, args);
    } catch (const std::system_error& e) {
        fmt::print(stderr, "tapstack annotate: {}\n", e.what());
        return 1;
    }
}

}  // namespace tapstack
