// SPDX-License-Identifier: MIT
// The Wireshark article's HTTP conversation (frames No6 to No16), built by hand with the wire
// emitters: a script of segments in relative numbers that a test may change (drop a frame, alter
// an ack, merge two segments), rendered into Ethernet frames with the ISNs of the test's choice,
// and written to a pcap file. Used by the tracer and article-check tests and to make
// tests/data/article.pcap.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stack/base/time.hh"
#include "stack/trace/conversation_tracer.hh"
#include "stack/wire/address.hh"

namespace tapstack::test {

// Who talks, and where the sequence numbers start.
struct ArticleHosts {
    MacAddress client_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
    MacAddress server_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
    Ipv4Address client_ip = Ipv4Address::from_octets(10, 0, 0, 1);
    Ipv4Address server_ip = Ipv4Address::from_octets(10, 0, 0, 2);
    uint16_t client_port = 54321;
    uint16_t server_port = 80;
    uint32_t client_isn = 0x6c1b3f2a;
    uint32_t server_isn = 0x9e0d4c71;
};

// One segment, numbered as the article's table numbers it.
struct ScriptedSegment {
    int article_no = 0;  // 6..16 for the article's frames, 0 for others
    bool from_client = true;
    uint8_t flags = 0;
    uint32_t seq = 0;  // relative to the sender's ISN
    uint32_t ack = 0;  // relative to the receiver's ISN; sent only with the ACK flag
    std::string payload;
};

// The 322-byte request ("GET / HTTP/1.1\r\n...") and the 279-byte response ("HTTP/1.1 200 OK\r\n...").
std::string article_request();
std::string article_response();

// No6 SYN, No7 SYN/ACK, No8 ACK, No9 GET, No10 ACK 323, No11 200 OK, No12 FIN/ACK (server),
// No13 ACK 281, No14 FIN/ACK (client), No16 ACK 324.
std::vector<ScriptedSegment> article_script();
// The same conversation closed by the client first: after No11 the client sends FIN (seq 323,
// ack 280), the server ACKs 324, then sends its FIN (seq 280, ack 324), and the client ACKs 281.
std::vector<ScriptedSegment> client_first_script();
// The segment of `script` with this article number (it must exist).
ScriptedSegment& segment_no(std::vector<ScriptedSegment>& script, int article_no);
// Removes the segment with this article number.
void drop_segment(std::vector<ScriptedSegment>& script, int article_no);

struct TimedFrame {
    Instant time;
    std::vector<uint8_t> bytes;
};

// Ethernet + IPv4 + TCP frames for `script`, with SYN options as Linux sends them (MSS 1460,
// SACK_PERM, TS, NOP, WS 7), timestamps on every segment, correct checksums, and deterministic
// times: `start`, then 100 microseconds apart.
std::vector<TimedFrame> render_frames(const std::vector<ScriptedSegment>& script, const ArticleHosts& hosts = {},
                                      Instant start = Instant::from_us(1'704'067'200'000'000));

// Writes `frames` to a pcap file through PcapTee (DLT_EN10MB). Throws on error.
void write_pcap(const std::string& path, const std::vector<TimedFrame>& frames);

// What ConversationTracer makes of the frames: one TracedSegment per TCP segment.
std::vector<TracedSegment> trace_segments(const std::vector<TimedFrame>& frames);

}  // namespace tapstack::test
