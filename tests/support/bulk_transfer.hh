// SPDX-License-Identifier: MIT
// The two ends of a bulk transfer between two stacks, for tests that move a body and compare the
// bytes (tests/unit/sim): a BulkSource writes its body to the first connection it accepts and
// then closes, the server closing first as in the article; a BulkSink collects what arrives and
// closes once the peer has closed. Both use the socket API exactly as an application does.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "stack/stack.hh"

namespace tapstack::test {

// Writes `body` (which must outlive it) to the first connection it accepts, as fast as the send
// buffer takes it, then closes. Whatever the client sends (a request) is read and ignored.
class BulkSource : public SocketHandler {
public:
    BulkSource(Stack& s, std::string_view body) : stack_(s), body_(body) {}
    void on_accept(SocketId id) override {
        id_ = id;
        negotiated = stack_.info(id);
        pump();
    }
    void on_writable(SocketId) override { pump(); }
    void on_readable(SocketId id) override {
        uint8_t buf[2048];
        while (stack_.read(id, MutBytes{buf, sizeof buf}).value_or(0) > 0) {
        }
    }
    bool closed = false;                   // the whole body was queued and close() called
    std::optional<SocketInfo> negotiated;  // the connection's options, as it started

private:
    void pump() {
        while (offset_ < body_.size()) {
            size_t n = stack_.write(id_, as_bytes(body_.substr(offset_))).value_or(0);
            if (n == 0) return;
            offset_ += n;
        }
        if (!closed) stack_.close(id_), closed = true;
    }
    Stack& stack_;
    std::string_view body_;
    size_t offset_ = 0;
    SocketId id_;
};

// Collects everything the connection delivers into `data`; closes when the peer has closed.
// With a request, it writes that first, as an HTTP client does: the segment that carries it
// also carries the ACK that completes a SYN cookie's handshake, and is resent until it arrives
// (a client that waits for the server to speak first hangs when its bare ACK to a cookie is lost).
class BulkSink : public SocketHandler {
public:
    explicit BulkSink(Stack& s, std::string request = {}, size_t expected_size = 0)
        : stack_(s), request_(std::move(request)) {
        data.reserve(expected_size);
    }
    void on_connected(SocketId id) override {
        if (!request_.empty()) (void)stack_.write(id, as_bytes(request_));
    }
    void on_readable(SocketId id) override {
        uint8_t buf[16384];
        while (size_t n = stack_.read(id, MutBytes{buf, sizeof buf}).value_or(0))
            data.append(reinterpret_cast<char*>(buf), n);
        if (stack_.peer_closed(id) && !done) {
            done = true;
            stack_.close(id);
        }
    }
    void on_closed(SocketId, CloseReason r) override { failed = r; }
    std::string data;
    bool done = false;                  // the peer closed and we closed in turn
    std::optional<CloseReason> failed;  // the connection ended without our close()

private:
    Stack& stack_;
    std::string request_;
};

}  // namespace tapstack::test
