#!/usr/bin/env python3
# Hostile traffic for tests/integration/hostile_test.sh, written onto the kernel side of tap0 with
# an AF_PACKET socket (inside the test's network namespace only): tapstack receives exactly the
# frames built here. Standard library only. Every loop is bounded by its count.
#
#   hostile.py synflood IFACE DST_MAC COUNT [SOURCES]
#                                                  SYNs to 10.0.0.2:80 from forged 10.0.0.x sources:
#                                                  random ones in .10-.250, or SOURCES addresses
#                                                  from .10 on, taken in turn
#   hostile.py junk IFACE DST_MAC COUNT SEED       malformed and random frames of every kind
#   hostile.py inject IFACE DST_MAC CLIENT_PORT [CLIENT_IP]
#                                                  blind RSTs and SYNs on a live connection's tuple
#                                                  (client 10.0.0.1 unless CLIENT_IP), sequence
#                                                  numbers spread over the whole space
#   hostile.py hold HOST PORT COUNT SECONDS        COUNT idle connections (kernel sockets), held
#                                                  SECONDS after "held N" is printed, then closed
#   hostile.py probe HOST PORT SECONDS             one connection (kernel socket, within SECONDS):
#                                                  prints what its handshake negotiated, from the
#                                                  kernel's TCP_INFO, then closes first (our FIN)
import random
import socket
import struct
import sys

OUR_IP = bytes([10, 0, 0, 2])
KERNEL_IP = bytes([10, 0, 0, 1])


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ident=0, flags_frag=0x4000):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags_frag, 64, proto, 0, src, dst)
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + payload


def tcp(src, dst, sport, dport, seq, ack, flags, window=65535, payload=b"", options=b""):
    offset = (20 + len(options)) // 4
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags, window, 0, 0) + options
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(header) + len(payload))
    csum = checksum(pseudo + header + payload)
    return header[:16] + struct.pack("!H", csum) + header[18:] + payload


def ethernet(dst_mac, src_mac, ethertype, payload):
    return dst_mac + src_mac + struct.pack("!H", ethertype) + payload


def open_iface(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((name, 0))
    return s


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def synflood(sock, dst_mac, count, sources=0):
    rng = random.Random(1)
    for i in range(count):
        src = bytes([10, 0, 0, 10 + i % sources if sources else rng.randint(10, 250)])
        src_mac = bytes([0x02, 0x66, 0, 0, 0, src[3]])
        mss = b"\x02\x04\x05\xb4"
        seg = tcp(src, OUR_IP, rng.randint(1024, 65535), 80, rng.getrandbits(32), 0, 0x02, options=mss)
        sock.send(ethernet(dst_mac, src_mac, 0x0800, ipv4(src, OUR_IP, 6, seg, ident=i & 0xFFFF)))


def junk(sock, dst_mac, count, seed):
    rng = random.Random(seed)
    src_mac = bytes([0x02, 0x66, 0, 0, 0, 1])
    for i in range(count):
        kind = i % 8
        if kind == 0:  # random bytes of random length
            frame = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 1514)))
        elif kind == 1:  # a valid TCP segment cut at a random byte
            seg = tcp(KERNEL_IP, OUR_IP, rng.randint(1, 65535), 80, rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(8))
            frame = ethernet(dst_mac, src_mac, 0x0800, ipv4(KERNEL_IP, OUR_IP, 6, seg))
            frame = frame[: rng.randint(0, len(frame))]
        elif kind == 2:  # IHL below 5, or past the end
            ip = bytearray(ipv4(KERNEL_IP, OUR_IP, 6, b"x" * 20))
            ip[0] = 0x40 | rng.choice([0, 1, 4, 15])
            frame = ethernet(dst_mac, src_mac, 0x0800, bytes(ip))
        elif kind == 3:  # TCP data offset < 5 or beyond the segment, random flags, bad checksums
            seg = bytearray(tcp(KERNEL_IP, OUR_IP, 5555, 80, rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(8)))
            seg[12] = rng.choice([0x00, 0x40, 0xF0])
            if rng.random() < 0.5:
                seg[16] ^= 0xFF
            frame = ethernet(dst_mac, src_mac, 0x0800, ipv4(KERNEL_IP, OUR_IP, 6, bytes(seg)))
        elif kind == 4:  # ARP with wrong sizes, or from broadcast and zero addresses
            arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, rng.choice([6, 0, 8]), rng.choice([4, 0, 16]), 1,
                              rng.choice([src_mac, b"\xff" * 6, b"\0" * 6]), rng.choice([bytes([10, 0, 0, 77]), b"\0" * 4, b"\xff" * 4]),
                              b"\0" * 6, OUR_IP)
            frame = ethernet(b"\xff" * 6, src_mac, 0x0806, arp)
        elif kind == 5:  # fragments: random offsets and overlaps
            frag = 0x2000 | rng.randint(0, 200) if rng.random() < 0.7 else rng.randint(0, 8191)
            frame = ethernet(dst_mac, src_mac, 0x0800,
                             ipv4(KERNEL_IP, OUR_IP, rng.choice([1, 6]), bytes(rng.getrandbits(8) for _ in range(rng.choice([8, 16, 24, 13]))),
                                  ident=rng.randint(0, 20), flags_frag=frag))
        elif kind == 6:  # sources that are never valid: multicast, broadcast, zero, ourselves
            src = rng.choice([bytes([224, 0, 0, 1]), b"\xff" * 4, b"\0" * 4, OUR_IP])
            seg = tcp(src, OUR_IP, 1234, 80, 1, 0, 0x02)
            frame = ethernet(dst_mac, src_mac, 0x0800, ipv4(src, OUR_IP, 6, seg))
        else:  # oversized, and ICMP of every type
            if rng.random() < 0.5:
                frame = ethernet(dst_mac, src_mac, 0x0800, ipv4(KERNEL_IP, OUR_IP, 6, b"z" * 1600))
            else:
                body = struct.pack("!BBHI", rng.randint(0, 255), rng.randint(0, 3), 0, 0) + b"p" * rng.randint(0, 64)
                body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
                frame = ethernet(dst_mac, src_mac, 0x0800, ipv4(KERNEL_IP, OUR_IP, 1, body))
        try:
            sock.send(frame)
        except OSError:
            pass  # a frame the kernel refuses to send (too short, too long) never reached us anyway


