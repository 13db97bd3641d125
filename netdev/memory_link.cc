// SPDX-License-Identifier: MIT
// MemoryLink's implementation: two shared deques, one per direction; each end receives from one
// and transmits into the other.
#include "netdev/memory_link.hh"

#include <algorithm>

namespace tapstack {

std::pair<MemoryLink::End, MemoryLink::End> MemoryLink::pair(size_t capacity) {
    auto a_to_b = std::make_shared<End::Queue>();
    auto b_to_a = std::make_shared<End::Queue>();
    return {End{b_to_a, a_to_b, capacity}, End{a_to_b, b_to_a, capacity}};
}

std::optional<size_t> MemoryLink::End::receive(MutBytes buffer, Instant) {
    while (!inbox_->empty()) {
        std::vector<uint8_t> frame = std::move(inbox_->front());
        inbox_->pop_front();
        if (frame.size() > buffer.size()) {
            ++stats_.oversized_dropped;  // dropped whole, never truncated, as TapDev does
            continue;
        }
        std::copy(frame.begin(), frame.end(), buffer.begin());
        ++stats_.frames_received;
        return frame.size();
    }
    return std::nullopt;
}

void MemoryLink::End::transmit(Bytes frame, Instant) {
    if (recording_) sent_.emplace_back(frame.begin(), frame.end());
    if (outbox_->size() >= capacity_) {
        ++stats_.queue_full_dropped;
        return;
    }
    outbox_->emplace_back(frame.begin(), frame.end());
    ++stats_.frames_sent;
}

void MemoryLink::End::transmit_offloaded(MutBytes frame, Instant now, TxOffload offload) {
    if (offload_piece_count(frame, offload) > 1) ++stats_.bundles;
    if (deliver_whole_) offload.segment_payload = 0;  // one piece: the checksum completed, nothing cut
    NetDev::transmit_offloaded(frame, now, offload);
}

}  // namespace tapstack
