# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local fixes: files and directories of a pull's mirror, in sync, whose mode or owner drifted.

**PRIVATE**: this module is internal to the s32s.sync collection.

Pure functions over listings, no I/O (issue 15, point 2). On pull, like
``ansible.builtin.copy``, ``mode``, ``owner``, ``group`` and
``directory_mode`` hold for every file and directory of the mirror on every
run, not only for what the run writes: the local listing already has each
one's stat, so finding a drift costs no request. Without ``mode``, a file's
wanted mode is the one its object's metadata carries (``sides/modes.py``).
The push side's fixes (an object's attributes or recorded mode) are plan
actions of their own (``object_fixes.py``).
"""

from __future__ import annotations

import typing as t

from ..sides.tree import Tree

#: ``Fix.target``: a local file, a local directory.
FILE = "file"
DIRECTORY = "directory"


class Fix(t.NamedTuple):
    """One fix of a local file or directory.

    ``target``: :data:`FILE` or :data:`DIRECTORY`; ``mode``: permission bits
    to set (``None``: unchanged); ``uid``/``gid``: ids to set (``-1``:
    unchanged); ``ino``: the inode listed (a file; ``0`` for a directory);
    ``reason``: what changes, as diff lines show it (``mode 0640 -> 0644``).
    """

    target: str
    relpath: str
    mode: t.Optional[int]
    uid: int
    gid: int
    ino: int
    reason: str


def _changes(perm: int, uid: int, gid: int, mode: t.Optional[int], want_uid: int,
             want_gid: int) -> tuple[t.Optional[int], int, int, str]:
    """What must change from ``(perm, uid, gid)``: ``(mode, uid, gid, reason)`` (reason ``''``: nothing)."""
    parts = []
    mode = mode if mode is not None and mode != perm else None
    if mode is not None:
        parts.append(f"mode {perm:04o} -> {mode:04o}")
    want_uid = want_uid if want_uid not in (-1, uid) else -1
    if want_uid != -1:
        parts.append(f"owner {uid} -> {want_uid}")
    want_gid = want_gid if want_gid not in (-1, gid) else -1
    if want_gid != -1:
        parts.append(f"group {gid} -> {want_gid}")
    return mode, want_uid, want_gid, ", ".join(parts)


def local_fixes(dst: Tree, files: t.Iterable[str], dirs: t.Iterable[str],
                file_mode: t.Callable[[str], t.Optional[int]], directory_mode: t.Optional[int],
                uid: int = -1, gid: int = -1) -> list[Fix]:
    """The fixes that give the in-sync ``files`` and the ``dirs`` of a local
    destination ``dst`` their wanted attributes.

    :param files: relpaths of regular files in sync (``plan.unchanged``).
    :param dirs: relpaths of directories of the mirror (``dst.dirs`` that the source has too).
    :param file_mode: relpath -> the wanted permission bits (``None``: any).
    :param directory_mode: the wanted bits of a directory (``None``: any).
    :param uid: wanted owner id (``-1``: any); ``gid``: wanted group id.
    :returns: fixes in relpath order, files before directories.
    """
    out = []
    for relpath in sorted(files):
        entry = dst.entries[relpath]
        if entry.perm < 0:  # a symlink (or a stat without mode): never fixed
            continue
        mode, fix_uid, fix_gid, reason = _changes(entry.perm, entry.uid, entry.gid, file_mode(relpath), uid, gid)
        if reason:
            out.append(Fix(FILE, relpath, mode, fix_uid, fix_gid, entry.ino, reason))
    for relpath in sorted(dirs):
        attrs = dst.dir_attrs.get(relpath)
        if attrs is None:
            continue
        mode, fix_uid, fix_gid, reason = _changes(*attrs, directory_mode, uid, gid)
        if reason:
            out.append(Fix(DIRECTORY, relpath, mode, fix_uid, fix_gid, 0, reason))
    return out


__all__ = ["Fix", "local_fixes", "FILE", "DIRECTORY"]