def inject(sock, dst_mac, client_port, client_ip=KERNEL_IP):
    # The blind attacker knows the tuple but not the sequence numbers: RSTs and SYNs at 4096
    # points spread over the 2^32 space, so some land in the receive window (they must earn a
    # challenge ACK at most, never a reset).
    src_mac = bytes([0x02, 0x66, 0, 0, 0, 1])
    for i in range(4096):
        seq = (i * 1048576 + 12345) & 0xFFFFFFFF
        for flags in (0x04, 0x02):  # RST, SYN
            seg = tcp(client_ip, OUR_IP, client_port, 80, seq, 0, flags)
            sock.send(ethernet(dst_mac, src_mac, 0x0800, ipv4(client_ip, OUR_IP, 6, seg)))


def hold(host, port, count, seconds):
    import selectors
    import time
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, port))
        socks.append(s)
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_WRITE)
    connected, deadline = 0, time.monotonic() + 30
    while connected < count and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            sel.unregister(key.fileobj)
            if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected += 1
    print("held", connected, flush=True)
    time.sleep(seconds)
    for s in socks:
        s.close()


def probe(host, port, seconds):
    # struct tcp_info (linux/tcp.h): u8 state, ca_state, retransmits, probes, backoff, options,
    # snd_wscale:4 | rcv_wscale:4, flags; then u32 rto, ato, snd_mss, rcv_mss. tcpi_options
    # has a bit for each option both SYNs carried: timestamps 1, SACK 2, window scale 4.
    s = socket.create_connection((host, port), timeout=seconds)
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    options, wscale = info[5], info[6]
    snd_mss = struct.unpack_from("=I", info, 16)[0]
    names = [name for bit, name in ((2, "sack"), (1, "ts"), (4, "wscale")) if options & bit]
    print("options", " ".join(names) or "none", "wscale=%d,%d" % (wscale & 0xF, wscale >> 4), "snd_mss=%d" % snd_mss, flush=True)
    s.close()


def main():
    if sys.argv[1] == "hold":
        hold(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
        return
    if sys.argv[1] == "probe":
        probe(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
        return
    cmd, iface, dst_mac = sys.argv[1], sys.argv[2], mac(sys.argv[3])
    sock = open_iface(iface)
    if cmd == "synflood":
        synflood(sock, dst_mac, int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 0)
    elif cmd == "junk":
        junk(sock, dst_mac, int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "inject":
        inject(sock, dst_mac, int(sys.argv[4]), socket.inet_aton(sys.argv[5]) if len(sys.argv) > 5 else KERNEL_IP)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
