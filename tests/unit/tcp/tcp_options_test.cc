// SPDX-License-Identifier: MIT
// The TCP extensions negotiated in the handshake: window scaling and timestamps (RFC 7323), SACK
// (RFC 2018). Each is used only when both SYNs carry it; one behaviour per test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/tcp_script.hh"

namespace tapstack::test {
namespace {

// A peer SYN offering everything, as Linux does.
Seg full_syn() { return seg().syn().seq_(0).mss_(1460).win(64240).ws(7).sack_perm().ts(5000, 0); }

TEST(TcpOptions, SynAckAnswersOnlyWhatThePeerOffered) {
    TcpScript t;
    t.peer_sends(seg().syn().seq_(0).mss_(1460).win(64240));
    t.expect_sent(seg().syn().ack_(1).seq_(0).mss_(1460).sack_perm(false).no_ts());
    TcpScript u;
    u.peer_sends(full_syn());
    // 64 KiB of receive buffer needs a shift of 1 for the 16-bit window field.
    u.expect_sent(seg().syn().ack_(1).seq_(0).mss_(1460).ws(1).sack_perm().ts(0, 5000));
}

TEST(TcpOptions, WindowInTheSynIsNotScaledButLaterWindowsAre) {
    TcpScript t;
    t.peer_sends(full_syn());
    auto synack = t.next_sent();
    ASSERT_TRUE(synack);
    EXPECT_EQ(synack->window, 65535);  // RFC 7323 §2.2: never scaled in a SYN
    t.peer_sends(seg().ack_(1).seq_(1).win(100).ts(5001, synack->options.timestamps->value));
    t.peer_sends(seg().ack_(1).seq_(1).win(100).psh().data("hello").ts(5002, synack->options.timestamps->value));
    auto ack = t.next_sent();
    ASSERT_TRUE(ack);
    // 65536 - 5 bytes free, announced in units of 2 bytes, never beyond what was offered.
    EXPECT_EQ(ack->window, (65536 - 5) / 2);
}

TEST(TcpOptions, AnnouncedWindowNeverExceedsTheBufferWhateverTheSequenceNumbers) {
    // Peer sequence numbers in the upper half of the space once exposed an uninitialised right
    // edge: the window announced after the handshake covered 128 KiB of a 64 KiB buffer.
    for (uint32_t peer_iss : {1000u, 0x7fffff00u, 0x90000000u, 0xfffffff0u}) {
        TcpScript t(0, peer_iss);
        t.peer_sends(full_syn());
        auto synack = t.next_sent();
        ASSERT_TRUE(synack);
        t.peer_sends(seg().ack_(1).seq_(1).psh().data("x").ts(5001, 0));
        auto ack = t.next_sent();
        ASSERT_TRUE(ack);
        EXPECT_LE(uint32_t{ack->window} << 1, 65536u) << "peer ISS " << peer_iss;
    }
}

TEST(TcpOptions, PeerWindowIsScaledByItsShift) {
    TcpScript t;
    t.peer_sends(full_syn());
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().ack_(1).seq_(1).win(10).ts(5001, 0));  // 10 << 7 = 1280 bytes
    std::string data(3000, 'w');
    t.write(t.app.last, as_bytes(data));
    t.poll();
    // Timestamps take 12 bytes of each segment: 1448 would fit the MSS, the window allows 1280.
    // (With PSH: the segment is more than half the peer's window, Linux's forced push.)
    t.expect_sent(seg().ack_(1).seq_(1).psh().data(std::string(1280, 'w')));
    t.expect_nothing();
}

TEST(TcpOptions, TimestampsShrinkTheDataInEachSegment) {
    TcpScript t;
    t.peer_sends(full_syn());
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().ack_(1).seq_(1).win(1000).ts(5001, 0));
    std::string data(3000, 'w');
    t.write(t.app.last, as_bytes(data));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).data(std::string(1448, 'w')).ts(0, 5001));
    t.expect_sent(seg().ack_(1).seq_(1449).data(std::string(1448, 'w')).ts(0, 5001));
}

TEST(TcpOptions, PawsDropsASegmentWithAnOlderTimestampAndAcknowledges) {
    TcpScript t;
    t.peer_sends(full_syn());
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().ack_(1).seq_(1).ts(6000, 0));
    t.peer_sends(seg().ack_(1).seq_(1).psh().data("new").ts(6001, 0));
    t.expect_sent(seg().ack_(1).seq_(1).ack_(4).ts(0, 6001));
    // An old duplicate from before a wrap: in window, but its timestamp is older than TS.Recent.
    t.peer_sends(seg().ack_(1).seq_(4).psh().data("old").ts(5999, 0));
    t.expect_sent(seg().ack_(1).seq_(1).ack_(4).ts(0, 6001));  // RFC 7323 §5.3 R1: ACK, drop
    EXPECT_EQ(t.app.received, "new");
}

