// SPDX-License-Identifier: MIT
// MAC, IPv4 and CIDR text: what parses, what is refused (leading zeros, out of range, missing
// parts, trailing garbage), and how fmt prints them back.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string_view>

#include "stack/wire/address.hh"

namespace tapstack {
namespace {

// --- MacAddress ---------------------------------------------------------------------------

TEST(MacAddress, ColonFormParsesEveryOctet) {
    auto m = MacAddress::parse("02:1a:b3:04:fe:ff");
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, (MacAddress{{0x02, 0x1a, 0xb3, 0x04, 0xfe, 0xff}}));
}

TEST(MacAddress, UpperCaseHexParses) {
    auto m = MacAddress::parse("AA:BB:CC:DD:EE:0F");
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, (MacAddress{{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f}}));
}

TEST(MacAddress, MalformedTextIsRefused) {
    for (std::string_view bad :
         {"", "02:00:00:00:00", "02:00:00:00:00:01:02", "2:00:00:00:00:01", "002:00:00:00:00:01", "02-00-00-00-00-01",
          "02:00:00:00:00:0g", "02:00:00:00:00:01 ", " 02:00:00:00:00:01", "02:00:00:00:00:", ":02:00:00:00:00:01",
          "02::00:00:00:00:01", "+2:00:00:00:00:01", "02:00:00:00:00:1", "0200.0000.0001"}) {
        EXPECT_FALSE(MacAddress::parse(bad)) << "'" << bad << "'";
    }
}

TEST(MacAddress, FormatsAsLowerCaseZeroPaddedColonHex) {
    EXPECT_EQ(fmt::format("{}", MacAddress{{0x02, 0x0a, 0xb0, 0x00, 0xff, 0x01}}), "02:0a:b0:00:ff:01");
}

TEST(MacAddress, FormattedTextParsesBackToTheSameAddress) {
    MacAddress m{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
    EXPECT_EQ(MacAddress::parse(fmt::format("{}", m)), m);
}

TEST(MacAddress, BroadcastIsBroadcastAndMulticast) {
    EXPECT_TRUE(MacAddress::broadcast().is_broadcast());
    EXPECT_TRUE(MacAddress::broadcast().is_multicast());
    EXPECT_FALSE(MacAddress::broadcast().is_zero());
}

TEST(MacAddress, GroupBitMakesMulticastOnly) {
    MacAddress m{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
    EXPECT_TRUE(m.is_multicast());
    EXPECT_FALSE(m.is_broadcast());
    EXPECT_FALSE((MacAddress{{0x02, 0, 0, 0, 0, 1}}.is_multicast()));
}

TEST(MacAddress, DefaultIsZero) { EXPECT_TRUE(MacAddress{}.is_zero()); }

// --- Ipv4Address --------------------------------------------------------------------------

TEST(Ipv4Address, DottedQuadParsesToHostOrderValue) {
    auto a = Ipv4Address::parse("10.0.0.2");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->value, 0x0a000002u);
    EXPECT_EQ(*a, Ipv4Address::from_octets(10, 0, 0, 2));
}

TEST(Ipv4Address, ExtremesParse) {
    EXPECT_EQ(Ipv4Address::parse("0.0.0.0"), Ipv4Address{0});
    EXPECT_EQ(Ipv4Address::parse("255.255.255.255"), Ipv4Address{0xffffffffu});
    EXPECT_EQ(Ipv4Address::parse("192.168.100.199"), Ipv4Address::from_octets(192, 168, 100, 199));
}

TEST(Ipv4Address, LeadingZerosAreRefused) {
    for (std::string_view bad : {"010.0.0.2", "10.00.0.2", "10.0.0.02", "10.0.0.002", "00.0.0.0"}) {
        EXPECT_FALSE(Ipv4Address::parse(bad)) << "'" << bad << "'";
    }
}

TEST(Ipv4Address, OctetOutOfRangeIsRefused) {
    for (std::string_view bad : {"256.0.0.1", "10.0.0.256", "1.2.3.999", "1.2.3.1000", "4294967298.0.0.1"}) {
        EXPECT_FALSE(Ipv4Address::parse(bad)) << "'" << bad << "'";
    }
}

TEST(Ipv4Address, MissingPartsAreRefused) {
    for (std::string_view bad : {"", "10", "10.0.0", "10.0.0.", ".10.0.0.2", "10..0.2", "...", "10.0.0.2."}) {
        EXPECT_FALSE(Ipv4Address::parse(bad)) << "'" << bad << "'";
    }
}

TEST(Ipv4Address, TrailingOrLeadingGarbageIsRefused) {
    for (std::string_view bad : {"10.0.0.2 ", " 10.0.0.2", "10.0.0.2x", "10.0.0.2.1", "10.0.0.2/24", "1.2.3.-4",
                                 "+1.2.3.4", "a.b.c.d", "0x0a.0.0.2", "10.0.0.2\n"}) {
        EXPECT_FALSE(Ipv4Address::parse(bad)) << "'" << bad << "'";
    }
}

TEST(Ipv4Address, FormatsAsDottedQuad) {
    EXPECT_EQ(fmt::format("{}", Ipv4Address::from_octets(10, 0, 0, 2)), "10.0.0.2");
    EXPECT_EQ(fmt::format("{}", Ipv4Address{0xffffffffu}), "255.255.255.255");
    EXPECT_EQ(fmt::format("{}", Ipv4Address{}), "0.0.0.0");
}

TEST(Ipv4Address, ClassPredicatesFollowTheValue) {
    EXPECT_TRUE(Ipv4Address::from_octets(224, 0, 0, 1).is_multicast());
    EXPECT_TRUE(Ipv4Address::from_octets(239, 255, 255, 255).is_multicast());
    EXPECT_FALSE(Ipv4Address::from_octets(240, 0, 0, 1).is_multicast());
    EXPECT_TRUE(Ipv4Address{0xffffffffu}.is_broadcast());
    EXPECT_TRUE(Ipv4Address{}.is_zero());
}

// --- Ipv4Cidr -----------------------------------------------------------------------------

TEST(Ipv4Cidr, AddressWithPrefixParsesBoth) {
    auto c = Ipv4Cidr::parse("10.0.0.2/24");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->address, Ipv4Address::from_octets(10, 0, 0, 2));
    EXPECT_EQ(c->prefix_len, 24);
    EXPECT_EQ(c->netmask(), 0xffffff00u);
}

