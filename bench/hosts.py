# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 7, point 4: a deploy_site-like no-op pull on 1, 5 and 10 hosts.

An inventory of N hosts with the local connection, each pulling s3://bench/site/
into its own directory with its own manifest (``state_dir``), forks 10.  The
bucket holds the ``small`` dataset.  For each N: one first run (the new hosts pull
everything), then ``repeats`` no-op runs: median wall seconds of ansible-playbook,
the slowest host's task time, and the requests the server received.
playbooks/deploy_site.yml does not exist yet, so the play is the module itself.
"""

from __future__ import annotations

import os
import shutil
import statistics
import typing as t

import datasets
import tools
from measure import run_job
from servers import make_server
from verify import verify_local

REPEATS = 3


def _inventory(workdir: str, n: int) -> str:
    path = os.path.join(workdir, f"hosts-{n}.ini")
    with open(path, "w", encoding="utf-8") as f:
        f.write("[slaves]\n")
        for i in range(1, n + 1):
            base = os.path.join(workdir, f"h{i:02d}")
            f.write(f"h{i:02d} ansible_connection=local bench_dest={base}/site bench_state={base}/state\n")
    return path


def measure(bench: t.Any, counts: list[int], server_name: str, scale: float) -> dict[str, t.Any]:
    from report import _ops_text  # pylint: disable=import-outside-toplevel
    from run import BUCKET, PREFIX, seed_bucket  # pylint: disable=import-outside-toplevel

    workdir = os.path.join(bench.work, "hosts")
    os.makedirs(workdir, exist_ok=True)
    golden, expected = datasets.ensure("small", scale, os.path.join(bench.work, "data"))
    server = make_server(server_name, os.path.join(bench.work, "servers-hosts"))
    server.start()
    rows = []
    try:
        seed_bucket(server, golden)
        for i in range(1, max(counts) + 1):
            shutil.rmtree(os.path.join(workdir, f"h{i:02d}"), ignore_errors=True)
        for n in counts:
            job = tools._playbook(workdir, "deploy_site-like pull", "s32s.sync.s32s_pull",  # pylint: disable=protected-access
                                  {"s3": f"{BUCKET}/{PREFIX.rstrip('/')}", "dest": "{{ bench_dest }}",
                                   "state_dir": "{{ bench_state }}", "use_manifest": True},
                                  server, f"hosts-{n}", inventory=_inventory(workdir, n))
            first = run_job(job, bench.tool_log, server.window(), server)
            noops = [run_job(job, bench.tool_log, server.window(), server) for _ in range(REPEATS)]
            problems = []
            for i in range(1, n + 1):
                problems += verify_local(os.path.join(workdir, f"h{i:02d}", "site"), expected)
            rows.append({"hosts": n, "first_s": first["wall_s"], "first_rc": first["rc"],
                         "noop_s": statistics.median(r["wall_s"] for r in noops),
                         "noop_task_s": statistics.median(r.get("task_s") or 0 for r in noops),
                         "noop_runs": noops, "ops": _ops_text([r["ops"] for r in noops]),
                         "correct": not problems and all(r["rc"] == 0 for r in noops + [first])})
            bench.log_hosts(rows[-1])
    finally:
        server.stop()
    return {"description": f"Server `{server_name}`, dataset small ({len(expected)} files), local connection, "
                           f"forks 10, {REPEATS} no-op runs per host count (median). "
                           "playbooks/deploy_site.yml does not exist yet: the play runs s32s.sync.s32s_pull directly.",
            "rows": rows}
