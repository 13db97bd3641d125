// SPDX-License-Identifier: MIT
// Closing: the article's server-first close through FIN-WAIT-1/2 and TIME-WAIT, the client-first
// close through CLOSE-WAIT and LAST-ACK, simultaneous close (CLOSING), resets, and TIME-WAIT
// reuse by a new SYN.
#include "tests/support/tcp_script.hh"

namespace tapstack::test {

TEST(TcpClose, ServerFirstCloseFollowsTheArticle) {
    StackConfig config;
    config.tcp.set_msl(std::chrono::seconds{1});
    TcpScript t(0, 1000, config);
    SocketId id = t.establish();
    t.peer_sends(seg().ack_(1).seq_(1).psh().data(std::string(322, 'q')));
    t.expect_sent(seg().ack_(323).seq_(1));  // No10
    t.write(id, as_bytes(std::string(279, 'r')));
    t.stack.close(id);
    t.poll();
    // No11 and No12 in one segment: the FIN rides on the end of the response.
    t.expect_sent(seg().fin().psh().ack_(323).seq_(1).data(std::string(279, 'r')));
    t.peer_sends(seg().ack_(281).seq_(323));  // No13
    t.expect_nothing();
    t.peer_sends(seg().fin().ack_(281).seq_(323));  // No14
    t.expect_sent(seg().ack_(324).seq_(281));       // No16
    EXPECT_EQ(t.state_log,
              (std::vector<std::string>{"LISTEN->SYN-RECEIVED", "SYN-RECEIVED->ESTABLISHED", "ESTABLISHED->FIN-WAIT-1",
                                        "FIN-WAIT-1->FIN-WAIT-2", "FIN-WAIT-2->TIME-WAIT"}));
    EXPECT_EQ(t.stack.connection_count(), 1u);
    t.advance(1999ms);
    EXPECT_EQ(t.stack.connection_count(), 1u);
    t.advance(1ms);  // 2 * MSL
    EXPECT_EQ(t.state_log.back(), "TIME-WAIT->CLOSED");
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_TRUE(t.app.closed.empty());  // the application closed it itself: no on_closed
}

TEST(TcpClose, ClientFirstCloseGoesThroughCloseWaitAndLastAck) {
    TcpScript t;
    SocketId id = t.close_wait();
    EXPECT_EQ(t.state_of(id), TcpState::CloseWait);
    EXPECT_TRUE(t.app.saw_eof);
    t.stack.close(id);
    t.poll();
    t.expect_sent(seg().fin().ack_(2).seq_(1));
    EXPECT_EQ(t.state_of(id), TcpState::LastAck);
    t.peer_sends(seg().ack_(2).seq_(2));
    t.expect_nothing();
    EXPECT_EQ(t.state_log.back(), "LAST-ACK->CLOSED");
    EXPECT_EQ(t.stack.connection_count(), 0u);
}

TEST(TcpClose, SimultaneousCloseGoesThroughClosing) {
    StackConfig config;
    config.tcp.set_msl(std::chrono::seconds{1});
    TcpScript t(0, 1000, config);
    t.fin_wait_1();
    t.peer_sends(seg().fin().ack_(1).seq_(1));  // crossed: does not acknowledge our FIN
    t.expect_sent(seg().ack_(2).seq_(2));
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-1->CLOSING");
    t.peer_sends(seg().ack_(2).seq_(2));
    EXPECT_EQ(t.state_log.back(), "CLOSING->TIME-WAIT");
    t.advance(2s);
    EXPECT_EQ(t.state_log.back(), "TIME-WAIT->CLOSED");
}

TEST(TcpClose, FinAfterAllDataWasSentGoesAlone) {
    TcpScript t;
    SocketId id = t.establish();
    t.write(id, as_bytes("data"));
    t.poll();
    t.expect_sent(seg().psh().ack_(1).seq_(1).data("data"));
    t.stack.close(id);
    t.poll();
    t.expect_sent(seg().fin().ack_(1).seq_(5));
}

TEST(TcpClose, LostDataWithFinIsRetransmittedTogether) {
    TcpScript t;
    SocketId id = t.establish();
    t.write(id, as_bytes("bye"));
    t.stack.close(id);
    t.poll();
    t.expect_sent(seg().fin().psh().ack_(1).seq_(1).data("bye"));
    t.advance(200ms);  // the RTO after a handshake of no time: 0 + 200 ms
    t.expect_sent(seg().fin().psh().ack_(1).seq_(1).data("bye"));
    t.expect_nothing();
    t.peer_sends(seg().ack_(5).seq_(1));
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-1->FIN-WAIT-2");
}

TEST(TcpClose, FinIsRetransmittedUntilAcknowledged) {
    TcpScript t;
    t.fin_wait_1();
    t.advance(1s);
    t.expect_sent(seg().fin().ack_(1).seq_(1));
    t.peer_sends(seg().ack_(2).seq_(1));
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-1->FIN-WAIT-2");
}

TEST(TcpClose, RetransmittedFinInTimeWaitIsAcknowledgedAgain) {
    TcpScript t;
    t.fin_wait_1();
    t.peer_sends(seg().fin().ack_(2).seq_(1));
    t.expect_sent(seg().ack_(2).seq_(2));
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-2->TIME-WAIT");
    t.peer_sends(seg().fin().ack_(2).seq_(1));  // our ACK was lost
    t.expect_sent(seg().ack_(2).seq_(2));
}

// Found by tcp_pair_fuzz: the peer kept writing into a connection our application had closed;
// the data filled a receive buffer nobody reads, and the peer probed the zero window for ever.
TEST(TcpClose, NewDataAfterTheApplicationClosedIsAnsweredWithRst) {
    TcpScript t;
    t.fin_wait_2();
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-1->FIN-WAIT-2");
    t.peer_sends(seg().ack_(2).seq_(1).data("more"));
    t.expect_sent(seg().rst().seq_(2));
    t.expect_nothing();
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-2->CLOSED");
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_TRUE(t.app.closed.empty());  // the application closed it itself: no on_closed
}

TEST(TcpClose, DataReadBeforeCloseAndSentAgainIsOnlyAcknowledged) {
    TcpScript t;
    SocketId id = t.establish();
    t.peer_sends(seg().ack_(1).seq_(1).data("abc"));
    t.expect_sent(seg().ack_(4).seq_(1));
    EXPECT_EQ(t.app.received, "abc");
    t.stack.close(id);
    t.poll();
    t.expect_sent(seg().fin().ack_(4).seq_(1));
    t.peer_sends(seg().ack_(1).seq_(1).data("abc"));  // our ACK was lost: nothing new
    t.expect_sent(seg().ack_(4).seq_(2));
    EXPECT_EQ(t.state_of(id), TcpState::FinWait1);
}

TEST(TcpReset, RstAtRcvNxtClosesAndTellsTheApplication) {
    TcpScript t;
    SocketId id = t.establish();
    t.peer_sends(seg().rst().seq_(1));
    t.expect_nothing();
    ASSERT_EQ(t.app.closed.size(), 1u);
    EXPECT_EQ(t.app.closed[0].first, id);
    EXPECT_EQ(t.app.closed[0].second, CloseReason::Reset);
    EXPECT_EQ(t.stack.connection_count(), 0u);
}

TEST(TcpReset, InWindowRstNotAtRcvNxtGetsAChallengeAck) {
    TcpScript t;
    SocketId id = t.establish();
    t.peer_sends(seg().rst().seq_(100));
    t.expect_sent(seg().ack_(1).seq_(1));  // RFC 5961 §3.2
    EXPECT_EQ(t.state_of(id), TcpState::Established);
}

TEST(TcpReset, OutOfWindowRstIsIgnored) {
    TcpScript t;
    SocketId id = t.establish();
    t.peer_sends(seg().rst().seq_(1000000));
    t.expect_nothing();
    EXPECT_EQ(t.state_of(id), TcpState::Established);
}

TEST(TcpReset, SynInEstablishedGetsAChallengeAck) {
    TcpScript t;
    SocketId id = t.establish();
    t.peer_sends(seg().syn().seq_(500));
    t.expect_sent(seg().ack_(1).seq_(1));
    EXPECT_EQ(t.state_of(id), TcpState::Established);
}

TEST(TcpReset, OutOfWindowDataIsAnsweredWithAnAck) {
    TcpScript t;
    t.establish();
    t.peer_sends(seg().ack_(1).seq_(200000).data("far away"));
    t.expect_sent(seg().ack_(1).seq_(1));
    EXPECT_EQ(t.app.received, "");
}

TEST(TcpReset, AbortSendsRst) {
    TcpScript t;
    SocketId id = t.establish();
    t.stack.abort(id);
    t.poll();
    t.expect_sent(seg().rst().ack_(1).seq_(1));
    EXPECT_EQ(t.stack.connection_count(), 0u);
}

TEST(TcpTimeWait, NewSynWithHigherSequenceReusesTheTuple) {
    TcpScript t;
    t.fin_wait_1();
    t.peer_sends(seg().fin().ack_(2).seq_(1));
    t.expect_sent(seg().ack_(2).seq_(2));
    ASSERT_EQ(t.state_log.back(), "FIN-WAIT-2->TIME-WAIT");
    // RFC 9293 §3.10.7.4 / RFC 6191: the client recycles its port with a higher ISN.
    t.peer_sends(seg().syn().seq_(100000));
    auto synack = t.next_sent();
    ASSERT_TRUE(synack);
    EXPECT_EQ(synack->flags, tcp_flag::syn | tcp_flag::ack);
    EXPECT_EQ(t.rel_ack(synack->ack), 100001u);
    EXPECT_EQ(t.state_log.back(), "LISTEN->SYN-RECEIVED");
}

TEST(TcpTimeWait, OldSynGetsNoNewConnection) {
    TcpScript t;
    t.fin_wait_1();
    t.peer_sends(seg().fin().ack_(2).seq_(1));
    t.expect_sent(seg().ack_(2).seq_(2));
    t.peer_sends(seg().syn().seq_(0));  // an old duplicate
    t.expect_sent(seg().ack_(2).seq_(2));
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-2->TIME-WAIT");
}

TEST(TcpClose, CloseWithUnreadDataSendsRst) {
    TcpScript t;
    t.app.auto_read = false;
    SocketId id = t.establish();
    t.peer_sends(seg().ack_(1).seq_(1).data("unread"));
    t.expect_sent(seg().ack_(7).seq_(1));
    t.stack.close(id);
    t.poll();
    t.expect_sent(seg().rst().ack_(7).seq_(1));  // RFC 2525 §2.17
}

// Found by tcp_pair_fuzz: in CLOSE-WAIT, close() moved to LAST-ACK first, and abort() sends no
// RST from LAST-ACK, so the peer waited in FIN-WAIT-2 for a FIN that never came.
TEST(TcpClose, CloseWithUnreadDataInCloseWaitSendsRst) {
    TcpScript t;
    t.app.auto_read = false;
    SocketId id = t.establish();
    t.peer_sends(seg().fin().ack_(1).seq_(1).data("unread"));
    t.expect_sent(seg().ack_(8).seq_(1));
    EXPECT_EQ(t.state_of(id), TcpState::CloseWait);
    t.stack.close(id);
    t.poll();
    t.expect_sent(seg().rst().ack_(8).seq_(1));
    t.expect_nothing();
    EXPECT_EQ(t.state_log.back(), "CLOSE-WAIT->CLOSED");
    EXPECT_EQ(t.stack.connection_count(), 0u);
}

}  // namespace tapstack::test

