// SPDX-License-Identifier: MIT
// libFuzzer target: arbitrary bytes as a packetdrill script for parse_script() (apps/pkt/). It must
// return a script or an error with a position inside the text, never crash, hang or recurse
// without bound; a script that parses must print, and what it prints must parse again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "apps/pkt/pkt_parser.hh"

using namespace tapstack::pkt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto script = parse_script(text, "fuzz.pkt");
    if (!script) {
        const ParseError& e = script.error();
        if (e.pos.line < 1 || e.pos.column < 1 || e.message.empty()) std::abort();
        return 0;
    }
    for (const Event& event : script->events) {
        std::string line = to_string(event);
        auto again = parse_script(line, "printed.pkt");
        // Printing loses nothing the parser needs: the printed event parses to itself.
        if (!again || again->events.size() != 1 || to_string(again->events[0]) != line) std::abort();
    }
    return 0;
}
