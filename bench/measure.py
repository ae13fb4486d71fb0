# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running one tool process and measuring it: wall seconds, CPU, max RSS
(``os.wait4``: the largest process of the tree that was waited for), the module
task time of ansible runs (callback file), the module process's max RSS (interpreter
wrapper), and the server's requests in that window."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import typing as t

LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launch.py")
_DROP_PREFIXES = ("ANSIBLE_", "AWS_", "RCLONE_", "S32S_BENCH_", "S3_ENDPOINT")


def base_env() -> dict[str, str]:
    """os.environ without inherited ANSIBLE_/AWS_/RCLONE_ settings (the Makefile exports some)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP_PREFIXES)}
    bin_dir = os.path.dirname(os.path.abspath(sys.executable))
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def run_job(job: t.Any, log_path: str, window: t.Any, server: t.Any, timeout: float = 3600) -> dict[str, t.Any]:
    """Run ``job`` with the server's request ``window`` open around it."""
    env = base_env()
    env.update(job.env)
    os.sync()
    window.open()
    cpu0 = server.cpu_seconds()
    stats_path = log_path + ".launch.json"
    for path in (stats_path, job.times_path, job.module_times_path):
        if path and os.path.exists(path):
            os.unlink(path)  # one run's numbers only (a job is run several times)
    with open(log_path, "ab") as log:
        log.write(("\n$ " + " ".join(job.argv) + "\n").encode())
        log.flush()
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-I", "-S", LAUNCHER, stats_path, *job.argv], stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        outer = time.perf_counter() - start
    server_cpu = server.cpu_seconds() - cpu0
    window.close()
    try:
        with open(stats_path, encoding="utf-8") as f:
            stats = json.load(f)
    except (OSError, ValueError):
        stats = {"wall_s": outer, "rc": proc.returncode, "maxrss_kib": 0, "user_s": 0, "sys_s": 0}
    out: dict[str, t.Any] = {
        "wall_s": round(stats["wall_s"], 3), "rc": stats["rc"], "max_rss_mib": round(stats["maxrss_kib"] / 1024, 1),
        "cpu_s": round(stats["user_s"] + stats["sys_s"], 2), "server_cpu_s": round(server_cpu, 2),
        "ops": window.ops, "ops_note": window.note, "load1": round(os.getloadavg()[0], 2),
    }
    if job.times_path:
        out.update(_ansible_times(job))
    return out


def _ansible_times(job: t.Any) -> dict[str, t.Any]:
    out: dict[str, t.Any] = {"task_s": None, "module_rss_mib": None, "module_wall_s": None, "module_fresh": True}
    try:
        with open(job.times_path, encoding="utf-8") as f:
            records = json.load(f)
        if records:
            # the s32s / s3_sync task (a role also runs checks and a debug task)
            main = [r for r in records if r.get("totals") is not None] or records
            out["task_s"] = round(max(r["seconds"] for r in main), 3)
            out["task_status"] = sorted({r["status"] for r in records})
            out["task_changed"] = any(r["changed"] for r in records)
            out["task_totals"] = records[0].get("totals")
            failed = [r["msg"] for r in records if r["status"] != "ok"]
            if failed:
                out["task_msg"] = failed[0]
    except (OSError, ValueError, KeyError):
        pass
    try:
        with open(job.module_times_path, encoding="utf-8") as f:
            rows = [line.split() for line in f if line.strip() and line.split()[0].isdigit()]
        if rows:
            out["module_rss_mib"] = round(max(int(r[0]) for r in rows) / 1024, 1)
            out["module_wall_s"] = round(max(float(r[1]) for r in rows), 2)
            out["module_cpu_s"] = round(max(float(r[2]) + float(r[3]) for r in rows), 2)
            # every module process of the run (one per host and task): the many-hosts CPU per host
            out["module_cpu_total_s"] = round(sum(float(r[2]) + float(r[3]) for r in rows), 2)
            out["module_runs"] = len(rows)
    except (OSError, ValueError, IndexError):
        pass
    return out
