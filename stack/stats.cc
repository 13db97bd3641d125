// SPDX-License-Identifier: MIT
// StackStats::drop(): every layer (Ethernet, ARP, IPv4, ICMP, TCP demux) counts what it ignores
// here. Out of line on purpose: `break tapstack::StackStats::drop` stops at every drop, and the
// backtrace says which layer dropped what. Nothing else about the counters lives here.
#include "stack/stats.hh"

#include "stack/base/log.hh"

namespace tapstack {

void StackStats::drop(DropReason r) {
    ++dropped[static_cast<size_t>(r)];
    TS_LOG(Trace, "drop: {}", to_string(r));
}

}  // namespace tapstack
