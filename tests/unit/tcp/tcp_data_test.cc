// SPDX-License-Identifier: MIT
// Data in both directions: immediate ACKs (the article's No10), segmentation by MSS and window,
// out-of-order reassembly, overlap trimming, window updates, zero-window probing.
#include "tests/support/tcp_script.hh"

namespace tapstack::test {

TEST(TcpEstablished, RequestIsAcknowledgedAtOnceAndDelivered) {
    TcpScript t;
    t.establish();
    std::string request(322, 'r');  // the article's GET was 322 bytes
    t.peer_sends(seg().ack_(1).seq_(1).psh().data(request));
    t.expect_sent(seg().ack_(323).seq_(1));  // No10: ACK 323
    EXPECT_EQ(t.app.received, request);
}

TEST(TcpEstablished, WriteIsSentWithPshAtSequenceOne) {
    TcpScript t;
    SocketId id = t.establish();
    t.write(id, as_bytes("HTTP/1.1 200 OK\r\n\r\n"));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("HTTP/1.1 200 OK\r\n\r\n"));
}

TEST(TcpEstablished, SendingStopsAtThePeerWindowAndResumesOnAck) {
    TcpScript t;
    SocketId id = t.establish(/*peer_window=*/3000);
    std::string data(5000, 'd');
    EXPECT_EQ(t.stack.write(id, as_bytes(data)).value(), 5000u);
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).data(std::string(1460, 'd')));
    // PSH: 2,920 bytes are more than half the peer's window since the last push (forced push).
    t.expect_sent(seg().ack_(1).seq_(1461).psh().data(std::string(1460, 'd')));
    t.expect_nothing();  // 80 bytes of window left: no silly small segment
    t.peer_sends(seg().ack_(2921).seq_(1).win(3000));
    t.expect_sent(seg().ack_(1).seq_(2921).data(std::string(1460, 'd')));
    t.expect_nothing();  // Nagle: the short tail waits while a full segment is unacknowledged
    t.peer_sends(seg().ack_(4381).seq_(1).win(3000));
    t.expect_sent(seg().ack_(1).seq_(4381).psh().data(std::string(620, 'd')));
}

TEST(TcpEstablished, OutOfOrderSegmentsAreReassembled) {
    TcpScript t;
    t.establish();
    t.peer_sends(seg().ack_(1).seq_(11).data("BBBBBBBBBB"));
    t.expect_sent(seg().ack_(1).seq_(1));  // duplicate ACK: still waiting for byte 1
    EXPECT_EQ(t.app.received, "");
    t.peer_sends(seg().ack_(1).seq_(21).data("CCCCC"));
    t.expect_sent(seg().ack_(1).seq_(1));
    t.peer_sends(seg().ack_(1).seq_(1).data("AAAAAAAAAA"));
    t.expect_sent(seg().ack_(26).seq_(1));
    EXPECT_EQ(t.app.received, "AAAAAAAAAABBBBBBBBBBCCCCC");
}

TEST(TcpEstablished, OverlappingAndDuplicateSegmentsAreTrimmed) {
    TcpScript t;
    t.establish();
    t.peer_sends(seg().ack_(1).seq_(1).data("hello"));
    t.expect_sent(seg().ack_(6).seq_(1));
    t.peer_sends(seg().ack_(1).seq_(1).data("hello"));  // a duplicate
    t.expect_sent(seg().ack_(6).seq_(1));
    t.peer_sends(seg().ack_(1).seq_(4).data("lo, world"));  // overlaps by two bytes
    t.expect_sent(seg().ack_(13).seq_(1));
    EXPECT_EQ(t.app.received, "hello, world");
}

TEST(TcpEstablished, FullReceiveBufferClosesTheWindowAndReadReopensIt) {
    StackConfig config;
    config.tcp.receive_buffer = 4096;
    TcpScript t(0, 1000, config);
    t.app.auto_read = false;
    SocketId id = t.establish();
    t.peer_sends(seg().ack_(1).seq_(1).data(std::string(1460, 'a')));
    t.expect_sent(seg().ack_(1461).seq_(1));
    t.peer_sends(seg().ack_(1).seq_(1461).data(std::string(1460, 'b')));
    t.expect_sent(seg().ack_(2921).seq_(1));
    t.peer_sends(seg().ack_(1).seq_(2921).data(std::string(1176, 'c')));
    t.expect_sent(seg().ack_(4097).seq_(1).win(0));
    uint8_t buf[4096];
    EXPECT_EQ(t.stack.read(id, MutBytes{buf, 3000}).value(), 3000u);
    t.poll();
    t.expect_sent(seg().ack_(4097).seq_(1).win(3000));  // the window update
}

// Linux's tcp_cleanup_rbuf: a read is followed by a window update only when the window we could
// announce now is at least twice what is left of the one announced, and that is at most half the
// buffer. A small read waits for the next ACK to carry the larger window.
TEST(TcpEstablished, ASmallReadSendsNoWindowUpdate) {
    StackConfig config;
    config.tcp.receive_buffer = 8192;
    TcpScript t(0, 1000, config);
    t.app.auto_read = false;
    SocketId id = t.establish();
    t.peer_fills(2048);  // 6,144 of 8,192 still announced
    uint8_t buf[2048];
    EXPECT_EQ(t.stack.read(id, MutBytes{buf, sizeof buf}).value(), 2048u);
    t.poll();
    t.expect_nothing();
}

TEST(TcpEstablished, AReadThatDoublesASmallWindowSendsAnUpdate) {
    StackConfig config;
    config.tcp.receive_buffer = 8192;
    TcpScript t(0, 1000, config);
    t.app.auto_read = false;
    SocketId id = t.establish();
    t.peer_fills(4096);  // half the buffer left
    uint8_t buf[4096];
    EXPECT_EQ(t.stack.read(id, MutBytes{buf, sizeof buf}).value(), 4096u);
    t.poll();
    t.expect_sent(seg().ack_(4097).seq_(1).win(8192));
}

TEST(TcpEstablished, ZeroWindowIsProbedAndSendingResumesWhenItOpens) {
    TcpScript t;
    SocketId id = t.establish();
    t.peer_sends(seg().ack_(1).seq_(1).win(0));
    t.write(id, as_bytes("waiting"));
    t.poll();
    t.expect_nothing();
    t.advance(200ms);                               // the persist timer starts at the RTO
    t.expect_sent(seg().ack_(1).seq_(0).data(""));  // a probe: the byte before SND.UNA, no data (Linux)
    t.peer_sends(seg().ack_(1).seq_(1).win(1000));
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("waiting"));
}

TEST(TcpEstablished, AckForDataNeverSentIsAnsweredAndIgnored) {
    TcpScript t;
    SocketId id = t.establish();
    t.write(id, as_bytes("abc"));
    t.poll();
    t.expect_sent(seg().ack_(1).seq_(1).psh().data("abc"));
    t.peer_sends(seg().ack_(500).seq_(1));
    t.expect_sent(seg().ack_(1).seq_(4));
    EXPECT_EQ(t.state_of(id), TcpState::Established);
}

}  // namespace tapstack::test
