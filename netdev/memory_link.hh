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

#include "stack/device.hh"

namespace tapstack {

struct MemoryLinkStats {
    uint64_t frames_sent = 0, frames_received = 0;
    uint64_t queue_full_dropped = 0;  // transmit() found the peer's queue holding `capacity` frames
    uint64_t oversized_dropped = 0;   // a queued frame was longer than the buffer given to receive()
    uint64_t bundles = 0;             // frames handed to transmit_offloaded() to be cut into segments
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
        // With set_offloads(): counted, then cut up and checksummed in software (NetDev's
        // reference), so the peer receives what a device with TSO would put on the wire; or,
        // with `whole`, only checksummed and delivered as one large frame, the way the kernel
        // hands its GSO bundles to a TAP device with --offload.
        void transmit_offloaded(MutBytes frame, Instant now, TxOffload offload) override;
        Offloads offloads() const override { return offloads_; }
        // Pretend to be a device with these offloads (tests of the stack's offload path).
        void set_offloads(Offloads o, bool whole = false) {
            offloads_ = o;
            deliver_whole_ = whole;
        }

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
        Offloads offloads_;
        bool deliver_whole_ = false;
    };

    // Two connected ends; each direction queues at most `capacity` frames.
    static std::pair<End, End> pair(size_t capacity = 4096);
};

}  // namespace tapstack
