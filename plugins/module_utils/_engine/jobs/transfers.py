# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The transfer of one file, chosen from the pair of sides.

**PRIVATE**: this module is internal to the s32s.sync collection.

As rclone's ``operations.Copy``, the executor never asks which way a run
goes: :func:`transfer_for` looks at the two sides and returns how to move
one path from the source to the destination, an upload (local to S3), a
download (S3 to local) or a copy (S3 to S3: server-side within one store,
streamed between two). Each returns the pair of entries now known to hold
the same bytes (for the state), or ``None`` when nothing proves them equal
(the next run checks the path again).

An upload compares the file's stat (size, mtime, ctime, inode) before and
after sending it: a file rewritten meanwhile may have left an object that
holds neither version (or the store refused the body, whose bytes no longer
matched the Content-MD5 hashed just before: the same case). It is uploaded
once more; a second change fails the path: the upload returns :class:`SourceChanged` (the object was replaced, so
the run did change something, but nothing is proven), and the path is never
recorded as synced. A resumable multipart upload (``sides/resumable.py``)
checks the stat before CompleteMultipartUpload and aborts instead, so that
object is not replaced.
"""

from __future__ import annotations

import time
import typing as t

from ..errors import ConfigError, StoreError
from ..plan.plan import Action
from ..sides.etag import MULTIPART_THRESHOLD, multipart_etag, part_size_for
from ..sides.local import LocalSide
from ..sides.modes import NONE, applied_mode, mode_carried_by
from ..sides.resumable import FileChanged
from ..sides.s3 import S3Side
from ..sides.s3store import SSE_C_REFUSED
from ..sides.tree import Entry, Tree

#: Attempts for one download (a body read that breaks is not retried by botocore).
DOWNLOAD_ATTEMPTS = 3
#: First pause between download attempts, doubled each time (seconds).
BACKOFF_S = 0.5
#: Attempts for one upload whose source file changes while it is sent (the second is the retry).
UPLOAD_ATTEMPTS = 2


class SourceChanged(t.NamedTuple):
    """What an upload returns when its source file changed while it was sent,
    on every attempt: the object was replaced with bytes that may match neither
    version. The executor fails the path with ``error`` (and counts the run as
    changed); the path is not recorded as synced."""

    error: str


Written = t.Optional[t.Union[t.Tuple[Entry, Entry], SourceChanged]]


class Transfer(t.NamedTuple):
    """``verb`` names it in diff lines (``upload``, ``download``, ``copy``);
    ``run(action)`` moves one path."""

    verb: str
    run: t.Callable[[Action], Written]


def _stat_changes(before: Entry, after: Entry) -> list[str]:
    """What differs between two stats of one file (``size``, ``mtime``, ``ctime``, ``inode``)."""
    pairs = (("size", before.size, after.size), ("mtime", before.mtime_ns, after.mtime_ns),
             ("ctime", before.ctime_ns, after.ctime_ns), ("inode", before.ino, after.ino))
    return [name for name, a, b in pairs if a != b]


def _upload(src: LocalSide, dst: S3Side, listing: Tree) -> t.Callable[[Action], Written]:  # pylint: disable=unused-argument
    def upload(action: Action) -> Written:
        path = src.path(action.relpath)
        changes: list[str] = []
        aborted = False
        for _attempt in range(UPLOAD_ATTEMPTS):
            before = src.stat_entry(action.relpath)
            try:
                etag = dst.upload_file(action.relpath, path, before.size, perm=before.perm)
            except FileChanged as e:  # a resumable upload checks before its Complete (nothing replaced)
                changes, aborted = e.changes, True
                continue
            except StoreError:
                # a rewrite between hashing a body (Content-MD5) and sending it makes the store
                # refuse it, or this product's ETag check: a change of the file, not of the store
                changes = _stat_changes(before, src.stat_entry(action.relpath))
                if not changes:
                    raise
                aborted = False
                continue
            aborted = False
            after = src.stat_entry(action.relpath)
            changes = _stat_changes(before, after)
            if not changes:
                break
        else:
            if aborted:
                raise OSError(f"the file changed while it was uploaded ({', '.join(changes)} differ before and "
                              f"after), on {UPLOAD_ATTEMPTS} attempts: the upload was aborted (the object was not "
                              f"replaced) and the file is not recorded as synced; the next run uploads it again")
            return SourceChanged(f"the file changed while it was uploaded ({', '.join(changes)} differ before and "
                                 f"after), on {UPLOAD_ATTEMPTS} attempts: the object may hold neither version and is "
                                 f"not recorded as synced; the next run uploads it again")
        if etag is None and after.size >= MULTIPART_THRESHOLD:
            etag = multipart_etag(path, part_size_for(after.size))
        sent = mode_carried_by(dst.attributes_for(action.relpath, before.perm))  # what the record keeps
        return (after, Entry(action.relpath, after.size, 0, etag, perm=sent)) if etag else None
    return upload


def _download(src: S3Side, dst: LocalSide, listing: Tree) -> t.Callable[[Action], Written]:
    def download(action: Action) -> Written:
        entry = listing.entries[action.relpath]
        what = f"downloading {src.display(action.relpath)}"
        found: dict[str, t.Any] = {}
        for attempt in range(DOWNLOAD_ATTEMPTS):
            try:
                local = dst.write_atomic(action.relpath, entry,
                                         lambda f: src.read_into(action.relpath, f, entry.size, found), what,
                                         source_mode=lambda: applied_mode(found.get("mode", NONE)))
                return Entry(action.relpath, entry.size, entry.mtime_ns, entry.etag,
                             perm=found.get("mode", NONE)), local
            except StoreError as e:
                if attempt + 1 == DOWNLOAD_ATTEMPTS or e.code == SSE_C_REFUSED:
                    raise
                time.sleep(BACKOFF_S * 2 ** attempt)
        raise AssertionError("unreachable")  # pragma: no cover
    return download


def _copy(src: S3Side, dst: S3Side, listing: Tree) -> t.Callable[[Action], Written]:
    def copy(action: Action) -> Written:
        entry = listing.entries[action.relpath]
        etag = dst.copy_from(src, action.relpath, entry)
        return entry, Entry(action.relpath, entry.size, 0, etag)
    return copy


def transfer_for(src: t.Any, dst: t.Any, listing: Tree) -> Transfer:
    """How to move a path of ``listing`` (the source's) from ``src`` to ``dst``.

    :raises ConfigError: no transfer exists between these two kinds of side.
    """
    if isinstance(src, LocalSide) and isinstance(dst, S3Side):
        return Transfer("upload", _upload(src, dst, listing))
    if isinstance(src, S3Side) and isinstance(dst, LocalSide):
        return Transfer("download", _download(src, dst, listing))
    if isinstance(src, S3Side) and isinstance(dst, S3Side):
        return Transfer("copy", _copy(src, dst, listing))
    raise ConfigError(f"no transfer from {type(src).__name__} to {type(dst).__name__}")


def verb_for(src: t.Any, dst: t.Any) -> str:
    """The diff verb of a create between these sides (``upload``, ``download`` or ``copy``)."""
    if isinstance(src, LocalSide):
        return "upload"
    return "download" if isinstance(dst, LocalSide) else "copy"


__all__ = ["Transfer", "transfer_for", "verb_for", "SourceChanged", "DOWNLOAD_ATTEMPTS", "BACKOFF_S", "UPLOAD_ATTEMPTS"]
