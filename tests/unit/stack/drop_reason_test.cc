// SPDX-License-Identifier: MIT
// The one mapping from each wire parser's error to the drop counter it is counted under
// (stack/stats.hh): the counters the layers have always used, checked at compile time.
#include <gtest/gtest.h>

#include "stack/stats.hh"

namespace tapstack {
namespace {

static_assert(drop_reason(EthernetError::Truncated) == DropReason::EthernetTruncated);

// Anything that is not Ethernet/IPv4 ARP is one counter.
static_assert(drop_reason(ArpError::Truncated) == DropReason::ArpMalformed);
static_assert(drop_reason(ArpError::BadHardware) == DropReason::ArpMalformed);
static_assert(drop_reason(ArpError::BadProtocol) == DropReason::ArpMalformed);
static_assert(drop_reason(ArpError::BadOperation) == DropReason::ArpMalformed);

// IPv4 keeps one counter per reason.
static_assert(drop_reason(Ipv4Error::Truncated) == DropReason::Ipv4Truncated);
static_assert(drop_reason(Ipv4Error::BadVersion) == DropReason::Ipv4BadVersion);
static_assert(drop_reason(Ipv4Error::BadHeaderLength) == DropReason::Ipv4BadHeaderLength);
static_assert(drop_reason(Ipv4Error::BadTotalLength) == DropReason::Ipv4BadTotalLength);
static_assert(drop_reason(Ipv4Error::BadChecksum) == DropReason::Ipv4BadChecksum);

// ICMP and TCP: a bad checksum is told apart from everything else that is malformed.
static_assert(drop_reason(IcmpError::Truncated) == DropReason::IcmpMalformed);
static_assert(drop_reason(IcmpError::BadChecksum) == DropReason::IcmpBadChecksum);
static_assert(drop_reason(TcpError::Truncated) == DropReason::TcpMalformed);
static_assert(drop_reason(TcpError::BadDataOffset) == DropReason::TcpMalformed);
static_assert(drop_reason(TcpError::BadOption) == DropReason::TcpMalformed);
static_assert(drop_reason(TcpError::BadChecksum) == DropReason::TcpBadChecksum);

TEST(DropReason, EachParserErrorHasItsCounterName) {
    EXPECT_EQ(to_string(drop_reason(EthernetError::Truncated)), "ethernet_truncated");
    EXPECT_EQ(to_string(drop_reason(ArpError::BadOperation)), "arp_malformed");
    EXPECT_EQ(to_string(drop_reason(Ipv4Error::BadChecksum)), "ipv4_bad_checksum");
    EXPECT_EQ(to_string(drop_reason(IcmpError::Truncated)), "icmp_malformed");
    EXPECT_EQ(to_string(drop_reason(TcpError::BadOption)), "tcp_malformed");
    EXPECT_EQ(to_string(drop_reason(TcpError::BadChecksum)), "tcp_bad_checksum");
}

}  // namespace
}  // namespace tapstack