TEST(TcpOptions, TsRecentFollowsTheSegmentsThatAdvanceTheWindow) {
    TcpScript t;
    t.peer_sends(full_syn());
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().ack_(1).seq_(1).ts(6000, 0));
    t.peer_sends(seg().ack_(1).seq_(1).psh().data("ab").ts(7000, 0));
    t.expect_sent(seg().ack_(1).seq_(1).ack_(3).ts(0, 7000));
    // A segment beyond a hole (SEG.SEQ > Last.ACK.sent) does not update TS.Recent.
    t.peer_sends(seg().ack_(1).seq_(10).psh().data("zz").ts(8000, 0));
    t.expect_sent(seg().ack_(1).ack_(3).ts(0, 7000));
}

TEST(TcpOptions, FinWithAnAckForDataNeverSentDoesNotUpdateTsRecent) {
    TcpScript t;
    t.peer_sends(full_syn());
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().ack_(1).seq_(1).ts(6000, 0));
    // In window, newer TSval, but SEG.ACK > SND.NXT: challenged and dropped (RFC 5961 §5.2), and
    // its TSval must not become TS.Recent.
    t.peer_sends(seg().fin().ack_(5000).seq_(1).ts(9000, 0));
    t.expect_sent(seg().ack_(1).seq_(1).ts(0, 6000));
    EXPECT_EQ(t.state(), TcpState::Established);
    // The next honest segment (TSval 6001 < 9000) is not taken for an old duplicate by PAWS.
    t.peer_sends(seg().ack_(1).seq_(1).psh().data("req").ts(6001, 0));
    t.expect_sent(seg().ack_(4).seq_(1).ts(0, 6001));
    EXPECT_EQ(t.app.received, "req");
}

TEST(TcpOptions, AnOldButAcceptableAckDoesNotUpdateTsRecent) {
    // Linux (tcp_ack: an ACK below SND.UNA goes to old_ack, past tcp_replace_ts_recent) keeps
    // TS.Recent when the ACK field is older than one already taken, even if the segment's
    // data is accepted: a reordered segment's TSval is not echoed.
    TcpScript t;
    t.peer_sends(full_syn());
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().ack_(1).seq_(1).ts(6000, 0));
    std::string data = "abcd";
    t.write(t.app.last, as_bytes(data));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("abcd").ts(0, 6000));
    t.peer_sends(seg().ack_(5).seq_(1).ts(6001, 0));
    t.expect_nothing();
    // In window, at RCV.NXT, newer TSval, but its ACK (3) is below SND.UNA (5).
    t.peer_sends(seg().ack_(3).seq_(1).psh().data("xy").ts(7000, 0));
    t.expect_sent(seg().ack_(3).seq_(5).ts(0, 6001));
    EXPECT_EQ(t.app.received, "xy");
}

TEST(TcpOptions, ForgedInWindowSegmentWithAHugeTsvalCannotStopHonestTraffic) {
    TcpScript t;
    t.peer_sends(full_syn());
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().ack_(1).seq_(1).ts(6000, 0));
    t.peer_sends(seg().ack_(1).seq_(1).data("aaaa").ts(6001, 0));
    t.expect_sent(seg().ack_(5).seq_(1).ts(0, 6001));
    // A blind attacker guessed a sequence number in the window, not an acceptable ACK: TSval
    // almost 2^31 ahead would make every later honest segment look older than TS.Recent.
    t.peer_sends(seg().ack_(0x80000000u).seq_(5).data("evil").ts(6001 + 0x7ffffff0u, 0));
    t.expect_sent(seg().ack_(5).seq_(1).ts(0, 6001));
    for (uint32_t i = 0; i < 3; ++i) {
        t.peer_sends(seg().ack_(1).seq_(5 + 4 * i).data("bbbb").ts(6002 + i, 0));
        t.expect_sent(seg().ack_(9 + 4 * i).seq_(1).ts(0, 6002 + i));
    }
    EXPECT_EQ(t.app.received, "aaaabbbbbbbbbbbb");
    EXPECT_EQ(t.state(), TcpState::Established);
}

// Linux's tcp_send_active_reset: an RST that a connection sends on its own (abort, close with
// unread data, keep-alive giving up) carries the ACK bit and the timestamps it negotiated; TSecr
// is TS.Recent, as RFC 7323 §3.2 asks of a segment with ACK.
TEST(TcpOptions, AnAbortedConnectionSendsItsRstWithTimestamps) {
    TcpScript t;
    t.peer_sends(full_syn());
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().ack_(1).seq_(1).ts(6000, 0));
    t.stack.abort(t.app.last);
    t.poll();
    t.expect_sent(seg().rst().ack_(1).seq_(1).ts(0, 6000));
}

