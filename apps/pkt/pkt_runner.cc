// SPDX-License-Identifier: MIT
// The runner of pkt_runner.hh. prepare() reads what a script needs before it runs (options, shell
// lines, calls and packets the runner lacks: SKIP reasons); a Runner then owns one world (a
// MemoryLink whose far end is the scripted peer, a Stack, a VirtualDriver, Sockets) and plays the
// events in order, one function per kind.
#include "apps/pkt/pkt_runner.hh"

#include <fmt/format.h>

#include <cstring>
#include <deque>
#include <map>
#include <vector>

#include "apps/pkt/pkt_packets.hh"
#include "apps/pkt/pkt_parser.hh"
#include "apps/pkt/pkt_setup.hh"
#include "apps/pkt/pkt_symbols.hh"
#include "apps/pkt/pkt_syscalls.hh"
#include "netdev/memory_link.hh"
#include "stack/posix/sockets.hh"
#include "stack/wire/arp.hh"
#include "stack/wire/ethernet.hh"

namespace tapstack::pkt {
namespace {

const MacAddress remote_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
constexpr uint16_t first_remote_port = 40000;     // the peer's port on passive opens (packetdrill picks one too)
constexpr int64_t sniff_grace_usecs = 2'000'000;  // how long past its time an outbound packet is waited for

RunResult skip(std::string why) { return {Verdict::Skip, 0, std::move(why)}; }
RunResult fail(int line, std::string what) { return {Verdict::Fail, line, std::move(what)}; }

std::string seconds(int64_t usecs) { return fmt::format("{:.6f}", static_cast<double>(usecs) / 1e6); }

Flow new_flow(uint16_t local, uint16_t remote, bool active) {
    Flow f;
    f.local_port = local;
    f.remote_port = remote;
    f.local_offset = local_iss;  // until our SYN or SYN,ACK says
    f.active = active;
    return f;
}

bool makes_descriptor(std::string_view call) {
    return call == "socket" || call == "accept" || call == "accept4" || call == "epoll_create" ||
           call == "epoll_create1";
}

bool is_inbound(const Event& e) {
    auto* p = std::get_if<PacketEvent>(&e.action);
    return p && p->direction == Direction::Inbound;
}

// A shell line after the script started may only undo what an earlier one did.
bool restores_only(std::string_view text) {
    for (size_t at = 0; at < text.size();) {
        size_t end = std::min(text.find('\n', at), text.size());
        std::string_view line = text.substr(at, end - at);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
        if (!line.empty() && !line.starts_with("/tmp/sysctl_restore_")) return false;
        at = end + 1;
    }
    return true;
}

std::optional<std::string> unsupported_event(const Event& e) {
    if (auto* code = std::get_if<CodeEvent>(&e.action); code)
        return fmt::format("inline Python at line {} (tapstack runs no Python)", e.pos.line);
    if (auto* call = std::get_if<SyscallEvent>(&e.action); call && !has_handler(call->name))
        return fmt::format("unsupported call: {} (line {})", call->name, e.pos.line);
    if (auto* packet = std::get_if<PacketEvent>(&e.action)) {
        if (auto* tcp = std::get_if<TcpPacket>(&packet->packet)) {
            for (const TcpOption& o : tcp->options) {
                using K = TcpOption::Kind;
                if (o.kind == K::Md5 || o.kind == K::FastOpen || o.kind == K::FastOpenExp || o.kind == K::AccEcn)
                    return fmt::format("TCP option {} is not supported (line {})", to_string(o), e.pos.line);
            }
        }
        if (std::holds_alternative<IcmpPacket>(packet->packet))
            return fmt::format("ICMP packets are not supported yet (line {})", e.pos.line);
        if (std::holds_alternative<UdpPacket>(packet->packet))
            return fmt::format("UDP packets: tapstack has no UDP (line {})", e.pos.line);
    }
    return std::nullopt;
}

// The settings a script runs with, or why it cannot run (a SKIP reason).
Result<ScriptSettings, std::string> prepare(const Script& script, const RunnerOptions& options) {
    ScriptSettings s = linux_profile();
    if (options.tolerance_usecs) s.tolerance_usecs = *options.tolerance_usecs;
    for (const ScriptOption& o : script.options)
        if (auto why = apply_option(o, s)) return Err{*why};
    if (script.init_command)
        if (auto why = apply_command(script.init_command->text, s)) return Err{*why};
    bool started = false;  // shell lines before the first other event set the stack up
    for (const Event& e : script.events) {
        if (auto why = unsupported_event(e)) return Err{*why};
        auto* command = std::get_if<CommandEvent>(&e.action);
        if (!command) {
            started = true;
        } else if (!started) {
            if (auto why = apply_command(command->text, s)) return Err{*why};
        } else if (!restores_only(command->text)) {
            return Err{fmt::format("a shell line while the script runs (line {}): {}", e.pos.line, command->text)};
        }
    }
    return s;
}

// The link to the peer: the stack's end takes 64 KB segments, as packetdrill's tun device with
// TSO and GSO does, unless the script turned that off.
std::pair<MemoryLink::End, MemoryLink::End> make_link(bool segmentation_offload) {
    auto link = MemoryLink::pair();
    if (segmentation_offload)
        link.first.set_offloads({.tcp_checksum = true, .max_segmentation_frame = 65535 + 14}, true);
    return link;
}

// When an event happens, in script microseconds: [start, end] (end == start but for ranges and
// blocking calls' returns).
struct When {
    int64_t start = 0, end = 0;
    bool any = false;  // `*`
};

struct SentFrame {
    int64_t usecs = 0;
    std::vector<uint8_t> bytes;
};

class Runner {
public:
    Runner(const Script& script, const ScriptSettings& settings, const RunnerOptions& options)
        : script_(script),
          settings_(settings),
          options_(options),
          link_(make_link(settings.segmentation_offload)),
          stack_(settings.stack, link_.first),
          driver_(Instant{}),
          sockets_(stack_, driver_),
          calls_(sockets_),
          times_(script.events.size()),
          planned_(script.events.size()) {
        driver_.add(stack_);
        driver_.set_link([this](Instant now) { return carry(now); });
        ends_ = {settings.stack.mac, remote_mac, local_address, remote_address};
    }

