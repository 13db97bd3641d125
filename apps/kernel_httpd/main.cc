// SPDX-License-Identifier: MIT
// tapstack-kernel-httpd: the same HTTP application (HttpSession + HttpSite) on Linux's own TCP,
// through non-blocking sockets and epoll, single-threaded. It exists for the benchmark
// (scripts/bench.sh): with the application code identical, what differs between it and tapstack
// is only the TCP/IP stack underneath. Timeouts are checked once a second by a sweep, which is
// coarse but enough for a benchmark server (the request and keep-alive limits are seconds long).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "apps/http/http_session.hh"
#include "apps/http/http_site.hh"

namespace {

using tapstack::Bytes;
using tapstack::FileDescriptor;
using tapstack::HttpConfig;
using tapstack::HttpSession;
using tapstack::HttpSite;
using tapstack::Instant;
using tapstack::MutBytes;

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

Instant monotonic_now() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return Instant::from_us(int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000);
}

struct Options {
    std::string addr = "0.0.0.0";
    uint16_t port = 80;
    HttpConfig http;
};

void usage(std::FILE* to) {
    fmt::print(to,
               "usage: tapstack-kernel-httpd [--addr A.B.C.D] [--port N] [--http-root DIR] [--keep-alive SECONDS]\n"
               "The HTTP server of tapstack (same code, same options) on Linux sockets, for comparison.\n");
}

// Returns false (after printing why) on a bad command line.
bool parse(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help") {
            usage(stdout);
            std::exit(0);
        }
        if (i + 1 >= argc) {
            fmt::print(stderr, "tapstack-kernel-httpd: {} needs a value (or unknown option)\n", arg);
            return false;
        }
        std::string value = argv[++i];
        try {
            if (arg == "--addr") {
                o.addr = value;
            } else if (arg == "--port") {
                o.port = static_cast<uint16_t>(std::stoul(value));
            } else if (arg == "--http-root") {
                o.http.root = value;
            } else if (arg == "--keep-alive") {
                o.http.keep_alive_seconds = static_cast<uint32_t>(std::stoul(value));
            } else {
                fmt::print(stderr, "tapstack-kernel-httpd: unknown option {}\n", arg);
                return false;
            }
        } catch (const std::exception&) {
            fmt::print(stderr, "tapstack-kernel-httpd: bad value '{}' for {}\n", value, arg);
            return false;
        }
    }
    return true;
}

class KernelServer {
public:
    KernelServer(HttpSite& site, int epoll_fd) : site_(site), epoll_(epoll_fd), buffer_(64 * 1024) {}

    void accept_all(int listen_fd, Instant now) {
        for (;;) {
            int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) return;  // EAGAIN, or EMFILE under overload: the backlog keeps the rest
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            auto c = std::make_unique<Connection>(site_, fd, now);
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLRDHUP;
            ev.data.fd = fd;
            epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
            Connection& ref = *c;
            connections_.emplace(fd, std::move(c));
            service(ref, now);
        }
    }

    void on_event(int fd, Instant now) {
        auto it = connections_.find(fd);
        if (it != connections_.end()) service(*it->second, now);
    }

    // Closes connections whose request or keep-alive time is up (the same limits as HttpServer).
    void sweep(Instant now) {
        std::vector<int> expired;
        for (auto& [fd, c] : connections_) {
            HttpSession::Status s = c->session.status();
            bool reading = s == HttpSession::Status::ReadingRequest;
            bool idle = s == HttpSession::Status::Idle;
            auto limit = reading ? site_.config().request_timeout
                                 : std::chrono::duration_cast<tapstack::Duration>(
                                       std::chrono::seconds{site_.config().keep_alive_seconds});
            if ((reading || idle) && now - c->since > limit) expired.push_back(fd);
        }
        for (int fd : expired) {
            auto it = connections_.find(fd);
            if (it->second->session.status() == HttpSession::Status::ReadingRequest) {
                it->second->session.on_request_timeout();
                service(*it->second, now);
            } else {
                close_connection(fd);
            }
        }
    }

    size_t size() const { return connections_.size(); }

