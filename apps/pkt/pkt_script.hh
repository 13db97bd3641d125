// SPDX-License-Identifier: MIT
// The syntax tree of a packetdrill script (pkt_parser.hh builds it from text). Plain data: it
// says what the script wrote, with every event's line, and decides nothing. Running a script
// (sockets, virtual time, sequence-number translation) is the runner's job, not this file's.
// Times are in microseconds; numbers are kept as written (relative sequence numbers stay relative).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tapstack::pkt {

// Where something starts in the script: 1-based line and column.
struct SourcePos {
    int line = 0;
    int column = 0;
};

// `--name=value` or `--name` before the first event (e.g. --tolerance_usecs=10000).
struct ScriptOption {
    SourcePos pos;
    std::string name;                  // without the leading "--"
    std::optional<std::string> value;  // the text after '=', quotes kept as written
};

// When an event happens: `0.100` (absolute), `+0.1` (after the previous event), `*` (any time),
// `0.1~0.2` or `+0.1~+0.2` (any time within the range).
struct EventTime {
    enum class Kind : uint8_t { Absolute, Relative, Any };
    Kind kind = Kind::Absolute;
    int64_t usecs = 0;                 // the start (0 for Any)
    std::optional<int64_t> range_end;  // the end of a `~` range, of the same kind as the start
};

enum class Direction : uint8_t { Inbound, Outbound };  // `<` the peer sends, `>` we send

// `[tos 0x..]`, `[ect0]`, `(noecn)`, `[flowlabel 0x..]`, `[ttl N]`: what the IP header must carry.
struct IpInfo {
    enum class Ecn : uint8_t { NoEcn, Ect0, Ect1, Ce, Ect01 };  // Ect01: either ECT codepoint
    std::optional<Ecn> ecn;
    std::optional<uint8_t> tos;
    std::optional<uint32_t> flow_label;
    std::optional<uint8_t> ttl;
};

// TCP flags as letters: F S R P . (ACK) U E W A, and 0-7 for the AccECN ACE field.
namespace tcp_flag {
inline constexpr uint16_t fin = 1 << 0, syn = 1 << 1, rst = 1 << 2, psh = 1 << 3, ack = 1 << 4, urg = 1 << 5,
                          ece = 1 << 6, cwr = 1 << 7, ae = 1 << 8;
}

struct SackBlock {
    uint32_t left = 0;
    uint32_t right = 0;
};

// One entry of a TCP option list `<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7,sack 1:2,eol>`.
struct TcpOption {
    enum class Kind : uint8_t {
        Nop,
        Eol,
        Mss,
        WindowScale,
        SackPermitted,
        Sack,
        Timestamp,
        Md5,
        FastOpen,
        FastOpenExp,
        AccEcn
    };
    Kind kind = Kind::Nop;
    uint32_t value = 0;             // Mss, WindowScale, Timestamp's val
    uint32_t echo = 0;              // Timestamp's ecr
    std::vector<SackBlock> blocks;  // Sack
    std::string text;               // Md5 / FastOpen cookie as written; AccEcn: "e0b 1 ceb 2"
};

struct TcpPacket {
    std::optional<uint16_t> src_port, dst_port;  // `8080>80` before the flags (rare)
    std::string flags_text;                      // as written: "S.", "P.", "" for `-`
    uint16_t flags = 0;                          // tcp_flag bits
    uint8_t ace = 0;                             // AccECN ACE counter from a digit in the flags
    uint32_t start_seq = 0;
    uint32_t end_seq = 0;
    uint16_t payload_len = 0;
    std::optional<uint32_t> ack;
    std::optional<uint16_t> window;
    std::optional<uint16_t> urgent;
    std::vector<TcpOption> options;  // empty with no `<...>` list: no options
    bool any_options = false;        // `<...>`: options are not checked
};

