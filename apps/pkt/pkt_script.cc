// SPDX-License-Identifier: MIT
// Prints a parsed script's pieces back in packetdrill's notation (see pkt_script.hh): one event
// per line, numbers as parsed, so a test can parse, print and compare, and a tool can show what
// the parser understood.
#include "apps/pkt/pkt_script.hh"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace tapstack::pkt {
namespace {

std::string seconds(int64_t usecs) { return fmt::format("{}.{:06}", usecs / 1'000'000, usecs % 1'000'000); }

std::string join(const std::vector<Expr>& items, std::string_view sep) {
    std::string out;
    for (const Expr& e : items) {
        if (!out.empty()) out += sep;
        out += to_string(e);
    }
    return out;
}

std::string to_string(const IpInfo& ip) {
    static constexpr const char* ecn_names[] = {"noecn", "ect0", "ect1", "ce", "ect01"};
    std::vector<std::string> parts;
    if (ip.ecn) parts.push_back(ecn_names[static_cast<int>(*ip.ecn)]);
    if (ip.tos) parts.push_back(fmt::format("tos {:#04x}", *ip.tos));
    if (ip.flow_label) parts.push_back(fmt::format("flowlabel {:#x}", *ip.flow_label));
    if (ip.ttl) parts.push_back(fmt::format("ttl {}", *ip.ttl));
    return fmt::format("[{}] ", fmt::join(parts, ","));
}

}  // namespace

std::string to_string(const TcpOption& o) {
    using K = TcpOption::Kind;
    switch (o.kind) {
    case K::Nop: return "nop";
    case K::Eol: return "eol";
    case K::Mss: return fmt::format("mss {}", o.value);
    case K::WindowScale: return fmt::format("wscale {}", o.value);
    case K::SackPermitted: return "sackOK";
    case K::Sack: {
        std::string out = "sack";
        for (const SackBlock& b : o.blocks) out += fmt::format(" {}:{}", b.left, b.right);
        return out;
    }
    case K::Timestamp: return fmt::format("TS val {} ecr {}", o.value, o.echo);
    case K::Md5: return o.text.empty() ? "md5" : "md5 " + o.text;
    case K::FastOpen: return o.text.empty() ? "FO" : "FO " + o.text;
    case K::FastOpenExp: return o.text.empty() ? "FOEXP" : "FOEXP " + o.text;
    case K::AccEcn: return "ECN " + o.text;
    }
    return "?";
}

std::string to_string(const TcpPacket& p) {
    std::string out;
    if (p.src_port) out += fmt::format("{}>{} ", *p.src_port, *p.dst_port);
    out += p.flags_text.empty() ? "-" : p.flags_text;
    out += fmt::format(" {}:{}({})", p.start_seq, p.end_seq, p.payload_len);
    if (p.ack) out += fmt::format(" ack {}", *p.ack);
    if (p.window) out += fmt::format(" win {}", *p.window);
    if (p.urgent) out += fmt::format(" urg {}", *p.urgent);
    if (p.any_options) {
        out += " <...>";
    } else if (!p.options.empty()) {
        std::vector<std::string> parts;
        for (const TcpOption& o : p.options) parts.push_back(to_string(o));
        out += fmt::format(" <{}>", fmt::join(parts, ","));
    }
    return out;
}

namespace {

std::string to_string(const IcmpPacket& p) {
    std::string out = "icmp " + p.type;
    if (p.code) out += " " + *p.code;
    if (p.mtu) out += fmt::format(" mtu {}", *p.mtu);
    if (p.echo_id) out += fmt::format(" id {}", *p.echo_id);
    switch (p.echoed) {
    case IcmpPacket::Echoed::None: break;
    case IcmpPacket::Echoed::Tcp:
        out += fmt::format(" [{}:{}({})]", p.echoed_seq, p.echoed_seq + p.echoed_len, p.echoed_len);
        break;
    case IcmpPacket::Echoed::Udp: out += fmt::format(" [udp ({})]", p.echoed_len); break;
    case IcmpPacket::Echoed::Raw: out += fmt::format(" [raw ({})]", p.echoed_len); break;
    }
    return out;
}

std::string to_string(const UdpPacket& p) {
    std::string out = "udp ";
    if (p.src_port) out += fmt::format("{}>{} ", *p.src_port, *p.dst_port);
    return out + fmt::format("({})", p.payload_len);
}

struct ActionPrinter {
    std::string operator()(const PacketEvent& p) const {
        std::string out = p.direction == Direction::Inbound ? "< " : "> ";
        if (p.ip) out += to_string(*p.ip);
        return out + std::visit([](const auto& packet) { return to_string(packet); }, p.packet);
    }
    std::string operator()(const SyscallEvent& s) const {
        std::string out = s.end_usecs ? "..." + seconds(*s.end_usecs) + " " : "";
        out += fmt::format("{}({}) = {}", s.name, join(s.args, ", "), to_string(s.result));
        if (s.errno_name) out += " " + *s.errno_name;
        if (s.note) out += " (" + *s.note + ")";
        return out;
    }
    std::string operator()(const CommandEvent& c) const { return "`" + c.text + "`"; }
    std::string operator()(const CodeEvent& c) const { return "%{" + c.text + "}%"; }
};

}  // namespace

std::string to_string(const EventTime& t) {
    if (t.kind == EventTime::Kind::Any) return "*";
    std::string plus = t.kind == EventTime::Kind::Relative ? "+" : "";
    std::string out = plus + seconds(t.usecs);
    if (t.range_end) out += "~" + plus + seconds(*t.range_end);
    return out;
}

std::string to_string(const Expr& e) {
    switch (e.kind) {
    case Expr::Kind::Ellipsis: return "...";
    case Expr::Kind::Integer:
        if (e.hex && e.integer >= 0) return fmt::format("{:#x}", e.integer);
        return fmt::format("{}", e.integer);
    case Expr::Kind::Word: return e.text;
    case Expr::Kind::String: return "\"" + e.text + "\"" + (e.string_more ? "..." : "");
    case Expr::Kind::Or: return join(e.items, "|");
    case Expr::Kind::Concat: return join(e.items, " ");
    case Expr::Kind::Assign: return join(e.items, "=");
    case Expr::Kind::Array: return "[" + join(e.items, ", ") + "]";
    case Expr::Kind::Struct: return "{" + join(e.items, ", ") + "}";
    case Expr::Kind::Call: return e.text + "(" + join(e.items, ", ") + ")";
    }
    return "?";
}

std::string to_string(const Event& e) { return to_string(e.time) + " " + std::visit(ActionPrinter{}, e.action); }

}  // namespace tapstack::pkt
