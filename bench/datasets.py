# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Datasets made with a fixed seed, their expected content, and the 1%/1%/1% change.

* ``small``: 5,000 files of 1-16 KiB in directories 1 to 3 levels deep.
* ``mixed``: 500 files of 1 KiB-2 MiB (log-uniform) plus four 64 MiB files.
* ``large``: 20,000 files of 1-16 KiB (issue 7, point 3: a real run of at least 20,000 files).
* ``huge``: 100,000 files of 1-4 KiB (issue 16, point 5: push, no-op and pull at scale; needs a quiet
  machine: ``make bench BENCH_DATASETS=huge BENCH_RUNS=1 BENCH_ARGS='--servers rclone --tools ours,rclone-fc,s5cmd'``).

``scale`` multiplies the file counts (and the 64 MiB size, never below 12 MiB so
that the big files stay multipart) to iterate quickly.  Every file gets the mtime
``BASE_MTIME``; a changed file gets the same size, new bytes and an mtime 30 days
*older* than before.  A tree's expected content is ``{relpath: (size, md5 hex)}``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import typing as t

GENERATOR_VERSION = 2
SEED = 20261129
BASE_MTIME = 1_700_000_000  # 2023-11-14
OLDER_S = 30 * 86400
KIB, MIB = 1024, 1024 * 1024
_EXTS = (".html", ".css", ".js", ".json", ".png", ".txt", ".bin")

Expected = t.Dict[str, t.Tuple[int, str]]


class Spec(t.NamedTuple):
    name: str
    files: int
    min_size: int
    max_size: int
    big_files: int
    big_size: int


SPECS = {
    "small": Spec("small", 5000, 1 * KIB, 16 * KIB, 0, 0),
    "mixed": Spec("mixed", 500, 1 * KIB, 2 * MIB, 4, 64 * MIB),
    "large": Spec("large", 20000, 1 * KIB, 16 * KIB, 0, 0),
    "huge": Spec("huge", 100000, 1 * KIB, 4 * KIB, 0, 0),
}


