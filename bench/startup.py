# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 16, point 2: the CPU our module costs above an ``ansible.builtin.ping`` task, in a no-op.

Wall-clock on a shared 2-core machine is noisy, CPU time much less so.  This
keeps the AnsiballZ payloads that ansible-playbook built for one no-op push, one
no-op pull (``ANSIBLE_KEEP_REMOTE_FILES``) and one ``ansible.builtin.ping`` task,
then runs each payload ``REPEATS`` times on its own (the same process the task
runs: the AnsiballZ wrapper, its zip of module_utils, the module) and records
the user + system CPU seconds of that process (``os.wait4``) and the requests
the server received.  The figure of the issue is median(module CPU) -
median(ping CPU): the module's own start-up, client creation, walk, listings,
manifest and plan, without the controller's share, which a ping task pays too.
"""

from __future__ import annotations

import glob
import os
import shutil
import statistics
import subprocess
import sys
import time
import typing as t

import datasets
import tools
from measure import base_env, run_job
from servers import make_server

REPEATS = 7


def _keep_payload(job: tools.Job, work: str, bench: t.Any, server: t.Any, name: str) -> str:
    """Run ``job`` keeping its remote files; return the kept AnsiballZ file of ``name``."""
    remote = os.path.join(work, "ansible-remote")
    shutil.rmtree(remote, ignore_errors=True)
    job.env.update(ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=remote)
    res = run_job(job, bench.tool_log, server.window(), server)
    if res["rc"] != 0:
        raise RuntimeError(f"{name}: ansible-playbook failed (see {bench.tool_log})")
    found = glob.glob(os.path.join(remote, "*", f"AnsiballZ_{name}.py"))
    if not found:
        raise RuntimeError(f"no AnsiballZ_{name}.py under {remote}")
    dest = os.path.join(work, f"AnsiballZ_{name}.py")
    shutil.copy(found[0], dest)
    shutil.rmtree(remote, ignore_errors=True)
    return dest


def cpu_of(payload: str, env: dict[str, str], cwd: str) -> tuple[float, float, int, bytes]:
    """``(user+sys CPU seconds, wall seconds, max RSS KiB, stdout)`` of one run of an AnsiballZ payload."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, payload], env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    out = proc.stdout.read() if proc.stdout else b""
    _pid, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{payload} failed: {out[-2000:]!r}")
    return ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss, out


def _series(payload: str, env: dict[str, str], cwd: str, server: t.Any, repeats: int) -> dict[str, t.Any]:
    cpus, walls, rss, ops = [], [], [], []
    for _unused in range(repeats):
        window = server.window()
        window.open()
        cpu, wall, maxrss, out = cpu_of(payload, env, cwd)
        window.close()
        if b'"changed": true' in out:
            raise RuntimeError(f"{payload}: not a no-op: {out[:400]!r}")
        cpus.append(round(cpu, 3))
        walls.append(round(wall, 3))
        rss.append(maxrss)
        ops.append(window.ops)
    return {"cpu_s": statistics.median(cpus), "cpu_all": cpus, "wall_s": statistics.median(walls),
            "wall_all": walls, "rss_mib": round(statistics.median(rss) / 1024, 1), "ops": ops[-1],
            "ops_all": ops}


def measure(bench: t.Any, server_name: str = "rclone", scale: float = 1.0,
            repeats: int = REPEATS) -> dict[str, t.Any]:
    from run import BUCKET, PREFIX  # pylint: disable=import-outside-toplevel

    work = os.path.join(bench.work, "startup")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    golden, expected = datasets.ensure("small", scale, os.path.join(bench.work, "data"))
    server = make_server(server_name, os.path.join(bench.work, "servers-startup"))
    server.start()
    rows: dict[str, t.Any] = {}
    try:
        src, dest, state_push, state_pull = (os.path.join(work, d) for d in ("src", "dest", "state-p", "state-g"))
        datasets.copy_tree(golden, src)
        server.reset()
        server.client().create_bucket(Bucket=BUCKET)
        push = tools.job(tools.OURS, "push", server, BUCKET, PREFIX, src, work, state_push)
        pull = tools.job(tools.OURS, "pull", server, BUCKET, PREFIX, dest, work, state_pull)
        os.makedirs(dest)
        for job in (push, pull):  # the full transfers: afterwards both are no-ops
            if run_job(job, bench.tool_log, server.window(), server)["rc"] != 0:
                raise RuntimeError(f"full run failed (see {bench.tool_log})")
        payloads = {"s32s_push": _keep_payload(push, work, bench, server, "s32s_push"),
                    "s32s_pull": _keep_payload(pull, work, bench, server, "s32s_pull")}
        ping_play = os.path.join(work, "ping.yml")
        with open(ping_play, "w", encoding="utf-8") as f:
            f.write('[{"hosts": "all", "connection": "local", "gather_facts": false, '
                    '"tasks": [{"ansible.builtin.ping": {}}]}]')
        ping_env = tools.ansible_env(work)
        ping = tools.Job([os.path.join(tools.BIN, "ansible-playbook"), "-i", "localhost,", ping_play],
                         ping_env, "", "")
        payloads["ping"] = _keep_payload(ping, work, bench, server, "ping")
        env = base_env()
        env.update(push.env)
        for name in ("ping", "s32s_push", "s32s_pull"):
            rows[name] = _series(payloads[name], env, work, server, repeats)
    finally:
        server.stop()
    ping_cpu = rows["ping"]["cpu_s"]
    for name in ("s32s_push", "s32s_pull"):
        rows[name]["above_ping_cpu_s"] = round(rows[name]["cpu_s"] - ping_cpu, 3)
    return {"files": len(expected), "server": server_name, "repeats": repeats, "rows": rows,
            "description": " ".join(__doc__.split("\n\n")[1].split())}


def main() -> None:
    """``python bench/startup.py [--commits A,B] [--server rclone] [--scale 1]``: each commit's figures
    (a ``git archive`` snapshot, as ``make bench`` measures), one after the other under the same load."""
    import argparse
    import json

    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--commits", default="HEAD", help="comma-separated commits to measure in turn")
    p.add_argument("--server", default="rclone")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--repeats", type=int, default=REPEATS)
    args = p.parse_args()

    class _Bench:  # the two attributes measure() uses
        work = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".work")
        tool_log = os.path.join(work, "tools.log")

    os.makedirs(_Bench.work, exist_ok=True)
    out = {}
    for commit in args.commits.split(","):
        info = tools.snapshot_collection(os.path.join(_Bench.work, "collections-startup"), commit)
        res = measure(_Bench(), args.server, args.scale, args.repeats)
        res["load1"] = round(os.getloadavg()[0], 2)
        out[info["commit"] or commit] = res
        print(commit, {k: (v["cpu_s"], v.get("above_ping_cpu_s"), v["ops"]) for k, v in res["rows"].items()},
              "load", res["load1"], flush=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
