# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where our module's time goes: py-spy around the module process (the interpreter
wrapper of tools.py runs it under ``py-spy record --gil``) in ansible-playbook runs of
s32s_push / s32s_pull on the ``small`` dataset.

``--gil`` samples only the thread that holds the GIL, so the samples add up to the
module's Python CPU time: with 8 worker threads on 2 cores the GIL, not the network,
is what a full transfer waits for.  Each sample is put in the phase of its
outermost recognised frame (imports, AnsibleAWSModule set-up, client creation,
local walk, S3 listing, manifest, plan, transfers...), and the leaf functions with
the most samples are listed.  The raw py-spy output is kept in the work directory.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import typing as t

import datasets
import tools
from measure import run_job
from servers import make_server

RATE = 100
PHASES = (
    ("AnsibleAWSModule set-up (argument spec, SDK check)", re.compile(r"^(\w+\.)?__init__ \(.*amazon/aws/plugins/module_utils/modules\.py")),
    ("boto3 client creation", re.compile(r"^(\w+\.)?(client|_get_session|create_client|boto3_conn) \(")),
    ("local walk (scandir + stat)", re.compile(r"^(\w+\.)?(walk_local|walk_dest_local) \(")),
    ("S3 listing (ListObjectsV2 + parsing)", re.compile(r"^(\w+\.)?list_tree \(")),
    ("manifest load", re.compile(r"^(\w+\.)?load \(.*state/manifest\.py")),
    ("manifest save", re.compile(r"^(\w+\.)?save \(.*state/manifest\.py")),
    ("plan", re.compile(r"^(\w+\.)?make_plan \(")),
    ("content checks (hashing)", re.compile(r"^(\w+\.)?(check_contents|check) \(.*jobs/content\.py")),
    ("transfers (executor, worker threads)",
     re.compile(r"^(\w+\.)?(apply_plan|upload|download|copy|run|delete_keys) \(.*(jobs/(executor|transfers|pools)|sides/s3store)\.py")),
    ("report and exit_json", re.compile(r"^(\w+\.)?(to_result|exit_json|fail_json) \(")),
)
IMPORTS = re.compile(r"^_find_and_load \(")
PARSE_ARGS = re.compile(r"^(\w+\.)?(_load_params|_check_arguments|_validate) \(")


def _parse(path: str) -> list[tuple[list[str], int]]:
    """``[(frames root first, samples)]`` of a py-spy raw (collapsed stacks) file."""
    stacks = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, _sep, count = line.rstrip("\n").rpartition(" ")
            if stack and count.isdigit():
                stacks.append((stack.split(";"), int(count)))
    return stacks


def summarize(path: str) -> dict[str, t.Any]:
    phases: collections.Counter = collections.Counter()
    leaves: collections.Counter = collections.Counter()
    total = 0
    for frames, count in _parse(path):
        if not any("AnsiballZ_s32s_" in f for f in frames[:2]):
            continue
        total += count
        phase = None
        for frame in frames:
            for name, pattern in PHASES:
                if pattern.search(frame):
                    phase = name
                    break
            if phase:
                break
        if phase is None:
            phase = "imports (module start-up)" if any(IMPORTS.search(f) for f in frames) else "other"
        phases[phase] += count
        leaf = frames[-1]
        leaf = re.sub(r"\(.*?(site-packages/|ansible_collections/|python3\.\d+/)", "(", leaf)
        leaves[leaf] += count
    return {"samples": total, "seconds": total / RATE,
            "phases": [(100 * c / total, n) for n, c in phases.most_common()] if total else [],
            "top": [(100 * c / total, f) for f, c in leaves.most_common(12)] if total else []}


def profile(bench: t.Any, server_name: str, scale: float) -> dict[str, t.Any]:
    from run import BUCKET, PREFIX, seed_bucket  # pylint: disable=import-outside-toplevel

    spy = os.path.join(tools.BIN, "py-spy")
    if not os.access(spy, os.X_OK):
        return {"description": "py-spy is not installed in the bench venv: no profile.", "runs": []}
    work = os.path.join(bench.work, "profile")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    golden, expected = datasets.ensure("small", scale, os.path.join(bench.work, "data"))
    server = make_server(server_name, os.path.join(bench.work, "servers-profile"))
    server.start()
    runs = []
    try:
        src, dest, state = (os.path.join(work, d) for d in ("src", "dest", "state"))
        datasets.copy_tree(golden, src)
        server.reset()
        server.client().create_bucket(Bucket=BUCKET)
        steps = [("P1 full push", "push", src), ("P2 no-op push", "push", src)]
        for title, direction, local in steps + [("G1 full pull", "pull", dest), ("G2 no-op pull", "pull", dest)]:
            if title.startswith("G1"):
                seed_bucket(server, golden)
                shutil.rmtree(state, ignore_errors=True)
            job = tools.job(tools.OURS, direction, server, BUCKET, PREFIX, local, work, state)
            raw = os.path.join(work, f"{title.split()[0]}.pyspy.txt")
            job.env["S32S_BENCH_PYSPY"] = raw
            job.env["S32S_BENCH_PYSPY_ARGS"] = "--gil"
            res = run_job(job, bench.tool_log, server.window(), server)
            summary = summarize(raw) if os.path.exists(raw) else {"samples": 0, "phases": [], "top": []}
            phases = ", ".join(f"{name} {pct:.0f}%" for pct, name in summary["phases"])
            runs.append({"title": f"{title} ({server_name}, {len(expected)} files)",
                         "summary": (f"GIL held by the module process for {summary.get('seconds', 0):.2f} s "
                                     f"of a {res.get('task_s')} s task (under py-spy). By phase: {phases}."),
                         "top": summary["top"], "phases": summary["phases"], "raw": raw, "result": res})
    finally:
        server.stop()
    return {"description": " ".join(__doc__.split("\n\n")[1:3]).replace("\n", " "), "runs": runs}
