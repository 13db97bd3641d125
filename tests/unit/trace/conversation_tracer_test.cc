// SPDX-License-Identifier: MIT
// ConversationTracer on the article's conversation, built frame by frame with the wire emitters:
// the text lines as the article reads them (relative seq/ack, len, next_seq, direction, HTTP
// lines), the same lines whatever the ISNs (also just below 2^32), JSON lines that are JSON
// objects with the same numbers, and no crash on garbage or on any truncation of a real frame.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "stack/trace/conversation_tracer.hh"
#include "stack/wire/ethernet.hh"
#include "stack/wire/ipv4.hh"
#include "tests/support/article_conversation.hh"
#include "tests/support/capture_frames.hh"
#include "tests/support/json_check.hh"
#include "tests/support/wire_helpers.hh"

namespace tapstack {
namespace {

using test::ArticleHosts;
using test::JsonMembers;
using test::parse_json_object;
using test::render_frames;
using test::TimedFrame;

std::vector<std::string> trace_lines(const std::vector<TimedFrame>& frames, TraceFormat format) {
    std::vector<std::string> lines;
    ConversationTracer tracer([&](std::string_view line) { lines.emplace_back(line); }, format);
    for (const auto& f : frames) tracer.on_frame(f.time, FrameDirection::Received, f.bytes);
    return lines;
}

std::vector<JsonMembers> json_objects(const std::vector<std::string>& lines) {
    std::vector<JsonMembers> out;
    for (const auto& line : lines) {
        auto members = parse_json_object(line);
        EXPECT_TRUE(members) << "not a JSON object: " << line;
        out.push_back(members.value_or(JsonMembers{}));
    }
    return out;
}

const std::vector<std::string> article_text = {
    "   1    0.000000  client→server  10.0.0.1:54321 → 10.0.0.2:80  [SYN]  seq=0 win=64240 len=0 next_seq=1 "
    "MSS=1460 SACK_PERM TSval=3847203921 TSecr=0 WS=128",
    "   2    0.000100  server→client  10.0.0.2:80 → 10.0.0.1:54321  [SYN, ACK]  seq=0 ack=1 win=65160 len=0 next_seq=1 "
    "MSS=1460 SACK_PERM TSval=2216543210 TSecr=3847203921 WS=128",
    "   3    0.000200  client→server  10.0.0.1:54321 → 10.0.0.2:80  [ACK]  seq=1 ack=1 win=64256 len=0",
    "   4    0.000300  client→server  10.0.0.1:54321 → 10.0.0.2:80  [PSH, ACK]  seq=1 ack=1 win=64256 len=322 "
    "next_seq=323"
    "  \"GET / HTTP/1.1\"",
    "   5    0.000400  server→client  10.0.0.2:80 → 10.0.0.1:54321  [ACK]  seq=1 ack=323 win=65152 len=0",
    "   6    0.000500  server→client  10.0.0.2:80 → 10.0.0.1:54321  [PSH, ACK]  seq=1 ack=323 win=65152 len=279 "
    "next_seq=280"
    "  \"HTTP/1.1 200 OK\"",
    "   7    0.000600  server→client  10.0.0.2:80 → 10.0.0.1:54321  [FIN, ACK]  seq=280 ack=323 win=65152 len=0 "
    "next_seq=281",
    "   8    0.000700  client→server  10.0.0.1:54321 → 10.0.0.2:80  [ACK]  seq=323 ack=281 win=64256 len=0",
    "   9    0.000800  client→server  10.0.0.1:54321 → 10.0.0.2:80  [FIN, ACK]  seq=323 ack=281 win=64256 len=0 "
    "next_seq=324",
    "  10    0.000900  server→client  10.0.0.2:80 → 10.0.0.1:54321  [ACK]  seq=281 ack=324 win=65152 len=0",
};

ArticleHosts hosts_with_isns(uint32_t client_isn, uint32_t server_isn) {
    ArticleHosts h;
    h.client_isn = client_isn;
    h.server_isn = server_isn;
    return h;
}

// --- text ---------------------------------------------------------------------------------

TEST(ConversationTracer, ArticleConversationReadsAsTheArticleInText) {
    EXPECT_EQ(trace_lines(render_frames(test::article_script()), TraceFormat::Text), article_text);
}

TEST(ConversationTracer, IsnsJustBelowTheWrapGiveTheSameRelativeNumbers) {
    // The client's data starts at 0xffffffff; the server's response wraps 256 bytes in.
    auto frames = render_frames(test::article_script(), hosts_with_isns(0xfffffffeu, 0xffffff00u));
    EXPECT_EQ(trace_lines(frames, TraceFormat::Text), article_text);
}

TEST(ConversationTracer, IsnZeroAndMaxGiveTheSameRelativeNumbers) {
    auto frames = render_frames(test::article_script(), hosts_with_isns(0, 0xffffffffu));
    EXPECT_EQ(trace_lines(frames, TraceFormat::Text), article_text);
}

TEST(ConversationTracer, SegmentReportMatchesTheRequestLine) {
    std::vector<TracedSegment> segs = test::trace_segments(render_frames(test::article_script()));
    ASSERT_EQ(segs.size(), 10u);
    const TracedSegment& get = segs[3];
    EXPECT_EQ(get.frame_number, 4u);
    EXPECT_TRUE(get.from_client);
    EXPECT_EQ(get.client.local_ip, Ipv4Address::from_octets(10, 0, 0, 1));
    EXPECT_EQ(get.client.local_port, 54321);
    EXPECT_EQ(get.client.remote_port, 80);
    EXPECT_EQ(get.flags, tcp_flag::psh | tcp_flag::ack);
    EXPECT_EQ(get.seq, 1u);
    EXPECT_EQ(get.ack, 1u);
    EXPECT_EQ(get.len, 322u);
    EXPECT_EQ(get.window, 64256u);
    EXPECT_EQ(get.http_line, "GET / HTTP/1.1");
    EXPECT_DOUBLE_EQ(get.time, 0.0003);
}

TEST(ConversationTracer, ServerSegmentsKeepTheClientSideTuple) {
    std::vector<TracedSegment> segs = test::trace_segments(render_frames(test::article_script()));
    ASSERT_EQ(segs.size(), 10u);
    EXPECT_FALSE(segs[1].from_client);
    EXPECT_EQ(segs[1].client, segs[0].client);
    EXPECT_FALSE(segs[1].ack == std::nullopt);
    EXPECT_FALSE(segs[0].ack);  // a SYN without ACK has no ack number
}

TEST(ConversationTracer, CaptureStartingMidStreamCountsFromOne) {
    auto frames = render_frames(test::article_script());
    frames.erase(frames.begin(), frames.begin() + 2);  // no SYN, no SYN/ACK
    auto lines = trace_lines(frames, TraceFormat::Text);
    ASSERT_EQ(lines.size(), 8u);
    // Without the SYNs the window scale is unknown: the raw window is shown.
    EXPECT_EQ(lines[0],
              "   1    0.000000  client→server  10.0.0.1:54321 → 10.0.0.2:80  [ACK]  seq=1 ack=1 win=502 len=0");
    EXPECT_NE(lines[3].find("[PSH, ACK]  seq=1 ack=323 win=509 len=279 next_seq=280"), std::string::npos) << lines[3];
}

TEST(ConversationTracer, NewSynOnTheSameTupleStartsANewConversation) {
    auto first = render_frames(test::article_script(), hosts_with_isns(1000, 2000));
    auto second = render_frames(test::article_script(), hosts_with_isns(900000, 7), first.back().time + 1s);
    first.insert(first.end(), second.begin(), second.end());
    auto lines = trace_lines(first, TraceFormat::Text);
    ASSERT_EQ(lines.size(), 20u);
    EXPECT_NE(lines[10].find("[SYN]  seq=0 win=64240"), std::string::npos) << lines[10];
    EXPECT_NE(lines[19].find("[ACK]  seq=281 ack=324"), std::string::npos) << lines[19];
}

TEST(ConversationTracer, ArpAndIcmpFramesGetOneLineEach) {
    std::vector<TimedFrame> frames = {
        {Instant::from_ms(0), test::to_vec(capture::bytes(capture::arp_request))},
        {Instant::from_ms(1), test::to_vec(capture::bytes(capture::icmp_echo_request))},
    };
    auto lines = trace_lines(frames, TraceFormat::Text);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "   1    0.000000  ARP   who-has 10.0.0.2? tell 10.0.0.1");
    EXPECT_EQ(lines[1], "   2    0.001000  ICMP  10.0.0.1 -> 10.0.0.2 echo request id=0x1f2b seq=1 len=56");
}

TEST(ConversationTracer, StateChangeIsPrintedUnderItsFrame) {
    std::vector<std::string> lines;
    ConversationTracer tracer([&](std::string_view line) { lines.emplace_back(line); }, TraceFormat::Text);
    FourTuple t{Ipv4Address::from_octets(10, 0, 0, 2), 80, Ipv4Address::from_octets(10, 0, 0, 1), 54321};
    tracer.on_state_change(Instant::from_ms(5), t, TcpState::Listen, TcpState::SynReceived, "SYN received");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0], "        0.000000  state LISTEN → SYN-RECEIVED  (SYN received)");
}

