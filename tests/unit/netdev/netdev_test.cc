// SPDX-License-Identifier: MIT
// The devices that need no root: the in-memory link, the pcap tee and reader, and TapDev's errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <system_error>

#include "netdev/memory_link.hh"
#include "netdev/pcap_reader.hh"
#include "netdev/pcap_tee.hh"
#include "netdev/tap_dev.hh"

namespace tapstack {
namespace {

std::vector<uint8_t> frame_of(uint8_t fill, size_t n) { return std::vector<uint8_t>(n, fill); }

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))).string();
}

}  // namespace

TEST(MemoryLink, FramesCrossInOrderBothWays) {
    auto [a, b] = MemoryLink::pair();
    a.transmit(frame_of(1, 60), Instant{});
    a.transmit(frame_of(2, 70), Instant{});
    b.transmit(frame_of(3, 80), Instant{});
    uint8_t buf[2000];
    EXPECT_EQ(b.receive(MutBytes{buf}, Instant{}), 60u);
    EXPECT_EQ(buf[0], 1);
    EXPECT_EQ(b.receive(MutBytes{buf}, Instant{}), 70u);
    EXPECT_EQ(buf[0], 2);
    EXPECT_FALSE(b.receive(MutBytes{buf}, Instant{}));
    EXPECT_EQ(a.receive(MutBytes{buf}, Instant{}), 80u);
    EXPECT_EQ(buf[0], 3);
}

TEST(MemoryLink, FullQueueDropsAndCounts) {
    auto [a, b] = MemoryLink::pair(2);
    for (int i = 0; i < 5; ++i) a.transmit(frame_of(static_cast<uint8_t>(i), 60), Instant{});
    EXPECT_EQ(a.dropped(), 3u);
    EXPECT_EQ(b.pending(), 2u);
}

TEST(MemoryLink, FrameLargerThanTheBufferIsDroppedNotTruncated) {
    auto [a, b] = MemoryLink::pair();
    a.transmit(frame_of(9, 3000), Instant{});
    a.transmit(frame_of(8, 100), Instant{});
    uint8_t buf[1514];
    EXPECT_EQ(b.receive(MutBytes{buf}, Instant{}), 100u);
    EXPECT_EQ(b.dropped(), 1u);
}

TEST(PcapTee, EveryFrameBothWaysIsWrittenWithItsTimestamp) {
    std::string path = temp_path("tee.pcap");
    auto [a, b] = MemoryLink::pair();
    {
        PcapTee tee(a, path, std::chrono::seconds{1'700'000'000});
        tee.transmit(frame_of(0xaa, 60), Instant::from_us(1'500'000));
        b.transmit(frame_of(0xbb, 64), Instant{});
        uint8_t buf[1514];
        EXPECT_EQ(tee.receive(MutBytes{buf}, Instant::from_us(2'250'001)), 64u);
        tee.flush();
        EXPECT_EQ(tee.frames_written(), 2u);
    }
    PcapReader reader(path);
    EXPECT_TRUE(reader.is_ethernet());
    auto f1 = reader.next();
    ASSERT_TRUE(f1);
    EXPECT_EQ(f1->timestamp.us(), 1'700'000'001'500'000);
    EXPECT_EQ(f1->data.size(), 60u);
    EXPECT_EQ(f1->data[0], 0xaa);
    auto f2 = reader.next();
    ASSERT_TRUE(f2);
    EXPECT_EQ(f2->timestamp.us(), 1'700'000'002'250'001);
    EXPECT_EQ(f2->data[0], 0xbb);
    EXPECT_FALSE(reader.next());
    std::filesystem::remove(path);
}

TEST(PcapTee, UnwritablePathThrowsWithThePath) {
    auto [a, b] = MemoryLink::pair();
    try {
        PcapTee tee(a, "/nonexistent-dir/x.pcap");
        FAIL() << "no exception";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.pcap"), std::string::npos);
    }
}

TEST(PcapReader, MissingFileThrows) { EXPECT_THROW(PcapReader("/nonexistent/file.pcap"), std::system_error); }

TEST(PcapReader, FileThatIsNotACaptureThrows) {
    std::string path = temp_path("not.pcap");
    std::ofstream(path) << "this is not a capture file\n";
    EXPECT_THROW(PcapReader{path}, std::system_error);
    std::filesystem::remove(path);
}

TEST(TapDev, OverlongNameIsRefusedClearly) {
    try {
        TapDev dev("a-name-much-too-long-for-linux");
        FAIL() << "no exception";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("1 to 15 characters"), std::string::npos);
    }
}

}  // namespace tapstack
