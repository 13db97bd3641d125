// SPDX-License-Identifier: MIT
// NetDev's default transmit_offloaded(): the offload work done in software
// (stack/wire/tcp_offload.hh), then transmit() for each piece.
#include <algorithm>
#include <vector>

#include "stack/device.hh"

namespace tapstack {

void NetDev::transmit_offloaded(MutBytes frame, Instant now, TxOffload offload) {
    // One piece at a time in a buffer kept for the next frame: allocation-free in steady state.
    thread_local std::vector<uint8_t> piece;
    piece.resize(std::max(piece.size(), frame.size()));
    size_t pieces = offload_piece_count(frame, offload);
    for (size_t i = 0; i < pieces; ++i) transmit(build_offload_piece(frame, offload, i, piece), now);
}

}  // namespace tapstack
