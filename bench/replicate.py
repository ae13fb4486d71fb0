# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3-to-S3 replication benchmark (issue 6): ``s32s.sync.s32s_replicate`` against ``rclone sync``
between two remotes, moto_server (source) -> ``rclone serve s3`` (destination), on 127.0.0.1.

Scenarios, each tool on its own fresh source and destination prefixes (seeded the same way):
R1 full replication to an empty prefix; R2 no-op; R3 after changing 1% of the source objects
with the same size, deleting 1% and adding 1%. Every run is verified afterwards (same keys and
the same content on both sides, read back with GetObject); a wrong result is marked WRONG.
Prints a Markdown table (median wall seconds of the whole process over ``--runs`` runs, and
ours / fastest correct peer) and writes it to ``--out``.

Usage: python bench/replicate.py [--files 1000] [--runs 3] [--out bench/RESULTS-replicate.md]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

BIN = os.path.dirname(sys.executable)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AK, SK = "bench-AK", "bench-SECRET-key"
CFG = Config(s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
             response_checksum_validation="when_required", max_pool_connections=32)
TOOLS = ("ours", "rclone", "rclone-checksum")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(port: int):
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id=AK,
                        aws_secret_access_key=SK, region_name="us-east-1", config=CFG)


def start(argv: list[str], port: int, log: str) -> subprocess.Popen:
    proc = subprocess.Popen(argv, stdout=open(log, "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
    for _unused in range(300):
        try:
            client(port).list_buckets()
            return proc
        except Exception:  # noqa: BLE001 - any failure means "not ready yet"
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server {argv[0]} did not start")


def listing(c, prefix: str) -> dict[str, int]:
    out = {}
    for page in c.get_paginator("list_objects_v2").paginate(Bucket="bkt", Prefix=prefix + "/"):
        for obj in page.get("Contents", ()):
            out[obj["Key"][len(prefix) + 1:]] = obj["Size"]
    return out


def digests(c, prefix: str, keys) -> dict[str, str]:
    def one(k):
        return k, hashlib.md5(c.get_object(Bucket="bkt", Key=f"{prefix}/{k}")["Body"].read()).hexdigest()
    with ThreadPoolExecutor(16) as pool:
        return dict(pool.map(one, sorted(keys)))


def seed(c, prefix: str, files: int) -> None:
    rnd = random.Random(7)
    items = [(f"d{i % 7}/s{i % 3}/f{i:05d}.bin", rnd.randbytes(rnd.randint(1024, 16384))) for i in range(files)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda kv: c.put_object(Bucket="bkt", Key=f"{prefix}/{kv[0]}", Body=kv[1]), items))


def change(c, prefix: str, files: int) -> None:
    """1% same-size edits, 1% deletions, 1% additions, at the source."""
    n = max(1, files // 100)
    keys = sorted(listing(c, prefix))
    for k in keys[:n]:
        body = c.get_object(Bucket="bkt", Key=f"{prefix}/{k}")["Body"].read()
        c.put_object(Bucket="bkt", Key=f"{prefix}/{k}", Body=bytes(b ^ 0xFF for b in body))
    for k in keys[n:2 * n]:
        c.delete_object(Bucket="bkt", Key=f"{prefix}/{k}")
    for i in range(n):
        c.put_object(Bucket="bkt", Key=f"{prefix}/new/n{i:04d}.bin", Body=os.urandom(2048))


def command(tool: str, src_port: int, dst_port: int, src: str, dst: str, work: str) -> tuple[list[str], dict]:
    env = dict(os.environ)
    if tool == "ours":
        play = [{"hosts": "localhost", "gather_facts": False, "tasks": [{
            "name": "replicate", "s32s.sync.s32s_replicate": {
                "src": f"bkt/{src}", "endpoint_url": f"http://127.0.0.1:{src_port}", "access_key": AK,
                "secret_key": SK, "region": "us-east-1", "addressing_style": "path", "delete": True,
                "max_delete": "unlimited", "state_dir": os.path.join(work, "state"),
                "dest": [{"s3": f"bkt/{dst}", "endpoint_url": f"http://127.0.0.1:{dst_port}"}]}}]}]
        path = os.path.join(work, "replicate.yml")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(play, f)
        env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".collections"),
                   ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="false")
        return [os.path.join(BIN, "ansible-playbook"), path], env
    for side, port in (("SRC", src_port), ("DST", dst_port)):
        env.update({f"RCLONE_CONFIG_{side}_TYPE": "s3", f"RCLONE_CONFIG_{side}_PROVIDER": "Other",
                    f"RCLONE_CONFIG_{side}_ENDPOINT": f"http://127.0.0.1:{port}",
                    f"RCLONE_CONFIG_{side}_ACCESS_KEY_ID": AK, f"RCLONE_CONFIG_{side}_SECRET_ACCESS_KEY": SK,
                    f"RCLONE_CONFIG_{side}_FORCE_PATH_STYLE": "true"})
    argv = [os.path.join(BIN, "rclone"), "sync", f"src:bkt/{src}", f"dst:bkt/{dst}"]
    if tool == "rclone-checksum":
        argv += ["--checksum", "--fast-list"]
    return argv, env


