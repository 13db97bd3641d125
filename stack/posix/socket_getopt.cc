// SPDX-License-Identifier: MIT
// Sockets (sockets.hh): getsockopt, and TCP_INFO. An option never set reads as the stack's
// setting (StackConfig::tcp), in Linux's units: SO_RCVBUF and SO_SNDBUF report twice the ring,
// as Linux reports twice what was asked; TCP_MAXSEG the MSS in use once connected. Values are
// cut to the caller's buffer, as Linux does (sock_getsockopt, do_tcp_getsockopt).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "stack/posix/sockets.hh"

namespace tapstack {
namespace {

// Linux's TCP_MSS_DEFAULT: what TCP_MAXSEG reads before a connection has an MSS.
constexpr int mss_default = 536;
// Linux's TCP_INFINITE_SSTHRESH: the slow-start threshold before the first loss.
constexpr uint32_t ssthresh_infinite = 0x7fffffff;

size_t store(MutBytes out, const void* value, size_t len) {
    len = std::min(len, out.size());
    std::memcpy(out.data(), value, len);
    return len;
}

timeval timeval_of(std::optional<Duration> d) {
    auto us = d ? std::chrono::duration_cast<std::chrono::microseconds>(*d).count() : 0;
    return timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
}

// Linux's numbering of the TCP states (include/net/tcp_states.h), as tcpi_state gives it.
uint8_t linux_state(TcpState s) {
    switch (s) {
    case TcpState::Established: return 1;
    case TcpState::SynSent: return 2;
    case TcpState::SynReceived: return 3;
    case TcpState::FinWait1: return 4;
    case TcpState::FinWait2: return 5;
    case TcpState::TimeWait: return 6;
    case TcpState::Closed: return 7;
    case TcpState::CloseWait: return 8;
    case TcpState::LastAck: return 9;
    case TcpState::Listen: return 10;
    case TcpState::Closing: return 11;
    }
    return 7;
}

uint32_t microseconds(Duration d) {
    return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

// The fields of struct tcp_info that tapstack keeps (docs/design.md lists the rest, left 0).
void fill_tcp_info(tcp_info& t, const SocketInfo& i) {
    t.tcpi_state = linux_state(i.state);
    // TCP_CA_Loss (4) after a timeout, TCP_CA_Recovery (3) in fast recovery, else TCP_CA_Open.
    t.tcpi_ca_state = i.backoff > 0 ? 4 : i.in_recovery ? 3 : 0;
    t.tcpi_retransmits = static_cast<uint8_t>(std::min<uint32_t>(i.backoff, 255));
    t.tcpi_backoff = t.tcpi_retransmits;
    t.tcpi_options = static_cast<uint8_t>((i.timestamps ? TCPI_OPT_TIMESTAMPS : 0) | (i.sack ? TCPI_OPT_SACK : 0) |
                                          (i.window_scaling ? TCPI_OPT_WSCALE : 0));
    if (i.window_scaling) {
        t.tcpi_snd_wscale = i.send_window_shift & 0xf;
        t.tcpi_rcv_wscale = i.receive_window_shift & 0xf;
    }
    t.tcpi_rto = microseconds(i.rto);
    t.tcpi_snd_mss = i.send_mss;
    t.tcpi_rcv_mss = i.receive_mss;
    // Linux counts segments in flight; tapstack counts bytes: full-sized segments are assumed.
    uint32_t in_flight = i.send_queue > i.unsent ? i.send_queue - i.unsent : 0;
    t.tcpi_unacked = i.send_mss > 0 ? (in_flight + i.send_mss - 1) / i.send_mss : 0;
    t.tcpi_rtt = i.srtt ? microseconds(*i.srtt) : 0;
    t.tcpi_rttvar = microseconds(i.rttvar);
    uint32_t mss = std::max<uint32_t>(i.send_mss, 1);
    t.tcpi_snd_ssthresh = i.ssthresh >= ssthresh_infinite ? ssthresh_infinite : i.ssthresh / mss;
    t.tcpi_snd_cwnd = i.cwnd / mss;
    t.tcpi_advmss = i.announced_mss;
    t.tcpi_total_retrans = i.retransmissions;
}

}  // namespace

SysResult<size_t> Sockets::getsockopt(int fd, int level, int name, MutBytes value) {
    Socket* s = find(fd);
    if (!s) return sys_error(not_found(fd));
    if (level == SOL_SOCKET && name == SO_LINGER) {
        linger l{s->linger_seconds.has_value(), s->linger_seconds.value_or(0)};
        return store(value, &l, sizeof l);
    }
    if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
        timeval tv = timeval_of(name == SO_RCVTIMEO ? s->receive_timeout : s->send_timeout);
        return store(value, &tv, sizeof tv);
    }
    if (level == IPPROTO_TCP && name == TCP_INFO) return get_tcp_info(*s, value);
    std::optional<int> v;
    if (level == SOL_SOCKET) v = socket_option(*s, name);
    if (level == IPPROTO_TCP) v = tcp_option(*s, name);
    if (!v) return sys_error(ENOPROTOOPT);
    return store(value, &*v, sizeof *v);
}

std::optional<int> Sockets::socket_option(Socket& s, int name) {
    const TcpSettings& stack = stack_.config().tcp;
    switch (name) {
    case SO_ERROR: return take_error(s);
    case SO_REUSEADDR: return s.reuse_address;
    case SO_KEEPALIVE: return s.options.keepalive.value_or(stack.keepalive.enabled);
    case SO_TYPE: return SOCK_STREAM;
    case SO_ACCEPTCONN: return s.state == State::Listening;
    case SO_RCVBUF: return static_cast<int>(2 * s.options.receive_buffer.value_or(stack.receive_buffer));
    case SO_SNDBUF: return static_cast<int>(2 * s.options.send_buffer.value_or(stack.send_buffer));
    default: return std::nullopt;
    }
}

std::optional<int> Sockets::tcp_option(const Socket& s, int name) const {
    const TcpSettings& stack = stack_.config().tcp;
    auto seconds = [](Duration d) {
        return static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
    };
    switch (name) {
    case TCP_NODELAY: return s.options.nodelay.value_or(!stack.nagle);
    case TCP_CORK: return s.options.cork.value_or(false);
    case TCP_MAXSEG: {
        // Linux: the MSS in use once there is a connection, else the clamp set, else 536.
        auto info = s.state == State::Connecting || s.state == State::Connected ? stack_.info(s.id) : std::nullopt;
        if (info) return static_cast<int>(info->send_mss);
        int clamp = s.options.max_segment.value_or(0);
        return clamp > 0 ? clamp : mss_default;
    }
    case TCP_KEEPIDLE: return seconds(s.options.keepalive_idle.value_or(stack.keepalive.idle));
    case TCP_KEEPINTVL: return seconds(s.options.keepalive_interval.value_or(stack.keepalive.interval));
    case TCP_KEEPCNT: return static_cast<int>(s.options.keepalive_probes.value_or(stack.keepalive.probes));
    case TCP_USER_TIMEOUT:
        return static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(s.options.user_timeout.value_or(stack.user_timeout))
                .count());
    default: return std::nullopt;
    }
}

// A socket without a connection reports only its state (CLOSE or LISTEN), as Linux's does.
size_t Sockets::get_tcp_info(const Socket& s, MutBytes out) const {
    tcp_info t{};
    std::optional<SocketInfo> info;
    if (s.state == State::Connecting || s.state == State::Connected) info = stack_.info(s.id);
    if (info) fill_tcp_info(t, *info);
    else t.tcpi_state = linux_state(s.state == State::Listening ? TcpState::Listen : TcpState::Closed);
    return store(out, &t, sizeof t);
}

}  // namespace tapstack
