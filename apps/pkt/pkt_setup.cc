// SPDX-License-Identifier: MIT
// The Linux profile, script options and shell lines of pkt_setup.hh.
#include "apps/pkt/pkt_setup.hh"

#include <fmt/format.h>

#include <charconv>
#include <vector>

namespace tapstack::pkt {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    while (!s.empty()) {
        size_t at = s.find(sep);
        std::string_view piece = trim(s.substr(0, at));
        if (!piece.empty()) out.push_back(piece);
        s = at == std::string_view::npos ? std::string_view{} : s.substr(at + 1);
    }
    return out;
}

std::optional<int64_t> to_int(std::string_view s) {
    int64_t v = 0;
    int base = 10;
    if (s.starts_with("0x")) s.remove_prefix(2), base = 16;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string_view unquote(std::string_view s) {
    if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front())
        return s.substr(1, s.size() - 2);
    return s;
}

// net.ipv4.tcp_X settings that defaults.sh sets and tapstack already behaves as (or that touch
// nothing tapstack has): setting them to these values changes nothing.
struct Agreed {
    std::string_view name, value;
};
constexpr Agreed agreed_values[] = {
    {"tcp_syn_retries", "5"},
    {"tcp_synack_retries", "5"},
    {"tcp_frto", "2"},
    {"tcp_dsack", "1"},
    {"tcp_fack", "0"},
    {"tcp_reordering", "3"},
    {"tcp_slow_start_after_idle", "0"},
    {"tcp_tso_win_divisor", "3"},
    {"tcp_ecn", "0"},
    {"tcp_ecn_option", "2"},
    {"tcp_pacing_ss_ratio", "200"},
    {"tcp_pacing_ca_ratio", "120"},
    {"tcp_notsent_lowat", "4294967295"},
    {"tcp_fastopen", "0"},
    {"tcp_syncookies", "1"},
    {"tcp_recovery", "1"},  // RACK: our probe timer resends by order in recovery
    {"tcp_min_tso_segs", "2"},
    {"tcp_min_tso_segs", "10"},  // our TSO segments are as large as allowed
};

std::optional<bool> flag(std::string_view v) {
    if (v == "0") return false;
    if (v == "1") return true;
    return std::nullopt;
}

// "4096 540000 15728640" -> the third (rmem: the largest buffer, which sets window scale) or the
// second (wmem: the default send buffer) number.
std::optional<uint32_t> buffer_triple(std::string_view v, size_t which) {
    std::vector<std::string_view> parts = split(unquote(v), ' ');
    if (parts.size() != 3) return std::nullopt;
    auto n = to_int(parts[which]);
    if (!n || *n <= 0 || *n > int64_t{1} << 30) return std::nullopt;
    return static_cast<uint32_t>(*n);
}

std::optional<std::string> apply_sysctl(std::string_view name, std::string_view value, ScriptSettings& s) {
    std::string why = fmt::format("sysctl net.ipv4.{}={}: no such setting in tapstack", name, value);
    for (const Agreed& a : agreed_values)
        if (a.name == name && a.value == unquote(value)) return std::nullopt;
    TcpSettings& tcp = s.stack.tcp;
    bool* switched = name == "tcp_timestamps"       ? &tcp.timestamps
                     : name == "tcp_sack"           ? &tcp.sack
                     : name == "tcp_window_scaling" ? &tcp.window_scaling
                                                    : nullptr;
    if (switched) {
        auto on = flag(value);
        if (!on) return why;
        *switched = *on;
        return std::nullopt;
    }
    // 3 and 4 (defaults.sh) turn the tail loss probe on; 0-2 leave early retransmit alone.
    if (name == "tcp_early_retrans") {
        auto mode = to_int(value);
        if (!mode || *mode < 0 || *mode > 4) return why;
        tcp.tail_loss_probe = *mode >= 3;
        return std::nullopt;
    }
    // Keep-alive timings (seconds, and a count), for connections that turn keep-alives on.
    if (name == "tcp_keepalive_time" || name == "tcp_keepalive_intvl" || name == "tcp_keepalive_probes") {
        auto n = to_int(value);
        if (!n || *n < 1 || *n > 32767) return why;
        if (name == "tcp_keepalive_probes") tcp.keepalive.probes = static_cast<uint32_t>(*n);
        else (name == "tcp_keepalive_time" ? tcp.keepalive.idle : tcp.keepalive.interval) = std::chrono::seconds{*n};
        return std::nullopt;
    }
    if (name == "tcp_rmem" || name == "tcp_wmem") {
        auto size = buffer_triple(value, name == "tcp_rmem" ? 2 : 1);
        if (!size) return why;
        (name == "tcp_rmem" ? tcp.receive_buffer : tcp.send_buffer) = *size;
        return std::nullopt;
    }
    return why;
}

