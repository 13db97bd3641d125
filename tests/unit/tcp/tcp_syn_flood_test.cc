// SPDX-License-Identifier: MIT
// SYN floods: past StackConfig::max_half_open connections in SYN-RECEIVED, SYNs are answered
// with SYN cookies and no state; an honest client that completes the handshake still gets its
// connection (and its data), a forged ACK does not, and a flood costs no memory.
#include "tests/support/tcp_script.hh"

namespace tapstack::test {
namespace {

StackConfig small_backlog() {
    StackConfig c;
    c.max_half_open = 2;
    return c;
}

// Two SYNs from other ports of the peer that never complete: the backlog is full.
void fill_backlog(TcpScript& t) {
    for (uint16_t port : {uint16_t{41000}, uint16_t{41001}}) {
        Seg s = seg().syn().seq_(0).mss_(1460).win(64240);
        s.src_port = port;
        t.peer_sends(s);
    }
}

// A SYN offering everything, as Linux's does.
Seg full_syn() { return seg().syn().seq_(0).mss_(1460).win(64240).ws(7).sack_perm().ts(5000, 0); }

// The client's ACK to a cookie's SYN,ACK: ack = the cookie + 1, TSecr = the SYN,ACK's TSval.
Seg cookie_ack(const TcpSegment& synack, uint32_t tsval = 5001) {
    Seg ack = seg().seq_(1).ts(tsval, synack.options.timestamps ? synack.options.timestamps->value : 0);
    ack.ack = synack.seq.raw + 1;  // relative to our ISS 0: the cookie itself + 1
    ack.flags |= tcp_flag::ack;
    return ack;
}

TEST(TcpSynFlood, PastTheHalfOpenLimitASynGetsACookieWithEveryOptionItOffered) {
    TcpScript t(0, 1000, small_backlog());
    fill_backlog(t);
    EXPECT_EQ(t.stack.connection_count(), 2u);
    t.dev.sent.clear();
    t.peer_sends(full_syn());
    auto synack = t.next_sent();
    ASSERT_TRUE(synack);
    EXPECT_TRUE(synack->syn() && synack->has_ack());
    EXPECT_EQ(t.rel_ack(synack->ack), 1u);
    // What a SYN,ACK with state answers (tcp_options_test: SynAckAnswersOnlyWhatThePeerOffered).
    EXPECT_EQ(synack->options.mss, 1460);
    EXPECT_EQ(synack->options.window_scale, 1);
    EXPECT_TRUE(synack->options.sack_permitted);
    ASSERT_TRUE(synack->options.timestamps);
    EXPECT_EQ(synack->options.timestamps->echo_reply, 5000u);
    // Linux's layout of the TSval's low 6 bits: the peer's window scale, then SACK-permitted.
    EXPECT_EQ(synack->options.timestamps->value & 0x3f, 7u | 0x10u);
    EXPECT_EQ(t.stack.connection_count(), 2u);  // no TCB for it
    EXPECT_EQ(t.stack.stats().tcp_syn_cookies_sent, 1u);
}

TEST(TcpSynFlood, ACookieForASynWithoutTimestampsOffersTheMssAlone) {
    // Without a TSval there is nowhere to keep window scale and SACK (docs/design.md).
    TcpScript t(0, 1000, small_backlog());
    fill_backlog(t);
    t.dev.sent.clear();
    t.peer_sends(seg().syn().seq_(0).mss_(1460).win(64240).ws(7).sack_perm());
    auto synack = t.next_sent();
    ASSERT_TRUE(synack);
    EXPECT_EQ(synack->options.mss, 1460);
    EXPECT_FALSE(synack->options.window_scale);
    EXPECT_FALSE(synack->options.sack_permitted);
    EXPECT_FALSE(synack->options.timestamps);
    Seg ack = cookie_ack(*synack);
    ack.timestamps.reset();
    ack.has_timestamps.reset();
    t.peer_sends(ack);
    ASSERT_EQ(t.app.accepted.size(), 1u);
    auto info = t.stack.info(t.app.last);
    ASSERT_TRUE(info);
    EXPECT_FALSE(info->timestamps);
    EXPECT_FALSE(info->sack);
}

// The ACK that proves a cookie echoes the SYN,ACK's TSval: it times the handshake, as on a normal
// connection (and in Linux), so the RTO does not stay at its initial 1 s.
TEST(TcpSynFlood, ACookieConnectionTimesItsHandshakeByTheEchoedTimestamp) {
    TcpScript t(0, 1000, small_backlog());
    fill_backlog(t);
    t.dev.sent.clear();
    t.peer_sends(full_syn());
    auto synack = t.next_sent();
    ASSERT_TRUE(synack && synack->options.timestamps);
    t.advance(std::chrono::milliseconds{10});
    t.peer_sends(cookie_ack(*synack));
    ASSERT_EQ(t.app.accepted.size(), 1u);
    auto info = t.stack.info(t.app.last);
    ASSERT_TRUE(info);
    EXPECT_LT(info->rto, std::chrono::seconds{1});
}

TEST(TcpSynFlood, ACookieConnectionUsesWindowScaleSackAndTimestamps) {
    TcpScript t(0, 1000, small_backlog());
    fill_backlog(t);
    t.dev.sent.clear();
    t.peer_sends(full_syn());
    auto synack = t.next_sent();
    ASSERT_TRUE(synack);
    t.peer_sends(cookie_ack(*synack).win(100));  // 100 << 7 = 12,800 bytes
    ASSERT_EQ(t.app.accepted.size(), 1u);
    SocketId id = t.app.last;
    EXPECT_EQ(t.stack.stats().tcp_syn_cookies_accepted, 1u);
    auto info = t.stack.info(id);
    ASSERT_TRUE(info);
    EXPECT_TRUE(info->timestamps);
    EXPECT_TRUE(info->sack);
    // Window scale: the peer's window is 12,800 bytes, not 100. Timestamps: 12 bytes of each
    // segment, so 1448 of data; and every segment echoes the peer's TSval. (Our ISS is the
    // cookie, not the script's 0: sequence numbers here are relative to it by hand.)
    const uint32_t iss = synack->seq.raw;
    t.stack.set_nodelay(id, true);
    t.write(id, as_bytes(std::string(20000, 'c')));
    t.poll();
    for (uint32_t i = 0; i < 8; ++i) {
        auto d = t.next_sent();
        ASSERT_TRUE(d) << "segment " << i;
        EXPECT_EQ(d->seq.raw - iss, 1 + i * 1448);
        EXPECT_EQ(d->payload_len(), 1448u);
        ASSERT_TRUE(d->options.timestamps);
        EXPECT_EQ(d->options.timestamps->echo_reply, 5001u);
    }
    t.expect_nothing();  // 8 * 1448 = 11,584: a ninth would not fit the window whole
    // SACK: data beyond a hole is reported in our ACK. Our window is scaled by 2 (64 KiB buffer).
    t.peer_sends(seg().ack_(iss + 1).seq_(1001).win(100).data(std::string(10, 'p')).ts(5002, 0));
    auto ack = t.next_sent();
    ASSERT_TRUE(ack);
    EXPECT_EQ(t.rel_ack(ack->ack), 1u);
    ASSERT_EQ(ack->options.sack_count, 1u);
    EXPECT_EQ(t.rel_ack(ack->options.sack[0].left), 1001u);
    EXPECT_EQ(t.rel_ack(ack->options.sack[0].right), 1011u);
    EXPECT_EQ(ack->window, 65535 / 2);  // the SYN,ACK's 65,535 bytes, in units of 2
    // The peer's SACK blocks drive our recovery as on any connection: three segments SACKed
    // above a hole resend it at once, with no timeout.
    uint32_t tsecr = ack->options.timestamps->value;
    t.peer_sends(seg().ack_(iss + 1449).seq_(1).win(100).sacks({{iss + 2897, iss + 7241}}).ts(5003, tsecr));
    auto resent = t.next_sent();
    ASSERT_TRUE(resent);
    EXPECT_EQ(resent->seq.raw - iss, 1449u);
    EXPECT_EQ(resent->payload_len(), 1448u - 12);  // our SACK block for the peer's 10 bytes: 12 more
    EXPECT_EQ(t.stack.stats().tcp_fast_recoveries, 1u);
    EXPECT_EQ(t.stack.stats().tcp_timeouts, 0u);
}

TEST(TcpSynFlood, ACookieConnectionsTimestampsNeverRunBackwards) {
    // The cookie's TSval is the connection's TS clock with options in its low 6 bits, rounded
    // down: whatever the clock's own low bits were, what follows is never older (RFC 7323 §5.4).
    for (int phase = 0; phase < 64; ++phase) {
        TcpScript t(0, 1000, small_backlog());
        t.now = t.now + std::chrono::milliseconds{phase};
        fill_backlog(t);
        t.dev.sent.clear();
        t.peer_sends(full_syn());
        auto synack = t.next_sent();
        ASSERT_TRUE(synack);
        uint32_t cookie_ts = synack->options.timestamps->value;
        t.peer_sends(cookie_ack(*synack).data("GET /"));  // at once: the clock has not moved
        auto ack = t.next_sent();
        ASSERT_TRUE(ack && ack->options.timestamps) << "phase " << phase;
        int32_t step = static_cast<int32_t>(ack->options.timestamps->value - cookie_ts);
        EXPECT_GE(step, 0) << "phase " << phase;
        EXPECT_LT(step, 64) << "phase " << phase;  // and never more than the bits it rounded off
    }
}

TEST(TcpSynFlood, AnAckWhoseTsecrWasAlteredGetsARst) {
    // The option bits are inside the cookie's hash: a TSecr that claims other options is forged.
    TcpScript t(0, 1000, small_backlog());
    fill_backlog(t);
    t.dev.sent.clear();
    t.peer_sends(full_syn());
    auto synack = t.next_sent();
    ASSERT_TRUE(synack);
    Seg ack = cookie_ack(*synack);
    ack.timestamps->echo_reply ^= 0x10;  // "no SACK"
    t.peer_sends(ack);
    EXPECT_TRUE(t.app.accepted.empty());
    auto rst = t.next_sent();
    ASSERT_TRUE(rst);
    EXPECT_TRUE(rst->rst());
    EXPECT_EQ(t.stack.stats().tcp_syn_cookies_accepted, 0u);
}

TEST(TcpSynFlood, TimestampsInTheAckOfACookieThatOfferedNoneAreIgnored) {
    // RFC 7323 §3.2: a TSopt on a connection that did not negotiate it is ignored, not refused.
    TcpScript t(0, 1000, small_backlog());
    fill_backlog(t);
    t.dev.sent.clear();
    t.peer_sends(seg().syn().seq_(0).mss_(1460).win(64240).ws(7).sack_perm());
    auto synack = t.next_sent();
    ASSERT_TRUE(synack);
    Seg ack = cookie_ack(*synack);
    ack.timestamps->echo_reply = 0x17;  // what a cookie with window scale 7 and SACK would hold
    t.peer_sends(ack);
    ASSERT_EQ(t.app.accepted.size(), 1u);
    auto info = t.stack.info(t.app.last);
    ASSERT_TRUE(info);
    EXPECT_FALSE(info->timestamps);
    EXPECT_FALSE(info->sack);
}

TEST(TcpSynFlood, AnHonestClientCompletesWithItsCookieAndItsDataArrives) {
    TcpScript t(0, 1000, small_backlog());
    fill_backlog(t);
    t.dev.sent.clear();
    t.peer_sends(seg().syn().seq_(0).mss_(1200).win(64240));
    auto synack = t.next_sent();
    ASSERT_TRUE(synack);
    // The client's ACK (ack = cookie + 1) with its request on it.
    Seg ack = seg().seq_(1).data("GET / HTTP/1.1\r\n\r\n").psh();
    ack.ack = synack->seq.raw + 1;  // relative to our ISS 0: the cookie itself + 1
    ack.flags |= tcp_flag::ack;
    t.peer_sends(ack);
    ASSERT_EQ(t.app.accepted.size(), 1u);
    EXPECT_EQ(t.app.received, "GET / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(t.stack.stats().tcp_syn_cookies_accepted, 1u);
    EXPECT_EQ(t.state_of(t.app.last), TcpState::Established);
    // Our segments use the MSS the cookie encoded (1024: the largest in its table <= 1200).
    std::string big(3000, 'b');
    t.stack.set_nodelay(t.app.last, true);
    t.write(t.app.last, as_bytes(big));
    t.poll();
    std::optional<TcpSegment> s;
    size_t largest = 0;
    while ((s = t.next_sent())) largest = std::max(largest, s->payload_len());
    EXPECT_EQ(largest, 1024u);
}

TEST(TcpSynFlood, AnAckWithAForgedCookieGetsARst) {
    TcpScript t(0, 1000, small_backlog());
    fill_backlog(t);
    t.peer_sends(seg().syn().seq_(0).mss_(1460).win(64240));  // a cookie is out there now
    t.dev.sent.clear();
    Seg forged = seg().seq_(1).data("x");
    forged.ack = 0x12345679u;
    forged.flags |= tcp_flag::ack;
    t.peer_sends(forged);
    EXPECT_TRUE(t.app.accepted.empty());
    auto rst = t.next_sent();
    ASSERT_TRUE(rst);
    EXPECT_TRUE(rst->rst());
}

TEST(TcpSynFlood, AThousandSynsCostNoMoreThanTheHalfOpenLimit) {
    StackConfig c;
    c.max_half_open = 64;
    TcpScript t(0, 1000, c);
    for (uint16_t i = 0; i < 1000; ++i) {
        Seg s = seg().syn().seq_(i * 7u).mss_(1460).win(64240);
        s.src_port = static_cast<uint16_t>(20000 + i);
        t.peer_sends(s);
    }
    EXPECT_EQ(t.stack.connection_count(), 64u);
    EXPECT_EQ(t.stack.stats().tcp_syn_cookies_sent, 936u);
    // No amplification: one SYN,ACK per SYN (and their retransmissions come later, only for
    // the 64 with state).
    EXPECT_EQ(t.sent_count(), 1000u);
    // Meanwhile an honest client on the usual port connects through a cookie.
    t.dev.sent.clear();
    t.peer_sends(seg().syn().seq_(0).mss_(1460).win(64240));
    auto synack = t.next_sent();
    ASSERT_TRUE(synack);
    Seg ack = seg().seq_(1);
    ack.ack = synack->seq.raw + 1;
    ack.flags |= tcp_flag::ack;
    t.peer_sends(ack);
    EXPECT_EQ(t.app.accepted.size(), 1u);
}

// ---------------------------------------------------------------- half-open connections expire

// An address on our link that nobody answers ARP for (a spoofed source).
Ipv4Address silent(uint32_t i) { return Ipv4Address::from_octets(10, 0, 0, static_cast<uint8_t>(100 + i)); }

TEST(TcpHalfOpen, GivesUpSilentlyAfterFiveSynAckRetransmissions) {
    TcpScript t;
    const Instant start = t.now;
    t.peer_sends(seg().syn().seq_(0).mss_(1460));
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    // Linux's schedule (tcp_synack_retries = 5): again after 1, 3, 7, 15 and 31 s.
    for (int s : {1, 3, 7, 15, 31}) {
        t.advance(start + std::chrono::seconds{s} - t.now);
        t.expect_sent(seg().syn().ack_(1).seq_(0));
        EXPECT_EQ(t.stack.connection_count(), 1u);
    }
    t.advance(start + std::chrono::milliseconds{62999} - t.now);
    t.expect_nothing();
    EXPECT_EQ(t.stack.connection_count(), 1u);
    t.advance(std::chrono::milliseconds{1});
    t.expect_nothing();  // no RST: the peer never answered
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_TRUE(t.app.accepted.empty());
    EXPECT_TRUE(t.app.closed.empty());  // the application never saw it
}

TEST(TcpHalfOpen, SpoofedSynsFromSilentAddressesLeaveTheTableWhenArpGivesUp) {
    StackConfig c;
    c.max_half_open = 16;
    TcpScript t(0, 1000, c);
    // One honest half-open connection from the peer we know (10.0.0.1)...
    Seg honest = seg().syn().seq_(0).mss_(1460);
    honest.src_port = 30000;
    t.peer_sends(honest);
    // ...and a flood from 20 addresses on the link that nobody answers ARP for.
    for (uint16_t i = 0; i < 40; ++i) {
        Seg s = seg().syn().seq_(i * 7u).mss_(1460).from(silent(i % 20));
        s.src_port = static_cast<uint16_t>(20000 + i);
        t.peer_sends(s);
    }
    EXPECT_EQ(t.stack.connection_count(), 16u);
    EXPECT_EQ(t.stack.stats().tcp_syn_cookies_sent, 25u);
    // ARP asks each address at 0, 1 and 2 s and gives up at 3 s: their half-open connections go
    // with it, their queued SYN,ACKs too.
    t.advance(std::chrono::milliseconds{2999});
    EXPECT_EQ(t.stack.connection_count(), 16u);
    t.advance(std::chrono::milliseconds{1});
    EXPECT_EQ(t.stack.connection_count(), 1u) << "only the honest one is left";
    EXPECT_GT(t.stack.stats().drops(DropReason::ArpUnresolved), 0u);
    EXPECT_TRUE(t.app.accepted.empty());
    EXPECT_TRUE(t.app.closed.empty());
    // The next client gets a connection with state and every option it asked for, not a cookie.
    t.dev.sent.clear();
    t.peer_sends(seg().syn().seq_(0).mss_(1460).ws(7).sack_perm().ts(5, 0));
    t.expect_sent(seg().syn().ack_(1).seq_(0).mss_(1460).ws(1).sack_perm().ts(0, 5));
    EXPECT_EQ(t.stack.stats().tcp_syn_cookies_sent, 25u);
    EXPECT_EQ(t.stack.connection_count(), 2u);
}

TEST(TcpHalfOpen, ArpFailureEndsAlsoThoseWhoseSynAckFoundTheArpQueueFull) {
    StackConfig c;
    c.max_half_open = 64;
    TcpScript t(0, 1000, c);
    // 40 SYNs from one silent address: 16 SYN,ACKs wait for ARP, 24 find its queue full and are
    // never sent at all. Every one of the 40 is still a half-open connection.
    for (uint16_t i = 0; i < 40; ++i) {
        Seg s = seg().syn().seq_(i * 7u).mss_(1460).from(silent(0));
        s.src_port = static_cast<uint16_t>(20000 + i);
        t.peer_sends(s);
    }
    EXPECT_EQ(t.stack.connection_count(), 40u);
    EXPECT_EQ(t.stack.stats().drops(DropReason::ArpQueueFull), 24u);
    t.advance(std::chrono::seconds{3});
    EXPECT_EQ(t.stack.connection_count(), 0u);
}

}  // namespace
}  // namespace tapstack::test

namespace tapstack::test {
namespace {

TEST(TcpBufferMemory, NewWindowsShrinkWhenTheStackWideBudgetIsSpent) {
    StackConfig c;
    c.max_buffer_memory = 100 * 1024;
    TcpScript t(0, 1000, c);
    t.app.auto_read = false;  // nobody reads: what arrives stays buffered
    t.establish();
    std::string chunk(1000, 'm');
    for (uint32_t i = 0; i < 64; ++i) t.peer_sends(seg().ack_(1).seq_(1 + i * 1000).data(chunk));
    EXPECT_GE(t.stack.stats().buffer_memory, 64u * 1000);
    t.dev.sent.clear();
    // A second connection is offered only what is left of the budget, not a whole 64 KiB.
    Seg syn = seg().syn().seq_(0).mss_(1460).win(64240);
    syn.src_port = 40001;
    t.peer_sends(syn);
    auto synack = t.next_sent();
    ASSERT_TRUE(synack);
    EXPECT_LE(synack->window, 100u * 1024 - 64 * 1024);
    EXPECT_GT(synack->window, 0u);
    // A third, once the budget is gone, gets a zero window: it may connect, but not send.
    Seg ack = seg().ack_(1).seq_(1);
    ack.src_port = 40001;
    t.peer_sends(ack);
    for (uint32_t i = 0; i < 40; ++i) {
        Seg d = seg().ack_(1).seq_(1 + i * 1000).data(chunk);
        d.src_port = 40001;
        t.peer_sends(d);
    }
    t.dev.sent.clear();
    syn.src_port = 40002;
    t.peer_sends(syn);
    synack = t.next_sent();
    ASSERT_TRUE(synack);
    EXPECT_EQ(synack->window, 0u);
    EXPECT_LE(t.stack.stats().buffer_memory, 100u * 1024 + 64 * 1024);  // the budget, plus what was promised
}

TEST(TcpBufferMemory, FreedWhenConnectionsGo) {
    TcpScript t;
    t.app.auto_read = false;
    SocketId id = t.establish();
    t.peer_sends(seg().ack_(1).seq_(1).data(std::string(3000, 'x')));
    EXPECT_GT(t.stack.stats().buffer_memory, 0u);
    t.stack.abort(id);
    t.poll();
    EXPECT_EQ(t.stack.stats().buffer_memory, 0u);
}

}  // namespace
}  // namespace tapstack::test
