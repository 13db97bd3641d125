// SPDX-License-Identifier: MIT
// The system call table of pkt_syscalls.hh: arguments in, Sockets call, return value and errno out.
#include "apps/pkt/pkt_syscalls.hh"

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "apps/pkt/pkt_setup.hh"
#include "apps/pkt/pkt_symbols.hh"

namespace tapstack::pkt {
namespace {

using CallResult = Result<CallOutcome, CallProblem>;

Err<CallProblem> fail(std::string message) { return Err{CallProblem{false, std::move(message)}}; }
Err<CallProblem> skip(std::string message) { return Err{CallProblem{true, std::move(message)}}; }

template <typename T>
CallOutcome outcome(const SysResult<T>& r) {
    if (!r) return {-1, r.error().code};
    return {static_cast<int64_t>(*r), 0};
}

// The arguments, checked for their number.
Result<const std::vector<Expr>*, CallProblem> args(const SyscallEvent& call, size_t at_least) {
    if (call.args.size() < at_least)
        return fail(fmt::format("{}() takes {} arguments, the script gives {}", call.name, at_least, call.args.size()));
    return &call.args;
}

// The n-th argument as an integer (a word, a sum of flags...), or a FAIL naming it.
#define INTEGER_ARG(var, expr)                                      \
    int64_t var = 0;                                                \
    if (auto v_ = integer_value(expr); !v_) return Err{v_.error()}; \
    else var = *v_

// A sockaddr argument: `...` is the script's peer (connect) or our own address (bind);
// {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")} says it.
Result<SocketAddress, CallProblem> socket_address(const Expr& e, SocketAddress wildcard) {
    if (e.kind == Expr::Kind::Ellipsis) return wildcard;
    if (e.kind != Expr::Kind::Struct)
        return fail("a sockaddr must be ... or {sa_family=..., sin_port=..., sin_addr=...}");
    SocketAddress a = wildcard;
    for (const Expr& field : e.items) {
        if (field.kind != Expr::Kind::Assign || field.items.size() != 2) continue;
        const std::string& name = field.items[0].text;
        const Expr& value = field.items[1];
        if (name == "sin_port" || name == "sin6_port") {
            INTEGER_ARG(port, value);
            a.port = static_cast<uint16_t>(port);
        } else if (name == "sin_addr" && value.kind == Expr::Kind::Call && !value.items.empty()) {
            auto ip = Ipv4Address::parse(value.items[0].text);
            if (!ip) return fail(fmt::format("sin_addr {} is not an IPv4 address", to_string(value)));
            a.ip = *ip;
        } else if (name == "sa_family" || name == "sin_family") {
            if (value.text == "AF_INET6") return skip("an IPv6 socket address (tapstack speaks IPv4 only)");
        }
    }
    return a;
}

const SocketAddress peer_wildcard{remote_address, local_port};
const SocketAddress bind_wildcard{Ipv4Address{}, local_port};

// The script's expected return value, when it names a descriptor (socket() = 3).
std::optional<int64_t> expected_fd(const SyscallEvent& call) {
    if (call.result.kind != Expr::Kind::Integer || call.result.integer < 0) return std::nullopt;
    return call.result.integer;
}

CallResult new_descriptor(SyscallContext& c, const SyscallEvent& call, const SysResult<int>& r) {
    if (r) {
        if (auto script_fd = expected_fd(call)) c.map_fd(*script_fd, *r);
    }
    return outcome(r);
}

CallResult do_socket(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 3);
    if (!a) return Err{a.error()};
    int64_t domain = AF_INET;
    if ((*a)->at(0).kind != Expr::Kind::Ellipsis) {
        INTEGER_ARG(d, (*a)->at(0));
        domain = d;
    }
    if (domain == AF_INET6) return skip("an IPv6 socket (tapstack speaks IPv4 only)");
    INTEGER_ARG(type, (*a)->at(1));
    int64_t protocol = 0;
    if ((*a)->at(2).kind != Expr::Kind::Ellipsis) {
        INTEGER_ARG(p, (*a)->at(2));
        protocol = p;
    }
    auto r = c.sockets().socket(static_cast<int>(domain), static_cast<int>(type), static_cast<int>(protocol));
    return new_descriptor(c, call, r);
}

CallResult do_bind(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 2);
    if (!a) return Err{a.error()};
    INTEGER_ARG(fd, (*a)->at(0));
    auto address = socket_address((*a)->at(1), bind_wildcard);
    if (!address) return Err{address.error()};
    return outcome(c.sockets().bind(c.fd(fd), *address));
}

