// SPDX-License-Identifier: MIT
// The Internet checksum (RFC 1071) and the TCP pseudo-header: known vectors, odd lengths, and
// the same answer however the data is split into pieces.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "stack/wire/checksum.hh"
#include "tests/support/capture_frames.hh"

namespace tapstack {
namespace {

// RFC 1071 §3's worked example.
constexpr std::array<uint8_t, 8> rfc1071_example = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

// An IPv4 header (UDP, 192.168.0.1 -> 192.168.0.199) with its checksum 0xb861 in place.
constexpr std::array<uint8_t, 20> ipv4_header = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                                 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

std::vector<uint8_t> counting_bytes(size_t n) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(0x9d * i + 0x35);
    return v;
}

TEST(InternetChecksum, Rfc1071ExampleGives220d) { EXPECT_EQ(internet_checksum(rfc1071_example), 0x220d); }

TEST(InternetChecksum, Ipv4HeaderWithItsChecksumVerifiesToZero) { EXPECT_EQ(internet_checksum(ipv4_header), 0); }

TEST(InternetChecksum, Ipv4HeaderWithChecksumFieldZeroGivesTheStoredChecksum) {
    auto h = ipv4_header;
    h[10] = h[11] = 0;
    EXPECT_EQ(internet_checksum(h), 0xb861);
}

TEST(InternetChecksum, EmptyInputGivesFfff) { EXPECT_EQ(internet_checksum(Bytes{}), 0xffff); }

TEST(InternetChecksum, OddLengthCountsTheLastByteAsHighByteOfAWord) {
    const std::array<uint8_t, 3> odd = {0x12, 0x34, 0x56};
    const std::array<uint8_t, 4> padded = {0x12, 0x34, 0x56, 0x00};
    EXPECT_EQ(internet_checksum(odd), internet_checksum(padded));
    EXPECT_EQ(internet_checksum(odd), static_cast<uint16_t>(~(0x1234 + 0x5600)));
}

TEST(InternetChecksum, SingleByteIsItsHighByte) {
    const std::array<uint8_t, 1> one = {0xab};
    EXPECT_EQ(internet_checksum(one), static_cast<uint16_t>(~0xab00));
}

TEST(InternetChecksum, CarriesFoldBackOverManyWords) {
    std::vector<uint8_t> ones(100'001, 0xff);  // every word 0xffff, and an odd tail
    ones.back() = 0x00;
    // 0xffff is one's-complement zero: 50'000 of them and a 0x0000 word sum to 0xffff.
    EXPECT_EQ(internet_checksum(ones), 0x0000);
}

TEST(InternetChecksum, SplitAtEveryOffsetGivesTheSameResultAsOnePiece) {
    const auto data = counting_bytes(41);
    const uint16_t whole = internet_checksum(data);
    for (size_t cut = 0; cut <= data.size(); ++cut) {
        InternetChecksum c;
        c.add(Bytes{data}.first(cut));
        c.add(Bytes{data}.subspan(cut));
        EXPECT_EQ(c.finish(), whole) << "split at " << cut;
    }
}

TEST(InternetChecksum, ThreePiecesWithOddAndEmptyPiecesMatchOnePiece) {
    const auto data = counting_bytes(23);
    const uint16_t whole = internet_checksum(data);
    for (size_t a = 0; a <= data.size(); ++a) {
        for (size_t b = a; b <= data.size(); ++b) {
            InternetChecksum c;
            c.add(Bytes{data}.subspan(0, a));
            c.add(Bytes{data}.subspan(a, b - a));
            c.add(Bytes{});
            c.add(Bytes{data}.subspan(b));
            ASSERT_EQ(c.finish(), whole) << "pieces [0," << a << ") [" << a << "," << b << ") [" << b << ",end)";
        }
    }
}

TEST(InternetChecksum, ByteAtATimeMatchesOnePiece) {
    const auto data = counting_bytes(31);
    InternetChecksum c;
    for (uint8_t byte : data) c.add(Bytes{&byte, 1});
    EXPECT_EQ(c.finish(), internet_checksum(data));
}

// The plain definition, a 16-bit big-endian word at a time: what the fast path must equal.
uint16_t reference_checksum(Bytes data) {
    uint64_t sum = 0;
    for (size_t i = 0; i < data.size(); i += 2)
        sum += (uint32_t{data[i]} << 8) | (i + 1 < data.size() ? data[i + 1] : 0);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum & 0xffff);
}

TEST(InternetChecksum, EightByteFastPathMatchesTheDefinitionAtEveryLengthAndStart) {
    auto data = counting_bytes(300);
    for (size_t i = 0; i < data.size(); i += 7) data[i] = 0xff;  // carries in every lane
    for (size_t start = 0; start < 9; ++start) {
        for (size_t len = 0; start + len <= data.size(); ++len) {
            Bytes piece = Bytes{data}.subspan(start, len);
            ASSERT_EQ(internet_checksum(piece), reference_checksum(piece)) << "start " << start << " len " << len;
        }
    }
}

TEST(InternetChecksum, AllOnesInEveryLaneFoldCorrectly) {
    std::vector<uint8_t> ones(65'536, 0xff);
    EXPECT_EQ(internet_checksum(ones), reference_checksum(ones));
    ones[12'345] = 0xfe;
    EXPECT_EQ(internet_checksum(ones), reference_checksum(ones));
}

TEST(InternetChecksum, FoldedIsTheUncomplementedSum) {
    InternetChecksum c;
    c.add(rfc1071_example);
    EXPECT_EQ(c.folded(), static_cast<uint16_t>(~0x220d));
}

TEST(InternetChecksum, Add16AndAdd32MatchTheSameBytes) {
    InternetChecksum words;
    words.add16(0x0001);
    words.add32(0xf203f4f5);
    words.add16(0xf6f7);
    EXPECT_EQ(words.finish(), 0x220d);
}

TEST(PseudoHeader, CapturedSynVerifiesWithItsPseudoHeader) {
    Bytes tcp = capture::bytes(capture::linux_syn).subspan(capture::l4_at);
    InternetChecksum c;
    PseudoHeader{Ipv4Address::from_octets(192, 168, 1, 10), Ipv4Address::from_octets(93, 184, 216, 34), 6,
                 static_cast<uint16_t>(tcp.size())}
        .add_to(c);
    c.add(tcp);
    EXPECT_EQ(c.finish(), 0);
}

TEST(PseudoHeader, WrongDestinationAddressBreaksTheChecksum) {
    Bytes tcp = capture::bytes(capture::linux_syn).subspan(capture::l4_at);
    InternetChecksum c;
    PseudoHeader{Ipv4Address::from_octets(192, 168, 1, 10), Ipv4Address::from_octets(93, 184, 216, 35), 6,
                 static_cast<uint16_t>(tcp.size())}
        .add_to(c);
    c.add(tcp);
    EXPECT_NE(c.finish(), 0);
}

TEST(PseudoHeader, WrongLengthBreaksTheChecksum) {
    Bytes tcp = capture::bytes(capture::linux_syn).subspan(capture::l4_at);
    InternetChecksum c;
    PseudoHeader{Ipv4Address::from_octets(192, 168, 1, 10), Ipv4Address::from_octets(93, 184, 216, 34), 6,
                 static_cast<uint16_t>(tcp.size() + 1)}
        .add_to(c);
    c.add(tcp);
    EXPECT_NE(c.finish(), 0);
}

}  // namespace
}  // namespace tapstack
