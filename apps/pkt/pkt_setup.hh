// SPDX-License-Identifier: MIT
// What a script sets up before it runs: the stack's configuration (a Linux-like profile, since the
// scripts encode Linux's defaults), the timing tolerance, and what its option lines
// (`--tolerance_usecs=10000`) and shell lines (`` `sysctl -q net.ipv4.tcp_sack=0` ``) change.
// Shell lines are never executed: the sysctls that have a StackConfig field are applied, and any
// other line makes the script SKIP with the reason. Used by the runner (pkt_runner.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "apps/pkt/pkt_script.hh"
#include "stack/stack.hh"

namespace tapstack::pkt {

// Where packetdrill puts the two ends: our stack is "local", the scripted peer "remote".
inline const Ipv4Address local_address = Ipv4Address::from_octets(192, 168, 0, 1);
inline const Ipv4Address remote_address = Ipv4Address::from_octets(192, 0, 2, 1);
inline const Ipv4Address gateway_address = Ipv4Address::from_octets(192, 168, 0, 2);
inline constexpr uint16_t local_port = 8080;       // bind(..., ...) and connect(..., ...) use it
inline constexpr uint32_t local_iss = 0x8f1c2b00;  // our ISN; scripts see it as 0

struct ScriptSettings {
    StackConfig stack;
    int64_t tolerance_usecs = 4000;    // packetdrill's default --tolerance_usecs
    double tolerance_percent = 12.5;   // ... and --tolerance_percent, of the time since the last event
    int64_t ts_tick_usecs = 0;         // --tcp_ts_tick_usecs: 0, TS val is not checked
    bool segmentation_offload = true;  // the peer's device takes 64 KB segments (TSO), as tun does
};

// Linux's defaults where the scripts rely on them (gtests/net/tcp/common/defaults.sh): the
// receive buffer that gives window scale 8, 256 KB send buffer, timestamps, SACK, a fixed ISN.
ScriptSettings linux_profile();

// Each returns why the script cannot run as written (a SKIP reason), or nothing when applied.
std::optional<std::string> apply_option(const ScriptOption&, ScriptSettings&);
std::optional<std::string> apply_command(std::string_view text, ScriptSettings&);

}  // namespace tapstack::pkt
