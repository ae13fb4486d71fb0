# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 7, point 3: the planner on a synthetic 100,000-entry tree.

Times ``_plan.make_plan`` on N paths present on both sides (no-op with a manifest
that vouches for every path; no manifest, so every path goes to ``verify``; 1%
changed + 1% deleted + 1% added), and measures with tracemalloc the Python memory
per tracked entry of a local tree, an S3 tree and the manifest, plus the manifest
file's save/load time and size (``_manifest``).  Runs in-process on the engine
(``plugins/module_utils``), without Ansible or S3.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
import tracemalloc
import typing as t

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _engine() -> t.Any:
    import tools

    if tools.COLLECTIONS not in sys.path:
        sys.path.insert(0, tools.COLLECTIONS)
    from ansible_collections.s32s.sync.plugins.module_utils._engine.state import manifest as _manifest
    from ansible_collections.s32s.sync.plugins.module_utils._engine.plan import plan as _plan
    from ansible_collections.s32s.sync.plugins.module_utils._engine.sides import tree as _tree

    return _plan, _tree, _manifest


def _records() -> t.Any:
    from ansible_collections.s32s.sync.plugins.module_utils._engine.state import records as _records_mod

    return _records_mod


def _make_plan(src: dict, dst: dict, local_is_source: bool, manifest: t.Optional[dict]) -> t.Any:
    """``make_plan`` of two listings as a push (local source) or a pull (local destination)."""
    from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.compare import ManifestComparator

    _plan, _tree, _unused = _engine()
    trees = []
    for entries in (src, dst):
        tree = _tree.Tree()
        tree.entries = entries
        trees.append(tree)
    return _plan.make_plan(trees[0], trees[1], ManifestComparator(manifest or {}, local_is_source=local_is_source))


def _relpath(i: int) -> str:
    return f"d{i % 37:02d}/s{i % 7}/t{i % 3}/file-{i:06d}.html"


def build(n: int) -> tuple[dict, dict, dict]:
    _plan, _tree, _unused = _engine()
    local, remote, manifest = {}, {}, {}
    base = 1_700_000_000_000_000_000
    for i in range(n):
        rel = _relpath(i)
        size = 1024 + (i * 7919) % 15360
        etag = f"{(i * 2654435761) % (1 << 128):032x}"
        local[rel] = _tree.Entry(rel, size, base + i, None, base + i + 5, 1_000_000 + i)
        remote[rel] = _tree.Entry(rel, size, base + 10 ** 12 + i, etag)
        manifest[rel] = _records().Record(size, base + i, base + i + 5, 1_000_000 + i, etag)
    return local, remote, manifest


def _timed(fn: t.Callable[[], t.Any], repeats: int) -> tuple[float, float, t.Any]:
    best = float("inf")
    result = None
    for _unused in range(repeats):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    fn()
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 1024 / 1024, result


def _bytes_per_entry(make: t.Callable[[], t.Any], n: int) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    obj = make()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del obj
    return (after - before) / n


def measure(n: int = 100_000, repeats: int = 3) -> dict[str, t.Any]:
    _plan, _tree, _manifest = _engine()
    local, remote, manifest = build(n)
    k = n // 100
    rels = sorted(local)
    changed_local = dict(local)
    for rel in rels[:k]:  # same size, new inode change time: the manifest no longer vouches
        e = local[rel]
        changed_local[rel] = _tree.Entry(rel, e.size, e.mtime_ns - 10 ** 15, None, e.ctime_ns + 10 ** 9, e.ino)
    for rel in rels[k:2 * k]:
        del changed_local[rel]
    for i in range(k):
        rel = f"new/file-{i:06d}.bin"
        changed_local[rel] = _tree.Entry(rel, 4096, 0, None, 0, 0)
    cases = []
    for name, kwargs in (
            ("no-op push, manifest vouches for every path", dict(src=local, dst=remote, manifest=manifest)),
            ("push without a manifest (every path to verify)", dict(src=local, dst=remote, manifest=None)),
            ("push after 1% changed, 1% deleted, 1% added", dict(src=changed_local, dst=remote, manifest=manifest)),
            ("no-op pull, manifest vouches for every path", dict(src=remote, dst=local, manifest=manifest))):
        push = not name.startswith("no-op pull")
        seconds, peak, plan = _timed(lambda kw=kwargs, p=push: _make_plan(kw["src"], kw["dst"], p, kw["manifest"]),
                                     repeats)
        cases.append({"name": name, "seconds": seconds, "peak_mib": peak, "actions": len(plan.actions),
                      "verify": len(plan.verify), "unchanged": len(plan.unchanged)})

    def local_tree() -> dict:
        return {(r := _relpath(i)): _tree.Entry(r, 1024 + i, 1_700_000_000_000_000_000 + i, None,
                                                1_700_000_000_000_000_005 + i, 1_000_000 + i) for i in range(n)}

    def s3_tree() -> dict:
        return {(r := _relpath(i)): _tree.Entry(r, 1024 + i, 1_700_000_000_000_000_000 + i,
                                                f"{(i * 2654435761) % (1 << 128):032x}") for i in range(n)}

    def records() -> dict:
        record = _records().Record
        return {(r := _relpath(i)): record(1024 + i, 1_700_000_000_000_000_000 + i, 1_700_000_000_000_000_005 + i,
                                           1_000_000 + i, f"{(i * 2654435761) % (1 << 128):032x}") for i in range(n)}

    per_entry = {
        "local tree entry (relpath key + Entry with ints)": _bytes_per_entry(local_tree, n),
        "S3 tree entry (relpath key + Entry with ETag string)": _bytes_per_entry(s3_tree, n),
        "manifest record (relpath key + Record)": _bytes_per_entry(records, n),
    }
    per_entry["all three (what a push or pull holds per path)"] = sum(per_entry.values())
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.json")
        start = time.perf_counter()
        _manifest.save(path, _manifest.LOCAL_S3, manifest, {"map": "bench"}, len(manifest))
        save_s = time.perf_counter() - start
        start = time.perf_counter()
        loaded = _manifest.load(path, _manifest.LOCAL_S3).records
        load_s = time.perf_counter() - start
        size = os.path.getsize(path)
    notes = [f"Manifest file of {n:,} records: {size / 1024 / 1024:.1f} MiB, save {save_s:.2f} s, "
             f"load {load_s:.2f} s ({len(loaded):,} records)."]
    return {"entries": n, "repeats": repeats, "cases": cases, "bytes_per_entry": per_entry, "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000), indent=1))
