# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The targets of issue 16, each marked met, missed or not measured from one run's results.

1. P1, G1, P3, G3: ours (whole process) / fastest correct peer <= 1.0 on every server and
   dataset; on rclone serve s3, ours with the server keeps >= 1.7 cores busy in P1 and G1
   ((client CPU + server CPU) / wall of the whole process: the transfer phase and its start-up).
2. P2, G2: our task time minus the ``ansible.builtin.ping`` task time <= the fastest correct
   peer's whole no-op; requests exactly ceil(N/1000) ListObjectsV2.  bench/startup.py gives
   the same difference in CPU seconds of the module process, which load does not distort.
3. A no-op ``deploy_site.yml`` on 10 hosts: <= 0.5 s of module CPU per host (growth 1 -> 5 -> 10).
4. <= 400 bytes per tracked path at 100,000 paths (bench/memory.py); module RSS flat in file
   size (bench/rssflat.py: largest - smallest <= 10% of the smallest).
5. A 100,000-file push, no-op and pull (dataset ``huge``) on rclone serve s3 against
   rclone --checksum and s5cmd: measured (ratios in the tables).
"""

from __future__ import annotations

import math
import typing as t

import datasets
import report

MET, MISSED, UNMEASURED = "met", "**missed**", "not measured"
TRANSFERS = ("P1", "G1", "P3", "G3")
NOOPS = ("P2", "G2")
CORES_TARGET = 1.7
HOST_CPU_TARGET = 0.5


def _status(ok: t.Optional[bool]) -> str:
    return UNMEASURED if ok is None else (MET if ok else MISSED)


def _files(dataset: str, scale: float) -> int:
    spec = datasets.scaled(datasets.SPECS[dataset], scale)
    return spec.files + spec.big_files


def cores_busy(cell: t.Optional[report.Cell]) -> t.Optional[float]:
    """(client CPU + server CPU) / wall of a cell's medians, or ``None``."""
    if cell is None or not cell.wall or cell.cpu is None or cell.server_cpu is None:
        return None
    return (cell.cpu + cell.server_cpu) / cell.wall


