// SPDX-License-Identifier: MIT
// Two tapstack instances talking to each other in virtual time: one as a client, one as a server
// that sends a large pseudo-random body and closes first. Frames can be dropped on the way to
// check that a transfer survives loss byte for byte (not just by length).
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "stack/stack.hh"
#include "tests/support/bulk_transfer.hh"
#include "tests/support/tcp_script.hh"

namespace tapstack::test {
namespace {

std::string make_body(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
}

// Sends `body` to each accepted connection, then closes (the article's server-first close).
struct TwoStacks {
    QueueDev client_dev, server_dev;
    Stack client, server;
    Instant now = Instant::from_ms(1);
    std::function<bool(size_t frame_number)> drop = [](size_t) { return false; };
    size_t frames = 0;
    size_t dropped = 0;

    static StackConfig config(uint8_t last_octet, uint32_t iss) {
        StackConfig c;
        c.mac = MacAddress{{0x02, 0, 0, 0, 0, last_octet}};
        c.ip = Ipv4Cidr{Ipv4Address::from_octets(10, 0, 0, last_octet), 24};
        c.fixed_iss = iss;
        return c;
    }
    TwoStacks() : client(config(1, 0xfffff000u), client_dev), server(config(2, 12345), server_dev) {}

    void carry(QueueDev& from, QueueDev& to) {
        while (!from.sent.empty()) {
            auto f = std::move(from.sent.front());
            from.sent.pop_front();
            if (drop(frames++)) {
                ++dropped;
                continue;
            }
            to.to_stack.push_back(std::move(f));
        }
    }
    // Runs both stacks until nothing is left to do or `limit` of virtual time passes.
    void run(Duration limit) {
        Instant end = now + limit;
        while (now < end) {
            client.poll(now);
            server.poll(now);
            carry(client_dev, server_dev);
            carry(server_dev, client_dev);
            if (!client_dev.to_stack.empty() || !server_dev.to_stack.empty()) {
                now = now + std::chrono::microseconds{50};  // link latency
                continue;
            }
            auto at = earliest(client.poll_at(), server.poll_at());
            if (!at) break;
            now = std::max(*at, now + std::chrono::microseconds{1});
        }
    }
};

}  // namespace

TEST(TwoStacks, TransferWithoutLossHasNoRetransmissions) {
    TwoStacks t;
    std::string body = make_body(2'000'000, 1);
    test::BulkSource sender(t.server, body);
    test::BulkSink receiver(t.client, "GET / HTTP/1.1\r\n\r\n");
    ASSERT_TRUE(t.server.listen(80, sender).has_value());
    ASSERT_TRUE(t.client.connect(Ipv4Address::from_octets(10, 0, 0, 2), 80, receiver).has_value());
    t.run(std::chrono::seconds{60});
    EXPECT_TRUE(receiver.done);
    EXPECT_EQ(receiver.data.size(), body.size());
    EXPECT_TRUE(receiver.data == body);
    EXPECT_EQ(t.server.stats().tcp_retransmissions, 0u);
    EXPECT_EQ(t.client.stats().tcp_retransmissions, 0u);
}

class TwoStacksLossy : public testing::TestWithParam<std::tuple<int, uint32_t>> {};

TEST_P(TwoStacksLossy, TransferSurvivesRandomLossByteForByte) {
    auto [loss_percent, seed] = GetParam();
    TwoStacks t;
    std::mt19937 rng(seed);
    t.drop = [&](size_t) { return static_cast<int>(rng() % 100) < loss_percent; };
    std::string body = make_body(1'000'000, seed);
    test::BulkSource sender(t.server, body);
    test::BulkSink receiver(t.client, "GET / HTTP/1.1\r\n\r\n");
    ASSERT_TRUE(t.server.listen(80, sender).has_value());
    ASSERT_TRUE(t.client.connect(Ipv4Address::from_octets(10, 0, 0, 2), 80, receiver).has_value());
    t.run(std::chrono::seconds{600});
    EXPECT_FALSE(receiver.failed.has_value());
    ASSERT_TRUE(receiver.done) << "received " << receiver.data.size() << " of " << body.size();
    EXPECT_TRUE(receiver.data == body);
    EXPECT_GT(t.dropped, 0u);
    EXPECT_GT(t.server.stats().tcp_retransmissions, 0u);
}

INSTANTIATE_TEST_SUITE_P(Loss, TwoStacksLossy, testing::Combine(testing::Values(1, 5), testing::Values(1u, 2u)));

TEST(TwoStacks, EveryFifthFrameLostStillDelivers) {
    TwoStacks t;
    t.drop = [](size_t n) { return n % 5 == 4; };
    std::string body = make_body(300'000, 9);
    test::BulkSource sender(t.server, body);
    test::BulkSink receiver(t.client, "GET / HTTP/1.1\r\n\r\n");
    ASSERT_TRUE(t.server.listen(80, sender).has_value());
    ASSERT_TRUE(t.client.connect(Ipv4Address::from_octets(10, 0, 0, 2), 80, receiver).has_value());
    t.run(std::chrono::seconds{600});
    ASSERT_TRUE(receiver.done);
    EXPECT_TRUE(receiver.data == body);
}

}  // namespace tapstack::test
