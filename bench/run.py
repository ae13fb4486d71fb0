# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The s32s.sync benchmark: ours against aws s3 sync, rclone, s5cmd and community.aws.s3_sync.

Run it with ``make bench`` (``BENCH_RUNS=3 BENCH_DATASETS=small,mixed BENCH_SCALE=1``), or
``bench/.venv/bin/python bench/run.py --help``.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)

import datasets  # noqa: E402
import report  # noqa: E402
import tools  # noqa: E402
from capture import tcpdump_path  # noqa: E402
from measure import run_job  # noqa: E402
from servers import make_server  # noqa: E402
from verify import summarize, verify_bucket, verify_local  # noqa: E402

BUCKET = "bench"
PREFIX = "site/"
PUSH_SCENARIOS = ("P1", "P2", "P3")
PULL_SCENARIOS = ("G1", "G2", "G3")


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def ensure_tcpdump() -> None:
    """Install tcpdump with apt-get when missing and root (best effort, as the Makefile does for shellcheck)."""
    if tcpdump_path() or os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    log("installing tcpdump (apt-get) to count rclone's requests")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "install", "-y", "-q", "tcpdump"], ["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "tcpdump"]):
        if subprocess.call(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0 \
                and tcpdump_path():
            return


def seed_bucket(server: t.Any, golden: str) -> None:
    """Put the dataset under s3://bench/site/ before a pull sequence (not counted, not timed)."""
    if server.name == "rclone":
        server.reset(seed_from=golden, bucket=BUCKET, prefix=PREFIX.rstrip("/"))
        return
    server.reset()
    client = server.client()
    client.create_bucket(Bucket=BUCKET)
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(multipart_threshold=8 * datasets.MIB, multipart_chunksize=8 * datasets.MIB)
    paths = []
    for dirpath, _dirs, files in os.walk(golden):
        paths.extend(os.path.join(dirpath, f) for f in files)

    def put(path: str) -> None:
        rel = os.path.relpath(path, golden).replace(os.sep, "/")
        client.upload_file(path, BUCKET, PREFIX + rel, Config=config)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, paths))


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = os.path.abspath(args.workdir)
        os.makedirs(self.work, exist_ok=True)
        self.results: list[dict[str, t.Any]] = []
        self.out_json = os.path.join(self.work, "results-partial.json")
        self.extras: dict[str, t.Any] = {}
        self.tool_log = os.path.join(self.work, "tools.log")

    def save(self) -> None:
        with open(self.out_json, "w", encoding="utf-8") as f:
            json.dump(self.results, f, indent=0)

    def measure(self, tool: str, scenario: str, job: tools.Job, server: t.Any, check: t.Callable[[], list[str]],
                meta: dict[str, t.Any]) -> dict[str, t.Any]:
        res = run_job(job, self.tool_log, server.window(), server)
        try:
            problems = check()
        except Exception as e:  # pylint: disable=broad-exception-caught
            # the server failed while the result was read back (rclone serve s3 sometimes answers 500 for a
            # key whose concurrent PUT it lost): this run cannot be verified, so it counts as not correct
            problems = [f"verification failed: {type(e).__name__}: {e}"]
        if res["rc"] != 0:
            problems.insert(0, f"exit status {res['rc']}")
        res.update(meta, tool=tool, scenario=scenario, correct=not problems, problems=summarize(problems))
        self.results.append(res)
        self.save()
        ops = ", ".join(f"{k} {v}" for k, v in sorted((res["ops"] or {}).items()))
        task = f" task {res['task_s']}s" if res.get("task_s") is not None else ""
        log(f"  {tool:14s} {scenario} {res['wall_s']:8.2f}s{task} rss {res['max_rss_mib']} MiB "
            f"{'ok' if res['correct'] else 'WRONG: ' + res['problems']} [{ops}]")
        return res

    def log_hosts(self, row: dict[str, t.Any]) -> None:
        log(f"  {row['hosts']:2d} hosts: first {row['first_s']:.2f}s, no-op {row['noop_s']:.2f}s "
            f"(slowest task {row['noop_task_s']:.2f}s) [{row['ops']}] {'ok' if row['correct'] else 'WRONG'}")

    def log_rss(self, row: dict[str, t.Any]) -> None:
        log(f"  {row['size_mib']} MiB: push RSS {row['push']['module_rss_mib']} MiB ({row['push']['task_s']}s), "
            f"pull RSS {row['pull']['module_rss_mib']} MiB ({row['pull']['task_s']}s) "
            f"{'ok' if row['correct'] else 'WRONG'}")

    def push_sequence(self, tool: str, server: t.Any, name: str, golden: str, expected: datasets.Expected,
                      meta: dict[str, t.Any]) -> None:
        src, state = os.path.join(self.work, "src"), os.path.join(self.work, "state")
        server.reset()
        server.client().create_bucket(Bucket=BUCKET)
        datasets.copy_tree(golden, src)
        shutil.rmtree(state, ignore_errors=True)
        client = server.client()
        job = tools.job(tool, "push", server, BUCKET, PREFIX, src, self.work, state)
        want = expected
        for scenario in PUSH_SCENARIOS:
            if scenario not in self.args.scenarios:
                continue
            if scenario == "P3":
                want = datasets.apply_local(name, src, expected, datasets.plan_change(name, expected))
            self.measure(tool, scenario, job, server,
                         lambda w=want: verify_bucket(client, BUCKET, PREFIX, w, local_root=src), meta)

    def pull_sequence(self, tool: str, server: t.Any, name: str, golden: str, expected: datasets.Expected,
                      meta: dict[str, t.Any]) -> None:
        dest, state = os.path.join(self.work, "dest"), os.path.join(self.work, "state")
        seed_bucket(server, golden)
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        shutil.rmtree(state, ignore_errors=True)
        client = server.client()
        job = tools.job(tool, "pull", server, BUCKET, PREFIX, dest, self.work, state)
        want = expected
        for scenario in PULL_SCENARIOS:
            if scenario not in self.args.scenarios:
                continue
            if scenario == "G3":
                want = datasets.apply_bucket(name, client, BUCKET, PREFIX, expected,
                                             datasets.plan_change(name, expected))
            self.measure(tool, scenario, job, server, lambda w=want: verify_local(dest, w), meta)

    def run(self) -> None:
        args = self.args
        started = time.time()
        facts = report.machine_facts()
        facts["measured"] = tools.snapshot_collection(os.path.join(self.work, "collections"), args.commit)
        log(f"machine: {facts['cores']} cores, load {facts['load_start']}; measuring s32s.sync "
            f"{facts['measured']['commit'][:12] or '(work tree copy)'} {facts['measured']['dirty']}")
        extras = self.extras
        extras_path = os.path.join(self.work, "extras-partial.json")

        def keep() -> None:
            with open(extras_path, "w", encoding="utf-8") as f:
                json.dump(extras, f, indent=0)

        if args.floor:
            import floor

            log("floor: a one-task ansible.builtin.ping play")
            extras["floor"] = floor.measure(self.work)
            keep()
        if args.planner:
            import planner

            log("planner: synthetic 100,000-entry plan")
            extras["planner"] = planner.measure(100_000)
            keep()
        if args.hosts:
            import hosts

            log(f"many hosts: no-op pull on {args.hosts} hosts")
            extras["hosts"] = hosts.measure(self, [int(n) for n in args.hosts.split(",")], args.hosts_server,
                                            args.scale)
            keep()
        if args.rss:
            import rssflat

            log("module RSS against file size (one file of 64, 256, 512 MiB)")
            extras["rss"] = rssflat.measure(self)
            keep()
        if args.micro:
            import micro

            log("client CPU per request: boto3 options")
            extras["micro"] = micro.measure(self.work)
            keep()
        if args.startup:
            import startup

            log("start-up: CPU of our no-op module processes above an ansible.builtin.ping task")
            extras["startup"] = startup.measure(self, args.profile_server, args.scale)
            keep()
        if args.memory:
            import memory

            log("memory per tracked path: 100,000 paths (tracemalloc)")
            extras["memory"] = memory.measure(memory.PATHS, self.work)
            keep()
        if args.profile:
            import profile_ours

            log("profiling ours (py-spy)")
            extras["profile"] = profile_ours.profile(self, args.profile_server, args.scale)
            keep()
        for server_name in args.servers:
            server = make_server(server_name, os.path.join(self.work, "servers"))
            server.start()
            try:
                for name in args.datasets:
                    golden, expected = datasets.ensure(name, args.scale, os.path.join(self.work, "data"))
                    log(f"{server_name} / {name}: {len(expected)} files, "
                        f"{sum(size for size, _digest in expected.values()) / datasets.MIB:.0f} MiB")
                    for run in range(args.runs):
                        order = list(args.tools[run % len(args.tools):]) + list(args.tools[:run % len(args.tools)])
                        for tool in order:
                            meta = {"server": server_name, "dataset": name, "run": run, "scale": args.scale}
                            if any(s in args.scenarios for s in PUSH_SCENARIOS):
                                self.push_sequence(tool, server, name, golden, expected, meta)
                            if tool not in tools.PUSH_ONLY and any(s in args.scenarios for s in PULL_SCENARIOS):
                                self.pull_sequence(tool, server, name, golden, expected, meta)
            finally:
                server.stop()
            facts.setdefault("counting", {})[server_name] = server.counting
        facts["load_end"] = [round(x, 2) for x in os.getloadavg()]
        facts["duration_min"] = round((time.time() - started) / 60, 1)
        data = {"facts": facts, "args": dict(vars(args)), "results": self.results,
                **extras}
        data = repo_relative(data)
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(report.render(data))
        log(f"wrote {args.out} and {args.json_out} ({facts['duration_min']} min)")


