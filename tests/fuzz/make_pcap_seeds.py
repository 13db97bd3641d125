#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the seed corpus of pcap_reader_fuzz (tests/fuzz/corpus/pcap_reader_fuzz/) from small
# captures of ours: the article capture (tests/data/article.pcap) and what
# `build/tapstack --simulate SCENARIO --pcap FILE` writes. Each capture becomes the variants
# PcapReader must read: pcap in both byte orders and with nanosecond stamps, pcapng, Linux cooked
# v1 and v2 (tcpdump -i any), raw IPv4, VLAN and QinQ tags, frames cut by a snaplen, and a file cut
# short in the middle of a record (all of them for the first capture named; pcap and pcapng for the
# others). Only the standard library; no editcap needed.
#
#   make build/tapstack
#   for s in article client-first lost-segment; do build/tapstack --simulate $s --pcap /tmp/sim-$s.pcap; done
#   tests/fuzz/make_pcap_seeds.py tests/fuzz/corpus/pcap_reader_fuzz tests/data/article.pcap /tmp/sim-*.pcap
import os
import struct
import sys

LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_LINUX_SLL2 = 1, 101, 113, 228, 276
MAX_SEED = 4096  # the fuzzer's -max_len: a longer seed would be cut


def read_pcap(path):
    """(link type, [(seconds, microseconds, frame, original length)]) of a microsecond pcap."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    endian = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">"}[magic]
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    records, at = [], 24
    while at + 16 <= len(data):
        sec, usec, caplen, length = struct.unpack(endian + "IIII", data[at:at + 16])
        records.append((sec, usec, data[at + 16:at + 16 + caplen], length))
        at += 16 + caplen
    return linktype, records


def pcap(records, linktype, endian="<", nanoseconds=False, snaplen=262144):
    magic = 0xA1B23C4D if nanoseconds else 0xA1B2C3D4
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for sec, usec, frame, length in records:
        frame = frame[:snaplen]
        fraction = usec * 1000 + 7 if nanoseconds else usec  # a nanosecond part that is not 0
        out += struct.pack(endian + "IIII", sec, fraction, len(frame), length) + frame
    return out


def pcapng_block(block_type, body, endian):
    body += b"\0" * (-len(body) % 4)
    total = 12 + len(body)
    return struct.pack(endian + "II", block_type, total) + body + struct.pack(endian + "I", total)


def pcapng(records, linktype, endian="<"):
    shb = struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1)
    # An interface with an if_name option (2) and if_tsresol (9: microseconds), then opt_endofopt.
    name = b"tap0"
    options = struct.pack(endian + "HH", 2, len(name)) + name + b"\0" * (-len(name) % 4)
    options += struct.pack(endian + "HHB3x", 9, 1, 6) + struct.pack(endian + "HH", 0, 0)
    idb = struct.pack(endian + "HHI", linktype, 0, 0) + options
    out = pcapng_block(0x0A0D0D0A, shb, endian) + pcapng_block(1, idb, endian)
    for sec, usec, frame, length in records:
        stamp = sec * 1_000_000 + usec
        epb = struct.pack(endian + "IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(frame), length) + frame
        out += pcapng_block(6, epb, endian)
    return out


def ethertype(frame):
    return struct.unpack(">H", frame[12:14])[0]


def to_sll(frame, outgoing):
    # Linux cooked v1: packet type, ARPHRD_ETHER, address length, source MAC padded to 8, protocol.
    head = struct.pack(">HHH", 4 if outgoing else 0, 1, 6) + frame[6:12] + b"\0\0" + frame[12:14]
    return head + frame[14:]


def to_sll2(frame, outgoing):
    # Linux cooked v2: protocol, reserved, interface index, ARPHRD_ETHER, packet type, address
    # length, source MAC padded to 8.
    head = frame[12:14] + b"\0\0" + struct.pack(">IHBB", 3, 1, 4 if outgoing else 0, 6) + frame[6:12] + b"\0\0"
    return head + frame[14:]


def with_tags(frame, tags):
    inserted = b"".join(struct.pack(">HH", tpid, vid) for tpid, vid in tags)
    return frame[:12] + inserted + frame[12:]


def map_frames(records, fn):
    out = []
    for i, (sec, usec, frame, length) in enumerate(records):
        mapped = fn(i, frame)
        if mapped is not None:
            out.append((sec, usec, mapped, length - len(frame) + len(mapped)))
    return out


def variants(name, linktype, records, every_format):
    """(file name, bytes) of the variants of one Ethernet capture: all of them, or (for the
    captures after the first, whose worth is their conversation, not their format) pcap and
    pcapng."""
    if linktype != LINKTYPE_ETHERNET:
        raise SystemExit(f"{name}: link type {linktype}, expected Ethernet")
    # Frames sent by the first frame's destination count as outgoing in the cooked headers.
    server_mac = records[0][2][0:6] if records else b""
    outgoing = lambda frame: frame[6:12] == server_mac
    ipv4_only = lambda i, f: f[14:] if ethertype(f) == 0x0800 else None
    yield name + ".pcap", pcap(records, linktype)
    yield name + ".pcapng", pcapng(records, linktype)
    if not every_format:
        return
    yield name + "-be.pcap", pcap(records, linktype, endian=">")
    yield name + "-ns.pcap", pcap(records, linktype, nanoseconds=True)
    yield name + "-be.pcapng", pcapng(records, linktype, endian=">")
    yield name + "-sll.pcap", pcap(map_frames(records, lambda i, f: to_sll(f, outgoing(f))), LINKTYPE_LINUX_SLL)
    yield name + "-sll2.pcap", pcap(map_frames(records, lambda i, f: to_sll2(f, outgoing(f))), LINKTYPE_LINUX_SLL2)
    yield name + "-raw.pcap", pcap(map_frames(records, ipv4_only), LINKTYPE_RAW)
    yield name + "-ipv4.pcap", pcap(map_frames(records, ipv4_only), LINKTYPE_IPV4)
    yield name + "-vlan.pcap", pcap(map_frames(records, lambda i, f: with_tags(f, [(0x8100, 10)])), linktype)
    yield name + "-qinq.pcap", pcap(map_frames(records, lambda i, f: with_tags(f, [(0x88A8, 100), (0x8100, 10)])), linktype)
    yield name + "-snaplen64.pcap", pcap(records, linktype, snaplen=64)
    whole = pcap(records, linktype)
    yield name + "-cut.pcap", whole[: len(whole) - 20]  # the last record's header, and half its frame


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__ or "usage: make_pcap_seeds.py OUTDIR CAPTURE...")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for n, path in enumerate(sys.argv[2:]):
        name = os.path.splitext(os.path.basename(path))[0]
        linktype, records = read_pcap(path)
        for file_name, data in variants(name, linktype, records, every_format=n == 0):
            if len(data) > MAX_SEED:
                raise SystemExit(f"{file_name}: {len(data)} bytes, more than the fuzzer's -max_len {MAX_SEED}")
            with open(os.path.join(outdir, file_name), "wb") as f:
                f.write(data)
            print(f"{file_name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
