// SPDX-License-Identifier: MIT
// The socket layer on both ends: two stacks over an in-memory link, one VirtualDriver polling
// both and carrying their frames, so a blocking call on one side waits for the other.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>

#include "stack/posix/sockets.hh"
#include "tests/support/tcp_script.hh"

namespace tapstack::test {
namespace {

StackConfig config(uint8_t last_octet) {
    StackConfig c;
    c.mac = MacAddress{{0x02, 0, 0, 0, 0, last_octet}};
    c.ip = Ipv4Cidr{Ipv4Address::from_octets(10, 0, 0, last_octet), 24};
    c.fixed_iss = 1000u * last_octet;
    return c;
}

bool carry(QueueDev& from, QueueDev& to) {
    bool moved = !from.sent.empty();
    while (!from.sent.empty()) {
        to.to_stack.push_back(std::move(from.sent.front()));
        from.sent.pop_front();
    }
    return moved;
}

struct TwoSides {
    QueueDev client_dev, server_dev;
    Stack client_stack{config(1), client_dev}, server_stack{config(2), server_dev};
    VirtualDriver driver{Instant::from_ms(1)};
    Sockets client{client_stack, driver}, server{server_stack, driver};
    TwoSides() {
        driver.add(client_stack);
        driver.add(server_stack);
        driver.set_link([this](Instant) {
            bool a = carry(client_dev, server_dev);
            bool b = carry(server_dev, client_dev);
            return a || b;
        });
    }
};

Bytes text(std::string_view s) { return Bytes{reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

std::string read_some(Sockets& s, int fd) {
    uint8_t buf[256];
    auto n = s.read(fd, MutBytes{buf, sizeof buf});
    return n ? std::string(reinterpret_cast<char*>(buf), *n) : "<errno " + std::to_string(n.error().code) + ">";
}

TEST(PosixTwoStacks, ConnectAcceptExchangeAndHalfCloseBetweenTwoStacks) {
    TwoSides w;
    int l = *w.server.socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_TRUE(w.server.bind(l, {Ipv4Address{}, 7000}).has_value());
    ASSERT_TRUE(w.server.listen(l, 4).has_value());
    int c = *w.client.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    auto connecting = w.client.connect(c, {Ipv4Address::from_octets(10, 0, 0, 2), 7000});
    ASSERT_FALSE(connecting.has_value());
    EXPECT_EQ(connecting.error().code, EINPROGRESS);
    auto s = w.server.accept(l);  // blocks until the client's handshake completes
    ASSERT_TRUE(s.has_value());
    ASSERT_EQ(*w.client.fcntl(c, F_SETFL, 0), 0);  // blocking from here on
    EXPECT_EQ(*w.client.write(c, text("ping")), 4u);
    EXPECT_EQ(read_some(w.server, *s), "ping");
    ASSERT_TRUE(w.client.shutdown(c, SHUT_WR).has_value());
    EXPECT_EQ(read_some(w.server, *s), "");            // the client's FIN
    EXPECT_EQ(*w.server.write(*s, text("pong")), 4u);  // the other direction is still open
    ASSERT_TRUE(w.server.close(*s).has_value());
    EXPECT_EQ(read_some(w.client, c), "pong");
    EXPECT_EQ(read_some(w.client, c), "");
}

}  // namespace
}  // namespace tapstack::test
