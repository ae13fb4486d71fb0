# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan: a pure function of two listings and a comparator.

**PRIVATE**: this module is internal to the s32s.sync collection.

No I/O happens here: :func:`make_plan` returns a complete, frozen
:class:`Plan`, exactly what check mode shows and what the executor applies.
The march (``march.py``) gives one row per relpath; what the listings prove
is settled here (a side lacks the path, the sizes differ), the comparator
(``compare.py``) answers for same-size pairs. A pair the comparator cannot
settle without reading goes to ``verify``: the job checks the content and
plans again with the answers (promise 10 of ``docs/safety.md``).
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ..sides.tree import Tree
from .compare import ADOPTED, DIFFERS, EQUAL, Comparator
from .dirs import dirs_emptied
from .march import march

CREATE = "create"
UPDATE = "update"
DELETE = "delete"
MKDIR = "mkdir"
RMDIR = "rmdir"
#: An object whose bytes are in sync gets the wanted attributes and mode (one server-side copy, ``object_fixes.py``).
ATTRIBUTES = "attributes"
#: Kinds that move content from the source to the destination.
TRANSFERS = (CREATE, UPDATE)


class Action(t.NamedTuple):
    """One step of a plan, applied to the destination side.

    ``kind``: ``create``, ``update``, ``delete`` (files or objects), ``mkdir``
    (a directory named by an S3 ``dir/`` marker) or ``rmdir`` (a directory the
    deletions leave empty); ``size``: the bytes to transfer (the source size)
    or, for a delete, the bytes removed (``0`` for directories); ``reason``:
    why (``new``, ``size 10 -> 12``, ``content differs``, ``not in source``...).
    """

    kind: str
    relpath: str
    size: int
    reason: str


@dataclass(frozen=True)
class Plan:
    """The full, frozen plan of one pair of sides.

    :ivar actions: file actions in relpath order (transfers and deletes
        together), then ``mkdir`` actions, then ``rmdir`` actions deepest first.
    :ivar verify: relpaths whose content must be checked before planning again.
    :ivar unchanged: relpaths proven equal.
    :ivar unchanged_bytes: their total size in bytes.
    :ivar adopted: relpaths proven equal by a content check (the state gains a record).
    :ivar missing: listed ``files`` the source does not have.
    :ivar kept: destination-only paths not deleted (``files`` map, ``delete: false``, protected).
    :ivar unreadable: ``[(relpath, reason)]`` source paths that could not be read
        (an input of :func:`make_plan`): never transferred nor deleted, and they
        block the deletions of the plan at the gate.
    :ivar only: the relpaths of a targeted plan, or ``None`` for a full one.
    """

    actions: tuple[Action, ...] = ()
    verify: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    unchanged_bytes: int = 0
    adopted: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    unreadable: tuple[tuple[str, str], ...] = ()
    only: t.Optional[frozenset[str]] = None

    def of_kind(self, kind: str) -> list[Action]:
        """The actions of one kind, in plan order."""
        return [a for a in self.actions if a.kind == kind]

    @property
    def transfers(self) -> list[Action]:
        """Create and update actions."""
        return [a for a in self.actions if a.kind in TRANSFERS]

    @property
    def deletes(self) -> list[Action]:
        """Delete actions (files or objects)."""
        return self.of_kind(DELETE)

    @property
    def dirs_to_create(self) -> list[str]:
        """Relpaths of the ``mkdir`` actions."""
        return [a.relpath for a in self.of_kind(MKDIR)]

    @property
    def dirs_to_remove(self) -> list[str]:
        """Relpaths of the ``rmdir`` actions, deepest first."""
        return [a.relpath for a in self.of_kind(RMDIR)]

    @property
    def in_the_way(self) -> list[Action]:
        """The ``delete`` and ``rmdir`` actions that clear the way for a
        transfer (a type change, see :func:`clearing`): they run before the
        transfers, deletes first, then directories deepest first."""
        return clearing(self.actions)


def is_protected(relpath: str, protected: t.AbstractSet[str]) -> bool:
    """Whether ``relpath`` or one of its parent directories is in ``protected``.

    A source path that was skipped (a symlinked, looping or broken directory
    link), rejected or unreadable protects everything below it on the
    destination, not only the key of the same name.
    """
    while relpath:
        if relpath in protected:
            return True
        relpath = relpath.rpartition("/")[0]
    return False


def clearing(actions: t.Sequence[Action]) -> list[Action]:
    """The deletions in the way of the transfers of ``actions``: a file where a
    transfer needs a directory (``app`` for ``app/x.txt``), and the files and
    directories below a path where a transfer writes a file (``conf/...`` for
    ``conf``). Deletes first (plan order), then ``rmdir`` (deepest first)."""
    targets = sorted(a.relpath for a in actions if a.kind in TRANSFERS)
    if not targets:
        return []
    wanted = set(targets)
    parents = {p for t in targets for p in _parents(t)}

    def below_a_target(relpath: str) -> bool:
        return any(p in wanted for p in _parents(relpath))

    deletes = [a for a in actions if a.kind == DELETE and (a.relpath in parents or below_a_target(a.relpath))]
    rmdirs = [a for a in actions if a.kind == RMDIR and (a.relpath in wanted or below_a_target(a.relpath))]
    return deletes + rmdirs


def _parents(relpath: str) -> t.Iterator[str]:
    while "/" in relpath:
        relpath = relpath.rpartition("/")[0]
        yield relpath


