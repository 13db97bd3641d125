// SPDX-License-Identifier: MIT
// Counting allocator: no heap allocation per frame in steady state (issue 6). A separate binary,
// because it replaces the global operator new/delete. Two Stacks joined by a fixed-size in-memory
// link (FixedLink: preallocated frame slots, so the link itself never allocates) run our
// HttpServer and a client that sends keep-alive GETs one after another on one connection. After
// warm_up requests (rings grown, tables sized), counting is switched on for `measured` requests;
// the test fails if anything was allocated, and prints the stack of the first allocation.
#include <execinfo.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string_view>

#include "apps/http/http_server.hh"
#include "stack/device.hh"
#include "stack/stack.hh"

namespace {

bool counting = false;
size_t allocations = 0;

void note_allocation() {
    if (!counting) return;
    if (allocations++ == 0) {
        counting = false;  // backtrace() itself must not be counted
        std::fputs("alloc_test: first allocation in steady state, at:\n", stderr);
        void* frames[32];
        backtrace_symbols_fd(frames, backtrace(frames, 32), STDERR_FILENO);
        counting = true;
    }
}

}  // namespace

void* operator new(size_t n) {
    note_allocation();
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc{};
}
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace tapstack {
namespace {

// One direction of the link: a ring of preallocated frame slots.
struct FrameRing {
    static constexpr size_t slots = 256;
    std::array<std::array<uint8_t, 1514>, slots> frames{};
    std::array<size_t, slots> lengths{};
    size_t head = 0, count = 0;
    uint64_t carried = 0;
};

class FixedLinkEnd final : public NetDev {
public:
    FixedLinkEnd(FrameRing& in, FrameRing& out) : in_(in), out_(out) {}
    std::optional<size_t> receive(MutBytes buffer, Instant) override {
        if (in_.count == 0) return std::nullopt;
        size_t n = in_.lengths[in_.head];
        std::copy_n(in_.frames[in_.head].begin(), n, buffer.begin());
        in_.head = (in_.head + 1) % FrameRing::slots;
        --in_.count;
        return n;
    }
    void transmit(Bytes frame, Instant) override {
        if (out_.count == FrameRing::slots || frame.size() > 1514) std::abort();  // the test would be wrong
        size_t slot = (out_.head + out_.count) % FrameRing::slots;
        std::copy(frame.begin(), frame.end(), out_.frames[slot].begin());
        out_.lengths[slot] = frame.size();
        ++out_.count;
        ++out_.carried;
    }

private:
    FrameRing& in_;
    FrameRing& out_;
};

// Sends the next GET as soon as the previous response's body has arrived.
class Client final : public SocketHandler {
public:
    explicit Client(Stack& stack) : stack_(stack) {}
    void on_connected(SocketId id) override { send(id); }
    void on_readable(SocketId id) override {
        uint8_t buf[2048];
        while (size_t n = stack_.read(id, MutBytes{buf, sizeof buf}).value_or(0)) {
            for (size_t i = 0; i < n; ++i) {
                // The built-in page ends every response with "World!\n".
                match_ = buf[i] == static_cast<uint8_t>(tail_[match_]) ? match_ + 1 : (buf[i] == 'W' ? 1 : 0);
                if (match_ == tail_.size()) {
                    match_ = 0;
                    ++responses;
                    send(id);
                }
            }
        }
    }
    size_t responses = 0;

private:
    void send(SocketId id) {
        static constexpr std::string_view get = "GET / HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n";
        (void)stack_.write(id, Bytes{reinterpret_cast<const uint8_t*>(get.data()), get.size()});
    }
    Stack& stack_;
    std::string_view tail_ = "World!\n";
    size_t match_ = 0;
};

int run() {
    constexpr size_t warm_up = 100, measured = 300;
    static FrameRing to_server, to_client;
    FixedLinkEnd server_end(to_server, to_client), client_end(to_client, to_server);
    StackConfig server_config;
    StackConfig client_config;
    client_config.ip = Ipv4Cidr{Ipv4Address::from_octets(10, 0, 0, 1), 24};
    client_config.mac = MacAddress{{0x02, 0, 0, 0, 0, 0x01}};
    Stack server_stack(server_config, server_end);
    Stack client_stack(client_config, client_end);
    HttpConfig http;
    http.keep_alive_seconds = 60;
    HttpServer server(server_stack, http);
    if (!server.start(80)) return 1;
    Client client(client_stack);
    if (!client_stack.connect(server_config.ip.address, 80, client)) return 1;

    void* warm[1];
    backtrace(warm, 1);  // loads the unwinder now, not inside the counted window
    Instant now = Instant::from_ms(1);
    uint64_t frames_at_start = 0;
    for (int step = 0; step < 1'000'000 && client.responses < warm_up + measured; ++step) {
        if (!counting && client.responses == warm_up) {
            counting = true;
            frames_at_start = to_server.carried + to_client.carried;
        }
        server_stack.poll(now);
        server.poll(now);
        client_stack.poll(now);
        now = now + std::chrono::microseconds{100};
    }
    counting = false;
    uint64_t frames = to_server.carried + to_client.carried - frames_at_start;
    std::printf("alloc_test: %zu responses, %llu frames in the counted window, %zu heap allocations\n",
                client.responses - warm_up, static_cast<unsigned long long>(frames), allocations);
    if (client.responses < warm_up + measured || frames == 0) {
        std::puts("alloc: FAIL (the workload did not complete)");
        return 1;
    }
    std::puts(allocations == 0 ? "alloc: PASS" : "alloc: FAIL (heap allocations in steady state)");
    return allocations == 0 ? 0 : 1;
}

}  // namespace
}  // namespace tapstack

int main() { return tapstack::run(); }
