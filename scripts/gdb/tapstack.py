# gdb helpers for tapstack, in gdb's Python: pretty-printers for TcpConnection, SeqNum, TcpState,
# FourTuple and Ipv4Address, a `tcp-conn` command, and a breakpoint on every TCP state change.
#   make debug
#   gdb -x scripts/gdb/tapstack.py --args build/debug/tapstack --simulate article
#   (gdb) run
# Each state change prints the transition, why, and the connection's sequence variables relative
# to the ISNs (Wireshark's numbers), then continues; `tcp-stop on` makes it stay stopped there,
# `tcp-conn` (or `print *this`) shows the connection by hand. In a session already started:
# `source scripts/gdb/tapstack.py`.
#
# Everything here only reads the program's memory: no inferior calls (no `call`, no string
# literals handed to gdb's printf, nothing that makes gdb allocate in the program). An inferior
# call makes gdb save and write back the whole register state, and Debian's gdb 13.1 cannot
# write the AMX state of Intel Xeon CPUs ("Couldn't write extended state status: Bad address").
# The gdb test runs these helpers with `set may-call-functions off`, so a call would fail there
# on every machine.
import re

import gdb
import gdb.printing


def _field(value, name, default=None):
    """value[name], or default when the build has no such field (helpers outlive refactorings)."""
    try:
        return value[name]
    except gdb.error:
        return default


def _u32(value):
    return int(value) & 0xFFFFFFFF


def state_name(value):
    """TcpState as RFC 9293 writes it: SynReceived -> SYN-RECEIVED, FinWait1 -> FIN-WAIT-1."""
    text = str(value.format_string(raw=True)).split("::")[-1]
    if not re.fullmatch(r"[A-Za-z0-9]+", text):
        return text  # not one of the enumerators: show the number gdb printed
    return re.sub(r"(?<=[a-z])(?=[A-Z0-9])", "-", text).upper()