def run_tool(tool, src_c, dst_c, src_port, dst_port, files, run, work) -> dict[str, tuple[float, bool]]:
    src, dst = f"src-{tool}-{run}", f"dst-{tool}-{run}"
    seed(src_c, src, files)
    out = {}
    for scenario in ("R1", "R2", "R3"):
        if scenario == "R3":
            change(src_c, src, files)
        argv, env = command(tool, src_port, dst_port, src, dst, work)
        started = time.perf_counter()
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        took = time.perf_counter() - started
        a, b = listing(src_c, src), listing(dst_c, dst)
        ok = proc.returncode == 0 and a == b and digests(src_c, src, a) == digests(dst_c, dst, b)
        out[scenario] = (took, ok)
        print(f"  {tool:16} {scenario} run {run}: {took:6.2f}s {'ok' if ok else 'WRONG'}"
              + ("" if proc.returncode == 0 else f" rc={proc.returncode} {proc.stderr[-300:]!r}"), flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--files", type=int, default=1000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", default=os.path.join(REPO, "bench", "RESULTS-replicate.md"))
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="s32s-bench-repl-")
    src_port, dst_port = free_port(), free_port()
    os.makedirs(os.path.join(work, "rclone-data", "bkt"))
    procs = [start([os.path.join(BIN, "moto_server"), "-H", "127.0.0.1", "-p", str(src_port)], src_port,
                   os.path.join(work, "moto.log")),
             start([os.path.join(BIN, "rclone"), "serve", "s3", "--addr", f"127.0.0.1:{dst_port}",
                    "--auth-key", f"{AK},{SK}", os.path.join(work, "rclone-data")], dst_port,
                   os.path.join(work, "rclone.log"))]
    try:
        src_c, dst_c = client(src_port), client(dst_port)
        src_c.create_bucket(Bucket="bkt")
        results: dict[tuple[str, str], list[tuple[float, bool]]] = {}
        for run in range(args.runs):
            for tool in TOOLS:
                for scenario, value in run_tool(tool, src_c, dst_c, src_port, dst_port, args.files, run,
                                                work).items():
                    results.setdefault((tool, scenario), []).append(value)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)
    lines = [f"## S3-to-S3 replication: moto_server -> rclone serve s3, {args.files} files of 1-16 KiB",
             "", f"Median wall seconds of the whole process over {args.runs} runs "
             f"(load average at the end: {os.getloadavg()[0]:.2f}); WRONG = the destination differed afterwards.",
             "", "| tool | R1 full | R2 no-op | R3 1% changed |", "|---|---|---|---|"]
    med = {}
    for tool in TOOLS:
        cells = []
        for scenario in ("R1", "R2", "R3"):
            values = results[(tool, scenario)]
            good = all(ok for _t, ok in values)
            med[(tool, scenario)] = (statistics.median(t for t, _ok in values), good)
            cells.append(f"{med[(tool, scenario)][0]:.2f}" + ("" if good else " WRONG"))
        lines.append(f"| {tool} | " + " | ".join(cells) + " |")
    ratios = []
    for scenario in ("R1", "R2", "R3"):
        peers = [med[(t, scenario)][0] for t in TOOLS[1:] if med[(t, scenario)][1]]
        ratios.append(f"{med[('ours', scenario)][0] / min(peers):.2f}" if peers else "n/a")
    lines.append("| ours / fastest correct peer | " + " | ".join(ratios) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
