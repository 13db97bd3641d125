# gdb helpers for tapstack: stop at every TCP state change and show the connection.
#   gdb -x scripts/gdb/tapstack.gdb --args build/debug/tapstack --simulate article
#   (gdb) run
# Each state change prints the transition, why, and the connection's sequence variables relative
# to the ISNs (Wireshark's numbers), then continues. `tcp-conn` prints the connection by hand
# when stopped inside a TcpConnection member function (delete the breakpoint's `continue` to stay).
set pagination off
set confirm off
set print pretty off

define tcp-conn
  printf "  %s:%u <-> ", "local", $arg0->tuple_.local_port
  printf "remote port %u\n", $arg0->tuple_.remote_port
  printf "  SND.UNA=%u SND.NXT=%u SND.WND=%u   RCV.NXT=%u   (relative to ISS/IRS)\n", $arg0->snd_.una.raw - $arg0->iss_.raw, $arg0->snd_.nxt.raw - $arg0->iss_.raw, $arg0->snd_.wnd, $arg0->rcv_.nxt.raw - $arg0->irs_.raw
  printf "  queued to send=%lu  readable=%lu  rto=%ld us  cwnd=%u\n", $arg0->send_buffer_.size_, $arg0->receive_buffer_.size_, $arg0->rto_.__r, $arg0->cwnd_
end
document tcp-conn
Print a TcpConnection (give a pointer, e.g. tcp-conn this): ports, SND/RCV variables relative to
the ISNs, buffered bytes, RTO and congestion window.
end

# The breakpoint goes on the line `state_ = next;` inside set_state rather than on the function
# itself: there the arguments are in place (at the very first instruction gdb would show
# garbage) and state_ still holds the old state.
python
import gdb
_sal = gdb.decode_line("tapstack::TcpConnection::set_state")[1][0]
_path = _sal.symtab.fullname()
with open(_path) as _f:
    _line = next(n for n, text in enumerate(_f, 1) if "state_ = next;" in text and n >= _sal.line)
gdb.execute("break %s:%d" % (_path, _line))
end
commands
  silent
  printf "\n[tcp] "
  output this->state_
  printf " -> "
  output next
  printf "   because: "
  output why
  printf "\n"
  tcp-conn this
  continue
end
