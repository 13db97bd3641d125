// SPDX-License-Identifier: MIT
// `tapstack get URL`: our stack as the article's client. The HTTP side is sans-I/O here too:
// HttpResponseReader takes the bytes as they come and says when the response is complete, so
// unit tests drive it without a network; run_get() puts it on a TAP device.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "apps/tapstack/options.hh"
#include "stack/base/bytes.hh"
#include "stack/wire/address.hh"

namespace tapstack {

struct HttpUrl {
    Ipv4Address host;
    uint16_t port = 80;
    std::string path = "/";
    std::string host_header;  // "10.0.0.1" or "10.0.0.1:8080"
};

// http://A.B.C.D[:PORT][/PATH]; anything else is an error message.
std::variant<HttpUrl, std::string> parse_http_url(std::string_view);

// The request line and headers we send.
std::string make_get_request(const HttpUrl&);

// Reads one HTTP/1.x response: the status line and headers, then the body by Content-Length, by
// chunks (Transfer-Encoding: chunked, RFC 9112 §7.1) or up to the close. Body bytes go to `sink`
// as they arrive, without the chunk framing.
class HttpResponseReader {
public:
    explicit HttpResponseReader(std::function<void(Bytes)> sink) : sink_(std::move(sink)) {}

    // Takes bytes from the connection. Returns false on a response it cannot read (the error()
    // says why); bytes after a complete response are ignored.
    bool feed(Bytes data);
    // The server closed its side: completes a body that runs to the close.
    void peer_closed();

    bool complete() const { return state_ == State::Done; }
    bool head_complete() const { return state_ != State::Head && state_ != State::Failed; }
    bool failed() const { return state_ == State::Failed; }
    const std::string& error() const { return error_; }
    int status() const { return status_; }
    const std::string& status_line() const { return status_line_; }
    uint64_t body_bytes() const { return body_bytes_; }
    std::optional<uint64_t> content_length() const { return content_length_; }

    static constexpr size_t max_head = 64 * 1024;

private:
    enum class State { Head, Body, ChunkSize, ChunkData, ChunkDataEnd, Trailers, ToClose, Done, Failed };
    bool parse_head();
    // One step of the body; false when it needs more bytes than pending_ holds (or failed).
    bool read_body();
    bool read_chunk_size();                    // the hex size line; its data follows, or the trailers after 0
    bool read_chunk_end();                     // the CRLF after a chunk's data
    bool read_trailer();                       // a trailer line; the empty one ends the response
    size_t deliver_pending(uint64_t at_most);  // up to at_most bytes of pending_ to the sink
    bool fail(std::string why);
    bool take_line(std::string& line);  // a CRLF-terminated line from pending_, if whole
    void deliver(Bytes b);

    std::function<void(Bytes)> sink_;
    State state_ = State::Head;
    std::string pending_;  // head bytes, or a partial chunk-size/trailer line
    std::string status_line_;
    std::string error_;
    int status_ = 0;
    std::optional<uint64_t> content_length_;
    uint64_t body_bytes_ = 0;
    uint64_t chunk_left_ = 0;
};

// Runs `tapstack get` with the parsed options; returns the exit status.
int run_get(const Options&);

}  // namespace tapstack
