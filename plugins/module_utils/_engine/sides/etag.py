# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ETags: the part-size policy and the local computation of an ETag.

**PRIVATE**: this module is internal to the s32s.sync collection.

A single-part ETag is the MD5 of the content. A multipart ETag is
``md5(md5(part1) + md5(part2) + ...)-N`` and depends on the part size
(S3 user guide, "Checking object integrity"). This product uploads files of
``MULTIPART_THRESHOLD`` bytes or more in parts of :func:`part_size_for` bytes,
the same rule as s3transfer's ``ChunksizeAdjuster`` (8 MiB, doubled until at
most 10,000 parts), so the ETag of everything it writes can be recomputed
locally. For objects written by other tools, common part sizes are tried.
SSE-KMS and SSE-C ETags are not MD5s (:func:`etag_is_content_md5` tells from
a GET, HEAD or PUT answer; a listing cannot tell): a content check against
one never matches, which costs a transfer (and the manifest then remembers
the ETag), never a wrong result; a download is not checked against one.
"""

from __future__ import annotations

import hashlib
import re
import typing as t

MiB = 1024 * 1024
#: Files of at least this many bytes are uploaded as multipart (bytes).
MULTIPART_THRESHOLD = 8 * MiB
#: Base part size (bytes), as s3transfer's default ``multipart_chunksize``.
PART_SIZE = 8 * MiB
MAX_PARTS = 10000
#: Part sizes (bytes) tried for multipart ETags of other tools
#: (aws cli 8 MiB, rclone 5 MiB, s5cmd 50 MiB, and common round sizes).
COMMON_PART_SIZES = tuple(n * MiB for n in (5, 8, 10, 15, 16, 25, 32, 50, 64, 100, 128, 256, 512))
_READ = 1 * MiB
_MD5_RE = re.compile(r"^[0-9a-f]{32}$")
_MULTI_RE = re.compile(r"^([0-9a-f]{32})-([0-9]+)$")


def normalize_etag(etag: t.Optional[str]) -> str:
    """Strip quotes and lower-case an ETag (rclone lists them unquoted)."""
    return (etag or "").strip().strip('"').lower()


def part_size_for(size: int) -> int:
    """Return the part size in bytes this product uses for a ``size``-byte upload."""
    part = PART_SIZE
    while (size + part - 1) // part > MAX_PARTS:
        part *= 2
    return part


def is_md5_etag(etag: str) -> bool:
    """Whether a normalised ETag has the form of a plain MD5 (32 hex digits)."""
    return bool(_MD5_RE.match(etag))


def etag_is_content_md5(sse: t.Optional[str], sse_customer_algorithm: t.Optional[str]) -> bool:
    """Whether the single-part ETag of an object answered with these headers is the MD5
    of its content.

    S3 API reference, ``Object`` data type, ``ETag``: objects encrypted by
    SSE-S3 or plaintext have ETags that are an MD5 digest of their data;
    objects encrypted by SSE-C or SSE-KMS (and DSSE-KMS) do not.

    :param sse: the ``x-amz-server-side-encryption`` header (``AES256``,
        ``aws:kms``, ``aws:kms:dsse``; ``None`` or ``''``: none).
    :param sse_customer_algorithm: the
        ``x-amz-server-side-encryption-customer-algorithm`` header (SSE-C).
    """
    return not sse_customer_algorithm and (sse or "").lower() in ("", "aes256")


def is_comparable_pair(a: str, b: str) -> bool:
    """Whether two normalised ETags say something about equal content: both
    plain MD5s, or both multipart ETags (the same part size is then likely)."""
    return ("-" in a) == ("-" in b) and bool(a) and bool(b)


def _part_candidates(size: int, parts: int) -> list[int]:
    if parts == 1:  # every part size >= size gives the same ETag: hash once
        return [max(size, 1)]
    sizes = [part_size_for(size)] + list(COMMON_PART_SIZES)
    out = []
    for p in sizes:
        if p not in out and (size + p - 1) // p == parts:
            out.append(p)
    return out


def local_matches_etag(path: str, size: int, etag: str) -> bool:
    """Read ``path`` once and tell whether its content has the ETag ``etag``.

    :param size: the expected size in bytes (the caller compared sizes).
    :param etag: a normalised ETag.
    :returns: ``True`` when the MD5 (or the multipart ETag for one of the
        candidate part sizes) matches; ``False`` otherwise, including ETags
        that are not MD5-based.
    :raises OSError: the file cannot be read.
    """
    multi = _MULTI_RE.match(etag)
    if not multi and not is_md5_etag(etag):
        return False
    whole = hashlib.md5(usedforsecurity=False) if not multi else None
    parts: dict[int, list[t.Any]] = {}
    if multi:
        for p in _part_candidates(size, int(multi.group(2))):
            parts[p] = [hashlib.md5(usedforsecurity=False), 0, []]  # current hash, bytes in it, digests
        if not parts:
            return False
    with open(path, "rb") as f:
        while True:
            chunk = f.read(_READ)
            if not chunk:
                break
            if whole is not None:
                whole.update(chunk)
            for p, state in parts.items():
                view = memoryview(chunk)
                while view:
                    take = min(len(view), p - state[1])
                    state[0].update(view[:take])
                    state[1] += take
                    view = view[take:]
                    if state[1] == p:
                        state[2].append(state[0].digest())
                        state[0], state[1] = hashlib.md5(usedforsecurity=False), 0
    if whole is not None:
        return whole.hexdigest() == etag
    for p, state in parts.items():
        digests = state[2] + ([state[0].digest()] if state[1] else [])
        combined = hashlib.md5(b"".join(digests), usedforsecurity=False).hexdigest()
        if f"{combined}-{len(digests)}" == etag:
            return True
    return False


def multipart_etag(path: str, part_size: int) -> str:
    """Return the multipart ETag of ``path`` uploaded in ``part_size``-byte parts.

    :raises OSError: the file cannot be read.
    """
    digests = []
    with open(path, "rb") as f:
        while True:
            h = hashlib.md5(usedforsecurity=False)
            left = part_size
            while left:
                chunk = f.read(min(_READ, left))
                if not chunk:
                    break
                h.update(chunk)
                left -= len(chunk)
            if left == part_size:
                break
            digests.append(h.digest())
            if left:
                break
    return f"{hashlib.md5(b''.join(digests), usedforsecurity=False).hexdigest()}-{len(digests)}"


__all__ = ["etag_is_content_md5", "is_comparable_pair", "normalize_etag", "part_size_for", "is_md5_etag",
           "local_matches_etag", "multipart_etag",
           "MULTIPART_THRESHOLD", "PART_SIZE"]
