// SPDX-License-Identifier: MIT
// `tapstack --simulate SCENARIO`: the article's conversation run entirely in this process — a
// scripted browser on a second tapstack instance talks to our HTTP server over an in-memory link,
// in virtual time, with ISNs from --seed. No TAP device, no root: it runs under gdb as it is.
#pragma once

#include <string_view>

#include "apps/tapstack/options.hh"

namespace tapstack {

// The scenarios --simulate knows, for --help and error messages.
inline constexpr std::string_view simulate_scenarios = "article, client-first, lost-segment";

// Runs the scenario named in o.simulate; returns the exit status (0: the conversation completed).
int run_simulate(const Options& o);

// A fixed, well-spread 32-bit number per seed (SplitMix64): deterministic ISNs for simulations.
uint32_t isn_from(uint64_t seed, uint64_t which);

}  // namespace tapstack
