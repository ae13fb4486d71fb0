# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3 servers of the benchmark, and request counting from outside the data path.

* moto: ``moto_server`` on a free port of 127.0.0.1; werkzeug writes one line per
  request to stderr (``"PUT /bucket/key?query HTTP/1.1" 200 -``), which goes to a
  log file; a run's requests are the lines appended between two offsets.
  Reset: ``POST /moto-api/reset``.
* rclone: ``rclone serve s3`` (credentials enforced) on a free port, objects as
  plain files in a data directory.  Its own log, even at ``-vv``, has no line for
  ListBuckets or CreateMultipartUpload and cannot tell ListObjects from
  ListObjectsV2, so its requests are counted from a packet capture on ``lo``
  (``tcpdump`` with a BPF filter that keeps only TCP segments towards the
  server's port whose payload starts with an HTTP method; see ``capture.py``).
  Reset: stop, wipe the data directory, start again.

Nothing sits between the clients and the servers.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from capture import PacketCapture, tcpdump_path
from classify import classify_line

MOTO_KEY = ("bench-moto-AK", "bench-moto-SECRET")
RCLONE_KEY = ("benchrcloneAK", "bench-rclone-SECRET-key")
REGION = "us-east-1"
READY_TIMEOUT = 30.0

_WERKZEUG_RE = re.compile(r'"([A-Z]+) (\S+) HTTP/[0-9.]+" (\d{3})')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {READY_TIMEOUT} s")


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (and its waited-for children)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, IndexError, ValueError):
        return 0.0


class Server:
    """Common interface: ``start()``, ``reset()``, ``stop()``, ``endpoint``,
    ``access_key``/``secret_key``, and ``window()`` to count a run's requests."""

    name = ""
    counting = ""

    def __init__(self, workdir: str, bin_dir: str) -> None:
        self.workdir = workdir
        self.bin_dir = bin_dir
        os.makedirs(workdir, exist_ok=True)
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, **config):
        import boto3
        from botocore.config import Config

        cfg = dict(s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                   response_checksum_validation="when_required", max_pool_connections=32,
                   retries={"mode": "standard", "max_attempts": 5})
        cfg.update(config)
        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key, region_name=REGION, config=Config(**cfg))

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.proc.pid) if self.proc else 0.0

    def env(self) -> dict[str, str]:
        """Credentials for AWS-SDK-style clients."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None


class MotoServer(Server):
    name = "moto"
    counting = "moto's werkzeug request log (stderr)"
    access_key, secret_key = MOTO_KEY

    def __init__(self, workdir: str, bin_dir: str) -> None:
        super().__init__(workdir, bin_dir)
        self.log_path = os.path.join(workdir, "moto.log")

    def start(self) -> None:
        self.port = free_port()
        log = open(self.log_path, "ab")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([os.path.join(self.bin_dir, "moto_server"), "-H", "127.0.0.1",
                                      "-p", str(self.port)], stdout=log, stderr=subprocess.STDOUT, env=env,
                                     stdin=subprocess.DEVNULL)
        log.close()
        _wait_port(self.port, self.proc, "moto_server")

    def reset(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
            return
        req = urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()

    def window(self) -> "LogWindow":
        return LogWindow(self.log_path)


class LogWindow:
    """Requests appended to moto's log between ``open()`` and ``close()``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.start = 0
        self.ops: dict[str, int] | None = None
        self.note = ""

    def open(self) -> None:
        self.start = os.path.getsize(self.path)

    def close(self) -> None:
        # werkzeug writes its line after the response: wait until the log stops growing
        size, stable_since = -1, time.monotonic()
        while time.monotonic() - stable_since < 0.3:
            now = os.path.getsize(self.path)
            if now != size:
                size, stable_since = now, time.monotonic()
            time.sleep(0.05)
        with open(self.path, "rb") as f:
            f.seek(self.start)
            data = f.read(size - self.start).decode("utf-8", "replace")
        ops: dict[str, int] = {}
        for line in data.splitlines():
            m = _WERKZEUG_RE.search(line)
            if not m:
                continue
            op = classify_line(m.group(1), m.group(2))
            if op.startswith("Moto"):
                continue  # /moto-api/... (not S3)
            ops[op] = ops.get(op, 0) + 1
        self.ops = ops


class RcloneServer(Server):
    name = "rclone"
    counting = "packet capture on lo (tcpdump: TCP payloads starting with an HTTP method)"
    access_key, secret_key = RCLONE_KEY

    def __init__(self, workdir: str, bin_dir: str) -> None:
        super().__init__(workdir, bin_dir)
        self.data_dir = os.path.join(workdir, "data")
        self.log_path = os.path.join(workdir, "rclone.log")
        self.tcpdump = tcpdump_path()
        if not self.tcpdump:
            self.counting = "unavailable (tcpdump not installed; rclone's own log misses operations)"

    def start(self) -> None:
        os.makedirs(self.data_dir, exist_ok=True)
        self.port = free_port()
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [os.path.join(self.bin_dir, "rclone"), "serve", "s3", "--addr", f"127.0.0.1:{self.port}",
             "--auth-key", f"{self.access_key},{self.secret_key}", "--config", os.devnull,
             "--log-level", "NOTICE", self.data_dir],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        _wait_port(self.port, self.proc, "rclone serve s3")

    def reset(self, seed_from: str | None = None, bucket: str = "", prefix: str = "") -> None:
        """Restart with an empty data directory (``seed_from``: a directory copied in as
        ``bucket/prefix`` first, file mtimes kept: rclone serves plain files)."""
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        os.makedirs(self.data_dir)
        if seed_from:
            shutil.copytree(seed_from, os.path.join(self.data_dir, bucket, prefix))
        self.start()

    def window(self) -> "PacketCapture | NullWindow":
        if not self.tcpdump:
            return NullWindow("unavailable")
        self.windows = getattr(self, "windows", 0) + 1
        keep = os.environ.get("BENCH_KEEP_PCAP")
        name = f"capture-{self.windows}.pcap" if keep else "capture.pcap"
        return PacketCapture(self.tcpdump, self.port, os.path.join(self.workdir, name))


class NullWindow:
    def __init__(self, note: str) -> None:
        self.ops = None
        self.note = note

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass


SERVERS = {"moto": MotoServer, "rclone": RcloneServer}


def make_server(name: str, workdir: str, bin_dir: str | None = None) -> Server:
    return SERVERS[name](os.path.join(workdir, name), bin_dir or os.path.dirname(sys.executable))
