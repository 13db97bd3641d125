// SPDX-License-Identifier: MIT
#include "netdev/memory_link.hh"

#include <algorithm>
#include <cstring>

namespace tapstack {

std::pair<MemoryLink::End, MemoryLink::End> MemoryLink::pair(size_t capacity) {
    auto a_to_b = std::make_shared<std::deque<std::vector<uint8_t>>>();
    auto b_to_a = std::make_shared<std::deque<std::vector<uint8_t>>>();
    return {End{b_to_a, a_to_b, capacity}, End{a_to_b, b_to_a, capacity}};
}

std::optional<size_t> MemoryLink::End::receive(MutBytes buffer, Instant) {
    while (!inbox_->empty()) {
        std::vector<uint8_t> frame = std::move(inbox_->front());
        inbox_->pop_front();
        if (frame.size() > buffer.size()) {
            ++dropped_;  // too large for the reader: dropped whole, never truncated
            continue;
        }
        std::memcpy(buffer.data(), frame.data(), frame.size());
        return frame.size();
    }
    return std::nullopt;
}

void MemoryLink::End::transmit(Bytes frame, Instant) {
    if (outbox_->size() >= capacity_) {
        ++dropped_;
        return;
    }
    outbox_->emplace_back(frame.begin(), frame.end());
}

}  // namespace tapstack
