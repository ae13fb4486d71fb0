# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks after each run: same keys, sizes and content on both sides.

The S3 side is read with a direct boto3 client after the run's request window is
closed, so these requests are never counted.  Content is proven by the ETag when it
is an MD5 (single-part objects; rclone lists the full MD5 for every object), by
recomputing a multipart ETag from the local file for the part sizes that give the
listed part count, and otherwise by reading the object (GET + MD5).
"""

from __future__ import annotations

import hashlib
import os
import re
import typing as t

from datasets import MIB, Expected, md5_file

_MD5_RE = re.compile(r"^[0-9a-f]{32}$")
_MPU_RE = re.compile(r"^([0-9a-f]{32})-(\d+)$")
MAX_REPORTED = 5


def list_bucket(client: t.Any, bucket: str, prefix: str) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", ()):
            out[obj["Key"][len(prefix):]] = (int(obj["Size"]), obj.get("ETag", "").strip('"').lower())
    return out


def multipart_etag(path: str, part: int) -> str:
    digests = []
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(part), b""):
            digests.append(hashlib.md5(chunk, usedforsecurity=False).digest())
    return f"{hashlib.md5(b''.join(digests), usedforsecurity=False).hexdigest()}-{len(digests)}"


def part_size_candidates(size: int, parts: int, limit: int = 6) -> list[int]:
    """Part sizes (whole MiB or whole MB) that split ``size`` bytes into ``parts`` parts."""
    if parts <= 1:
        return [max(size, 1)]
    low = -(-size // parts)  # smallest part size giving `parts` parts
    high = -(-size // (parts - 1))  # part sizes >= this give fewer parts
    found = []
    for unit in (MIB, 1_000_000):
        p = -(-low // unit) * unit
        while p < high and len(found) < limit:
            if p not in found:
                found.append(p)
            p += unit
    return found[:limit]


def _object_md5(client: t.Any, bucket: str, key: str) -> str:
    h = hashlib.md5(usedforsecurity=False)
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    for chunk in body.iter_chunks(4 * MIB):
        h.update(chunk)
    return h.hexdigest()


def verify_bucket(client: t.Any, bucket: str, prefix: str, expected: Expected,
                  local_root: str | None = None) -> list[str]:
    """Problems of ``s3://bucket/prefix`` against ``expected`` (``[]``: correct)."""
    actual = list_bucket(client, bucket, prefix)
    problems = _compare_keys(expected, {k: v[0] for k, v in actual.items()})
    for rel in sorted(set(expected) & set(actual)):
        size, md5 = expected[rel]
        if actual[rel][0] != size:
            continue  # already reported
        etag = actual[rel][1]
        if _MD5_RE.match(etag):
            ok = etag == md5
        else:
            m = _MPU_RE.match(etag)
            ok = False
            if m and local_root and os.path.exists(os.path.join(local_root, rel)) \
                    and md5_file(os.path.join(local_root, rel)) == md5:
                ok = any(multipart_etag(os.path.join(local_root, rel), p) == etag
                         for p in part_size_candidates(size, int(m.group(2))))
            if not ok:
                ok = _object_md5(client, bucket, prefix + rel) == md5
        if not ok:
            problems.append(f"content differs: {rel}")
    return problems


def verify_local(root: str, expected: Expected) -> list[str]:
    """Problems of the local directory ``root`` against ``expected`` (``[]``: correct)."""
    actual: dict[str, int] = {}
    paths: dict[str, str] = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            actual[rel] = os.lstat(path).st_size
            paths[rel] = path
    problems = _compare_keys(expected, actual)
    for rel in sorted(set(expected) & set(actual)):
        if actual[rel] == expected[rel][0] and md5_file(paths[rel]) != expected[rel][1]:
            problems.append(f"content differs: {rel}")
    return problems


def _compare_keys(expected: Expected, actual: t.Mapping[str, int]) -> list[str]:
    problems = []
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    if missing:
        problems.append(f"{len(missing)} missing (e.g. {missing[:MAX_REPORTED]})")
    if extra:
        problems.append(f"{len(extra)} extra (e.g. {extra[:MAX_REPORTED]})")
    wrong = sorted(r for r in set(expected) & set(actual) if actual[r] != expected[r][0])
    if wrong:
        problems.append(f"{len(wrong)} with a wrong size (e.g. {wrong[:MAX_REPORTED]})")
    return problems


def summarize(problems: list[str]) -> str:
    content = [p for p in problems if p.startswith("content differs")]
    other = [p for p in problems if not p.startswith("content differs")]
    if content:
        other.append(f"{len(content)} with different content (e.g. "
                     f"{[p.split(': ', 1)[1] for p in content[:MAX_REPORTED]]})")
    return "; ".join(other)