CallResult do_listen(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 2);
    if (!a) return Err{a.error()};
    INTEGER_ARG(fd, (*a)->at(0));
    INTEGER_ARG(backlog, (*a)->at(1));
    return outcome(c.sockets().listen(c.fd(fd), static_cast<int>(backlog)));
}

CallResult do_accept(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 1);
    if (!a) return Err{a.error()};
    INTEGER_ARG(fd, (*a)->at(0));
    int64_t flags = 0;
    if (call.name == "accept4" && (*a)->size() >= 4) {
        INTEGER_ARG(f, (*a)->at(3));
        flags = f;
    }
    return new_descriptor(c, call, c.sockets().accept4(c.fd(fd), nullptr, static_cast<int>(flags)));
}

CallResult do_connect(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 2);
    if (!a) return Err{a.error()};
    INTEGER_ARG(fd, (*a)->at(0));
    auto address = socket_address((*a)->at(1), peer_wildcard);
    if (!address) return Err{address.error()};
    return outcome(c.sockets().connect(c.fd(fd), *address));
}

CallResult do_shutdown(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 2);
    if (!a) return Err{a.error()};
    INTEGER_ARG(fd, (*a)->at(0));
    INTEGER_ARG(how, (*a)->at(1));
    return outcome(c.sockets().shutdown(c.fd(fd), static_cast<int>(how)));
}

CallResult do_close(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 1);
    if (!a) return Err{a.error()};
    INTEGER_ARG(fd, (*a)->at(0));
    auto r = c.sockets().close(c.fd(fd));
    if (r) c.unmap_fd(fd);
    return outcome(r);
}

// read(fd, buf, count), recv(fd, buf, count, flags), recvfrom(fd, buf, count, flags, addr, len).
CallResult do_receive(SyscallContext& c, const SyscallEvent& call) {
    bool with_flags = call.name != "read";
    auto a = args(call, with_flags ? 4 : 3);
    if (!a) return Err{a.error()};
    INTEGER_ARG(fd, (*a)->at(0));
    INTEGER_ARG(count, (*a)->at(2));
    int64_t flags = 0;
    if (with_flags) {
        INTEGER_ARG(f, (*a)->at(3));
        flags = f;
    }
    if (count < 0 || count > (int64_t{1} << 24))
        return fail(fmt::format("{}(): count {} out of range", call.name, count));
    std::vector<uint8_t> buffer(static_cast<size_t>(count));
    if (call.name == "recvfrom") {
        std::optional<SocketAddress> from;  // TCP never fills it; the script's `...` accepts that
        return outcome(c.sockets().recvfrom(c.fd(fd), buffer, static_cast<int>(flags), &from));
    }
    return outcome(c.sockets().recv(c.fd(fd), buffer, static_cast<int>(flags)));
}

// write(fd, buf, count), send(fd, buf, count, flags), sendto(fd, buf, count, flags, addr, len):
// `count` zero bytes, as packetdrill sends.
CallResult do_send(SyscallContext& c, const SyscallEvent& call) {
    bool with_flags = call.name != "write";
    auto a = args(call, with_flags ? 4 : 3);
    if (!a) return Err{a.error()};
    INTEGER_ARG(fd, (*a)->at(0));
    INTEGER_ARG(count, (*a)->at(2));
    int64_t flags = 0;
    if (with_flags) {
        INTEGER_ARG(f, (*a)->at(3));
        flags = f;
    }
    if (count < 0 || count > (int64_t{1} << 24))
        return fail(fmt::format("{}(): count {} out of range", call.name, count));
    std::vector<uint8_t> data(static_cast<size_t>(count), 0);
    if (call.name == "sendto") {
        std::optional<SocketAddress> to;  // TCP ignores it (sockets.hh); `...` or an address alike
        if ((*a)->size() >= 5 && (*a)->at(4).kind != Expr::Kind::Ellipsis) {
            auto address = socket_address((*a)->at(4), peer_wildcard);
            if (!address) return Err{address.error()};
            to = *address;
        }
        return outcome(c.sockets().sendto(c.fd(fd), data, static_cast<int>(flags), to));
    }
    return outcome(c.sockets().send(c.fd(fd), data, static_cast<int>(flags)));
}

