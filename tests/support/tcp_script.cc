// SPDX-License-Identifier: MIT
#include "tests/support/tcp_script.hh"

#include <iostream>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "stack/wire/arp.hh"
#include "stack/wire/ethernet.hh"
#include "stack/wire/ipv4.hh"

namespace tapstack::test {
namespace {
const MacAddress peer_mac{{0x02, 0, 0, 0, 0, 0x01}};
const Ipv4Address peer_ip = Ipv4Address::from_octets(10, 0, 0, 1);
}  // namespace

std::optional<size_t> QueueDev::receive(MutBytes buffer, Instant) {
    if (to_stack.empty()) return std::nullopt;
    auto frame = std::move(to_stack.front());
    to_stack.pop_front();
    size_t n = std::min(frame.size(), buffer.size());
    std::memcpy(buffer.data(), frame.data(), n);
    return n;
}

void RecordingApp::on_readable(SocketId id) {
    if (!auto_read) return;
    uint8_t buf[4096];
    while (size_t n = stack_.read(id, MutBytes{buf, sizeof buf}).value_or(0))
        received.append(reinterpret_cast<char*>(buf), n);
    if (stack_.peer_closed(id)) saw_eof = true;
}

std::string describe(const TcpSegment& s, uint32_t our_iss, uint32_t peer_iss) {
    bool ours = s.src_port == TcpScript::our_port;
    uint32_t seq = s.seq.raw - (ours ? our_iss : peer_iss);
    uint32_t ack = s.ack.raw - (ours ? peer_iss : our_iss);
    std::string out =
        fmt::format("{} [{}] seq={}", ours ? "stack->peer" : "peer->stack", tcp_flags_string(s.flags), seq);
    if (s.has_ack()) out += fmt::format(" ack={}", ack);
    out += fmt::format(" win={} len={}", s.window, s.payload_len());
    if (s.options.mss) out += fmt::format(" mss={}", *s.options.mss);
    if (s.options.window_scale) out += fmt::format(" ws={}", *s.options.window_scale);
    if (s.options.sack_permitted) out += " sack_perm";
    if (s.options.timestamps)
        out += fmt::format(" tsval={} tsecr={}", s.options.timestamps->value, s.options.timestamps->echo_reply);
    uint32_t other_iss = ours ? peer_iss : our_iss;
    for (size_t i = 0; i < s.options.sack_count; ++i)
        out +=
            fmt::format(" sack={}-{}", s.options.sack[i].left.raw - other_iss, s.options.sack[i].right.raw - other_iss);
    return out;
}

void TcpScript::StateLog::on_state_change(Instant, const FourTuple&, TcpState from, TcpState to, std::string_view why) {
    t_.state_log.push_back(fmt::format("{}->{}", to_string(from), to_string(to)));
    t_.transcript += fmt::format("    state {} -> {} ({})\n", to_string(from), to_string(to), why);
}

TcpScript::TcpScript(uint32_t our_iss, uint32_t peer_iss, StackConfig config)
    : stack((config.fixed_iss = our_iss, config), dev), app(stack), our_iss_(our_iss), peer_iss_(peer_iss) {
    stack.set_observer(&state_observer_);
    EXPECT_TRUE(stack.listen(our_port, app).has_value());
    // The peer asks for our MAC first (as the kernel does), which also teaches us its own.
    std::vector<uint8_t> frame(ethernet_field::header_len + arp_field::packet_len);
    emit_ethernet_header(frame, MacAddress::broadcast(), peer_mac, EtherType::Arp);
    ArpPacket{ArpOp::Request, peer_mac, peer_ip, MacAddress{}, stack.config().ip.address}.emit(
        MutBytes{frame}.subspan(ethernet_field::header_len));
    peer_sends_frame(frame);
    dev.sent.clear();  // the ARP reply
}

TcpSegment to_segment(const Seg& s, uint32_t our_iss, uint32_t peer_iss, uint16_t our_port, uint16_t peer_port) {
    TcpSegment t;
    t.src_port = s.src_port ? s.src_port : peer_port;
    t.dst_port = s.dst_port ? s.dst_port : our_port;
    t.seq = SeqNum{peer_iss + s.seq.value_or(0)};
    t.ack = SeqNum{our_iss + s.ack.value_or(0)};
    t.flags = s.flags;
    t.window = s.window.value_or(64240);
    t.options.mss = s.mss;
    t.options.window_scale = s.wscale;
    t.options.sack_permitted = s.sack_permitted.value_or(false);
    t.options.timestamps = s.timestamps;
    if (s.sack) {
        for (auto [l, r] : *s.sack) {
            if (t.options.sack_count == t.options.sack.size()) break;
            t.options.sack[t.options.sack_count++] = {SeqNum{our_iss + l}, SeqNum{our_iss + r}};
        }
    }
    t.payload = as_bytes(s.payload);
    return t;
}

void check_segment(const Seg& e, const TcpSegment& got, uint32_t our_iss, uint32_t peer_iss) {
    std::string what = describe(got, our_iss, peer_iss);
    EXPECT_EQ(tcp_flags_string(got.flags), tcp_flags_string(e.flags)) << what;
    if (e.seq) {
        EXPECT_EQ(got.seq.raw - our_iss, *e.seq) << what;
    }
    if (e.ack) {
        EXPECT_EQ(got.ack.raw - peer_iss, *e.ack) << what;
    }
    if (e.window) {
        EXPECT_EQ(got.window, *e.window) << what;
    }
    if (e.mss) {
        EXPECT_EQ(got.options.mss, e.mss) << what;
    }
    if (e.payload_set) {
        EXPECT_EQ(std::string(as_chars(got.payload)), e.payload) << what;
    }
    if (e.wscale) {
        EXPECT_EQ(got.options.window_scale, e.wscale) << what;
    }
    if (e.sack_permitted) {
        EXPECT_EQ(got.options.sack_permitted, *e.sack_permitted) << what;
    }
    if (e.has_timestamps) {
        EXPECT_EQ(got.options.timestamps.has_value(), *e.has_timestamps) << what;
    }
    if (e.timestamps && got.options.timestamps) {
        EXPECT_EQ(got.options.timestamps->echo_reply, e.timestamps->echo_reply) << what;
    }
    if (e.sack) {
        std::vector<std::pair<uint32_t, uint32_t>> blocks;
        for (size_t i = 0; i < got.options.sack_count; ++i)
            blocks.emplace_back(got.options.sack[i].left.raw - peer_iss, got.options.sack[i].right.raw - peer_iss);
        EXPECT_EQ(blocks, *e.sack) << what;
    }
}

std::vector<uint8_t> TcpScript::build_frame(const Seg& s) const {
    TcpSegment t = to_segment(s, our_iss_, peer_iss_, our_port, peer_port);
    size_t tcp_len = t.header_len() + t.payload.size();
    std::vector<uint8_t> frame(ethernet_field::header_len + Ipv4Header::len + tcp_len);
    MutBytes f{frame};
    emit_ethernet_header(f, stack.config().mac, peer_mac, EtherType::Ipv4);
    Ipv4Header ip{s.src_ip.value_or(peer_ip), stack.config().ip.address, IpProtocol::Tcp,
                  static_cast<uint16_t>(tcp_len)};
    ip.emit(f.subspan(ethernet_field::header_len));
    t.emit(f.subspan(ethernet_field::header_len + Ipv4Header::len), ip.pseudo_header());
    return frame;
}

void TcpScript::peer_sends(const Seg& s) {
    auto frame = build_frame(s);
    auto view = Ipv4View::parse(Bytes{frame}.subspan(ethernet_field::header_len));
    auto parsed = TcpSegment::parse_unchecked(view->payload());
    transcript += describe(*parsed, our_iss_, peer_iss_) + "\n";
    peer_sends_frame(std::move(frame));
}

void TcpScript::peer_sends_frame(std::vector<uint8_t> frame) {
    dev.to_stack.push_back(std::move(frame));
    stack.poll(now);
}

void TcpScript::advance(Duration d) {
    // Step through every deadline on the way, as a real event loop would.
    Instant end = now + d;
    for (int guard = 0; guard < 100000; ++guard) {
        auto at = stack.poll_at();
        if (!at || *at > end) break;
        now = std::max(now, *at);
        stack.poll(now);
    }
    now = end;
    stack.poll(now);
}

std::optional<TcpSegment> TcpScript::next_sent() {
    while (!dev.sent.empty()) {
        held_.push_back(std::move(dev.sent.front()));
        dev.sent.pop_front();
        Bytes frame{held_.back()};
        auto eth = EthernetView::parse(frame);
        if (!eth || eth->ethertype() != static_cast<uint16_t>(EtherType::Ipv4)) continue;
        auto ip = Ipv4View::parse(eth->payload());
        if (!ip || ip->protocol() != static_cast<uint8_t>(IpProtocol::Tcp)) continue;
        PseudoHeader ph{ip->src(), ip->dst(), 6, static_cast<uint16_t>(ip->payload().size())};
        auto t = TcpSegment::parse(ip->payload(), ph);
        EXPECT_TRUE(t.has_value()) << "the stack sent a TCP segment with a bad checksum";
        if (!t) continue;
        transcript += describe(*t, our_iss_, peer_iss_) + "\n";
        return *t;
    }
    return std::nullopt;
}

void TcpScript::expect_sent(const Seg& e, const char* file, int line) {
    SCOPED_TRACE(testing::Message() << "expect_sent at " << file << ":" << line << "\ntranscript:\n" << transcript);
    auto got = next_sent();
    ASSERT_TRUE(got.has_value()) << "expected a segment, the stack sent nothing";
    check_segment(e, *got, our_iss_, peer_iss_);
}

void TcpScript::expect_nothing(const char* file, int line) {
    SCOPED_TRACE(testing::Message() << "expect_nothing at " << file << ":" << line << "\ntranscript:\n" << transcript);
    auto got = next_sent();
    EXPECT_FALSE(got.has_value()) << "unexpected: " << (got ? describe(*got, our_iss_, peer_iss_) : "");
}

size_t TcpScript::write(SocketId id, Bytes data, const char* file, int line) {
    auto written = stack.write(id, data);
    EXPECT_TRUE(written.has_value()) << "write at " << file << ":" << line << ": " << to_string(written.error());
    return written.value_or(0);
}

SocketId TcpScript::establish(uint16_t peer_window, Duration handshake_rtt) {
    peer_sends(seg().syn().seq_(0).mss_(1460).win(peer_window));
    expect_sent(seg().syn().ack_(1).seq_(0));
    if (handshake_rtt > Duration{0}) advance(handshake_rtt);
    peer_sends(seg().ack_(1).seq_(1).win(peer_window));
    EXPECT_EQ(app.accepted.size(), 1u);
    return app.last;
}

TcpState TcpScript::state_of(SocketId id) const {
    auto i = stack.info(id);
    return i ? i->state : TcpState::Closed;
}

TcpState TcpScript::state() const { return state_of(app.last); }

TcpScript::~TcpScript() {
    if (!testing::Test::HasFailure()) return;
    while (next_sent()) {
    }  // what the stack sent that the test did not read belongs in the picture too
    std::cerr << "transcript of the failed test's TcpScript:\n" << transcript;
}

SocketId TcpScript::close_wait() {
    SocketId id = establish();
    peer_sends(seg().fin().ack_(1).seq_(1));
    expect_sent(seg().ack_(2).seq_(1));
    EXPECT_EQ(state_of(id), TcpState::CloseWait);
    return id;
}

SocketId TcpScript::last_ack() {
    SocketId id = close_wait();
    stack.close(id);
    poll();
    expect_sent(seg().fin().ack_(2).seq_(1));
    EXPECT_EQ(state_of(id), TcpState::LastAck);
    return id;
}

SocketId TcpScript::fin_wait_1() {
    SocketId id = establish();
    stack.close(id);
    poll();
    expect_sent(seg().fin().ack_(1).seq_(1));
    EXPECT_EQ(state_of(id), TcpState::FinWait1);
    return id;
}

SocketId TcpScript::fin_wait_2() {
    SocketId id = fin_wait_1();
    peer_sends(seg().ack_(2).seq_(1));
    EXPECT_EQ(state_of(id), TcpState::FinWait2);
    return id;
}

SocketId TcpScript::time_wait() {
    SocketId id = fin_wait_2();
    peer_sends(seg().fin().ack_(2).seq_(1));
    expect_sent(seg().ack_(2).seq_(2));
    EXPECT_EQ(state_of(id), TcpState::TimeWait);
    return id;
}

SocketId TcpScript::in_flight(uint32_t bytes, uint16_t peer_window) {
    SocketId id = establish(peer_window);
    std::string data(bytes, 'd');
    EXPECT_EQ(stack.write(id, as_bytes(data)).value(), bytes);
    poll();
    for (uint32_t sent = 0; sent < bytes;) {
        auto s = next_sent();
        EXPECT_TRUE(s.has_value()) << "in_flight: " << sent << " of " << bytes << " bytes sent";
        if (!s) break;
        EXPECT_EQ(rel_seq(s->seq), 1 + sent);
        sent += static_cast<uint32_t>(s->payload.size());
    }
    return id;
}

void TcpScript::peer_fills(uint32_t bytes) {
    uint32_t window = stack.config().tcp.receive_buffer;
    for (uint32_t at = 0; at < bytes;) {
        uint32_t n = std::min<uint32_t>(2048, bytes - at);
        char fill = static_cast<char>('a' + (at / 2048) % 26);  // 'a', 'b', ... a segment each
        peer_sends(seg().ack_(1).seq_(1 + at).data(std::string(n, fill)));
        at += n;
        Seg ack = seg().ack_(1 + at).seq_(1);
        if (at == window) ack.win(0);
        expect_sent(ack);
    }
}

}  // namespace tapstack::test
