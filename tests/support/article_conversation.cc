// SPDX-License-Identifier: MIT
#include "tests/support/article_conversation.hh"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <stdexcept>

#include "netdev/pcap_tee.hh"
#include "stack/wire/ethernet.hh"
#include "stack/wire/ipv4.hh"
#include "stack/wire/tcp.hh"

namespace tapstack::test {
namespace {

constexpr size_t request_len = 322;
constexpr size_t response_len = 279;

// A device that drops what it is given: PcapTee records the frames, nobody receives them.
class NullDev final : public NetDev {
public:
    std::optional<size_t> receive(MutBytes, Instant) override { return std::nullopt; }
    void transmit(Bytes, Instant) override {}
};

ScriptedSegment step(int no, bool from_client, uint8_t flags, uint32_t seq, uint32_t ack, std::string payload = {}) {
    return ScriptedSegment{no, from_client, flags, seq, ack, std::move(payload)};
}

constexpr uint8_t ack_flag = tcp_flag::ack;
constexpr uint8_t syn = tcp_flag::syn;
constexpr uint8_t fin_ack = tcp_flag::fin | tcp_flag::ack;
constexpr uint8_t psh_ack = tcp_flag::psh | tcp_flag::ack;

}  // namespace

std::string article_request() {
    std::string head =
        "GET / HTTP/1.1\r\n"
        "Host: 10.0.0.2\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0\r\n"
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
        "Accept-Language: en-US,en;q=0.5\r\n"
        "Accept-Encoding: gzip, deflate\r\n"
        "Connection: keep-alive\r\n"
        "DNT: 1\r\n";
    const std::string tail = "\r\n";
    const std::string pad_name = "X-Pad: ";
    const std::string pad_end = "\r\n";
    assert(head.size() + pad_name.size() + pad_end.size() + tail.size() < request_len);
    head += pad_name + std::string(request_len - head.size() - pad_name.size() - pad_end.size() - tail.size(), 'x') +
            pad_end;
    return head + tail;
}

std::string article_response() {
    const std::string open = "<html><body><h1>It works!</h1>";
    const std::string close = "</body></html>\n";
    for (size_t body_len = open.size() + close.size(); body_len < response_len; ++body_len) {
        std::string head = fmt::format(
            "HTTP/1.1 200 OK\r\n"
            "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
            "Server: Apache\r\n"
            "Content-Length: {}\r\n"
            "Content-Type: text/html\r\n"
            "\r\n",
            body_len);
        if (head.size() + body_len == response_len)
            return head + open + std::string(body_len - open.size() - close.size(), ' ') + close;
    }
    throw std::logic_error("article_response: no body length fits");
}

std::vector<ScriptedSegment> article_script() {
    // One of the article's frames a line, numbered as it numbers them (kept by hand):
    // clang-format off
    return {
        step(6, true, syn, 0, 0),
        step(7, false, syn | ack_flag, 0, 1),
        step(8, true, ack_flag, 1, 1),
        step(9, true, psh_ack, 1, 1, article_request()),
        step(10, false, ack_flag, 1, 323),
        step(11, false, psh_ack, 1, 323, article_response()),
        step(12, false, fin_ack, 280, 323),
        step(13, true, ack_flag, 323, 281),
        step(14, true, fin_ack, 323, 281),
        step(16, false, ack_flag, 281, 324),
    };
    // clang-format on
}

std::vector<ScriptedSegment> client_first_script() {
    auto s = article_script();
    s.resize(6);  // No6..No11
    s.push_back(step(14, true, fin_ack, 323, 280));
    s.push_back(step(16, false, ack_flag, 280, 324));
    s.push_back(step(12, false, fin_ack, 280, 324));
    s.push_back(step(13, true, ack_flag, 324, 281));
    return s;
}

ScriptedSegment& segment_no(std::vector<ScriptedSegment>& script, int article_no) {
    auto it = std::find_if(script.begin(), script.end(),
                           [&](const ScriptedSegment& s) { return s.article_no == article_no; });
    if (it == script.end()) throw std::logic_error(fmt::format("no frame No{} in the script", article_no));
    return *it;
}

void drop_segment(std::vector<ScriptedSegment>& script, int article_no) {
    script.erase(std::remove_if(script.begin(), script.end(),
                                [&](const ScriptedSegment& s) { return s.article_no == article_no; }),
                 script.end());
}

std::vector<TimedFrame> render_frames(const std::vector<ScriptedSegment>& script, const ArticleHosts& h,
                                      Instant start) {
    std::vector<TimedFrame> frames;
    uint16_t ident[2] = {0x4d21, 0x0000};  // [client, server]
    uint32_t tsval[2] = {3'847'203'921u, 2'216'543'210u};
    uint32_t last_tsval[2] = {0, 0};
    Instant now = start;
    for (const auto& s : script) {
        const int side = s.from_client ? 0 : 1;
        TcpSegment seg;
        seg.src_port = s.from_client ? h.client_port : h.server_port;
        seg.dst_port = s.from_client ? h.server_port : h.client_port;
        seg.seq = SeqNum{(s.from_client ? h.client_isn : h.server_isn) + s.seq};
        seg.ack = SeqNum{(s.from_client ? h.server_isn : h.client_isn) + s.ack};
        seg.flags = s.flags;
        seg.options.timestamps = TcpOptions::Timestamps{tsval[side], last_tsval[1 - side]};
        if (s.flags & tcp_flag::syn) {
            seg.window = s.from_client ? 64240 : 65160;
            seg.options.mss = 1460;
            seg.options.sack_permitted = true;
            seg.options.window_scale = 7;
        } else {
            seg.window = s.from_client ? 502 : 509;  // 64256 and 65152 once scaled by 128
        }
        seg.payload = as_bytes(s.payload);
        last_tsval[side] = tsval[side];
        tsval[side] += 3;

        const size_t tcp_len = seg.header_len() + seg.payload_len();
        TimedFrame f{now, std::vector<uint8_t>(ethernet_field::header_len + Ipv4Header::len + tcp_len)};
        MutBytes out{f.bytes};
        emit_ethernet_header(out, s.from_client ? h.server_mac : h.client_mac,
                             s.from_client ? h.client_mac : h.server_mac, EtherType::Ipv4);
        Ipv4Header ip{s.from_client ? h.client_ip : h.server_ip,
                      s.from_client ? h.server_ip : h.client_ip,
                      IpProtocol::Tcp,
                      static_cast<uint16_t>(tcp_len),
                      ident[side],
                      64,
                      true};
        ip.emit(out.subspan(ethernet_field::header_len));
        seg.emit(out.subspan(ethernet_field::header_len + Ipv4Header::len), ip.pseudo_header());
        ident[side] = static_cast<uint16_t>(ident[side] + 1);
        frames.push_back(std::move(f));
        now = now + std::chrono::microseconds{100};
    }
    return frames;
}

void write_pcap(const std::string& path, const std::vector<TimedFrame>& frames) {
    NullDev null;
    PcapTee tee(null, path);
    for (const auto& f : frames) tee.transmit(f.bytes, f.time);
}

std::vector<TracedSegment> trace_segments(const std::vector<TimedFrame>& frames) {
    std::vector<TracedSegment> out;
    ConversationTracer tracer({}, TraceFormat::Text);
    tracer.on_segment = [&](const TracedSegment& s) { out.push_back(s); };
    for (const auto& f : frames) tracer.on_frame(f.time, FrameDirection::Received, f.bytes);
    return out;
}

}  // namespace tapstack::test
