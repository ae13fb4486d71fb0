# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 7, point 4: a no-op ``playbooks/deploy_site.yml`` on 1, 5 and 10 hosts.

An inventory of N hosts (group ``web_slaves``) with the local connection, each
pulling s3://bench/site/ into its own directory with its own manifest
(``pull_state_dir``), forks 10.  The bucket holds the ``small`` dataset.  For each
N: one first run (the new hosts pull everything), then ``REPEATS`` no-op runs:
median wall seconds of ansible-playbook, the slowest host's pull task time, and the
requests the server received.  The playbook is the measured snapshot's
playbooks/deploy_site.yml (role s32s.sync.pull); without one, a one-task play of
s32s.sync.s32s_pull.
"""

from __future__ import annotations

import json
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


def _inventory(workdir: str, n: int, server: t.Any, bucket_prefix: str) -> str:
    path = os.path.join(workdir, f"hosts-{n}.json")
    hosts = {}
    for i in range(1, n + 1):
        base = os.path.join(workdir, f"h{i:02d}")
        hosts[f"h{i:02d}"] = {"ansible_connection": "local", "bench_dest": f"{base}/site",
                              "bench_state": f"{base}/state", "pull_s3": bucket_prefix,
                              "pull_dest": f"{base}/site", "pull_state_dir": f"{base}/state"}
    inventory = {"web_slaves": {"hosts": hosts, "vars": {
        "pull_endpoint_url": server.endpoint, "pull_access_key": server.access_key,
        "pull_secret_key": server.secret_key, "pull_region": "us-east-1"}}}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(inventory, f, indent=1)  # JSON is YAML
    return path


def _per_host(values: list[t.Optional[float]], hosts: int) -> t.Optional[float]:
    """The median of ``values`` (seconds of one run) divided by ``hosts`` (``None`` when none was measured)."""
    known = [v for v in values if v is not None]
    return round(statistics.median(known) / hosts, 3) if known else None


def deploy_site() -> str:
    path = os.path.join(tools.COLLECTIONS, "ansible_collections", "s32s", "sync", "playbooks", "deploy_site.yml")
    return path if os.path.exists(path) else ""


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
        playbook = deploy_site()
        for n in counts:
            inventory = _inventory(workdir, n, server, f"{BUCKET}/{PREFIX.rstrip('/')}")
            job = tools._playbook(workdir, "deploy_site-like pull", "s32s.sync.s32s_pull",  # pylint: disable=protected-access
                                  {"s3": f"{BUCKET}/{PREFIX.rstrip('/')}", "dest": "{{ bench_dest }}",
                                   "state_dir": "{{ bench_state }}", "use_manifest": True},
                                  server, f"hosts-{n}", inventory=inventory)
            if playbook:
                job = job._replace(argv=[job.argv[0], "-i", inventory, playbook])
            first = run_job(job, bench.tool_log, server.window(), server)
            noops = [run_job(job, bench.tool_log, server.window(), server) for _unused in range(REPEATS)]
            problems = []
            for i in range(1, n + 1):
                problems += verify_local(os.path.join(workdir, f"h{i:02d}", "site"), expected)
            rows.append({"hosts": n, "first_s": first["wall_s"], "first_rc": first["rc"],
                         "noop_s": statistics.median(r["wall_s"] for r in noops),
                         "noop_task_s": statistics.median(r.get("task_s") or 0 for r in noops),
                         # issue 16, point 3: CPU seconds per host of a no-op, the module processes alone
                         # (/usr/bin/time of each) and the whole run (ansible-playbook and its children)
                         "noop_module_cpu_per_host_s": _per_host([r.get("module_cpu_total_s") for r in noops], n),
                         "noop_cpu_per_host_s": _per_host([r.get("cpu_s") for r in noops], n),
                         "noop_runs": noops, "ops": _ops_text([r["ops"] for r in noops]),
                         "correct": not problems and all(r["rc"] == 0 for r in noops + [first])})
            bench.log_hosts(rows[-1])
    finally:
        server.stop()
    what = ("`playbooks/deploy_site.yml` (role s32s.sync.pull; the slowest host's task time is its pull task)"
            if playbook else "a one-task play of s32s.sync.s32s_pull (no playbooks/deploy_site.yml in the snapshot)")
    return {"description": f"{what}; server `{server_name}`, dataset small ({len(expected)} files), local "
                           f"connection, forks 10, one directory and manifest per host, {REPEATS} no-op runs per "
                           "host count (median).", "rows": rows}
