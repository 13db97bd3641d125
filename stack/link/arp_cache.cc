// SPDX-License-Identifier: MIT
#include "stack/link/arp_cache.hh"

namespace tapstack {

std::optional<MacAddress> ArpCache::lookup(Ipv4Address ip, Instant now) const {
    auto it = entries_.find(ip.value);
    if (it == entries_.end() || !it->second.mac || it->second.expires <= now) return std::nullopt;
    return it->second.mac;
}

bool ArpCache::should_refresh(Ipv4Address ip, Instant now) {
    auto it = entries_.find(ip.value);
    if (it == entries_.end() || !it->second.mac) return false;
    Entry& e = it->second;
    // In the last quarter of its life, ask again (at most once per retry interval).
    if (e.expires - now > limits_.entry_lifetime / 4) return false;
    if (now - e.last_refresh < limits_.retry_interval) return false;
    e.last_refresh = now;
    return true;
}

std::vector<std::vector<uint8_t>> ArpCache::learn(Ipv4Address ip, MacAddress mac, Instant now) {
    // ASSIGNMENT arp: BEGIN
    auto it = entries_.find(ip.value);
    if (it == entries_.end()) {
        if (entries_.size() >= limits_.max_entries) {
            // Full: make room by dropping an expired or any resolved entry (never a pending one,
            // whose queued frames someone is waiting for).
            for (auto e = entries_.begin(); e != entries_.end(); ++e) {
                if (e->second.mac) {
                    entries_.erase(e);
                    break;
                }
            }
            if (entries_.size() >= limits_.max_entries) return {};
        }
        it = entries_.emplace(ip.value, Entry{}).first;
    }
    Entry& e = it->second;
    e.mac = mac;
    e.expires = now + limits_.entry_lifetime;
    e.requests = 0;
    std::vector<std::vector<uint8_t>> out(std::make_move_iterator(e.waiting.begin()),
                                          std::make_move_iterator(e.waiting.end()));
    e.waiting.clear();
    return out;
    // ASSIGNMENT arp: STUB
    // // Remember ip -> mac for entry_lifetime (within max_entries, never evicting an entry still
    // // waiting for its answer), and hand back the frames that were waiting for this address.
    // (void)ip;
    // (void)mac;
    // (void)now;
    // return {};
    // ASSIGNMENT arp: END
}

ArpCache::QueueResult ArpCache::enqueue(Ipv4Address ip, std::vector<uint8_t> frame, Instant now) {
    // ASSIGNMENT arp: BEGIN
    auto it = entries_.find(ip.value);
    if (it != entries_.end() && it->second.mac && it->second.expires <= now) {
        // Expired: resolve again, keeping the slot.
        it->second.mac.reset();
        it->second.requests = 0;
    }
    if (it == entries_.end()) {
        if (entries_.size() >= limits_.max_entries) {
            for (auto e = entries_.begin(); e != entries_.end(); ++e) {
                if (e->second.mac && e->second.expires <= now) {
                    entries_.erase(e);
                    break;
                }
            }
            if (entries_.size() >= limits_.max_entries) return QueueResult::CacheFull;
        }
        it = entries_.emplace(ip.value, Entry{}).first;
    }
    Entry& e = it->second;
    if (e.waiting.size() >= limits_.max_queued_per_entry) return QueueResult::QueueFull;
    e.waiting.push_back(std::move(frame));
    if (e.requests == 0) {
        e.requests = 1;
        e.expires = now + limits_.retry_interval;
        return QueueResult::SendRequest;
    }
    return QueueResult::Queued;
    // ASSIGNMENT arp: STUB
    // // Keep the frame until ip is resolved (at most max_queued_per_entry per address) and say
    // // whether to send an ARP request: for the first frame only, the retries are poll()'s.
    // (void)ip;
    // (void)frame;
    // (void)now;
    // return QueueResult::CacheFull;
    // ASSIGNMENT arp: END
}

ArpCache::Expired ArpCache::poll(Instant now) {
    // ASSIGNMENT arp: BEGIN
    Expired out;
    for (auto it = entries_.begin(); it != entries_.end();) {
        Entry& e = it->second;
        if (e.expires > now) {
            ++it;
            continue;
        }
        if (e.mac) {  // resolved entry reached its end of life
            it = entries_.erase(it);
        } else if (e.requests < limits_.max_requests) {
            ++e.requests;
            e.expires = now + limits_.retry_interval;
            out.retry.push_back(Ipv4Address{it->first});
            ++it;
        } else {  // no answer: give up on the waiting frames
            out.frames_dropped += e.waiting.size();
            out.unresolved.push_back(Ipv4Address{it->first});
            it = entries_.erase(it);
        }
    }
    return out;
    // ASSIGNMENT arp: STUB
    // // Once an entry's time is up: a resolved one is forgotten; a pending one asks again, every
    // // retry_interval, max_requests times in all, and then gives up on its frames (counted in
    // // out.frames_dropped, its address in out.unresolved).
    // (void)now;
    // return {};
    // ASSIGNMENT arp: END
}

std::optional<Instant> ArpCache::poll_at() const {
    std::optional<Instant> at;
    for (const auto& [ip, e] : entries_) at = earliest(at, e.expires);
    return at;
}

}  // namespace tapstack
