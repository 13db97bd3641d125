// SPDX-License-Identifier: MIT
// MemoryLink: two NetDev ends joined in memory — a frame transmitted on one end is received on the
// other, in order. For tests and simulations (two stacks talking in virtual time, no TAP, no
// root). Each direction holds at most `capacity` frames; more are dropped and counted, as a full
// device queue would.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "netdev/net_dev.hh"

namespace tapstack {

class MemoryLink {
public:
    class End final : public NetDev {
    public:
        std::optional<size_t> receive(MutBytes buffer, Instant now) override;
        void transmit(Bytes frame, Instant now) override;
        size_t pending() const { return inbox_->size(); }
        uint64_t dropped() const { return dropped_; }

    private:
        friend class MemoryLink;
        End(std::shared_ptr<std::deque<std::vector<uint8_t>>> inbox, std::shared_ptr<std::deque<std::vector<uint8_t>>> outbox,
            size_t capacity)
            : inbox_(std::move(inbox)), outbox_(std::move(outbox)), capacity_(capacity) {}
        std::shared_ptr<std::deque<std::vector<uint8_t>>> inbox_, outbox_;
        size_t capacity_;
        uint64_t dropped_ = 0;
    };

    // Two connected ends.
    static std::pair<End, End> pair(size_t capacity = 4096);
};

}  // namespace tapstack
