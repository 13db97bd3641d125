// SPDX-License-Identifier: MIT
// ConnScript (see conn_script.hh): the TcpEnvironment a Stack would be, reduced to recording.
#include "tests/support/conn_script.hh"

#include <algorithm>
#include <iostream>

namespace tapstack::test {
namespace {

constexpr Ipv4Address our_ip = Ipv4Address::from_octets(10, 0, 0, 2);
constexpr Ipv4Address the_peer = Ipv4Address::from_octets(10, 0, 0, 1);
constexpr uint8_t tcp_protocol = 6;  // IPv4's protocol number for TCP

PseudoHeader pseudo_header(Ipv4Address src, Ipv4Address dst, size_t tcp_len) {
    return PseudoHeader{src, dst, tcp_protocol, static_cast<uint16_t>(tcp_len)};
}

}  // namespace

ConnScript::ConnScript(Open open, TcpSettings settings, uint32_t our_iss, uint32_t peer_iss)
    : our_iss_(our_iss),
      peer_iss_(peer_iss),
      settings_(settings),
      conn_(*this, settings_, FourTuple{our_ip, our_port, the_peer, peer_port}, SeqNum{our_iss},
            open == Open::Passive ? TcpState::Listen : TcpState::Closed) {}

ConnScript::~ConnScript() {
    if (!testing::Test::HasFailure()) return;
    while (next_sent()) {
    }
    std::cerr << "transcript of the failed test's ConnScript:\n" << transcript;
}

void ConnScript::listen() { EXPECT_EQ(conn_.state(), TcpState::Listen); }

void ConnScript::connect() {
    conn_.connect(now);
    conn_.dispatch(now);
}

void ConnScript::establish(uint16_t peer_window) {
    peer_sends(seg().syn().seq_(0).mss_(1460).win(peer_window));
    expect_sent(seg().syn().ack_(1).seq_(0));
    peer_sends(seg().ack_(1).seq_(1).win(peer_window));
    EXPECT_EQ(conn_.state(), TcpState::Established);
}

TcpSegment ConnScript::from_peer(const Seg& s) {
    // Through the wire format and back, as a frame would come: the checksum and options are real.
    TcpSegment t = to_segment(s, our_iss_, peer_iss_, our_port, peer_port);
    auto& bytes = held_.emplace_back(t.header_len() + t.payload.size());
    PseudoHeader ph = pseudo_header(the_peer, our_ip, bytes.size());
    t.emit(MutBytes{bytes}, ph);
    auto parsed = TcpSegment::parse(Bytes{bytes}, ph);
    EXPECT_TRUE(parsed.has_value()) << "the test's segment does not parse";
    return parsed ? *parsed : t;
}

void ConnScript::peer_sends(const Seg& s) {
    TcpSegment t = from_peer(s);
    transcript += describe(t, our_iss_, peer_iss_) + "\n";
    // LISTEN is the stack's business for a Stack; here a SYN to a listening TCB opens it.
    if (conn_.state() == TcpState::Listen) {
        if (t.syn() && !t.has_ack() && !t.rst()) conn_.accept_syn(t, now);
    } else {
        conn_.process(t, now);
    }
    conn_.dispatch(now);
}

void ConnScript::advance(Duration d) {
    Instant end = now + d;
    for (int guard = 0; guard < 100000; ++guard) {
        auto at = conn_.next_deadline();
        if (!at || *at > end) break;
        now = std::max(now, *at);
        conn_.on_timer(now);
        conn_.dispatch(now);
    }
    now = end;
}

size_t ConnScript::write(std::string_view data) {
    size_t n = conn_.write(as_bytes(data));
    conn_.dispatch(now);
    return n;
}

std::string ConnScript::read(size_t max) {
    std::vector<uint8_t> buffer(std::min(max, conn_.readable_bytes()));
    size_t n = conn_.read(MutBytes{buffer}, now);
    conn_.dispatch(now);
    return std::string(as_chars(Bytes{buffer}.first(n)));
}

void ConnScript::close() {
    conn_.close(now);
    conn_.dispatch(now);
}

void ConnScript::transmit(TcpConnection&, const TcpSegment& s, Instant) {
    auto& bytes = sent_.emplace_back(s.header_len() + s.payload_len());
    s.emit(MutBytes{bytes}, pseudo_header(our_ip, the_peer, bytes.size()));
}

void ConnScript::state_changed(TcpConnection&, TcpState from, TcpState to, std::string_view why, Instant) {
    state_log.push_back(std::string(to_string(from)) + "->" + std::string(to_string(to)));
    transcript += "    state " + std::string(to_string(from)) + " -> " + std::string(to_string(to)) + " (" +
                  std::string(why) + ")\n";
}

void ConnScript::post_event(TcpConnection& c) { events |= c.take_events(); }

std::optional<TcpSegment> ConnScript::next_sent() {
    if (sent_.empty()) return std::nullopt;
    held_.push_back(std::move(sent_.front()));
    sent_.pop_front();
    Bytes bytes{held_.back()};
    auto t = TcpSegment::parse(bytes, pseudo_header(our_ip, the_peer, bytes.size()));
    EXPECT_TRUE(t.has_value()) << "the connection sent a segment that does not parse (checksum, offsets)";
    if (t) transcript += describe(*t, our_iss_, peer_iss_) + "\n";
    return t.ok();
}

void ConnScript::expect_sent(const Seg& e, const char* file, int line) {
    SCOPED_TRACE(testing::Message() << "expect_sent at " << file << ":" << line << "\ntranscript:\n" << transcript);
    auto got = next_sent();
    ASSERT_TRUE(got.has_value()) << "expected a segment, the connection sent nothing";
    check_segment(e, *got, our_iss_, peer_iss_);
}

void ConnScript::expect_nothing(const char* file, int line) {
    SCOPED_TRACE(testing::Message() << "expect_nothing at " << file << ":" << line << "\ntranscript:\n" << transcript);
    auto got = next_sent();
    EXPECT_FALSE(got.has_value()) << "unexpected: " << (got ? describe(*got, our_iss_, peer_iss_) : "");
}

}  // namespace tapstack::test
