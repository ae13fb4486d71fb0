# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Content checks: hashing local files against ETags, for a plan's ``verify``.

**PRIVATE**: this module is internal to the s32s.sync collection.
"""

from __future__ import annotations

import typing as t
from concurrent.futures import ThreadPoolExecutor

from ..sides.etag import local_matches_etag
from ..sides.tree import Tree


def check_contents(relpaths: t.Sequence[str], local_side: t.Any, local: Tree, remote: Tree, *,
                   local_is_source: bool, workers: int) -> tuple[dict[str, bool], dict[str, str]]:
    """Compare the local files of ``relpaths`` with the remote ETags, on ``workers`` threads.

    :returns: ``(checked, unreadable)``: relpath -> whether the content
        matches; relpath -> reason for the source files that could not be
        read (a destination file that cannot be read is simply replaced:
        ``checked`` says it differs).
    """
    checked: dict[str, bool] = {}
    unreadable: dict[str, str] = {}

    def check(relpath: str) -> tuple[str, t.Optional[bool], str]:
        try:
            return relpath, local_matches_etag(local_side.path(relpath), local.entries[relpath].size,
                                               remote.entries[relpath].etag or ""), ""
        except OSError as e:
            return relpath, None, f"cannot read: {e.strerror}"

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for relpath, same, err in pool.map(check, relpaths):
            if same is None and local_is_source:
                unreadable[relpath] = err
            else:
                checked[relpath] = bool(same)
    return checked, unreadable


__all__ = ["check_contents"]
