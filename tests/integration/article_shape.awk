# The article's conversation, checked on tshark's fields (used by article_test.sh and demo.sh).
# Input: tab-separated  tcp.stream  frame.number  ip.src  tcp.flags.str  tcp.seq  tcp.ack  tcp.len
# with relative sequence numbers and the flags string made ASCII (tshark's middle dots as '.').
# Variables: client, server (the two addresses); runs (how many conversations to expect).
# Prints one line per conversation and exits 0, or prints what differs and exits 1.
# L = request length, R = response length; the article's frame numbers are No6..No16.

# "........AP.." -> "PSH,ACK". The first seven positions (reserved, AE, CWR, ECE, URG) must be
# clear, or the flags show up raw and match nothing.
function flagname(s,   out) {
  if (length(s) != 12 || substr(s, 1, 7) != ".......") return "odd(" s ")"
  out = ""
  if (substr(s, 12, 1) == "F") out = out "FIN,"
  if (substr(s, 11, 1) == "S") out = out "SYN,"
  if (substr(s, 10, 1) == "R") out = out "RST,"
  if (substr(s, 9, 1) == "P") out = out "PSH,"
  if (substr(s, 8, 1) == "A") out = out "ACK,"
  return substr(out, 1, length(out) - 1)
}

function describe(no, c, f, seq, ack, len) {
  return sprintf("#%s %s [%s] seq=%s ack=%s len=%s", no, (c ? "client" : "server"), f, seq, ack, len)
}

function bad(what) {
  printf "stream %s: %s, expected %s (so far: %s)\n", k, describe(no, c, f, seq, ack, len), what, seen[k]
  failed = 1
  exit 1
}

{
  k = $1; no = $2; c = ($3 == client); f = flagname($4); seq = $5; ack = $6; len = $7
  if (!c && $3 != server) bad("only " client " and " server)
  if (!(k in n)) order[++streams] = k
  i = ++n[k]
  if (i == 1) { if (!(c && f == "SYN" && seq == 0 && len == 0)) bad("No6, the client's [SYN] seq=0") }
  else if (i == 2) { if (!(!c && f == "SYN,ACK" && seq == 0 && ack == 1 && len == 0)) bad("No7, the server's [SYN, ACK] seq=0 ack=1") }
  else if (i == 3) { if (!(c && f == "ACK" && seq == 1 && ack == 1 && len == 0)) bad("No8, the client's [ACK] seq=1 ack=1") }
  else if (i == 4) {
    if (!(c && f == "PSH,ACK" && seq == 1 && ack == 1 && len > 0)) bad("No9, the request: client [PSH, ACK] seq=1 ack=1 len>0")
    L[k] = len
  }
  else if (i == 5) { if (!(!c && f == "ACK" && seq == 1 && ack == 1 + L[k] && len == 0)) bad("No10, the server's [ACK] seq=1 ack=" 1 + L[k] " (1 + request length) with no data") }
  else if (i == 6) {
    # The FIN rides on the response when the server closes right after writing it (No11 and
    # No12 in one segment: docs/design.md, "Why the FIN rides on the last data segment").
    if (!(!c && (f == "PSH,ACK" || f == "FIN,PSH,ACK") && seq == 1 && ack == 1 + L[k] && len > 0)) bad("No11, the response: server [PSH, ACK] or [FIN, PSH, ACK] seq=1 ack=" 1 + L[k] " len>0")
    R[k] = len
    if (f == "FIN,PSH,ACK") { sfin[k] = 1; finonresp[k] = 1 }
  }
  # From here on the order between the two sides is timing; what each side sends is not:
  #   server: [FIN, ACK] seq=1+R ack=1+L in a segment of its own (No12), later its last [ACK] (No16)
  #   client: [ACK] ack=2+R (No13, the article's browser), then [FIN, ACK] ack=2+R (No14); Linux
  #           usually merges the two (it delays the ACK of a FIN, and curl closes within that
  #           delay), and may first acknowledge the response alone, ack=1+R, before our FIN
  #           reaches it (its quick ACK). Those are the client's choices and are accepted.
  else if (!c && !sfin[k]) {
    if (!(f == "FIN,ACK" && seq == 1 + R[k] && ack == 1 + L[k] && len == 0)) bad("No12, the server's [FIN, ACK] in a segment of its own, seq=" 1 + R[k] " (1 + response length) ack=" 1 + L[k])
    sfin[k] = 1
  }
  else if (c && f == "ACK" && seq == 1 + L[k] && ack == 1 + R[k] && len == 0 && !early[k] && !acked[k] && !cfin[k]) early[k] = 1
  else if (c && f == "ACK" && seq == 1 + L[k] && ack == 2 + R[k] && len == 0 && sfin[k] && !acked[k] && !cfin[k]) acked[k] = 1
  else if (c && f == "FIN,ACK" && seq == 1 + L[k] && ack == 2 + R[k] && len == 0 && sfin[k] && !cfin[k]) { cfin[k] = 1; merged[k] = !acked[k] }
  else if (!c && f == "ACK" && cfin[k] && !last[k] && seq == 2 + R[k] && ack == 2 + L[k] && len == 0) last[k] = 1
  else if (last[k]) bad("nothing: the conversation was over")
  else if (!c && cfin[k]) bad("No16, the server's last [ACK] seq=" 2 + R[k] " ack=" 2 + L[k])
  else if (!c) bad("no more from the server until the client's FIN")
  else if (index(f, "FIN") && ack != 2 + R[k]) bad("a client FIN that acknowledges the server's FIN (ack=" 2 + R[k] "); this one does not: the client closed before the server's FIN reached it (a simultaneous close, not the article's)")
  else bad("No13/No14, the client's [ACK] and/or [FIN, ACK] seq=" 1 + L[k] " ack=" 2 + R[k])
  seen[k] = seen[k] (i > 1 ? "; " : "") describe(no, c, f, seq, ack, len)
}

END {
  if (failed) exit 1
  if (streams != runs) { printf "expected %d TCP conversations, found %d\n", runs, streams; exit 1 }
  for (j = 1; j <= streams; j++) {
    k = order[j]
    if (!last[k]) { printf "stream %s stops after %d segments, before the server's last ACK (so far: %s)\n", k, n[k], seen[k]; exit 1 }
    printf "stream %s: %d segments, L=%d R=%d%s%s%s\n", k, n[k], L[k], R[k], \
      (finonresp[k] ? ", our FIN on the response" : ", our FIN separate"), \
      (merged[k] ? ", the client's FIN carries No13" : ", No13 separate"), \
      (early[k] ? ", the client acked the response before the FIN" : "")
  }
}
