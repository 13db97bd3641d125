// SPDX-License-Identifier: MIT
// parse_script(): packetdrill script text -> pkt::Script (pkt_script.hh), or the first error with
// its line and column. A hand-written recursive-descent parser over pkt_lexer.hh's tokens; the
// grammar it accepts is written out in pkt_parser.cc. Bounded on any input: one pass over the
// tokens, expressions nested at most max_nesting deep, no recursion anywhere else.
#pragma once

#include <string>
#include <string_view>

#include "apps/pkt/pkt_script.hh"
#include "stack/base/result.hh"

namespace tapstack::pkt {

struct ParseError {
    std::string file;
    SourcePos pos;
    std::string message;  // "expected ')' after the arguments of read(), found 'foo'"

    std::string to_string() const;  // "file.pkt:12:5: expected ..." (the compilers' form)
};

// How deep [ ], { } and calls may nest in a system call's arguments.
inline constexpr int max_nesting = 32;

Result<Script, ParseError> parse_script(std::string_view text, std::string_view file_name = "<script>");

}  // namespace tapstack::pkt
