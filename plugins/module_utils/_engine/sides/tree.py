# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Trees: what one side of a sync holds.

**PRIVATE**: this module is internal to the s32s.sync collection.

A :class:`Tree` maps *relpaths* (``a/b.txt``, relative to the map root or to
``prefix/``) to :class:`Entry` objects, and records what was seen but not
listed: skipped paths (special files, symlinks by policy), rejected names
(unsafe keys) and read errors. Local trees come from ``local_list.py``,
S3 trees from ``s3store.S3Store.list_tree``.
"""

from __future__ import annotations

import re
import typing as t

from ..config.options import FOLLOW_ALWAYS, FOLLOW_CHOICES, FOLLOW_INSIDE_ROOT, FOLLOW_NEVER

#: Name of the temporary files that pull writes before renaming them into
#: place; leftovers of an interrupted run are removed by the next real run.
TEMP_NAME_RE = re.compile(r"^\.s32s-tmp-[0-9a-f]{16}$")


class Entry:
    """One file (local) or object (S3).

    :ivar relpath: ``/``-separated path relative to the root or ``prefix/``.
    :ivar size: bytes.
    :ivar mtime_ns: modification time in ns since the epoch (S3: LastModified).
    :ivar etag: S3 ETag without quotes, lower case; ``None`` for local files.
    :ivar ctime_ns: local inode change time in ns (``0`` on S3).
    :ivar ino: local inode number (``0`` on S3).
    :ivar perm: permission bits (``st_mode & 0o7777``) of a local file; on S3,
        the mode the object's metadata carries (``sides/modes.py``); ``-1``
        (``modes.UNKNOWN``): not known, ``-2`` (``modes.NONE``): the object carries none.
    :ivar uid: local owner id (``-1``: not known, S3).
    :ivar gid: local group id (``-1``: not known, S3).
    """

    __slots__ = ("relpath", "size", "mtime_ns", "etag", "ctime_ns", "ino", "perm", "uid", "gid")

    def __init__(self, relpath: str, size: int, mtime_ns: int, etag: t.Optional[str] = None,
                 ctime_ns: int = 0, ino: int = 0, perm: int = -1, uid: int = -1, gid: int = -1) -> None:
        self.relpath = relpath
        self.size = size
        self.mtime_ns = mtime_ns
        self.etag = etag
        self.ctime_ns = ctime_ns
        self.ino = ino
        self.perm = perm
        self.uid = uid
        self.gid = gid

    def __repr__(self) -> str:
        return f"Entry({self.relpath!r}, size={self.size}, etag={self.etag!r})"


#: One int object per distinct mode, uid and gid of a run: a tree of 100,000 files holds a handful
#: of them (0o644, 1000...), which Python does not cache above 256 (28 bytes each per file otherwise).
_SMALL_INTS: dict[int, int] = {}


def local_entry(relpath: str, st: t.Any) -> Entry:
    """The :class:`Entry` of a local file from its ``os.stat_result`` (size, times, inode, mode, owner)."""
    perm, shared = st.st_mode & 0o7777, _SMALL_INTS.setdefault
    return Entry(relpath, st.st_size, st.st_mtime_ns, None, st.st_ctime_ns, st.st_ino, shared(perm, perm),
                 shared(st.st_uid, st.st_uid), shared(st.st_gid, st.st_gid))


class Tree:
    """The listing of one side.

    :ivar entries: relpath -> :class:`Entry` (files only).
    :ivar dirs: relpaths of directories seen (local dirs, S3 ``dir/`` markers).
    :ivar skipped: ``[(relpath, reason)]``: not transferred, never deleted on the other side.
    :ivar rejected: ``[(relpath, reason)]``: unsafe names, never touched.
    :ivar errors: ``[(relpath, reason)]``: unreadable; any error blocks the map's deletions.
    :ivar ignored: count of paths matched by ignore rules (directories count once).
    :ivar temp_files: relpaths of leftover pull temporary files (local only).
    :ivar ignored_in: relpaths of the directories that hold ignored paths (``''``: the root).
    :ivar markers: relpaths of directories named by S3 ``dir/`` marker objects (S3 only).
    :ivar dir_attrs: relpath -> ``(perm, uid, gid)`` of the directories of ``dirs`` (local only).
    """

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.dirs: set[str] = set()
        self.skipped: list[tuple[str, str]] = []
        self.rejected: list[tuple[str, str]] = []
        self.errors: list[tuple[str, str]] = []
        self.ignored = 0
        self.temp_files: list[str] = []
        self.ignored_in: set[str] = set()
        self.markers: set[str] = set()
        #: relpath -> ``(perm, uid, gid)`` of each listed directory (local only; ``dir_attrs.py``).
        self.dir_attrs: dict[str, tuple[int, int, int]] = {}

    def copy(self) -> "Tree":
        """A copy whose containers can be changed without touching this tree
        (the entries themselves are shared: they are never changed)."""
        other = Tree()
        for name, value in vars(self).items():
            setattr(other, name, value.copy() if isinstance(value, (dict, list, set)) else value)
        return other

    def holding_unlisted(self) -> set[str]:
        """Directories that hold something this tree does not list (ignored, skipped,
        rejected or unreadable paths): they are never empty."""
        held = set(self.ignored_in)
        for relpath, _why in self.skipped + self.rejected + self.errors:
            held.add(relpath.rpartition("/")[0])
        return held

    def protected(self) -> set[str]:
        """Relpaths the other side must never delete: skipped, rejected and failed paths."""
        return {p for p, _why in self.skipped + self.rejected + self.errors}


__all__ = ["Entry", "Tree", "local_entry", "TEMP_NAME_RE", "FOLLOW_CHOICES", "FOLLOW_INSIDE_ROOT", "FOLLOW_ALWAYS",
           "FOLLOW_NEVER"]
