// SPDX-License-Identifier: MIT
// HttpSession: the request/response cycle. advance() moves through Head -> Body -> Respond and,
// on a kept-alive connection, back to Head for the next (possibly pipelined) request once the
// previous response has been produced in full; requests are thus answered strictly in order.
// Error statuses that leave the byte stream in doubt (4xx framing errors, 5xx) end in Done.
#include "apps/http/http_session.hh"

#include <charconv>

#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <limits>

#include <fmt/format.h>

#include "stack/base/log.hh"

namespace tapstack {
namespace {

std::string_view reason_phrase(int status) {
    switch (status) {
    case 200: return "OK";
    case 301: return "Moved Permanently";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";  // RFC 9110 §15.5.14 (was "Payload Too Large")
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";  // RFC 6585 §5
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

// 403 and 404 answer a well-formed request, so the stream is still in step and the connection
// may serve the next one. After any other error we cannot trust where the next request starts.
bool keeps_connection(int status) { return status < 400 || status == 403 || status == 404; }

}  // namespace

std::string_view to_string(HttpSession::Status s) {
    switch (s) {
    case HttpSession::Status::ReadingRequest: return "reading request";
    case HttpSession::Status::Idle: return "idle";
    case HttpSession::Status::Producing: return "producing";
    case HttpSession::Status::Finished: return "finished";
    }
    return "?";
}

HttpSession::HttpSession(const HttpSite& site)
    : site_(site),
      parser_(site.config().limits),
      // Room for the longest valid request line or header line (complete lines are consumed at
      // once), plus slack so a few small pipelined requests can wait here.
      in_capacity_(site.config().limits.max_request_line + site.config().limits.max_header_bytes + 4) {}

// ------------------------------------------------------------------------------------------ input

size_t HttpSession::input_space() const {
    if (phase_ == Phase::Done) return std::numeric_limits<size_t>::max();
    return in_capacity_ - buffered().size();
}

size_t HttpSession::on_data(Bytes data) {
    size_t used = 0;
    while (used < data.size()) {
        Bytes rest = data.subspan(used);
        if (phase_ == Phase::Done) return data.size();  // ignored: we close after this response
        if (phase_ == Phase::Body && buffered().empty()) {
            // Body bytes are counted and dropped straight from the caller's buffer.
            size_t n = static_cast<size_t>(std::min<uint64_t>(body_remaining_, rest.size()));
            body_remaining_ -= n;
            used += n;
            advance();
            continue;
        }
        size_t room = in_capacity_ - buffered().size();
        if (room == 0) break;
        size_t n = std::min(room, rest.size());
        append(rest.first(n));
        used += n;
        advance();
    }
    return used;
}

void HttpSession::on_peer_closed() {
    if (peer_closed_) return;
    peer_closed_ = true;
    advance();
}

void HttpSession::on_request_timeout() {
    if (status() != Status::ReadingRequest) return;
    bool partial = phase_ == Phase::Body || !buffered().empty() || parser_.started();
    if (partial) {
        // RFC 9110 §15.5.9: 408 tells the client the server closes rather than wait longer.
        respond_error(408, "request timeout");
    } else {
        TS_LOG(Debug, "http: no request before the timeout");
        finish();
    }
}

void HttpSession::append(Bytes data) {
    if (in_pos_ > 0 && in_.size() + data.size() > in_capacity_) {
        in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(in_pos_));
        in_pos_ = 0;
    }
    // Grow by doubling as vector would, but never past the cap: the cap is the memory promise.
    size_t needed = in_.size() + data.size();
    if (needed > in_.capacity()) in_.reserve(std::min(std::max(needed, 2 * in_.capacity()), in_capacity_));
    in_.insert(in_.end(), data.begin(), data.end());
}

void HttpSession::consume(size_t n) {
    assert(n <= buffered().size());
    in_pos_ += n;
    if (in_pos_ == in_.size()) {
        in_.clear();
        in_pos_ = 0;
    }
}

// Runs the request cycle as far as the buffered input allows.
void HttpSession::advance() {
    for (;;) {
        switch (phase_) {
        case Phase::Head: {
            size_t used = 0;
            auto progress = RequestParser::Progress::NeedMore;
            if (!buffered().empty()) progress = parser_.parse(buffered(), used);
            consume(used);
            if (progress == RequestParser::Progress::Error) {
                respond_error(parser_.error_status(), parser_.error_reason());
            } else if (progress == RequestParser::Progress::Complete) {
                on_head_complete();
            } else {
                // An incomplete request when the peer has stopped sending can never complete.
                if (peer_closed_) finish();
                return;
            }
            break;
        }
        case Phase::Body: {
            size_t n = static_cast<size_t>(std::min<uint64_t>(body_remaining_, buffered().size()));
            consume(n);
            body_remaining_ -= n;
            if (body_remaining_ > 0) {
                if (peer_closed_) finish();
                return;
            }
            respond_to_request();
            break;
        }
        case Phase::Respond:
        case Phase::Done: return;
        }
    }
}

void HttpSession::on_head_complete() {
    const RequestHead& h = parser_.head();
    head_only_ = h.method == "HEAD";
    // RFC 9112 §3.2: a 1.1 request without Host, or any request with more than one, gets 400.
    if (h.host_count > 1 || (h.version == HttpVersion::Http11 && h.host_count == 0)) {
        return respond_error(400, "missing or repeated Host");
    }
    if (h.transfer_encoding) {
        // RFC 9112 §6.1: with both, the framing is ambiguous (request smuggling): refuse.
        if (h.content_length) return respond_error(400, "Transfer-Encoding with Content-Length");
        // Chunked request bodies are not implemented; 411 asks the client to resend with
        // Content-Length, which is all a GET or HEAD body could need. Other codings: 501.
        return respond_error(h.chunked ? 411 : 501, "request Transfer-Encoding");
    }
    if (h.content_length.value_or(0) > site_.config().limits.max_body_bytes) {
        return respond_error(413, "request body over the limit");
    }
    if (h.method != "GET" && h.method != "HEAD") return respond_error(405, "method");
    // TODO: `Expect: 100-continue` (RFC 9110 §10.1.1) gets no interim 100; such a client waits
    // about a second before sending its body anyway. curl only asks for it on POST/PUT (405).
    body_remaining_ = h.content_length.value_or(0);
    phase_ = Phase::Body;  // advance() answers once the body has been read and dropped
}

bool HttpSession::client_wants_keep_alive() const {
    if (site_.config().keep_alive_seconds == 0) return false;
    const RequestHead& h = parser_.head();
    if (h.connection_close) return false;
    // RFC 9112 §9.3: 1.1 persists by default; 1.0 only when it asks with "keep-alive".
    if (h.version == HttpVersion::Http10 && !h.connection_keep_alive) return false;
    // The peer has finished sending and no further request is buffered: nothing left to serve.
    if (peer_closed_ && buffered().empty()) return false;
    return true;
}

void HttpSession::respond_to_request() {
    const RequestHead& h = parser_.head();
    DecodedTarget target = decode_target(h.target);
    if (target.status != 0) return respond_error(target.status, target.why);

    Resource r = site_.open(target.path);
    bool keep = client_wants_keep_alive();
    if (r.status == 301) {
        std::string location = fmt::format("{}/{}{}", target.raw_path, target.query.empty() ? "" : "?", target.query);
        return respond_page(301, keep, location);
    }
    if (r.status != 200) {
        TS_LOG(Debug, "http: \"{} {}\" -> {}", h.method, h.target, r.status);
        return respond_page(r.status, keep && keeps_connection(r.status));
    }
    TS_LOG(Debug, "http: \"{} {}\" -> 200, {} bytes", h.method, h.target, r.size);
    write_head(200, r.size, r.content_type, keep, {});
    if (!head_only_) {
        if (r.file.valid()) {
            file_ = std::move(r.file);
            file_offset_ = 0;
            file_remaining_ = r.size;
        } else {
            out_.append(r.body);
        }
    }
}

void HttpSession::respond_error(int status, std::string_view why) {
    TS_LOG(Debug, "http: \"{} {}\" -> {} ({})", parser_.head().method, parser_.head().target, status, why);
    respond_page(status, keeps_connection(status) && client_wants_keep_alive());
}

// A status with a one-line text body, e.g. "404 Not Found\n".
void HttpSession::respond_page(int status, bool keep_alive, std::string_view location) {
    std::string_view reason = reason_phrase(status);
    size_t body_len = fmt::formatted_size("{} {}\n", status, reason);
    write_head(status, body_len, "text/plain; charset=utf-8", keep_alive, location);
    if (!head_only_) fmt::format_to(std::back_inserter(out_), "{} {}\n", status, reason);
}

void HttpSession::write_head(int status, uint64_t content_length, std::string_view content_type, bool keep_alive,
                             std::string_view location) {
    out_.clear();
    out_pos_ = 0;
    keep_alive_ = keep_alive;
    ++responses_;
    last_status_ = status;
    phase_ = Phase::Respond;

    // Plain appends, not fmt: this runs for every response, and formatting through a
    // back_inserter cost more instructions than the rest of the request's HTTP work together.
    out_.reserve(256);  // a head is about 150 bytes: one allocation per session, not a few
    auto number = [this](uint64_t v) {
        char digits[20];
        auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
        out_.append(digits, end);
    };
    auto field = [this](std::string_view name, std::string_view value) {
        out_ += name;
        out_ += ": ";
        out_ += value;
        out_ += "\r\n";
    };
    out_ += "HTTP/1.1 ";
    number(static_cast<uint64_t>(status));
    out_ += ' ';
    out_ += reason_phrase(status);
    out_ += "\r\n";
    if (!site_.date().empty()) field("Date", site_.date());
    field("Server", "tapstack");
    out_ += "Content-Length: ";
    number(content_length);
    out_ += "\r\n";
    field("Content-Type", content_type);
    if (status == 405) field("Allow", "GET, HEAD");  // RFC 9110 §15.5.6: MUST list them
    if (!location.empty()) field("Location", location);
    if (keep_alive) {
        out_ += "Connection: keep-alive\r\nKeep-Alive: timeout=";
        number(site_.config().keep_alive_seconds);
        out_ += "\r\n";
    } else {
        field("Connection", "close");
    }
    out_ += "\r\n";
}

// ----------------------------------------------------------------------------------------- output

size_t HttpSession::produce(MutBytes out) {
    size_t n = 0;
    while (phase_ == Phase::Respond) {
        // Checked before the room, so that a response that exactly fills `out` still ends here
        // and the caller sees Finished (and can close) without another call.
        if (out_pos_ == out_.size() && file_remaining_ == 0) {
            finish_response();
            continue;
        }
        if (n == out.size()) break;
        if (out_pos_ < out_.size()) {
            size_t k = std::min(out.size() - n, out_.size() - out_pos_);
            std::memcpy(out.data() + n, out_.data() + out_pos_, k);
            out_pos_ += k;
            n += k;
            continue;
        }
        size_t want = static_cast<size_t>(std::min<uint64_t>(out.size() - n, file_remaining_));
        ssize_t got = ::pread(file_.get(), out.data() + n, want, static_cast<off_t>(file_offset_));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            // The file shrank or failed after its length was announced: the only honest signal
            // left is to end the connection with the body short.
            TS_LOG(Warn, "http: reading \"{}\" at offset {}: {}", parser_.head().target, file_offset_,
                   got < 0 ? std::strerror(errno) : "unexpected end of file");
            aborted_ = true;
            finish();
            break;
        }
        auto k = static_cast<size_t>(got);
        n += k;
        file_offset_ += k;
        file_remaining_ -= k;
    }
    return n;
}

void HttpSession::finish_response() {
    file_.reset();
    out_.clear();
    out_pos_ = 0;
    if (!keep_alive_) return finish();
    phase_ = Phase::Head;
    parser_.reset();
    head_only_ = false;
    advance();  // the next request may already be buffered (pipelining)
}

void HttpSession::finish() {
    phase_ = Phase::Done;
    file_.reset();
    file_remaining_ = 0;
    out_.clear();
    out_pos_ = 0;
    std::vector<uint8_t>{}.swap(in_);  // give the memory back while the connection drains
    in_pos_ = 0;
}

HttpSession::Status HttpSession::status() const {
    switch (phase_) {
    case Phase::Head:
        return buffered().empty() && !parser_.started() && responses_ > 0 ? Status::Idle : Status::ReadingRequest;
    case Phase::Body: return Status::ReadingRequest;
    case Phase::Respond: return Status::Producing;
    case Phase::Done: return Status::Finished;
    }
    return Status::Finished;
}

}  // namespace tapstack
