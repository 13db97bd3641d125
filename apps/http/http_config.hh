// SPDX-License-Identifier: MIT
// HttpConfig: what the HTTP server is told at start-up (document root, keep-alive, limits and
// timeouts). Plain data, filled in by apps/tapstack/main.cc from the command line and by tests.
// Every limit here bounds the memory or time one client can take from the server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "stack/base/time.hh"

namespace tapstack {

// Request limits. A request over a limit gets the status named beside it and the connection is
// closed afterwards: the server cannot know where the next request would begin.
struct HttpLimits {
    size_t max_request_line = 8 * 1024;     // 414 URI Too Long (request line without CRLF)
    size_t max_header_bytes = 16 * 1024;    // 431 Request Header Fields Too Large (all field lines)
    size_t max_headers = 100;               // 431 as well
    uint64_t max_body_bytes = 1024 * 1024;  // 413 Content Too Large (bodies are read and discarded)
};

struct HttpConfig {
    // Directory to serve files from. Empty: the built-in page at "/".
    std::string root;
    // The built-in page (text/plain). `tapstack --simulate` pads it to the article's sizes.
    std::string builtin_page = "Hello World!\n";
    // 0: every response says `Connection: close` and the server closes first (the article's
    // Apache). N > 0: persistent connections, closed after N seconds without a request.
    uint32_t keep_alive_seconds = 0;
    // A request (head and body) must arrive completely within this time of its first byte, and a
    // new connection must deliver its first request within it (slowloris defence). 30 s, between
    // Apache's mod_reqtimeout (20-40 s) and nginx (60 s): it was 10 s, and a client that lost our
    // SYN,ACK (its RTT sample then includes its SYN's timeout, so its RTO grows to 3 s or 9 s)
    // and then its request twice had not delivered it by then, and got an empty reply (CI's
    // recovery test, 20 % loss each way).
    Duration request_timeout = std::chrono::seconds{30};
    // A connection whose peer accepts no response bytes for this long is reset.
    Duration send_timeout = std::chrono::seconds{60};
    HttpLimits limits;
    // Wall clock minus the Instant clock. When set, responses carry a `Date` header computed from
    // the `now` the server is given; when not, no Date header (the server has no clock of its own).
    std::optional<Duration> wall_clock_offset;
};

}  // namespace tapstack