TEST(ConversationTracer, ControlCharactersInAStatusLineAreNotPrinted) {
    auto script = test::article_script();
    test::segment_no(script, 11).payload = "HTTP/1.1 200 \x1b[2J\x07OK\r\n\r\n";
    auto lines = trace_lines(render_frames(script), TraceFormat::Text);
    ASSERT_EQ(lines.size(), 10u);
    EXPECT_NE(lines[5].find("\"HTTP/1.1 200 ?[2J?OK\""), std::string::npos) << lines[5];
}

TEST(HttpFirstLine, RequestAndStatusLinesAreFound) {
    EXPECT_EQ(http_first_line(as_bytes("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")), "GET /index.html HTTP/1.1");
    EXPECT_EQ(http_first_line(as_bytes("HTTP/1.0 404 Not Found\r\n")), "HTTP/1.0 404 Not Found");
}

TEST(HttpFirstLine, OtherPayloadsHaveNoLine) {
    EXPECT_EQ(http_first_line(as_bytes("")), "");
    EXPECT_EQ(http_first_line(as_bytes("hello world\r\n")), "");
    EXPECT_EQ(http_first_line(as_bytes("get / HTTP/1.1\r\n")), "");
    EXPECT_EQ(http_first_line(as_bytes("GET / SPDY/3\r\n")), "");
    EXPECT_EQ(http_first_line(as_bytes("HTTP/1.1 2")), "");
}

