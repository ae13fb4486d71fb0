# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Trees: what one side of a sync holds.

**PRIVATE**: this module is internal to the s32s.sync collection.

A :class:`Tree` maps *relpaths* (``a/b.txt``, relative to the map root or to
``prefix/``) to :class:`Entry` objects, and records what was seen but not
listed: skipped paths (special files, symlinks by policy), rejected names
(unsafe keys) and read errors. Local trees come from :func:`walk_local`
(this file); S3 trees from ``_s3store.S3Store.list_tree``.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import typing as t

from ._errors import ConfigError
from ._ignore import IgnoreRules
from ._paths import is_within, unsafe_reason

#: Name of the temporary files that pull writes before renaming them into
#: place; leftovers of an interrupted run are removed by the next real run.
TEMP_NAME_RE = re.compile(r"^\.s32s-tmp-[0-9a-f]{16}$")

FOLLOW_INSIDE_ROOT = "inside_root"
FOLLOW_ALWAYS = "always"
FOLLOW_NEVER = "never"
FOLLOW_CHOICES = (FOLLOW_INSIDE_ROOT, FOLLOW_ALWAYS, FOLLOW_NEVER)


class Entry:
    """One file (local) or object (S3).

    :ivar relpath: ``/``-separated path relative to the root or ``prefix/``.
    :ivar size: bytes.
    :ivar mtime_ns: modification time in ns since the epoch (S3: LastModified).
    :ivar etag: S3 ETag without quotes, lower case; ``None`` for local files.
    :ivar ctime_ns: local inode change time in ns (``0`` on S3).
    :ivar ino: local inode number (``0`` on S3).
    """

    __slots__ = ("relpath", "size", "mtime_ns", "etag", "ctime_ns", "ino")

    def __init__(self, relpath: str, size: int, mtime_ns: int, etag: t.Optional[str] = None,
                 ctime_ns: int = 0, ino: int = 0) -> None:
        self.relpath = relpath
        self.size = size
        self.mtime_ns = mtime_ns
        self.etag = etag
        self.ctime_ns = ctime_ns
        self.ino = ino

    def __repr__(self) -> str:
        return f"Entry({self.relpath!r}, size={self.size}, etag={self.etag!r})"


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


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


def walk_local(root: str, ignore: IgnoreRules, follow_symlinks: str = FOLLOW_INSIDE_ROOT,
               must_exist: bool = True) -> Tree:
    """List the regular files under ``root`` with ``os.scandir``, recursively.

    Ignored paths are not descended into nor stat'ed. FIFOs, sockets and
    devices are skipped and reported, never opened (issue 4, point 7).
    Symlinks follow ``follow_symlinks``: ``inside_root`` follows links whose
    target resolves inside ``root`` and skips the others; ``always`` follows
    every link; ``never`` skips every link. Broken links are skipped and
    reported, never an exception. Directory loops are cut.

    :param root: absolute directory; a symlink to a directory is fine.
    :param must_exist: when ``True`` a missing ``root`` raises; otherwise it
        gives an empty tree (a pull into a new directory).
    :raises ConfigError: ``root`` is missing (when it must exist) or not a directory.
    """
    tree = Tree()
    try:
        real_root = os.path.realpath(root)
        st = os.stat(real_root)
    except FileNotFoundError:
        if must_exist:
            raise ConfigError(f"local directory {root} does not exist") from None
        return tree
    except OSError as e:
        raise ConfigError(f"local directory {root} cannot be read: {e.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"local path {root} is not a directory")
    # A loop is a directory that is one of its own ancestors; two names for
    # one directory (a link beside its target) are not a loop.
    stack = [("", real_root, frozenset({(st.st_dev, st.st_ino)}))]
    while stack:
        rel_dir, abs_dir, ancestors = stack.pop()
        try:
            with os.scandir(abs_dir) as it:
                items = list(it)
        except OSError as e:
            tree.errors.append((rel_dir or ".", f"cannot list directory: {e.strerror}"))
            continue
        for item in items:
            name = item.name
            relpath = _join(rel_dir, name)
            if TEMP_NAME_RE.match(name):
                tree.temp_files.append(relpath)
                continue
            reason = unsafe_reason(relpath)
            if reason:
                tree.rejected.append((relpath.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), reason))
                continue
            if ignore.matches(relpath):
                tree.ignored += 1
                tree.ignored_in.add(rel_dir)
                continue
            try:
                st = item.stat(follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    if follow_symlinks == FOLLOW_NEVER:
                        tree.skipped.append((relpath, "symlink (follow_symlinks=never)"))
                        continue
                    target = os.path.realpath(item.path)
                    if follow_symlinks == FOLLOW_INSIDE_ROOT and not is_within(real_root, target):
                        tree.skipped.append((relpath, "symlink leaving the root"))
                        continue
                    try:
                        st = os.stat(item.path)
                    except OSError as e:
                        if e.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
                            raise
                        tree.skipped.append((relpath, "broken symlink"))
                        continue
            except OSError as e:
                tree.errors.append((relpath, f"cannot stat: {e.strerror}"))
                continue
            mode = st.st_mode
            if stat.S_ISDIR(mode):
                key = (st.st_dev, st.st_ino)
                if key in ancestors:
                    tree.skipped.append((relpath, "directory loop"))
                    continue
                tree.dirs.add(relpath)
                stack.append((relpath, item.path, ancestors | {key}))
            elif stat.S_ISREG(mode):
                tree.entries[relpath] = Entry(relpath, st.st_size, st.st_mtime_ns, None, st.st_ctime_ns, st.st_ino)
            else:
                tree.skipped.append((relpath, "not a regular file (FIFO, socket or device)"))
    return tree


def walk_dest_local(root: str, ignore: IgnoreRules) -> Tree:
    """List a pull destination: like :func:`walk_local` with symlinks never
    followed; a symlink is listed as an entry of its own (so that it can be
    replaced or unlinked, never its target). A missing ``root`` is an empty tree.
    """
    tree = walk_local(root, ignore, FOLLOW_NEVER, must_exist=False)
    links = [p for p, r in tree.skipped if r.startswith("symlink")]
    tree.skipped = [(p, r) for p, r in tree.skipped if not r.startswith("symlink")]
    real_root = os.path.realpath(root)
    for relpath in links:
        st = os.lstat(os.path.join(real_root, *relpath.split("/")))
        tree.entries[relpath] = Entry(relpath, -1, st.st_mtime_ns, None, st.st_ctime_ns, st.st_ino)
    return tree


__all__ = ["Entry", "Tree", "walk_local", "walk_dest_local", "TEMP_NAME_RE", "FOLLOW_CHOICES",
           "FOLLOW_INSIDE_ROOT", "FOLLOW_ALWAYS", "FOLLOW_NEVER"]
