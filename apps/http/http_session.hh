// SPDX-License-Identifier: MIT
// HttpSession: one HTTP/1.1 server connection without the connection ("sans-I/O"). The caller
// hands it received bytes and end-of-stream, pulls response bytes out with produce(), and closes
// the socket when status() says Finished. No sockets and no clock in here, so the same code runs
// on tapstack (HttpServer) and on kernel sockets, and tests drive it with plain strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "apps/http/http_parser.hh"
#include "apps/http/http_site.hh"
#include "stack/base/bytes.hh"

namespace tapstack {

class HttpSession {
public:
    enum class Status : uint8_t {
        ReadingRequest,  // a request is incomplete (or the first has not come): request timeout
        Idle,            // between requests on a kept-alive connection: keep-alive timeout
        Producing,       // response bytes are ready: call produce()
        Finished,        // everything produced: close the connection
    };

    // `site` must outlive the session.
    explicit HttpSession(const HttpSite& site);
    HttpSession(const HttpSession&) = delete;
    HttpSession& operator=(const HttpSession&) = delete;

    // --- input ---
    // How many bytes on_data() accepts now. Zero while the input buffer is full of requests that
    // wait for earlier responses to be produced: the caller then leaves bytes in the socket, and
    // TCP flow control pushes back on the client.
    size_t input_space() const;
    // Takes up to input_space() bytes and returns how many it took. After a response that closes
    // the connection, input is taken and ignored.
    size_t on_data(Bytes data);
    // The peer finished sending (FIN). Complete requests already received are still answered.
    void on_peer_closed();
    // The caller's request timer expired while status() was ReadingRequest: answers 408 if part
    // of a request had arrived, and in any case finishes the session.
    void on_request_timeout();

    // --- output ---
    // Copies the next response bytes into `out`; returns how many (0: nothing to send now). File
    // bodies are read from the file here, `out.size()` bytes at a time, never all at once.
    size_t produce(MutBytes out);

    Status status() const;
    bool should_close() const { return status() == Status::Finished; }
    bool wants_input() const {
        Status s = status();
        return s == Status::ReadingRequest || s == Status::Idle;
    }
    // True when a response was cut short (the file could not be read to its announced length):
    // the caller may reset the connection instead of closing it, since the body is incomplete.
    bool aborted() const { return aborted_; }
    uint64_t responses_started() const { return responses_; }
    // The last response's status code (0 before the first), for logs and tests.
    int last_status() const { return last_status_; }

private:
    enum class Phase : uint8_t {
        Head,     // parsing a request head
        Body,     // discarding a request body (Content-Length bytes)
        Respond,  // producing a response
        Done,     // nothing more; input ignored
    };

    void advance();
    void on_head_complete();
    void respond_to_request();
    void respond_page(int status, bool keep_alive, std::string_view location = {});
    void respond_error(int status, std::string_view why);
    void write_head(int status, uint64_t content_length, std::string_view content_type, bool keep_alive,
                    std::string_view location);
    bool client_wants_keep_alive() const;
    void finish_response();
    void finish();

    Bytes buffered() const { return Bytes{in_}.subspan(in_pos_); }
    void consume(size_t n);
    void append(Bytes data);

    const HttpSite& site_;
    RequestParser parser_;
    Phase phase_ = Phase::Head;
    bool peer_closed_ = false;
    bool aborted_ = false;

    // Received bytes not parsed yet: in_[in_pos_..]. Never more than in_capacity_ of them.
    std::vector<uint8_t> in_;
    size_t in_pos_ = 0;
    size_t in_capacity_;
    uint64_t body_remaining_ = 0;

    // The response being produced: out_[out_pos_..] (head, or head and small body), then
    // file_remaining_ bytes of file_ from file_offset_.
    bool head_only_ = false;
    bool keep_alive_ = false;
    std::string out_;
    size_t out_pos_ = 0;
    FileDescriptor file_;
    uint64_t file_offset_ = 0;
    uint64_t file_remaining_ = 0;

    uint64_t responses_ = 0;
    int last_status_ = 0;
};

std::string_view to_string(HttpSession::Status);

}  // namespace tapstack
