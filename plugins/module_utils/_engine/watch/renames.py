# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Renames: the object of the old name is copied to the new name inside the store (no upload).

**PRIVATE**: this module is internal to the s32s.sync collection.

A rename keeps the file's inode, size and mtime. When a path that is new in
a pass has the identity that the manifest recorded for a path gone in the
same pass, and the old object is still the one the record names (its ETag),
the old object is copied server-side to the new key, as rclone does for a
move where the bytes are already there. The copy only saves the upload: the
targeted pass that follows still proves the new object equal to the file by
its content (no record vouches for it: the rename changed the ctime) and
uploads it when it differs. A key that exists is never written by a copy.
"""

from __future__ import annotations

import os
import stat
import typing as t

from ..config.maps import SyncMap
from ..errors import StoreError
from ..paths import key_for, local_path, unsafe_reason
from ..sides.s3copy import server_side_copy
from ..sides.s3store import S3Store
from ..state import manifest as _manifest


def copy_renamed(m: SyncMap, store: S3Store, state_dir: str, endpoint: str, new: t.Sequence[str],
                 gone: t.Sequence[str]) -> list[tuple[str, str]]:
    """Copy, inside the store, the objects of ``gone`` paths to the ``new`` paths renamed from them.

    :returns: ``(old relpath, new relpath)`` of each copy made; a copy that
        cannot be made is left to the pass (an upload), never raised.
    """
    path = _manifest.manifest_path(state_dir, _manifest.LOCAL_S3, _manifest.local_identity(
        endpoint, m.s3.bucket, m.s3.prefix, m.root))
    try:
        records = _manifest.load(path, _manifest.LOCAL_S3).records
    except (OSError, ValueError):
        return []
    by_identity = {}
    for relpath in gone:
        record = records.get(relpath)
        if record is not None:
            by_identity[(record.ino, record.size, record.mtime_ns)] = (relpath, record)
    copied: list[tuple[str, str]] = []
    if not by_identity:
        return copied
    bucket = m.s3.bucket
    for relpath in new:
        if unsafe_reason(relpath) or m.ignore.matches(relpath):
            continue
        try:
            st = os.lstat(local_path(m.root, relpath))
        except OSError:
            continue
        hit = by_identity.get((st.st_ino, st.st_size, st.st_mtime_ns)) if stat.S_ISREG(st.st_mode) else None
        if hit is None:
            continue
        old, record = hit
        src, dst = key_for(m.s3.prefix, old), key_for(m.s3.prefix, relpath)
        try:
            listed = store.list_one(bucket, src)
            if listed is None or listed.etag != record.etag or store.list_one(bucket, dst) is not None:
                continue
            server_side_copy(store.client, bucket, src, bucket, dst, record.size)
        except StoreError:
            continue
        copied.append((old, relpath))
    return copied


__all__ = ["copy_renamed"]
