// SPDX-License-Identifier: MIT
#include "apps/tapstack/replay.hh"

#include <fmt/core.h>

#include <algorithm>
#include <deque>
#include <map>
#include <system_error>
#include <vector>

#include "apps/tapstack/simulate.hh"
#include "netdev/pcap_reader.hh"
#include "stack/stack.hh"
#include "stack/wire/arp.hh"
#include "stack/wire/ethernet.hh"
#include "stack/wire/ipv4.hh"
#include "stack/wire/tcp.hh"

namespace tapstack {
namespace {

// One TCP segment of the recorded conversation.
struct Recorded {
    bool from_client = false;
    Instant at;
    TcpSegment seg;              // payload points into `bytes`
    std::vector<uint8_t> bytes;  // the TCP header and payload, owned
    uint64_t frame = 0;          // its number in the file
};

struct Conversation {
    Ipv4Address client_ip, server_ip;
    uint16_t client_port = 0, server_port = 0;
    MacAddress client_mac{{0x02, 0, 0, 0, 0, 0x01}}, server_mac{{0x02, 0, 0, 0, 0, 0x02}};
    SeqNum client_iss, server_iss;
    bool server_iss_known = false;
    std::vector<Recorded> segments;
};

// An unfragmented IPv4 packet carrying TCP, read leniently: captures taken on a sending host
// carry checksums the NIC filled in later, so the header checksum is not checked.
std::optional<Ipv4View> tcp_packet(Bytes b) {
    auto ip = Ipv4View::parse_unchecked(b);
    if (!ip || ip->is_fragment() || ip->protocol() != static_cast<uint8_t>(IpProtocol::Tcp)) return std::nullopt;
    return *ip;
}

// The first conversation that starts with a SYN (to `port`, if given), all of its segments.
std::optional<Conversation> read_conversation(const ReplaySetup& setup, std::string& why) {
    PcapReader reader(setup.path);
    std::optional<Conversation> c;
    while (auto f = reader.next()) {
        auto off = reader.ipv4_offset(f->data);
        if (!off) continue;
        auto ip = tcp_packet(f->data.subspan(*off));
        if (!ip) continue;
        auto seg = TcpSegment::parse_unchecked(ip->payload());
        if (!seg) continue;
        if (!c) {
            if (!seg->syn() || seg->has_ack() || (setup.server_port && seg->dst_port != *setup.server_port)) continue;
            c.emplace();
            c->client_ip = ip->src();
            c->server_ip = ip->dst();
            c->client_port = seg->src_port;
            c->server_port = seg->dst_port;
            c->client_iss = seg->seq;
            if (reader.is_ethernet() && *off >= ethernet_field::header_len) {
                c->client_mac = MacAddress::load(f->data, ethernet_field::src);
                c->server_mac = MacAddress::load(f->data, ethernet_field::dst);
            }
        }
        bool from_client = ip->src() == c->client_ip && seg->src_port == c->client_port && ip->dst() == c->server_ip &&
                           seg->dst_port == c->server_port;
        bool to_client = ip->dst() == c->client_ip && seg->dst_port == c->client_port && ip->src() == c->server_ip &&
                         seg->src_port == c->server_port;
        if (!from_client && !to_client) continue;
        if (from_client && seg->syn() && !seg->has_ack() && seg->seq != c->client_iss)
            break;  // a new connection on the tuple
        if (to_client && seg->syn() && !c->server_iss_known) {
            c->server_iss = seg->seq;
            c->server_iss_known = true;
        }
        Recorded r;
        r.from_client = from_client;
        r.at = f->timestamp;
        r.frame = f->number;
        r.bytes.assign(ip->payload().begin(), ip->payload().end());
        r.seg = *TcpSegment::parse_unchecked(Bytes{r.bytes});
        c->segments.push_back(std::move(r));
    }
    if (!c)
        why =
            setup.server_port ? fmt::format("no SYN to port {} in the file", *setup.server_port) : "no SYN in the file";
    else if (!c->server_iss_known) why = "the server never answered the SYN in this capture";
    if (!c || !c->server_iss_known) return std::nullopt;
    return c;
}

// What the recorded server's application did, replayed: each write once as many bytes had been
// read as the recorded server had received (its ACK says so) when it sent them, and the close
// (its FIN) likewise, after the client's FIN too if the recorded server had seen that first.
struct ServerScript {
    struct Write {
        uint64_t after_reading;
        std::string data;
    };
    std::vector<Write> writes;
    std::optional<uint64_t> close_after;  // bytes read
    bool close_after_peer_fin = false;
    bool fin_with_last_data = false;  // its FIN rode on the segment with its last new data
};

class ScriptedApp : public SocketHandler {
public:
    using Write = ServerScript::Write;
    ScriptedApp(Stack& stack, ServerScript script)
        : stack_(stack),
          writes_(std::move(script.writes)),
          close_after_(script.close_after),
          after_peer_fin_(script.close_after_peer_fin) {}

