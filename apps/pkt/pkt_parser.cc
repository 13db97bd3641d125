// SPDX-License-Identifier: MIT
// The packetdrill script parser (see pkt_parser.hh). One function per rule of this grammar,
// which is packetdrill's, written from its documentation and the scripts that use it:
//
//   script     := option* `command`? event+ `command`?
//   option     := --name | --name=value
//   event      := time action
//   time       := number | +number | * | number~number | +number~+number     (seconds)
//   action     := packet | syscall | `command` | %{ code }%
//   packet     := ('<' | '>') ip_info? (tcp | icmp | udp)
//   ip_info    := '[' or '(' of: tos 0xNN | ect0 | ect1 | ce | noecn | ect01 | flowlabel 0xN | ttl N
//   tcp        := (port '>' port)? flags seq:end(len) (ack N)? (win N)? (urg N)? ('<' options | ... '>')?
//   icmp       := icmp TYPE CODE? (mtu N)? (id N)? ('[' seq:end(len) | udp (N) | raw (N) ']')?
//   udp        := udp (port '>' port)? '(' N ')'
//   syscall    := (... time)? name '(' expr,* ')' '=' expr ERRNO? ('(' note ')')?
//   expr       := primary ('|' primary)* | (name | call) '=' expr
//   primary    := ... | integer | name | call | "string"+ ...? | '[' expr,* ']' | '{' expr,* '}'
//   call       := name'(' expr,* ')'        (no space before '(': htons(8080), msg_iov(1))
//
// The first error ends the parse: a private exception carries it from wherever it is found to
// parse_script(), the only function that catches it.
#include "apps/pkt/pkt_parser.hh"

#include <charconv>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "apps/pkt/pkt_lexer.hh"

namespace tapstack::pkt {
namespace {

using Kind = Token::Kind;

struct Failure {
    SourcePos pos;
    std::string message;
};

// How a token is named in "found ..." (never more than ~30 characters, control bytes escaped).
std::string describe(const Token& t) {
    switch (t.kind) {
    case Kind::End: return "the end of the script";
    case Kind::Error: return "an error";
    case Kind::String: return "a string";
    case Kind::BackQuoted: return "a shell command";
    case Kind::Code: return "a code block";
    case Kind::Option: return "an option";
    default: break;
    }
    std::string out = "'";
    std::string_view text = t.text.substr(0, 24);
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f) {
            out += c;
        } else {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
    if (t.text.size() > text.size()) out += "...";
    return out + "'";
}

Expr make_expr(Expr::Kind kind, SourcePos pos) {
    Expr e;
    e.kind = kind;
    e.pos = pos;
    return e;
}

class Parser {
public:
    explicit Parser(std::string_view text) : tokens_(tokenize(text)) {}

    Script script();

private:
    // --- tokens
    const Token& peek(size_t ahead = 0) const {
        size_t k = std::min(next_ + ahead, tokens_.size() - 1);
        const Token& t = tokens_[k];
        if (t.kind == Kind::Error) throw Failure{t.pos, t.message};
        return t;
    }
    const Token& take() {
        const Token& t = peek();
        if (t.kind != Kind::End) ++next_;
        return t;
    }
    bool at_punct(char c, size_t ahead = 0) const {
        const Token& t = peek(ahead);
        return t.kind == Kind::Punct && t.text[0] == c;
    }
    bool at_word(std::string_view w) const { return peek().kind == Kind::Word && peek().text == w; }
    bool accept_punct(char c) {
        if (!at_punct(c)) return false;
        take();
        return true;
    }
    [[noreturn]] void fail(const Token& at, std::string message) const { throw Failure{at.pos, std::move(message)}; }
    [[noreturn]] void fail_expected(std::string_view what) const {
        fail(peek(), std::string("expected ") + std::string(what) + ", found " + describe(peek()));
    }
    void expect_punct(char c, std::string_view context) {
        if (!accept_punct(c)) fail_expected(std::string("'") + c + "' " + std::string(context));
    }
    std::string expect_word(std::string_view what) {
        if (peek().kind != Kind::Word) fail_expected(what);
        return std::string(take().text);
    }

    // --- numbers
    int64_t integer(std::string_view what);
    uint32_t unsigned_number(std::string_view what, uint64_t max);
    int64_t time_usecs(std::string_view what);

