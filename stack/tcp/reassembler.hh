// SPDX-License-Identifier: MIT
// A bounded set of sequence-number ranges, merged and sorted, at most `max_ranges` of them.
// The receive side uses it for out-of-order bookkeeping: which ranges beyond RCV.NXT have been
// written into the receive ring (the bytes themselves live in the ring, ByteRing::write_at); a
// segment that would need one more range is dropped and the peer retransmits it. The send side
// uses a second one as its SACK scoreboard: the ranges above SND.UNA the peer has SACKed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "stack/wire/tcp.hh"

namespace tapstack {

class Reassembler {
public:
    static constexpr size_t max_ranges = 16;

    // Records [left, right). Returns false (nothing recorded) when it would exceed max_ranges.
    bool add(SeqNum left, SeqNum right);
    // With RCV.NXT at `next`: removes and returns how many bytes from `next` on are now
    // contiguous (0 if the first range doesn't start at or before `next`).
    uint32_t take_contiguous(SeqNum next);
    // Forgets everything below `seq` (a range that straddles it is cut there).
    void discard_below(SeqNum seq);
    void clear() { count_ = 0; }
    bool empty() const { return count_ == 0; }
    size_t count() const { return count_; }
    const SackBlock& range(size_t i) const { return ranges_[i]; }
    // Bytes held out of order.
    uint32_t bytes() const;

private:
    std::array<SackBlock, max_ranges> ranges_{};
    size_t count_ = 0;
};

}  // namespace tapstack
