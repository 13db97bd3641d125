#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the seed corpus of tcp_pair_fuzz (tests/fuzz/corpus/tcp_pair_fuzz/): one input per
# conversation the target should start from — both close orders, a simultaneous close, an abort,
# a bulk transfer into a paused reader, and the same through loss, duplication, reordering and
# corruption. The input format is the one tests/fuzz/tcp_pair_fuzz.cc reads:
#   header: fault seed (4 bytes), drop, duplicate, reorder, corrupt (x/256, masked there),
#           timing (delay and jitter), fault direction, client options, server options
#   then steps of two bytes: (verb << 1 | side), argument   (side 0: client, 1: server)
#
#   tests/fuzz/make_pair_seeds.py tests/fuzz/corpus/tcp_pair_fuzz
#
# The corpus also holds inputs the fuzzer found, kept as regressions (not written here):
# regress-data-after-close and regress-close-wait-unread (connections left waiting for ever:
# commits "New data after the application closed is answered with RST" and "No connection left
# waiting for ever after a close"), heavy-faults-peer-times-out and slow-transfer-2k-buffers
# (the target's own bounds, once too tight).
import os
import sys

CLIENT, SERVER = 0, 1
WRITE, WRITE_KB, TOGGLE_READ, CLOSE, CLOSE_NOW, ABORT, RUN_MS, RUN_64MS = range(8)
ALL_OPTIONS_64K = 0xFF  # SACK, timestamps, window scale, Nagle, delayed ACK, FIN on data; 64 KB
ALL_OPTIONS_4K = 0x7F   # the same with 4 KB buffers
BARE_2K = 0x00          # no options, no Nagle, no delayed ACK, FIN alone; 2 KB buffers


def header(seed=1, drop=0, dup=0, reorder=0, corrupt=0, timing=0x01, direction=0,
           client=ALL_OPTIONS_64K, server=ALL_OPTIONS_64K):
    return bytes([(seed >> 24) & 0xFF, (seed >> 16) & 0xFF, (seed >> 8) & 0xFF, seed & 0xFF,
                  drop, dup, reorder, corrupt, timing, direction, client, server])


def step(verb, side, arg=0):
    return bytes([verb << 1 | side, arg])


def request_response(close_first):
    """A 322-byte request, a 2 KB response, then `close_first` closes and the other follows."""
    s = step(RUN_MS, CLIENT, 5) + step(WRITE, CLIENT, 8) + step(RUN_MS, CLIENT, 10)
    s += step(WRITE, SERVER, 55) + step(RUN_MS, CLIENT, 10)
    other = SERVER if close_first == CLIENT else CLIENT
    s += step(CLOSE, close_first) + step(RUN_MS, CLIENT, 30) + step(CLOSE, other) + step(RUN_64MS, CLIENT, 100)
    return s


SEEDS = {
    "server-first-close": header() + request_response(SERVER),
    "client-first-close": header() + request_response(CLIENT),
    "simultaneous-close": header(client=BARE_2K, server=BARE_2K)
    + step(WRITE, CLIENT, 20) + step(WRITE, SERVER, 20) + step(RUN_MS, CLIENT, 50)
    + step(CLOSE, CLIENT) + step(CLOSE, SERVER) + step(RUN_64MS, CLIENT, 100),
    "abort-mid-transfer": header(client=ALL_OPTIONS_4K, server=ALL_OPTIONS_4K)
    + step(WRITE_KB, SERVER, 40) + step(RUN_MS, CLIENT, 3) + step(ABORT, CLIENT, 0xFF) + step(RUN_64MS, CLIENT, 50),
    "paused-reader": header(client=ALL_OPTIONS_4K, server=ALL_OPTIONS_4K)
    + step(TOGGLE_READ, CLIENT) + step(WRITE_KB, SERVER, 32) + step(RUN_64MS, CLIENT, 40)
    + step(TOGGLE_READ, CLIENT) + step(RUN_MS, CLIENT, 200) + step(CLOSE, SERVER) + step(RUN_64MS, CLIENT, 20),
    "lossy-bulk-both-ways": header(seed=7, drop=26, timing=0x12)
    + step(WRITE_KB, SERVER, 60) + step(WRITE_KB, CLIENT, 20) + step(RUN_64MS, CLIENT, 200)
    + step(CLOSE, SERVER) + step(RUN_64MS, CLIENT, 200),
    "dup-reorder-corrupt": header(seed=42, drop=8, dup=20, reorder=25, corrupt=12, timing=0x43, client=ALL_OPTIONS_4K)
    + step(WRITE_KB, CLIENT, 16) + step(WRITE, SERVER, 200) + step(RUN_MS, CLIENT, 250)
    + step(CLOSE, CLIENT) + step(RUN_64MS, CLIENT, 255),
    "lossy-no-sack": header(seed=3, drop=40, direction=2, client=BARE_2K, server=BARE_2K)
    + step(WRITE_KB, SERVER, 24) + step(RUN_64MS, CLIENT, 255) + step(CLOSE_NOW, SERVER) + step(RUN_64MS, CLIENT, 255),
}


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: make_pair_seeds.py OUTDIR")
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