    void on_accept(SocketId id) override {
        id_ = id;
        act();
    }
    void on_readable(SocketId id) override {
        uint8_t buf[4096];
        while (size_t n = stack_.read(id, MutBytes{buf, sizeof buf}).value_or(0)) read_ += n;
        if (stack_.peer_closed(id)) peer_fin_ = true;
        act();
    }
    void on_writable(SocketId) override { act(); }

private:
    void act() {
        while (next_ < writes_.size() && writes_[next_].after_reading <= read_) {
            const std::string& d = writes_[next_].data;
            written_ += stack_.write(id_, as_bytes(std::string_view{d}.substr(written_))).value_or(0);
            if (written_ < d.size()) return;  // the rest when there is room
            written_ = 0;
            ++next_;
        }
        if (next_ == writes_.size() && close_after_ && *close_after_ <= read_ && (peer_fin_ || !after_peer_fin_) &&
            !closed_) {
            closed_ = true;
            stack_.close(id_);
        }
    }
    Stack& stack_;
    std::vector<Write> writes_;
    std::optional<uint64_t> close_after_;
    bool after_peer_fin_;
    size_t next_ = 0, written_ = 0;
    uint64_t read_ = 0;
    bool closed_ = false, peer_fin_ = false;
    SocketId id_;
};

// The server's application, read off its segments: new data (beyond what it had sent) and its FIN.
ServerScript server_script(const Conversation& c) {
    ServerScript script;
    SeqNum client_end = c.client_iss + 1;  // after the client's last data byte
    std::optional<SeqNum> client_fin;      // where its FIN sits
    for (const Recorded& r : c.segments) {
        if (!r.from_client) continue;
        SeqNum end = r.seg.seq + static_cast<uint32_t>(r.seg.payload.size());
        if (!r.seg.payload.empty()) client_end = seq_max(client_end, end);
        if (r.seg.fin() && !client_fin) client_fin = end;
    }
    uint64_t client_bytes = static_cast<uint32_t>(client_end - (c.client_iss + 1));
    SeqNum sent_up_to = c.server_iss + 1;
    for (const Recorded& r : c.segments) {
        if (r.from_client) continue;
        const TcpSegment& s = r.seg;
        // What it had read: its ACK less the SYN, and less the FIN when the ACK covers that too.
        uint64_t read =
            s.has_ack() ? std::min<uint64_t>(static_cast<uint32_t>(s.ack - (c.client_iss + 1)), client_bytes) : 0;
        bool saw_peer_fin = s.has_ack() && client_fin && *client_fin < s.ack;
        SeqNum end = s.seq + static_cast<uint32_t>(s.payload.size());
        bool new_data = !s.payload.empty() && sent_up_to < end;
        if (new_data) {
            size_t skip = sent_up_to > s.seq ? static_cast<size_t>(sent_up_to - s.seq) : 0;
            script.writes.push_back({read, std::string{as_chars(s.payload.subspan(skip))}});
            sent_up_to = end;
        }
        if (s.fin() && !script.close_after) {
            script.close_after = read;
            script.close_after_peer_fin = saw_peer_fin;
            script.fin_with_last_data = new_data;
        }
    }
    return script;
}

// Our NetDev: frames we are given to receive, frames the stack sent.
class ReplayDev : public NetDev {
public:
    std::optional<size_t> receive(MutBytes buffer, Instant) override {
        if (inbox.empty()) return std::nullopt;
        auto f = std::move(inbox.front());
        inbox.pop_front();
        if (f.size() > buffer.size()) return std::nullopt;
        std::copy(f.begin(), f.end(), buffer.begin());
        return f.size();
    }
    void transmit(Bytes frame, Instant) override { sent.emplace_back(frame.begin(), frame.end()); }
    std::deque<std::vector<uint8_t>> inbox, sent;
};

std::vector<uint8_t> ethernet_ipv4_frame(const Conversation& c, const TcpSegment& t) {
    size_t tcp_len = t.header_len() + t.payload_len();
    std::vector<uint8_t> frame(ethernet_field::header_len + Ipv4Header::len + tcp_len);
    MutBytes f{frame};
    emit_ethernet_header(f, c.server_mac, c.client_mac, EtherType::Ipv4);
    Ipv4Header ip{c.client_ip, c.server_ip, IpProtocol::Tcp, static_cast<uint16_t>(tcp_len)};
    ip.emit(f.subspan(ethernet_field::header_len));
    t.emit(f.subspan(ethernet_field::header_len + Ipv4Header::len), ip.pseudo_header());
    return frame;
}

// A segment in the article's terms: relative to each side's ISN.
struct Relative {
    uint8_t flags = 0;
    uint32_t seq = 0, ack = 0;
    size_t len = 0;
};
std::string describe(const Relative& r) {
    return fmt::format("[{}] seq={} ack={} len={}", tcp_flags_string(r.flags), r.seq, r.ack, r.len);
}
// PSH is the sender's choice about its buffers, not part of the conversation's shape.
bool same(const Relative& a, const Relative& b) {
    uint8_t mask = static_cast<uint8_t>(~tcp_flag::psh);
    return (a.flags & mask) == (b.flags & mask) && a.seq == b.seq && (a.ack == b.ack || !(a.flags & tcp_flag::ack)) &&
           a.len == b.len;
}

// The recorded server's segments in the article's terms, with their frame numbers.
std::vector<std::pair<uint64_t, Relative>> recorded_answers(const Conversation& c) {
    std::vector<std::pair<uint64_t, Relative>> recorded;
    for (const Recorded& r : c.segments) {
        if (r.from_client) continue;
        recorded.push_back({r.frame,
                            {r.seg.flags, static_cast<uint32_t>(r.seg.seq - c.server_iss),
                             static_cast<uint32_t>(r.seg.ack - c.client_iss), r.seg.payload.size()}});
    }
    return recorded;
}

StackConfig replay_config(const ReplaySetup& setup, const Conversation& c, const ServerScript& script) {
    StackConfig config;
    config.ip = Ipv4Cidr{c.server_ip, 24};
    config.mac = c.server_mac;
    config.fixed_iss = isn_from(setup.seed, 2);
    config.tcp.congestion_control = setup.congestion;
    // If the recorded server put its FIN on its last new data, ours does too; else alone.
    config.tcp.fin_with_last_data = script.fin_with_last_data;
    return config;
}

// Our stack in the recorded server's place: the recorded client's segments go in at their
// recorded times (renumbered to our ISN), and what we send back is collected in the article's
// terms.
class Replayer {
public:
    Replayer(const Conversation& c, const StackConfig& config)
        : c_(c), stack_(config, dev_), our_iss_{*config.fixed_iss} {}

