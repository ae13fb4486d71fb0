# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the map does not own but stands in the way of its transfers (pure).

**PRIVATE**: this module is internal to the s32s.sync collection.

A transfer to ``vhosts/main.conf`` needs ``vhosts`` to be a directory; a
transfer to ``conf`` needs ``conf`` not to be one. A directory map owns
everything of its destination that is not ignored: what is in the way is a
type change it deletes first (``plan.py``, ``docs/safety.md``). What the map
does not own is never deleted: a path outside a ``files`` map's list, a
FIFO, socket or device. Such an obstacle fails the map while it is planned,
before any change of the run, and check mode reports the same failure
(before, the transfers ran and one of them failed halfway). An ignored path
is never the parent of a target: a rule that matches a directory ignores
everything below it, on both sides (``config/ignore.py``).
"""

from __future__ import annotations

import typing as t

from ..sides.tree import Tree
from .plan import DELETE, TRANSFERS, Plan


class Obstacle(t.NamedTuple):
    """``target`` cannot be written because of ``path`` on the destination, which is ``what``."""

    target: str
    path: str
    what: str


def _parents(relpath: str) -> t.Iterator[str]:
    """``a/b/c`` -> ``a/b``, ``a``."""
    while "/" in relpath:
        relpath = relpath.rpartition("/")[0]
        yield relpath


def unowned_obstacles(plan: Plan, dst: Tree, *, files_map: bool, local: bool = True) -> list[Obstacle]:
    """The obstacles of ``plan``'s transfers that the map does not own.

    - a parent directory of a target is a file or symlink of the destination
      listing that the plan keeps (a ``files`` map keeps every path it does
      not list), or, on a local destination, a skipped or rejected path (FIFO,
      socket, device, unsafe name);
    - a target of a ``files`` map is a directory of the destination (or
      holds objects below ``target/``).

    :param files_map: the map is a ``files`` map (it owns only its list).
    :param local: the destination is a local directory (on S3 a key rejected
        beside keys below it is kept and the rest of the map proceeds, ``docs/safety.md``).
    :returns: the obstacles, sorted.
    """
    targets = sorted(a.relpath for a in plan.actions if a.kind in TRANSFERS)
    if not targets:
        return []
    deleted = {a.relpath for a in plan.actions if a.kind == DELETE}
    unlisted = dict(dst.skipped + dst.rejected) if local else {}
    below: t.Optional[set[str]] = None
    found: list[Obstacle] = []
    for target in targets:
        for parent in _parents(target):
            entry = dst.entries.get(parent)
            if entry is not None and parent not in deleted and files_map:
                what = "a symlink" if entry.size < 0 else "a file"
                found.append(Obstacle(target, parent, f"{what} the map does not own (not in its files)"))
            elif parent in unlisted:
                found.append(Obstacle(target, parent, f"skipped ({unlisted[parent]})"))
        if files_map:
            if below is None:
                below = {p for relpath in dst.entries for p in _parents(relpath)}
            if target in dst.dirs or target in below:
                found.append(Obstacle(target, target, "a directory the map does not own (not in its files)"))
    return sorted(set(found))


def obstacle_message(label: str, obstacles: t.Sequence[Obstacle]) -> str:
    """One line for a refusal: the first obstacle and the count."""
    first = obstacles[0]
    if first.path == first.target:
        where = f"on the destination it is {first.what}"
    else:
        where = f"on the destination {first.path!r} is {first.what}, not a directory"
    more = f" ({len(obstacles)} path(s) blocked)" if len(obstacles) > 1 else ""
    return f"{label}: cannot write {first.target!r}: {where}{more}"


__all__ = ["Obstacle", "unowned_obstacles", "obstacle_message"]