    // --- rules
    ScriptOption option();
    Event event();
    EventTime event_time();
    PacketEvent packet();
    IpInfo ip_info();
    TcpPacket tcp_packet();
    void tcp_flags(TcpPacket& p);
    void sequence(uint32_t& start, uint32_t& end, uint16_t& len);
    std::vector<TcpOption> tcp_option_list(bool& any);
    TcpOption tcp_option();
    void sack_blocks(TcpOption& o);
    void timestamp_values(TcpOption& o);
    void accecn_counters(TcpOption& o);
    void option_blob(TcpOption& o);
    IcmpPacket icmp_packet();
    UdpPacket udp_packet();
    SyscallEvent syscall();
    std::vector<Expr> expression_list(char close, std::string_view context);
    Expr expression();
    Expr primary();
    Expr strings(Expr e);
    std::string note();

    std::vector<Token> tokens_;
    size_t next_ = 0;
    int depth_ = 0;  // expressions being parsed, one inside the other
};

// --- numbers --------------------------------------------------------------------------------

int64_t Parser::integer(std::string_view what) {
    const Token& t = peek();
    if (t.kind != Kind::Integer) fail_expected(what);
    std::string_view s = t.text;
    bool negative = s.starts_with('-');
    if (negative) s.remove_prefix(1);
    int base = 10;
    if (s.starts_with("0x")) {
        s.remove_prefix(2);
        base = 16;
    }
    uint64_t magnitude = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude, base);
    if (ec != std::errc{} || end != s.data() + s.size() ||
        magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        fail(t, "the number " + describe(t) + " is too large");
    }
    take();
    auto value = static_cast<int64_t>(magnitude);
    return negative ? -value : value;
}

uint32_t Parser::unsigned_number(std::string_view what, uint64_t max) {
    const Token& t = peek();
    int64_t v = integer(what);
    if (v < 0 || static_cast<uint64_t>(v) > max) {
        fail(t, std::string(what) + " " + std::string(t.text) + " is out of range (0 to " + std::to_string(max) + ")");
    }
    return static_cast<uint32_t>(v);
}

// Seconds as written (`2`, `0.1`, `.250`) to microseconds, exactly: digits past the sixth
// decimal are rounded.
int64_t Parser::time_usecs(std::string_view what) {
    const Token& t = peek();
    if (t.kind != Kind::Integer && t.kind != Kind::Float) fail_expected(what);
    std::string_view s = t.text;
    if (s.starts_with('-')) fail(t, std::string(what) + " " + describe(t) + " is negative");
    if (s.starts_with("0x")) fail(t, std::string(what) + " is written in seconds, not hex: " + describe(t));
    size_t dot = s.find('.');
    std::string_view whole = s.substr(0, dot);
    std::string_view frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
    constexpr int64_t max_seconds = 1'000'000'000;  // ~31 years: far beyond any script
    if (whole.size() > 10) fail(t, std::string(what) + " " + describe(t) + " is too large");
    int64_t seconds = 0;
    for (char c : whole) seconds = seconds * 10 + (c - '0');
    if (seconds > max_seconds) fail(t, std::string(what) + " " + describe(t) + " is too large");
    int64_t micros = 0;
    for (size_t k = 0; k < 6; ++k) micros = micros * 10 + (k < frac.size() ? frac[k] - '0' : 0);
    if (frac.size() > 6 && frac[6] >= '5') ++micros;
    take();
    return seconds * 1'000'000 + micros;
}

// --- script, options, events ----------------------------------------------------------------

Script Parser::script() {
    Script s;
    while (peek().kind == Kind::Option) s.options.push_back(option());
    if (peek().kind == Kind::BackQuoted) s.init_command = CommandEvent{std::string(take().text)};
    while (peek().kind != Kind::End) {
        if (peek().kind == Kind::Option) fail(peek(), "options (--name=value) must come before the first event");
        if (peek().kind == Kind::BackQuoted) {
            if (s.events.empty())
                fail(peek(), "only one shell command may come before the first event (give the next one a time)");
            s.cleanup_command = CommandEvent{std::string(take().text)};
            if (peek().kind != Kind::End) {
                fail(peek(),
                     "a shell command without a time must be the first or the last thing in the script "
                     "(give it a time, e.g. '+0 `...`')");
            }
            break;
        }
        s.events.push_back(event());
    }
    if (s.events.empty()) fail(peek(), "the script has no events (a time followed by a packet or a system call)");
    // Commands keep their text only: strip the back quotes here, once.
    for (auto* c : {&s.init_command, &s.cleanup_command}) {
        if (*c) (*c)->text = (*c)->text.substr(1, (*c)->text.size() - 2);
    }
    return s;
}

ScriptOption Parser::option() {
    const Token& t = take();
    ScriptOption o;
    o.pos = t.pos;
    std::string_view body = t.text.substr(2);
    size_t eq = body.find('=');
    o.name = std::string(body.substr(0, eq));
    if (eq != std::string_view::npos) o.value = std::string(body.substr(eq + 1));
    return o;
}

Event Parser::event() {
    Event e;
    e.pos = peek().pos;
    e.time = event_time();
    const Token& t = peek();
    if (at_punct('<') || at_punct('>')) {
        e.action = packet();
    } else if (t.kind == Kind::Word || t.kind == Kind::Ellipsis) {
        e.action = syscall();
    } else if (t.kind == Kind::BackQuoted) {
        e.action = CommandEvent{std::string(t.text.substr(1, t.text.size() - 2))};
        take();
    } else if (t.kind == Kind::Code) {
        std::string_view code = t.text.substr(2, t.text.size() - 4);
        e.action = CodeEvent{std::string(code)};
        take();
    } else {
        fail_expected("a packet ('<' or '>'), a system call, a `shell command` or %{ code }% after the time");
    }
    return e;
}

EventTime Parser::event_time() {
    EventTime time;
    if (accept_punct('*')) {
        time.kind = EventTime::Kind::Any;
        return time;
    }
    if (peek().kind != Kind::Integer && peek().kind != Kind::Float && !at_punct('+')) {
        fail_expected("an event time (such as 0.100, +0.1, * or 0.1~0.2)");
    }
    bool relative = accept_punct('+');
    time.kind = relative ? EventTime::Kind::Relative : EventTime::Kind::Absolute;
    time.usecs = time_usecs("a time in seconds");
    if (accept_punct('~')) {
        if (relative) expect_punct('+', "after '~' (a relative range is written +0.1~+0.2)");
        time.range_end = time_usecs("the end of the time range");
        if (*time.range_end < time.usecs) fail(peek(), "the time range ends before it starts");
    }
    return time;
}

// --- packets --------------------------------------------------------------------------------

PacketEvent Parser::packet() {
    PacketEvent p;
    p.direction = take().text[0] == '<' ? Direction::Inbound : Direction::Outbound;
    if (at_punct('[') || at_punct('(')) p.ip = ip_info();
    if (at_word("icmp")) {
        p.packet = icmp_packet();
    } else if (at_word("udp")) {
        p.packet = udp_packet();
    } else if (at_word("ipv4") || at_word("ipv6") || at_word("gre") || at_word("GREv0") || at_word("mpls") ||
               at_word("encap")) {
        fail(peek(), "encapsulated packets (" + std::string(peek().text) + ") are not supported");
    } else {
        p.packet = tcp_packet();
    }
    return p;
}

IpInfo Parser::ip_info() {
    char close = take().text[0] == '[' ? ']' : ')';
    IpInfo ip;
    do {
        std::string w = expect_word("IP information (tos, ect0, ect1, ce, noecn, ect01, flowlabel or ttl)");
        if (w == "tos") {
            ip.tos = static_cast<uint8_t>(unsigned_number("the TOS byte", 0xff));
        } else if (w == "flowlabel") {
            ip.flow_label = unsigned_number("the flow label", 0xfffff);
        } else if (w == "ttl") {
            ip.ttl = static_cast<uint8_t>(unsigned_number("the TTL", 0xff));
        } else if (w == "noecn") {
            ip.ecn = IpInfo::Ecn::NoEcn;
        } else if (w == "ect0") {
            ip.ecn = IpInfo::Ecn::Ect0;
        } else if (w == "ect1") {
            ip.ecn = IpInfo::Ecn::Ect1;
        } else if (w == "ce") {
            ip.ecn = IpInfo::Ecn::Ce;
        } else if (w == "ect01") {
            ip.ecn = IpInfo::Ecn::Ect01;
        } else {
            fail(tokens_[next_ - 1],
                 "unknown IP information '" + w + "' (tos, ect0, ect1, ce, noecn, ect01, flowlabel, ttl)");
        }
    } while (accept_punct(','));
    expect_punct(close, "to end the IP information");
    return ip;
}

TcpPacket Parser::tcp_packet() {
    TcpPacket p;
    if (peek().kind == Kind::Integer && at_punct('>', 1)) {
        p.src_port = static_cast<uint16_t>(unsigned_number("the source port", 0xffff));
        take();
        p.dst_port = static_cast<uint16_t>(unsigned_number("the destination port", 0xffff));
    }
    tcp_flags(p);
    sequence(p.start_seq, p.end_seq, p.payload_len);
    if (at_word("ack")) {
        take();
        p.ack = unsigned_number("the ACK number", 0xffffffff);
    }
    if (at_word("win")) {
        take();
        p.window = static_cast<uint16_t>(unsigned_number("the TCP window", 0xffff));
    }
    if (at_word("urg")) {
        take();
        p.urgent = static_cast<uint16_t>(unsigned_number("the urgent pointer", 0xffff));
    }
    if (accept_punct('<')) p.options = tcp_option_list(p.any_options);
    return p;
}

// Flags are the letters of one or more tokens written together: `S`, `S.`, `P.`, `SEW`, `-`.
void Parser::tcp_flags(TcpPacket& p) {
    const Token& first = peek();
    if (accept_punct('-')) return;  // no flags at all
    bool flag_like = first.kind == Kind::Word || first.kind == Kind::Float || at_punct('.');
    if (!flag_like) fail_expected("TCP flags (such as S, S., P., F., R or '-') or 'icmp' after the direction");
    const char* begin = first.text.data();
    const char* end = begin;
    do {
        end = take().text.data() + tokens_[next_ - 1].text.size();
    } while (!peek().space_before && (peek().kind == Kind::Word || peek().kind == Kind::Float ||
                                      peek().kind == Kind::Integer || at_punct('.')));
    p.flags_text.assign(begin, end);
    for (char c : p.flags_text) {
        switch (c) {
        case 'F': p.flags |= tcp_flag::fin; break;
        case 'S': p.flags |= tcp_flag::syn; break;
        case 'R': p.flags |= tcp_flag::rst; break;
        case 'P': p.flags |= tcp_flag::psh; break;
        case '.': p.flags |= tcp_flag::ack; break;
        case 'U': p.flags |= tcp_flag::urg; break;
        case 'E': p.flags |= tcp_flag::ece; break;
        case 'W': p.flags |= tcp_flag::cwr; break;
        case 'A': p.flags |= tcp_flag::ae; break;
        default:
            if (c >= '0' && c <= '7') {
                p.ace = static_cast<uint8_t>(c - '0');
                break;
            }
            fail(first, "unknown TCP flag '" + std::string(1, c) + "' in " + describe(first) +
                            " (flags are F S R P . U E W A, or '-' for none)");
        }
    }
}

// start:end(len), with end = start + len as packetdrill checks.
void Parser::sequence(uint32_t& start, uint32_t& end, uint16_t& len) {
    const Token& at = peek();
    start = unsigned_number("the start sequence number (start:end(length))", 0xffffffff);
    expect_punct(':', "between the start and end sequence numbers (start:end(length))");
    end = unsigned_number("the end sequence number", 0xffffffff);
    expect_punct('(', "before the payload length (start:end(length))");
    len = static_cast<uint16_t>(unsigned_number("the payload length", 0xffff));
    expect_punct(')', "after the payload length");
    if (uint64_t{start} + len != end) {
        fail(at, "sequence numbers " + std::to_string(start) + ":" + std::to_string(end) + " do not span the length " +
                     std::to_string(len));
    }
}

std::vector<TcpOption> Parser::tcp_option_list(bool& any) {
    std::vector<TcpOption> list;
    if (peek().kind == Kind::Ellipsis) {
        take();
        any = true;
    } else {
        do list.push_back(tcp_option());
        while (accept_punct(','));
    }
    expect_punct('>', "to end the TCP option list (or ',' between options)");
    return list;
}

TcpOption Parser::tcp_option() {
    using K = TcpOption::Kind;
    const Token& at = peek();
    std::string w = expect_word("a TCP option (nop, eol, mss, wscale, sackOK, sack, TS, md5, FO, FOEXP, ECN)");
    TcpOption o;
    if (w == "nop") {
        o.kind = K::Nop;
    } else if (w == "eol") {
        o.kind = K::Eol;
    } else if (w == "mss") {
        o.kind = K::Mss;
        o.value = unsigned_number("the MSS", 0xffff);
    } else if (w == "wscale") {
        o.kind = K::WindowScale;
        o.value = unsigned_number("the window scale", 0xff);
    } else if (w == "sackOK") {
        o.kind = K::SackPermitted;
    } else if (w == "sack") {
        o.kind = K::Sack;
        sack_blocks(o);
    } else if (w == "TS") {
        o.kind = K::Timestamp;
        timestamp_values(o);
    } else if (w == "md5") {
        o.kind = K::Md5;
        option_blob(o);
    } else if (w == "FO" || w == "FOEXP") {
        o.kind = w == "FO" ? K::FastOpen : K::FastOpenExp;
        option_blob(o);
    } else if (w == "ECN") {
        o.kind = K::AccEcn;
        accecn_counters(o);
    } else {
        fail(at,
             "unknown TCP option " + describe(at) + " (nop, eol, mss, wscale, sackOK, sack, TS, md5, FO, FOEXP, ECN)");
    }
    return o;
}

// `sack 1:2 3:4`: one or more left:right blocks.
void Parser::sack_blocks(TcpOption& o) {
    do {
        SackBlock b;
        b.left = unsigned_number("a SACK block's left edge (left:right)", 0xffffffff);
        expect_punct(':', "in a SACK block (left:right)");
        b.right = unsigned_number("a SACK block's right edge", 0xffffffff);
        o.blocks.push_back(b);
    } while (peek().kind == Kind::Integer);
}

// `TS val N ecr N`.
void Parser::timestamp_values(TcpOption& o) {
    if (expect_word("'val' after TS (TS val N ecr N)") != "val") fail(tokens_[next_ - 1], "expected 'val' after TS");
    o.value = unsigned_number("the timestamp value", 0xffffffff);
    if (expect_word("'ecr' (TS val N ecr N)") != "ecr") fail(tokens_[next_ - 1], "expected 'ecr' after the TS value");
    o.echo = unsigned_number("the timestamp echo reply", 0xffffffff);
}

// `ECN e0b N e1b N ceb N`: at least one counter, kept as written.
void Parser::accecn_counters(TcpOption& o) {
    while (at_word("e0b") || at_word("e1b") || at_word("ceb")) {
        std::string field(take().text);
        int64_t v = unsigned_number("an AccECN counter", 0xffffff);
        o.text += (o.text.empty() ? "" : " ") + field + " " + std::to_string(v);
    }
    if (o.text.empty()) fail_expected("an AccECN field (e0b, e1b or ceb)");
}

// An MD5 digest or a Fast Open cookie: hex digits, as written (optional).
void Parser::option_blob(TcpOption& o) {
    if (peek().kind == Kind::Word || peek().kind == Kind::Integer) o.text = std::string(take().text);
}

IcmpPacket Parser::icmp_packet() {
    take();  // icmp
    IcmpPacket p;
    p.type = expect_word("an ICMP type (such as unreachable)");
    if (peek().kind == Kind::Word && !at_word("mtu") && !at_word("id")) p.code = std::string(take().text);
    if (at_word("mtu")) {
        take();
        p.mtu = unsigned_number("the MTU", 0xffffffff);
    }
    if (at_word("id")) {
        take();
        p.echo_id = unsigned_number("the echo id", 0xffff);
    }
    if (accept_punct('[')) {
        if (at_word("udp") || at_word("raw")) {
            p.echoed = take().text == "udp" ? IcmpPacket::Echoed::Udp : IcmpPacket::Echoed::Raw;
            expect_punct('(', "before the quoted packet's length");
            p.echoed_len = unsigned_number("the quoted packet's length", 0xffff);
            expect_punct(')', "after the quoted packet's length");
        } else {
            uint32_t end = 0;
            uint16_t len = 0;
            p.echoed = IcmpPacket::Echoed::Tcp;
            sequence(p.echoed_seq, end, len);
            p.echoed_len = len;
        }
        expect_punct(']', "to end the quoted packet");
    }
    return p;
}

UdpPacket Parser::udp_packet() {
    take();  // udp
    UdpPacket p;
    if (peek().kind == Kind::Integer && at_punct('>', 1)) {
        p.src_port = static_cast<uint16_t>(unsigned_number("the source port", 0xffff));
        take();
        p.dst_port = static_cast<uint16_t>(unsigned_number("the destination port", 0xffff));
    }
    expect_punct('(', "before the UDP payload length");
    p.payload_len = static_cast<uint16_t>(unsigned_number("the UDP payload length", 0xffff));
    expect_punct(')', "after the UDP payload length");
    return p;
}

// --- system calls ---------------------------------------------------------------------------

SyscallEvent Parser::syscall() {
    SyscallEvent call;
    if (peek().kind == Kind::Ellipsis) {
        take();
        call.end_usecs = time_usecs("the time the blocking call returns (...0.200)");
    }
    call.name = expect_word("a system call name");
    std::string context = "after the arguments of " + call.name + "()";
    expect_punct('(', "after the system call name '" + call.name + "'");
    call.args = expression_list(')', context);
    if (!accept_punct('=')) fail_expected("'=' and the expected result after " + call.name + "(...)");
    call.result = expression();
    if (peek().kind == Kind::Word) call.errno_name = std::string(take().text);
    if (at_punct('(')) call.note = note();
    return call;
}

// expr, expr, ... up to `close` (taken); none at all is fine.
std::vector<Expr> Parser::expression_list(char close, std::string_view context) {
    std::vector<Expr> items;
    if (accept_punct(close)) return items;
    do items.push_back(expression());
    while (accept_punct(','));
    if (!accept_punct(close)) fail_expected(std::string("',' or '") + close + "' " + std::string(context));
    return items;
}

Expr Parser::expression() {
    if (++depth_ > max_nesting) {
        fail(peek(), "values are nested too deeply (more than " + std::to_string(max_nesting) + " levels)");
    }
    Expr e = primary();
    if ((e.kind == Expr::Kind::Word || e.kind == Expr::Kind::Call) && accept_punct('=')) {
        Expr assign = make_expr(Expr::Kind::Assign, e.pos);
        assign.items.push_back(std::move(e));
        assign.items.push_back(expression());
        e = std::move(assign);
    } else if (at_punct('|')) {
        Expr any = make_expr(Expr::Kind::Or, e.pos);
        any.items.push_back(std::move(e));
        while (accept_punct('|')) any.items.push_back(primary());
        e = std::move(any);
    }
    --depth_;
    return e;
}

Expr Parser::primary() {
    const Token& t = peek();
    Expr e = make_expr(Expr::Kind::Word, t.pos);
    switch (t.kind) {
    case Kind::Ellipsis:
        e.kind = Expr::Kind::Ellipsis;
        take();
        return e;
    case Kind::Integer:
        e.kind = Expr::Kind::Integer;
        e.hex = t.text.find("0x") != std::string_view::npos;
        e.integer = integer("a number");
        return e;
    case Kind::Word:
        e.text = std::string(take().text);
        e.kind = Expr::Kind::Word;
        if (at_punct('(') && !peek().space_before) {
            take();
            e.kind = Expr::Kind::Call;
            e.items = expression_list(')', "after the arguments of " + e.text + "()");
        }
        return e;
    case Kind::String: return strings(std::move(e));
    case Kind::Punct:
        if (t.text[0] == '[' || t.text[0] == '{') {
            bool array = t.text[0] == '[';
            take();
            e.kind = array ? Expr::Kind::Array : Expr::Kind::Struct;
            e.items = expression_list(array ? ']' : '}', array ? "to end the array" : "to end the struct");
            return e;
        }
        break;
    default: break;
    }
    fail_expected("a value (a number, a name, a \"string\", '...', [array] or {struct})");
}

// `"abc"`, or adjacent strings `"ab" "cd"` as one Concat (in `e`, at the first one); a
// trailing `...` marks the last as a prefix (string_more).
Expr Parser::strings(Expr e) {
    std::vector<Expr> parts;
    while (peek().kind == Kind::String) {
        const Token& s = take();
        parts.push_back(make_expr(Expr::Kind::String, s.pos));
        parts.back().text = std::string(s.text.substr(1, s.text.size() - 2));
    }
    if (peek().kind == Kind::Ellipsis) {
        take();
        parts.back().string_more = true;
    }
    if (parts.size() == 1) return std::move(parts[0]);
    e.kind = Expr::Kind::Concat;
    e.items = std::move(parts);
    return e;
}

// `(Transport endpoint is not connected)`: the text between the parentheses, as written.
std::string Parser::note() {
    const Token& open = take();
    while (!at_punct(')')) {
        if (peek().kind == Kind::End || peek().pos.line != open.pos.line) {
            fail(open, "the note opened here does not end on its line (no ')')");
        }
        take();
    }
    const Token& close = take();
    const char* begin = open.text.data() + 1;
    std::string_view text(begin, static_cast<size_t>(close.text.data() - begin));
    size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return "";
    return std::string(text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1));
}

}  // namespace

std::string ParseError::to_string() const {
    return file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": " + message;
}

Result<Script, ParseError> parse_script(std::string_view text, std::string_view file_name) {
    try {
        Parser parser(text);
        return parser.script();
    } catch (const Failure& f) {
        return Err{ParseError{std::string(file_name), f.pos, f.message}};
    }
}

}  // namespace tapstack::pkt
