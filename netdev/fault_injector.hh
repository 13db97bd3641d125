// SPDX-License-Identifier: MIT
// FaultInjector: a NetDev decorator that makes a bad link out of a good one — frames dropped,
// duplicated, held back so that later ones overtake them, corrupted (one bit flipped past the
// Ethernet header, so the IPv4/TCP checksums must catch it), or delayed with jitter — on the
// receive side, the send side, or both. All of it comes from one seeded generator, so a run is
// reproducible; time is the `now` the caller passes, so it works in virtual time too.
//
// Held frames wait in a bounded queue per direction; next_ready() tells the event loop when the
// next one is due. Frames are copied into the queue (an allocation per frame): this is a testing
// tool, not the fast path.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "stack/device.hh"

namespace tapstack {

struct FaultRates {
    double drop = 0, duplicate = 0, reorder = 0, corrupt = 0;  // probabilities, 0 to 1
    Duration delay{0};                                         // every frame waits this long...
    Duration jitter{0};  // ...plus or minus up to this (uniform); frames may overtake each other
    bool any() const { return drop > 0 || duplicate > 0 || reorder > 0 || corrupt > 0 || delay > Duration{0}; }
};

enum class FaultDirection : uint8_t { Rx, Tx, Both };

struct FaultConfig {
    FaultRates rates;
    FaultDirection direction = FaultDirection::Both;
    uint64_t seed = 1;
    // How long a reordered frame is held back (frames sent meanwhile overtake it).
    Duration reorder_hold = std::chrono::milliseconds{1};
    size_t queue_limit = 4096;  // frames waiting per direction; more are dropped and counted
};

struct FaultStats {
    uint64_t frames = 0, dropped = 0, duplicated = 0, reordered = 0, corrupted = 0, delayed = 0;
    uint64_t queue_full = 0;
};

// "drop 5%, duplicate 1%" and so on, for the exit summary.
std::string describe(const FaultStats&);

// Deterministic pseudo-random numbers (splitmix64): the same seed gives the same faults with any
// compiler and library, which std:: distributions do not promise.
class FaultRandom {
public:
    explicit FaultRandom(uint64_t seed) : state_(seed) {}
    uint64_t next();
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
    bool chance(double p) { return p > 0 && uniform() < p; }
    uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }

private:
    uint64_t state_;
};

class FaultInjector final : public NetDev {
public:
    FaultInjector(NetDev& inner, const FaultConfig&);

    std::optional<size_t> receive(MutBytes buffer, Instant now) override;
    void transmit(Bytes frame, Instant now) override;
    int wait_fd() const override { return inner_.wait_fd(); }
    size_t mtu() const override { return inner_.mtu(); }
    std::optional<Instant> next_ready() const override;

    const FaultStats& rx_stats() const { return rx_.stats; }
    const FaultStats& tx_stats() const { return tx_.stats; }

private:
    struct Held {
        Instant due;
        uint64_t order;  // ties keep their arrival order
        std::vector<uint8_t> frame;
        bool operator>(const Held& o) const { return due != o.due ? due > o.due : order > o.order; }
    };
    struct Path {
        bool active = false;
        FaultStats stats;
        std::priority_queue<Held, std::vector<Held>, std::greater<>> queue;
    };

    // Applies the faults to one frame going `path`'s way; what survives is queued.
    void admit(Path&, Bytes frame, Instant now);
    void enqueue(Path&, std::vector<uint8_t> frame, Instant due);
    void release_tx(Instant now);

    NetDev& inner_;
    FaultConfig config_;
    FaultRandom random_;
    Path rx_, tx_;
    uint64_t order_ = 0;
    std::vector<uint8_t> scratch_;  // one frame read from the inner device
};

}  // namespace tapstack
