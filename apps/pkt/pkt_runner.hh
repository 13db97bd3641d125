// SPDX-License-Identifier: MIT
// The packetdrill runner behind `tapstack pkt`: runs one parsed script against a fresh Stack and
// its socket layer (stack/posix) in virtual time, with the script playing the peer. Inbound
// packets (`<`) are built and handed to the stack at their time; outbound ones (`>`) must be the
// next frames the stack sends, at their time within the tolerance; system calls go through
// Sockets (pkt_syscalls.hh), blocking ones while the packets after them arrive. No TAP, no root,
// no clock: the same script gives the same result every run. Design: docs/design.md, "tapstack pkt".
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "apps/pkt/pkt_script.hh"

namespace tapstack::pkt {

struct RunnerOptions {
    std::optional<int64_t> tolerance_usecs;  // --tolerance_usecs; a script's own option line wins
    // With it, each event as it runs and each frame in and out, one line each (-v).
    std::function<void(std::string_view)> verbose;
};

enum class Verdict : uint8_t { Pass, Fail, Skip };

struct RunResult {
    Verdict verdict = Verdict::Pass;
    int line = 0;         // the script line a FAIL is about (0: none)
    std::string message;  // FAIL: "expected ..., came ..."; SKIP: why
};

RunResult run_script(const Script&, const RunnerOptions&);
// Parses then runs; a syntax error is a FAIL at its line.
RunResult run_script_text(std::string_view text, std::string_view file_name, const RunnerOptions&);

// "PASS path", "FAIL path: line N: ...", "SKIP path: ..." (the line `tapstack pkt` prints).
std::string result_line(std::string_view path, const RunResult&);

}  // namespace tapstack::pkt