TEST(JsonQuote, QuotesBackslashesAndControlCharactersAreEscaped) {
    EXPECT_EQ(json_quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\u000a\\u0001\"");
}

// --- JSON ---------------------------------------------------------------------------------

TEST(ConversationTracer, EveryJsonLineIsAnObjectWithTheArticleNumbers) {
    auto objects = json_objects(trace_lines(render_frames(test::article_script()), TraceFormat::Json));
    ASSERT_EQ(objects.size(), 10u);
    const std::vector<std::string> seq = {"0", "0", "1", "1", "1", "1", "280", "323", "323", "281"};
    const std::vector<std::string> ack = {"null", "1", "1", "1", "323", "323", "323", "281", "281", "324"};
    const std::vector<std::string> len = {"0", "0", "0", "322", "0", "279", "0", "0", "0", "0"};
    const std::vector<std::string> next = {"1", "1", "null", "323", "null", "280", "281", "null", "324", "null"};
    const std::vector<bool> from_client = {true, false, true, true, false, false, false, true, true, false};
    for (size_t i = 0; i < objects.size(); ++i) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        JsonMembers& o = objects[i];
        EXPECT_EQ(o["no"], std::to_string(i + 1));
        EXPECT_EQ(o["proto"], "TCP");
        EXPECT_EQ(o["dir"], from_client[i] ? "client→server" : "server→client");
        EXPECT_EQ(o["src"], from_client[i] ? "10.0.0.1:54321" : "10.0.0.2:80");
        EXPECT_EQ(o["dst"], from_client[i] ? "10.0.0.2:80" : "10.0.0.1:54321");
        EXPECT_EQ(o["seq"], seq[i]);
        EXPECT_EQ(o["ack"], ack[i]);
        EXPECT_EQ(o["len"], len[i]);
        EXPECT_EQ(o["next_seq"], next[i]);
    }
}

