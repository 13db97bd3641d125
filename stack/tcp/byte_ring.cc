// SPDX-License-Identifier: MIT
#include "stack/tcp/byte_ring.hh"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace tapstack {

void ByteRing::ensure_allocated() {
    if (!data_ && capacity_ > 0) data_ = std::make_unique<uint8_t[]>(capacity_);
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
    ensure_allocated();
    size_t start = physical(offset);
    size_t first = std::min(data.size(), capacity_ - start);
    std::memcpy(data_.get() + start, data.data(), first);
    if (first < data.size()) std::memcpy(data_.get(), data.data() + first, data.size() - first);
}

void ByteRing::peek(size_t offset, MutBytes out) const {
    assert(offset + out.size() <= size_);
    if (out.empty()) return;
    size_t start = physical(offset);
    size_t first = std::min(out.size(), capacity_ - start);
    std::memcpy(out.data(), data_.get() + start, first);
    if (first < out.size()) std::memcpy(out.data() + first, data_.get(), out.size() - first);
}

std::pair<Bytes, Bytes> ByteRing::view(size_t offset, size_t len) const {
    assert(offset + len <= size_);
    if (len == 0) return {};
    size_t start = physical(offset);
    size_t first = std::min(len, capacity_ - start);
    return {Bytes{data_.get() + start, first}, Bytes{data_.get(), len - first}};
}

void ByteRing::pop(size_t n) {
    assert(n <= size_);
    if (n == 0) return;
    head_ = (head_ + n) % capacity_;
    size_ -= n;
}

void ByteRing::commit(size_t n) {
    assert(size_ + n <= capacity_);
    size_ += n;
}

void ByteRing::release() {
    if (size_ == 0) {
        data_.reset();
        head_ = 0;
    }
}

}  // namespace tapstack