namespace tapstack::test {

TEST(TcpTimeWait, FullTableEvictsTheOldestTimeWaitForANewClient) {
    StackConfig config;
    config.max_connections = 2;
    TcpScript t(0, 1000, config);
    // Two connections closed by the server: both sit in TIME-WAIT and fill the table.
    for (uint16_t port : {uint16_t{40001}, uint16_t{40002}}) {
        Seg syn = seg().syn().seq_(0);
        syn.src_port = port;
        t.peer_sends(syn);
        t.next_sent();
        Seg ack = seg().ack_(1).seq_(1);
        ack.src_port = port;
        t.peer_sends(ack);
        t.stack.close(t.app.last);
        t.poll();
        t.next_sent();  // our FIN
        Seg fin = seg().fin().ack_(2).seq_(1);
        fin.src_port = port;
        t.peer_sends(fin);
        t.next_sent();  // our ACK
    }
    EXPECT_EQ(t.stack.connection_count(), 2u);
    Seg syn = seg().syn().seq_(0);
    syn.src_port = 40003;
    t.peer_sends(syn);
    auto synack = t.next_sent();
    ASSERT_TRUE(synack);
    EXPECT_EQ(synack->flags, tcp_flag::syn | tcp_flag::ack);  // admitted, not dropped
    EXPECT_EQ(t.stack.connection_count(), 2u);
}

TEST(TcpListen, FullTableOfLiveConnectionsDropsNewSyns) {
    StackConfig config;
    config.max_connections = 1;
    TcpScript t(0, 1000, config);
    t.establish();
    Seg syn = seg().syn().seq_(0);
    syn.src_port = 40009;
    t.peer_sends(syn);
    t.expect_nothing();
    EXPECT_EQ(t.stack.stats().drops(DropReason::TcpTableFull), 1u);
}

}  // namespace tapstack::test

