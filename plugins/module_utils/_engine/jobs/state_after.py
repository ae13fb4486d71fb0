# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the state (``state/manifest.py``) holds after a run: records and the count.

**PRIVATE**: this module is internal to the s32s.sync collection.
"""

from __future__ import annotations

import typing as t

from ..plan.plan import CREATE, DELETE, Plan
from ..sides.tree import Entry, Tree


def records_after(plan: Plan, src: Tree, dst: Tree, old: t.Mapping[str, t.Any],
                  comparator: t.Callable[[t.Mapping[str, t.Any]], t.Any],
                  written: t.Mapping[str, tuple[Entry, Entry]]) -> dict[str, t.Any]:
    """The records after a run: those of the paths proven equal (an old record
    that still vouches is kept), plus one per transfer whose result is proven.
    A targeted plan keeps the records of every path it did not select; a path
    that failed or changed meanwhile has none (the next run checks it).

    :param comparator: makes the pair's comparator from records (``runner.Pair.comparator``).
    :param written: relpath -> (source entry, destination entry) of the transfers (``Applied.written``).
    """
    records = {} if plan.only is None else {p: r for p, r in old.items() if p not in plan.only}
    proven = comparator(old)
    for relpath in plan.unchanged:
        record = proven.record(relpath, src.entries[relpath], dst.entries[relpath])
        if record is not None:
            records[relpath] = record
    fresh = comparator({})
    for relpath, (s, d) in written.items():
        record = fresh.record(relpath, s, d)
        if record is not None:
            records[relpath] = record
    return records


def listed_after(plan: Plan, src: Tree, dst: Tree, listed: t.Optional[int], applied: t.Any, *,
                 s3_destination: bool) -> t.Optional[int]:
    """The object count of the pair's S3 side after the run (the destination's,
    when both are S3), when it can be known: the budget base of later targeted
    runs (``None``: unknown).

    :param listed: the count the state held before the run.
    :param applied: the executor's ``Applied``, or ``None`` (check mode).
    """
    if not s3_destination:  # the S3 side is the source: its listing is the count
        return len(src.entries) if plan.only is None else listed
    created = len(applied.of_kind(CREATE)) if applied is not None else 0
    deleted = len(applied.of_kind(DELETE)) if applied is not None else 0
    if plan.only is None:
        return len(dst.entries) + created - deleted
    if listed is None:
        return None
    return max(0, listed + created - deleted)


__all__ = ["records_after", "listed_after"]
