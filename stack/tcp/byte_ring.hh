// SPDX-License-Identifier: MIT
// A fixed-capacity ring of bytes: the send buffer (unacknowledged + unsent data) and the receive
// buffer (in-order data not yet read, plus out-of-order data written ahead of it) of a TCP
// connection. Memory is allocated on first use, grows with use up to the capacity, and can be
// released (a connection in TIME-WAIT keeps no buffers), so idle and closing connections stay small.
// Released first blocks (4 KiB) wait in a small per-thread cache for the next ring to start with:
// under connection-per-request load every connection takes two and gives them back in TIME-WAIT,
// and malloc serves blocks that size through its bins, slowly and at the mercy of its fragments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "stack/base/bytes.hh"

namespace tapstack {

class ByteRing {
public:
    explicit ByteRing(size_t capacity = 0) : capacity_(capacity) {}

    size_t capacity() const { return capacity_; }
    size_t allocated() const { return allocated_; }  // bytes of memory it holds now
    size_t size() const { return size_; }            // readable bytes at the front
    size_t free_space() const { return capacity_ - size_; }
    bool empty() const { return size_ == 0; }

    // Appends as much of `data` as fits; returns the count.
    size_t push(Bytes data);
    // Copies bytes [offset, offset + out.size()) of the readable region into `out`.
    void peek(size_t offset, MutBytes out) const;
    // The same bytes as peek() without copying: one or two spans (two when they wrap around).
    std::pair<Bytes, Bytes> view(size_t offset, size_t len) const;
    // Drops n bytes from the front.
    void pop(size_t n);
    // Writes `data` at `offset` bytes past the front, beyond the readable region (out-of-order
    // data); offset + data.size() must be <= capacity(). The bytes become readable by commit().
    void write_at(size_t offset, Bytes data);
    // Makes n more bytes (already written with write_at) readable.
    void commit(size_t n);

    // Frees the memory when empty (it comes back on the next push).
    void release();

    // The first block every ring starts with, and the most of them the cache keeps (256 KiB).
    static constexpr size_t first_block = 4096;
    static constexpr size_t max_spare_blocks = 64;
    // Released first blocks waiting in this thread's cache.
    static size_t spare_blocks();

private:
    void reserve(size_t end);  // makes offsets [0, end) addressable
    size_t physical(size_t offset) const { return (head_ + offset) % allocated_; }

    std::unique_ptr<uint8_t[]> data_;
    size_t capacity_ = 0;   // the most it may hold
    size_t allocated_ = 0;  // what it holds memory for now (grows on demand up to capacity_)
    size_t head_ = 0;
    size_t size_ = 0;
};

}  // namespace tapstack
