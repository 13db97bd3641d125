// SPDX-License-Identifier: MIT
#include "tests/support/json_check.hh"

namespace tapstack::test {
namespace {

class Reader {
public:
    explicit Reader(std::string_view s) : s_(s) {}

    std::optional<JsonMembers> whole_object() {
        JsonMembers members;
        skip_space();
        if (!object(&members)) return std::nullopt;
        skip_space();
        if (i_ != s_.size()) return std::nullopt;
        return members;
    }

private:
    bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
    bool eat(char c) {
        if (!at(c)) return false;
        ++i_;
        return true;
    }
    void skip_space() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }
    bool digits() {
        size_t start = i_;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        return i_ > start;
    }

    // `members` is null for nested objects, whose members nobody asked for.
    bool object(JsonMembers* members) {
        if (!eat('{')) return false;
        skip_space();
        if (eat('}')) return true;
        while (true) {
            skip_space();
            std::string name;
            if (!string(&name)) return false;
            skip_space();
            if (!eat(':')) return false;
            skip_space();
            size_t start = i_;
            std::string decoded;
            bool is_string = at('"');
            if (!value(&decoded)) return false;
            if (members) {
                if (members->count(name)) return false;  // a duplicate name: legal JSON, but a bug in our output
                (*members)[name] = is_string ? decoded : std::string{s_.substr(start, i_ - start)};
            }
            skip_space();
            if (eat('}')) return true;
            if (!eat(',')) return false;
        }
    }
    bool array() {
        if (!eat('[')) return false;
        skip_space();
        if (eat(']')) return true;
        while (true) {
            skip_space();
            if (!value(nullptr)) return false;
            skip_space();
            if (eat(']')) return true;
            if (!eat(',')) return false;
        }
    }
    bool value(std::string* decoded) {
        if (at('{')) return object(nullptr);
        if (at('[')) return array();
        if (at('"')) return string(decoded);
        for (std::string_view word : {"true", "false", "null"}) {
            if (s_.substr(i_, word.size()) == word) {
                i_ += word.size();
                return true;
            }
        }
        return number();
    }
    bool number() {
        eat('-');
        if (eat('0')) {
            // no leading zeros
        } else if (i_ < s_.size() && s_[i_] >= '1' && s_[i_] <= '9') {
            digits();
        } else {
            return false;
        }
        if (eat('.') && !digits()) return false;
        if (eat('e') || eat('E')) {
            if (!eat('+')) eat('-');
            if (!digits()) return false;
        }
        return true;
    }
    bool string(std::string* out) {
        if (!eat('"')) return false;
        std::string text;
        while (i_ < s_.size()) {
            auto c = static_cast<unsigned char>(s_[i_++]);
            if (c == '"') {
                if (out) *out = std::move(text);
                return true;
            }
            if (c < 0x20) return false;  // control characters must be escaped
            if (c != '\\') {
                text += static_cast<char>(c);
                continue;
            }
            if (i_ >= s_.size()) return false;
            char e = s_[i_++];
            switch (e) {
            case '"': text += '"'; break;
            case '\\': text += '\\'; break;
            case '/': text += '/'; break;
            case 'b': text += '\b'; break;
            case 'f': text += '\f'; break;
            case 'n': text += '\n'; break;
            case 'r': text += '\r'; break;
            case 't': text += '\t'; break;
            case 'u': {
                if (i_ + 4 > s_.size()) return false;
                unsigned v = 0;
                for (int k = 0; k < 4; ++k) {
                    char h = s_[i_++];
                    v <<= 4;
                    if (h >= '0' && h <= '9') v |= static_cast<unsigned>(h - '0');
                    else if (h >= 'a' && h <= 'f') v |= static_cast<unsigned>(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F') v |= static_cast<unsigned>(h - 'A' + 10);
                    else return false;
                }
                text += v < 0x80 ? static_cast<char>(v) : '?';  // enough for checking ASCII output
                break;
            }
            default: return false;
            }
        }
        return false;  // no closing quote
    }

    std::string_view s_;
    size_t i_ = 0;
};

}  // namespace

std::optional<JsonMembers> parse_json_object(std::string_view text) { return Reader{text}.whole_object(); }

}  // namespace tapstack::test
