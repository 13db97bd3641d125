// SPDX-License-Identifier: MIT
#include "stack/trace/conversation_tracer.hh"

#include <fmt/format.h>

#include <algorithm>

#include "stack/wire/arp.hh"
#include "stack/wire/ethernet.hh"
#include "stack/wire/icmp.hh"
#include "stack/wire/ipv4.hh"

namespace tapstack {
namespace {

bool is_token_char(uint8_t c) { return c >= 'A' && c <= 'Z'; }

std::string options_text(const TcpOptions& o) {
    std::string s;
    if (o.mss) s += fmt::format(" MSS={}", *o.mss);
    if (o.sack_permitted) s += " SACK_PERM";
    if (o.timestamps) s += fmt::format(" TSval={} TSecr={}", o.timestamps->value, o.timestamps->echo_reply);
    if (o.window_scale) s += fmt::format(" WS={}", 1u << std::min<uint8_t>(*o.window_scale, 14));
    return s;
}

std::string flags_json(uint8_t flags) {
    if (flags == 0) return "[]";  // not ["<None>"]
    std::string s = "[";
    std::string names = tcp_flags_string(flags);
    size_t start = 0;
    bool first = true;
    while (start < names.size()) {
        size_t comma = names.find(", ", start);
        std::string_view name =
            std::string_view{names}.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!first) s += ",";
        s += json_quote(name);
        first = false;
        if (comma == std::string::npos) break;
        start = comma + 2;
    }
    return s + "]";
}

}  // namespace

std::string http_first_line(Bytes payload) {
    // Request line: METHOD SP target SP HTTP/1.x ; status line: HTTP/1.x SP code ...
    size_t end = 0;
    while (end < payload.size() && end < 256 && payload[end] != '\r' && payload[end] != '\n') ++end;
    std::string_view line = as_chars(payload.first(end));
    bool status_line = line.starts_with("HTTP/1.") && line.size() >= 12;
    if (!status_line) {
        size_t method_len = 0;
        while (method_len < line.size() && is_token_char(static_cast<uint8_t>(line[method_len]))) ++method_len;
        if (method_len == 0 || method_len >= line.size() || line[method_len] != ' ') return {};
        if (line.find(" HTTP/1.") == std::string_view::npos) return {};
    }
    // Bytes from the capture go to a terminal: nothing but printable ASCII (no escape sequences).
    std::string out;
    for (char c : line) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out;
}

std::string json_quote(std::string_view s) {
    std::string out = "\"";
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '"') out += "\\\"";
        else if (c == '\\') out += "\\\\";
        else if (c < 0x20 || c >= 0x7f) out += fmt::format("\\u{:04x}", c);
        else out += ch;
    }
    return out + "\"";
}

ConversationTracer::ConversationTracer(Sink sink, TraceFormat format) : sink_(std::move(sink)), format_(format) {}

void ConversationTracer::emit(const std::string& line) const {
    if (sink_) sink_(line);
}

double ConversationTracer::seconds(Instant now) {
    if (!first_) first_ = now;
    return static_cast<double>((now - *first_).count()) / 1e6;
}

void ConversationTracer::on_frame(Instant now, FrameDirection, Bytes frame) {
    ++frame_number_;
    double t = seconds(now);
    auto eth = EthernetView::parse(frame);
    if (!eth) {
        emit(format_ == TraceFormat::Json
                 ? fmt::format(R"J({{"no":{},"t":{:.6f},"proto":"?","info":"truncated Ethernet frame ({} bytes)"}})J",
                               frame_number_, t, frame.size())
                 : fmt::format("{:4}  {:10.6f}  truncated Ethernet frame ({} bytes)", frame_number_, t, frame.size()));
        return;
    }
    if (eth->ethertype() == static_cast<uint16_t>(EtherType::Ipv4)) {
        trace_ipv4(now, eth->payload());
        return;
    }
    std::string info;
    std::string proto = "ETH";
    if (eth->ethertype() == static_cast<uint16_t>(EtherType::Arp)) {
        proto = "ARP";
        if (auto arp = ArpPacket::parse(eth->payload())) {
            info = arp->op == ArpOp::Request ? fmt::format("who-has {}? tell {}", arp->target_ip, arp->sender_ip)
                                             : fmt::format("{} is-at {}", arp->sender_ip, arp->sender_mac);
        } else {
            info = "malformed ARP";
        }
    } else {
        info = fmt::format("ethertype 0x{:04x}, {} bytes", eth->ethertype(), frame.size());
    }
    emit(format_ == TraceFormat::Json ? fmt::format(R"({{"no":{},"t":{:.6f},"proto":"{}","info":{}}})", frame_number_,
                                                    t, proto, json_quote(info))
                                      : fmt::format("{:4}  {:10.6f}  {:<5} {}", frame_number_, t, proto, info));
}