    // Sockets' destructor closes what is open and lets the stack act on it: without the link.
    ~Runner() { driver_.set_link(nullptr); }
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    RunResult run() {
        for (size_t i = 0; i < script_.events.size(); ++i) {
            if (auto r = run_event(i)) return *r;
            if (!inject_error_.empty()) return fail(inject_error_line_, inject_error_);
        }
        return {};
    }

private:
    int64_t now() const { return driver_.instant().us(); }
    void say(std::string_view line) const {
        if (options_.verbose) options_.verbose(line);
    }
    void advance_to(int64_t usecs) {
        if (usecs > now()) driver_.advance_to(Instant::from_us(usecs));
    }

    std::optional<RunResult> run_event(size_t i);
    When when(size_t i) const;
    int64_t tolerance(size_t i) const;
    std::optional<RunResult> inbound(size_t i);
    std::optional<RunResult> outbound(size_t i, const TcpPacket&);
    std::optional<RunResult> syscall(size_t i, const SyscallEvent&);
    std::optional<RunResult> check_result(size_t i, const SyscallEvent&, CallOutcome);
    void plan_concurrent(size_t blocking);
    void schedule_inbound(size_t i, int64_t usecs);
    void inject(size_t i);

    bool carry(Instant now);
    bool answer_arp(Bytes frame, Instant now);
    Flow& inbound_flow(const TcpPacket&);
    Flow* flow_of(const SentSegment&);

    const Script& script_;
    ScriptSettings settings_;
    RunnerOptions options_;
    std::pair<MemoryLink::End, MemoryLink::End> link_;  // first: the stack's end; second: the peer's
    Stack stack_;
    VirtualDriver driver_;
    Sockets sockets_;
    SyscallContext calls_;
    Ends ends_;