TEST(ConversationTracer, JsonSynCarriesFlagsWindowAndOptions) {
    auto objects = json_objects(trace_lines(render_frames(test::article_script()), TraceFormat::Json));
    ASSERT_GE(objects.size(), 2u);
    EXPECT_EQ(objects[0]["flags"], R"(["SYN"])");
    EXPECT_EQ(objects[0]["win"], "64240");
    EXPECT_EQ(objects[0]["t"], "0.000000");
    EXPECT_EQ(objects[0]["options"], "MSS=1460 SACK_PERM TSval=3847203921 TSecr=0 WS=128");
    EXPECT_EQ(objects[1]["flags"], R"(["SYN","ACK"])");
    EXPECT_EQ(objects[1].count("http"), 0u);
}

TEST(ConversationTracer, JsonDataSegmentsCarryTheHttpLines) {
    auto objects = json_objects(trace_lines(render_frames(test::article_script()), TraceFormat::Json));
    ASSERT_EQ(objects.size(), 10u);
    EXPECT_EQ(objects[3]["http"], "GET / HTTP/1.1");
    EXPECT_EQ(objects[5]["http"], "HTTP/1.1 200 OK");
    EXPECT_EQ(objects[6]["flags"], R"(["FIN","ACK"])");
    EXPECT_EQ(objects[6]["win"], "65152");
    EXPECT_EQ(objects[6].count("options"), 0u);
}

TEST(ConversationTracer, JsonFlagsOfASegmentWithNoFlagsAreAnEmptyList) {
    auto script = test::article_script();
    test::segment_no(script, 13).flags = 0;
    auto objects = json_objects(trace_lines(render_frames(script), TraceFormat::Json));
    ASSERT_EQ(objects.size(), 10u);
    EXPECT_EQ(objects[7]["flags"], "[]");
    EXPECT_EQ(objects[7]["ack"], "null");
}

TEST(ConversationTracer, JsonStateChangeIsAnObject) {
    std::vector<std::string> lines;
    ConversationTracer tracer([&](std::string_view line) { lines.emplace_back(line); }, TraceFormat::Json);
    FourTuple t{Ipv4Address::from_octets(10, 0, 0, 2), 80, Ipv4Address::from_octets(10, 0, 0, 1), 54321};
    tracer.on_state_change(Instant::from_ms(5), t, TcpState::Established, TcpState::FinWait1,
                           "close() with \"quotes\"");
    ASSERT_EQ(lines.size(), 1u);
    auto o = parse_json_object(lines[0]);
    ASSERT_TRUE(o) << lines[0];
    EXPECT_EQ((*o)["conn"], "10.0.0.2:80<->10.0.0.1:54321");
}

TEST(ConversationTracer, JsonArpAndIcmpLinesAreObjects) {
    std::vector<TimedFrame> frames = {
        {Instant::from_ms(0), test::to_vec(capture::bytes(capture::arp_request))},
        {Instant::from_ms(1), test::to_vec(capture::bytes(capture::icmp_echo_request))},
    };
    auto objects = json_objects(trace_lines(frames, TraceFormat::Json));
    ASSERT_EQ(objects.size(), 2u);
    EXPECT_EQ(objects[0]["proto"], "ARP");
    EXPECT_EQ(objects[0]["info"], "who-has 10.0.0.2? tell 10.0.0.1");
    EXPECT_EQ(objects[1]["proto"], "ICMP");
}

// --- garbage ------------------------------------------------------------------------------

// Feeds `frames` in both formats; every frame gives one line, and every JSON line is an object.
void expect_one_line_per_frame(const std::vector<std::vector<uint8_t>>& frames, bool as_ipv4_packets) {
    for (TraceFormat format : {TraceFormat::Text, TraceFormat::Json}) {
        std::vector<std::string> lines;
        ConversationTracer tracer([&](std::string_view line) { lines.emplace_back(line); }, format);
        int64_t us = 0;
        for (const auto& f : frames) {
            if (as_ipv4_packets) tracer.on_ipv4_packet(Instant::from_us(us), f);
            else tracer.on_frame(Instant::from_us(us), FrameDirection::Received, f);
            us += 7;
        }
        EXPECT_EQ(tracer.frames(), frames.size());
        ASSERT_EQ(lines.size(), frames.size());
        if (format == TraceFormat::Json) {
            for (const auto& line : lines) EXPECT_TRUE(parse_json_object(line)) << line;
        }
    }
}

