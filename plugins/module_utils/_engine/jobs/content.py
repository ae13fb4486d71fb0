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


def hash_against(pairs: t.Sequence[tuple[str, str]], local_side: t.Any, local: Tree,
                 workers: int) -> t.Iterator[tuple[tuple[str, str], t.Optional[bool], str]]:
    """Hash the local file of each ``(relpath, etag)`` pair against that ETag, on ``workers`` threads.

    :returns: per pair, in order: ``(pair, matches, '')``, or ``(pair, None,
        'cannot read: <reason>')`` when the file cannot be read.
    """
    def check(pair: tuple[str, str]) -> tuple[tuple[str, str], t.Optional[bool], str]:
        relpath, etag = pair
        try:
            return pair, local_matches_etag(local_side.path(relpath), local.entries[relpath].size, etag), ""
        except OSError as e:
            return pair, None, f"cannot read: {e.strerror}"

    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(check, pairs)


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
    pairs = [(relpath, remote.entries[relpath].etag or "") for relpath in relpaths]
    for (relpath, _etag), same, err in hash_against(pairs, local_side, local, workers):
        if same is None and local_is_source:
            unreadable[relpath] = err
        else:
            checked[relpath] = bool(same)
    return checked, unreadable


__all__ = ["check_contents", "hash_against"]