namespace tapstack::test {

TEST(TcpChallengeAck, AtMostTenPerSecondPerConnection) {
    TcpScript t;
    t.establish();
    // Blind RSTs in the window but not at RCV.NXT: each earns a challenge ACK, up to the limit.
    for (uint32_t i = 0; i < 25; ++i) t.peer_sends(seg().rst().seq_(100 + i));
    size_t acks = 0;
    while (auto s = t.next_sent()) acks += s->has_ack() && !s->rst();
    EXPECT_EQ(acks, 10u);
    EXPECT_EQ(t.stack.stats().tcp_challenge_acks_suppressed, 15u);
    EXPECT_EQ(t.state(), TcpState::Established);  // none of them reset it
    t.advance(std::chrono::seconds{1});
    t.peer_sends(seg().syn().seq_(5000));  // a new second: a SYN in ESTABLISHED is answered again
    t.expect_sent(seg().ack_(1).seq_(1));
}

TEST(TcpChallengeAck, AnAckOlderThanTheLargestWindowIsChallenged) {
    TcpScript t;
    SocketId id = t.establish(/*peer_window=*/1000);
    std::string data(3000, 'w');
    t.write(id, as_bytes(data));
    t.poll();
    while (t.next_sent()) {
    }
    t.peer_sends(seg().ack_(1001).seq_(1).win(1000));
    while (t.next_sent()) {
    }
    // SND.UNA is 1001, the largest window 1000: an ACK below 1 is too old to be real.
    t.peer_sends(seg().ack_(0xffff0000u).seq_(1).data("x"));
    t.expect_sent(seg().ack_(1).seq_(2001));  // the challenge (no data taken)
    EXPECT_EQ(t.app.received, "");
}

}  // namespace tapstack::test

