// SPDX-License-Identifier: MIT
// MemoryLink: two NetDev ends joined in memory — a frame transmitted on one end is received on the
// other, in order. For tests and simulations (two stacks talking in virtual time, no TAP, no
// root). Each direction holds at most `capacity` frames; more are dropped and counted, as a full
// device queue would. An end can also keep a copy of what it sent, for tests to inspect.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "netdev/net_dev.hh"

namespace tapstack {

struct MemoryLinkStats {
    uint64_t frames_sent = 0, frames_received = 0;
    uint64_t queue_full_dropped = 0;  // transmit() found the peer's queue holding `capacity` frames
    uint64_t oversized_dropped = 0;   // a queued frame was longer than the buffer given to receive()
};

class MemoryLink {
public:
    class End final : public NetDev {
    public:
        End(End&&) noexcept = default;  // a moved-from End is empty: do not use it
        End& operator=(End&&) noexcept = default;
        End(const End&) = delete;  // two handles on one end would split its counters
        End& operator=(const End&) = delete;

        std::optional<size_t> receive(MutBytes buffer, Instant now) override;
        void transmit(Bytes frame, Instant now) override;

        // Frames waiting to be received on this end.
        size_t pending() const { return inbox_->size(); }
        // Frames this end dropped, of either kind.
        uint64_t dropped() const { return stats_.queue_full_dropped + stats_.oversized_dropped; }
        const MemoryLinkStats& stats() const { return stats_; }

        // While on, every frame given to transmit() is also copied into sent(), delivered or not.
        void record_sent(bool on) { recording_ = on; }
        std::deque<std::vector<uint8_t>>& sent() { return sent_; }
        const std::deque<std::vector<uint8_t>>& sent() const { return sent_; }

    private:
        friend class MemoryLink;
        using Queue = std::deque<std::vector<uint8_t>>;
        End(std::shared_ptr<Queue> inbox, std::shared_ptr<Queue> outbox, size_t capacity)
            : inbox_(std::move(inbox)), outbox_(std::move(outbox)), capacity_(capacity) {}

        std::shared_ptr<Queue> inbox_, outbox_;  // shared with the other end, so either may go first
        size_t capacity_;
        MemoryLinkStats stats_;
        bool recording_ = false;
        Queue sent_;
    };

    // Two connected ends; each direction queues at most `capacity` frames.
    static std::pair<End, End> pair(size_t capacity = 4096);
};

}  // namespace tapstack