def ipv4(value):
    v = _u32(value["value"])
    return "%d.%d.%d.%d" % (v >> 24, (v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF)


def four_tuple(t):
    return "%s:%d <-> %s:%d" % (ipv4(t["local_ip"]), int(t["local_port"]),
                                ipv4(t["remote_ip"]), int(t["remote_port"]))


def microseconds(duration):
    """A std::chrono::microseconds, as an int (libstdc++ keeps the count in __r)."""
    return int(duration["__r"])


def string_view(value):
    """A std::string_view's characters, read from memory (no call into the program)."""
    length = int(value["_M_len"])
    if length == 0:
        return ""
    data = gdb.selected_inferior().read_memory(value["_M_str"], min(length, 256))
    return bytes(data).decode("utf-8", "replace")


def optional_value(opt):
    """A std::optional's value, or None."""
    payload = opt["_M_payload"]
    if not bool(payload["_M_engaged"]):
        return None
    return payload["_M_payload"]["_M_value"]


def variant_value(var):
    """The alternative a std::variant holds (libstdc++: _M_index, then _M_u._M_rest... _M_first)."""
    index = int(var["_M_index"])
    union = var["_M_u"]
    for _ in range(index):
        union = union["_M_rest"]
    return union["_M_first"]["_M_storage"]


def _algorithm_fields(conn):
    """Where the RTT estimator and the congestion window live: their own members since the
    seams (rtt_estimator.hh, congestion.hh), the connection itself before."""
    rtt = _field(conn, "rtt_", conn)
    congestion = _field(conn, "congestion_")
    controller = conn
    if congestion is not None:
        try:
            controller = variant_value(congestion["controller_"])
        except gdb.error:
            controller = conn
    return rtt, controller


def connection_lines(conn):
    """The connection, one item a line, in Wireshark's relative numbers."""
    iss = _u32(conn["iss_"]["raw"])
    irs = _u32(conn["irs_"]["raw"])
    snd = conn["snd_"]
    rcv = conn["rcv_"]

    def rel(seq, base):
        return _u32(_u32(seq["raw"]) - base)

    lines = [
        "%s  %s" % (state_name(conn["state_"]), four_tuple(conn["tuple_"])),
        "SND.UNA=%d SND.NXT=%d SND.WND=%d   RCV.NXT=%d   (relative to ISS/IRS; ISS=%d IRS=%d)"
        % (rel(snd["una"], iss), rel(snd["nxt"], iss), int(snd["wnd"]), rel(rcv["nxt"], irs), iss, irs),
    ]
    send_buffer = _field(conn, "send_buffer_")
    receive_buffer = _field(conn, "receive_buffer_")
    if send_buffer is not None and receive_buffer is not None:
        lines.append("queued to send=%d  readable=%d" % (int(send_buffer["size_"]), int(receive_buffer["size_"])))
    parts = []
    rtt, controller = _algorithm_fields(conn)
    rto = _field(rtt, "rto_")
    if rto is not None:
        parts.append("rto=%d us" % microseconds(rto))
    srtt = _field(rtt, "srtt_")
    if srtt is not None:
        s = optional_value(srtt)
        parts.append("srtt=%s" % ("%d us" % microseconds(s) if s is not None else "none"))
    for label, name in (("cwnd", "cwnd_"), ("ssthresh", "ssthresh_")):
        v = _field(controller, name)
        if v is not None:
            parts.append("%s=%d" % (label, int(v)))
    if parts:
        lines.append("  ".join(parts))
    options = [name for name, field in (("SACK", "sack_ok_"), ("timestamps", "ts_ok_"), ("window scaling", "ws_ok_"))
               if _field(conn, field) is not None and bool(conn[field])]
    lines.append("options: %s" % (", ".join(options) or "none"))
    return lines


def _printer(render):
    """A pretty-printer class whose to_string() is render(value)."""

    class Printer:
        def __init__(self, value):
            self.value = value

        def to_string(self):
            return render(self.value)

    return Printer


def build_printers():
    printers = gdb.printing.RegexpCollectionPrettyPrinter("tapstack")
    printers.add_printer("SeqNum", "^tapstack::SeqNum$", _printer(lambda v: str(_u32(v["raw"]))))
    printers.add_printer("TcpState", "^tapstack::TcpState$", _printer(state_name))
    printers.add_printer("FourTuple", "^tapstack::FourTuple$", _printer(four_tuple))
    printers.add_printer("Ipv4Address", "^tapstack::Ipv4Address$", _printer(ipv4))
    # `print *this` in a TcpConnection: the summary tcp-conn prints (`print/r` shows the fields).
    printers.add_printer("TcpConnection", "^tapstack::TcpConnection$",
                         _printer(lambda v: "{" + "; ".join(connection_lines(v)) + "}"))
    return printers


def _connection(arg):
    value = gdb.parse_and_eval(arg or "this")
    if value.type.strip_typedefs().code == gdb.TYPE_CODE_PTR:
        value = value.dereference()
    if value.type.strip_typedefs().tag != "tapstack::TcpConnection":
        raise gdb.GdbError("tcp-conn: %s is a %s, not a tapstack::TcpConnection" % (arg or "this", value.type))
    return value


class TcpConnCommand(gdb.Command):
    """Print a TcpConnection: state, addresses, SND/RCV variables relative to the ISNs,
buffered bytes, RTO, congestion window and the options both sides agreed on.
Usage: tcp-conn [EXPRESSION]   (default: this, inside a TcpConnection member function)"""

    def __init__(self):
        super().__init__("tcp-conn", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        for line in connection_lines(_connection(arg.strip())):
            gdb.write("  %s\n" % line)


class StateChangeBreakpoint(gdb.Breakpoint):
    """On TcpConnection::set_state, the one function every state change passes through: prints
    the change, the reason and the connection (its state_ still the old one), then goes on,
    unless `tcp-stop on` asked to stay."""

    stay = False

    def __init__(self):
        super().__init__("tapstack::TcpConnection::set_state", internal=False)

    def stop(self):
        frame = gdb.selected_frame()
        conn = frame.read_var("this").dereference()
        previous = conn["state_"]
        following = frame.read_var("next")
        if int(previous) == int(following):
            return False  # set_state returns at once: no change
        gdb.write("\n[tcp] %s -> %s   because: %s\n"
                  % (state_name(previous), state_name(following), string_view(frame.read_var("why"))))
        gdb.write("  %s\n" % four_tuple(conn["tuple_"]))
        for line in connection_lines(conn)[1:]:
            gdb.write("  %s\n" % line)
        return StateChangeBreakpoint.stay


class TcpStopCommand(gdb.Command):
    """tcp-stop on|off: whether the state-change breakpoint stays stopped (on) or prints and
goes on (off, the default)."""

    def __init__(self):
        super().__init__("tcp-stop", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        if arg.strip() not in ("on", "off"):
            raise gdb.GdbError("usage: tcp-stop on|off")
        StateChangeBreakpoint.stay = arg.strip() == "on"


gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.printing.register_pretty_printer(gdb.current_objfile(), build_printers(), replace=True)
TcpConnCommand()
TcpStopCommand()
StateChangeBreakpoint()
