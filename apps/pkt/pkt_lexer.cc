// SPDX-License-Identifier: MIT
// The packetdrill script lexer (see pkt_lexer.hh): one pass over the text, one token per call of
// Lexer::next(), line and column counted as it goes.
#include "apps/pkt/pkt_lexer.hh"

#include <algorithm>
#include <cstddef>

namespace tapstack::pkt {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_word_char(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

class Lexer {
public:
    explicit Lexer(std::string_view s) : s_(s) {}

    Token next() {
        bool space = skip_space_and_comments();
        Token t;
        t.pos = pos();
        t.space_before = space;
        if (!error_.empty()) {
            t.pos = error_pos_;
            return error(t, error_);
        }
        if (i_ >= s_.size()) return t;  // End
        size_t start = i_;
        t.kind = cut(t);
        if (t.kind == Token::Kind::Error) return t;
        t.text = s_.substr(start, i_ - start);
        return t;
    }

private:
    SourcePos pos() const { return {line_, static_cast<int>(i_ - line_start_) + 1}; }
    char at(size_t k) const { return k < s_.size() ? s_[k] : '\0'; }
    bool starts(std::string_view p) const { return s_.substr(i_).starts_with(p); }

    void advance(size_t n) {
        for (size_t end = std::min(s_.size(), i_ + n); i_ < end; ++i_) {
            if (s_[i_] == '\n') {
                ++line_;
                line_start_ = i_ + 1;
            }
        }
    }

    static Token error(Token t, std::string message) {
        t.kind = Token::Kind::Error;
        t.message = std::move(message);
        return t;
    }

    // Skips whitespace, `// ...` and `/* ... */`; says whether it skipped anything. An
    // unterminated comment leaves its message in error_.
    bool skip_space_and_comments() {
        size_t start = i_;
        for (;;) {
            if (i_ < s_.size() && is_space(s_[i_])) {
                advance(1);
            } else if (starts("//")) {
                size_t end = s_.find('\n', i_);
                advance((end == std::string_view::npos ? s_.size() : end) - i_);
            } else if (starts("/*")) {
                SourcePos open = pos();
                size_t end = s_.find("*/", i_ + 2);
                if (end == std::string_view::npos) {
                    error_ = "the comment opened here never ends (no '*/')";
                    error_pos_ = open;
                    advance(s_.size() - i_);
                    return true;
                }
                advance(end + 2 - i_);
            } else {
                return i_ > start;
            }
        }
    }

    // Cuts the token at i_ and returns its kind (Error after setting t.message).
    Token::Kind cut(Token& t) {
        char c = s_[i_];
        if (starts("...")) return take(3, Token::Kind::Ellipsis);
        if (starts("--") && is_word_char(at(i_ + 2))) return cut_option();
        if (c == '"' || c == '`') return cut_quoted(t, c);
        if (starts("%{")) return cut_code(t);
        if (is_digit(c) || (c == '.' && is_digit(at(i_ + 1))) ||
            (c == '-' && (is_digit(at(i_ + 1)) || (at(i_ + 1) == '.' && is_digit(at(i_ + 2)))))) {
            return cut_number();
        }
        if (is_word_char(c)) return take(word_length(i_), Token::Kind::Word);
        return take(1, Token::Kind::Punct);
    }

    Token::Kind take(size_t n, Token::Kind kind) {
        advance(n);
        return kind;
    }

    size_t word_length(size_t from) const {
        size_t k = from;
        while (k < s_.size() && is_word_char(s_[k])) ++k;
        return k - from;
    }
    size_t digits_length(size_t from) const {
        size_t k = from;
        while (k < s_.size() && is_digit(s_[k])) ++k;
        return k - from;
    }

    // The longest of float, integer, hex, word and IPv4 address, the earlier on a tie, as flex
    // picks: `1` is an integer (not a word), `1abc` a word, `0.200` a float, `1.2.3.4` an address.
    Token::Kind cut_number() {
        size_t sign = s_[i_] == '-' ? 1 : 0;
        size_t int_digits = digits_length(i_ + sign);
        size_t float_len = 0;
        if (at(i_ + sign + int_digits) == '.') {
            size_t frac = digits_length(i_ + sign + int_digits + 1);
            if (frac > 0) float_len = sign + int_digits + 1 + frac;
        }
        size_t int_len = int_digits > 0 ? sign + int_digits : 0;
        size_t hex_len = 0;
        if (!sign && starts("0x") && is_hex_digit(at(i_ + 2))) {
            hex_len = 2;
            while (is_hex_digit(at(i_ + hex_len))) ++hex_len;
        }
        size_t word_len = sign ? 0 : word_length(i_);
        size_t addr_len = sign ? 0 : ipv4_length();
        size_t best = std::max({float_len, int_len, hex_len, word_len, addr_len});
        if (best == float_len) return take(best, Token::Kind::Float);
        if (best == int_len || best == hex_len) return take(best, Token::Kind::Integer);
        if (best == word_len) return take(best, Token::Kind::Word);
        return take(best, Token::Kind::Ipv4Addr);
    }

    size_t ipv4_length() const {
        size_t k = i_;
        for (int part = 0; part < 4; ++part) {
            if (part > 0) {
                if (at(k) != '.') return 0;
                ++k;
            }
            size_t n = digits_length(k);
            if (n == 0) return 0;
            k += n;
        }
        return k - i_;
    }

    // `--name` or `--name=value`; the value runs to whitespace, with quoted parts kept whole.
    Token::Kind cut_option() {
        size_t k = i_ + 2 + word_length(i_ + 2);
        if (at(k) == '=') {
            ++k;
            while (k < s_.size() && !is_space(s_[k])) {
                char q = s_[k];
                if (q == '"' || q == '`') {
                    size_t close = s_.find(q, k + 1);
                    k = close == std::string_view::npos ? s_.size() : close + 1;
                } else {
                    ++k;
                }
            }
        }
        return take(k - i_, Token::Kind::Option);
    }

    // "..." or `...`; a backslash escapes the next character. May span lines.
    Token::Kind cut_quoted(Token& t, char quote) {
        size_t k = i_ + 1;
        while (k < s_.size() && s_[k] != quote) k += s_[k] == '\\' ? 2 : 1;
        if (k >= s_.size()) {
            t.message = quote == '"' ? "the string opened here never ends (no closing '\"')"
                                     : "the shell command opened here never ends (no closing '`')";
            advance(s_.size() - i_);
            return Token::Kind::Error;
        }
        return take(k + 1 - i_, quote == '"' ? Token::Kind::String : Token::Kind::BackQuoted);
    }

    Token::Kind cut_code(Token& t) {
        size_t end = s_.find("}%", i_ + 2);
        if (end == std::string_view::npos) {
            t.message = "the code block opened here never ends (no closing '}%')";
            advance(s_.size() - i_);
            return Token::Kind::Error;
        }
        return take(end + 2 - i_, Token::Kind::Code);
    }

    std::string_view s_;
    size_t i_ = 0;
    int line_ = 1;
    size_t line_start_ = 0;
    std::string error_;  // from skip_space_and_comments
    SourcePos error_pos_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) {
    Lexer lexer(source);
    std::vector<Token> tokens;
    for (;;) {
        tokens.push_back(lexer.next());
        Token::Kind k = tokens.back().kind;
        if (k == Token::Kind::End || k == Token::Kind::Error) return tokens;
    }
}

}  // namespace tapstack::pkt
