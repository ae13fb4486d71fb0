# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Listing a local directory into a :class:`Tree`.

**PRIVATE**: this module is internal to the s32s.sync collection.
"""

from __future__ import annotations

import errno
import os
import stat
import typing as t
from sys import intern

from ..config.ignore import IgnoreRules
from ..errors import ConfigError
from ..paths import is_within, local_path, symlinked_parent, unsafe_reason
from .tree import FOLLOW_INSIDE_ROOT, FOLLOW_NEVER, TEMP_NAME_RE, Entry, Tree, local_entry


#: ``errno`` of a path removed (or whose directory was replaced) since it was listed: it is simply gone.
GONE = (errno.ENOENT, errno.ENOTDIR)


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


def walk_local(root: str, ignore: IgnoreRules, follow_symlinks: str = FOLLOW_INSIDE_ROOT,
               must_exist: bool = True) -> Tree:
    """List the regular files under ``root`` with ``os.scandir``, recursively.

    Ignored paths are not descended into nor stat'ed. FIFOs, sockets and
    devices are skipped and reported, never opened (promise 7 of ``docs/safety.md``).
    Symlinks follow ``follow_symlinks``: ``inside_root`` follows links whose
    target resolves inside ``root`` and skips the others; ``always`` follows
    every link; ``never`` skips every link. Broken links are skipped and
    reported, never an exception. Directory loops are cut. A file or directory
    removed between the listing of its directory and its ``lstat`` (or its
    own listing) is absent, as it would be in a listing made a moment later.

    :param root: absolute directory; a symlink to a directory is fine.
    :param must_exist: when ``True`` a missing ``root`` raises; otherwise it
        gives an empty tree (a pull into a new directory).
    :raises ConfigError: ``root`` is missing (when it must exist), not a
        directory, or removed while it was listed.
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
        except FileNotFoundError:
            if not rel_dir:
                raise ConfigError(f"local directory {root} vanished while it was listed") from None
            tree.dirs.discard(rel_dir)  # removed since its parent was listed: gone, with what it held
            tree.dir_attrs.pop(rel_dir, None)
            continue
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
                if e.errno in GONE:  # removed since its directory was listed: absent, as if listed a moment later
                    continue
                tree.errors.append((relpath, f"cannot stat: {e.strerror}"))
                continue
            mode = st.st_mode
            if stat.S_ISDIR(mode):
                key = (st.st_dev, st.st_ino)
                if key in ancestors:
                    tree.skipped.append((relpath, "directory loop"))
                    continue
                tree.dirs.add(relpath)
                tree.dir_attrs[relpath] = (st.st_mode & 0o7777, st.st_uid, st.st_gid)
                stack.append((relpath, item.path, ancestors | {key}))
            elif stat.S_ISREG(mode):
                # interned: the S3 tree and the manifest of the same run share this string (bench/memory.py)
                relpath = intern(relpath)
                tree.entries[relpath] = local_entry(relpath, st)
            else:
                tree.skipped.append((relpath, "not a regular file (FIFO, socket or device)"))
    return tree


def walk_dest_local(root: str, ignore: IgnoreRules) -> Tree:
    """List a pull destination: like :func:`walk_local` with symlinks never
    followed; a symlink is listed as an entry of its own (so that it can be
    replaced or unlinked, never its target). A missing ``root`` is an empty tree.
    A link removed since its directory was listed (a release's ``current``
    link being replaced) is absent, as :func:`walk_local` has it.

    :raises ConfigError: a listed link cannot be ``lstat``'ed for another reason
        (naming it; raised while planning, before any change).
    """
    tree = walk_local(root, ignore, FOLLOW_NEVER, must_exist=False)
    links = [p for p, r in tree.skipped if r.startswith("symlink")]
    tree.skipped = [(p, r) for p, r in tree.skipped if not r.startswith("symlink")]
    real_root = os.path.realpath(root)
    for relpath in links:
        try:
            st = os.lstat(os.path.join(real_root, *relpath.split("/")))
        except OSError as e:
            if e.errno in GONE:
                continue
            raise ConfigError(f"cannot read the symlink {relpath!r} in {root}: {e.strerror}") from None
        tree.entries[relpath] = Entry(relpath, -1, st.st_mtime_ns, None, st.st_ctime_ns, st.st_ino)
    return tree


def list_selected_local(root: str, relpaths: t.Iterable[str], ignore: IgnoreRules, follow_symlinks: str,
                        links_as_entries: bool) -> Tree:
    """List just ``relpaths`` under ``root`` (a targeted run), each with one
    ``lstat`` (and a ``stat`` for a symlink that is followed), by the rules of
    :func:`walk_local` (``links_as_entries``: those of :func:`walk_dest_local`).
    A path that does not exist is absent; a directory is listed in ``dirs``.
    """
    tree = Tree()
    real_root = os.path.realpath(root)
    for relpath in sorted(set(relpaths)):
        reason = unsafe_reason(relpath)
        if reason:
            tree.rejected.append((relpath, reason))
            continue
        if TEMP_NAME_RE.match(relpath.rpartition("/")[2]):
            tree.temp_files.append(relpath)
            if not links_as_entries:
                tree.skipped.append((relpath, "name reserved for pull's temporary files"))
            continue
        if ignore.matches(relpath):
            tree.ignored += 1
            continue
        path = local_path(real_root, relpath)
        try:
            if symlinked_parent(real_root, relpath):
                target = os.path.realpath(path)
                if links_as_entries or follow_symlinks == FOLLOW_NEVER or (
                        follow_symlinks == FOLLOW_INSIDE_ROOT and not is_within(real_root, target)):
                    tree.skipped.append((relpath, "below a symlink"))
                    continue
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode) and not links_as_entries:
                if follow_symlinks == FOLLOW_NEVER:
                    tree.skipped.append((relpath, "symlink (follow_symlinks=never)"))
                    continue
                if follow_symlinks == FOLLOW_INSIDE_ROOT and not is_within(real_root, os.path.realpath(path)):
                    tree.skipped.append((relpath, "symlink leaving the root"))
                    continue
                try:
                    st = os.stat(path)
                except OSError:  # as walk_local: skipped, so the other side never deletes it
                    tree.skipped.append((relpath, "broken symlink"))
                    continue
        except FileNotFoundError:
            continue
        except OSError as e:
            tree.errors.append((relpath, f"cannot stat: {e.strerror}"))
            continue
        if stat.S_ISLNK(st.st_mode):
            tree.entries[relpath] = Entry(relpath, -1, st.st_mtime_ns, None, st.st_ctime_ns, st.st_ino)
        elif stat.S_ISREG(st.st_mode):
            tree.entries[relpath] = local_entry(relpath, st)
        elif stat.S_ISDIR(st.st_mode):
            tree.dirs.add(relpath)
        else:
            tree.skipped.append((relpath, "not a regular file (FIFO, socket or device)"))
    return tree


__all__ = ["walk_local", "walk_dest_local", "list_selected_local"]
