// SPDX-License-Identifier: MIT
// Frames for a script's packets (pkt_packets.hh): built from `<` lines, read and compared for `>`.
#include "apps/pkt/pkt_packets.hh"

#include <fmt/format.h>

#include <cstdlib>

#include "stack/wire/ethernet.hh"
#include "stack/wire/ipv4.hh"
#include "stack/wire/tcp.hh"

namespace tapstack::pkt {
namespace {

namespace option_kind {
inline constexpr uint8_t eol = 0, nop = 1, mss = 2, window_scale = 3, sack_permitted = 4, sack = 5, timestamp = 8,
                         md5 = 19, fast_open = 34, experimental = 254;
}
inline constexpr uint16_t fast_open_magic = 0xf989;  // RFC 7413 §4.1.1, the experimental option's magic

void put16(std::vector<uint8_t>& out, uint16_t v) { out.insert(out.end(), {uint8_t(v >> 8), uint8_t(v)}); }
void put32(std::vector<uint8_t>& out, uint32_t v) {
    put16(out, static_cast<uint16_t>(v >> 16));
    put16(out, static_cast<uint16_t>(v));
}
uint32_t get32(const std::vector<uint8_t>& d, size_t at) {
    return uint32_t{d[at]} << 24 | uint32_t{d[at + 1]} << 16 | uint32_t{d[at + 2]} << 8 | d[at + 3];
}

std::optional<std::vector<uint8_t>> hex_bytes(std::string_view hex) {
    std::vector<uint8_t> out;
    if (hex.size() % 2) return std::nullopt;
    for (size_t i = 0; i < hex.size(); i += 2) {
        char pair[3] = {hex[i], hex[i + 1], 0};
        char* end = nullptr;
        unsigned long v = std::strtoul(pair, &end, 16);
        if (end != pair + 2) return std::nullopt;
        out.push_back(static_cast<uint8_t>(v));
    }
    return out;
}

// The script's option as it goes on the wire. `sack_offset` moves SACK blocks (our sequence
// numbers, written relative) onto the wire; `ecr` is the TS ecr to put in (already mapped).
Result<RawOption, std::string> raw_option(const TcpOption& o, uint32_t sack_offset, uint32_t ecr) {
    using K = TcpOption::Kind;
    RawOption r;
    switch (o.kind) {
    case K::Nop: r.kind = option_kind::nop; break;
    case K::Eol: r.kind = option_kind::eol; break;
    case K::Mss: r.kind = option_kind::mss, put16(r.data, static_cast<uint16_t>(o.value)); break;
    case K::WindowScale: r.kind = option_kind::window_scale, r.data.push_back(static_cast<uint8_t>(o.value)); break;
    case K::SackPermitted: r.kind = option_kind::sack_permitted; break;
    case K::Sack:
        r.kind = option_kind::sack;
        for (const SackBlock& b : o.blocks) put32(r.data, b.left + sack_offset), put32(r.data, b.right + sack_offset);
        break;
    case K::Timestamp: r.kind = option_kind::timestamp, put32(r.data, o.value), put32(r.data, ecr); break;
    case K::Md5: r.kind = option_kind::md5, r.data.assign(16, 0); break;
    case K::FastOpen:
    case K::FastOpenExp: {
        auto cookie = hex_bytes(o.text);
        if (!cookie) return Err{fmt::format("fast open cookie '{}' is not hex", o.text)};
        r.kind = o.kind == K::FastOpen ? option_kind::fast_open : option_kind::experimental;
        if (o.kind == K::FastOpenExp) put16(r.data, fast_open_magic);
        r.data.insert(r.data.end(), cookie->begin(), cookie->end());
        break;
    }
    case K::AccEcn: return Err{std::string{"the AccECN option is not supported"}};
    }
    return r;
}

// The TS ecr the peer puts on the wire for the script's `ecr`: the TS val we sent that the
// script called by that number (packetdrill's rule), or as written when the segment has no ACK.
Result<uint32_t, std::string> inbound_ecr(const TcpPacket& p, const TcpOption& ts, const Flow& flow,
                                          std::optional<uint32_t> guessed) {
    if (!(p.flags & tcp_flag::ack)) return ts.echo;
    if (auto it = flow.ts_vals.find(ts.echo); it != flow.ts_vals.end()) return it->second;
    if (guessed) return *guessed;
    return Err{
        fmt::format("TS ecr {}: no segment we sent so far carried the TS val the script calls {}", ts.echo, ts.echo)};
}

Result<std::vector<uint8_t>, std::string> option_bytes(const TcpPacket& p, const Flow& flow,
                                                       std::optional<uint32_t> guessed_ecr) {
    std::vector<uint8_t> out;
    for (const TcpOption& o : p.options) {
        uint32_t ecr = 0;
        if (o.kind == TcpOption::Kind::Timestamp) {
            auto mapped = inbound_ecr(p, o, flow, guessed_ecr);
            if (!mapped) return Err{mapped.error()};
            ecr = *mapped;
        }
        auto raw = raw_option(o, flow.local_offset, ecr);
        if (!raw) return Err{raw.error()};
        out.push_back(raw->kind);
        if (raw->kind == option_kind::nop || raw->kind == option_kind::eol) continue;
        out.push_back(static_cast<uint8_t>(2 + raw->data.size()));
        out.insert(out.end(), raw->data.begin(), raw->data.end());
    }
    while (out.size() % 4) out.push_back(option_kind::eol);
    if (out.size() > 40) return Err{fmt::format("{} bytes of TCP options: more than 40", out.size())};
    return out;
}

uint8_t tos_byte(const std::optional<IpInfo>& ip) {
    if (!ip) return 0;
    static constexpr uint8_t ecn_bits[] = {0, 2, 1, 3, 2};  // noecn, ect0, ect1, ce, ect01 (sent as ect0)
    uint8_t tos = ip->tos.value_or(0);
    if (ip->ecn) tos = static_cast<uint8_t>((tos & 0xfc) | ecn_bits[static_cast<int>(*ip->ecn)]);
    return tos;
}

void write_tcp_header(MutBytes tcp, const TcpPacket& p, const Flow& flow, size_t options_len) {
    store_be16(tcp, tcp_field::src_port, p.src_port.value_or(flow.remote_port));
    store_be16(tcp, tcp_field::dst_port, p.dst_port.value_or(flow.local_port));
    store_be32(tcp, tcp_field::seq, p.start_seq);
    store_be32(tcp, tcp_field::ack, p.ack ? *p.ack + flow.local_offset : 0);
    tcp[tcp_field::offset] = static_cast<uint8_t>(((20 + options_len) / 4) << 4 | (p.flags & tcp_flag::ae ? 1 : 0));
    tcp[tcp_field::flags] = static_cast<uint8_t>(p.flags & 0xff);
    store_be16(tcp, tcp_field::window, p.window.value_or(0));
    store_be16(tcp, tcp_field::urgent, p.urgent.value_or(0));
}

}  // namespace

Result<std::vector<uint8_t>, std::string> build_inbound(const TcpPacket& p, const std::optional<IpInfo>& ip,
                                                        const Flow& flow, const Ends& ends,
                                                        std::optional<uint32_t> guessed_ecr) {
    auto options = option_bytes(p, flow, guessed_ecr);
    if (!options) return Err{options.error()};
    size_t tcp_len = tcp_field::min_header_len + options->size() + p.payload_len;
    std::vector<uint8_t> frame(ethernet_field::header_len + Ipv4Header::len + tcp_len, 0);
    MutBytes all{frame.data(), frame.size()};
    emit_ethernet_header(all, ends.local_mac, ends.remote_mac, EtherType::Ipv4);

    Ipv4Header iph{.src = ends.remote_ip, .dst = ends.local_ip, .payload_len = static_cast<uint16_t>(tcp_len)};
    if (ip && ip->ttl) iph.ttl = *ip->ttl;
    MutBytes ip_bytes = all.subspan(ethernet_field::header_len);
    iph.emit(ip_bytes);
    if (uint8_t tos = tos_byte(ip)) {  // Ipv4Header sends TOS 0: set it and sum again
        ip_bytes[ipv4_field::tos] = tos;
        store_be16(ip_bytes, ipv4_field::checksum, 0);
        store_be16(ip_bytes, ipv4_field::checksum, internet_checksum(ip_bytes.first(Ipv4Header::len)));
    }

    MutBytes tcp = ip_bytes.subspan(Ipv4Header::len);
    write_tcp_header(tcp, p, flow, options->size());
    std::copy(options->begin(), options->end(), tcp.begin() + tcp_field::min_header_len);
    InternetChecksum sum;
    iph.pseudo_header().add_to(sum);
    sum.add(tcp);
    store_be16(tcp, tcp_field::checksum, sum.finish());
    return frame;
}

std::optional<SentSegment> parse_sent(Bytes frame) {
    auto eth = EthernetView::parse(frame);
    if (!eth || eth->ethertype() != static_cast<uint16_t>(EtherType::Ipv4)) return std::nullopt;
    auto ip = Ipv4View::parse(eth->payload());
    if (!ip || ip->protocol() != static_cast<uint8_t>(IpProtocol::Tcp)) return std::nullopt;
    PseudoHeader ph{ip->src(), ip->dst(), ip->protocol(), static_cast<uint16_t>(ip->payload().size())};
    auto seg = TcpSegment::parse(ip->payload(), ph);
    if (!seg) return std::nullopt;
    SentSegment s;
    s.src = ip->src(), s.dst = ip->dst(), s.tos = ip->tos();
    s.src_port = seg->src_port, s.dst_port = seg->dst_port;
    s.seq = seg->seq.raw, s.ack = seg->has_ack() ? seg->ack.raw : 0;
    Bytes tcp = ip->payload();
    s.flags = static_cast<uint16_t>(seg->flags | ((tcp[tcp_field::offset] & 1) ? tcp_flag::ae : 0));
    s.window = seg->window;
    s.urgent = seg->urgent;
    s.payload_len = seg->payload_len();
    size_t header_len = size_t{tcp[tcp_field::offset]} >> 4 << 2;
    for (size_t i = tcp_field::min_header_len; i < header_len;) {  // TcpSegment::parse checked the lengths
        uint8_t kind = tcp[i];
        if (kind == option_kind::eol) break;  // the rest is padding
        if (kind == option_kind::nop) {
            s.options.push_back({kind, {}});
            ++i;
            continue;
        }
        size_t len = tcp[i + 1];
        s.options.push_back({kind, std::vector<uint8_t>(tcp.begin() + static_cast<ptrdiff_t>(i + 2),
                                                        tcp.begin() + static_cast<ptrdiff_t>(i + len))});
        i += len;
    }
    return s;
}

namespace {

std::string option_text(const RawOption& o, uint32_t sack_offset) {
    const std::vector<uint8_t>& d = o.data;
    switch (o.kind) {
    case option_kind::nop: return "nop";
    case option_kind::eol: return "eol";
    case option_kind::mss:
        if (d.size() == 2) return fmt::format("mss {}", d[0] << 8 | d[1]);
        break;
    case option_kind::window_scale:
        if (d.size() == 1) return fmt::format("wscale {}", d[0]);
        break;
    case option_kind::sack_permitted: return "sackOK";
    case option_kind::timestamp:
        if (d.size() == 8) return fmt::format("TS val {} ecr {}", get32(d, 0), get32(d, 4));
        break;
    case option_kind::sack: {
        std::string out = "sack";
        for (size_t i = 0; i + 8 <= d.size(); i += 8)
            out += fmt::format(" {}:{}", get32(d, i) - sack_offset, get32(d, i + 4) - sack_offset);
        return out;
    }
    }
    return fmt::format("option {} ({} bytes)", o.kind, d.size());
}

// The option lists agree kind by kind (packetdrill wants Linux's order, nops included); values
// agree except TS ecr, and TS val only within the tolerance when it is checked at all.
std::optional<std::string> match_options(const TcpPacket& want, const SentSegment& got, const Flow& flow,
                                         std::optional<int64_t> ts_tolerance_ticks) {
    std::string mismatch = fmt::format("options <{}> expected", [&] {
        std::string out;
        for (const TcpOption& o : want.options) out += (out.empty() ? "" : ",") + to_string(o);
        return out;
    }());
    if (want.options.size() != got.options.size()) return mismatch;
    for (size_t i = 0; i < want.options.size(); ++i) {
        auto expected = raw_option(want.options[i], 0, 0);
        const RawOption& actual = got.options[i];
        if (!expected || expected->kind != actual.kind) return mismatch;
        if (actual.kind != option_kind::timestamp) {
            if (expected->data != actual.data) return mismatch;
            continue;
        }
        if (!ts_tolerance_ticks || !flow.first_actual_ts || actual.data.size() != 8) continue;
        int64_t in_script = *flow.first_script_ts + static_cast<int32_t>(get32(actual.data, 0) - *flow.first_actual_ts);
        if (std::abs(in_script - int64_t{want.options[i].value}) > *ts_tolerance_ticks)
            return fmt::format("TS val {} expected, {} came (in the script's numbers)", want.options[i].value,
                               in_script);
    }
    return std::nullopt;
}

void remember_ts_val(const TcpPacket& want, const SentSegment& got, Flow& flow) {
    for (const TcpOption& w : want.options) {
        if (w.kind != TcpOption::Kind::Timestamp) continue;
        for (const RawOption& g : got.options) {
            if (g.kind != option_kind::timestamp || g.data.size() != 8) continue;
            flow.ts_vals[w.value] = get32(g.data, 0);
            if (!flow.first_actual_ts) flow.first_script_ts = w.value, flow.first_actual_ts = get32(g.data, 0);
        }
    }
}

}  // namespace

std::string flags_text(uint16_t flags) {
    static constexpr std::pair<uint16_t, char> letters[] = {
        {tcp_flag::fin, 'F'}, {tcp_flag::syn, 'S'}, {tcp_flag::rst, 'R'}, {tcp_flag::psh, 'P'}, {tcp_flag::ack, '.'},
        {tcp_flag::urg, 'U'}, {tcp_flag::ece, 'E'}, {tcp_flag::cwr, 'W'}, {tcp_flag::ae, 'A'}};
    std::string out;
    for (auto [bit, letter] : letters)
        if (flags & bit) out += letter;
    return out.empty() ? "-" : out;
}

std::optional<std::string> match_outbound(const TcpPacket& want, const SentSegment& got, Flow& flow,
                                          std::optional<int64_t> ts_tolerance_ticks) {
    constexpr uint16_t checked_flags = 0x1ff;
    if ((want.flags & checked_flags) != (got.flags & checked_flags))
        return fmt::format("flags {} expected, {} came", flags_text(want.flags), flags_text(got.flags));
    // Our first SYN (or SYN,ACK) fixes where the script's numbers for us start.
    if (got.flags & tcp_flag::syn) flow.local_offset = got.seq - want.start_seq;
    uint32_t seq = got.seq - flow.local_offset;
    if (seq != want.start_seq) return fmt::format("seq {} expected, {} came", want.start_seq, seq);
    if (got.payload_len != want.payload_len)
        return fmt::format("{} bytes of data expected, {} came", want.payload_len, got.payload_len);
    if (want.ack && got.ack != *want.ack) return fmt::format("ack {} expected, {} came", *want.ack, got.ack);
    if (want.window && got.window != *want.window)
        return fmt::format("win {} expected, {} came", *want.window, got.window);
    if (want.urgent && got.urgent != *want.urgent)
        return fmt::format("urgent pointer {} expected, {} came", *want.urgent, got.urgent);
    if (!want.any_options) {
        if (auto problem = match_options(want, got, flow, ts_tolerance_ticks)) return problem;
    }
    remember_ts_val(want, got, flow);
    return std::nullopt;
}

std::optional<uint32_t> ts_val(const SentSegment& s) {
    for (const RawOption& o : s.options)
        if (o.kind == option_kind::timestamp && o.data.size() == 8) return get32(o.data, 0);
    return std::nullopt;
}

std::string describe(const SentSegment& got, const Flow& flow) {
    uint32_t seq = got.seq - flow.local_offset;
    std::string out = fmt::format("{} {}:{}({})", flags_text(got.flags), seq,
                                  seq + static_cast<uint32_t>(got.payload_len), got.payload_len);
    if (got.flags & tcp_flag::ack) out += fmt::format(" ack {}", got.ack);
    out += fmt::format(" win {}", got.window);
    if (!got.options.empty()) {
        std::string list;
        for (const RawOption& o : got.options) list += (list.empty() ? "" : ",") + option_text(o, 0);
        out += " <" + list + ">";
    }
    return out;
}

}  // namespace tapstack::pkt
