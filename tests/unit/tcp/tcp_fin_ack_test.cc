// SPDX-License-Identifier: MIT
// A FIN that advances RCV.NXT is acknowledged at once, in every state where one can arrive (no
// delayed ACK: the peer's close should not wait 40 ms, and Linux does not make it), and a FIN
// sent again, an out-of-window segment or an unacceptable ACK is answered with an ACK (RFC 9293
// §3.10.7.4, within RFC 5961's limit). Every expectation follows the peer's segment at the same
// virtual instant: the harness does not move time unless a test says so.
#include "tests/support/tcp_script.hh"

namespace tapstack::test {
namespace {

// The server-first close after a request, as in the article: request, its ACK, then the response
// with our FIN on it (FIN-WAIT-1). L = 72, R = 167 as with curl and the built-in page.
SocketId answer_and_close(TcpScript& t) {
    SocketId id = t.establish();
    t.peer_sends(seg().ack_(1).seq_(1).psh().data(std::string(72, 'q')));
    t.expect_sent(seg().ack_(73).seq_(1));
    t.write(id, as_bytes(std::string(167, 'r')));
    t.stack.close(id);
    t.poll();
    t.expect_sent(seg().fin().psh().ack_(73).seq_(1).data(std::string(167, 'r')));
    return id;
}

TEST(TcpFinAck, InSynReceivedTheHandshakeAckCarryingAFinIsAcknowledgedAtOnce) {
    TcpScript t;
    t.peer_sends(seg().syn().seq_(0).mss_(1460));
    t.expect_sent(seg().syn().ack_(1).seq_(0));
    t.peer_sends(seg().fin().ack_(1).seq_(1));
    t.expect_sent(seg().ack_(2).seq_(1));
    t.expect_nothing();
    EXPECT_EQ(t.state_log, (std::vector<std::string>{"LISTEN->SYN-RECEIVED", "SYN-RECEIVED->ESTABLISHED",
                                                     "ESTABLISHED->CLOSE-WAIT"}));
}

TEST(TcpFinAck, InEstablishedAFinIsAcknowledgedAtOnce) {
    TcpScript t;
    SocketId id = t.close_wait();
    t.expect_nothing();
    EXPECT_EQ(t.state_of(id), TcpState::CloseWait);
}

TEST(TcpFinAck, InEstablishedAFinOnDataIsNotHeldByTheDelayedAck) {
    TcpScript t;
    SocketId id = t.establish();
    // Past the first 16 data segments, in-order data alone waits for the delayed ACK (40 ms)...
    for (uint32_t i = 0; i < 16; ++i) {
        t.peer_sends(seg().ack_(1).seq_(1 + i).data("d"));
        t.expect_sent(seg().ack_(2 + i).seq_(1));
    }
    t.peer_sends(seg().ack_(1).seq_(17).data("e"));
    t.expect_nothing();
    // ...but the FIN that follows it is acknowledged, with that data, at once.
    t.peer_sends(seg().fin().ack_(1).seq_(18).data("f"));
    t.expect_sent(seg().ack_(20).seq_(1));
    t.expect_nothing();
    EXPECT_EQ(t.state_of(id), TcpState::CloseWait);
}

TEST(TcpFinAck, InFinWait1AFinBeforeOurDataIsAckedGoesToClosingAndIsAcknowledgedAtOnce) {
    // The case: the client closes 20 ms after its request, before it has seen our
    // response (its ACK is still 1).
    TcpScript t;
    answer_and_close(t);
    t.advance(std::chrono::milliseconds{20});
    t.peer_sends(seg().fin().ack_(1).seq_(73));
    t.expect_sent(seg().ack_(74).seq_(169));
    t.expect_nothing();
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-1->CLOSING");
}

TEST(TcpFinAck, InFinWait1AFinThatAcknowledgesOurFinGoesToTimeWaitAndIsAcknowledgedAtOnce) {
    TcpScript t;
    answer_and_close(t);
    t.peer_sends(seg().fin().ack_(169).seq_(73));
    t.expect_sent(seg().ack_(74).seq_(169));
    t.expect_nothing();
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-2->TIME-WAIT");
}

TEST(TcpFinAck, InFinWait2AFinIsAcknowledgedAtOnce) {
    TcpScript t;
    answer_and_close(t);
    t.peer_sends(seg().ack_(169).seq_(73));
    t.expect_nothing();
    t.advance(std::chrono::milliseconds{20});
    t.peer_sends(seg().fin().ack_(169).seq_(73));
    t.expect_sent(seg().ack_(74).seq_(169));
    t.expect_nothing();
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-2->TIME-WAIT");
}

TEST(TcpFinAck, InCloseWaitARetransmittedFinIsAcknowledgedAgain) {
    TcpScript t;
    SocketId id = t.close_wait();
    t.peer_sends(seg().fin().ack_(1).seq_(1));  // our ACK was lost
    t.expect_sent(seg().ack_(2).seq_(1));
    EXPECT_EQ(t.state_of(id), TcpState::CloseWait);
}

TEST(TcpFinAck, InClosingARetransmittedFinIsAcknowledgedAgain) {
    TcpScript t;
    answer_and_close(t);
    t.peer_sends(seg().fin().ack_(1).seq_(73));
    t.expect_sent(seg().ack_(74).seq_(169));
    t.peer_sends(seg().fin().ack_(1).seq_(73));
    t.expect_sent(seg().ack_(74).seq_(169));
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-1->CLOSING");
}

TEST(TcpFinAck, InLastAckARetransmittedFinIsAcknowledgedAgain) {
    TcpScript t;
    SocketId id = t.close_wait();
    t.stack.close(id);
    t.poll();
    t.expect_sent(seg().fin().ack_(2).seq_(1));
    t.peer_sends(seg().fin().ack_(1).seq_(1));  // crossed our FIN: its ACK of our FIN is not there
    t.expect_sent(seg().ack_(2).seq_(2));
    EXPECT_EQ(t.state_log.back(), "CLOSE-WAIT->LAST-ACK");
}

TEST(TcpFinAck, InTimeWaitARetransmittedFinIsAcknowledgedAndRestartsTheTimer) {
    StackConfig config;
    config.tcp.set_msl(std::chrono::seconds{1});
    TcpScript t(0, 1000, config);
    answer_and_close(t);
    t.peer_sends(seg().fin().ack_(169).seq_(73));
    t.expect_sent(seg().ack_(74).seq_(169));
    t.advance(std::chrono::milliseconds{1500});
    t.peer_sends(seg().fin().ack_(169).seq_(73));
    t.expect_sent(seg().ack_(74).seq_(169));
    t.advance(std::chrono::milliseconds{1999});
    EXPECT_EQ(t.state_log.back(), "FIN-WAIT-2->TIME-WAIT");  // 2 MSL from the retransmitted FIN
    t.advance(std::chrono::milliseconds{1});
    EXPECT_EQ(t.state_log.back(), "TIME-WAIT->CLOSED");
}

TEST(TcpFinAck, DuplicateDataCarryingANewFinGetsOneAckForBoth) {
    TcpScript t;
    SocketId id = t.establish();
    t.peer_sends(seg().ack_(1).seq_(1).data("abc"));
    t.expect_sent(seg().ack_(4).seq_(1));
    // The peer did not get our ACK and sends the data again, now with its FIN.
    t.peer_sends(seg().fin().ack_(1).seq_(1).data("abc"));
    t.expect_sent(seg().ack_(5).seq_(1));
    t.expect_nothing();
    EXPECT_EQ(t.state_of(id), TcpState::CloseWait);
    EXPECT_EQ(t.app.received, "abc");
}

TEST(TcpFinAck, AFinAheadOfAHoleIsAcknowledgedWhenTheHoleIsFilled) {
    TcpScript t;
    SocketId id = t.establish();
    t.peer_sends(seg().fin().ack_(1).seq_(4).data("def"));
    t.expect_sent(seg().ack_(1).seq_(1));  // out of order: a duplicate ACK at once
    EXPECT_EQ(t.state_of(id), TcpState::Established);
    t.peer_sends(seg().ack_(1).seq_(1).data("abc"));
    t.expect_sent(seg().ack_(8).seq_(1));  // the data and the FIN, in one ACK
    t.expect_nothing();
    EXPECT_EQ(t.state_of(id), TcpState::CloseWait);
    EXPECT_EQ(t.app.received, "abcdef");
}

TEST(TcpFinAck, ABareFinInAZeroWindowIsAcceptedAndAcknowledged) {
    // The application reads nothing, the peer fills the window and closes: its FIN takes no
    // room, so it is accepted at RCV.NXT as Linux does (tcp_data_queue), instead of answered
    // with an ACK that does not cover it until the application reads.
    StackConfig config;
    config.tcp.receive_buffer = 4096;
    TcpScript t(0, 1000, config);
    t.app.auto_read = false;
    SocketId id = t.establish();
    t.peer_fills(4096);
    t.peer_sends(seg().fin().ack_(1).seq_(4097));
    t.expect_sent(seg().ack_(4098).seq_(1).win(0));
    t.expect_nothing();
    EXPECT_EQ(t.state_of(id), TcpState::CloseWait);
    EXPECT_EQ(t.stack.readable_bytes(id), 4096u);
}

TEST(TcpFinAck, DataInAZeroWindowIsStillRefusedWithAnAck) {
    StackConfig config;
    config.tcp.receive_buffer = 4096;
    TcpScript t(0, 1000, config);
    t.app.auto_read = false;
    SocketId id = t.establish();
    t.peer_fills(4096);
    t.peer_sends(seg().fin().ack_(1).seq_(4097).data("c"));  // data: no room, FIN not reached
    t.expect_sent(seg().ack_(4097).seq_(1).win(0));
    EXPECT_EQ(t.state_of(id), TcpState::Established);
}

TEST(TcpFinAck, AnAckForDataNeverSentIsAnsweredWithAnAck) {
    TcpScript t;
    SocketId id = t.establish();
    t.peer_sends(seg().ack_(500).seq_(1).data("x"));  // RFC 9293: send an ACK, drop the segment
    t.expect_sent(seg().ack_(1).seq_(1));
    EXPECT_EQ(t.app.received, "");
    EXPECT_EQ(t.state_of(id), TcpState::Established);
}

TEST(TcpFinAck, AnOutOfWindowFinIsAnsweredWithAnAckAndIgnored) {
    TcpScript t;
    SocketId id = t.establish();
    t.peer_sends(seg().fin().ack_(1).seq_(200000));
    t.expect_sent(seg().ack_(1).seq_(1));
    EXPECT_EQ(t.state_of(id), TcpState::Established);
}

TEST(TcpFinAck, InLastAckAnAckForDataNeverSentIsAnsweredWithAnAck) {
    TcpScript t;
    SocketId id = t.close_wait();
    t.stack.close(id);
    t.poll();
    t.expect_sent(seg().fin().ack_(2).seq_(1));
    t.peer_sends(seg().ack_(50).seq_(2));
    t.expect_sent(seg().ack_(2).seq_(2));
    EXPECT_EQ(t.state_log.back(), "CLOSE-WAIT->LAST-ACK");
}

}  // namespace
}  // namespace tapstack::test
