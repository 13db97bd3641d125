// SPDX-License-Identifier: MIT
// The packetdrill script parser (apps/pkt/): each construct of the language, parsed from scripts
// written here, and each error message with its line and column.
#include <gtest/gtest.h>

#include <string>

#include "apps/pkt/pkt_parser.hh"

using namespace tapstack::pkt;

namespace {

Script parse_ok(std::string_view text) {
    auto s = parse_script(text, "t.pkt");
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().to_string());
    return s ? *s : Script{};
}

std::string parse_error(std::string_view text) {
    auto s = parse_script(text, "t.pkt");
    EXPECT_FALSE(s.has_value());
    return s ? "(parsed)" : s.error().to_string();
}

const TcpPacket& tcp(const Event& e) { return std::get<TcpPacket>(std::get<PacketEvent>(e.action).packet); }
const SyscallEvent& call(const Event& e) { return std::get<SyscallEvent>(e.action); }

// The article's conversation as a server would see it: handshake, request, response, close.
constexpr std::string_view article = R"(// The article's server side, written as a packetdrill script.
--tolerance_usecs=10000

    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0

 +0.1 < S 0:0(0) win 64240 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 200 ecr 100,nop,wscale 7>
  +.1 < . 1:1(0) ack 1 win 502
   +0 accept(3, ..., ...) = 4
   +0 < P. 1:323(322) ack 1 win 502
   +0 > . 1:1(0) ack 323
   +0 write(4, ..., 279) = 279
   +0 > P. 1:280(279) ack 323
   +0 close(4) = 0
   +0 > F. 280:280(0) ack 323
   +0 < F. 323:323(0) ack 281 win 502
   +0 > . 281:281(0) ack 324
)";

}  // namespace