def evaluate(data: dict[str, t.Any]) -> list[tuple[str, str, str]]:
    """``[(target, status, evidence)]`` of one run's ``data`` (results.json)."""
    results = data.get("results", [])
    scale = data.get("args", {}).get("scale", 1) or 1
    combos = sorted({(r["server"], r["dataset"]) for r in results})
    rows: list[tuple[str, str, str]] = []

    # 1. full and 1% transfers
    parts, ok1 = [], None if not combos else True
    for server, dataset in combos:
        cs = report.cells(results, server, dataset)
        rs = report.ratios(cs)
        for sc in TRANSFERS:
            e = rs.get(sc)
            if not e or "ratio" not in e:
                continue
            good = e["ours_correct"] and e["ratio"] <= 1.0
            ok1 = ok1 and good
            if not good:
                parts.append(f"{server}/{dataset} {sc} {e['ratio']:.2f} vs {e['peer']}")
        if server == "rclone":
            for sc in ("P1", "G1"):
                busy = cores_busy(cs.get((report.tools.OURS, sc)))
                if busy is not None and busy < CORES_TARGET:
                    ok1 = False
                    parts.append(f"rclone/{dataset} {sc} {busy:.2f} cores busy")
    rows.append(("1. P1/G1/P3/G3 <= 1.0 of the fastest peer; >= 1.7 cores busy on rclone", _status(ok1),
                 "; ".join(parts) or ("every ratio <= 1.00" if ok1 else "no results")))

    # 2. no-op start-up
    floor = data.get("floor", {}).get("task_s")
    parts, ok2 = [], None
    if combos and floor is not None:
        ok2 = True
        for server, dataset in combos:
            cs = report.cells(results, server, dataset)
            rs = report.ratios(cs)
            want = {"ListObjectsV2": math.ceil(_files(dataset, scale) / 1000)}
            for sc in NOOPS:
                e, cell = rs.get(sc), cs.get((report.tools.OURS, sc))
                if not e or "peer_s" not in e or e.get("ours_task") is None or cell is None:
                    continue
                above = e["ours_task"] - floor
                good = above <= e["peer_s"]
                same_requests = [r["ops"] for r in results if r["server"] == server and r["dataset"] == dataset
                                 and r["tool"] == report.tools.OURS and r["scenario"] == sc and r["ops"] is not None]
                requests_ok = all(ops == want for ops in same_requests)
                ok2 = ok2 and good and requests_ok
                parts.append(f"{server}/{dataset} {sc} {above:.2f} s vs {e['peer']} {e['peer_s']:.2f} s"
                             + ("" if requests_ok else f" (requests not {want})"))
    startup = data.get("startup")
    if startup:
        cpu = ", ".join(f"{name} {row['above_ping_cpu_s']:.2f} s" for name, row in startup["rows"].items()
                        if "above_ping_cpu_s" in row)
        parts.append(f"module CPU above ping ({startup['files']} files, {startup['server']}): {cpu}")
    rows.append(("2. no-op task minus ping task <= the fastest peer's whole no-op; ceil(N/1000) LIST2 only",
                 _status(ok2), "; ".join(parts) or "no results"))

    # 3. many hosts
    hosts = data.get("hosts", {}).get("rows", [])
    per_host = [(h["hosts"], h.get("noop_module_cpu_per_host_s")) for h in hosts if h.get("correct")]
    known = [(n, v) for n, v in per_host if v is not None]
    ok3 = None
    at_ten = [v for n, v in known if n >= 10]
    if at_ten:
        ok3 = max(at_ten) <= HOST_CPU_TARGET
    rows.append(("3. no-op deploy_site.yml on 10 hosts: <= 0.5 s module CPU per host", _status(ok3),
                 ", ".join(f"{n} hosts {v:.2f} s" for n, v in known) or "not measured (module CPU per host of "
                 "correct runs, recorded from this version of bench/hosts.py on)"))

    # 4. memory and RSS
    mem, rss = data.get("memory"), data.get("rss", {}).get("rows", [])
    ok4 = None
    parts = []
    if mem:
        ok4 = mem["bytes_per_path"] <= mem["target"]
        parts.append(f"{mem['bytes_per_path']:.0f} bytes per path at {mem['paths']:,} paths")
    flats = []
    for direction in ("push", "pull"):  # flat in file size: each direction against itself
        sizes = [r[direction]["module_rss_mib"] for r in rss if r[direction].get("module_rss_mib")]
        if sizes:
            flat = max(sizes) - min(sizes) <= 0.1 * min(sizes)
            flats.append(flat)
            parts.append(f"{direction} module RSS {min(sizes):.0f}-{max(sizes):.0f} MiB for 64-512 MiB files "
                         f"({'flat' if flat else 'NOT flat'})")
    if flats:
        ok4 = None if ok4 is None else ok4 and all(flats)  # bytes per path unmeasured: the point is not measured
    if not mem:
        parts.insert(0, "bytes per path not measured (bench/memory.py)")
    rows.append(("4. <= 400 bytes per tracked path; RSS flat in file size", _status(ok4), "; ".join(parts)
                 or "no results"))

    # 5. scale
    huge = [r for r in results if r["dataset"] == "huge" and r["server"] == "rclone"]
    tools_run = sorted({r["tool"] for r in huge})
    ok5 = None
    if huge:
        ok5 = all(tool in tools_run for tool in (report.tools.OURS, "rclone-fc", "s5cmd"))
    rows.append(("5. 100,000 files (dataset huge) on rclone serve s3 against rclone-fc and s5cmd", _status(ok5),
                 f"tools run: {', '.join(tools_run)} (see the rclone / huge tables)" if huge else
                 "not run (needs a quiet machine: BENCH_DATASETS=huge)"))
    return rows


def render(data: dict[str, t.Any]) -> list[str]:
    lines = ["## Targets of issue 16", "",
             "Each target from this run's numbers (bench/targets.py says how each is computed).", "",
             "| target | status | evidence |", "|---|---|---|"]
    for target, status, evidence in evaluate(data):
        lines.append(f"| {target} | {status} | {evidence} |")
    lines.append("")
    return lines
