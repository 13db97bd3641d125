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
    "Usage: tapstack annotate FILE.pcap [--format text|json] [--check-article [--expect server-first|client-first|any]] [--port N]\n"
    "Prints every frame as the Wireshark article reads it (relative seq/ack, lengths, next seq, HTTP lines).\n"
    "--check-article checks each TCP conversation against the article's shape and numbers; exit 0 when all pass.\n";

int usage_error(std::string_view message) {
    fmt::print(stderr, "tapstack annotate: {}\n", message);
    return 2;
}

}  // namespace

int run_annotate(int argc, char** argv) {
    std::string path;
    TraceFormat format = TraceFormat::Text;
    bool check = false;
    CloseOrder expect = CloseOrder::Any;
    std::optional<uint16_t> port;
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
            check = true;
        } else if (a == "--format") {
            auto v = value();
            if (v == "text") format = TraceFormat::Text;
            else if (v == "json") format = TraceFormat::Json;
            else return usage_error("--format: text or json");
        } else if (a == "--expect") {
            auto v = value();
            if (v == "server-first") expect = CloseOrder::ServerFirst;
            else if (v == "client-first") expect = CloseOrder::ClientFirst;
            else if (v == "any") expect = CloseOrder::Any;
            else return usage_error("--expect: server-first, client-first or any");
        } else if (a == "--port") {
            auto v = value();
            unsigned p = 0;
            auto parsed = v ? std::from_chars(v->data(), v->data() + v->size(), p) : std::from_chars_result{};
            if (!v || parsed.ec != std::errc{} || parsed.ptr != v->data() + v->size() || p == 0 || p > 65535)
                return usage_error("--port: a port from 1 to 65535");
            port = static_cast<uint16_t>(p);
        } else if (a.starts_with("-")) {
            return usage_error(fmt::format("unknown option '{}' (see --help)", a));
        } else if (path.empty()) {
            path = a;
        } else {
            return usage_error("only one capture file, please");
        }
    }
    if (path.empty()) return usage_error("which capture file? (see --help)");

    try {
        PcapReader reader(path);
        auto offset = reader.network_offset();
        if (!offset) {
            fmt::print(stderr, "tapstack annotate: {}: link type {} is not Ethernet, Linux cooked or raw IP\n", path, reader.link_type());
            return 1;
        }
        ConversationTracer tracer(
            [](std::string_view line) {
                std::fwrite(line.data(), 1, line.size(), stdout);
                std::fputc('\n', stdout);
            },
            format);
        // Conversations in order of first appearance, keyed by the client side of the tuple.
        std::vector<std::vector<TracedSegment>> conversations;
        std::map<std::tuple<uint32_t, uint16_t, uint32_t, uint16_t>, size_t> index;
        tracer.on_segment = [&](const TracedSegment& s) {
            const FourTuple& c = s.client;
            if (port && c.remote_port != *port) return;
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
        if (!check) return 0;

        if (conversations.empty()) {
            fmt::print("article check: FAIL: no TCP conversation{} in {}\n", port ? fmt::format(" on port {}", *port) : "", path);
            return 1;
        }
        bool all = true;
        for (const auto& conv : conversations) {
            const FourTuple& c = conv.front().client;
            fmt::print("\nconversation {}:{} → {}:{} ({} segments)\n", c.local_ip, c.local_port, c.remote_ip, c.remote_port, conv.size());
            ArticleCheck r = check_article(conv, expect);
            for (const auto& line : r.report) fmt::print("{}\n", line);
            all = all && r.passed;
        }
        return all ? 0 : 1;
    } catch (const std::system_error& e) {
        fmt::print(stderr, "tapstack annotate: {}\n", e.what());
        return 1;
    }
}

}  // namespace tapstack
