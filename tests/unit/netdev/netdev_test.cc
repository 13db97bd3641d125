// SPDX-License-Identifier: MIT
// The devices, without root: the in-memory link, the pcap tee and reader (round trips, link types,
// damaged files), and TapDev's setup errors. TAP traffic itself is tested in a network namespace
// by tests/integration, never here: a unit test must not create devices on the host.
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#include "netdev/memory_link.hh"
#include "netdev/pcap_reader.hh"
#include "netdev/pcap_tee.hh"
#include "netdev/tap_dev.hh"

namespace tapstack {
namespace {

using Frame = std::vector<uint8_t>;

// A frame whose bytes are `first`, first + 1, ... so that reordering or truncation shows.
Frame frame_of(uint8_t first, size_t n) {
    Frame f(n);
    for (size_t i = 0; i < n; ++i) f[i] = static_cast<uint8_t>(first + i);
    return f;
}

Frame to_frame(Bytes b) { return Frame(b.begin(), b.end()); }

// A file in the temporary directory named after the running test, removed at the end of the test.
class TempFile {
public:
    explicit TempFile(const std::string& suffix) {
        const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
        path_ = (std::filesystem::temp_directory_path() / (std::string{"netdev_test-"} + test->test_suite_name() + "-" +
                                                           test->name() + "-" + std::to_string(::getpid()) + suffix))
                    .string();
    }
    ~TempFile() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Writes `frames` to a capture of link type `dlt` through libpcap, as tcpdump would.
void write_capture(const std::string& path, int dlt, const std::vector<Frame>& frames) {
    pcap_t* dead = pcap_open_dead(dlt, 65535);
    ASSERT_NE(dead, nullptr);
    pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
    ASSERT_NE(dumper, nullptr) << pcap_geterr(dead);
    for (size_t i = 0; i < frames.size(); ++i) {
        pcap_pkthdr header{};
        header.ts.tv_sec = static_cast<time_t>(i + 1);
        header.caplen = header.len = static_cast<bpf_u_int32>(frames[i].size());
        pcap_dump(reinterpret_cast<u_char*>(dumper), &header, frames[i].data());
    }
    pcap_dump_close(dumper);
    pcap_close(dead);
}

// The start of an IPv4 header (version 4, IHL 5) and of an IPv6 one, enough for ipv4_offset().
const Frame ipv4_start{0x45, 0x00, 0x00, 0x14, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
const Frame ipv6_start{0x60, 0, 0, 0, 0, 0, 6, 64};

Frame concat(Frame a, const Frame& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// The message of the std::system_error that `f` throws, or a note that it threw nothing.
template <typename F>
std::pair<std::string, int> error_of(F f) {
    try {
        f();
    } catch (const std::system_error& e) {
        return {e.what(), e.code().value()};
    }
    return {"(no exception)", 0};
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

// ---------------------------------------------------------------------------------- MemoryLink

TEST(MemoryLink, FramesCrossInOrderBothWays) {
    auto [a, b] = MemoryLink::pair();
    a.transmit(frame_of(1, 60), Instant{});
    a.transmit(frame_of(2, 70), Instant{});
    b.transmit(frame_of(3, 80), Instant{});
    uint8_t buf[max_frame_len];
    ASSERT_EQ(b.receive(MutBytes{buf}, Instant{}), 60u);
    EXPECT_EQ(to_frame(Bytes{buf, 60}), frame_of(1, 60));
    ASSERT_EQ(b.receive(MutBytes{buf}, Instant{}), 70u);
    EXPECT_EQ(to_frame(Bytes{buf, 70}), frame_of(2, 70));
    EXPECT_FALSE(b.receive(MutBytes{buf}, Instant{}));
    ASSERT_EQ(a.receive(MutBytes{buf}, Instant{}), 80u);
    EXPECT_EQ(to_frame(Bytes{buf, 80}), frame_of(3, 80));
    EXPECT_FALSE(a.receive(MutBytes{buf}, Instant{}));
    EXPECT_EQ(a.stats().frames_sent, 2u);
    EXPECT_EQ(a.stats().frames_received, 1u);
    EXPECT_EQ(b.stats().frames_sent, 1u);
    EXPECT_EQ(b.stats().frames_received, 2u);
    EXPECT_EQ(a.dropped() + b.dropped(), 0u);
}

TEST(MemoryLink, FullQueueDropsTheNewFramesAndCountsThem) {
    auto [a, b] = MemoryLink::pair(2);
    for (uint8_t i = 0; i < 5; ++i) a.transmit(frame_of(i, 60), Instant{});
    EXPECT_EQ(a.stats().queue_full_dropped, 3u);
    EXPECT_EQ(a.dropped(), 3u);
    EXPECT_EQ(b.pending(), 2u);
    uint8_t buf[max_frame_len];
    ASSERT_EQ(b.receive(MutBytes{buf}, Instant{}), 60u);
    EXPECT_EQ(buf[0], 0);
    ASSERT_EQ(b.receive(MutBytes{buf}, Instant{}), 60u);
    EXPECT_EQ(buf[0], 1);
    EXPECT_FALSE(b.receive(MutBytes{buf}, Instant{}));
    // Room again once the peer has read.
    a.transmit(frame_of(7, 60), Instant{});
    ASSERT_EQ(b.receive(MutBytes{buf}, Instant{}), 60u);
    EXPECT_EQ(buf[0], 7);
    EXPECT_EQ(a.stats().queue_full_dropped, 3u);
}

TEST(MemoryLink, FrameLargerThanTheBufferIsDroppedNotTruncated) {
    auto [a, b] = MemoryLink::pair();
    a.transmit(frame_of(9, 3000), Instant{});
    a.transmit(frame_of(8, 100), Instant{});
    uint8_t buf[max_frame_len];
    ASSERT_EQ(b.receive(MutBytes{buf}, Instant{}), 100u);
    EXPECT_EQ(buf[0], 8);
    EXPECT_EQ(b.stats().oversized_dropped, 1u);
    EXPECT_EQ(b.dropped(), 1u);
}

TEST(MemoryLink, RecordsSentFramesOnlyWhenAskedAndEvenWhenDropped) {
    auto [a, b] = MemoryLink::pair(1);
    a.transmit(frame_of(1, 60), Instant{});
    EXPECT_TRUE(a.sent().empty());
    a.record_sent(true);
    a.transmit(frame_of(2, 61), Instant{});  // the queue is full: dropped, but still recorded
    ASSERT_EQ(a.sent().size(), 1u);
    EXPECT_EQ(a.sent().front(), frame_of(2, 61));
    EXPECT_TRUE(b.sent().empty());
}

TEST(MemoryLink, EitherEndMayGoFirst) {
    auto ends = MemoryLink::pair();
    MemoryLink::End a = std::move(ends.first);
    {
        MemoryLink::End b = std::move(ends.second);
        b.transmit(frame_of(5, 60), Instant{});
    }
    a.transmit(frame_of(6, 60), Instant{});  // nobody will read it; it must not crash
    uint8_t buf[max_frame_len];
    ASSERT_EQ(a.receive(MutBytes{buf}, Instant{}), 60u);
    EXPECT_EQ(buf[0], 5);
}

// ------------------------------------------------------------------------------------- PcapTee

TEST(PcapTee, EveryFrameBothWaysIsWrittenWithNowPlusTheOffset) {
    TempFile file(".pcap");
    auto [a, b] = MemoryLink::pair();
    const Frame sent = frame_of(0xa0, 60), received = frame_of(0x10, 64);
    {
        PcapTee tee(a, file.path(), std::chrono::seconds{1'700'000'000});
        tee.transmit(sent, Instant::from_us(1'500'000));
        b.transmit(received, Instant{});
        uint8_t buf[max_frame_len];
        ASSERT_EQ(tee.receive(MutBytes{buf}, Instant::from_us(2'250'001)), 64u);
        EXPECT_EQ(to_frame(Bytes{buf, 64}), received);  // passed through untouched
        EXPECT_EQ(tee.frames_written(), 2u);
    }
    uint8_t buf[max_frame_len];
    ASSERT_EQ(b.receive(MutBytes{buf}, Instant{}), 60u);  // the tee handed its frame on
    EXPECT_EQ(to_frame(Bytes{buf, 60}), sent);

    PcapReader reader(file.path());
    EXPECT_TRUE(reader.is_ethernet());
    EXPECT_EQ(reader.link_type_name(), "EN10MB");
    auto f1 = reader.next();
    ASSERT_TRUE(f1);
    EXPECT_EQ(f1->number, 1u);
    EXPECT_EQ(f1->timestamp.us(), 1'700'000'001'500'000);
    EXPECT_EQ(to_frame(f1->data), sent);
    EXPECT_EQ(f1->original_length, 60u);
    auto f2 = reader.next();
    ASSERT_TRUE(f2);
    EXPECT_EQ(f2->number, 2u);
    EXPECT_EQ(f2->timestamp.us(), 1'700'000'002'250'001);
    EXPECT_EQ(to_frame(f2->data), received);
    EXPECT_FALSE(reader.next());
}

TEST(PcapTee, TimestampsCarryMicrosecondsIntoSecondsExactly) {
    TempFile file(".pcap");
    auto [a, b] = MemoryLink::pair();
    const int64_t times_us[] = {0, 999'999, 1'000'000, 59'999'999'999};
    {
        PcapTee tee(a, file.path(), Duration{1});
        for (int64_t t : times_us) tee.transmit(frame_of(0, 60), Instant::from_us(t));
    }
    PcapReader reader(file.path());
    for (int64_t t : times_us) {
        auto f = reader.next();
        ASSERT_TRUE(f);
        EXPECT_EQ(f->timestamp.us(), t + 1);
    }
    EXPECT_FALSE(reader.next());
}

TEST(PcapTee, VirtualTimeCapturesAreByteForByteStable) {
    auto capture = [](const std::string& path) {
        auto [a, b] = MemoryLink::pair();
        PcapTee tee(a, path);
        tee.transmit(frame_of(1, 60), Instant::from_ms(0));
        b.transmit(frame_of(2, 1514), Instant{});
        uint8_t buf[max_frame_len];
        EXPECT_TRUE(tee.receive(MutBytes{buf}, Instant::from_ms(1)));
        tee.transmit(frame_of(3, 54), Instant::from_ms(200));
    };
    TempFile first(".1.pcap"), second(".2.pcap");
    capture(first.path());
    capture(second.path());
    std::vector<uint8_t> bytes = read_file(first.path());
    EXPECT_EQ(bytes, read_file(second.path()));
    // A classic pcap header: microsecond magic, version 2.4, snaplen 65535, Ethernet.
    ASSERT_EQ(bytes.size(), 24u + 3 * 16 + 60 + 1514 + 54);
    const std::vector<uint8_t> header(bytes.begin(), bytes.begin() + 24);
    const std::vector<uint8_t> expected{0xd4, 0xc3, 0xb2, 0xa1, 2,    0,    4, 0, 0, 0, 0, 0,
                                        0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};
    EXPECT_EQ(header, expected);
}

TEST(PcapTee, FlushPutsRecordsOnDiskAndIsANoOpWhenClean) {
    TempFile file(".pcap");
    auto [a, b] = MemoryLink::pair();
    PcapTee tee(a, file.path());
    EXPECT_FALSE(tee.dirty());
    tee.transmit(frame_of(1, 60), Instant::from_ms(5));
    EXPECT_TRUE(tee.dirty());
    tee.flush();
    EXPECT_FALSE(tee.dirty());
    EXPECT_FALSE(tee.write_failed());
    EXPECT_EQ(std::filesystem::file_size(file.path()), 24u + 16 + 60);
    {
        PcapReader reader(file.path());  // readable while the tee is still open
        auto f = reader.next();
        ASSERT_TRUE(f);
        EXPECT_EQ(f->timestamp.us(), 5'000);
        EXPECT_FALSE(reader.next());
    }
    tee.flush();
    EXPECT_EQ(std::filesystem::file_size(file.path()), 24u + 16 + 60);
}

TEST(PcapTee, FrameTheInnerDeviceDropsOnReceiveIsNotRecorded) {
    TempFile file(".pcap");
    auto [a, b] = MemoryLink::pair();
    PcapTee tee(a, file.path());
    b.transmit(frame_of(0, 3000), Instant{});
    uint8_t buf[max_frame_len];
    EXPECT_FALSE(tee.receive(MutBytes{buf}, Instant{}));
    EXPECT_EQ(tee.frames_written(), 0u);
    EXPECT_FALSE(tee.dirty());
}

TEST(PcapTee, PassesTheInnerDevicesFdAndMtuThrough) {
    TempFile file(".pcap");
    auto [a, b] = MemoryLink::pair();
    PcapTee tee(a, file.path());
    EXPECT_EQ(tee.wait_fd(), a.wait_fd());
    EXPECT_EQ(tee.mtu(), a.mtu());
}

TEST(PcapTee, UnwritablePathThrowsWithThePathAndTheReason) {
    auto link = MemoryLink::pair();
    auto [message, code] = error_of([&] { PcapTee tee(link.first, "/nonexistent-dir/x.pcap"); });
    EXPECT_TRUE(contains(message, "/nonexistent-dir/x.pcap")) << message;
    EXPECT_TRUE(contains(message, "No such file or directory")) << message;
    EXPECT_EQ(code, ENOENT);
}

// ---------------------------------------------------------------------------------- PcapReader

TEST(PcapReader, MissingFileThrowsNamingTheFileAndTheReason) {
    auto [message, code] = error_of([] { PcapReader reader("/nonexistent/file.pcap"); });
    EXPECT_TRUE(contains(message, "cannot open capture file /nonexistent/file.pcap")) << message;
    EXPECT_TRUE(contains(message, "No such file or directory")) << message;
    EXPECT_EQ(code, ENOENT);
}

TEST(PcapReader, FileThatIsNotACaptureThrows) {
    TempFile file(".txt");
    std::ofstream(file.path()) << "this is not a capture file\n";
    auto [message, code] = error_of([&] { PcapReader reader(file.path()); });
    EXPECT_TRUE(contains(message, file.path() + " is not a pcap or pcapng capture file")) << message;
    EXPECT_EQ(code, EINVAL);
}

TEST(PcapReader, EmptyFileAndDirectoryAreNamedAsSuch) {
    TempFile file(".pcap");
    write_file(file.path(), {});
    auto [empty, code] = error_of([&] { PcapReader reader(file.path()); });
    EXPECT_TRUE(contains(empty, "is empty, not a capture file")) << empty;
    TempFile dir(".d");
    std::filesystem::create_directory(dir.path());
    auto [directory, code2] = error_of([&] { PcapReader reader(dir.path()); });
    EXPECT_TRUE(contains(directory, "is a directory")) << directory;
}

TEST(PcapReader, FileCutShortInARecordYieldsTheGoodFramesThenThrows) {
    TempFile file(".pcap");
    write_capture(file.path(), DLT_EN10MB, {frame_of(1, 60), frame_of(2, 60)});
    std::filesystem::resize_file(file.path(), 24 + 2 * (16 + 60) - 10);
    PcapReader reader(file.path());
    auto f = reader.next();
    ASSERT_TRUE(f);
    EXPECT_EQ(to_frame(f->data), frame_of(1, 60));
    auto [message, code] = error_of([&] { reader.next(); });
    EXPECT_TRUE(contains(message, "is cut short or damaged after frame 1")) << message;
}

TEST(PcapReader, LinuxCookedCaptureFromTcpdumpAnyGivesTheIpv4Offset) {
    TempFile file(".pcap");
    // SLL v1: packet type, ARPHRD, address length, 8 address bytes, protocol.
    const Frame sll_ipv4{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0, 1, 0, 0x08, 0x00};
    const Frame sll_arp{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0, 1, 0, 0x08, 0x06};
    write_capture(file.path(), DLT_LINUX_SLL, {concat(sll_ipv4, ipv4_start), concat(sll_arp, Frame(28, 0))});
    PcapReader reader(file.path());
    EXPECT_EQ(reader.link_type(), DLT_LINUX_SLL);
    EXPECT_EQ(reader.link_type_name(), "LINUX_SLL");
    EXPECT_FALSE(reader.is_ethernet());
    EXPECT_EQ(reader.network_offset(), 16u);
    auto ip = reader.next();
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->timestamp.us(), 1'000'000);
    EXPECT_EQ(reader.ipv4_offset(ip->data), 16u);
    auto arp = reader.next();
    ASSERT_TRUE(arp);
    EXPECT_EQ(reader.ipv4_offset(arp->data), std::nullopt);
}

TEST(PcapReader, LinuxCookedV2CaptureGivesTheIpv4Offset) {
    TempFile file(".pcap");
    // SLL v2: protocol, reserved, interface index, ARPHRD, packet type, address length, 8 bytes.
    const Frame sll2{0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0, 1, 0};
    write_capture(file.path(), DLT_LINUX_SLL2, {concat(sll2, ipv4_start)});
    PcapReader reader(file.path());
    EXPECT_EQ(reader.network_offset(), 20u);
    auto f = reader.next();
    ASSERT_TRUE(f);
    EXPECT_EQ(reader.ipv4_offset(f->data), 20u);
}

TEST(PcapReader, RawIpCaptureStartsAtTheIpHeaderAndSkipsIpv6) {
    TempFile file(".pcap");
    write_capture(file.path(), DLT_RAW, {ipv4_start, ipv6_start});
    PcapReader reader(file.path());
    EXPECT_EQ(reader.link_type(), DLT_RAW);
    EXPECT_EQ(reader.network_offset(), 0u);
    auto v4 = reader.next();
    ASSERT_TRUE(v4);
    EXPECT_EQ(reader.ipv4_offset(v4->data), 0u);
    auto v6 = reader.next();
    ASSERT_TRUE(v6);
    EXPECT_EQ(reader.ipv4_offset(v6->data), std::nullopt);
}

TEST(PcapReader, EthernetIpv4OffsetSkipsVlanTagsAndIgnoresOtherTypes) {
    TempFile file(".pcap");
    const Frame macs(12, 0x02);
    const Frame plain = concat(concat(macs, {0x08, 0x00}), ipv4_start);
    const Frame tagged = concat(concat(macs, {0x81, 0x00, 0x00, 0x05, 0x08, 0x00}), ipv4_start);
    const Frame arp = concat(concat(macs, {0x08, 0x06}), Frame(28, 0));
    const Frame runt(10, 0);
    write_capture(file.path(), DLT_EN10MB, {plain, tagged, arp, runt});
    PcapReader reader(file.path());
    std::vector<std::optional<size_t>> offsets;
    while (auto f = reader.next()) offsets.push_back(reader.ipv4_offset(f->data));
    std::vector<std::optional<size_t>> expected{14u, 18u, std::nullopt, std::nullopt};
    EXPECT_EQ(offsets, expected);
}

TEST(PcapReader, NanosecondCaptureIsReadInMicroseconds) {
    TempFile file(".pcap");
    auto le32 = [](std::vector<uint8_t>& out, uint32_t v) {
        for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
    };
    std::vector<uint8_t> bytes;
    le32(bytes, 0xa1b23c4d);  // nanosecond-resolution magic
    bytes.insert(bytes.end(), {2, 0, 4, 0});
    for (uint32_t v : {0u, 0u, 65535u, uint32_t{DLT_EN10MB}}) le32(bytes, v);  // zone, sigfigs, snaplen, link type
    for (uint32_t v : {7u, 2'500'999u, 14u, 60u}) le32(bytes, v);              // 7.002500999 s, 14 of 60 bytes kept
    const Frame header = frame_of(0, 14);
    bytes.insert(bytes.end(), header.begin(), header.end());
    write_file(file.path(), bytes);
    PcapReader reader(file.path());
    auto f = reader.next();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->timestamp.us(), 7'002'500);
    EXPECT_EQ(f->data.size(), 14u);
    EXPECT_EQ(f->original_length, 60u);
    EXPECT_FALSE(reader.next());
}

// -------------------------------------------------------------------------------------- TapDev
// Only the errors that need no TAP device: a unit test must never create one on the host.

TEST(TapDev, OverlongNameIsRefusedClearly) {
    auto [message, code] = error_of([] { TapDev dev("a-name-much-too-long-for-linux"); });
    EXPECT_TRUE(contains(message, "1 to 15 characters")) << message;
    EXPECT_EQ(code, EINVAL);
}

TEST(TapDev, NamesLinuxWouldRefuseAreRefusedBeforeOpeningAnything) {
    for (const char* name : {"", "tap/0", "tap 0", "tap:0", ".."}) {
        auto [message, code] = error_of([&] { TapDev dev(name, TapOffload::Off, "/nonexistent/tun"); });
        EXPECT_TRUE(contains(message, "is not a valid interface name")) << name << ": " << message;
    }
}

TEST(TapDev, MissingCloneDeviceAsksWhetherTheTunModuleIsLoaded) {
    auto [message, code] = error_of([] { TapDev dev("tap0", TapOffload::Off, "/nonexistent/net/tun"); });
    EXPECT_TRUE(contains(message, "cannot open /nonexistent/net/tun: is the tun module loaded?")) << message;
    EXPECT_EQ(code, ENOENT);
}

TEST(TapDev, CloneDeviceThatIsNotTunTapIsNamed) {
    auto [message, code] = error_of([] { TapDev dev("tap0", TapOffload::Off, "/dev/null"); });
    EXPECT_TRUE(contains(message, "/dev/null is not the TUN/TAP clone device")) << message;
    EXPECT_EQ(code, ENOTTY);
}

// Root may open anything, so the permission error is provoked in a child that gives up root.
TEST(TapDev, PermissionDeniedSaysHowToSetUp) {
    TempFile clone(".tun");
    write_file(clone.path(), {});
    ASSERT_EQ(::chmod(clone.path().c_str(), 0), 0);
    auto attempt = [&] {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) std::_Exit(3);
        auto [message, code] = error_of([&] { TapDev dev("tap0", TapOffload::Off, clone.path()); });
        std::fprintf(stderr, "%s\n", message.c_str());
        std::_Exit(code == EACCES ? 0 : 1);
    };
    EXPECT_EXIT(attempt(), ::testing::ExitedWithCode(0),
                "permission denied; run as root.*sudo chmod 0666.*setup_tap\\.sh to create tap0 owned by you");
}

}  // namespace tapstack
