# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counting HTTP requests to a local server from a packet capture (tcpdump on ``lo``).

Only TCP segments sent *to* the server's port whose payload starts with
``GET ``, ``PUT ``, ``HEAD``, ``POST`` or ``DELE`` pass the kernel filter, with
at most ``SNAPLEN`` bytes each: that is one segment per request (a client sends
a request line at the start of a write; body segments of random data do not
start with a method name), so the capture stays tiny and costs the server
nothing.  The request lines are read back from the pcap file here (no tshark):
``(source port, TCP sequence)`` pairs are de-duplicated against retransmits.
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import time

from classify import classify_line

SNAPLEN = 2048
_METHODS = {b"GET ": 0x47455420, b"PUT ": 0x50555420, b"HEAD": 0x48454144, b"POST": 0x504F5354,
            b"DELE": 0x44454C45}


def tcpdump_path() -> str:
    """The tcpdump binary, or ``''`` (it may live in /usr/sbin, outside a user's PATH)."""
    return shutil.which("tcpdump") or next(
        (p for p in ("/usr/sbin/tcpdump", "/usr/bin/tcpdump", "/sbin/tcpdump") if os.access(p, os.X_OK)), "")


def bpf_filter(port: int) -> str:
    payload = "tcp[((tcp[12:1] & 0xf0) >> 2):4]"
    methods = " or ".join(f"{payload} = 0x{v:08x}" for v in _METHODS.values())
    return f"tcp dst port {port} and ({methods})"


def read_request_lines(path: str) -> list[tuple[str, str]]:
    """``[(method, target)]`` of the HTTP requests in a pcap file (Ethernet or Linux SLL)."""
    out: list[tuple[str, str]] = []
    seen: set[tuple[int, int]] = set()
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return out
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    pos = 24
    while pos + 16 <= len(data):
        _sec, _frac, incl, _orig = struct.unpack(endian + "IIII", data[pos:pos + 16])
        pkt = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        if linktype == 1:  # Ethernet
            ethertype, off = struct.unpack("!H", pkt[12:14])[0], 14
        elif linktype == 113:  # Linux cooked
            ethertype, off = struct.unpack("!H", pkt[14:16])[0], 16
        elif linktype == 0:  # BSD loopback
            ethertype, off = 0x0800 if pkt[:4] in (b"\x02\x00\x00\x00", b"\x00\x00\x00\x02") else 0x86DD, 4
        else:
            continue
        if ethertype == 0x0800:
            ihl = (pkt[off] & 0x0F) * 4
            if pkt[off + 9] != 6:
                continue
            tcp = off + ihl
        elif ethertype == 0x86DD:
            if pkt[off + 6] != 6:
                continue
            tcp = off + 40
        else:
            continue
        sport, _dport, seq = struct.unpack("!HHI", pkt[tcp:tcp + 8])
        doff = (pkt[tcp + 12] >> 4) * 4
        payload = pkt[tcp + doff:]
        if (sport, seq) in seen:
            continue
        seen.add((sport, seq))
        line = payload.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split(" ")
        if len(parts) >= 3 and parts[-1].startswith("HTTP/"):
            out.append((parts[0], parts[1]))
    return out


class PacketCapture:
    """``open()`` starts tcpdump and waits until it listens; ``close()`` stops it
    and sets ``ops`` (S3 operation -> count) and ``note`` (drops, if any)."""

    def __init__(self, tcpdump: str, port: int, pcap_path: str) -> None:
        self.tcpdump = tcpdump
        self.port = port
        self.path = pcap_path
        self.proc: subprocess.Popen | None = None
        self.ops: dict[str, int] | None = None
        self.note = ""
        self.err_path = pcap_path + ".err"

    def open(self) -> None:
        for p in (self.path, self.err_path):
            if os.path.exists(p):
                os.unlink(p)
        err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([self.tcpdump, "-i", "lo", "-n", "-U", "--immediate-mode", "-s", str(SNAPLEN), "-B", "8192",
                                      "-w", self.path, bpf_filter(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
        err.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open(self.err_path, "rb") as f:
                if b"listening on" in f.read():
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        with open(self.err_path, "rb") as f:
            msg = f.read().decode("utf-8", "replace").strip()
        self.proc = None
        raise RuntimeError(f"tcpdump did not start: {msg}")

    def close(self) -> None:
        if self.proc is None:
            return
        time.sleep(0.2)  # let the last segments reach the capture
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        with open(self.err_path, "rb") as f:
            err = f.read().decode("utf-8", "replace")
        for line in err.splitlines():
            if "dropped by kernel" in line and not line.strip().startswith("0 "):
                self.note = line.strip()
        ops: dict[str, int] = {}
        for method, target in read_request_lines(self.path):
            op = classify_line(method, target)
            ops[op] = ops.get(op, 0) + 1
        self.ops = ops
