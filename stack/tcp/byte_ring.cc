// SPDX-License-Identifier: MIT
#include "stack/tcp/byte_ring.hh"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

namespace tapstack {
namespace {

using Block = std::unique_ptr<uint8_t[]>;

// Released first blocks (ByteRing::first_block bytes each), newest last. Per thread: the stack
// is single-threaded, and two stacks in two threads must not share it.
std::vector<Block>& spare() {
    thread_local std::vector<Block> blocks;
    return blocks;
}

// Not zeroed: every byte is written before it is read.
Block take_block(size_t size) {
    if (size != ByteRing::first_block || spare().empty()) return std::make_unique_for_overwrite<uint8_t[]>(size);
    Block b = std::move(spare().back());
    spare().pop_back();
    ASAN_UNPOISON_MEMORY_REGION(b.get(), size);
    return b;
}

void give_back(Block b, size_t size) {
    if (b && size == ByteRing::first_block && spare().size() < ByteRing::max_spare_blocks) {
        // Under AddressSanitizer a cached block is poisoned: a use after release is still caught.
        ASAN_POISON_MEMORY_REGION(b.get(), size);
        spare().push_back(std::move(b));
    }
}

}  // namespace

size_t ByteRing::spare_blocks() { return spare().size(); }

void ByteRing::reserve(size_t end) {
    // Memory grows with use (doubling from 4 KiB) up to the capacity, so a connection that moves
    // a few hundred bytes holds a few KiB, not the whole window.
    assert(end <= capacity_);
    if (end <= allocated_) return;
    size_t grown = std::max<size_t>(allocated_ * 2, first_block);
    while (grown < end) grown *= 2;
    grown = std::min(grown, capacity_);
    Block bigger = take_block(grown);
    // Keep every byte at its offset from the front (readable ones and any written ahead).
    if (allocated_ > 0) {
        std::memcpy(bigger.get(), data_.get() + head_, allocated_ - head_);
        std::memcpy(bigger.get() + (allocated_ - head_), data_.get(), head_);
    }
    give_back(std::exchange(data_, std::move(bigger)), allocated_);
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
        give_back(std::move(data_), allocated_);
        allocated_ = 0;
        head_ = 0;
    }
}

}  // namespace tapstack
