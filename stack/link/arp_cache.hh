// SPDX-License-Identifier: MIT
// The ARP cache (RFC 826): IPv4 address -> MAC address, with expiry, a bounded number of entries,
// and for addresses being resolved, a bounded queue of frames waiting for the answer (the packet
// that caused the lookup is not lost: it leaves as soon as the reply arrives). Pure bookkeeping:
// the stack sends the requests and the queued frames.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "stack/base/time.hh"
#include "stack/wire/address.hh"

namespace tapstack {

class ArpCache {
public:
    struct Limits {
        size_t max_entries = 256;
        size_t max_queued_per_entry = 16;
        Duration entry_lifetime = std::chrono::seconds{60};
        Duration retry_interval = std::chrono::seconds{1};
        uint32_t max_requests = 3;
    };

    ArpCache() : ArpCache(Limits{}) {}
    explicit ArpCache(Limits limits) : limits_(limits) {}

    // The MAC for `ip` if resolved and not expired.
    std::optional<MacAddress> lookup(Ipv4Address ip, Instant now) const;
    // True (once per retry interval) when a resolved entry in use is close to its end of life:
    // the caller sends a request now so that traffic never stalls on an expired entry.
    bool should_refresh(Ipv4Address ip, Instant now);
    // Records (or refreshes) a mapping. Returns the frames that were waiting for it, with their
    // destination MAC still to be filled in by the caller.
    std::vector<std::vector<uint8_t>> learn(Ipv4Address ip, MacAddress mac, Instant now);
    // True if `ip` already has an entry (resolved or pending): RFC 826's "merge" rule.
    bool contains(Ipv4Address ip) const { return entries_.count(ip.value) != 0; }

    enum class QueueResult { SendRequest, Queued, QueueFull, CacheFull };
    // Queues a frame for an unresolved address. SendRequest: first frame, the caller sends an
    // ARP request now.
    QueueResult enqueue(Ipv4Address ip, std::vector<uint8_t> frame, Instant now);

    struct Expired {
        std::vector<Ipv4Address> retry;       // send another request for these
        std::vector<Ipv4Address> unresolved;  // gave up on these: no answer to any request
        size_t frames_dropped = 0;            // waited for addresses that never answered
    };
    // Expires old entries and pending lookups; says which requests to repeat.
    Expired poll(Instant now);
    std::optional<Instant> poll_at() const;

    size_t size() const { return entries_.size(); }

private:
    struct Entry {
        std::optional<MacAddress> mac;  // nullopt while resolving
        Instant expires;                // resolved: end of life; pending: next retry
        Instant last_refresh;           // when should_refresh() last said yes
        uint32_t requests = 0;
        std::deque<std::vector<uint8_t>> waiting;
    };
    Limits limits_;
    std::unordered_map<uint32_t, Entry> entries_;
};

}  // namespace tapstack
