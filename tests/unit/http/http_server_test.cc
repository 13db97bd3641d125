// SPDX-License-Identifier: MIT
// HttpServer end to end in virtual time: a client Stack and the server's Stack joined by an
// in-memory Ethernet wire, with no TAP and no root. Checks what only the socket glue can get
// wrong: the server closing first, keep-alive and request timeouts, slowloris, streaming a big file
// through the send buffer, pipelining under backpressure, resets and stalled readers.
#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "apps/http/http_server.hh"
#include "stack/observer.hh"
#include "stack/stack.hh"

namespace tapstack {
namespace {

namespace fs = std::filesystem;

// One end of a point-to-point Ethernet: what it transmits, the other end receives.
class WireEnd : public NetDev {
public:
    std::optional<size_t> receive(MutBytes buffer, Instant) override {
        if (inbox.empty()) return std::nullopt;
        std::vector<uint8_t> frame = std::move(inbox.front());
        inbox.pop_front();
        size_t n = std::min(frame.size(), buffer.size());
        std::copy_n(frame.begin(), n, buffer.begin());
        return n;
    }
    void transmit(Bytes frame, Instant) override { peer->inbox.emplace_back(frame.begin(), frame.end()); }

    WireEnd* peer = nullptr;
    std::deque<std::vector<uint8_t>> inbox;
};

// An HTTP client as bare as `nc`: writes what it is given, keeps everything it reads.
class TestClient : public SocketHandler {
public:
    TestClient(Stack& stack, const Instant& now) : stack_(stack), now_(now) {}

    void connect() { id = *stack_.connect(Ipv4Address::from_octets(10, 0, 0, 2), 80, *this); }
    void send(std::string_view bytes) {
        pending_ += bytes;
        pump();
    }
    void set_reading(bool on) {
        reading_ = on;
        if (on) on_readable(id);
    }

    void on_connected(SocketId) override { pump(); }
    void on_readable(SocketId s) override {
        if (!reading_) return;
        uint8_t buf[8192];
        while (size_t n = stack_.read(s, MutBytes{buf, sizeof buf}).value_or(0))
            received.append(reinterpret_cast<char*>(buf), n);
        if (!eof && stack_.peer_closed(s)) {
            eof = true;
            eof_at = now_;
        }
    }
    void on_writable(SocketId) override { pump(); }
    void on_closed(SocketId, CloseReason r) override { closed = r; }

    SocketId id;
    std::string received;
    bool eof = false;
    Instant eof_at;
    std::optional<CloseReason> closed;

private:
    void pump() {
        size_t n = stack_.write(id, as_bytes(pending_)).value_or(0);
        pending_.erase(0, n);
    }
    Stack& stack_;
    const Instant& now_;
    std::string pending_;
    bool reading_ = true;
};

StackConfig client_config() {
    StackConfig c;
    c.mac = MacAddress{{0x02, 0, 0, 0, 0, 0x01}};
    c.ip = Ipv4Cidr{Ipv4Address::from_octets(10, 0, 0, 1), 24};
    c.fixed_iss = 5000;
    return c;
}

StackConfig server_config() {
    StackConfig c;
    c.fixed_iss = 0;
    return c;
}

// The client, the wire, the server stack and the HTTP server, all on one virtual clock.
struct Net {
    explicit Net(HttpConfig config = {})
        : server_stack(server_config(), server_end),
          client_stack(client_config(), client_end),
          server(server_stack, std::move(config)),
          client(client_stack, now) {
        server_end.peer = &client_end;
        client_end.peer = &server_end;
        EXPECT_TRUE(server.start(80).has_value());
    }

    // Runs everything until `now + d`, jumping from one deadline to the next.
    void run_for(Duration d) {
        Instant end = now + d;
        for (size_t guard = 0; guard < 5'000'000; ++guard) {
            client_stack.poll(now);
            server_stack.poll(now);
            server.poll(now);
            if (!server_end.inbox.empty() || !client_end.inbox.empty()) continue;
            auto next = earliest(earliest(client_stack.poll_at(), server_stack.poll_at()), server.poll_at());
            if (next && *next <= now) continue;
            if (!next || *next > end) {
                now = end;
                client_stack.poll(now);
                server_stack.poll(now);
                server.poll(now);
                return;
            }
            now = *next;
        }
        FAIL() << "the network never went quiet";
    }

    // Connects, sends `request`, and runs for `d`.
    void request(std::string_view r, Duration d = std::chrono::seconds{1}) {
        client.connect();
        client.send(r);
        run_for(d);
    }