// Linux's tcp_v4_send_reset: an RST that answers a segment nobody takes has no options.
TEST(TcpOptions, AnRstForASegmentWithNoConnectionHasNoTimestamps) {
    TcpScript t;
    t.peer_sends(seg().ack_(1).seq_(1).ts(6000, 0));
    t.expect_sent(seg().rst().seq_(1).no_ts());
}

// Linux (tcp_sendmsg's forced_push, tcp_mark_push) sets PSH once more than half the peer's
// largest window has gone since the last PSH, so a long write is pushed as it goes, not only at
// its end.
TEST(TcpOptions, PshMarksEachHalfOfThePeersWindowInALongWrite) {
    TcpScript t;
    SocketId id = t.establish(10000);
    std::string data(20000, 'w');
    t.write(id, as_bytes(data));
    t.poll();
    std::vector<bool> psh;
    while (auto s = t.next_sent()) psh.push_back((s->flags & tcp_flag::psh) != 0);
    // 1460-byte segments: the fourth ends 5,840 bytes after the last push (more than 5,000).
    EXPECT_EQ(psh, (std::vector<bool>{false, false, false, true, false, false}));
}

// A passive open times its SYN,ACK by the timestamp the ACK echoes (RFC 7323 §4), whatever the
// connection's TSval offset (RFC 7323 §5.4, a hash of the ISS). The check that skips echoes from
// before our last retransmission compared with 0 when nothing had been retransmitted, so for
// every offset in the upper half of the clock (about half of all connections) no sample was
// taken and the RTO stayed at its initial 1 s.
TEST(TcpOptions, TheHandshakeIsTimedByTheEchoedTimestampWhateverTheClockOffset) {
    for (uint32_t iss = 0; iss < 8; ++iss) {
        TcpScript t(iss);
        t.peer_sends(full_syn());
        auto synack = t.next_sent();
        ASSERT_TRUE(synack && synack->options.timestamps) << "ISS " << iss;
        t.advance(std::chrono::milliseconds{10});
        t.peer_sends(seg().ack_(1).seq_(1).ts(5010, synack->options.timestamps->value));
        ASSERT_EQ(t.state(), TcpState::Established);
        auto info = t.stack.info(t.app.last);
        ASSERT_TRUE(info);
        EXPECT_LT(info->rto, std::chrono::seconds{1}) << "ISS " << iss << ": the 10 ms echo gave no RTT sample";
    }
}

TEST(TcpOptions, SackBlocksDescribeTheHolesMostRecentFirst) {
    TcpScript t;
    t.peer_sends(full_syn());
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().ack_(1).seq_(1).ts(6000, 0));
    t.peer_sends(seg().ack_(1).seq_(1).data("aaaa").ts(6001, 0));
    t.expect_sent(seg().ack_(1).ack_(5));
    t.peer_sends(seg().ack_(1).seq_(9).data("cccc").ts(6002, 0));  // 5..8 missing
    t.expect_sent(seg().ack_(1).ack_(5).sacks({{9, 13}}));
    t.peer_sends(seg().ack_(1).seq_(17).data("eeee").ts(6003, 0));  // 13..16 missing too
    t.expect_sent(seg().ack_(1).ack_(5).sacks({{17, 21}, {9, 13}}));
    t.peer_sends(seg().ack_(1).seq_(13).data("dddd").ts(6004, 0));  // joins the two blocks
    t.expect_sent(seg().ack_(1).ack_(5).sacks({{9, 21}}));
    t.peer_sends(seg().ack_(1).seq_(5).data("bbbb").ts(6005, 0));  // fills the hole
    t.expect_sent(seg().ack_(1).ack_(21).sacks({}));
    EXPECT_EQ(t.app.received, "aaaabbbbccccddddeeee");
}

TEST(TcpOptions, WithoutSackPermittedNoBlocksAreSent) {
    TcpScript t;
    t.establish();
    t.peer_sends(seg().ack_(1).seq_(1).data("aaaa"));
    t.expect_sent(seg().ack_(1).ack_(5));
    t.peer_sends(seg().ack_(1).seq_(9).data("cccc"));
    t.expect_sent(seg().ack_(1).ack_(5).sacks({}));
}

TEST(TcpOptions, ActiveOpenOffersEverythingAndUsesWhatTheSynAckGives) {
    TcpScript t;
    RecordingApp client(t.stack);
    auto id = t.stack.connect(Ipv4Address::from_octets(10, 0, 0, 1), 8080, client);
    ASSERT_TRUE(id.has_value());
    t.poll();
    auto syn = t.next_sent();
    ASSERT_TRUE(syn);
    EXPECT_TRUE(syn->syn());
    EXPECT_EQ(syn->options.mss, 1460);
    EXPECT_EQ(syn->options.window_scale, 1);
    EXPECT_TRUE(syn->options.sack_permitted);
    ASSERT_TRUE(syn->options.timestamps);
    EXPECT_EQ(syn->options.timestamps->echo_reply, 0u);
}

}  // namespace
}  // namespace tapstack::test