TEST(PktParser, ArticleScriptParsesWithLinesTimesAndSegments) {
    Script s = parse_ok(article);
    ASSERT_EQ(s.options.size(), 1u);
    EXPECT_EQ(s.options[0].name, "tolerance_usecs");
    EXPECT_EQ(s.options[0].value, "10000");
    EXPECT_EQ(s.options[0].pos.line, 2);
    ASSERT_EQ(s.events.size(), 15u);

    EXPECT_EQ(s.events[0].pos.line, 4);
    EXPECT_EQ(s.events[0].pos.column, 5);
    EXPECT_EQ(s.events[0].time.kind, EventTime::Kind::Absolute);
    EXPECT_EQ(call(s.events[0]).name, "socket");
    EXPECT_EQ(call(s.events[0]).result.integer, 3);

    const Event& syn = s.events[3];
    EXPECT_EQ(syn.pos.line, 8);
    EXPECT_EQ(syn.time.kind, EventTime::Kind::Relative);
    EXPECT_EQ(syn.time.usecs, 100'000);
    EXPECT_EQ(std::get<PacketEvent>(syn.action).direction, Direction::Inbound);
    EXPECT_EQ(tcp(syn).flags, tcp_flag::syn);
    EXPECT_EQ(tcp(syn).window, 64240);
    EXPECT_FALSE(tcp(syn).ack);
    ASSERT_EQ(tcp(syn).options.size(), 5u);
    EXPECT_EQ(tcp(syn).options[0].kind, TcpOption::Kind::Mss);
    EXPECT_EQ(tcp(syn).options[0].value, 1460u);
    EXPECT_EQ(tcp(syn).options[2].kind, TcpOption::Kind::Timestamp);
    EXPECT_EQ(tcp(syn).options[2].value, 100u);
    EXPECT_EQ(tcp(syn).options[2].echo, 0u);
    EXPECT_EQ(tcp(syn).options[4].kind, TcpOption::Kind::WindowScale);

    const Event& request = s.events[7];
    EXPECT_EQ(tcp(request).flags, tcp_flag::psh | tcp_flag::ack);
    EXPECT_EQ(tcp(request).start_seq, 1u);
    EXPECT_EQ(tcp(request).end_seq, 323u);
    EXPECT_EQ(tcp(request).payload_len, 322);
    EXPECT_EQ(tcp(s.events[8]).ack, 323u);
    EXPECT_EQ(std::get<PacketEvent>(s.events[8].action).direction, Direction::Outbound);
    EXPECT_EQ(tcp(s.events[12]).flags, tcp_flag::fin | tcp_flag::ack);
    EXPECT_EQ(tcp(s.events[14]).ack, 324u);
    EXPECT_EQ(s.events[14].pos.line, 19);
}

TEST(PktParser, EventsPrintBackInPacketdrillNotation) {
    Script s = parse_ok(article);
    EXPECT_EQ(to_string(s.events[0]), "0.000000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3");
    EXPECT_EQ(to_string(s.events[4]), "+0.000000 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 200 ecr 100,nop,wscale 7>");
    EXPECT_EQ(to_string(s.events[5]), "+0.100000 < . 1:1(0) ack 1 win 502");
    // What is printed parses to the same thing.
    for (const Event& e : s.events) {
        Script again = parse_ok(to_string(e));
        ASSERT_EQ(again.events.size(), 1u);
        EXPECT_EQ(to_string(again.events[0]), to_string(e));
    }
}

TEST(PktParser, TimesAbsoluteRelativeAnyRangesAndBlockingEnds) {
    Script s = parse_ok(R"(
1.5 close(3) = 0
+.25 close(3) = 0
* close(3) = 0
0.1~0.2 close(3) = 0
+0.1~+0.3 close(3) = 0
+0...0.200 accept(3, ..., ...) = 4
+.1...0.250 read(4, ..., 10) = 10
2.0000015 close(3) = 0
)");
    ASSERT_EQ(s.events.size(), 8u);
    EXPECT_EQ(s.events[0].time.kind, EventTime::Kind::Absolute);
    EXPECT_EQ(s.events[0].time.usecs, 1'500'000);
    EXPECT_EQ(s.events[1].time.kind, EventTime::Kind::Relative);
    EXPECT_EQ(s.events[1].time.usecs, 250'000);
    EXPECT_EQ(s.events[2].time.kind, EventTime::Kind::Any);
    EXPECT_EQ(s.events[3].time.usecs, 100'000);
    EXPECT_EQ(s.events[3].time.range_end, 200'000);
    EXPECT_EQ(s.events[4].time.kind, EventTime::Kind::Relative);
    EXPECT_EQ(s.events[4].time.range_end, 300'000);
    EXPECT_EQ(s.events[5].time.usecs, 0);
    EXPECT_EQ(call(s.events[5]).end_usecs, 200'000);
    EXPECT_EQ(s.events[6].time.usecs, 100'000);
    EXPECT_EQ(call(s.events[6]).end_usecs, 250'000);
    EXPECT_EQ(s.events[7].time.usecs, 2'000'002);  // rounded to the microsecond
    EXPECT_FALSE(call(s.events[0]).end_usecs);
}

TEST(PktParser, FlagsOfEveryKind) {
    Script s = parse_ok(R"(
0 < S 0:0(0) win 1000
+0 > S. 0:0(0) ack 1
+0 < F. 1:1(0) ack 1
+0 < R. 1:1(0) ack 1
+0 < SEW 0:0(0) win 1000
+0 < FP. 1:11(10) ack 1 urg 5
+0 < - 1:1(0)
+0 < U. 1:1(0) ack 1
)");
    ASSERT_EQ(s.events.size(), 8u);
    EXPECT_EQ(tcp(s.events[1]).flags_text, "S.");
    EXPECT_EQ(tcp(s.events[1]).flags, tcp_flag::syn | tcp_flag::ack);
    EXPECT_EQ(tcp(s.events[3]).flags, tcp_flag::rst | tcp_flag::ack);
    EXPECT_EQ(tcp(s.events[4]).flags, tcp_flag::syn | tcp_flag::ece | tcp_flag::cwr);
    EXPECT_EQ(tcp(s.events[5]).flags, tcp_flag::fin | tcp_flag::psh | tcp_flag::ack);
    EXPECT_EQ(tcp(s.events[5]).urgent, 5);
    EXPECT_EQ(tcp(s.events[6]).flags, 0);
    EXPECT_EQ(tcp(s.events[6]).flags_text, "");
    EXPECT_EQ(tcp(s.events[7]).flags, tcp_flag::urg | tcp_flag::ack);
}

TEST(PktParser, OptionListsSackBlocksWildcardAndPorts) {
    Script s = parse_ok(R"(
0 < . 1:1(0) ack 1 win 257 <nop,nop,sack 1001:2001 3001:4001,eol>
+0 > . 1:1(0) ack 1 <...>
+0 < 8080>80 S 0:0(0) win 100 <mss 536,FO abcd1234,md5 00ff,ECN e0b 1 ceb 2>
+0 > S 0:0(0) <FO,nop,nop>
)");
    const TcpPacket& sack = tcp(s.events[0]);
    ASSERT_EQ(sack.options.size(), 4u);
    ASSERT_EQ(sack.options[2].blocks.size(), 2u);
    EXPECT_EQ(sack.options[2].blocks[1].left, 3001u);
    EXPECT_EQ(sack.options[2].blocks[1].right, 4001u);
    EXPECT_EQ(sack.options[3].kind, TcpOption::Kind::Eol);
    EXPECT_TRUE(tcp(s.events[1]).any_options);
    EXPECT_TRUE(tcp(s.events[1]).options.empty());
    const TcpPacket& ported = tcp(s.events[2]);
    EXPECT_EQ(ported.src_port, 8080);
    EXPECT_EQ(ported.dst_port, 80);
    EXPECT_EQ(ported.options[1].kind, TcpOption::Kind::FastOpen);
    EXPECT_EQ(ported.options[1].text, "abcd1234");
    EXPECT_EQ(ported.options[2].kind, TcpOption::Kind::Md5);
    EXPECT_EQ(ported.options[3].text, "e0b 1 ceb 2");
    EXPECT_EQ(tcp(s.events[3]).options[0].text, "");
}

TEST(PktParser, IpInformationIcmpAndUdp) {
    Script s = parse_ok(R"(
0 < [ect0] . 1:1(0) ack 1 win 100
+0 > (tos 0x10,flowlabel 0x12345) P. 1:11(10) ack 1
+0 < [noecn] E. 1:1(0) ack 1
+0 < icmp unreachable frag_needed mtu 1200 [1:1001(1000)]
+0 < icmp unreachable
+0 < udp 53>5353 (100)
)");
    const auto& first = std::get<PacketEvent>(s.events[0].action);
    ASSERT_TRUE(first.ip);
    EXPECT_EQ(first.ip->ecn, IpInfo::Ecn::Ect0);
    const auto& second = std::get<PacketEvent>(s.events[1].action);
    EXPECT_EQ(second.ip->tos, 0x10);
    EXPECT_EQ(second.ip->flow_label, 0x12345u);
    const auto& icmp = std::get<IcmpPacket>(std::get<PacketEvent>(s.events[3].action).packet);
    EXPECT_EQ(icmp.type, "unreachable");
    EXPECT_EQ(icmp.code, "frag_needed");
    EXPECT_EQ(icmp.mtu, 1200u);
    EXPECT_EQ(icmp.echoed, IcmpPacket::Echoed::Tcp);
    EXPECT_EQ(icmp.echoed_seq, 1u);
    EXPECT_EQ(icmp.echoed_len, 1000u);
    EXPECT_FALSE(std::get<IcmpPacket>(std::get<PacketEvent>(s.events[4].action).packet).code);
    const auto& udp = std::get<UdpPacket>(std::get<PacketEvent>(s.events[5].action).packet);
    EXPECT_EQ(udp.src_port, 53);
    EXPECT_EQ(udp.payload_len, 100);
}

TEST(PktParser, SyscallArgumentsOfEveryShape) {
    Script s = parse_ok(R"(
0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK|0x800) = 0
+0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN|EPOLLOUT, fd=4}) = 0
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
+0 connect(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}, 16) = 0
+0 sendmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=0}, 0) = 100
+0 write(3, "hello" " world"..., 11) = 11
+0 poll([], 0, -1) = 0
)");
    ASSERT_EQ(s.events.size(), 8u);
    const Expr& linger = call(s.events[0]).args[3];
    EXPECT_EQ(linger.kind, Expr::Kind::Struct);
    ASSERT_EQ(linger.items.size(), 2u);
    EXPECT_EQ(linger.items[0].kind, Expr::Kind::Assign);
    EXPECT_EQ(linger.items[0].items[0].text, "onoff");
    EXPECT_EQ(linger.items[0].items[1].integer, 1);

    const Expr& flags = call(s.events[1]).args[2];
    EXPECT_EQ(flags.kind, Expr::Kind::Or);
    ASSERT_EQ(flags.items.size(), 3u);
    EXPECT_EQ(flags.items[1].text, "O_NONBLOCK");
    EXPECT_TRUE(flags.items[2].hex);
    EXPECT_EQ(flags.items[2].integer, 0x800);

    const Expr& events = call(s.events[2]).args[3].items[0];
    EXPECT_EQ(events.items[1].kind, Expr::Kind::Or);
    EXPECT_EQ(call(s.events[3]).args[3].kind, Expr::Kind::Array);

    const Expr& port = call(s.events[4]).args[1].items[1].items[1];
    EXPECT_EQ(port.kind, Expr::Kind::Call);
    EXPECT_EQ(port.text, "htons");
    EXPECT_EQ(port.items[0].integer, 8080);
    EXPECT_EQ(call(s.events[4]).args[1].items[2].items[1].items[0].text, "192.0.2.1");

    const Expr& msg = call(s.events[5]).args[1];
    EXPECT_EQ(msg.items[0].items[0].kind, Expr::Kind::Call);
    EXPECT_EQ(msg.items[0].items[0].items[0].kind, Expr::Kind::Ellipsis);

    const Expr& text = call(s.events[6]).args[1];
    EXPECT_EQ(text.kind, Expr::Kind::Concat);
    EXPECT_EQ(text.items[0].text, "hello");
    EXPECT_TRUE(text.items[1].string_more);
    EXPECT_EQ(call(s.events[7]).args[2].integer, -1);
    EXPECT_EQ(to_string(call(s.events[4]).args[1]),
              "{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"192.0.2.1\")}");
}

TEST(PktParser, ResultsWithErrnoAndNote) {
    Script s = parse_ok(R"(
0 read(3, ..., 10) = -1 ENOTCONN (Transport endpoint is not connected)
+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)
+0 connect(3, ..., ...) = -1 EINPROGRESS
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0
)");
    EXPECT_EQ(call(s.events[0]).result.integer, -1);
    EXPECT_EQ(call(s.events[0]).errno_name, "ENOTCONN");
    EXPECT_EQ(call(s.events[0]).note, "Transport endpoint is not connected");
    EXPECT_FALSE(call(s.events[1]).errno_name);
    EXPECT_EQ(call(s.events[1]).note, "flags O_RDWR");
    EXPECT_EQ(call(s.events[2]).errno_name, "EINPROGRESS");
    EXPECT_FALSE(call(s.events[2]).note);
    EXPECT_EQ(call(s.events[3]).args[3].items[0].text, "ECONNREFUSED");
}

TEST(PktParser, CommandsCodeCommentsAndOptions) {
    Script s = parse_ok(R"(--ip_version=ipv4
--local_ip=192.168.0.1   // a comment after an option
--strict_segments
--define="A B"

`sysctl -q net.ipv4.tcp_sack=0
 echo "two lines"`

/* A comment
   over three
   lines. */
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3   // trailing comment
+0 `echo hi`
+0 %{ assert tcpi_rto == 200000 }%
`echo cleanup`
)");
    ASSERT_EQ(s.options.size(), 4u);
    EXPECT_EQ(s.options[1].value, "192.168.0.1");
    EXPECT_FALSE(s.options[2].value);
    EXPECT_EQ(s.options[3].value, "\"A B\"");
    ASSERT_TRUE(s.init_command);
    EXPECT_EQ(s.init_command->text, "sysctl -q net.ipv4.tcp_sack=0\n echo \"two lines\"");
    ASSERT_EQ(s.events.size(), 3u);
    EXPECT_EQ(s.events[0].pos.line, 12);
    EXPECT_EQ(std::get<CommandEvent>(s.events[1].action).text, "echo hi");
    EXPECT_EQ(std::get<CodeEvent>(s.events[2].action).text, " assert tcpi_rto == 200000 ");
    EXPECT_EQ(s.events[2].pos.line, 14);
    ASSERT_TRUE(s.cleanup_command);
    EXPECT_EQ(s.cleanup_command->text, "echo cleanup");
}

TEST(PktParser, ErrorsSayFileLineColumnAndWhatWasFound) {
    EXPECT_EQ(parse_error("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 read(3, ..., 10 foo) = 10\n"),
              "t.pkt:2:20: expected ',' or ')' after the arguments of read(), found 'foo'");
    EXPECT_EQ(parse_error("0 close(3) 0\n"),
              "t.pkt:1:12: expected '=' and the expected result after close(...), found '0'");
    EXPECT_EQ(parse_error("0 close 3\n"), "t.pkt:1:9: expected '(' after the system call name 'close', found '3'");
    EXPECT_EQ(parse_error("0 close(3) =\n"),
              "t.pkt:2:1: expected a value (a number, a name, a \"string\", '...', [array] or {struct}), found the end "
              "of the script");
    EXPECT_EQ(parse_error("\n\nfoo(3) = 0\n"),
              "t.pkt:3:1: expected an event time (such as 0.100, +0.1, * or 0.1~0.2), found 'foo'");
    EXPECT_EQ(parse_error("0 : close(3) = 0\n"),
              "t.pkt:1:3: expected a packet ('<' or '>'), a system call, a `shell command` or %{ code }% after the "
              "time, found ':'");
    EXPECT_EQ(parse_error("// only a comment\n"),
              "t.pkt:2:1: the script has no events (a time followed by a packet or a system call)");
}

TEST(PktParser, PacketErrors) {
    EXPECT_EQ(parse_error("0 < SX 0:0(0) win 10\n"),
              "t.pkt:1:5: unknown TCP flag 'X' in 'SX' (flags are F S R P . U E W A, or '-' for none)");
    EXPECT_EQ(parse_error("0 < P. 1:101(99) ack 1\n"), "t.pkt:1:8: sequence numbers 1:101 do not span the length 99");
    EXPECT_EQ(parse_error("0 < . 1:1(0) ack 1 win 65536\n"),
              "t.pkt:1:24: the TCP window 65536 is out of range (0 to 65535)");
    EXPECT_EQ(parse_error("0 < . 4294967296:4294967296(0)\n"),
              "t.pkt:1:7: the start sequence number (start:end(length)) 4294967296 is out of range (0 to 4294967295)");
    EXPECT_EQ(parse_error("0 < S 0:0(0) <mss 1460,foo>\n"),
              "t.pkt:1:24: unknown TCP option 'foo' (nop, eol, mss, wscale, sackOK, sack, TS, md5, FO, FOEXP, ECN)");
    EXPECT_EQ(parse_error("0 < S 0:0(0) <mss 1460\n+0 close(3) = 0\n"),
              "t.pkt:2:1: expected '>' to end the TCP option list (or ',' between options), found '+'");
    EXPECT_EQ(parse_error("0 < S 0:0(0) <TS 1 ecr 2>\n"),
              "t.pkt:1:18: expected 'val' after TS (TS val N ecr N), found '1'");
    EXPECT_EQ(parse_error("0 < S 0:0(0) <TS val 1 ecn 2>\n"), "t.pkt:1:24: expected 'ecr' after the TS value");
    EXPECT_EQ(parse_error("0 < S 0-0(0)\n"),
              "t.pkt:1:8: expected ':' between the start and end sequence numbers (start:end(length)), found '-0'");
    EXPECT_EQ(parse_error("0 < [tos 0x100] S 0:0(0)\n"), "t.pkt:1:10: the TOS byte 0x100 is out of range (0 to 255)");
    EXPECT_EQ(parse_error("0 < [blue] S 0:0(0)\n"),
              "t.pkt:1:6: unknown IP information 'blue' (tos, ect0, ect1, ce, noecn, ect01, flowlabel, ttl)");
    EXPECT_EQ(parse_error("0 < ipv4 1.2.3.4 > 5.6.7.8: S 0:0(0)\n"),
              "t.pkt:1:5: encapsulated packets (ipv4) are not supported");
    EXPECT_EQ(
        parse_error("0 < 1:1(0)\n"),
        "t.pkt:1:5: expected TCP flags (such as S, S., P., F., R or '-') or 'icmp' after the direction, found '1'");
}

TEST(PktParser, TimeErrors) {
    EXPECT_EQ(parse_error("+0.1~0.2 close(3) = 0\n"),
              "t.pkt:1:6: expected '+' after '~' (a relative range is written +0.1~+0.2), found '0.2'");
    EXPECT_EQ(parse_error("0.3~0.2 close(3) = 0\n"), "t.pkt:1:9: the time range ends before it starts");
    EXPECT_EQ(parse_error("-1 close(3) = 0\n"), "t.pkt:1:1: a time in seconds '-1' is negative");
    EXPECT_EQ(parse_error("+-1 close(3) = 0\n"), "t.pkt:1:2: a time in seconds '-1' is negative");
    EXPECT_EQ(parse_error("99999999999 close(3) = 0\n"), "t.pkt:1:1: a time in seconds '99999999999' is too large");
    EXPECT_EQ(parse_error("0x10 close(3) = 0\n"),
              "t.pkt:1:1: a time in seconds is written in seconds, not hex: '0x10'");
    EXPECT_EQ(parse_error("0 ...x close(3) = 0\n"),
              "t.pkt:1:6: expected the time the blocking call returns (...0.200), found 'x'");
}

TEST(PktParser, StructureAndLexicalErrors) {
    EXPECT_EQ(parse_error("0 close(3) = 0\n--mss=1000\n"),
              "t.pkt:2:1: options (--name=value) must come before the first event");
    EXPECT_EQ(parse_error("`a`\n`b`\n0 close(3) = 0\n"),
              "t.pkt:2:1: only one shell command may come before the first event (give the next one a time)");
    EXPECT_EQ(parse_error("0 close(3) = 0\n`b`\n+0 close(4) = 0\n"),
              "t.pkt:3:1: a shell command without a time must be the first or the last thing in the script "
              "(give it a time, e.g. '+0 `...`')");
    EXPECT_EQ(parse_error("0 write(3, \"abc, 3) = 3\n"),
              "t.pkt:1:12: the string opened here never ends (no closing '\"')");
    EXPECT_EQ(parse_error("0 close(3) = 0\n/* open\n"), "t.pkt:2:1: the comment opened here never ends (no '*/')");
    EXPECT_EQ(parse_error("0 `echo\n"), "t.pkt:1:3: the shell command opened here never ends (no closing '`')");
    EXPECT_EQ(parse_error("0 %{ x = 1\n"), "t.pkt:1:3: the code block opened here never ends (no closing '}%')");
    EXPECT_EQ(parse_error("0 read(3, ..., 1) = -1 EAGAIN (Resource\n"),
              "t.pkt:1:31: the note opened here does not end on its line (no ')')");
    EXPECT_EQ(parse_error("0 close(99999999999999999999) = 0\n"),
              "t.pkt:1:9: the number '99999999999999999999' is too large");
    EXPECT_EQ(
        parse_error("0 close(\x01) = 0\n"),
        "t.pkt:1:9: expected a value (a number, a name, a \"string\", '...', [array] or {struct}), found '\\x01'");
    EXPECT_EQ(
        parse_error("0 close(3 " + std::string(40, 'a') + ") = 0"),
        "t.pkt:1:11: expected ',' or ')' after the arguments of close(), found '" + std::string(24, 'a') + "...'");
}

TEST(PktParser, DeepNestingIsAnErrorNotACrash) {
    std::string deep = "0 f(" + std::string(100'000, '[') + ") = 0\n";
    std::string message = parse_error(deep);
    EXPECT_NE(message.find("nested too deeply (more than 32 levels)"), std::string::npos) << message;
    // 30 levels are fine, and a long chain of '|' is not nesting at all.
    Script s = parse_ok("0 f(" + std::string(30, '[') + std::string(30, ']') + ") = 0\n");
    EXPECT_EQ(s.events.size(), 1u);
    std::string chain = "0 f(A";
    for (int i = 0; i < 10'000; ++i) chain += "|A";
    Script wide = parse_ok(chain + ") = 0\n");
    EXPECT_EQ(call(wide.events[0]).args[0].items.size(), 10'001u);
}