    Instant now = Instant::from_ms(1000);
    WireEnd server_end, client_end;
    Stack server_stack, client_stack;
    HttpServer server;
    TestClient client;
};

HttpConfig keep_alive(uint32_t seconds) {
    HttpConfig c;
    c.keep_alive_seconds = seconds;
    return c;
}

size_t count(std::string_view haystack, std::string_view needle) {
    size_t n = 0;
    for (size_t at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + 1)) ++n;
    return n;
}

constexpr std::string_view get_slash = "GET / HTTP/1.1\r\nHost: 10.0.0.2\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n";

// The server side's TCP state changes, as "FROM->TO".
class StateLog : public ConnectionObserver {
public:
    void on_state_change(Instant, const FourTuple&, TcpState from, TcpState to, std::string_view) override {
        changes.push_back(fmt::format("{}->{}", to_string(from), to_string(to)));
    }
    std::vector<std::string> changes;
};

TEST(HttpServer, AnswersAndClosesFirstLikeTheArticle) {
    Net net;
    StateLog states;
    net.server_stack.set_observer(&states);
    net.request(get_slash);
    EXPECT_EQ(net.client.received,
              "HTTP/1.1 200 OK\r\nServer: tapstack\r\nContent-Length: 13\r\n"
              "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nHello World!\n");
    EXPECT_TRUE(net.client.eof) << "the server sends its FIN first";
    EXPECT_FALSE(net.client.closed) << "with FIN, not RST";
    EXPECT_EQ(net.server.connection_count(), 0u);
    EXPECT_EQ(net.server.stats().connections_accepted, 1u);
    EXPECT_EQ(net.server.stats().connections_closed, 1u);
    EXPECT_EQ(net.server.stats().responses, 1u);
    // Then the client closes too (as curl does), and the server is the one left in TIME-WAIT.
    net.client_stack.close(net.client.id);
    net.run_for(std::chrono::seconds{1});
    EXPECT_EQ(states.changes,
              (std::vector<std::string>{"LISTEN->SYN-RECEIVED", "SYN-RECEIVED->ESTABLISHED", "ESTABLISHED->FIN-WAIT-1",
                                        "FIN-WAIT-1->FIN-WAIT-2", "FIN-WAIT-2->TIME-WAIT"}));
    net.server_stack.set_observer(nullptr);
}

TEST(HttpServer, DateHeaderUsesTheTimeGivenToPoll) {
    HttpConfig c;
    c.wall_clock_offset = std::chrono::seconds{784111777} - std::chrono::seconds{1};  // now starts at 1 s
    Net net{c};
    net.run_for(std::chrono::milliseconds{1});
    net.request(get_slash);
    EXPECT_NE(net.client.received.find("\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"), std::string::npos)
        << net.client.received;
}

TEST(HttpServer, KeepAliveConnectionServesRequestsThenClosesWhenIdle) {
    Net net{keep_alive(5)};
    net.request(get_slash);
    EXPECT_EQ(count(net.client.received, "HTTP/1.1 200 OK"), 1u);
    net.client.send(get_slash);
    Instant second = net.now;
    net.run_for(std::chrono::milliseconds{4900});
    EXPECT_EQ(count(net.client.received, "HTTP/1.1 200 OK"), 2u);
    EXPECT_EQ(count(net.client.received, "Connection: keep-alive"), 2u);
    EXPECT_FALSE(net.client.eof);
    EXPECT_EQ(net.server.connection_count(), 1u);
    net.run_for(std::chrono::milliseconds{200});
    EXPECT_TRUE(net.client.eof);
    EXPECT_EQ(net.client.eof_at - second, std::chrono::seconds{5});
    EXPECT_EQ(net.server.stats().idle_timeouts, 1u);
    EXPECT_EQ(net.server.connection_count(), 0u);
}

TEST(HttpServer, ClientClosingAnIdleConnectionIsFollowedByOurClose) {
    Net net{keep_alive(30)};
    net.request(get_slash);
    net.client_stack.close(net.client.id);
    net.run_for(std::chrono::seconds{1});
    EXPECT_EQ(net.server.connection_count(), 0u);
    EXPECT_EQ(net.server.stats().connections_closed, 1u);
}

TEST(HttpServer, ConnectionThatSendsNothingIsClosedAfterTheRequestTimeout) {
    Net net;
    net.client.connect();
    net.run_for(std::chrono::milliseconds{29900});
    EXPECT_FALSE(net.client.eof);
    net.run_for(std::chrono::milliseconds{200});
    EXPECT_TRUE(net.client.eof);
    EXPECT_EQ(net.client.received, "") << "no 408 to a client that never spoke";
    EXPECT_EQ(net.server.stats().request_timeouts, 1u);
}

TEST(HttpServer, SlowlorisGets408ThirtySecondsAfterConnecting) {
    HttpConfig c;
    c.keep_alive_seconds = 5;
    Net net{c};
    net.client.connect();
    net.run_for(std::chrono::milliseconds{10});
    Instant start = net.now;
    std::string drip = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(60, 'a');  // 46 s at 2 a second
    for (char c1 : drip) {
        if (net.client.eof) break;
        net.client.send(std::string_view{&c1, 1});
        net.run_for(std::chrono::milliseconds{500});
    }
    ASSERT_TRUE(net.client.eof);
    EXPECT_LE(net.client.eof_at - start, std::chrono::seconds{30});
    EXPECT_GE(net.client.eof_at - start, std::chrono::milliseconds{29900});
    EXPECT_EQ(net.client.received.substr(0, 28), "HTTP/1.1 408 Request Timeout");
}

TEST(HttpServer, PipelinedRequestsUnderBackpressureAreAllAnsweredInOrder) {
    std::string dir = (fs::temp_directory_path() / "tapstack-http-server-XXXXXX").string();
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    {
        std::ofstream(fs::path{dir} / "a.bin") << std::string(100'000, 'a');
        std::ofstream(fs::path{dir} / "b.txt") << "bbb";
    }
    HttpConfig c = keep_alive(5);
    c.root = dir;
    Net net{c};
    std::string requests;
    for (int i = 0; i < 40; ++i) {
        requests += i % 2 == 0 ? "GET /a.bin HTTP/1.1\r\nHost: x\r\n\r\n" : "GET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n";
    }
    net.request(requests, std::chrono::seconds{3});
    EXPECT_EQ(count(net.client.received, "HTTP/1.1 200 OK"), 40u);
    EXPECT_EQ(count(net.client.received, std::string(100'000, 'a')), 20u);
    EXPECT_EQ(count(net.client.received, "\r\n\r\nbbb"), 20u);
    // Order: each b.txt response follows an a.bin body.
    size_t at = 0;
    for (int i = 0; i < 40; ++i) {
        size_t next = net.client.received.find("HTTP/1.1 200 OK", at);
        ASSERT_NE(next, std::string::npos);
        std::string_view type = i % 2 == 0 ? "application/octet-stream" : "text/plain";
        EXPECT_NE(net.client.received.find(type, next), std::string::npos);
        at = next + 1;
    }
    EXPECT_FALSE(net.client.eof);
    fs::remove_all(dir);
}

TEST(HttpServer, LargeFileArrivesIntactThroughTcp) {
    std::string dir = (fs::temp_directory_path() / "tapstack-http-server-XXXXXX").string();
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    std::string content(5 * 1024 * 1024, '\0');
    std::mt19937 rng(7);
    for (char& ch : content) ch = static_cast<char>(rng());
    {
        std::ofstream f(fs::path{dir} / "big.bin", std::ios::binary);
        f.write(content.data(), static_cast<std::streamsize>(content.size()));
    }
    HttpConfig c;
    c.root = dir;
    Net net{c};
    net.request("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n", std::chrono::seconds{30});
    ASSERT_TRUE(net.client.eof);
    size_t body = net.client.received.find("\r\n\r\n") + 4;
    ASSERT_EQ(net.client.received.size() - body, content.size());
    EXPECT_TRUE(net.client.received.compare(body, std::string::npos, content) == 0) << "body differs";
    EXPECT_EQ(net.server.connection_count(), 0u);
    fs::remove_all(dir);
}

TEST(HttpServer, ResetByThePeerForgetsTheConnection) {
    std::string dir = (fs::temp_directory_path() / "tapstack-http-server-XXXXXX").string();
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    std::ofstream(fs::path{dir} / "big.bin") << std::string(3'000'000, 'x');
    HttpConfig c;
    c.root = dir;
    Net net{c};
    net.client.set_reading(false);
    net.request("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n", std::chrono::milliseconds{100});
    EXPECT_EQ(net.server.connection_count(), 1u);
    net.client_stack.abort(net.client.id);
    net.run_for(std::chrono::seconds{1});
    EXPECT_EQ(net.server.connection_count(), 0u);
    EXPECT_EQ(net.server.stats().connections_lost, 1u);
    fs::remove_all(dir);
}

TEST(HttpServer, ReaderThatStallsIsResetAfterTheSendTimeout) {
    std::string dir = (fs::temp_directory_path() / "tapstack-http-server-XXXXXX").string();
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    std::ofstream(fs::path{dir} / "big.bin") << std::string(3'000'000, 'x');
    HttpConfig c;
    c.root = dir;
    c.send_timeout = std::chrono::seconds{20};
    Net net{c};
    net.client.set_reading(false);  // its window closes; the server's send buffer fills
    net.request("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n", std::chrono::seconds{19});
    EXPECT_EQ(net.server.connection_count(), 1u);
    net.run_for(std::chrono::seconds{2});
    EXPECT_EQ(net.server.connection_count(), 0u);
    EXPECT_EQ(net.server.stats().send_timeouts, 1u);
    EXPECT_EQ(net.client.closed, CloseReason::Reset);
    fs::remove_all(dir);
}

TEST(HttpServer, StopClosesConnectionsAndStopsListening) {
    Net net{keep_alive(30)};
    net.request(get_slash);
    EXPECT_EQ(net.server.connection_count(), 1u);
    net.server.stop();
    net.run_for(std::chrono::seconds{1});
    EXPECT_TRUE(net.client.eof);
    EXPECT_EQ(net.server.connection_count(), 0u);

    TestClient late{net.client_stack, net.now};
    late.connect();
    net.run_for(std::chrono::seconds{1});
    EXPECT_EQ(late.closed, CloseReason::Refused);
}

TEST(HttpServer, SecondServerOnTheSamePortIsRefused) {
    Net net;
    HttpServer other{net.server_stack, HttpConfig{}};
    auto started = other.start(80);
    ASSERT_FALSE(started.has_value());
    EXPECT_EQ(started.error(), ListenError::PortInUse);
}

}  // namespace
}  // namespace tapstack