void ConversationTracer::on_ipv4_packet(Instant now, Bytes packet) {
    ++frame_number_;
    seconds(now);
    trace_ipv4(now, packet);
}

void ConversationTracer::trace_ipv4(Instant now, Bytes packet) {
    double t = seconds(now);
    auto ip = Ipv4View::parse(packet);
    auto other = [&](std::string_view proto, const std::string& info) {
        emit(format_ == TraceFormat::Json ? fmt::format(R"({{"no":{},"t":{:.6f},"proto":"{}","info":{}}})",
                                                        frame_number_, t, proto, json_quote(info))
                                          : fmt::format("{:4}  {:10.6f}  {:<5} {}", frame_number_, t, proto, info));
    };
    if (!ip) return other("IPv4", "malformed IPv4 header");
    if (ip->is_fragment())
        return other("IPv4",
                     fmt::format("{} -> {} fragment at offset {}", ip->src(), ip->dst(), ip->fragment_offset()));
    if (ip->protocol() == static_cast<uint8_t>(IpProtocol::Icmp)) {
        auto icmp = IcmpView::parse(ip->payload());
        if (!icmp) return other("ICMP", fmt::format("{} -> {} malformed ICMP", ip->src(), ip->dst()));
        std::string kind = icmp->type() == 8   ? "echo request"
                           : icmp->type() == 0 ? "echo reply"
                                               : fmt::format("type {} code {}", icmp->type(), icmp->code());
        return other("ICMP", fmt::format("{} -> {} {} id=0x{:04x} seq={} len={}", ip->src(), ip->dst(), kind,
                                         icmp->ident(), icmp->sequence(), icmp->data().size()));
    }
    if (ip->protocol() != static_cast<uint8_t>(IpProtocol::Tcp)) {
        return other("IPv4", fmt::format("{} -> {} protocol {}", ip->src(), ip->dst(), ip->protocol()));
    }
    // Checksums are not verified here (a capture with offloaded checksums is still readable).
    auto seg = TcpSegment::parse_unchecked(ip->payload());
    if (!seg) return other("TCP", fmt::format("{} -> {} malformed TCP header", ip->src(), ip->dst()));
    trace_tcp(now, FourTuple{ip->src(), seg->src_port, ip->dst(), seg->dst_port}, *seg);
}

ConversationTracer::Conversation& ConversationTracer::conversation_for(const FourTuple& p, const TcpSegment& seg,
                                                                       bool& from_client) {
    FourTuple reversed{p.remote_ip, p.remote_port, p.local_ip, p.local_port};
    if (auto it = conversations_.find(p); it != conversations_.end()) {
        // A new SYN on a tuple we traced before starts a new conversation (port reuse).
        if (!(seg.syn() && !seg.has_ack())) {
            from_client = true;
            return it->second;
        }
        conversations_.erase(it);
    } else if (auto rit = conversations_.find(reversed); rit != conversations_.end()) {
        from_client = false;
        return rit->second;
    }
    // New conversation: whoever sends a bare SYN is the client; without a SYN, the higher port.
    bool sender_is_client = (seg.syn() && !seg.has_ack()) || (!seg.syn() && p.local_port > p.remote_port);
    from_client = sender_is_client;
    if (conversations_.size() >= max_conversations) {
        auto oldest = std::min_element(conversations_.begin(), conversations_.end(), [](const auto& a, const auto& b) {
            return a.second.last_used < b.second.last_used;
        });
        conversations_.erase(oldest);
    }
    const FourTuple& key = sender_is_client ? p : reversed;
    Conversation& c = conversations_[key];
    c.client_side = key;
    return c;
}

