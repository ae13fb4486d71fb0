# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 16, point 4: Python memory per tracked path of what a push or pull holds.

A no-op push of N paths holds three structures at once: the local tree, the S3
tree and the manifest's records.  This builds each the way a run does, through
the engine's own code: ``walk_local`` over N real (empty) files on disk,
``S3Store.list_tree`` over ListObjectsV2 pages of N keys (a stub client returns
the dicts botocore's parser makes: Key, LastModified, quoted ETag, Size,
StorageClass; one page of 1,000 at a time, as the real client does), and
``manifest.load`` of the manifest that ``manifest.save`` wrote for those paths.
tracemalloc counts the bytes still allocated after each step (Python
allocations, not RSS; the interpreter's table of interned strings included),
divided by N, and the peak of each step.  No Ansible, no S3 server.
"""

from __future__ import annotations

import datetime
import gc
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
import typing as t

#: The target of issue 16, point 4 (bytes per tracked path, all three structures).
TARGET_BYTES = 400
#: The number of paths of issue 16, point 4.
PATHS = 100_000
PAGE = 1000


def _engine() -> dict[str, t.Any]:
    import tools

    if tools.COLLECTIONS not in sys.path:
        sys.path.insert(0, tools.COLLECTIONS)
    base = "ansible_collections.s32s.sync.plugins.module_utils._engine"
    import importlib

    return {name: importlib.import_module(f"{base}.{name}") for name in (
        "sides.local_list", "sides.s3store", "state.manifest", "state.records", "config.ignore", "config.maps")}


def relpath_of(i: int) -> str:
    """The i-th path: 777 directories three levels deep, about 130 files each."""
    return f"d{i % 37:02d}/s{i % 7}/t{i % 3}/file-{i:06d}.html"


def etag_of(i: int) -> str:
    return f"{(i * 2654435761) % (1 << 128):032x}"


def make_files(root: str, n: int) -> None:
    """N empty files under ``root`` (the walk reads names and stat, never content)."""
    made = set()
    for i in range(n):
        rel = relpath_of(i)
        parent = rel.rpartition("/")[0]
        if parent not in made:
            os.makedirs(os.path.join(root, parent), exist_ok=True)
            made.add(parent)
        with open(os.path.join(root, rel), "wb"):
            pass


class StubListingClient:
    """``list_objects_v2`` pages of the keys ``prefix/relpath_of(i)``, in key order, as botocore returns them."""

    def __init__(self, n: int, prefix: str) -> None:
        self.keys = sorted(prefix + relpath_of(i) for i in range(n))
        self.sizes = {prefix + relpath_of(i): 1024 + (i * 7919) % 3072 for i in range(n)}
        self.etags = {prefix + relpath_of(i): etag_of(i) for i in range(n)}
        self.meta = None
        self.requests = 0

    def list_objects_v2(self, **kwargs: t.Any) -> dict[str, t.Any]:
        self.requests += 1
        start = int(kwargs.get("ContinuationToken") or 0)
        when = datetime.datetime(2026, 11, 29, 12, 0, 0, tzinfo=datetime.timezone.utc)
        contents = [{"Key": k, "LastModified": when, "ETag": f'"{self.etags[k]}"', "Size": self.sizes[k],
                     "StorageClass": "STANDARD"} for k in self.keys[start:start + PAGE]]
        more = start + PAGE < len(self.keys)
        page: dict[str, t.Any] = {"Contents": contents, "IsTruncated": more,
                                  "ResponseMetadata": {"HTTPHeaders": {"date": "Sun, 29 Nov 2026 12:00:00 GMT"}}}
        if more:
            page["NextContinuationToken"] = str(start + PAGE)
        return page


def _step(fn: t.Callable[[], t.Any]) -> tuple[t.Any, int, int, float]:
    """``(result, bytes still allocated, peak bytes above the start, CPU seconds)`` of ``fn()`` under tracemalloc."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    cpu = time.process_time()
    result = fn()
    cpu = time.process_time() - cpu
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    return result, current - before, peak - before, cpu


def measure(n: int = PATHS, workdir: t.Optional[str] = None) -> dict[str, t.Any]:
    eng = _engine()
    local_list, s3store = eng["sides.local_list"], eng["sides.s3store"]
    manifest, records_mod = eng["state.manifest"], eng["state.records"]
    ignore = eng["config.ignore"].IgnoreRules()
    location = eng["config.maps"].parse_s3_location("bench/site", "s3")
    tmp = tempfile.mkdtemp(prefix="s32s-memory-", dir=workdir)
    try:
        # the files are kept in workdir between runs (making 100,000 files takes minutes on a busy disk)
        root = os.path.join(workdir, f"memory-tree-{n}") if workdir else os.path.join(tmp, "tree")
        if not os.path.isdir(root):
            make_files(root + ".part", n)
            os.rename(root + ".part", root)
        client = StubListingClient(n, location.list_prefix)
        store = s3store.S3Store(client)  # the stub has no botocore internals: the parser hooks are left out
        tracemalloc.start()
        try:
            local, local_b, local_peak, local_cpu = _step(lambda: local_list.walk_local(root, ignore))
            remote, remote_b, remote_peak, remote_cpu = _step(lambda: store.list_tree(location, ignore))
            records = {rel: records_mod.Record(e.size, e.mtime_ns, e.ctime_ns, e.ino, remote.entries[rel].etag)
                       for rel, e in local.entries.items()}
            path = os.path.join(tmp, "manifest.json")
            tracemalloc.stop()  # writing the file is not what a no-op holds
            manifest.save(path, manifest.LOCAL_S3, records, {"map": "bench"}, n)
            del records
            tracemalloc.start()
            state, state_b, state_peak, state_cpu = _step(lambda: manifest.load(path, manifest.LOCAL_S3))
        finally:
            tracemalloc.stop()
        if not (len(local.entries) == len(remote.entries) == len(state.records) == n):
            raise RuntimeError(f"built {len(local.entries)}, {len(remote.entries)}, {len(state.records)} of {n}")
        if client.requests != -(-n // PAGE):
            raise RuntimeError(f"{client.requests} listing requests for {n} keys")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total = local_b + remote_b + state_b
    rows = [
        {"structure": "local tree (walk_local: relpath -> Entry)", "bytes_per_path": local_b / n,
         "peak_per_path": local_peak / n, "cpu_s": local_cpu},
        {"structure": "S3 tree (list_tree over 1,000-key pages)", "bytes_per_path": remote_b / n,
         "peak_per_path": remote_peak / n, "cpu_s": remote_cpu},
        {"structure": "manifest records (manifest.load)", "bytes_per_path": state_b / n,
         "peak_per_path": state_peak / n, "cpu_s": state_cpu},
    ]
    return {"paths": n, "rows": rows, "bytes_per_path": total / n, "target": TARGET_BYTES,
            "met": total / n <= TARGET_BYTES, "python": sys.version.split()[0],
            "description": " ".join(__doc__.split("\n\n")[1].split())}


if __name__ == "__main__":
    import json

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    work = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".work")
    os.makedirs(work, exist_ok=True)
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else PATHS, work), indent=1))