CallResult do_fcntl(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 2);
    if (!a) return Err{a.error()};
    INTEGER_ARG(fd, (*a)->at(0));
    INTEGER_ARG(command, (*a)->at(1));
    int64_t arg = 0;
    if ((*a)->size() >= 3) {
        INTEGER_ARG(v, (*a)->at(2));
        arg = v;
    }
    return outcome(c.sockets().fcntl(c.fd(fd), static_cast<int>(command), static_cast<int>(arg)));
}

// An option's value: [1] (an int), {onoff=1, linger=0} (struct linger), or a bare number.
Result<std::vector<uint8_t>, CallProblem> option_value(const Expr& e) {
    auto bytes_of = [](const auto& v) {
        std::vector<uint8_t> out(sizeof v);
        std::memcpy(out.data(), &v, sizeof v);
        return out;
    };
    if (e.kind == Expr::Kind::Struct) {
        linger l{};
        for (const Expr& field : e.items) {
            if (field.kind != Expr::Kind::Assign || field.items.size() != 2) continue;
            INTEGER_ARG(v, field.items[1]);
            if (field.items[0].text == "onoff") l.l_onoff = static_cast<int>(v);
            if (field.items[0].text == "linger") l.l_linger = static_cast<int>(v);
        }
        return bytes_of(l);
    }
    INTEGER_ARG(v, e);
    return bytes_of(static_cast<int>(v));
}

// setsockopt(fd, level, name, value, len)
CallResult do_setsockopt(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 4);
    if (!a) return Err{a.error()};
    INTEGER_ARG(fd, (*a)->at(0));
    INTEGER_ARG(level, (*a)->at(1));
    INTEGER_ARG(name, (*a)->at(2));
    auto value = option_value((*a)->at(3));
    if (!value) return Err{value.error()};
    auto r = c.sockets().setsockopt(c.fd(fd), static_cast<int>(level), static_cast<int>(name), *value);
    if (!r && r.error().code == ENOPROTOOPT && !(call.errno_name && *call.errno_name == "ENOPROTOOPT"))
        return skip(fmt::format("unsupported socket option {}", to_string((*a)->at(2))));
    return outcome(r);
}

// getsockopt(fd, level, name, [expected value], [expected length]): both are compared here.
CallResult do_getsockopt(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 4);
    if (!a) return Err{a.error()};
    INTEGER_ARG(fd, (*a)->at(0));
    INTEGER_ARG(level, (*a)->at(1));
    INTEGER_ARG(name, (*a)->at(2));
    const Expr& want = (*a)->at(3);
    // The length argument is in and out, as optlen: [4] offers four bytes. Without one, the
    // size of what the value is written as.
    size_t room = want.kind == Expr::Kind::Struct ? sizeof(linger) : sizeof(int);
    if ((*a)->size() >= 5 && (*a)->at(4).kind != Expr::Kind::Ellipsis) {
        INTEGER_ARG(offered, (*a)->at(4));
        if (offered < 0 || offered > 4096) return fail(fmt::format("{}() length {} out of range", call.name, offered));
        room = static_cast<size_t>(offered);
    }
    std::vector<uint8_t> buffer(room);
    auto r = c.sockets().getsockopt(c.fd(fd), static_cast<int>(level), static_cast<int>(name), buffer);
    if (!r && r.error().code == ENOPROTOOPT && !(call.errno_name && *call.errno_name == "ENOPROTOOPT"))
        return skip(fmt::format("unsupported socket option {}", to_string((*a)->at(2))));
    if (!r) return outcome(r);
    buffer.resize(*r);
    if (want.kind != Expr::Kind::Ellipsis) {
        auto expected = option_value(want);
        if (!expected) return Err{expected.error()};
        if (buffer != *expected) {
            int got = 0;
            std::memcpy(&got, buffer.data(), std::min(sizeof got, buffer.size()));
            return fail(fmt::format("{}() value {} expected, {} came", call.name, to_string(want), got));
        }
    }
    if ((*a)->size() >= 5 && (*a)->at(4).kind != Expr::Kind::Ellipsis) {
        INTEGER_ARG(length, (*a)->at(4));
        if (length != static_cast<int64_t>(*r))
            return fail(fmt::format("{}() length {} expected, {} came", call.name, length, *r));
    }
    return CallOutcome{};  // 0: the value and its length went into the arguments
}

// poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, timeout): each revents is compared here.
CallResult do_poll(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 3);
    if (!a) return Err{a.error()};
    const Expr& list = (*a)->at(0);
    std::vector<PollFd> fds;
    std::vector<std::optional<int64_t>> want_revents;
    for (const Expr& entry : list.items) {
        PollFd p;
        std::optional<int64_t> revents;
        for (const Expr& field : entry.items) {
            if (field.kind != Expr::Kind::Assign || field.items.size() != 2) continue;
            INTEGER_ARG(v, field.items[1]);
            const std::string& name = field.items[0].text;
            if (name == "fd") p.fd = c.fd(v);
            if (name == "events") p.events = static_cast<short>(v);
            if (name == "revents") revents = v;
        }
        fds.push_back(p);
        want_revents.push_back(revents);
    }
    INTEGER_ARG(timeout, (*a)->at(2));
    auto r = c.sockets().poll(fds, static_cast<int>(timeout));
    for (size_t i = 0; r && i < fds.size(); ++i) {
        if (want_revents[i] && *want_revents[i] != fds[i].revents)
            return fail(fmt::format("poll() revents {:#x} expected for entry {}, {:#x} came", *want_revents[i], i,
                                    fds[i].revents));
    }
    return outcome(r);
}

// The compared field `name` of a struct argument ({events=EPOLLIN, fd=4}): its value, nullopt
// when absent or `...` (any).
Result<std::optional<int64_t>, CallProblem> field(const Expr& e, std::string_view name) {
    for (const Expr& f : e.items) {
        if (f.kind != Expr::Kind::Assign || f.items.size() != 2) continue;
        const Expr& key = f.items[0];
        if ((key.kind == Expr::Kind::Word || key.kind == Expr::Kind::Call) && key.text == name) {
            if (f.items[1].kind == Expr::Kind::Ellipsis) return std::optional<int64_t>{};
            auto v = integer_value(f.items[1]);
            if (!v) return Err{v.error()};
            return std::optional<int64_t>{*v};
        }
    }
    return std::optional<int64_t>{};
}

// An iovec array, [{..., 100}, {..., 200}]: the length of each piece.
Result<std::vector<size_t>, CallProblem> iov_lengths(const Expr& e) {
    if (e.kind != Expr::Kind::Array)
        return fail(fmt::format("an iovec array [{{..., LEN}}, ...] expected, {} given", to_string(e)));
    std::vector<size_t> lengths;
    size_t total = 0;
    for (const Expr& piece : e.items) {
        if (piece.kind != Expr::Kind::Struct || piece.items.size() != 2)
            return fail(fmt::format("an iovec {{..., LEN}} expected, {} given", to_string(piece)));
        INTEGER_ARG(length, piece.items[1]);
        total += static_cast<size_t>(std::max<int64_t>(length, 0));
        if (length < 0 || total > (size_t{1} << 24)) return fail(fmt::format("iovec length {} out of range", length));
        lengths.push_back(static_cast<size_t>(length));
    }
    return lengths;
}

// Buffers of those lengths, and the spans over them that the vector calls take.
struct IoVectors {
    std::vector<std::vector<uint8_t>> buffers;
    std::vector<MutBytes> spans;
    explicit IoVectors(const std::vector<size_t>& lengths) {
        for (size_t n : lengths) buffers.emplace_back(n, 0);
        for (auto& b : buffers) spans.emplace_back(b.data(), b.size());
    }
    std::vector<Bytes> const_spans() const { return {spans.begin(), spans.end()}; }
};

// readv(fd, [{..., 100}, ...], count), writev(fd, [{..., 100}, ...], count)
CallResult do_vector(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 3);
    if (!a) return Err{a.error()};
    INTEGER_ARG(fd, (*a)->at(0));
    auto lengths = iov_lengths((*a)->at(1));
    if (!lengths) return Err{lengths.error()};
    INTEGER_ARG(count, (*a)->at(2));
    if (count != static_cast<int64_t>(lengths->size()))
        return fail(fmt::format("{}(): iovcnt {} for {} pieces", call.name, count, lengths->size()));
    IoVectors io(*lengths);
    if (call.name == "readv") return outcome(c.sockets().readv(c.fd(fd), io.spans));
    return outcome(c.sockets().writev(c.fd(fd), io.const_spans()));
}