void ConversationTracer::trace_tcp(Instant now, const FourTuple& p, const TcpSegment& seg) {
    bool from_client = false;
    Conversation& c = conversation_for(p, seg, from_client);
    c.last_used = frame_number_;
    auto& own_isn = from_client ? c.client_isn : c.server_isn;
    auto& peer_isn = from_client ? c.server_isn : c.client_isn;
    // Wireshark's relative numbers: the ISN from the SYN, or (no SYN seen) the first seq minus 0.
    if (seg.syn()) own_isn = seg.seq.raw;
    if (!own_isn) own_isn = seg.seq.raw - 1;  // mid-stream: count as if data started at 1
    if (!peer_isn && seg.has_ack()) peer_isn = seg.ack.raw - 1;
    if (seg.syn()) {
        uint8_t ws = seg.options.window_scale.value_or(0);
        if (from_client) c.client_wscale = ws;
        else c.server_wscale = ws;
        if (from_client) c.client_sent_wscale = seg.options.window_scale.has_value();
        if (!from_client && seg.has_ack()) c.scaling = seg.options.window_scale.has_value() && c.client_sent_wscale;
    }

    TracedSegment ts;
    ts.frame_number = frame_number_;
    ts.time = seconds(now);
    ts.from_client = from_client;
    ts.client = c.client_side;
    ts.flags = seg.flags;
    ts.seq = seg.seq.raw - *own_isn;
    if (seg.has_ack()) ts.ack = seg.ack.raw - *peer_isn;
    ts.len = static_cast<uint32_t>(seg.payload.size());
    // RFC 7323 §2.2: the window is scaled only when both SYNs carried the option, never in a SYN.
    uint8_t shift = c.scaling ? std::min<uint8_t>(from_client ? c.client_wscale : c.server_wscale, 14) : 0;
    ts.window = seg.syn() ? seg.window : uint32_t{seg.window} << shift;
    ts.http_line = http_first_line(seg.payload);
    print_tcp(ts, p, seg);
    if (on_segment) on_segment(ts);
}

// One line for one segment: Wireshark's summary in text, or the same fields in JSON.
void ConversationTracer::print_tcp(const TracedSegment& ts, const FourTuple& p, const TcpSegment& seg) const {
    uint32_t seg_len = seg.seg_len();
    std::string dir = ts.from_client ? "client→server" : "server→client";
    if (format_ == TraceFormat::Json) {
        std::string line = fmt::format(
            R"({{"no":{},"t":{:.6f},"proto":"TCP","dir":"{}","src":"{}:{}","dst":"{}:{}","flags":{},"seq":{},"ack":{},"len":{},"next_seq":{},"win":{})",
            ts.frame_number, ts.time, dir, p.local_ip, p.local_port, p.remote_ip, p.remote_port, flags_json(seg.flags),
            ts.seq, ts.ack ? fmt::format("{}", *ts.ack) : "null", ts.len,
            seg_len ? fmt::format("{}", ts.seq + seg_len) : "null", ts.window);
        if (seg.syn())
            line +=
                fmt::format(R"(,"options":{})",
                            json_quote(options_text(seg.options).substr(options_text(seg.options).empty() ? 0 : 1)));
        if (!ts.http_line.empty()) line += fmt::format(R"(,"http":{})", json_quote(ts.http_line));
        emit(line + "}");
    } else {
        std::string line =
            fmt::format("{:4}  {:10.6f}  {}  {}:{} → {}:{}  [{}]  seq={}", ts.frame_number, ts.time, dir, p.local_ip,
                        p.local_port, p.remote_ip, p.remote_port, tcp_flags_string(seg.flags), ts.seq);
        if (ts.ack) line += fmt::format(" ack={}", *ts.ack);
        line += fmt::format(" win={} len={}", ts.window, ts.len);
        if (seg_len) line += fmt::format(" next_seq={}", ts.seq + seg_len);
        if (seg.syn()) line += options_text(seg.options);
        if (!ts.http_line.empty()) line += fmt::format("  \"{}\"", ts.http_line);
        emit(line);
    }
}

void ConversationTracer::on_state_change(Instant now, const FourTuple& t, TcpState from, TcpState to,
                                         std::string_view why) {
    double s = seconds(now);
    if (format_ == TraceFormat::Json) {
        emit(fmt::format(R"({{"t":{:.6f},"conn":"{}","state":{{"from":"{}","to":"{}","why":{}}}}})", s, t,
                         to_string(from), to_string(to), json_quote(why)));
    } else {
        emit(fmt::format("      {:10.6f}  state {} → {}  ({})", s, to_string(from), to_string(to), why));
    }
}

}  // namespace tapstack
