// SPDX-License-Identifier: MIT
// The packetdrill runner (apps/pkt/pkt_runner.hh) on small scripts written here: a passive and an
// active open that pass, each kind of failure with its message, the timing tolerance, blocking
// calls, the settings shell lines and option lines map onto (pkt_setup.hh), and the reasons a
// script is skipped.
#include <gtest/gtest.h>

#include <string>

#include "apps/pkt/pkt_runner.hh"
#include "apps/pkt/pkt_setup.hh"

using namespace tapstack::pkt;

namespace {

RunResult run(std::string_view text, RunnerOptions options = {}) { return run_script_text(text, "t.pkt", options); }

// Our listening socket and the peer's handshake, as the upstream scripts start.
constexpr std::string_view listen_and_accept = R"(
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
  +.1 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
  +.1 < . 1:1(0) ack 1 win 257
   +0 accept(3, ..., ...) = 4
)";

std::string script(std::string_view tail) { return std::string{listen_and_accept} + std::string{tail}; }

#define EXPECT_PASS(r) EXPECT_EQ((r).verdict, Verdict::Pass) << result_line("t.pkt", r)

TEST(PktRunner, PassiveOpenDataAndCloseFromBothSidesPass) {
    RunResult r = run(script(R"(
   +0 write(4, ..., 1000) = 1000
   +0 > P. 1:1001(1000) ack 1
  +.1 < . 1:1(0) ack 1001 win 257
   +0 < F. 1:1(0) ack 1001 win 257
   +0 > . 1001:1001(0) ack 2
   +0 read(4, ..., 100) = 0
   +0 close(4) = 0
   +0 > F. 1001:1001(0) ack 2
  +.1 < . 2:2(0) ack 1002 win 257
)"));
    EXPECT_PASS(r);
}

TEST(PktRunner, ActiveOpenTranslatesOurSequenceNumbersAndTimestamps) {
    RunResult r = run(R"(
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
   +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
   +0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>
  +.1 < S. 5000:5000(0) ack 1 win 5792 <mss 1460,sackOK,TS val 700 ecr 100,nop,wscale 2>
   +0 > . 1:1(0) ack 5001 <nop,nop,TS val 200 ecr 700>
   +0 write(3, ..., 10) = 10
   +0 > P. 1:11(10) ack 5001 <nop,nop,TS val 200 ecr 700>
)");
    EXPECT_PASS(r);
}

TEST(PktRunner, WrongFlagsFailWithBothSegments) {
    RunResult r = run(script(R"(
   +0 write(4, ..., 1000) = 1000
   +0 > F. 1:1001(1000) ack 1
)"));
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_EQ(r.line, 12);
    EXPECT_EQ(r.message,
              "expected > F. 1:1001(1000) ack 1, > P. 1:1001(1000) ack 1 win 61440 came at 0.200000 "
              "(flags F. expected, P. came)");
}

TEST(PktRunner, AWrongAckNumberFails) {
    RunResult r = run(script(R"(
   +0 < P. 1:11(10) ack 1 win 257
   +0 > . 1:1(0) ack 12
)"));
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_NE(r.message.find("(ack 12 expected, 11 came)"), std::string::npos) << r.message;
}

TEST(PktRunner, ASegmentThatNeverComesFails) {
    RunResult r = run(script("   +0 > P. 1:1001(1000) ack 1\n"));
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_EQ(r.line, 10);
    EXPECT_EQ(r.message.substr(0, 56), "expected > P. 1:1001(1000) ack 1 at 0.200000, nothing ca");
}

TEST(PktRunner, AnExtraSegmentBeforeTheExpectedOneFails) {
    // Data from the peer is acknowledged: the script forgot that ACK and expects our data first.
    RunResult r = run(script(R"(
   +0 < P. 1:11(10) ack 1 win 257
   +0 write(4, ..., 100) = 100
   +0 > P. 1:101(100) ack 11
)"));
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_NE(r.message.find(", > . 1:1(0) ack 11"), std::string::npos) << r.message;
}

TEST(PktRunner, ASegmentOutsideTheToleranceFails) {
    // Our SYN,ACK goes at once (0.100); the script says 0.110.
    RunResult r = run(R"(
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
  +.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+.010 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
)");
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_EQ(r.line, 6);
    EXPECT_EQ(r.message,
              "expected > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8> at 0.110000 (±4000 us), it came at 0.100000");
}

TEST(PktRunner, ToleranceComesFromTheCommandLineAndTheScriptWins) {
    std::string late = R"(
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
  +.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+.003 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
)";
    EXPECT_PASS(run(late));  // 3 ms off: within the default 4 ms
    RunnerOptions strict;
    strict.tolerance_usecs = 2000;
    EXPECT_EQ(run(late, strict).verdict, Verdict::Fail);
    EXPECT_PASS(run("--tolerance_usecs=5000\n" + late, strict));
}

TEST(PktRunner, ATimeRangeAcceptsAnyTimeWithinIt) {
    // The retransmission timeout comes somewhere between 0.3 s (an RTT sample from the handshake)
    // and 1 s (none) after the data.
    EXPECT_PASS(run(script(R"(
   +0 write(4, ..., 1000) = 1000
   +0 > P. 1:1001(1000) ack 1
+.2~+1.5 > P. 1:1001(1000) ack 1
)")));
    RunResult r = run(R"(
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
  +.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+.010~+.020 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
)");
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_EQ(r.message,
              "expected > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8> at 0.110000~0.120000 (±4000 us), it "
              "came at 0.100000");
}

TEST(PktRunner, BlockingReadReturnsWhenTheDataComes) {
    RunResult r = run(script(R"(
   +0...0.100 read(4, ..., 1000) = 1000
  +.1 < P. 1:1001(1000) ack 1 win 257
   +0 > . 1:1(0) ack 1001
)"));
    EXPECT_PASS(r);
}

TEST(PktRunner, ABlockingCallReturningAtTheWrongTimeFails) {
    RunResult r = run(script(R"(
   +0...0.300 read(4, ..., 1000) = 1000
  +.1 < P. 1:1001(1000) ack 1 win 257
)"));
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_EQ(r.message, "expected read() to return at 0.500000 (±4000 us), it returned at 0.300000");
}

TEST(PktRunner, AWrongReturnValueFailsWithTheErrno) {
    RunResult r = run(script("   +0 recv(4, ..., 100, MSG_DONTWAIT) = 100\n"));
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_EQ(r.line, 10);
    EXPECT_EQ(r.message, "expected recv(...) = 100, came -1 EAGAIN (Resource temporarily unavailable)");
    EXPECT_PASS(run(script("   +0 recv(4, ..., 100, MSG_DONTWAIT) = -1 EAGAIN (Resource temporarily unavailable)\n")));
}

TEST(PktRunner, ADescriptorMayHaveAnyNumber) {
    // packetdrill maps the script's numbers onto the real ones: ours is 3, the script says 7.
    EXPECT_PASS(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 7\n+0 bind(7, ..., ...) = 0\n+0 listen(7, 1) = 0\n"));
}

TEST(PktRunner, SysctlsChangeTheStack) {
    // Without timestamps (and with them off in the sysctl) the SYN,ACK carries none.
    RunResult r = run(R"(
`sysctl -q net.ipv4.tcp_timestamps=0`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
  +.1 < S 0:0(0) win 32792 <mss 1000,sackOK,TS val 1 ecr 0,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
)");
    EXPECT_PASS(r);
}

TEST(PktRunner, SkipsWhatItCannotRun) {
    EXPECT_EQ(run("`sysctl -q net.ipv4.tcp_mtu_probing=1`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n").message,
              "sysctl net.ipv4.tcp_mtu_probing=1: no such setting in tapstack");
    EXPECT_EQ(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ assert tcpi_rto == 200000 }%\n").message,
              "inline Python at line 2 (tapstack runs no Python)");
    EXPECT_EQ(run("0 epoll_pwait(1) = 4\n").message, "unsupported call: epoll_pwait (line 1)");
    EXPECT_EQ(run("--ip_version=ipv6\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n").message,
              "--ip_version=ipv6: tapstack speaks IPv4 only");
    EXPECT_EQ(run("`ip link set dev tun0 mtu 1280`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n").message,
              "shell line not understood: ip link set dev tun0 mtu 1280");
    RunResult r = run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 splice(3, 4) = 0\n");
    EXPECT_EQ(r.verdict, Verdict::Skip);
    r = run(
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_TCP, TCP_FASTOPEN_CONNECT, [1], 4) = 0\n");
    EXPECT_EQ(r.verdict, Verdict::Skip);
    EXPECT_EQ(r.message, "unknown name TCP_FASTOPEN_CONNECT (line 2)");
}

TEST(PktRunner, TheUpstreamDefaultsAndRestoresAreUnderstood) {
    EXPECT_PASS(
        run("`../common/defaults.sh`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
            "+0 `/tmp/sysctl_restore_${PPID}.sh`\n"));
}

TEST(PktRunner, ASyntaxErrorFailsAtItsLine) {
    RunResult r = run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S. 0:0(0) ack foo\n+0 close(3) = 0\n");
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_EQ(r.line, 2);
    EXPECT_EQ(r.message.substr(0, 23), "syntax error at column ");
}

TEST(PktRunner, ResultLines) {
    EXPECT_EQ(result_line("a.pkt", {}), "PASS a.pkt");
    EXPECT_EQ(result_line("a.pkt", {Verdict::Fail, 12, "expected x, came y"}),
              "FAIL a.pkt: line 12: expected x, came y");
    EXPECT_EQ(result_line("a.pkt", {Verdict::Skip, 0, "unsupported call: ioctl (line 3)"}),
              "SKIP a.pkt: unsupported call: ioctl (line 3)");
}

TEST(PktRunner, VerbosePrintsEventsAndFrames) {
    std::string out;
    RunnerOptions options;
    options.verbose = [&](std::string_view line) { out += std::string{line} + "\n"; };
    EXPECT_PASS(run(listen_and_accept, options));
    EXPECT_NE(out.find("0.100000 line 6: +0.100000 < S 0:0(0) win 32792"), std::string::npos) << out;
    EXPECT_NE(out.find("0.100000   out: > S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 8>"),
              std::string::npos)
        << out;
}

TEST(PktRunner, WithoutSegmentationOffloadEachSegmentIsALine) {
    // The peer's MSS is 1000: a 3000-byte write is one 3000-byte line with offload, three without.
    std::string tail = R"(
   +0 write(4, ..., 3000) = 3000
   +0 > . 1:1001(1000) ack 1
   +0 > . 1001:2001(1000) ack 1
   +0 > P. 2001:3001(1000) ack 1
)";
    EXPECT_PASS(run("`ethtool -K tun0 tso off gso off`\n" + script(tail)));
    EXPECT_EQ(run(script(tail)).message.substr(0, 74),
              "expected > . 1:1001(1000) ack 1, > P. 1:3001(3000) ack 1 win 61440 came at");
}

TEST(PktSetup, SysctlsMapOntoTheStacksSettings) {
    ScriptSettings s = linux_profile();
    EXPECT_TRUE(s.stack.tcp.tail_loss_probe);
    EXPECT_EQ(apply_command("sysctl -q net.ipv4.tcp_early_retrans=0 net.ipv4.tcp_sack=0\n"
                            "../common/set_sysctls.py /proc/sys/net/ipv4/tcp_wmem=\"4096 50000 4194304\"",
                            s),
              std::nullopt);
    EXPECT_FALSE(s.stack.tcp.tail_loss_probe);
    EXPECT_FALSE(s.stack.tcp.sack);
    EXPECT_EQ(s.stack.tcp.send_buffer, 50000u);
    EXPECT_EQ(apply_command("sysctl -q net.ipv4.tcp_early_retrans=4", s), std::nullopt);
    EXPECT_TRUE(s.stack.tcp.tail_loss_probe);
    EXPECT_EQ(apply_command("sysctl -q net.ipv4.tcp_early_retrans=9", s),
              "sysctl net.ipv4.tcp_early_retrans=9: no such setting in tapstack");
    // What defaults.sh sets and tapstack already does changes nothing; other values skip.
    EXPECT_EQ(apply_command("sysctl -q net.ipv4.tcp_reordering=3", s), std::nullopt);
    EXPECT_EQ(apply_command("sysctl -q net.ipv4.tcp_reordering=10", s),
              "sysctl net.ipv4.tcp_reordering=10: no such setting in tapstack");
}

TEST(PktSetup, ScriptOptions) {
    ScriptSettings s = linux_profile();
    EXPECT_EQ(apply_option({{}, "tolerance_usecs", "10000"}, s), std::nullopt);
    EXPECT_EQ(s.tolerance_usecs, 10000);
    EXPECT_EQ(apply_option({{}, "tcp_ts_tick_usecs", "1000"}, s), std::nullopt);
    EXPECT_EQ(s.ts_tick_usecs, 1000);
    EXPECT_EQ(apply_option({{}, "ip_version", "ipv4"}, s), std::nullopt);
    EXPECT_EQ(apply_option({{}, "mtu", "1200"}, s), "option --mtu=1200 not supported");
}

TEST(PktRunner, BufferSysctlsSetTheStacksBuffers) {
    // tcp_rmem's largest buffer sets the window scale we offer: 65535 << 2 covers 200 KB.
    RunResult r = run(R"(
`../common/set_sysctls.py /proc/sys/net/ipv4/tcp_rmem="4096 87380 200000"`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
  +.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 2>
)");
    EXPECT_PASS(r);
    EXPECT_EQ(run("`sysctl -q net.ipv4.tcp_wmem=\"4096 oops 4194304\"`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n")
                  .message,
              "sysctl net.ipv4.tcp_wmem=\"4096 oops 4194304\": no such setting in tapstack");
}

TEST(PktRunner, PollAndGetsockoptCompareWhatTheyReturn) {
    EXPECT_PASS(run(script(R"(
   +0 poll([{fd=4, events=POLLIN, revents=0}], 1, 0) = 0
   +0 < P. 1:11(10) ack 1 win 257
   +0 > . 1:1(0) ack 11
   +0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLIN|POLLOUT}], 1, 0) = 1
   +0 getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
   +0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
   +0 getsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, [8]) = 0
)")));
    RunResult r = run(script("   +0 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 0) = 1\n"));
    EXPECT_EQ(r.message, "poll() revents 0x1 expected for entry 0, 0x0 came");
    r = run(script("   +0 getsockopt(4, SOL_SOCKET, SO_KEEPALIVE, [1], [4]) = 0\n"));
    EXPECT_EQ(r.message, "getsockopt() value [1] expected, 0 came");
    r = run(script("   +0 getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [8]) = 0\n"));
    EXPECT_EQ(r.message, "getsockopt() length 8 expected, 4 came");
}

TEST(PktRunner, AnUnsupportedSocketOptionSkipsWhenTheCallIsMade) {
    RunResult r = run(script("   +0 setsockopt(4, SOL_TCP, TCP_CONGESTION, [1], 4) = 0\n"));
    EXPECT_EQ(r.verdict, Verdict::Skip);
    EXPECT_EQ(r.message, "unsupported socket option TCP_CONGESTION (line 10)");
}

TEST(PktRunner, AShellLineWhileTheScriptRunsSkips) {
    RunResult r = run(script("   +0 `sysctl -q net.ipv4.tcp_sack=0`\n"));
    EXPECT_EQ(r.verdict, Verdict::Skip);
    EXPECT_EQ(r.message, "a shell line while the script runs (line 10): sysctl -q net.ipv4.tcp_sack=0");
}

TEST(PktRunner, AnEcrNamingNoTsValWeSentFails) {
    RunResult r = run(R"(
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
  +.1 < S 0:0(0) win 32792 <mss 1000,sackOK,TS val 100 ecr 0,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <...>
  +.1 < . 1:1(0) ack 1 win 257 <nop,nop,TS val 200 ecr 555>
)");
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_EQ(r.line, 7);
    EXPECT_EQ(r.message,
              "cannot build this packet: TS ecr 555: no segment we sent so far carried the TS val the "
              "script calls 555");
}

TEST(PktRunner, IoctlComparesTheQueueLengths) {
    EXPECT_PASS(run(script(R"(
   +0 ioctl(4, SIOCINQ, [0]) = 0
   +0 < P. 1:1001(1000) ack 1 win 257
   +0 > . 1:1(0) ack 1001
   +0 ioctl(4, FIONREAD, [1000]) = 0
   +0 write(4, ..., 100) = 100
   +0 > P. 1:101(100) ack 1001
   +0 ioctl(4, SIOCOUTQ, [100]) = 0
   +0 ioctl(4, SIOCOUTQNSD, [0]) = 0
   +0 ioctl(4, FIONBIO, [1]) = 0
   +0 read(4, ..., 2000) = 1000
   +0 read(4, ..., 2000) = -1 EAGAIN (Resource temporarily unavailable)
   +0 ioctl(4, SIOCINQ, ...) = 0
)")));
    RunResult r = run(script("   +0 ioctl(4, SIOCINQ, [1000]) = 0\n"));
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_EQ(r.line, 10);
    EXPECT_EQ(r.message, "ioctl(SIOCINQ) value 1000 expected, 0 came");
    EXPECT_EQ(run(script("   +0 ioctl(4, 0x5401, [0]) = -1 ENOTTY (Inappropriate ioctl)\n")).verdict, Verdict::Pass);
}

TEST(PktRunner, EpollReportsTheEventsWrittenAndMapsItsDescriptor) {
    // The script's epoll descriptor is 9; ours is 5. The event's fd=4 is the data, kept as written.
    EXPECT_PASS(run(script(R"(
   +0 epoll_create(1) = 9
   +0 epoll_ctl(9, EPOLL_CTL_ADD, 4, {events=EPOLLIN|EPOLLET, fd=4}) = 0
   +0 epoll_wait(9, {events=0, ptr=0}, 1, 0) = 0
   +0 < P. 1:1001(1000) ack 1 win 257
   +0 > . 1:1(0) ack 1001
   +0 epoll_wait(9, {events=EPOLLIN, fd=4}, 1, 0) = 1
   +0 epoll_wait(9, {events=EPOLLIN, fd=4}, 1, 0) = 0
   +0 epoll_ctl(9, EPOLL_CTL_MOD, 4, {events=EPOLLIN|EPOLLOUT, u64=7}) = 0
   +0 epoll_wait(9, [{events=EPOLLIN|EPOLLOUT, u64=7}], 4, 0) = 1
   +0 epoll_ctl(9, EPOLL_CTL_DEL, 4, ...) = 0
   +0 close(9) = 0
   +0 epoll_create1(0) = 5
)")));
    RunResult r = run(script(R"(
   +0 epoll_create(1) = 5
   +0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLOUT, fd=4}) = 0
   +0 epoll_wait(5, {events=EPOLLIN, fd=4}, 1, 0) = 1
)"));
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_EQ(r.line, 13);
    EXPECT_EQ(r.message, "epoll_wait() event 0: events=0x1 expected, 0x4 came");
    r = run(script(R"(
   +0 epoll_create(1) = 5
   +0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLOUT, fd=4}) = 0
   +0 epoll_wait(5, {events=EPOLLOUT, fd=3}, 1, 0) = 1
)"));
    EXPECT_EQ(r.message, "epoll_wait() event 0: fd=0x3 expected, 0x4 came");
}

TEST(PktRunner, VectorCallsSendAndReceiveEachPiece) {
    EXPECT_PASS(run(script(R"(
   +0 writev(4, [{..., 100}, {..., 200}], 2) = 300
   +0 > P. 1:301(300) ack 1
   +0 < P. 1:501(500) ack 301 win 257
   +0 > . 301:301(0) ack 501
   +0 readv(4, [{..., 100}, {..., 300}], 2) = 400
   +0 readv(4, [{..., 1000}], 1) = 100
)")));
    RunResult r = run(script("   +0 writev(4, [{..., 100}, {..., 200}], 2) = 100\n"));
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_EQ(r.message, "expected writev(...) = 100, came 300");
    EXPECT_EQ(run(script("   +0 writev(4, [{..., 100}], 2) = 100\n")).message, "writev(): iovcnt 2 for 1 pieces");
}

TEST(PktRunner, MessageCallsTakeTheirIovecsAndCompareMsgFlags) {
    EXPECT_PASS(run(script(R"(
   +0 setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0
   +0 sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 40}, {..., 60}], msg_flags=0}, 0) = 100
   +0 > P. 1:101(100) ack 1
   +0 < P. 1:11(10) ack 101 win 257
   +0 > . 101:101(0) ack 11
   +0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=0}, 0) = 10
   +0 sendto(4, ..., 20, 0, ..., ...) = 20
   +0 > P. 101:121(20) ack 11
   +0 < P. 11:21(10) ack 121 win 257
   +0 > . 121:121(0) ack 21
   +0 recvfrom(4, ..., 100, 0, ..., ...) = 10
)")));
    RunResult r = run(script(R"(
   +0 < P. 1:11(10) ack 1 win 257
   +0 > . 1:1(0) ack 11
   +0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=MSG_TRUNC}, 0) = 10
)"));
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_EQ(r.line, 13);
    EXPECT_EQ(r.message, "recvmsg() msg_flags 0x20 expected, 0x0 came");
    r = run(script("   +0 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 40}], msg_flags=0}, MSG_MORE) = 30\n"));
    EXPECT_EQ(r.message, "expected sendmsg(...) = 30, came 40");
}

TEST(PktRunner, TheNewSocketOptionsAreSetAndCompared) {
    EXPECT_PASS(run(script(R"(
   +0 getsockopt(4, SOL_TCP, TCP_MAXSEG, [1000], [4]) = 0
   +0 setsockopt(4, SOL_SOCKET, SO_SNDBUF, [21000], 4) = 0
   +0 getsockopt(4, SOL_SOCKET, SO_SNDBUF, [42000], [4]) = 0
   +0 setsockopt(4, SOL_TCP, TCP_USER_TIMEOUT, [3000], 4) = 0
   +0 getsockopt(4, SOL_TCP, TCP_USER_TIMEOUT, [3000], [4]) = 0
   +0 setsockopt(4, SOL_TCP, TCP_KEEPIDLE, [5], 4) = 0
   +0 getsockopt(4, SOL_TCP, TCP_KEEPCNT, [9], [4]) = 0
   +0 setsockopt(4, SOL_TCP, TCP_CORK, [1], 4) = 0
   +0 getsockopt(4, SOL_TCP, TCP_CORK, [1], [4]) = 0
   +0 getsockopt(4, SOL_TCP, TCP_INFO, ..., [8]) = 0
)")));
    RunResult r = run(script("   +0 getsockopt(4, SOL_TCP, TCP_MAXSEG, [1460], [4]) = 0\n"));
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_EQ(r.message, "getsockopt() value [1460] expected, 1000 came");
}

TEST(PktSetup, KeepaliveSysctlsSetTheStacksTimings) {
    ScriptSettings s = linux_profile();
    EXPECT_EQ(apply_command("sysctl -q net.ipv4.tcp_keepalive_time=30 net.ipv4.tcp_keepalive_intvl=5 "
                            "net.ipv4.tcp_keepalive_probes=3",
                            s),
              std::nullopt);
    EXPECT_EQ(s.stack.tcp.keepalive.idle, std::chrono::seconds{30});
    EXPECT_EQ(s.stack.tcp.keepalive.interval, std::chrono::seconds{5});
    EXPECT_EQ(s.stack.tcp.keepalive.probes, 3u);
    EXPECT_EQ(apply_command("sysctl -q net.ipv4.tcp_keepalive_probes=0", s),
              "sysctl net.ipv4.tcp_keepalive_probes=0: no such setting in tapstack");
}

}  // namespace
