// SPDX-License-Identifier: MIT
// The command line: the fault flags, --congestion and --help (the rest is covered by
// tests/integration/cli_test.sh).
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
    for (const char* bad : {"20±", "±5", "x", "20+-5+-1", "-3"})
        EXPECT_TRUE(std::holds_alternative<ParseError>(parse({"--delay", bad}))) << bad;
}

TEST(Options, FaultDirection) {
    EXPECT_EQ(std::get<Options>(parse({"--faults", "rx"})).faults.direction, FaultDirection::Rx);
    EXPECT_EQ(std::get<Options>(parse({"--faults", "tx"})).faults.direction, FaultDirection::Tx);
    EXPECT_TRUE(std::holds_alternative<ParseError>(parse({"--faults", "sideways"})));
}

TEST(Options, CongestionControllerByName) {
    EXPECT_EQ(std::get<Options>(parse({})).congestion, CongestionControl::NewReno);
    auto r = parse({"--congestion", "newreno"});
    ASSERT_TRUE(std::holds_alternative<Options>(r));
    EXPECT_EQ(std::get<Options>(r).congestion, CongestionControl::NewReno);
    EXPECT_TRUE(std::holds_alternative<Options>(parse({"--congestion=newreno"})));
}

TEST(Options, UnknownCongestionControllerListsTheValidOnes) {
    auto r = parse({"--congestion", "cubic"});
    ASSERT_TRUE(std::holds_alternative<ParseError>(r));
    EXPECT_EQ(std::get<ParseError>(r).message,
              "--congestion: 'cubic' is not a congestion controller (one of: newreno)");
    auto missing = parse({"--congestion"});
    ASSERT_TRUE(std::holds_alternative<ParseError>(missing));
    EXPECT_EQ(std::get<ParseError>(missing).message, "--congestion: needs a value");
}

TEST(Options, HelpListsEveryOptionTheParserTakes) {
    std::string help = usage_text();
    for (const char* line :
         {"  --tap NAME              TAP device to attach to (created when run as root)     [tap0]\n",
          "  --mac XX:XX:XX:XX:XX:XX our MAC address ", "  --delay MS[±J]          delay every frame MS",
          "  --congestion NAME       congestion controller: newreno",
          "\n                          also printed at exit and when the process gets SIGUSR1   [0: off]\n",
          "  -h, --help              show this help and exit\n"})
        EXPECT_NE(help.find(line), std::string::npos) << line;
    EXPECT_TRUE(help.starts_with("Usage: tapstack [OPTIONS]\n"));
    EXPECT_TRUE(help.ends_with("Bad arguments: exit status 2.\n"));
}

TEST(Options, GetOnlyOptionsAreUnknownToTheServer) {
    auto r = parse({"-o", "x"});
    ASSERT_TRUE(std::holds_alternative<ParseError>(r));
    EXPECT_EQ(std::get<ParseError>(r).message, "unknown option '-o' (see --help)");
    EXPECT_TRUE(std::holds_alternative<ParseError>(parse({"--timeout", "5"})));
    auto get = parse({"get", "http://10.0.0.1/", "--output=page", "--timeout", "5"});
    ASSERT_TRUE(std::holds_alternative<Options>(get));
    EXPECT_EQ(std::get<Options>(get).output, "page");
    EXPECT_EQ(std::get<Options>(get).timeout_seconds, 5u);
}

TEST(Options, PktTakesScriptsItsOwnOptionsAndNothingElse) {
    auto r = parse({"pkt", "--tolerance_usecs=10000", "a.pkt", "-v", "b.pkt"});
    ASSERT_TRUE(std::holds_alternative<Options>(r));
    const Options& o = std::get<Options>(r);
    EXPECT_TRUE(o.pkt);
    EXPECT_EQ(o.pkt_files, (std::vector<std::string>{"a.pkt", "b.pkt"}));
    EXPECT_EQ(o.tolerance_usecs, 10000);
    EXPECT_TRUE(o.verbose);
    EXPECT_EQ(std::get<ParseError>(parse({"pkt", "--tap", "tap1", "a.pkt"})).message,
              "unknown option '--tap' (see --help)");
    EXPECT_EQ(std::get<ParseError>(parse({"pkt"})).message, "pkt: which scripts? (tapstack pkt FILE.pkt...)");
    EXPECT_EQ(std::get<ParseError>(parse({"pkt", "--tolerance_usecs=0", "a.pkt"})).message,
              "--tolerance_usecs: '0' is not a number of microseconds (1 to 60000000)");
    EXPECT_EQ(std::get<ParseError>(parse({"-v"})).message, "unknown option '-v' (see --help)");
    EXPECT_TRUE(std::get<Options>(parse({"pkt", "--help"})).help);
}

}  // namespace
}  // namespace tapstack
