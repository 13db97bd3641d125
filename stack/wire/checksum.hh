// SPDX-License-Identifier: MIT
// The Internet checksum (RFC 1071), in one place, with the TCP/UDP pseudo-header (RFC 9293 §3.1).
// Accumulate pieces with add(); finish() folds and complements. A packet whose stored checksum is
// included verifies when finish() returns 0.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "stack/base/bytes.hh"
#include "stack/wire/address.hh"

namespace tapstack {

class InternetChecksum {
public:
    // Adds bytes as if they followed everything added so far. Odd-length pieces are handled
    // by remembering the parity, so pieces may be split anywhere. The bulk is summed eight bytes
    // at a time in native byte order (RFC 1071 §2(B): the sum is the same whichever order the
    // bytes of a word are in, swapped at the end), which is what makes it cheap per frame.
    void add(Bytes data) {
        // ASSIGNMENT checksum: BEGIN
        size_t i = 0;
        if (odd_ && !data.empty()) {
            sum_ += data[0];
            i = 1;
            odd_ = false;
        }
        if (data.size() - i >= 8) {
            uint64_t acc = 0;
            for (; i + 8 <= data.size(); i += 8) {
                uint64_t w;
                std::memcpy(&w, data.data() + i, 8);
                acc += w;
                acc += (acc < w);  // end-around carry
            }
            acc = (acc & 0xffffffff) + (acc >> 32);
            acc = (acc & 0xffff) + (acc >> 16);
            acc = (acc & 0xffff) + (acc >> 16);
            acc = (acc & 0xffff) + (acc >> 16);
            uint16_t folded = static_cast<uint16_t>(acc);
            if constexpr (std::endian::native == std::endian::little)
                folded = static_cast<uint16_t>((folded << 8) | (folded >> 8));
            sum_ += folded;
        }
        for (; i + 1 < data.size(); i += 2) sum_ += (uint32_t{data[i]} << 8) | data[i + 1];
        if (i < data.size()) {
            sum_ += uint32_t{data[i]} << 8;
            odd_ = true;
        }
        // ASSIGNMENT checksum: STUB
        // // Add the bytes to sum_ as 16-bit words, the first byte of each the high one; remember
        // // in odd_ when a piece ends in the middle of a word.
        // (void)data;
        // ASSIGNMENT checksum: END
    }
    void add16(uint16_t v) { sum_ += v; }
    void add32(uint32_t v) { sum_ += (v >> 16) + (v & 0xffff); }

    // The checksum to store: the folded sum, complemented.
    uint16_t finish() const { return static_cast<uint16_t>(~folded() & 0xffff); }
    // The folded sum, not complemented: what goes in the checksum field of a segment whose
    // checksum the device completes (checksum offload starts from the pseudo-header's sum).
    uint16_t folded() const {
        // ASSIGNMENT checksum: BEGIN
        uint64_t s = sum_;
        while (s >> 16) s = (s & 0xffff) + (s >> 16);
        return static_cast<uint16_t>(s);
        // ASSIGNMENT checksum: STUB
        // // Fold the carries above 16 bits back in (end-around carry) until none is left.
        // return static_cast<uint16_t>(sum_);
        // ASSIGNMENT checksum: END
    }

private:
    uint64_t sum_ = 0;
    bool odd_ = false;
};

inline uint16_t internet_checksum(Bytes data) {
    InternetChecksum c;
    c.add(data);
    return c.finish();
}

// The IPv4 pseudo-header that TCP (and UDP) checksums cover.
struct PseudoHeader {
    Ipv4Address src;
    Ipv4Address dst;
    uint8_t protocol = 0;
    uint16_t length = 0;  // transport header + payload

    void add_to(InternetChecksum& c) const {
        c.add32(src.value);
        c.add32(dst.value);
        c.add16(protocol);
        c.add16(length);
    }
};

}  // namespace tapstack