    std::vector<int64_t> times_;                      // each event's start as run (script microseconds)
    std::vector<std::optional<When>> planned_;        // events fixed while a blocking call runs
    std::deque<SentFrame> sent_;                      // frames the stack sent, not yet matched
    std::multimap<int64_t, size_t> pending_inbound_;  // inbound packets by time, not yet sent
    std::deque<Flow> flows_;                          // deque: a Flow& stays valid as flows are added
    Flow* current_ = nullptr;                         // the connection inbound packets belong to
    uint16_t next_remote_port_ = first_remote_port;
    std::string inject_error_;  // an inbound packet that could not be built (the first such)
    int inject_error_line_ = 0;
    std::vector<uint8_t> receive_buffer_ = std::vector<uint8_t>(max_device_frame_len);
};

// --- time --------------------------------------------------------------------------------------

// Packetdrill's rule: a relative time counts from the previous event's time when both are
// inbound packets, else from now (when the previous event finished: a packet came, a call returned).
When Runner::when(size_t i) const {
    if (planned_[i]) return *planned_[i];
    const Event& e = script_.events[i];
    if (e.time.kind == EventTime::Kind::Any) return {now(), now(), true};
    int64_t base = 0;
    if (e.time.kind == EventTime::Kind::Relative)
        base = i > 0 && is_inbound(e) && is_inbound(script_.events[i - 1]) ? times_[i - 1] : now();
    When w{base + e.time.usecs, base + e.time.range_end.value_or(e.time.usecs)};
    if (auto* call = std::get_if<SyscallEvent>(&e.action); call && call->end_usecs)
        w.end = (e.time.kind == EventTime::Kind::Relative ? base : 0) + *call->end_usecs;
    return w;
}

// --tolerance_usecs, or --tolerance_percent of the time since the previous event if that is more.
int64_t Runner::tolerance(size_t i) const {
    int64_t since = i > 0 ? times_[i] - times_[i - 1] : times_[i];
    auto percent = static_cast<int64_t>(settings_.tolerance_percent / 100.0 * static_cast<double>(since));
    return std::max(settings_.tolerance_usecs, percent);
}

// --- events -------------------------------------------------------------------------------------

std::optional<RunResult> Runner::run_event(size_t i) {
    const Event& e = script_.events[i];
    times_[i] = when(i).start;
    say(fmt::format("{} line {}: {}", seconds(std::max(times_[i], now())), e.pos.line, to_string(e)));
    if (auto* packet = std::get_if<PacketEvent>(&e.action)) {
        const auto& tcp = std::get<TcpPacket>(packet->packet);  // prepare() let only TCP through
        if (packet->direction == Direction::Inbound) return inbound(i);
        return outbound(i, tcp);
    }
    if (auto* call = std::get_if<SyscallEvent>(&e.action)) return syscall(i, *call);
    advance_to(times_[i]);  // a shell line that restores settings: nothing to do
    return std::nullopt;
}

std::optional<RunResult> Runner::inbound(size_t i) {
    if (!planned_[i]) schedule_inbound(i, std::max(times_[i], now()));  // else plan_concurrent() did
    driver_.advance_to(Instant::from_us(std::max(times_[i], now())));
    return std::nullopt;
}

// The packet goes to the stack in carry(), after the stack polled at its time: what the stack
// sends at that instant (a SYN from a connect() that has just begun) comes first, as in packetdrill.
void Runner::schedule_inbound(size_t i, int64_t usecs) {
    pending_inbound_.emplace(usecs, i);
    driver_.at(Instant::from_us(usecs), [] {});  // the driver wakes then
}

void Runner::inject(size_t i) {
    const auto& packet = std::get<PacketEvent>(script_.events[i].action);
    const auto& p = std::get<TcpPacket>(packet.packet);
    const std::optional<IpInfo>& ip = packet.ip;
    Flow& flow = inbound_flow(p);
    // While a blocking call runs, the `>` lines before this packet are matched only after it
    // returns: the TS val the script names may not be known yet.
    auto frame = build_inbound(p, ip, flow, ends_, planned_[i] ? flow.last_ts_val : std::nullopt);
    if (!frame) {
        if (inject_error_.empty()) {
            inject_error_line_ = script_.events[i].pos.line;
            inject_error_ = "cannot build this packet: " + frame.error();
        }
        return;
    }
    say(fmt::format("{}   in: < {}", seconds(now()), to_string(p)));
    link_.second.transmit(*frame, driver_.instant());
}

std::optional<RunResult> Runner::outbound(size_t i, const TcpPacket& want) {
    const Event& e = script_.events[i];
    When w = when(i);
    int64_t slack = tolerance(i);
    std::string expected = fmt::format("expected > {}", to_string(want));
    if (sent_.empty()) {
        int64_t give_up = w.any ? now() + sniff_grace_usecs * 30 : std::max(w.end, now()) + slack + sniff_grace_usecs;
        driver_.run_until([this] { return !sent_.empty(); }, Instant::from_us(give_up));
    }
    if (sent_.empty())
        return fail(e.pos.line,
                    fmt::format("{} at {}, nothing came by {}", expected, seconds(w.start), seconds(now())));
    SentFrame frame = std::move(sent_.front());
    sent_.pop_front();
    auto got = parse_sent(frame.bytes);
    if (!got)
        return fail(e.pos.line,
                    fmt::format("{}, a frame that is not IPv4/TCP came at {}", expected, seconds(frame.usecs)));
    Flow* flow = flow_of(*got);
    if (!flow)
        return fail(e.pos.line, fmt::format("{}, a segment from port {} to {} (no connection of the script) came",
                                            expected, got->src_port, got->dst_port));
    std::optional<int64_t> ts_ticks;
    if (settings_.ts_tick_usecs > 0) ts_ticks = slack / settings_.ts_tick_usecs;
    if (auto problem = match_outbound(want, *got, *flow, ts_ticks))
        return fail(e.pos.line, fmt::format("{}, > {} came at {} ({})", expected, describe(*got, *flow),
                                            seconds(frame.usecs), *problem));
    if (!w.any && (frame.usecs < w.start - slack || frame.usecs > w.end + slack)) {
        std::string range = w.end == w.start ? seconds(w.start) : seconds(w.start) + "~" + seconds(w.end);
        return fail(e.pos.line,
                    fmt::format("{} at {} (±{} us), it came at {}", expected, range, slack, seconds(frame.usecs)));
    }
    return std::nullopt;
}

// The events after a blocking call, up to the next call, happen while it blocks: their times are
// fixed now (from the times the script gives) and inbound packets scheduled.
void Runner::plan_concurrent(size_t blocking) {
    int64_t previous = times_[blocking];
    for (size_t j = blocking + 1; j < script_.events.size(); ++j) {
        const Event& e = script_.events[j];
        if (!std::holds_alternative<PacketEvent>(e.action)) break;
        When w{e.time.usecs, e.time.range_end.value_or(e.time.usecs)};
        if (e.time.kind == EventTime::Kind::Relative) w.start += previous, w.end += previous;
        if (e.time.kind == EventTime::Kind::Any) w = {previous, previous, true};
        planned_[j] = w;
        previous = w.start;
        const auto& packet = std::get<PacketEvent>(e.action);
        if (packet.direction == Direction::Inbound) schedule_inbound(j, w.start);
    }
}

std::optional<RunResult> Runner::syscall(size_t i, const SyscallEvent& call) {
    const Event& e = script_.events[i];
    When w = when(i);
    advance_to(w.start);
    if (call.end_usecs) plan_concurrent(i);
    auto outcome = calls_.run(call);
    if (!outcome) {
        if (outcome.error().skip) return skip(fmt::format("{} (line {})", outcome.error().message, e.pos.line));
        return fail(e.pos.line, outcome.error().message);
    }
    if (auto r = check_result(i, call, *outcome)) return r;
    int64_t slack = tolerance(i);
    if (call.end_usecs && (now() < w.end - slack || now() > w.end + slack))
        return fail(e.pos.line, fmt::format("expected {}() to return at {} (±{} us), it returned at {}", call.name,
                                            seconds(w.end), slack, seconds(now())));
    if (!call.end_usecs && now() > w.start + slack)
        return fail(e.pos.line,
                    fmt::format("expected {}() to return at once, it blocked until {}", call.name, seconds(now())));
    return std::nullopt;
}

std::optional<RunResult> Runner::check_result(size_t i, const SyscallEvent& call, CallOutcome got) {
    int line = script_.events[i].pos.line;
    std::string came = got.error ? fmt::format("-1 {} ({})", errno_name(got.error), std::strerror(got.error))
                                 : std::to_string(got.value);
    std::string expected = fmt::format("expected {}(...) = {}{}", call.name, to_string(call.result),
                                       call.errno_name ? " " + *call.errno_name : "");
    if (call.result.kind != Expr::Kind::Ellipsis) {
        auto want = integer_value(call.result);
        if (!want && want.error().skip) return skip(fmt::format("{} (line {})", want.error().message, line));
        if (!want) return fail(line, want.error().message);
        int64_t value = got.error ? -1 : got.value;
        // A new descriptor may have any number: the script's names it from now on (packetdrill
        // maps them too).
        bool any_fd = makes_descriptor(call.name) && *want >= 0 && value >= 0;
        if (value != *want && !any_fd) return fail(line, fmt::format("{}, came {}", expected, came));
    }
    if (call.errno_name) {
        auto want = errno_value(*call.errno_name);
        if (!want) return fail(line, fmt::format("unknown errno name {}", *call.errno_name));
        if (got.error != *want) return fail(line, fmt::format("{}, came {}", expected, came));
    }
    return std::nullopt;
}

// --- the link and the connections ------------------------------------------------------------------

// Called by the driver after the stack polled: ARP is answered here, everything else the stack
// sent waits in sent_ for the script's next `>`; then the inbound packets due go to the stack
// (true: the stack has frames to receive, and polls again at this instant).
bool Runner::carry(Instant at) {
    bool answered = false;
    while (auto n = link_.second.receive(receive_buffer_, at)) {
        Bytes frame{receive_buffer_.data(), *n};
        if (answer_arp(frame, at)) {
            answered = true;
            continue;
        }
        if (auto seg = parse_sent(frame)) {
            Flow* flow = flow_of(*seg);
            // Our SYN opens a connection the script will talk on (connect(), blocking or not).
            if (!flow && (seg->flags & tcp_flag::syn) && !(seg->flags & tcp_flag::ack))
                flow = current_ = &flows_.emplace_back(new_flow(seg->src_port, seg->dst_port, true));
            if (flow && ts_val(*seg)) flow->last_ts_val = ts_val(*seg);
            say(fmt::format("{}   out: > {}", seconds(at.us()), flow ? describe(*seg, *flow) : describe(*seg, Flow{})));
        }
        sent_.push_back({at.us(), std::vector<uint8_t>(frame.begin(), frame.end())});
    }
    if (answered) return true;  // the stack first sends what waited for the answer
    bool injected = false;
    while (!pending_inbound_.empty() && pending_inbound_.begin()->first <= at.us()) {
        size_t i = pending_inbound_.begin()->second;
        pending_inbound_.erase(pending_inbound_.begin());
        inject(i);
        injected = true;
    }
    return injected;
}

// The peer (or the gateway in front of it) answers every ARP request at once.
bool Runner::answer_arp(Bytes frame, Instant at) {
    auto eth = EthernetView::parse(frame);
    if (!eth || eth->ethertype() != static_cast<uint16_t>(EtherType::Arp)) return false;
    auto arp = ArpPacket::parse(eth->payload());
    if (!arp || arp->op != ArpOp::Request) return true;  // nothing to answer, and not a script event
    ArpPacket reply{ArpOp::Reply, remote_mac, arp->target_ip, arp->sender_mac, arp->sender_ip};
    std::vector<uint8_t> out(ethernet_field::header_len + arp_field::packet_len);
    MutBytes bytes{out.data(), out.size()};
    emit_ethernet_header(bytes, arp->sender_mac, remote_mac, EtherType::Arp);
    reply.emit(bytes.subspan(ethernet_field::header_len));
    link_.second.transmit(bytes, at);
    return true;
}

// A SYN that is not the current connection's (a new one, or a retransmission of its) opens a
// new connection from a new peer port; everything else belongs to the current one.
Flow& Runner::inbound_flow(const TcpPacket& p) {
    if (p.src_port && p.dst_port) {
        for (Flow& f : flows_)
            if (f.remote_port == *p.src_port && f.local_port == *p.dst_port) return *(current_ = &f);
    }
    bool new_syn = (p.flags & tcp_flag::syn) && !(p.flags & tcp_flag::ack) &&
                   (!current_ || (!current_->active && current_->remote_isn != p.start_seq));
    if (!current_ || new_syn || (p.src_port && p.dst_port)) {
        uint16_t remote = p.src_port.value_or(next_remote_port_++);
        current_ = &flows_.emplace_back(new_flow(p.dst_port.value_or(local_port), remote, false));
    }
    if ((p.flags & tcp_flag::syn) && !current_->remote_isn) current_->remote_isn = p.start_seq;
    return *current_;
}

Flow* Runner::flow_of(const SentSegment& s) {
    for (Flow& f : flows_)
        if (f.local_port == s.src_port && f.remote_port == s.dst_port) return &f;
    return nullptr;
}

}  // namespace

RunResult run_script(const Script& script, const RunnerOptions& options) {
    auto settings = prepare(script, options);
    if (!settings) return skip(settings.error());
    Runner runner(script, *settings, options);
    return runner.run();
}

RunResult run_script_text(std::string_view text, std::string_view file_name, const RunnerOptions& options) {
    auto script = parse_script(text, file_name);
    if (!script)
        return fail(script.error().pos.line,
                    fmt::format("syntax error at column {}: {}", script.error().pos.column, script.error().message));
    return run_script(*script, options);
}

std::string result_line(std::string_view path, const RunResult& r) {
    switch (r.verdict) {
    case Verdict::Pass: return fmt::format("PASS {}", path);
    case Verdict::Fail: return fmt::format("FAIL {}: line {}: {}", path, r.line, r.message);
    case Verdict::Skip: return fmt::format("SKIP {}: {}", path, r.message);
    }
    return {};
}

}  // namespace tapstack::pkt
