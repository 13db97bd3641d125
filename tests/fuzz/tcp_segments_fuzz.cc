// SPDX-License-Identifier: MIT
// libFuzzer target: a sequence of well-formed segments (valid checksums, fuzzed flags, sequence
// and acknowledgment numbers near the live ones, windows, payload sizes) and application calls
// (write, read, close, abort) into one connection, in virtual time. Any crash, sanitizer report or
// assertion is a bug. In a 20 s run it reaches LISTEN to CLOSE-WAIT but seldom the closing states
// or loss recovery: tcp_pair_fuzz covers those, with a real peer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tests/support/tcp_script.hh"

using namespace tapstack;
using namespace tapstack::test;

namespace {
class App : public SocketHandler {
public:
    explicit App(Stack& s) : stack_(s) {}
    void on_accept(SocketId id) override { id_ = id; }
    void on_readable(SocketId id) override {
        if (!reading_) return;
        uint8_t buf[700];
        while (stack_.read(id, MutBytes{buf, sizeof buf}).value_or(0) > 0) {
        }
    }
    void act(uint8_t op) {
        switch (op % 6) {
        case 0: (void)stack_.write(id_, as_bytes(std::string(op * 37u, 'w'))); break;
        case 1: reading_ = !reading_; break;
        case 2: stack_.close(id_); break;
        case 3:
            if (op > 200) stack_.abort(id_);
            break;
        default: break;
        }
    }
    SocketId id_;

private:
    Stack& stack_;
    bool reading_ = true;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    StackConfig config;
    config.tcp.receive_buffer = 4096;  // small buffers reach the window edge cases quickly
    config.tcp.send_buffer = 8192;
    TcpScript t(/*our_iss=*/0xffffff00u, /*peer_iss=*/0xfffffff0u, config);
    App app(t.stack);
    if (!t.stack.listen(8080, app)) std::abort();  // a fresh stack always has the port free
    uint32_t peer_next = 0;                        // the peer's idea of its next sequence number (relative)
    uint32_t peer_acked = 0;                       // the highest relative ack of ours it has seen
    for (size_t i = 0; i + 8 <= size; i += 8) {
        const uint8_t* c = data + i;
        if (c[0] == 0xff) {  // an application call
            app.act(c[1]);
            t.poll();
        } else {
            Seg s;
            s.flags = c[0] & 0x3f;
            int16_t seq_delta = static_cast<int16_t>(c[1] << 8 | c[2]);
            int16_t ack_delta = static_cast<int16_t>(c[3] << 8 | c[4]);
            s.seq = peer_next + static_cast<uint32_t>(seq_delta % 3000);
            s.ack = peer_acked + static_cast<uint32_t>(ack_delta % 3000);
            s.window = static_cast<uint16_t>(c[5] << 8);
            s.dst_port = 8080;
            if (c[6] & 1) s.mss = static_cast<uint16_t>(c[6] * 8);
            s.payload = std::string(c[7] % 64 * 23u, 'p');
            s.payload_set = true;
            t.peer_sends(s);
            if (s.flags & tcp_flag::syn) peer_next = *s.seq + 1;
            else if ((s.flags & tcp_flag::ack) && seq_delta % 3 == 0)
                peer_next = *s.seq + static_cast<uint32_t>(s.payload.size());
        }
        while (auto out = t.next_sent()) {
            if (out->has_ack() && out->src_port == 8080) {
                // Learn what a well-behaved peer would: our sequence numbers.
                peer_acked = t.rel_seq(out->seq) + out->seg_len();
            }
        }
        t.advance(std::chrono::milliseconds{c[7] * 16});
        t.transcript.clear();
    }
    t.advance(std::chrono::seconds{300});
    return 0;
}
