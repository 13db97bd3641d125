// SPDX-License-Identifier: MIT
// `tapstack pkt FILE.pkt...`: each packetdrill script run by apps/pkt/pkt_runner.hh against a
// fresh stack in virtual time, one result line per script and a closing count.
#pragma once

#include "apps/tapstack/options.hh"

namespace tapstack {

// Runs o.pkt_files; returns the exit status: 0 when none failed, 1 when one did, 2 when a file
// cannot be read (then nothing runs).
int run_pkt(const Options& o);

}  // namespace tapstack
