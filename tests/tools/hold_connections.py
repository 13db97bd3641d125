#!/usr/bin/env python3
# hold_connections.py HOST PORT N HOLD_SECONDS READY_FILE: opens N TCP connections to HOST:PORT
# (non-blocking connects, so thousands take a second or two), writes "N" to READY_FILE once all
# are established, keeps them open and idle for HOLD_SECONDS, then closes them. Exit status 1 if
# fewer than N could be established. Used by scripts/bench.sh to measure server memory per
# idle connection.
import selectors
import socket
import sys
import time

host, port, want, hold, ready_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
sel = selectors.DefaultSelector()
socks, pending, established = [], 0, 0
deadline = time.monotonic() + 30
while (established < want or pending) and time.monotonic() < deadline:
    while pending < 256 and established + pending < want:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, port))
        sel.register(s, selectors.EVENT_WRITE)
        socks.append(s)
        pending += 1
    for key, _ in sel.select(timeout=1):
        sel.unregister(key.fileobj)
        pending -= 1
        if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            established += 1
    if established + pending >= want and not pending:
        break
with open(ready_file, "w") as f:
    f.write(f"{established}\n")
time.sleep(hold)
for s in socks:
    s.close()
sys.exit(0 if established >= want else 1)
