// SPDX-License-Identifier: MIT
#include "stack/wire/tcp.hh"

#include <algorithm>

namespace tapstack {
namespace {

namespace opt {
inline constexpr uint8_t end = 0, nop = 1, mss = 2, window_scale = 3, sack_permitted = 4, sack = 5, timestamps = 8;
}

// Options are parsed leniently where RFC 9293 §3.1 allows (unknown kinds are skipped), strictly
// where a length is impossible (a length below 2 or past the header).
bool parse_options(Bytes b, TcpOptions& o) {
    size_t i = 0;
    while (i < b.size()) {
        uint8_t kind = b[i];
        if (kind == opt::end) break;
        if (kind == opt::nop) {
            ++i;
            continue;
        }
        if (i + 1 >= b.size()) return false;
        size_t len = b[i + 1];
        if (len < 2 || i + len > b.size()) return false;
        Bytes body = b.subspan(i + 2, len - 2);
        switch (kind) {
        case opt::mss:
            if (len == 4) o.mss = load_be16(body, 0);
            break;
        case opt::window_scale:
            if (len == 3) o.window_scale = body[0];
            break;
        case opt::sack_permitted:
            if (len == 2) o.sack_permitted = true;
            break;
        case opt::timestamps:
            if (len == 10) o.timestamps = TcpOptions::Timestamps{load_be32(body, 0), load_be32(body, 4)};
            break;
        case opt::sack:
            if ((len - 2) % 8 == 0) {
                o.sack_count = 0;
                for (size_t k = 0; k + 8 <= body.size() && o.sack_count < o.sack.size(); k += 8)
                    o.sack[o.sack_count++] = {SeqNum{load_be32(body, k)}, SeqNum{load_be32(body, k + 4)}};
            }
            break;
        default: break;
        }
        i += len;
    }
    return true;
}

size_t encoded_len_without_sack(const TcpOptions& o) {
    size_t n = 0;
    if (o.mss) n += 4;
    if (o.window_scale) n += 4;         // NOP + 3
    if (o.timestamps) n += 12;          // SACK-permitted + TS, or NOP NOP + TS
    else if (o.sack_permitted) n += 4;  // NOP NOP + SACK-permitted
    return n;
}

}  // namespace

Result<TcpSegment, TcpError> TcpSegment::parse_unchecked(Bytes b) {
    if (b.size() < tcp_field::min_header_len) return Err{TcpError::Truncated};
    size_t header_len = static_cast<size_t>(b[tcp_field::offset] >> 4) * 4;
    if (header_len < tcp_field::min_header_len || header_len > b.size()) return Err{TcpError::BadDataOffset};
    TcpSegment s;
    s.src_port = load_be16(b, tcp_field::src_port);
    s.dst_port = load_be16(b, tcp_field::dst_port);
    s.seq = SeqNum{load_be32(b, tcp_field::seq)};
    s.ack = SeqNum{load_be32(b, tcp_field::ack)};
    s.flags = b[tcp_field::flags];
    s.window = load_be16(b, tcp_field::window);
    s.urgent = load_be16(b, tcp_field::urgent);
    if (!parse_options(b.subspan(tcp_field::min_header_len, header_len - tcp_field::min_header_len), s.options))
        return Err{TcpError::BadOption};
    s.payload = b.subspan(header_len);
    return s;
}

Result<TcpSegment, TcpError> TcpSegment::parse(Bytes b, const PseudoHeader& ph) {
    InternetChecksum c;
    ph.add_to(c);
    c.add(b);
    if (c.finish() != 0) return Err{TcpError::BadChecksum};
    return parse_unchecked(b);
}

size_t TcpOptions::sack_blocks_that_fit() const {
    constexpr size_t room = tcp_field::max_header_len - tcp_field::min_header_len;
    size_t used = encoded_len_without_sack(*this) + 4;  // NOP NOP + kind,len
    size_t fit = used < room ? (room - used) / 8 : 0;
    return std::min<size_t>(sack_count, fit);
}

size_t TcpOptions::encoded_len() const {
    size_t blocks = sack_blocks_that_fit();
    return encoded_len_without_sack(*this) + (blocks ? 4 + 8 * blocks : 0);  // NOP NOP + kind,len + blocks
}

namespace {

// The options of a header of hlen bytes, laid out as Linux lays them out so captures look
// familiar; NOPs fill the space up to hlen.
void emit_options(const TcpOptions& options, MutBytes out, size_t hlen) {
    size_t i = tcp_field::min_header_len;
    auto put = [&](uint8_t v) { out[i++] = v; };
    if (options.mss) {
        put(opt::mss), put(4);
        store_be16(out, i, *options.mss);
        i += 2;
    }
    if (options.sack_permitted && options.timestamps) {
        put(opt::sack_permitted), put(2);
    } else if (options.sack_permitted) {
        put(opt::nop), put(opt::nop), put(opt::sack_permitted), put(2);
    }
    if (options.timestamps) {
        if (!options.sack_permitted) put(opt::nop), put(opt::nop);
        put(opt::timestamps), put(10);
        store_be32(out, i, options.timestamps->value);
        store_be32(out, i + 4, options.timestamps->echo_reply);
        i += 8;
    }
    if (options.window_scale) put(opt::nop), put(opt::window_scale), put(3), put(*options.window_scale);
    if (size_t blocks = options.sack_blocks_that_fit()) {
        put(opt::nop), put(opt::nop), put(opt::sack), put(static_cast<uint8_t>(2 + 8 * blocks));
        for (size_t k = 0; k < blocks; ++k) {
            store_be32(out, i, options.sack[k].left.raw);
            store_be32(out, i + 4, options.sack[k].right.raw);
            i += 8;
        }
    }
    while (i < hlen) put(opt::nop);
}

}  // namespace

void TcpSegment::emit(MutBytes out, const PseudoHeader& ph, Checksum checksum) const {
    const size_t hlen = header_len();
    store_be16(out, tcp_field::src_port, src_port);
    store_be16(out, tcp_field::dst_port, dst_port);
    store_be32(out, tcp_field::seq, seq.raw);
    store_be32(out, tcp_field::ack, has_ack() ? ack.raw : 0);
    out[tcp_field::offset] = static_cast<uint8_t>((hlen / 4) << 4);
    out[tcp_field::flags] = flags;
    store_be16(out, tcp_field::window, window);
    store_be16(out, tcp_field::checksum, 0);
    store_be16(out, tcp_field::urgent, urgent);

    emit_options(options, out, hlen);

    MutBytes body = out.subspan(hlen, payload_len());
    std::copy(payload.begin(), payload.end(), body.begin());
    std::copy(payload_tail.begin(), payload_tail.end(), body.begin() + static_cast<ptrdiff_t>(payload.size()));

    InternetChecksum c;
    ph.add_to(c);
    if (checksum == Checksum::Partial) return store_be16(out, tcp_field::checksum, c.folded());
    c.add(Bytes{out.data(), hlen + payload_len()});
    store_be16(out, tcp_field::checksum, c.finish());
}

std::string tcp_flags_string(uint8_t flags) {
    static constexpr std::pair<uint8_t, const char*> names[] = {
        {tcp_flag::fin, "FIN"}, {tcp_flag::syn, "SYN"}, {tcp_flag::rst, "RST"}, {tcp_flag::psh, "PSH"},
        {tcp_flag::ack, "ACK"}, {tcp_flag::urg, "URG"}, {tcp_flag::ece, "ECE"}, {tcp_flag::cwr, "CWR"}};
    std::string out;
    for (auto [bit, name] : names) {
        if (!(flags & bit)) continue;
        if (!out.empty()) out += ", ";
        out += name;
    }
    return out.empty() ? "<None>" : out;
}

}  // namespace tapstack