// One `name=value` of sysctl (net.ipv4.tcp_sack=0) or set_sysctls.py (/proc/sys/net/ipv4/tcp_sack=0).
std::optional<std::string> apply_assignment(std::string_view assignment, ScriptSettings& s) {
    size_t eq = assignment.find('=');
    if (eq == std::string_view::npos) return fmt::format("shell line not understood: {}", assignment);
    std::string_view key = assignment.substr(0, eq), value = assignment.substr(eq + 1);
    for (std::string_view prefix : {"net.ipv4.", "/proc/sys/net/ipv4/"}) {
        if (key.starts_with(prefix)) return apply_sysctl(key.substr(prefix.size()), value, s);
    }
    return fmt::format("sysctl {}: no such setting in tapstack", key);
}

// The words of a line, with "a b c" kept as one (tcp_wmem="4096 50000 4194304").
std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ') ++i;
        size_t start = i;
        char quote = 0;
        for (; i < line.size() && (quote || line[i] != ' '); ++i) {
            if (line[i] == '"') quote = quote ? 0 : '"';
        }
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

std::optional<std::string> apply_line(std::string_view line, ScriptSettings& s) {
    if (auto redirect = line.find(" > /dev/null"); redirect != std::string_view::npos)
        line = trim(line.substr(0, redirect));
    std::vector<std::string_view> w = words(line);
    if (w.empty()) return std::nullopt;
    // The upstream defaults (the Linux profile itself), and the restore of what a script changed
    // (each script gets a fresh stack anyway).
    if (w.size() == 1 && (w[0].ends_with("common/defaults.sh") || w[0].starts_with("/tmp/sysctl_restore_")))
        return std::nullopt;
    if (w[0] == "sysctl" || w[0].ends_with("set_sysctls.py")) {
        for (size_t i = 1; i < w.size(); ++i) {
            if (w[i] == "-q" || w[i] == "-w") continue;
            if (auto problem = apply_assignment(w[i], s)) return problem;
        }
        return std::nullopt;
    }
    if (line == "ethtool -K tun0 tso off gso off") {
        s.segmentation_offload = false;
        return std::nullopt;
    }
    return fmt::format("shell line not understood: {}", line);
}

}  // namespace

ScriptSettings linux_profile() {
    ScriptSettings s;
    StackConfig& c = s.stack;
    c.ip = Ipv4Cidr{local_address, 24};
    c.gateway = gateway_address;
    c.fixed_iss = local_iss;
    // tcp_rmem's largest buffer, 15 MB: Linux's window scale 8 in the SYN,ACK.
    c.tcp.receive_buffer = 15 * 1024 * 1024;
    c.tcp.send_buffer = 256 * 1024;  // tcp_wmem's default
    c.tcp.timestamps = c.tcp.sack = c.tcp.window_scaling = true;
    return s;
}

std::optional<std::string> apply_option(const ScriptOption& o, ScriptSettings& s) {
    std::string_view value = o.value ? unquote(*o.value) : std::string_view{};
    auto number = to_int(value);
    if (o.name == "tolerance_usecs" && number && *number > 0) {
        s.tolerance_usecs = *number;
    } else if (o.name == "tolerance_percent") {
        double p = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), p);
        if (ec != std::errc{} || end != value.data() + value.size() || p < 0 || p > 100)
            return fmt::format("--tolerance_percent={}: not a percentage", value);
        s.tolerance_percent = p;
    } else if (o.name == "tcp_ts_tick_usecs" && number && *number >= 0) {
        s.ts_tick_usecs = *number;
    } else if (o.name == "ip_version" && value != "ipv4") {
        return fmt::format("--ip_version={}: tapstack speaks IPv4 only", value);
    } else if (o.name != "ip_version") {
        return fmt::format("option --{}{}{} not supported", o.name, o.value ? "=" : "", value);
    }
    return std::nullopt;
}

std::optional<std::string> apply_command(std::string_view text, ScriptSettings& s) {
    for (std::string_view line : split(text, '\n'))
        if (auto problem = apply_line(line, s)) return problem;
    return std::nullopt;
}

}  // namespace tapstack::pkt
