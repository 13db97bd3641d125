// SPDX-License-Identifier: MIT
// Cuts a packetdrill script into tokens for pkt_parser.cc, with the longest-match rules of
// packetdrill's own lexer: `1:1` is 1 ':' 1, `.1` and `0.200` are numbers, `...` is one token,
// `1.2.3.4` is an address, `S.` is the word S then '.'. Comments and whitespace are dropped;
// shell commands (`...`) and Python blocks (%{ ... }%) come out whole, as text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "apps/pkt/pkt_script.hh"

namespace tapstack::pkt {

struct Token {
    enum class Kind : uint8_t {
        End,         // end of the script
        Error,       // a lexical error (message says which); always the last token
        Word,        // [A-Za-z0-9_]+ that is not a number: names, flags, keywords
        Integer,     // -?[0-9]+ or 0x[0-9a-fA-F]+
        Float,       // -?[0-9]*.[0-9]+
        Ipv4Addr,    // 192.168.0.1
        String,      // "..." (text keeps the quotes)
        BackQuoted,  // `...` (text keeps the back quotes)
        Code,        // %{ ... }% (text keeps the delimiters)
        Option,      // --name or --name=value
        Ellipsis,    // ...
        Punct,       // any other single character: < > ( ) [ ] { } , : = | + * ~ . -
    };
    Kind kind = Kind::End;
    std::string_view text;  // the source it was cut from
    SourcePos pos;
    bool space_before = false;  // whitespace or a comment separates it from the token before
    std::string message;        // for Error
};

// Every token of `source`, ending with one End or Error token. Never fails otherwise.
std::vector<Token> tokenize(std::string_view source);

}  // namespace tapstack::pkt