def scaled(spec: Spec, scale: float) -> Spec:
    if scale == 1:
        return spec
    big = max(12 * MIB, int(spec.big_size * scale) // MIB * MIB) if spec.big_files else 0
    return spec._replace(files=max(20, round(spec.files * scale)), big_size=big)


def _size(rng: random.Random, spec: Spec) -> int:
    if spec.max_size <= 16 * KIB:
        return rng.randint(spec.min_size, spec.max_size)
    return int(math.exp(rng.uniform(math.log(spec.min_size), math.log(spec.max_size))))


def _dirs(rng: random.Random, count: int) -> list[str]:
    """About ``count`` directories, 1 to 3 levels deep."""
    dirs: list[str] = []
    for a in range(max(2, count // 12)):
        top = f"d{a:02d}"
        dirs.append(top)
        for b in range(rng.randint(2, 5)):
            mid = f"{top}/s{b}"
            dirs.append(mid)
            for c in range(rng.randint(0, 2)):
                dirs.append(f"{mid}/t{c}")
    return dirs


def random_bytes(rng: random.Random, size: int) -> bytes:
    return rng.randbytes(size)


def _write(path: str, data: bytes, mtime: int) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (mtime, mtime))


def md5_file(path: str) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(4 * MIB), b""):
            h.update(chunk)
    return h.hexdigest()


def ensure(name: str, scale: float, root: str) -> tuple[str, Expected]:
    """Generate (once) the golden copy of a dataset; return ``(directory, expected)``."""
    spec = scaled(SPECS[name], scale)
    base = os.path.join(root, f"{name}-x{scale:g}")
    golden, meta = os.path.join(base, "golden"), os.path.join(base, "expected.json")
    try:
        with open(meta, encoding="utf-8") as f:
            data = json.load(f)
        if data["version"] == GENERATOR_VERSION and data["spec"] == list(spec):
            return golden, {k: (v[0], v[1]) for k, v in data["files"].items()}
    except (OSError, ValueError, KeyError):
        pass
    shutil.rmtree(base, ignore_errors=True)
    rng = random.Random(f"{SEED}-{name}")
    dirs = _dirs(rng, max(20, spec.files // 50))
    expected: Expected = {}
    for i in range(spec.files):
        rel = f"{rng.choice(dirs)}/f{i:05d}{rng.choice(_EXTS)}"
        data = random_bytes(rng, _size(rng, spec))
        _write(os.path.join(golden, rel), data, BASE_MTIME)
        expected[rel] = (len(data), hashlib.md5(data, usedforsecurity=False).hexdigest())
    for i in range(spec.big_files):
        rel = f"big/blob-{i}.bin"
        data = random_bytes(rng, spec.big_size)
        _write(os.path.join(golden, rel), data, BASE_MTIME)
        expected[rel] = (len(data), hashlib.md5(data, usedforsecurity=False).hexdigest())
        del data
    with open(meta, "w", encoding="utf-8") as f:
        json.dump({"version": GENERATOR_VERSION, "spec": list(spec), "files": expected}, f)
    return golden, expected


class Change(t.NamedTuple):
    """The 1%/1%/1% change: ``changed`` keep their size, ``deleted`` go, ``added`` are new."""

    changed: list[str]
    deleted: list[str]
    added: list[tuple[str, int]]


def plan_change(name: str, expected: Expected) -> Change:
    """The same change for every tool and run (seeded by the dataset name)."""
    rng = random.Random(f"{SEED}-{name}-change")
    paths = sorted(expected)
    n = max(1, round(len(paths) / 100))
    picked = rng.sample(paths, 2 * n)
    changed, deleted = sorted(picked[:n]), sorted(picked[n:])
    spec = SPECS[name]
    dirs = sorted({p.rsplit("/", 1)[0] for p in paths})
    added = [(f"{rng.choice(dirs)}/new-{i:04d}.bin", _size(rng, spec)) for i in range(n)]
    return Change(changed, deleted, sorted(added))


def change_bytes(name: str, relpath: str, size: int) -> bytes:
    """New content of a changed or added path (deterministic)."""
    return random_bytes(random.Random(f"{SEED}-{name}-bytes-{relpath}"), size)


def apply_local(name: str, root: str, expected: Expected, change: Change) -> Expected:
    """Make the change in a local tree: in-place same-size rewrite with an older mtime,
    deletions, additions.  Returns the new expected content."""
    new = dict(expected)
    for rel in change.changed:
        path = os.path.join(root, rel)
        st = os.stat(path)
        data = change_bytes(name, rel, st.st_size)
        with open(path, "r+b") as f:
            f.write(data)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - OLDER_S * 1_000_000_000))
        new[rel] = (len(data), hashlib.md5(data, usedforsecurity=False).hexdigest())
    for rel in change.deleted:
        os.unlink(os.path.join(root, rel))
        del new[rel]
    for rel, size in change.added:
        data = change_bytes(name, rel, size)
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        new[rel] = (len(data), hashlib.md5(data, usedforsecurity=False).hexdigest())
    return new


def apply_bucket(name: str, client: t.Any, bucket: str, prefix: str, expected: Expected,
                 change: Change) -> Expected:
    """Make the same change on the bucket with boto3: changed objects are rewritten
    with the same size and ``x-amz-meta-mtime`` 30 days older than the original
    mtime (rclone's modtime convention; rclone serve s3 also sets LastModified from it)."""
    new = dict(expected)
    old_mtime = f"{BASE_MTIME - OLDER_S}.000000000"
    for rel in change.changed:
        data = change_bytes(name, rel, expected[rel][0])
        client.put_object(Bucket=bucket, Key=prefix + rel, Body=data, Metadata={"mtime": old_mtime})
        new[rel] = (len(data), hashlib.md5(data, usedforsecurity=False).hexdigest())
    if change.deleted:
        client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": prefix + r} for r in change.deleted],
                                                     "Quiet": True})
        for rel in change.deleted:
            del new[rel]
    for rel, size in change.added:
        data = change_bytes(name, rel, size)
        client.put_object(Bucket=bucket, Key=prefix + rel, Body=data)
        new[rel] = (len(data), hashlib.md5(data, usedforsecurity=False).hexdigest())
    return new


def copy_tree(src: str, dst: str) -> None:
    """A fresh copy (new inodes, mtimes kept)."""
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
