// SPDX-License-Identifier: MIT
#include "stack/tcp/reassembler.hh"

namespace tapstack {

bool Reassembler::add(SeqNum left, SeqNum right) {
    // ASSIGNMENT reassembler: BEGIN
    if (!(left < right)) return true;
    // Find the first range that ends at or after `left` (ranges are sorted and disjoint).
    size_t i = 0;
    while (i < count_ && ranges_[i].right < left) ++i;
    // Merge every range that touches [left, right).
    size_t j = i;
    while (j < count_ && ranges_[j].left <= right) {
        left = seq_min(left, ranges_[j].left);
        right = seq_max(right, ranges_[j].right);
        ++j;
    }
    size_t merged = j - i;
    if (merged == 0) {
        if (count_ == max_ranges) return false;
        for (size_t k = count_; k > i; --k) ranges_[k] = ranges_[k - 1];
        ranges_[i] = {left, right};
        ++count_;
        return true;
    }
    ranges_[i] = {left, right};
    // Close the gap left by the ranges merged into ranges_[i].
    for (size_t k = i + 1; k + merged - 1 < count_; ++k) ranges_[k] = ranges_[k + merged - 1];
    count_ -= merged - 1;
    return true;
    // ASSIGNMENT reassembler: STUB
    // // Remember that [left, right) arrived: ranges_[0..count_) stay sorted and disjoint, and a range
    // // that touches or overlaps others is merged with them. False when it would need a range more
    // // than max_ranges.
    // (void)left;
    // (void)right;
    // return true;
    // ASSIGNMENT reassembler: END
}

uint32_t Reassembler::take_contiguous(SeqNum next) {
    // ASSIGNMENT reassembler: BEGIN
    uint32_t taken = 0;
    while (count_ > 0 && ranges_[0].left <= next) {
        if (next < ranges_[0].right) {
            taken += static_cast<uint32_t>(ranges_[0].right - next);
            next = ranges_[0].right;
        }
        for (size_t k = 1; k < count_; ++k) ranges_[k - 1] = ranges_[k];
        --count_;
    }
    return taken;
    // ASSIGNMENT reassembler: STUB
    // // How many bytes from `next` on have arrived without a gap; those ranges leave the list.
    // (void)next;
    // return 0;
    // ASSIGNMENT reassembler: END
}

void Reassembler::discard_below(SeqNum seq) {
    size_t gone = 0;
    while (gone < count_ && ranges_[gone].right <= seq) ++gone;
    for (size_t k = gone; k < count_; ++k) ranges_[k - gone] = ranges_[k];
    count_ -= gone;
    if (count_ > 0 && ranges_[0].left < seq) ranges_[0].left = seq;
}

uint32_t Reassembler::bytes() const {
    uint32_t n = 0;
    for (size_t i = 0; i < count_; ++i) n += static_cast<uint32_t>(ranges_[i].right - ranges_[i].left);
    return n;
}

}  // namespace tapstack