// `< icmp unreachable frag_needed mtu 1000 [1:1001(1000)]`
struct IcmpPacket {
    std::string type;                 // "unreachable", "packet_too_big", ...
    std::optional<std::string> code;  // "frag_needed", "host_unreachable", ...
    std::optional<uint32_t> mtu;
    std::optional<uint32_t> echo_id;
    // The packet it quotes: `[start:end(len)]` (TCP), `[udp (len)]` or `[raw (len)]`.
    enum class Echoed : uint8_t { None, Tcp, Udp, Raw };
    Echoed echoed = Echoed::None;
    uint32_t echoed_seq = 0;
    uint32_t echoed_len = 0;
};

// `< udp (100)`
struct UdpPacket {
    std::optional<uint16_t> src_port, dst_port;
    uint16_t payload_len = 0;
};

struct PacketEvent {
    Direction direction = Direction::Inbound;
    std::optional<IpInfo> ip;
    std::variant<TcpPacket, IcmpPacket, UdpPacket> packet;
};

// A system call's argument or result: `3`, `0x10`, `SOL_SOCKET`, `"abc"`, `...`,
// `O_RDWR|O_NONBLOCK`, `[1]`, `{events=EPOLLIN, fd=4}`, `htons(8080)`, `msg_iov(1)=[...]`.
struct Expr {
    enum class Kind : uint8_t {
        Ellipsis,  // `...`: any value (or a buffer the caller does not care about)
        Integer,   // integer (hex says it was written 0x...)
        Word,      // a symbol: SOL_SOCKET, EPOLLIN, ...
        String,    // text; string_more says `"abc"...` (more follows)
        Or,        // items[0] | items[1]
        Concat,    // "a" "b": items[0] then items[1]
        Assign,    // items[0] = items[1], in a struct or as an argument
        Array,     // [items...]
        Struct,    // {items...}
        Call,      // text(items...): htons(8080), inet_addr("..."), msg_iov(1)
    };
    Kind kind = Kind::Integer;
    SourcePos pos;
    int64_t integer = 0;
    bool hex = false;
    bool string_more = false;
    std::string text;         // Word, String (without quotes), Call's name
    std::vector<Expr> items;  // operands, elements, fields or arguments
};

// `0 read(4, ..., 2000) = 2000`, `+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)`,
// `+0...0.200 accept(3, ..., ...) = 4` (the call blocks and returns at 0.200).
struct SyscallEvent {
    std::string name;
    std::vector<Expr> args;
    Expr result;
    std::optional<std::string> errno_name;  // "ENOTCONN"
    std::optional<std::string> note;        // "Transport endpoint is not connected"
    std::optional<int64_t> end_usecs;       // `...TIME`: a blocking call's return time
};

// `` `sysctl -q net.ipv4.tcp_sack=0` ``: a shell command, kept as text, never executed here.
struct CommandEvent {
    std::string text;
};

// `%{ assert tcpi_rto == 200000 }%`: inline Python, kept as text.
struct CodeEvent {
    std::string text;
};

struct Event {
    SourcePos pos;  // where the event's time starts
    EventTime time;
    std::variant<PacketEvent, SyscallEvent, CommandEvent, CodeEvent> action;
};

struct Script {
    std::vector<ScriptOption> options;
    std::optional<CommandEvent> init_command;  // a `command` before the first event (no time)
    std::vector<Event> events;
    std::optional<CommandEvent> cleanup_command;  // a `command` after the last event (no time)
};

// Packetdrill's notation again, one line, e.g. "+0.100 < S. 0:0(0) ack 1 win 5792 <mss 1460>"
// (for tools printing what was parsed, and for tests: parse, print, compare).
std::string to_string(const EventTime&);
std::string to_string(const Expr&);
std::string to_string(const TcpOption&);  // "TS val 100 ecr 0"
std::string to_string(const TcpPacket&);  // "S. 0:0(0) ack 1 win 5792 <mss 1460>"
std::string to_string(const Event&);

}  // namespace tapstack::pkt
