// SPDX-License-Identifier: MIT
// RequestParser: the head of one HTTP/1.1 request (request line and field lines, RFC 9112 §2-5),
// parsed line by line as bytes arrive. Called by HttpSession; knows nothing of sockets, files or
// responses. It keeps only the fields the server acts on (Host, Connection, Content-Length,
// Transfer-Encoding), never a map of all headers, so a request costs bounded memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "apps/http/http_config.hh"
#include "stack/base/bytes.hh"

namespace tapstack {

enum class HttpVersion : uint8_t { Http10, Http11 };

struct RequestHead {
    std::string method;  // case-sensitive token (RFC 9110 §9.1): "get" is not GET
    std::string target;  // as sent: origin-form "/a?b" or absolute-form "http://h/a"
    HttpVersion version = HttpVersion::Http11;
    size_t field_count = 0;
    size_t host_count = 0;
    bool connection_close = false;       // a `close` token in Connection
    bool connection_keep_alive = false;  // a `keep-alive` token in Connection (HTTP/1.0 clients)
    std::optional<uint64_t> content_length;
    bool transfer_encoding = false;  // any Transfer-Encoding field
    bool chunked = false;            // ...whose final coding is chunked
};

class RequestParser {
public:
    enum class Progress : uint8_t { NeedMore, Complete, Error };

    explicit RequestParser(const HttpLimits& limits) : limits_(limits) {}

    // Parses the complete lines at the front of `in` and sets `consumed` to their length; stops
    // after the empty line that ends the head. The caller drops `consumed` bytes and calls again
    // with the rest plus new bytes. A partial line is not consumed, but it is remembered how far
    // it was searched, so a request sent one byte at a time costs O(n), not O(n²).
    Progress parse(Bytes in, size_t& consumed);

    // A blank request line, or more, has been seen: a request has begun.
    bool started() const { return stage_ != Stage::RequestLine || leading_bytes_ > 0; }
    const RequestHead& head() const { return head_; }
    int error_status() const { return error_status_; }               // 400, 414, 431 or 505
    std::string_view error_reason() const { return error_reason_; }  // for the debug log
    void reset();

private:
    enum class Stage : uint8_t { RequestLine, Fields, Complete, Failed };

    Progress on_request_line(std::string_view line, size_t raw_len);
    Progress on_field_line(std::string_view line, size_t raw_len);
    Progress check_partial_line(size_t len);
    Progress fail(int status, std::string_view why);

    const HttpLimits& limits_;
    Stage stage_ = Stage::RequestLine;
    RequestHead head_;
    size_t scanned_ = 0;        // bytes of the current partial line already searched for LF
    size_t leading_bytes_ = 0;  // empty lines before the request line (RFC 9112 §2.2 allows some)
    size_t field_bytes_ = 0;    // field lines so far, with their line ends
    int error_status_ = 0;
    std::string_view error_reason_;
};

}  // namespace tapstack
