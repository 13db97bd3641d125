// SPDX-License-Identifier: MIT
// `tapstack --replay FILE`: the recorded client's side of a TCP conversation, fed to our stack in
// virtual time at the recorded moments, and our answers set beside the recorded server's. Our
// stack gets the recorded server's address, port and MAC, and a scripted application that writes
// what the recorded server wrote once it has read what the recorded server had read, and closes
// when it closed; so every difference the report shows is TCP's. Sequence numbers: our ISN is
// our own (from --seed); the peer's ACK and SACK numbers are moved from the recorded server's
// ISN to ours, its TSecr to our latest TSval; both sides are then printed relative, as Wireshark
// does.
#pragma once

#include <cstdio>
#include <optional>
#include <string>

#include "apps/tapstack/options.hh"

namespace tapstack {

struct ReplaySetup {
    std::string path;
    std::optional<uint16_t> server_port;                        // which conversation (default: the first SYN's)
    uint64_t seed = 1;                                          // our ISN comes from it
    CongestionControl congestion = CongestionControl::NewReno;  // --congestion
};

// Prints the side-by-side and the verdict to `out`; returns 0 when our answers match the
// recorded server's (flags, relative seq and ack, lengths), 1 when they differ, 2 when the file
// holds no conversation to replay.
int replay(const ReplaySetup&, std::FILE* out);

int run_replay(const Options&);

}  // namespace tapstack
