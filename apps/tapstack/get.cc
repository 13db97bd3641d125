// SPDX-License-Identifier: MIT
#include "apps/tapstack/get.hh"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>

#include "apps/tapstack/host.hh"
#include "stack/stack.hh"
#include "stack/trace/conversation_tracer.hh"

namespace tapstack {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::variant<HttpUrl, std::string> parse_http_url(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    if (!url.starts_with(scheme)) return std::string{"only http:// URLs"};
    std::string_view rest = url.substr(scheme.size());
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    HttpUrl u;
    if (slash != std::string_view::npos) u.path = std::string{rest.substr(slash)};
    if (u.path.find_first_of(" \r\n") != std::string::npos) return std::string{"the path has a space or a line break"};
    std::string_view host = authority;
    if (size_t colon = authority.find(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        std::string_view port = authority.substr(colon + 1);
        unsigned v = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
        if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || v == 0 || v > 65535)
            return fmt::format("'{}' is not a port from 1 to 65535", port);
        u.port = static_cast<uint16_t>(v);
    }
    auto addr = Ipv4Address::parse(host);
    if (!addr) return fmt::format("'{}' is not an IPv4 address (there is no DNS here)", host);
    u.host = *addr;
    u.host_header = std::string{authority};
    return u;
}

std::string make_get_request(const HttpUrl& u) {
    return fmt::format(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: tapstack/0.1\r\nAccept: */*\r\nConnection: close\r\n\r\n", u.path,
        u.host_header);
}

bool HttpResponseReader::fail(std::string why) {
    state_ = State::Failed;
    error_ = std::move(why);
    return false;
}

void HttpResponseReader::deliver(Bytes b) {
    if (b.empty()) return;
    body_bytes_ += b.size();
    sink_(b);
}

bool HttpResponseReader::take_line(std::string& line) {
    size_t end = pending_.find("\r\n");
    if (end == std::string::npos) return false;
    line = pending_.substr(0, end);
    pending_.erase(0, end + 2);
    return true;
}

bool HttpResponseReader::parse_head() {
    // RFC 9112 §4: HTTP/1.x SP 3DIGIT SP reason; then field lines up to the empty line.
    size_t end = pending_.find("\r\n\r\n");
    if (end == std::string::npos) {
        if (pending_.size() > max_head) return fail("the response head is over 64 KiB");
        return true;
    }
    std::string head = pending_.substr(0, end);
    pending_.erase(0, end + 4);
    size_t eol = head.find("\r\n");
    status_line_ = head.substr(0, eol);
    if (status_line_.size() < 12 || !status_line_.starts_with("HTTP/1.") || status_line_[8] != ' ')
        return fail(fmt::format("not an HTTP/1.x status line: '{}'", status_line_.substr(0, 80)));
    auto [p, ec] = std::from_chars(status_line_.data() + 9, status_line_.data() + 12, status_);
    if (ec != std::errc{} || p != status_line_.data() + 12 || status_ < 100)
        return fail("no status code in the status line");
    bool chunked = false;
    std::string_view fields = eol == std::string::npos ? std::string_view{} : std::string_view{head}.substr(eol + 2);
    while (!fields.empty()) {
        size_t next = fields.find("\r\n");
        std::string_view line = fields.substr(0, next);
        fields = next == std::string_view::npos ? std::string_view{} : fields.substr(next + 2);
        size_t colon = line.find(':');
        if (colon == std::string_view::npos)
            return fail(fmt::format("a header line without ':': '{}'", line.substr(0, 80)));
        std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
        if (iequals(name, "Content-Length")) {
            uint64_t n = 0;
            auto [q, e] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (e != std::errc{} || q != value.data() + value.size())
                return fail("a Content-Length that is not a number");
            if (content_length_ && *content_length_ != n) return fail("two different Content-Lengths");
            content_length_ = n;
        } else if (iequals(name, "Transfer-Encoding")) {
            chunked = iequals(value, "chunked");
            if (!chunked) return fail(fmt::format("Transfer-Encoding '{}' is not supported", value));
        }
    }
    // RFC 9112 §6.3: 1xx, 204 and 304 have no body; chunked wins over Content-Length.
    if (status_ < 200 || status_ == 204 || status_ == 304) state_ = State::Done;
    else if (chunked) state_ = State::ChunkSize;
    else if (content_length_) state_ = *content_length_ == 0 ? State::Done : State::Body;
    else state_ = State::ToClose;
    return true;
}

bool HttpResponseReader::feed(Bytes data) {
    if (state_ == State::Done || state_ == State::Failed) return state_ == State::Done;
    pending_.append(as_chars(data));
    if (state_ == State::Head && (!parse_head() || state_ == State::Head)) return !failed();
    // The body, from pending_, step by step until a step needs more bytes than there are.
    while (!pending_.empty() && state_ != State::Done && state_ != State::Failed) {
        if (!read_body()) break;
    }
    return !failed();
}

bool HttpResponseReader::read_body() {
    switch (state_) {
    case State::Body:
        deliver_pending(*content_length_ - body_bytes_);
        if (body_bytes_ == *content_length_) state_ = State::Done;
        pending_.clear();  // anything after the body is not ours to read
        return true;
    case State::ToClose:
        deliver(as_bytes(pending_));
        pending_.clear();
        return true;
    case State::ChunkSize: return read_chunk_size();
    case State::ChunkData:
        chunk_left_ -= deliver_pending(chunk_left_);
        if (chunk_left_ == 0) state_ = State::ChunkDataEnd;
        return true;
    case State::ChunkDataEnd: return read_chunk_end();
    case State::Trailers: return read_trailer();
    case State::Head:
    case State::Done:
    case State::Failed: break;
    }
    return true;
}

size_t HttpResponseReader::deliver_pending(uint64_t at_most) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(pending_.size(), at_most));
    deliver(as_bytes(std::string_view{pending_}.substr(0, n)));
    pending_.erase(0, n);
    return n;
}

bool HttpResponseReader::read_chunk_size() {
    std::string line;
    if (!take_line(line)) {
        if (pending_.size() > 1024) return fail("a chunk-size line over 1 KiB");
        return false;
    }
    std::string_view hex = trim(std::string_view{line}.substr(0, line.find(';')));  // chunk extensions ignored
    uint64_t size = 0;
    auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
    if (hex.empty() || ec != std::errc{} || p != hex.data() + hex.size())
        return fail(fmt::format("a bad chunk size '{}'", line.substr(0, 40)));
    chunk_left_ = size;
    state_ = size == 0 ? State::Trailers : State::ChunkData;
    return true;
}

bool HttpResponseReader::read_chunk_end() {
    if (pending_.size() < 2) return false;
    if (pending_.compare(0, 2, "\r\n") != 0) return fail("a chunk not followed by CRLF");
    pending_.erase(0, 2);
    state_ = State::ChunkSize;
    return true;
}

bool HttpResponseReader::read_trailer() {
    std::string line;
    if (!take_line(line)) return false;
    if (line.empty()) state_ = State::Done;
    return true;
}

void HttpResponseReader::peer_closed() {
    if (state_ == State::ToClose) {
        state_ = State::Done;
    } else if (state_ == State::Head) {
        fail(pending_.empty() ? "the server closed without answering"
                              : "the server closed in the middle of the response head");
    } else if (state_ != State::Done && state_ != State::Failed) {
        fail(content_length_ ? fmt::format("the server closed after {} of {} bytes", body_bytes_, *content_length_)
                             : std::string{"the server closed in the middle of a chunked body"});
    }
}

namespace {

// The socket side: sends the request, feeds the reader, closes when the response is complete.
class GetClient : public SocketHandler {
public:
    GetClient(Stack& stack, const HttpUrl& url, std::FILE* out)
        : stack_(stack),
          request_(make_get_request(url)),
          reader_([out](Bytes b) { std::fwrite(b.data(), 1, b.size(), out); }) {}

    void start(SocketId id) { id_ = id; }
    void on_connected(SocketId) override {
        connected_ = true;
        send();
    }
    void on_writable(SocketId) override { send(); }
    void on_readable(SocketId id) override {
        uint8_t buf[16384];
        while (size_t n = stack_.read(id, MutBytes{buf, sizeof buf}).value_or(0)) reader_.feed(Bytes{buf, n});
        if (stack_.peer_closed(id)) reader_.peer_closed();
        if ((reader_.complete() || reader_.failed()) && !closed_) {
            closed_ = true;
            stack_.close(id);  // FIN (or RST if the server sent more than we read)
        }
    }
    void on_closed(SocketId, CloseReason r) override {
        gone_ = true;
        if (!reader_.complete()) failure_ = r;
    }

    bool finished() const {
        if (gone_) return true;
        if (!closed_) return false;
        // Our close is done once we are in TIME-WAIT or CLOSED: TIME-WAIT itself (2 MSL) is not
        // worth waiting for in a command-line tool; the kernel-side peer is already done.
        auto info = stack_.info(id_);
        return !info || info->state == TcpState::TimeWait || info->state == TcpState::Closed;
    }
    const HttpResponseReader& reader() const { return reader_; }
    std::optional<CloseReason> failure() const { return failure_; }
    bool connected() const { return connected_; }

private:
    void send() {
        while (sent_ < request_.size()) {
            size_t n = stack_.write(id_, as_bytes(std::string_view{request_}.substr(sent_))).value_or(0);
            if (n == 0) return;
            sent_ += n;
        }
    }
    Stack& stack_;
    std::string request_;
    size_t sent_ = 0;
    HttpResponseReader reader_;
    SocketId id_;
    bool connected_ = false, closed_ = false, gone_ = false;
    std::optional<CloseReason> failure_;
};

using OutputFile = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

// Where the body goes: the --output file, or standard output (which is not closed). Null when
// the file cannot be opened (said on standard error).
OutputFile open_output(const Options& o) {
    if (!o.output) return OutputFile{stdout, [](std::FILE*) { return 0; }};
    OutputFile file{std::fopen(o.output->c_str(), "wb"), &std::fclose};
    if (!file) fmt::print(stderr, "tapstack get: cannot write {}: {}\n", *o.output, std::strerror(errno));
    return file;
}

// --trace: the conversation goes to standard error here, as standard output is the body.
std::unique_ptr<ConversationTracer> attach_tracer(const Options& o, Stack& stack) {
    if (!o.trace) return nullptr;
    auto tracer = std::make_unique<ConversationTracer>([](std::string_view line) { fmt::print(stderr, "{}\n", line); },
                                                       o.trace_json ? TraceFormat::Json : TraceFormat::Text);
    stack.set_observer(tracer.get());
    return tracer;
}

// We speak first, right after attaching: wait (up to 2 s) until the kernel has the link up, or
// it drops the answer to our first ARP request and the fetch starts a second late.
void wait_for_link(DeviceChain& devices, Stack& stack, const StopSignals& signals) {
    for (Instant until = monotonic_now() + std::chrono::seconds{2};
         !devices.tap().running() && monotonic_now() < until;) {
        stack.poll(monotonic_now());  // (whatever arrives meanwhile is handled, not left to spin on)
        wait_for(devices.stack_device(), monotonic_now() + std::chrono::milliseconds{10}, signals);
    }
}

// The event loop of the fetch: until the client is finished, a stop signal or the deadline
// (both abort the connection). Returns true when the deadline passed.
bool fetch(Stack& stack, DeviceChain& devices, const StopSignals& signals, const GetClient& client, SocketId id,
           Instant deadline) {
    for (;;) {
        Instant now = monotonic_now();
        if (signals.received() || now >= deadline) {
            bool timed_out = !signals.received();
            stack.abort(id);
            stack.poll(now);
            return timed_out;
        }
        stack.poll(now);
        devices.flush();
        if (client.finished()) return false;
        wait_for(devices.stack_device(), earliest(stack.poll_at(), deadline), signals);
    }
}

// What went wrong, in a few words; empty when the fetch worked.
std::string problem(const Options& o, bool timed_out, const StopSignals& signals, const GetClient& client) {
    if (timed_out)
        return fmt::format("timed out after {} s{}", o.timeout_seconds,
                           client.connected() ? "" : " (no answer to our SYN)");
    if (signals.received()) return "interrupted";
    if (client.failure()) return std::string{to_string(*client.failure())};
    if (client.reader().failed()) return client.reader().error();
    return {};
}

}  // namespace

int run_get(const Options& o) {
    auto parsed = parse_http_url(*o.url);
    if (auto* err = std::get_if<std::string>(&parsed)) {
        fmt::print(stderr, "tapstack get: {}: {}\n", *o.url, *err);
        return 2;
    }
    const HttpUrl& url = std::get<HttpUrl>(parsed);
    log::set_level(o.log_level);
    OutputFile out = open_output(o);
    if (!out) return 1;

    StopSignals signals;
    DeviceChain devices(o, o.seed ? *o.seed : random_secret());
    Stack stack(stack_config(o, o.seed ? *o.seed : random_secret()), devices.stack_device());
    std::unique_ptr<ConversationTracer> tracer = attach_tracer(o, stack);
    wait_for_link(devices, stack, signals);
    GetClient client(stack, url, out.get());
    stack.poll(monotonic_now());  // the stack's clock is the time of its last poll: set it first
    auto id = stack.connect(url.host, url.port, client);
    if (!id) {
        fmt::print(stderr, "tapstack get: {}: no route from {}/{} (use --gateway)\n", *o.url, o.ip.address,
                   o.ip.prefix_len);
        return 1;
    }
    client.start(*id);
    Instant start = monotonic_now();
    bool timed_out = fetch(stack, devices, signals, client, *id, start + std::chrono::seconds{o.timeout_seconds});
    devices.flush();
    std::fflush(out.get());
    double secs = static_cast<double>((monotonic_now() - start).count()) / 1e6;
    const HttpResponseReader& r = client.reader();
    if (r.head_complete()) fmt::print(stderr, "tapstack get: {}\n", r.status_line());
    if (log::enabled(log::Level::Debug)) print_stats(stack.stats());
    devices.print_stats();  // only what is worth a line: device drops, faults, offload bundles

    if (std::string why = problem(o, timed_out, signals, client); !why.empty()) {
        fmt::print(stderr, "tapstack get: {}: {}\n", *o.url, why);
        return 1;
    }
    fmt::print(stderr, "tapstack get: {} bytes of body in {:.3f} s\n", r.body_bytes(), secs);
    if (devices.capture_failed()) {
        fmt::print(stderr, "tapstack get: writing {} failed: the capture is incomplete\n", *o.pcap);
        return 1;
    }
    return r.status() >= 200 && r.status() < 300 ? 0 : 1;
}

}  // namespace tapstack