namespace tapstack::test {

TEST(TcpClose, ClosingAHalfOpenConnectionStillResendsItsSynAck) {
    // Shutdown (close_all) with a connection in SYN-RECEIVED: it goes to FIN-WAIT-1 with its SYN
    // unacknowledged, and the retransmission timer must resend the SYN,ACK (it once read the
    // send ring at a negative offset and crashed the process).
    TcpScript t;
    t.peer_sends(seg().syn().seq_(0).mss_(1460).win(64240));
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.stack.close_all();
    t.poll();
    while (t.next_sent()) {
    }
    t.advance(std::chrono::seconds{1});
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().ack_(1).seq_(1));  // the handshake completes late: our FIN follows
    t.advance(std::chrono::seconds{3});
    bool fin = false;
    while (auto s = t.next_sent()) fin = fin || s->fin();
    EXPECT_TRUE(fin);
}

}  // namespace tapstack::test

namespace tapstack::test {

// TcpTable::check_no_connection_is_stuck() runs after every poll() of every test, unless
// the unit tests were built with NDEBUG: then it would be silently gone.
TEST(StackDebugChecks, TheStuckConnectionCheckIsCompiledIntoTheUnitTests) {
#ifdef NDEBUG
    ADD_FAILURE() << "unit tests built with NDEBUG: no check that every connection has a deadline";
#endif
}

TEST(TcpClose, FinWait2EndsSilentlyWhenThePeerNeverSendsItsFin) {
    // The application has closed, the peer acknowledged our FIN and then went away: no timer
    // would ever move the connection on (the stack's debug check caught it), so it waits as long
    // as TIME-WAIT would (Linux's tcp_fin_timeout, 60 s with the default MSL) and goes.
    StackConfig config;
    config.tcp.set_msl(std::chrono::seconds{5});
    TcpScript t(0, 1000, config);
    t.fin_wait_2();
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-1->FIN-WAIT-2");
    t.advance(9999ms);
    EXPECT_EQ(t.stack.connection_count(), 1u);
    t.advance(1ms);
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-2->CLOSED");
    EXPECT_EQ(t.stack.connection_count(), 0u);
    t.expect_nothing();  // no RST, as Linux
    EXPECT_TRUE(t.app.closed.empty());
}

TEST(TcpClose, AFinInFinWait2StillLeadsToTimeWaitAfterTheTimerWasArmed) {
    StackConfig config;
    config.tcp.set_msl(std::chrono::seconds{5});
    TcpScript t(0, 1000, config);
    t.fin_wait_2();
    t.advance(9s);
    t.peer_sends(seg().fin().ack_(2).seq_(1));
    t.expect_sent(seg().ack_(2).seq_(2));
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-2->TIME-WAIT");
    t.advance(2s);  // past the FIN-WAIT-2 deadline: TIME-WAIT's own timer rules now
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-2->TIME-WAIT");
    t.advance(8s);
    EXPECT_EQ(t.state_log.back(), "TIME-WAIT->CLOSED");
}

}  // namespace tapstack::test