TEST(Ipv4Cidr, AddressWithoutPrefixDefaultsToSlash24) {
    auto c = Ipv4Cidr::parse("192.168.7.1");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->prefix_len, 24);
}

TEST(Ipv4Cidr, PrefixZeroAndThirtyTwoAreValid) {
    auto all = Ipv4Cidr::parse("0.0.0.0/0");
    ASSERT_TRUE(all);
    EXPECT_EQ(all->netmask(), 0u);
    EXPECT_TRUE(all->contains(Ipv4Address::from_octets(8, 8, 8, 8)));
    auto host = Ipv4Cidr::parse("10.1.2.3/32");
    ASSERT_TRUE(host);
    EXPECT_EQ(host->netmask(), 0xffffffffu);
    EXPECT_TRUE(host->contains(Ipv4Address::from_octets(10, 1, 2, 3)));
    EXPECT_FALSE(host->contains(Ipv4Address::from_octets(10, 1, 2, 4)));
}

TEST(Ipv4Cidr, MalformedTextIsRefused) {
    for (std::string_view bad :
         {"10.0.0.2/33", "10.0.0.2/", "10.0.0.2/abc", "10.0.0.2/24x", "10.0.0.2/-1", "10.0.0.2/24/8", "010.0.0.2/24",
          "10.0.0/24", "/24", "10.0.0.2/ 24", "10.0.0.2/1000"}) {
        EXPECT_FALSE(Ipv4Cidr::parse(bad)) << "'" << bad << "'";
    }
}

TEST(Ipv4Cidr, ContainsOnlyTheSubnet) {
    auto c = Ipv4Cidr::parse("10.0.0.2/24");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->contains(Ipv4Address::from_octets(10, 0, 0, 255)));
    EXPECT_TRUE(c->contains(Ipv4Address::from_octets(10, 0, 0, 0)));
    EXPECT_FALSE(c->contains(Ipv4Address::from_octets(10, 0, 1, 1)));
}

TEST(Ipv4Cidr, SubnetBroadcastSetsTheHostBits) {
    auto c = Ipv4Cidr::parse("172.16.5.9/20");
    ASSERT_TRUE(c);
    EXPECT_EQ(fmt::format("{}", c->subnet_broadcast()), "172.16.15.255");
}

}  // namespace
}  // namespace tapstack
