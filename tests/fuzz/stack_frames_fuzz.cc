// SPDX-License-Identifier: MIT
// libFuzzer target: arbitrary bytes, cut into frames, go into a whole Stack (listening on port 80,
// with an established connection from 10.0.0.1:40000 set up first) in virtual time. Each input
// byte pair also moves the clock, so timers run too. Anything but a clean run (crash, sanitizer
// report, assertion) is a bug.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tests/support/tcp_script.hh"

using namespace tapstack;
using namespace tapstack::test;

namespace {
class Echo : public SocketHandler {
public:
    explicit Echo(Stack& s) : stack_(s) {}
    void on_accept(SocketId) override {}
    void on_readable(SocketId id) override {
        uint8_t buf[512];
        while (size_t n = stack_.read(id, MutBytes{buf, sizeof buf}).value_or(0)) (void)stack_.write(id, Bytes{buf, n});
        if (stack_.peer_closed(id)) stack_.close(id);
    }

private:
    Stack& stack_;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    TcpScript t;
    t.establish();
    Echo echo(t.stack);
    // Input format: repeated [len_hi len_lo delay_ms frame...]; a frame replaces the bytes of a
    // valid segment template when shorter than 54 bytes so that deep paths are reachable.
    size_t i = 0;
    while (i + 3 <= size) {
        size_t len = (size_t{data[i]} << 8 | data[i + 1]) % 1600;
        uint8_t delay = data[i + 2];
        i += 3;
        len = std::min(len, size - i);
        std::vector<uint8_t> frame = t.build_frame(seg().ack_(1).seq_(1).data("x"));
        // Overwrite from byte 14 on (keep our MAC so the frame is not filtered at once).
        if (len > 0) {
            frame.resize(std::max(frame.size(), 14 + len));
            std::copy(data + i, data + i + len, frame.begin() + 14);
            frame.resize(14 + len);
        }
        i += len;
        t.peer_sends_frame(std::move(frame));
        t.advance(std::chrono::milliseconds{delay * 8});
        t.dev.sent.clear();
    }
    // Shutdown with whatever the frames left behind (half-open connections included), then
    // every timer to its end.
    t.stack.close_all();
    t.advance(std::chrono::seconds{200});
    return 0;
}