TEST(ConversationTracer, RandomBytesGiveOneLineEachAndNeverCrash) {
    std::mt19937 rng(20240101);
    std::vector<std::vector<uint8_t>> frames;
    for (int i = 0; i < 300; ++i) {
        std::vector<uint8_t> f(rng() % 120);
        for (auto& b : f) b = static_cast<uint8_t>(rng());
        frames.push_back(std::move(f));
    }
    expect_one_line_per_frame(frames, false);
    expect_one_line_per_frame(frames, true);
}

TEST(ConversationTracer, RandomTcpBytesBehindAValidIpv4HeaderNeverCrash) {
    // Valid Ethernet and IPv4 headers, so that every byte of garbage reaches the TCP parser, the
    // option parser and the conversation table.
    std::mt19937 rng(7);
    std::vector<std::vector<uint8_t>> frames;
    for (int i = 0; i < 500; ++i) {
        size_t tcp_len = rng() % 80;
        std::vector<uint8_t> f(capture::l4_at + tcp_len);
        std::copy(capture::linux_syn.begin(), capture::linux_syn.begin() + capture::l4_at, f.begin());
        for (size_t k = capture::l4_at; k < f.size(); ++k) f[k] = static_cast<uint8_t>(rng());
        if (tcp_len >= 13 && rng() % 2)
            f[capture::l4_at + tcp_field::offset] = static_cast<uint8_t>((5 + rng() % 11) << 4);
        MutBytes ip = MutBytes{f}.subspan(capture::ip_at);
        store_be16(ip, ipv4_field::total_len, static_cast<uint16_t>(ip.size()));
        test::refresh_ipv4_checksum(ip);
        frames.push_back(std::move(f));
    }
    expect_one_line_per_frame(frames, false);
}

TEST(ConversationTracer, EveryTruncationOfARealFrameGivesOneLine) {
    for (Bytes real : {capture::bytes(capture::linux_syn), capture::bytes(capture::linux_sack_ack),
                       capture::bytes(capture::arp_request), capture::bytes(capture::icmp_echo_request)}) {
        std::vector<std::vector<uint8_t>> frames;
        for (size_t n = 0; n <= real.size(); ++n) frames.push_back(test::to_vec(real.first(n)));
        expect_one_line_per_frame(frames, false);
    }
}

TEST(ConversationTracer, EveryTruncationOfTcpInsideAValidIpv4HeaderGivesOneLine) {
    // The IPv4 total length follows the cut, so the TCP parser sees each short segment.
    std::vector<std::vector<uint8_t>> frames;
    for (Bytes real : {capture::bytes(capture::linux_syn), capture::bytes(capture::linux_sack_ack)}) {
        for (size_t n = capture::l4_at; n <= real.size(); ++n) {
            auto f = test::to_vec(real.first(n));
            MutBytes ip = MutBytes{f}.subspan(capture::ip_at);
            store_be16(ip, ipv4_field::total_len, static_cast<uint16_t>(ip.size()));
            test::refresh_ipv4_checksum(ip);
            frames.push_back(std::move(f));
        }
    }
    expect_one_line_per_frame(frames, false);
}

TEST(ConversationTracer, ManyConversationsStayWithinTheTableBound) {
    // More client ports than the tracer keeps conversations for: the oldest are forgotten, the
    // newest is still numbered from its SYN.
    auto syn = test::article_script();
    syn.resize(1);
    std::vector<std::vector<uint8_t>> frames;
    for (uint16_t port = 1024; port < 1024 + 4200; ++port) {
        ArticleHosts h;
        h.client_port = port;
        frames.push_back(render_frames(syn, h).front().bytes);
    }
    size_t segments = 0;
    uint32_t last_seq = 1;
    ConversationTracer tracer({}, TraceFormat::Text);
    tracer.on_segment = [&](const TracedSegment& s) { ++segments, last_seq = s.seq; };
    for (const auto& f : frames) tracer.on_frame(Instant{}, FrameDirection::Received, f);
    EXPECT_EQ(segments, frames.size());
    EXPECT_EQ(last_seq, 0u);
}

}  // namespace
}  // namespace tapstack