def repo_relative(value: t.Any) -> t.Any:
    """``value`` with every string path inside the repository made relative to it
    (results are committed: no path of the machine that ran them)."""
    root = os.path.dirname(BENCH_DIR) + os.sep
    if isinstance(value, str):
        return value.replace(root, "")
    if isinstance(value, dict):
        return {k: repo_relative(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [repo_relative(v) for v in value]
    return value


def csv(text: str) -> list[str]:
    """``a,b,`` -> ``['a', 'b']`` (argparse type)."""
    return [x for x in text.split(",") if x]


def parse_args(argv: t.Optional[list[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--datasets", type=csv, default=["small", "mixed"], help="small,mixed[,large]")
    p.add_argument("--servers", type=csv, default=["rclone", "moto"])
    p.add_argument("--tools", type=csv, default=list(tools.TOOLS))
    p.add_argument("--scenarios", type=csv, default=list(PUSH_SCENARIOS + PULL_SCENARIOS))
    p.add_argument("--scale", type=float, default=1.0, help="multiplies file counts (0.1 to iterate quickly)")
    p.add_argument("--planner", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--hosts", default="1,5,10", help="host counts of the many-hosts no-op ('' to skip)")
    p.add_argument("--hosts-server", default="rclone")
    p.add_argument("--profile", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--floor", action=argparse.BooleanOptionalAction, default=True,
                   help="task and wall time of a one-task ansible.builtin.ping play (bench/floor.py)")
    p.add_argument("--rss", action=argparse.BooleanOptionalAction, default=True,
                   help="module RSS of a push/pull of one 64, 256, 512 MiB file (bench/rssflat.py)")
    p.add_argument("--micro", action=argparse.BooleanOptionalAction, default=True,
                   help="client CPU per request of boto3 options (bench/micro.py)")
    p.add_argument("--startup", action=argparse.BooleanOptionalAction, default=True,
                   help="CPU of our no-op module processes above a ping task (bench/startup.py)")
    p.add_argument("--memory", action=argparse.BooleanOptionalAction, default=True,
                   help="bytes per tracked path of a run's structures at 100,000 paths (bench/memory.py)")
    p.add_argument("--profile-server", default="rclone")
    p.add_argument("--workdir", default=os.path.join(BENCH_DIR, ".work"))
    p.add_argument("--out", default=os.path.join(BENCH_DIR, "RESULTS.md"))
    p.add_argument("--json-out", default=os.path.join(BENCH_DIR, "results.json"))
    p.add_argument("--commit", default="HEAD", help="the commit of s32s.sync to measure (default HEAD)")
    p.add_argument("--report-only", metavar="JSON",
                   help="only render --out from a results file (results.json, or .work/results-partial.json "
                        "of an interrupted run)")
    args = p.parse_args(argv)
    for name in args.datasets:
        if name not in datasets.SPECS:
            p.error(f"unknown dataset {name!r}")
    for tool in args.tools:
        if tool not in tools.TOOLS:
            p.error(f"unknown tool {tool!r}")
    return args


def report_only(args: argparse.Namespace) -> None:
    with open(args.report_only, encoding="utf-8") as f:
        data = json.load(f)
    if isinstance(data, list):  # results-partial.json: the results alone
        facts = report.machine_facts()
        facts["note"] = "rendered from an interrupted run's partial results"
        from servers import SERVERS

        facts["counting"] = {name: cls.counting for name, cls in SERVERS.items()}
        run_args = {"runs": max(r["run"] for r in data) + 1 if data else 0, "scale": data[0]["scale"] if data else 1}
        data = {"facts": facts, "args": run_args, "results": data}
        extras_path = os.path.join(os.path.dirname(os.path.abspath(args.report_only)), "extras-partial.json")
        if os.path.exists(extras_path):
            with open(extras_path, encoding="utf-8") as f:
                data.update(json.load(f))
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(report.render(data))
    log(f"wrote {args.out}")


def _terminate(signum: int, _frame: t.Any) -> None:
    raise SystemExit(128 + signum)  # run the finally blocks: servers and captures stop


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    args = parse_args()
    if args.report_only:
        report_only(args)
        return
    ensure_tcpdump()
    Bench(args).run()


if __name__ == "__main__":
    main()
