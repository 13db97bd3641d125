// SPDX-License-Identifier: MIT
// TcpConnection alone, through ConnScript (no Stack, no ARP, no IPv4): the harness itself, and
// the article's conversation at the connection level, as a template for tests of one algorithm.
#include "tests/support/conn_script.hh"

namespace tapstack::test {
namespace {

TEST(TcpConnScript, PassiveOpenAnswersTheSynAndEstablishes) {
    ConnScript c;
    c.listen();
    c.peer_sends(seg().syn().seq_(0).mss_(1460));
    c.expect_sent(seg().syn().ack_(1).seq_(0).mss_(1460));
    c.expect_nothing();
    c.peer_sends(seg().ack_(1).seq_(1));
    EXPECT_EQ(c.state(), TcpState::Established);
    EXPECT_EQ(c.state_log, (std::vector<std::string>{"LISTEN->SYN-RECEIVED", "SYN-RECEIVED->ESTABLISHED"}));
    EXPECT_NE(c.events & TcpConnection::Accepted, 0);
}

// The article's GET: request (322 bytes) acknowledged at once, response (279) with PSH, the
// server's FIN after it, the client's FIN, our last ACK; then TIME-WAIT for 2 MSL.
TEST(TcpConnScript, TheArticlesConversationAtTheConnectionLevel) {
    ConnScript c;
    c.establish();
    c.peer_sends(seg().ack_(1).seq_(1).psh().data(std::string(322, 'r')));
    c.expect_sent(seg().ack_(323).seq_(1));
    EXPECT_EQ(c.read().size(), 322u);
    EXPECT_EQ(c.write(std::string(279, 'h')), 279u);
    c.expect_sent(seg().ack_(323).seq_(1).psh().data(std::string(279, 'h')));
    c.close();
    c.expect_sent(seg().fin().ack_(323).seq_(280));
    c.peer_sends(seg().ack_(281).seq_(323));
    EXPECT_EQ(c.state(), TcpState::FinWait2);
    c.peer_sends(seg().fin().ack_(281).seq_(323));
    c.expect_sent(seg().ack_(324).seq_(281));
    EXPECT_EQ(c.state(), TcpState::TimeWait);
    c.advance(59s);
    EXPECT_EQ(c.state(), TcpState::TimeWait);
    c.advance(1s);
    EXPECT_EQ(c.state(), TcpState::Closed);
    c.expect_nothing();
}

TEST(TcpConnScript, TimersRunInVirtualTime) {
    ConnScript c;
    c.establish();
    EXPECT_EQ(c.write("abc"), 3u);
    c.expect_sent(seg().ack_(1).seq_(1).psh().data("abc"));
    c.advance(199ms);
    c.expect_nothing();
    c.advance(1ms);  // the RTO from the handshake's sample (no time): 0 + 200 ms
    c.expect_sent(seg().ack_(1).seq_(1).psh().data("abc"));
    EXPECT_EQ(c.retransmissions, 1u);
    EXPECT_EQ(c.losses_by_timeout, 1u);
}

TEST(TcpConnScript, AnActiveOpenSendsItsSynWithOptions) {
    ConnScript c{ConnScript::Open::Active};
    c.connect();
    c.expect_sent(seg().syn().seq_(0).mss_(1460).sack_perm(true));
    EXPECT_EQ(c.state(), TcpState::SynSent);
    c.peer_sends(seg().syn().ack_(1).seq_(0).mss_(1460));
    c.expect_sent(seg().ack_(1).seq_(1));
    EXPECT_EQ(c.state(), TcpState::Established);
}

}  // namespace
}  // namespace tapstack::test