def _type_changes(actions: list[Action], dst_dirs: t.AbstractSet[str]) -> list[Action]:
    """Mark the deletions in the way of a transfer (:func:`clearing`) with the
    reason of the type change, and add ``rmdir`` for the directories of
    ``dst_dirs`` at or below a path where a file is written (the ``rmdir``
    actions stay last, deepest first).
    """
    blocking = {a.relpath for a in clearing(actions) if a.kind == DELETE}
    if not blocking and not dst_dirs:
        return actions
    created = {a.relpath for a in actions if a.kind in TRANSFERS}
    parents = {p for c in created for p in _parents(c)}
    out = []
    for action in actions:
        if action.kind == DELETE and action.relpath in blocking:
            reason = "replaced by a directory" if action.relpath in parents else "replaced by a file"
            action = action._replace(reason=f"{reason} (type change)")
        out.append(action)
    rmdirs = {a.relpath for a in out if a.kind == RMDIR}
    extra = {d for d in dst_dirs if d not in rmdirs and (d in created or any(p in created for p in _parents(d)))}
    if extra:
        dirs = [a for a in out if a.kind == RMDIR] + [Action(RMDIR, d, 0, "replaced by a file (type change)")
                                                      for d in extra]
        out = [a for a in out if a.kind != RMDIR] + sorted(dirs, key=lambda a: (-a.relpath.count("/"), a.relpath))
    return out


def make_plan(src: Tree, dst: Tree, comparator: Comparator, *, delete: bool = True,
              files: t.Optional[t.Sequence[str]] = None, only: t.Optional[t.AbstractSet[str]] = None,
              unreadable: t.Optional[t.Mapping[str, str]] = None, dirs: bool = False) -> Plan:
    """Compare two listings and return the :class:`Plan` that makes ``dst`` equal to ``src``.

    :param src: the source listing; its skipped, rejected and unreadable paths
        are protected (neither they nor anything below them is deleted).
    :param dst: the destination listing.
    :param comparator: decides same-size pairs (``compare.py``).
    :param delete: plan deletions of destination-only paths.
    :param files: a ``files`` map (S32S): only these relpaths; no deletion.
    :param only: a targeted plan: only these relpaths are created, updated or
        deleted (a relpath the source lacks is deleted when ``delete``); no
        directory actions.
    :param unreadable: relpath -> reason, source files that could not be read
        (a failed content check).
    :param dirs: the destination keeps directories (a local side): plan
        ``mkdir`` for S3 ``dir/`` markers and ``rmdir`` for directories the
        deletions leave empty.
    """
    unreadable = dict(unreadable or {})
    protected = src.protected() | set(unreadable)
    src_entries: t.Mapping[str, t.Any] = src.entries
    dst_entries: t.Mapping[str, t.Any] = dst.entries
    missing: list[str] = []
    scope = only
    if files is not None:
        wanted = set(files)
        missing = sorted(wanted - set(src_entries))
        scope = wanted if only is None else wanted & set(only)
    actions: list = []
    verify: list[str] = []
    unchanged: list[str] = []
    adopted: list[str] = []
    kept: list[str] = []
    unchanged_bytes = 0
    for relpath, (s, d) in march(src_entries, dst_entries, only=scope):
        if relpath in unreadable:
            if d is not None:
                kept.append(relpath)
            continue
        if d is None:
            actions.append(Action(CREATE, relpath, s.size, "new"))
            continue
        if s is None:
            if files is not None or not delete or is_protected(relpath, protected):
                kept.append(relpath)
            else:
                actions.append(Action(DELETE, relpath, max(d.size, 0), "not in source"))
            continue
        if s.size != d.size:
            reason = "replaces a symlink" if d.size < 0 else f"size {d.size} -> {s.size}"
            actions.append(Action(UPDATE, relpath, s.size, reason))
            continue
        verdict = comparator.compare(relpath, s, d)
        if verdict.kind in (EQUAL, ADOPTED):
            unchanged.append(relpath)
            unchanged_bytes += s.size
            if verdict.kind == ADOPTED:
                adopted.append(relpath)
        elif verdict.kind == DIFFERS:
            actions.append(Action(UPDATE, relpath, s.size, verdict.reason))
        else:
            verify.append(relpath)
    if dirs and only is None:
        if files is None:
            actions.extend(Action(MKDIR, d, 0, "directory marker") for d in sorted(src.markers - dst.dirs))
        deleted = {a.relpath for a in actions if a.kind == DELETE}
        if deleted:
            actions.extend(Action(RMDIR, d, 0, "empty directory") for d in dirs_emptied(
                dst_entries, dst.dirs, src.dirs, deleted, dst.holding_unlisted()))
    actions = _type_changes(actions, dst.dirs if dirs and only is None else set())
    return Plan(actions=tuple(actions), verify=tuple(verify), unchanged=tuple(unchanged),
                unchanged_bytes=unchanged_bytes, adopted=tuple(adopted), missing=tuple(missing), kept=tuple(kept),
                unreadable=tuple(sorted(unreadable.items())),
                only=frozenset(only) if only is not None else None)


__all__ = ["Action", "Plan", "make_plan", "is_protected", "clearing", "CREATE", "UPDATE", "DELETE", "MKDIR", "RMDIR",
           "ATTRIBUTES", "TRANSFERS"]
