// SPDX-License-Identifier: MIT
#include "stack/tcp/byte_ring.hh"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace tapstack {

void ByteRing::reserve(size_t end) {
    // Memory grows with use (doubling from 4 KiB) up to the capacity, so a connection that moves
    // a few hundred bytes holds a few KiB, not the whole window.
    assert(end <= capacity_);
    if (end <= allocated_) return;
    size_t grown = std::max<size_t>(allocated_ * 2, 4096);
    while (grown < end) grown *= 2;
    grown = std::min(grown, capacity_);
    auto bigger =
        std::make_unique_for_overwrite<uint8_t[]>(grown);  // not zeroed: every byte is written before it is read
    // Keep every byte at its offset from the front (readable ones and any written ahead).
    if (allocated_ > 0) {
        std::memcpy(bigger.get(), data_.get() + head_, allocated_ - head_);
        std::memcpy(bigger.get() + (allocated_ - head_), data_.get(), head_);
    }
    data_ = std::move(bigger);
    allocated_ = grown;
    head_ = 0;
}

size_t ByteRing::push(Bytes data) {
    size_t n = std::min(data.size(), free_space());
    if (n == 0) return 0;
    write_at(size_, data.first(n));
    size_ += n;
    return n;
}

void ByteRing::write_at(size_t offset, Bytes data) {
    assert(offset + data.size() <= capacity_);
    if (data.empty()) return;
    reserve(offset + data.size());
    size_t start = physical(offset);
    size_t first = std::min(data.size(), allocated_ - start);
    std::memcpy(data_.get() + start, data.data(), first);
    if (first < data.size()) std::memcpy(data_.get(), data.data() + first, data.size() - first);
}

void ByteRing::peek(size_t offset, MutBytes out) const {
    assert(offset + out.size() <= size_);
    if (out.empty()) return;
    size_t start = physical(offset);
    size_t first = std::min(out.size(), allocated_ - start);
    std::memcpy(out.data(), data_.get() + start, first);
    if (first < out.size()) std::memcpy(out.data() + first, data_.get(), out.size() - first);
}

std::pair<Bytes, Bytes> ByteRing::view(size_t offset, size_t len) const {
    assert(offset + len <= size_);
    if (len == 0) return {};
    size_t start = physical(offset);
    size_t first = std::min(len, allocated_ - start);
    return {Bytes{data_.get() + start, first}, Bytes{data_.get(), len - first}};
}

void ByteRing::pop(size_t n) {
    assert(n <= size_);
    if (n == 0) return;
    head_ = (head_ + n) % allocated_;
    size_ -= n;
}

void ByteRing::commit(size_t n) {
    assert(size_ + n <= capacity_);
    size_ += n;
}

void ByteRing::release() {
    if (size_ == 0) {
        data_.reset();
        allocated_ = 0;
        head_ = 0;
    }
}

}  // namespace tapstack