// sendmsg/recvmsg(fd, {msg_name(...)=..., msg_iov(N)=[{..., LEN}, ...], msg_flags=F}, flags):
// recvmsg's msg_flags is compared with what came.
CallResult do_message(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 3);
    if (!a) return Err{a.error()};
    INTEGER_ARG(fd, (*a)->at(0));
    const Expr& msg = (*a)->at(1);
    INTEGER_ARG(flags, (*a)->at(2));
    if (msg.kind != Expr::Kind::Struct)
        return fail(fmt::format("{}(): a msghdr {{msg_name(...)=..., ...}} expected", call.name));
    std::optional<std::vector<size_t>> lengths;
    for (const Expr& f : msg.items) {
        if (f.kind != Expr::Kind::Assign || f.items.size() != 2) continue;
        const std::string& name = f.items[0].text;
        if (name == "msg_iov") {
            auto l = iov_lengths(f.items[1]);
            if (!l) return Err{l.error()};
            lengths = *l;
        } else if (name == "msg_control" && !f.items[1].items.empty()) {
            return skip("control messages (msg_control): tapstack has none");
        }
    }
    if (!lengths) return fail(fmt::format("{}(): the msghdr has no msg_iov", call.name));
    auto want_flags = field(msg, "msg_flags");
    if (!want_flags) return Err{want_flags.error()};
    IoVectors io(*lengths);
    MsgHdr header{std::nullopt, io.spans, 0};
    if (call.name == "sendmsg") return outcome(c.sockets().sendmsg(c.fd(fd), header, static_cast<int>(flags)));
    auto r = c.sockets().recvmsg(c.fd(fd), header, static_cast<int>(flags));
    if (r && *want_flags && **want_flags != header.flags)
        return fail(fmt::format("recvmsg() msg_flags {:#x} expected, {:#x} came", **want_flags, header.flags));
    return outcome(r);
}

// ioctl(fd, request, [value]): FIONBIO reads the value, the queue requests (SIOCINQ...) write
// it, compared here unless `...`.
CallResult do_ioctl(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 3);
    if (!a) return Err{a.error()};
    INTEGER_ARG(fd, (*a)->at(0));
    INTEGER_ARG(request, (*a)->at(1));
    const Expr& want = (*a)->at(2);
    int value = 0;
    if (request == FIONBIO) {
        INTEGER_ARG(v, want);
        value = static_cast<int>(v);
    }
    auto r = c.sockets().ioctl(c.fd(fd), static_cast<unsigned long>(request), &value);
    if (r && request != FIONBIO && want.kind != Expr::Kind::Ellipsis) {
        INTEGER_ARG(expected, want);
        if (expected != value)
            return fail(fmt::format("ioctl({}) value {} expected, {} came", to_string((*a)->at(1)), expected, value));
    }
    return outcome(r);
}

CallResult do_epoll_create(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 1);
    if (!a) return Err{a.error()};
    INTEGER_ARG(arg, (*a)->at(0));
    auto r = call.name == "epoll_create1" ? c.sockets().epoll_create1(static_cast<int>(arg))
                                          : c.sockets().epoll_create(static_cast<int>(arg));
    return new_descriptor(c, call, r);
}

// {events=EPOLLIN, fd=4} (or ptr=, u32=, u64=): the events and the data as written. The data
// is kept as the script's number (fd=4 stays 4), so epoll_wait can compare it as written.
Result<EpollEvent, CallProblem> epoll_event(const Expr& e) {
    if (e.kind != Expr::Kind::Struct)
        return fail(fmt::format("an epoll_event {{events=..., fd=...}} expected, {} given", to_string(e)));
    EpollEvent event;
    auto events = field(e, "events");
    if (!events) return Err{events.error()};
    event.events = static_cast<uint32_t>(events->value_or(0));
    for (std::string_view name : {"fd", "ptr", "u32", "u64"}) {
        auto data = field(e, name);
        if (!data) return Err{data.error()};
        if (*data) event.data = static_cast<uint64_t>(**data);
    }
    return event;
}

// epoll_ctl(epfd, op, fd, {events=..., fd=...})
CallResult do_epoll_ctl(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 4);
    if (!a) return Err{a.error()};
    INTEGER_ARG(epfd, (*a)->at(0));
    INTEGER_ARG(op, (*a)->at(1));
    INTEGER_ARG(fd, (*a)->at(2));
    EpollEvent event;
    if ((*a)->at(3).kind != Expr::Kind::Ellipsis) {  // EPOLL_CTL_DEL may pass none
        auto e = epoll_event((*a)->at(3));
        if (!e) return Err{e.error()};
        event = *e;
    }
    return outcome(c.sockets().epoll_ctl(c.fd(epfd), static_cast<int>(op), c.fd(fd), event));
}

