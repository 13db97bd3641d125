// SPDX-License-Identifier: MIT
// ConnScript: drives one TcpConnection alone, in virtual time, through a recording
// TcpEnvironment: no Ethernet, no ARP, no IPv4, no Stack. For tests of TCP itself (and of one
// algorithm swapped in), with TcpScript's segment builder (Seg), relative numbers and transcript.
// What the connection sends is emitted to bytes and parsed back, so every segment is also checked
// for a valid encoding. Like TcpScript, it prints its transcript when the test has failed.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "stack/tcp/tcp_connection.hh"
#include "tests/support/tcp_script.hh"

namespace tapstack::test {

class ConnScript : public TcpEnvironment {
public:
    static constexpr uint16_t our_port = 80;
    static constexpr uint16_t peer_port = 40000;

    // A passive open starts in LISTEN (as a Stack's listener would make it), an active one in
    // CLOSED. Our ISS is pinned to `our_iss`, the peer's to `peer_iss`, as in TcpScript.
    enum class Open { Passive, Active };
    explicit ConnScript(Open open = Open::Passive, TcpSettings settings = {}, uint32_t our_iss = 0,
                        uint32_t peer_iss = 1000);
    ~ConnScript() override;
    ConnScript(const ConnScript&) = delete;
    ConnScript& operator=(const ConnScript&) = delete;

    // Starting states, reached by real segments through the connection's entry points.
    void listen();                                 // Open::Passive: checks it waits in LISTEN
    void connect();                                // Open::Active: our SYN goes out (SYN-SENT)
    void establish(uint16_t peer_window = 64240);  // passive open: SYN, SYN,ACK, ACK

    // The peer sends `s`; the connection then sends whatever is due (dispatch).
    void peer_sends(const Seg& s);
    // Moves virtual time forward through every deadline on the way (on_timer, then dispatch).
    void advance(Duration d);
    // The application's calls, each followed by dispatch, as the stack does.
    size_t write(std::string_view data);
    std::string read(size_t max = 1 << 20);
    void close();

    // Takes the next segment the connection sent and compares it with `expected`.
    void expect_sent(const Seg& expected, const char* file = __builtin_FILE(), int line = __builtin_LINE());
    void expect_nothing(const char* file = __builtin_FILE(), int line = __builtin_LINE());
    std::optional<TcpSegment> next_sent();

    TcpConnection& conn() { return conn_; }
    TcpState state() const { return conn_.state(); }

    Instant now = Instant::from_ms(1000);
    std::string transcript;
    std::vector<std::string> state_log;  // "LISTEN->SYN-RECEIVED", ...
    uint8_t events = 0;                  // TcpConnection::Event bits posted and not yet taken
    uint32_t retransmissions = 0;        // TcpEnvironment::retransmitted() calls
    uint32_t losses_by_timeout = 0, losses_by_ack = 0;
    std::vector<DropReason> dropped;  // TcpEnvironment::segment_dropped() calls, in order

    // TcpEnvironment
    void transmit(TcpConnection&, const TcpSegment&, Instant now) override;
    void state_changed(TcpConnection&, TcpState from, TcpState to, std::string_view why, Instant now) override;
    void post_event(TcpConnection&) override;
    void retransmitted(TcpConnection&) override { ++retransmissions; }
    void loss_detected(TcpConnection&, bool by_timeout) override { ++(by_timeout ? losses_by_timeout : losses_by_ack); }
    void segment_dropped(TcpConnection&, DropReason reason) override { dropped.push_back(reason); }

private:
    TcpSegment from_peer(const Seg& s);
    uint32_t our_iss_, peer_iss_;
    TcpSettings settings_;  // the connection shares them (as a TcpTable's): declared before it
    TcpConnection conn_;
    std::deque<std::vector<uint8_t>> sent_;  // emitted TCP segments (header and payload)
    std::deque<std::vector<uint8_t>> held_;  // bytes behind segments handed out by next_sent()
};

}  // namespace tapstack::test
