# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Relative paths, S3 keys and containment on disk.

**PRIVATE**: this module is internal to the s32s.sync collection.

Every entry of a tree is named by a *relpath*: the path relative to the map
root (or to ``prefix/`` on S3), ``/``-separated. A relpath is *safe* when it
cannot name anything outside its root, whatever the store does with it.
Keys that are not safe are never written, read or deleted: they are skipped
and reported as ``rejected`` (promise 2 of ``docs/safety.md``).
"""

from __future__ import annotations

import os
import re
import stat
import typing as t

#: U+0000-U+001F and U+007F: one regex search per path is about 10 times cheaper than a
#: Python test per character (every listed key and walked file goes through it: bench/FINDINGS.md)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class LocalRoot(t.NamedTuple):
    """The address of a local side: an absolute directory ``path``."""

    path: str


def unsafe_reason(relpath: str) -> t.Optional[str]:
    """Return why ``relpath`` is not a safe relative path, or ``None``.

    Refused: empty paths, a leading ``/``, empty segments (``a//b``, a
    trailing ``/``), ``.`` and ``..`` segments, backslashes, NUL and other
    control characters (U+0000-U+001F, U+007F), and lone surrogates (bytes
    that were not valid UTF-8 in a local file name).
    """
    if not relpath:
        return "empty path"
    if relpath.startswith("/"):
        return "leading '/'"
    if "\\" in relpath:
        return "backslash"
    if _CONTROL_RE.search(relpath):
        return "control character"
    try:
        relpath.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid UTF-8"
    for segment in relpath.split("/"):
        if segment == "":
            return "empty segment ('//' or trailing '/')"
        if segment in (".", ".."):
            return f"'{segment}' segment"
    return None


def key_for(prefix: str, relpath: str) -> str:
    """Return the S3 key of ``relpath`` under ``prefix`` (``''`` or ``'a/b'``, no slashes at the ends)."""
    return f"{prefix}/{relpath}" if prefix else relpath


def local_path(root: str, relpath: str) -> str:
    """Return the local path of a *safe* ``relpath`` under the real directory ``root``."""
    return os.path.join(root, *relpath.split("/"))


def symlinked_parent(root: str, relpath: str) -> t.Optional[str]:
    """Return the first parent directory of ``relpath`` below ``root`` that is
    a symlink or not a directory, or ``None`` when every existing parent is a
    real directory.

    A write or delete under such a parent could land outside ``root``: the
    executor refuses it (promise 2 of ``docs/safety.md``). Missing parents are fine (they
    will be created as real directories).
    """
    current = root
    for segment in relpath.split("/")[:-1]:
        current = os.path.join(current, segment)
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            return None
        if not stat.S_ISDIR(st.st_mode):
            return current
    return None


def is_within(root: str, path: str) -> bool:
    """Return whether the normalised ``path`` is ``root`` or below it (both absolute)."""
    root = os.path.normpath(root)
    path = os.path.normpath(path)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def name_part(text: str, default: str = "replica") -> str:
    """``text`` fit for one part of a file name or key (a replica's name in
    conflict copies and trash folders): characters other than letters, digits,
    ``.``, ``_`` and ``-`` become ``_``; an empty result is ``default``."""
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text) or default


__all__ = ["LocalRoot", "unsafe_reason", "key_for", "local_path", "symlinked_parent", "is_within", "name_part"]
