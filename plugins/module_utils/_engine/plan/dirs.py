# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Directories a destination's deletions leave empty (pure).

**PRIVATE**: this module is internal to the s32s.sync collection.
"""

from __future__ import annotations

import typing as t


def _ancestors(relpath: str) -> t.Iterator[str]:
    """``a/b/c`` -> ``a/b``, ``a``, ``''``."""
    while relpath:
        relpath = relpath.rpartition("/")[0]
        yield relpath


def dirs_emptied(dst_paths: t.Iterable[str], dst_dirs: t.AbstractSet[str], src_dirs: t.AbstractSet[str],
                 deleted: t.AbstractSet[str], holding: t.AbstractSet[str]) -> list[str]:
    """The destination directories the deletions leave empty, deepest first.

    Only directories that held a deleted path are candidates (an empty
    directory the source never had, such as a web app's cache, is left
    alone); a candidate is kept when the source has it, when a path stays
    below it, or when it holds something unlisted (``holding``: ignored,
    skipped, rejected paths).

    :param dst_paths: every listed destination relpath.
    :param deleted: the relpaths the plan deletes.
    """
    candidates = {d for p in deleted for d in _ancestors(p) if d} & set(dst_dirs) - set(src_dirs)
    if not candidates:
        return []
    blocked: set[str] = set()
    for p in dst_paths:
        if p not in deleted:
            blocked.update(_ancestors(p))
    for d in holding:
        blocked.add(d)
        blocked.update(_ancestors(d))
    for d in set(dst_dirs) - candidates:
        blocked.add(d)
        blocked.update(_ancestors(d))
    return sorted(candidates - blocked, key=lambda d: (-d.count("/"), d))


__all__ = ["dirs_emptied"]
