// SPDX-License-Identifier: MIT
// The tapstack command line (contract in README.md and DESIGN.md): parsed into Options, or a
// one-line error for exit status 2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "netdev/fault_injector.hh"
#include "stack/base/log.hh"
#include "stack/tcp/congestion.hh"
#include "stack/wire/address.hh"

namespace tapstack {

struct Options {
    std::string tap = "tap0";
    Ipv4Cidr ip{Ipv4Address::from_octets(10, 0, 0, 2), 24};
    MacAddress mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
    std::optional<Ipv4Address> gateway;
    std::optional<std::string> http_root;
    uint16_t port = 80;
    std::optional<std::string> pcap = "tapstack.pcap";  // nullopt: --no-pcap
    bool pcap_given = false;                            // --pcap or --no-pcap was on the command line
    bool offload = false;                               // --offload: checksums and TSO left to the kernel
    std::optional<std::string> simulate;                // --simulate SCENARIO
    std::optional<std::string> replay;                  // --replay FILE
    bool port_given = false;                            // --port was on the command line
    uint32_t keep_alive_seconds = 0;
    bool trace = false;
    bool trace_json = false;
    log::Level log_level = log::Level::Info;
    bool log_level_given = false;  // --log-level was on the command line (pkt: else warn, or info with -v)
    uint32_t msl_seconds = 30;
    CongestionControl congestion = CongestionControl::NewReno;  // --congestion
    uint32_t stats_seconds = 0;  // --stats: print the counters this often (0: only at exit and on SIGUSR1)
    std::optional<uint64_t> seed;
    FaultConfig faults;  // --drop, --duplicate, --reorder, --corrupt, --delay, --faults
    // tapstack get URL: our stack as the HTTP client.
    bool get = false;
    std::optional<std::string> url;
    std::optional<std::string> output;  // -o FILE (default: standard output)
    uint32_t timeout_seconds = 10;
    // tapstack pkt FILE.pkt...: packetdrill scripts against our stack in virtual time.
    bool pkt = false;
    std::vector<std::string> pkt_files;
    std::optional<int64_t> tolerance_usecs;  // --tolerance_usecs (a script's own option line wins)
    bool verbose = false;                    // -v: every event and frame
    bool help = false;
    bool version = false;
};

struct ParseError {
    std::string message;
};

std::variant<Options, ParseError> parse_options(int argc, char** argv);
// The --help text, from the same table as the parser.
std::string usage_text();

}  // namespace tapstack
