// SPDX-License-Identifier: MIT
// ConversationTracer: prints every frame the way the Wireshark article reads a capture — number,
// time, direction (client→server), flags, relative seq/ack (Wireshark's convention), length,
// next seq, window, SYN options, the HTTP request or status line — and, when attached to a live
// stack, each TCP state change under the frame that caused it. Used by `tapstack --trace` and,
// fed from a pcap file, by `tapstack annotate`. It never trusts the bytes it is shown.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "stack/observer.hh"
#include "stack/wire/tcp.hh"

namespace tapstack {

enum class TraceFormat : uint8_t { Text, Json };

// What the tracer knows about one TCP segment, in relative numbers: also what the article check
// (apps/tapstack/annotate.cc) reasons about.
struct TracedSegment {
    uint64_t frame_number = 0;
    double time = 0;  // seconds since the first frame
    bool from_client = false;
    FourTuple client;  // local = client side, remote = server side
    uint8_t flags = 0;
    uint32_t seq = 0;             // relative to the sender's ISN
    std::optional<uint32_t> ack;  // relative to the receiver's ISN
    uint32_t len = 0;             // payload bytes
    uint32_t window = 0;
    std::string http_line;  // "GET / HTTP/1.1" or "HTTP/1.1 200 OK", when the payload starts one
};

class ConversationTracer final : public ConnectionObserver {
public:
    using Sink = std::function<void(std::string_view line)>;
    // `sink` receives one line at a time (without the newline). It may be empty (no output):
    // `on_segment` alone is then useful for checks.
    ConversationTracer(Sink sink, TraceFormat format);

    void on_frame(Instant now, FrameDirection, Bytes frame) override;
    void on_state_change(Instant now, const FourTuple&, TcpState from, TcpState to, std::string_view why) override;

    // Frames whose Ethernet header is missing (Linux cooked or raw IP captures) start at IPv4.
    void on_ipv4_packet(Instant now, Bytes packet);

    // Called for every TCP segment traced, after its line was printed.
    std::function<void(const TracedSegment&)> on_segment;

    uint64_t frames() const { return frame_number_; }

private:
    struct Conversation {
        FourTuple client_side;  // local = client, remote = server
        std::optional<uint32_t> client_isn, server_isn;
        uint8_t client_wscale = 0, server_wscale = 0;
        bool client_sent_wscale = false;
        bool scaling = false;  // both SYNs carried window scale
        uint64_t last_used = 0;
    };

    void emit(const std::string& line) const;
    double seconds(Instant now);
    void trace_ipv4(Instant now, Bytes packet);
    void trace_tcp(Instant now, const FourTuple& packet_tuple, const TcpSegment& seg);
    void print_tcp(const TracedSegment&, const FourTuple& packet_tuple, const TcpSegment& seg) const;
    Conversation& conversation_for(const FourTuple& packet_tuple, const TcpSegment& seg, bool& from_client);

    Sink sink_;
    TraceFormat format_;
    uint64_t frame_number_ = 0;
    std::optional<Instant> first_;
    std::unordered_map<FourTuple, Conversation, FourTupleHash> conversations_;  // keyed by client side
    static constexpr size_t max_conversations = 4096;
};

// The first line of an HTTP request or response at the start of `payload`, or "".
std::string http_first_line(Bytes payload);
// JSON string literal for `s` (quotes included), escaping what JSON requires.
std::string json_quote(std::string_view s);

}  // namespace tapstack