private:
    struct Connection {
        Connection(const HttpSite& site, int f, Instant now) : session(site), fd(f), since(now) {}
        HttpSession session;
        FileDescriptor fd;
        std::vector<uint8_t> unsent;
        size_t unsent_pos = 0;
        bool eof = false;
        bool want_out = false;
        Instant since;
    };

    // The pump of HttpServer::service(), on a kernel socket: read while the session takes input,
    // write while the socket takes output, until neither moves.
    void service(Connection& c, Instant now) {
        MutBytes buffer{buffer_};
        int fd = c.fd.get();
        for (bool moved = true; moved;) {
            moved = false;
            while (size_t space = c.session.input_space()) {
                ssize_t n = ::read(fd, buffer.data(), std::min(space, buffer.size()));
                if (n == 0 && !c.eof) {
                    c.eof = true;
                    c.session.on_peer_closed();
                    moved = true;
                }
                if (n < 0 && errno != EAGAIN) return close_connection(fd);  // reset by the peer
                if (n <= 0) break;
                c.session.on_data(buffer.first(static_cast<size_t>(n)));
                c.since = now;
                moved = true;
            }
            if (!flush(c)) break;
            while (size_t n = c.session.produce(buffer)) {
                moved = true;
                ssize_t w = ::send(fd, buffer.data(), n, MSG_NOSIGNAL);
                size_t written = w > 0 ? static_cast<size_t>(w) : 0;
                if (w < 0 && errno != EAGAIN) return close_connection(fd);
                if (written < n) {
                    c.unsent.assign(buffer.begin() + static_cast<std::ptrdiff_t>(written),
                                    buffer.begin() + static_cast<std::ptrdiff_t>(n));
                    c.unsent_pos = 0;
                    break;
                }
            }
        }
        if (c.session.should_close() && c.unsent.empty()) return close_connection(fd);
        set_want_out(c, !c.unsent.empty());
    }

    bool flush(Connection& c) {
        if (c.unsent.empty()) return true;
        ssize_t w = ::send(c.fd.get(), c.unsent.data() + c.unsent_pos, c.unsent.size() - c.unsent_pos, MSG_NOSIGNAL);
        if (w > 0) c.unsent_pos += static_cast<size_t>(w);
        if (c.unsent_pos < c.unsent.size()) return false;
        c.unsent.clear();
        c.unsent_pos = 0;
        return true;
    }

    void set_want_out(Connection& c, bool want) {
        if (c.want_out == want) return;
        c.want_out = want;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u);
        ev.data.fd = c.fd.get();
        epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd.get(), &ev);
    }

    // Unread input is drained first: close() with unread data would send RST (RFC 9293 §3.10.4).
    void close_connection(int fd) {
        while (::read(fd, buffer_.data(), buffer_.size()) > 0) {
        }
        connections_.erase(fd);  // the FileDescriptor closes it, which also leaves the epoll set
    }

    HttpSite& site_;
    int epoll_;
    std::vector<uint8_t> buffer_;
    std::unordered_map<int, std::unique_ptr<Connection>> connections_;
};

int listen_on(const Options& o) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(o.port);
    if (inet_pton(AF_INET, o.addr.c_str(), &sa.sin_addr) != 1 ||
        bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(fd, 4096) != 0) {
        fmt::print(stderr, "tapstack-kernel-httpd: cannot listen on {}:{}: {}\n", o.addr, o.port, std::strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (!parse(argc, argv, o)) {
        usage(stderr);
        return 2;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::unique_ptr<HttpSite> site;
    try {
        site = std::make_unique<HttpSite>(o.http);
    } catch (const std::exception& e) {
        fmt::print(stderr, "tapstack-kernel-httpd: {}\n", e.what());
        return 1;
    }
    FileDescriptor listener{listen_on(o)};
    if (!listener.valid()) return 1;
    FileDescriptor epoll{epoll_create1(EPOLL_CLOEXEC)};
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listener.get();
    epoll_ctl(epoll.get(), EPOLL_CTL_ADD, listener.get(), &ev);
    KernelServer server{*site, epoll.get()};
    fmt::print(stderr, "tapstack-kernel-httpd: listening on {}:{}\n", o.addr, o.port);

    std::vector<epoll_event> events(256);
    Instant last_sweep = monotonic_now();
    while (!stop_requested) {
        int n = epoll_wait(epoll.get(), events.data(), static_cast<int>(events.size()), 1000);
        Instant now = monotonic_now();
        for (int i = 0; i < n; ++i) {
            int fd = events[static_cast<size_t>(i)].data.fd;
            if (fd == listener.get()) {
                server.accept_all(fd, now);
            } else {
                server.on_event(fd, now);
            }
        }
        if (now - last_sweep >= std::chrono::seconds{1}) {
            server.sweep(now);
            last_sweep = now;
        }
    }
    fmt::print(stderr, "tapstack-kernel-httpd: stopped with {} connections open\n", server.size());
    return 0;
}
