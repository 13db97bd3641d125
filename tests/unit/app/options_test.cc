// SPDX-License-Identifier: MIT
// The command line: the fault flags (the rest is covered by tests/integration/cli_test.sh).
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "apps/tapstack/options.hh"

namespace tapstack {
namespace {

std::variant<Options, ParseError> parse(std::initializer_list<const char*> args) {
    std::vector<std::string> storage{"tapstack"};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : storage) argv.push_back(s.data());
    return parse_options(static_cast<int>(argv.size()), argv.data());
}

TEST(Options, FaultPercentagesWithOrWithoutPercentSign) {
    auto r = parse({"--drop", "5", "--duplicate=1.5%", "--reorder", "0", "--corrupt", "100%"});
    ASSERT_TRUE(std::holds_alternative<Options>(r));
    const FaultRates& f = std::get<Options>(r).faults.rates;
    EXPECT_DOUBLE_EQ(f.drop, 0.05);
    EXPECT_DOUBLE_EQ(f.duplicate, 0.015);
    EXPECT_DOUBLE_EQ(f.reorder, 0.0);
    EXPECT_DOUBLE_EQ(f.corrupt, 1.0);
    EXPECT_EQ(std::get<Options>(r).faults.direction, FaultDirection::Both);
}

TEST(Options, BadPercentagesAreRefusedWithTheValue) {
    for (const char* bad : {"-1", "101", "5%%", "five", "", "+5", "1e400"}) {
        auto r = parse({"--drop", bad});
        ASSERT_TRUE(std::holds_alternative<ParseError>(r)) << bad;
        EXPECT_NE(std::get<ParseError>(r).message.find("--drop"), std::string::npos);
    }
}

TEST(Options, DelayWithAndWithoutJitter) {
    auto a = parse({"--delay", "20"});
    ASSERT_TRUE(std::holds_alternative<Options>(a));
    EXPECT_EQ(std::get<Options>(a).faults.rates.delay, Duration{20000});
    EXPECT_EQ(std::get<Options>(a).faults.rates.jitter, Duration{0});
    for (const char* spelled : {"20±5", "20+-5"}) {
        auto b = parse({"--delay", spelled});
        ASSERT_TRUE(std::holds_alternative<Options>(b)) << spelled;
        EXPECT_EQ(std::get<Options>(b).faults.rates.jitter, Duration{5000});
    }
    for (const char* bad : {"20±", "±5", "x", "20+-5+-1", "-3"}) EXPECT_TRUE(std::holds_alternative<ParseError>(parse({"--delay", bad}))) << bad;
}

TEST(Options, FaultDirection) {
    EXPECT_EQ(std::get<Options>(parse({"--faults", "rx"})).faults.direction, FaultDirection::Rx);
    EXPECT_EQ(std::get<Options>(parse({"--faults", "tx"})).faults.direction, FaultDirection::Tx);
    EXPECT_TRUE(std::holds_alternative<ParseError>(parse({"--faults", "sideways"})));
}

}  // namespace
}  // namespace tapstack