    Stack& stack() { return stack_; }
    void introduce_client();
    void play_client();
    const std::vector<Relative>& answers() const { return ours_; }
    // The recorded client acknowledged data we had not sent (our answers diverged before).
    bool acked_unsent() const { return acked_unsent_; }

private:
    TcpSegment renumbered(const Recorded& r);
    uint32_t our_end() const;
    void collect();
    void run_until(Instant t);

    const Conversation& c_;
    ReplayDev dev_;
    Stack stack_;
    SeqNum our_iss_;
    Instant origin_ = Instant::from_ms(1000);
    std::vector<Relative> ours_;
    uint32_t our_tsval_ = 0;
    bool acked_unsent_ = false;
};

// The client introduces itself first (captures often start after ARP, or have none).
void Replayer::introduce_client() {
    std::vector<uint8_t> arp(ethernet_field::header_len + arp_field::packet_len);
    emit_ethernet_header(arp, MacAddress::broadcast(), c_.client_mac, EtherType::Arp);
    ArpPacket{ArpOp::Request, c_.client_mac, c_.client_ip, MacAddress{}, c_.server_ip}.emit(
        MutBytes{arp}.subspan(ethernet_field::header_len));
    dev_.inbox.push_back(std::move(arp));
    stack_.poll(origin_);
    dev_.sent.clear();
}

// Each of the client's segments at its recorded time (from origin_ on), then the last answers:
// up to 200 ms past the recording's end (not the timeouts of a peer gone).
void Replayer::play_client() {
    Instant first = c_.segments.front().at;
    for (const Recorded& r : c_.segments) {
        if (!r.from_client) continue;
        Instant at = origin_ + (r.at - first);
        run_until(at);
        TcpSegment t = renumbered(r);  // its payload still points into r.bytes
        dev_.inbox.push_back(ethernet_ipv4_frame(c_, t));
        stack_.poll(at);
        collect();
    }
    run_until(origin_ + (c_.segments.back().at - first) + std::chrono::milliseconds{200});
}

// The recorded client's segment as it would have been sent to us: its ack and SACK blocks
// moved from the recorded server's ISN to ours, its timestamp echoing ours.
TcpSegment Replayer::renumbered(const Recorded& r) {
    TcpSegment t = r.seg;
    if (t.has_ack()) {
        uint32_t rel = static_cast<uint32_t>(t.ack - c_.server_iss);
        t.ack = our_iss_ + rel;
        if (!ours_.empty() && rel > our_end()) acked_unsent_ = true;
    }
    for (size_t i = 0; i < t.options.sack_count; ++i) {
        t.options.sack[i].left = our_iss_ + static_cast<uint32_t>(t.options.sack[i].left - c_.server_iss);
        t.options.sack[i].right = our_iss_ + static_cast<uint32_t>(t.options.sack[i].right - c_.server_iss);
    }
    if (t.options.timestamps && t.has_ack()) t.options.timestamps->echo_reply = our_tsval_;
    return t;
}

// One past the highest relative sequence number we have sent (SYN and FIN count one).
uint32_t Replayer::our_end() const {
    uint32_t end = 0;
    for (auto& o : ours_)
        end = std::max<uint32_t>(
            end, o.seq + static_cast<uint32_t>(o.len) + ((o.flags & (tcp_flag::syn | tcp_flag::fin)) ? 1u : 0u));
    return end;
}

void Replayer::collect() {
    for (auto& f : dev_.sent) {
        auto eth = EthernetView::parse(f);
        if (!eth || eth->ethertype() != static_cast<uint16_t>(EtherType::Ipv4)) continue;
        auto ip = tcp_packet(eth->payload());
        if (!ip) continue;
        auto s = TcpSegment::parse_unchecked(ip->payload());
        if (!s) continue;
        if (s->options.timestamps) our_tsval_ = s->options.timestamps->value;
        ours_.push_back({s->flags, static_cast<uint32_t>(s->seq - our_iss_),
                         static_cast<uint32_t>(s->ack - c_.client_iss), s->payload_len()});
    }
    dev_.sent.clear();
}

// Runs the stack's timers up to `t`, collecting what it sends.
void Replayer::run_until(Instant t) {
    for (int guard = 0; guard < 100000; ++guard) {
        auto at = stack_.poll_at();
        if (!at || *at > t) break;
        stack_.poll(*at);
        collect();
    }
    stack_.poll(t);
    collect();
}

// The two sides by side, one line per segment; the exit status: 0 all the same, 1 not.
int print_comparison(const std::vector<std::pair<uint64_t, Relative>>& recorded, const std::vector<Relative>& ours,
                     bool acked_unsent, std::FILE* out) {
    size_t n = std::max(recorded.size(), ours.size()), differences = 0;
    fmt::print(out, "  {:>5}  {:<42}  {:<42}\n", "frame", "the recorded server sent", "we sent");
    for (size_t i = 0; i < n; ++i) {
        std::string left = i < recorded.size() ? describe(recorded[i].second) : "(nothing)";
        std::string right = i < ours.size() ? describe(ours[i]) : "(nothing)";
        bool ok = i < recorded.size() && i < ours.size() && same(recorded[i].second, ours[i]);
        differences += ok ? 0 : 1;
        fmt::print(out, "  {:>5}  {:<42}  {:<42}  {}\n",
                   i < recorded.size() ? fmt::format("#{}", recorded[i].first) : "", left, right,
                   ok ? "same" : "DIFFERS");
    }
    if (acked_unsent)
        fmt::print(
            out, "replay: note: the recorded client acknowledged data we had not sent (our answers diverged before)\n");
    if (differences == 0) {
        fmt::print(out,
                   "replay: PASS: our {} segments answer the recorded client as the recorded server did (flags, "
                   "relative seq and ack, lengths)\n",
                   ours.size());
        return 0;
    }
    fmt::print(out, "replay: DIFFERS: {} of {} segments\n", differences, n);
    return 1;
}

}  // namespace

int replay(const ReplaySetup& setup, std::FILE* out) {
    std::string why;
    auto conv = read_conversation(setup, why);
    if (!conv) {
        fmt::print(out, "replay: {}: {}\n", setup.path, why);
        return 2;
    }
    const Conversation& c = *conv;
    size_t recorded_server = static_cast<size_t>(
        std::count_if(c.segments.begin(), c.segments.end(), [](auto& r) { return !r.from_client; }));
    fmt::print(
        out, "replay: {}: {}:{} -> {}:{}, {} segments ({} from the client, fed to us; {} from the server, compared)\n",
        setup.path, c.client_ip, c.client_port, c.server_ip, c.server_port, c.segments.size(),
        c.segments.size() - recorded_server, recorded_server);

    ServerScript script = server_script(c);
    Replayer replayer(c, replay_config(setup, c, script));
    ScriptedApp app(replayer.stack(), std::move(script));
    if (!replayer.stack().listen(c.server_port, app)) {
        fmt::print(out, "replay: cannot listen on port {}\n", c.server_port);
        return 2;
    }
    replayer.introduce_client();
    replayer.play_client();
    return print_comparison(recorded_answers(c), replayer.answers(), replayer.acked_unsent(), out);
}

int run_replay(const Options& o) {
    ReplaySetup setup;
    setup.path = *o.replay;
    if (o.port_given) setup.server_port = o.port;
    setup.seed = o.seed.value_or(1);
    setup.congestion = o.congestion;
    log::set_level(o.log_level);
    try {
        return replay(setup, stdout);
    } catch (const std::system_error& e) {
        fmt::print(stderr, "tapstack: --replay: {}\n", e.what());
        return 2;
    }
}

}  // namespace tapstack
