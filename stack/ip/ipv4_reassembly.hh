// SPDX-License-Identifier: MIT
// IPv4 fragment reassembly (RFC 791 §3.2, with RFC 815's bookkeeping by ranges), bounded:
// at most `max_datagrams` in progress and `max_bytes` buffered in all, each finished within
// `timeout` (RFC 1122 §3.3.2 asks for 60 to 120 s; Linux uses 30 s) or dropped. Ambiguity is
// refused as RFC 5722 does for IPv6: a fragment that overlaps another with different bytes
// drops the whole datagram (an exact duplicate is ignored), so no attacker can choose which copy
// of a byte we believe. A new datagram when all slots are taken evicts the oldest (as Linux does).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "stack/base/bytes.hh"
#include "stack/base/time.hh"
#include "stack/stats.hh"
#include "stack/wire/ipv4.hh"

namespace tapstack {

class Ipv4Reassembly {
public:
    struct Limits {
        size_t max_datagrams = 16;
        size_t max_bytes = 512 * 1024;  // payload buffered over all datagrams in progress
        Duration timeout = std::chrono::seconds{30};
    };

    Ipv4Reassembly() = default;
    explicit Ipv4Reassembly(const Limits& limits) : limits_(limits) {}

    // Takes one fragment. Returns the whole datagram (a 20-byte header without options, then the
    // payload) when this fragment completed it; the bytes stay valid until the next call. A
    // fragment that is dropped, or drops its datagram, sets *dropped.
    std::optional<Bytes> add(const Ipv4View& fragment, Instant now, std::optional<DropReason>* dropped);
    // Drops the datagrams whose time ran out; returns how many.
    size_t expire(Instant now);
    std::optional<Instant> next_expiry() const;

    size_t in_progress() const { return datagrams_.size(); }
    size_t bytes_buffered() const { return bytes_; }

private:
    struct Range {
        size_t begin, end;  // payload offsets
    };
    struct Datagram {
        Ipv4Address src, dst;
        uint8_t protocol = 0;
        uint16_t ident = 0;
        Instant deadline;
        std::vector<uint8_t> payload;  // grows as fragments arrive, up to the last one's end
        std::vector<Range> ranges;     // received, sorted, merged
        std::optional<size_t> total;   // known once the last fragment (MF=0) came
    };

    void forget(size_t index);
    bool insert(Datagram& d, size_t begin, Bytes data, std::optional<DropReason>* dropped);
    size_t find_or_start(const Ipv4View& f, Instant now, std::optional<DropReason>* dropped);
    Bytes assemble(size_t index);

    Limits limits_;
    std::vector<Datagram> datagrams_;  // a handful: found by a linear search
    size_t bytes_ = 0;
    std::vector<uint8_t> whole_;  // the last completed datagram
};

}  // namespace tapstack
