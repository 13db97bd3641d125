// SPDX-License-Identifier: MIT
// Byte spans used everywhere: `Bytes` borrows read-only bytes, `MutBytes` writable ones.
// The stack never owns packet memory through these; whoever made the buffer owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace tapstack {

using Bytes = std::span<const uint8_t>;
using MutBytes = std::span<uint8_t>;

inline Bytes as_bytes(std::string_view s) { return Bytes{reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
inline std::string_view as_chars(Bytes b) {
    return std::string_view{reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace tapstack
