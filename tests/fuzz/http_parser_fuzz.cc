// SPDX-License-Identifier: MIT
// libFuzzer target: arbitrary bytes as what a client sends to the HTTP server, cut into pieces of
// fuzzed sizes (the first byte picks them), through a whole HttpSession (parser, site, response),
// with the output drained as a socket would. Any crash, sanitizer report, or a session that takes
// more than it was given, is a bug.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "apps/http/http_session.hh"
#include "apps/http/http_site.hh"

using namespace tapstack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    HttpConfig config;
    config.keep_alive_seconds = data[0] & 1 ? 5 : 0;
    HttpSite site(config);
    HttpSession session(site);
    size_t piece = 1 + data[0] % 61;
    uint8_t out[2048];
    for (size_t i = 1; i < size && session.status() != HttpSession::Status::Finished;) {
        size_t n = std::min<size_t>({piece, size - i, session.input_space()});
        if (n == 0) {
            // Nothing more is taken until the response is read: read some.
            if (session.produce(MutBytes{out, sizeof out}) == 0) break;
            continue;
        }
        size_t taken = session.on_data(Bytes{data + i, n});
        if (taken > n) std::abort();
        if (taken == 0 && session.produce(MutBytes{out, sizeof out}) == 0) break;
        i += taken;
        session.produce(MutBytes{out, sizeof out});
    }
    session.on_peer_closed();
    for (int k = 0; k < 1000 && session.produce(MutBytes{out, sizeof out}) > 0; ++k) {
    }
    return 0;
}
