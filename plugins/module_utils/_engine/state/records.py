# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records: what this product last saw in sync for one relpath.

**PRIVATE**: this module is internal to the s32s.sync collection.

A record is a cache entry of the manifest (``manifest.py``): it may prove two
entries equal without reading them; losing it only costs work (promise 10 of
``docs/safety.md``: the manifest is a cache).
"""

from __future__ import annotations

import typing as t

from ..sides.tree import Entry


class Record(t.NamedTuple):
    """A local file and an S3 object proven to hold the same bytes.

    ``size`` bytes; ``mtime_ns`` / ``ctime_ns`` (ns since the epoch) and
    ``ino`` of the local file; ``etag`` of the object (no quotes, lower case).

    Optional fields (issue 15 point 3; a manifest without them loads with the
    defaults): ``mode``, the permission bits the object's metadata carries
    (``sides/modes.py``; ``-1`` not known, ``-2`` none) and ``s3_mtime_ns``,
    the object's LastModified (ns) when that mode was read (``0``: written by
    this product's push, which knows what it sent). A listing that shows
    another LastModified makes the recorded mode unknown again (a CopyObject
    that changed the metadata keeps the ETag but not LastModified).
    """

    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    etag: str
    mode: int = -1
    s3_mtime_ns: int = 0

    def vouches_for(self, local: Entry, remote: Entry) -> bool:
        """Whether this record proves ``local`` and ``remote`` hold the same bytes.

        The inode change time moves on every write, even one that puts an old
        mtime back, so a same-size edit is never vouched for.
        """
        return (self.size == local.size == remote.size and self.mtime_ns == local.mtime_ns
                and self.ctime_ns == local.ctime_ns and self.ino == local.ino and self.etag == remote.etag)


def recorded_mode(record: t.Optional[Record], remote: Entry, same_content: bool = False) -> int:
    """The mode ``record`` knows for the object ``remote`` (a listing entry):
    its ``mode`` when the ETag is the same (or ``same_content``: a content
    check just proved the bytes equal, the ETag being of another form, e.g. a
    multipart ETag recorded, a full MD5 listed) and LastModified is the one
    recorded (or none was recorded), else ``-1`` (not known: read it with one HeadObject)."""
    if record is None or record.mode == -1 or (record.etag != remote.etag and not same_content):
        return -1
    if record.s3_mtime_ns and record.s3_mtime_ns != remote.mtime_ns:
        return -1
    return record.mode


class ReplicaRecord(t.NamedTuple):
    """An object copied between two stores: the source ETag read and the
    destination ETag obtained (both normalised). Stores whose ETags are not
    MD5s, or multipart ETags of other part sizes, stay comparable through it."""

    src_etag: str
    dst_etag: str


__all__ = ["Record", "ReplicaRecord", "recorded_mode"]
