// SPDX-License-Identifier: MIT
// RequestParser: strict where RFC 9112 says a server MUST reject (whitespace before the colon,
// obsolete line folding, bare CR, conflicting Content-Length), lenient where it allows it (bare
// LF line ends, empty lines before the request line). Limits are checked on partial lines too, so
// a client that never sends LF is stopped at the limit rather than when memory runs out.
#include "apps/http/http_parser.hh"

#include <algorithm>
#include <limits>

namespace tapstack {
namespace {

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_"
//                          / "`" / "|" / "~" / DIGIT / ALPHA
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

// Calls `f` with each trimmed element of a comma-separated list (RFC 9110 §5.6.1), empty ones too.
template <typename F>
void for_each_element(std::string_view list, F&& f) {
    for (;;) {
        size_t comma = list.find(',');
        f(trim_ows(list.substr(0, comma)));
        if (comma == std::string_view::npos) return;
        list.remove_prefix(comma + 1);
    }
}

// Field values: VCHAR, obs-text, SP and HTAB (RFC 9110 §5.5). Control characters, NUL above all,
// are refused, since they have been used to smuggle requests past proxies.
bool is_valid_field_value(std::string_view v) {
    return std::all_of(v.begin(), v.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u == '\t' || (u >= 0x20 && u != 0x7f);
    });
}

// Request-target: visible US-ASCII only; the URI syntax (RFC 3986) has no room for anything else.
bool is_valid_target(std::string_view t) {
    return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f;
    });
}

// Content-Length = 1*DIGIT. Values too large to matter saturate: they only ever lead to 413.
std::optional<uint64_t> parse_length(std::string_view s) {
    if (s.empty() || s.size() > 64) return std::nullopt;
    uint64_t v = 0;
    constexpr uint64_t saturated = std::numeric_limits<uint64_t>::max() / 10 - 10;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        if (v < saturated) v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
}

}  // namespace

void RequestParser::reset() {
    stage_ = Stage::RequestLine;
    head_ = RequestHead{};
    scanned_ = 0;
    leading_bytes_ = 0;
    field_bytes_ = 0;
    error_status_ = 0;
    error_reason_ = {};
}

RequestParser::Progress RequestParser::fail(int status, std::string_view why) {
    stage_ = Stage::Failed;
    error_status_ = status;
    error_reason_ = why;
    return Progress::Error;
}

RequestParser::Progress RequestParser::parse(Bytes in, size_t& consumed) {
    consumed = 0;
    std::string_view text = as_chars(in);
    while (stage_ == Stage::RequestLine || stage_ == Stage::Fields) {
        size_t lf = text.find('\n', consumed + scanned_);
        if (lf == std::string_view::npos) {
            scanned_ = text.size() - consumed;
            return check_partial_line(scanned_);
        }
        scanned_ = 0;
        size_t raw_len = lf + 1 - consumed;
        std::string_view line = text.substr(consumed, lf - consumed);
        consumed = lf + 1;
        // RFC 9112 §2.2: CRLF ends a line, a bare LF may; a bare CR anywhere else is invalid.
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find('\r') != std::string_view::npos) return fail(400, "bare CR");
        Progress p = stage_ == Stage::RequestLine ? on_request_line(line, raw_len) : on_field_line(line, raw_len);
        if (p != Progress::NeedMore) return p;
    }
    return stage_ == Stage::Complete ? Progress::Complete : Progress::Error;
}

RequestParser::Progress RequestParser::check_partial_line(size_t len) {
    // `len` may include the CR of a CRLF whose LF has not arrived yet: allow one byte for it.
    if (stage_ == Stage::RequestLine && leading_bytes_ + len > limits_.max_request_line + 1) {
        return fail(414, "request line too long");
    }
    if (stage_ == Stage::Fields && field_bytes_ + len > limits_.max_header_bytes + 1) {
        return fail(431, "header section too large");
    }
    return Progress::NeedMore;
}

RequestParser::Progress RequestParser::on_request_line(std::string_view line, size_t raw_len) {
    if (line.empty()) {
        leading_bytes_ += raw_len;
        if (leading_bytes_ > limits_.max_request_line) return fail(400, "only empty lines");
        return Progress::NeedMore;
    }
    if (leading_bytes_ + line.size() > limits_.max_request_line) return fail(414, "request line too long");

    // request-line = method SP request-target SP HTTP-version (RFC 9112 §3), single spaces.
    size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) return fail(400, "no request-target");
    size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return fail(400, "no HTTP-version");
    if (line.find(' ', sp2 + 1) != std::string_view::npos) return fail(400, "extra space in request line");
    std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    if (!is_token(method)) return fail(400, "bad method");
    if (!is_valid_target(target)) return fail(400, "bad request-target");

    // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3). A later 1.x minor version is
    // answered as 1.1 (RFC 9110 §6.2); another major version gets 505.
    auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !is_digit(version[5]) || version[6] != '.' ||
        !is_digit(version[7])) {
        return fail(400, "bad HTTP-version");
    }
    if (version[5] != '1') return fail(505, "HTTP major version is not 1");
    head_.version = version[7] == '0' ? HttpVersion::Http10 : HttpVersion::Http11;
    head_.method = method;
    head_.target = target;
    stage_ = Stage::Fields;
    return Progress::NeedMore;
}

RequestParser::Progress RequestParser::on_field_line(std::string_view line, size_t raw_len) {
    if (line.empty()) {
        stage_ = Stage::Complete;
        return Progress::Complete;
    }
    field_bytes_ += raw_len;
    if (field_bytes_ > limits_.max_header_bytes) return fail(431, "header section too large");
    if (++head_.field_count > limits_.max_headers) return fail(431, "too many header fields");
    // RFC 9112 §5.2: obs-fold in a request is rejected with 400 (or replaced; we reject).
    if (is_ows(line.front())) return fail(400, "obsolete line folding");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail(400, "field line without colon");
    // RFC 9112 §5.1: whitespace between the name and the colon MUST be rejected with 400.
    std::string_view name = line.substr(0, colon);
    if (!is_token(name)) return fail(400, "bad field name");
    std::string_view value = trim_ows(line.substr(colon + 1));
    if (!is_valid_field_value(value)) return fail(400, "bad field value");

    if (iequals(name, "host")) {
        ++head_.host_count;
    } else if (iequals(name, "connection")) {
        for_each_element(value, [&](std::string_view option) {
            if (iequals(option, "close")) head_.connection_close = true;
            if (iequals(option, "keep-alive")) head_.connection_keep_alive = true;
        });
    } else if (iequals(name, "content-length")) {
        // RFC 9112 §6.3 item 5: a list of identical values may be taken as one; anything else is
        // an unrecoverable framing error.
        bool ok = true;
        for_each_element(value, [&](std::string_view element) {
            auto n = parse_length(element);
            if (!n || (head_.content_length && *head_.content_length != *n)) ok = false;
            else head_.content_length = n;
        });
        if (!ok) return fail(400, "bad Content-Length");
    } else if (iequals(name, "transfer-encoding")) {
        head_.transfer_encoding = true;
        std::string_view last;
        for_each_element(value, [&](std::string_view coding) {
            if (!coding.empty()) last = trim_ows(coding.substr(0, coding.find(';')));
        });
        head_.chunked = iequals(last, "chunked");
    }
    return Progress::NeedMore;
}

}  // namespace tapstack
