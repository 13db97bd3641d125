// SPDX-License-Identifier: MIT
#include "netdev/fault_injector.hh"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace tapstack {

uint64_t FaultRandom::next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

std::string describe(const FaultStats& s) {
    return fmt::format("{} frames: {} dropped, {} duplicated, {} reordered, {} corrupted, {} delayed{}", s.frames,
                       s.dropped, s.duplicated, s.reordered, s.corrupted, s.delayed,
                       s.queue_full ? fmt::format(", {} lost to a full queue", s.queue_full) : std::string{});
}

FaultInjector::FaultInjector(NetDev& inner, const FaultConfig& config)
    : inner_(inner), config_(config), random_(config.seed), scratch_(max_frame_len) {
    rx_.active = config.direction != FaultDirection::Tx;
    tx_.active = config.direction != FaultDirection::Rx;
}

void FaultInjector::enqueue(Path& path, std::vector<uint8_t> frame, Instant due) {
    if (path.queue.size() >= config_.queue_limit) {
        ++path.stats.queue_full;
        return;
    }
    path.queue.push(Held{due, order_++, std::move(frame)});
}

void FaultInjector::admit(Path& path, Bytes frame, Instant now) {
    FaultStats& s = path.stats;
    ++s.frames;
    const FaultRates& r = config_.rates;
    // One decision per fault, always drawn in the same order, so a seed replays exactly.
    bool drop = random_.chance(r.drop);
    bool duplicate = random_.chance(r.duplicate);
    bool reorder = random_.chance(r.reorder);
    bool corrupt = random_.chance(r.corrupt);
    Instant due = now + r.delay;
    if (r.jitter > Duration{0}) {
        auto span = static_cast<uint64_t>(2 * r.jitter.count() + 1);
        due = due + Duration{static_cast<int64_t>(random_.below(span)) - r.jitter.count()};
        due = std::max(due, now);
    }
    if (due > now) ++s.delayed;
    if (drop) {
        ++s.dropped;
        return;
    }
    std::vector<uint8_t> copy(frame.begin(), frame.end());
    if (corrupt && copy.size() > 14) {
        // Past the Ethernet header, whose errors a real NIC's FCS would catch before us.
        size_t at = 14 + random_.below(copy.size() - 14);
        copy[at] = static_cast<uint8_t>(copy[at] ^ (1u << random_.below(8)));
        ++s.corrupted;
    }
    if (duplicate) {
        ++s.duplicated;
        enqueue(path, copy, due);
    }
    if (reorder) {
        ++s.reordered;
        due = due + config_.reorder_hold;  // what comes next overtakes it
    }
    enqueue(path, std::move(copy), due);
}

void FaultInjector::release_tx(Instant now) {
    while (!tx_.queue.empty() && tx_.queue.top().due <= now) {
        // priority_queue::top() is const: the frame is sent from there, then popped.
        inner_.transmit(Bytes{tx_.queue.top().frame}, now);
        tx_.queue.pop();
    }
}

std::optional<size_t> FaultInjector::receive(MutBytes buffer, Instant now) {
    release_tx(now);  // the stack polls the device often: delayed sends go out from here
    if (!rx_.active) return inner_.receive(buffer, now);
    // Take everything the device has (each frame gets its fate now), then hand out what is due.
    while (auto n = inner_.receive(MutBytes{scratch_}, now)) admit(rx_, Bytes{scratch_.data(), *n}, now);
    if (rx_.queue.empty() || rx_.queue.top().due > now) return std::nullopt;
    const std::vector<uint8_t>& frame = rx_.queue.top().frame;
    size_t len = frame.size();
    bool fits = len <= buffer.size();
    if (fits) std::memcpy(buffer.data(), frame.data(), len);
    rx_.queue.pop();
    if (!fits) return receive(buffer, now);  // as the devices do: dropped, try the next one
    return len;
}

void FaultInjector::transmit(Bytes frame, Instant now) {
    if (!tx_.active) return inner_.transmit(frame, now);
    admit(tx_, frame, now);
    release_tx(now);
}

std::optional<Instant> FaultInjector::next_ready() const {
    std::optional<Instant> at = inner_.next_ready();
    if (!rx_.queue.empty()) at = earliest(at, rx_.queue.top().due);
    if (!tx_.queue.empty()) at = earliest(at, tx_.queue.top().due);
    return at;
}

}  // namespace tapstack