// epoll_wait(epfd, {events=EPOLLIN, fd=4} or [{...}, ...], maxevents, timeout): the events that
// came are compared with those written, in order, field by field (`...` for any).
CallResult do_epoll_wait(SyscallContext& c, const SyscallEvent& call) {
    auto a = args(call, 4);
    if (!a) return Err{a.error()};
    INTEGER_ARG(epfd, (*a)->at(0));
    INTEGER_ARG(maxevents, (*a)->at(2));
    INTEGER_ARG(timeout, (*a)->at(3));
    const Expr& written = (*a)->at(1);
    std::vector<const Expr*> want;
    if (written.kind == Expr::Kind::Struct) want.push_back(&written);
    if (written.kind == Expr::Kind::Array)
        for (const Expr& e : written.items) want.push_back(&e);
    if (maxevents < 0 || maxevents > 1024)
        return fail(fmt::format("epoll_wait(): maxevents {} out of range", maxevents));
    std::vector<EpollEvent> events(static_cast<size_t>(maxevents));
    auto r = c.sockets().epoll_wait(c.fd(epfd), events, static_cast<int>(timeout));
    for (size_t i = 0; r && i < static_cast<size_t>(*r) && i < want.size(); ++i) {
        for (std::string_view name : {"events", "fd", "ptr", "u32", "u64"}) {
            auto expected = field(*want[i], name);
            if (!expected) return Err{expected.error()};
            uint64_t came = name == "events" ? events[i].events : events[i].data;
            if (*expected && static_cast<uint64_t>(**expected) != came)
                return fail(
                    fmt::format("epoll_wait() event {}: {}={:#x} expected, {:#x} came", i, name, **expected, came));
        }
    }
    return outcome(r);
}

using Handler = CallResult (*)(SyscallContext&, const SyscallEvent&);
struct Row {
    std::string_view name;
    Handler handler;
};
// One row per call the runner can make; a script using any other SKIPs.
constexpr Row handlers[] = {
    {"socket", do_socket},
    {"bind", do_bind},
    {"listen", do_listen},
    {"accept", do_accept},
    {"accept4", do_accept},
    {"connect", do_connect},
    {"shutdown", do_shutdown},
    {"close", do_close},
    {"read", do_receive},
    {"recv", do_receive},
    {"recvfrom", do_receive},
    {"write", do_send},
    {"send", do_send},
    {"sendto", do_send},
    {"fcntl", do_fcntl},
    {"setsockopt", do_setsockopt},
    {"getsockopt", do_getsockopt},
    {"poll", do_poll},
    {"readv", do_vector},
    {"writev", do_vector},
    {"sendmsg", do_message},
    {"recvmsg", do_message},
    {"ioctl", do_ioctl},
    {"epoll_create", do_epoll_create},
    {"epoll_create1", do_epoll_create},
    {"epoll_ctl", do_epoll_ctl},
    {"epoll_wait", do_epoll_wait},
};

Handler find_handler(std::string_view name) {
    for (const Row& r : handlers)
        if (r.name == name) return r.handler;
    return nullptr;
}

}  // namespace

bool has_handler(std::string_view call_name) { return find_handler(call_name) != nullptr; }

Result<CallOutcome, CallProblem> SyscallContext::run(const SyscallEvent& call) {
    Handler h = find_handler(call.name);
    if (!h) return skip("unsupported call: " + call.name);
    return h(*this, call);
}

int SyscallContext::fd(int64_t script_fd) const {
    auto it = fds_.find(script_fd);
    if (it != fds_.end()) return it->second;
    return static_cast<int>(script_fd);
}

Result<int64_t, CallProblem> integer_value(const Expr& e) {
    switch (e.kind) {
    case Expr::Kind::Integer: return e.integer;
    case Expr::Kind::Word: {
        if (auto v = symbol_value(e.text)) return int64_t{*v};
        // A constant of something tapstack lacks (MSG_FASTOPEN, IP_MTU_DISCOVER...): a SKIP.
        return skip(fmt::format("unknown name {}", e.text));
    }
    case Expr::Kind::Or: {
        int64_t value = 0;
        for (const Expr& item : e.items) {
            auto v = integer_value(item);
            if (!v) return v;
            value |= *v;
        }
        return value;
    }
    case Expr::Kind::Array:  // [1]: a pointer to one int
        if (e.items.size() == 1) return integer_value(e.items[0]);
        break;
    case Expr::Kind::Call:  // htons(8080): the value in host order; the Sockets API takes that
        if ((e.text == "htons" || e.text == "htonl") && e.items.size() == 1) return integer_value(e.items[0]);
        break;
    default: break;
    }
    return fail(fmt::format("{} is not a number the runner understands", to_string(e)));
}

}  // namespace tapstack::pkt
