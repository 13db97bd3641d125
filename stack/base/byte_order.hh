// SPDX-License-Identifier: MIT
// Network byte order, in one place. Built from shifts: endian- and alignment-safe, UBSan-clean.
// Callers pass a span and an offset; the caller has already checked the length (wire views do).
#pragma once

#include <cassert>
#include <cstdint>

#include "stack/base/bytes.hh"

namespace tapstack {

// ASSIGNMENT checksum: BEGIN
constexpr uint16_t load_be16(Bytes b, size_t at) {
    assert(at + 2 <= b.size());
    return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}
constexpr uint32_t load_be32(Bytes b, size_t at) {
    assert(at + 4 <= b.size());
    return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) | uint32_t{b[at + 3]};
}
constexpr void store_be16(MutBytes b, size_t at, uint16_t v) {
    assert(at + 2 <= b.size());
    b[at] = static_cast<uint8_t>(v >> 8);
    b[at + 1] = static_cast<uint8_t>(v);
}
constexpr void store_be32(MutBytes b, size_t at, uint32_t v) {
    assert(at + 4 <= b.size());
    b[at] = static_cast<uint8_t>(v >> 24);
    b[at + 1] = static_cast<uint8_t>(v >> 16);
    b[at + 2] = static_cast<uint8_t>(v >> 8);
    b[at + 3] = static_cast<uint8_t>(v);
}
// ASSIGNMENT checksum: STUB
// // Read and write 16- and 32-bit numbers in network byte order: the most significant byte first.
// constexpr uint16_t load_be16(Bytes b, size_t at) {
//     assert(at + 2 <= b.size());
//     (void)b;
//     (void)at;
//     return 0;
// }
// constexpr uint32_t load_be32(Bytes b, size_t at) {
//     assert(at + 4 <= b.size());
//     (void)b;
//     (void)at;
//     return 0;
// }
// constexpr void store_be16(MutBytes b, size_t at, uint16_t v) {
//     assert(at + 2 <= b.size());
//     (void)v;
//     b[at] = b[at + 1] = 0;
// }
// constexpr void store_be32(MutBytes b, size_t at, uint32_t v) {
//     assert(at + 4 <= b.size());
//     (void)v;
//     b[at] = b[at + 1] = b[at + 2] = b[at + 3] = 0;
// }
// ASSIGNMENT checksum: END

}  // namespace tapstack
