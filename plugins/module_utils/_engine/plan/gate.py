# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safety gate: checks a whole plan before the first mutating request.

**PRIVATE**: this module is internal to the s32s.sync collection.

Pure: :func:`check_plan` looks at the plan, its scope, the listings and the
options and either returns (the plan may run) or raises :class:`SafetyError`,
so that a refused run changes nothing at all. The promises are those of
``docs/safety.md``:

1. scope: every key written or deleted is under a ``prefix/`` of the scope;
   a bare bucket never loses keys unless ``allow_bare_bucket``; map files are
   never deleted;
2. containment: every local path is inside a root of the scope after normalisation;
3. budget: the deletions fit ``max_delete``, counted on the whole plan against
   an explicit base (the destination's full count; for a targeted plan, the
   last full count the state knows);
4. an empty source never deletes (unless ``allow_empty_source``; a targeted
   plan's source is what it selected, so emptiness says nothing there); a
   source listing with errors never deletes (source files that could not be
   read, ``plan.unreadable``, do not refuse the plan: the executor runs its
   transfers and none of its deletions);
5. ignored paths are never deleted.
"""

from __future__ import annotations

import os
import typing as t
from dataclasses import dataclass, field

from ..config.ignore import IgnoreRules
from ..config.maps import S3Location
from ..config.options import SyncOptions
from ..errors import SafetyError
from ..paths import LocalRoot, is_within, key_for, local_path, unsafe_reason
from ..sides.tree import Tree
from .plan import Plan
from .threeway import LOCAL, REMOTE

Address = t.Union[S3Location, LocalRoot]


@dataclass(frozen=True)
class Scope:
    """What one plan may touch.

    :ivar label: how messages name the plan (``map 'site'``).
    :ivar target: the address the plan's actions apply to.
    :ivar writable: the addresses that may be written or deleted; an S3
        location means ``prefix/``, a local root the directory below it.
    :ivar ignore: the rules whose paths are never deleted.
    :ivar location: the S3 location the plan is about (a map's ``s3``, a
        replica's destination): when it is a bare bucket, deletions on either
        side need ``allow_bare_bucket`` (a bare bucket is most often a typo).
    """

    label: str
    target: Address
    writable: tuple[Address, ...]
    ignore: IgnoreRules = field(default_factory=IgnoreRules)
    location: t.Optional[S3Location] = None

    @classmethod
    def of(cls, label: str, target: Address, ignore: t.Optional[IgnoreRules] = None,
           location: t.Optional[S3Location] = None) -> "Scope":
        """The scope of a one-way plan: its target, nothing else; ``location``
        defaults to the target when it is on S3."""
        if location is None and isinstance(target, S3Location):
            location = target
        return cls(label, target, (target,), ignore or IgnoreRules(), location)


def _outside(scope: Scope, relpath: str) -> t.Optional[str]:
    """Why the action on ``relpath`` would land outside the scope, or ``None``."""
    target = scope.target
    if isinstance(target, S3Location):
        key = key_for(target.prefix, relpath)
        if not any(isinstance(w, S3Location) and w.bucket == target.bucket and key.startswith(w.list_prefix)
                   for w in scope.writable):
            return f"key {key!r} is outside s3://{target.bucket}/{target.list_prefix}"
        return None
    path = os.path.normpath(local_path(target.path, relpath))
    if not any(isinstance(w, LocalRoot) and is_within(w.path, path) and path != os.path.normpath(w.path)
               for w in scope.writable):
        return f"path {path!r} is outside the root {target.path}"
    return None


def _and_budget(options: SyncOptions, count: int, base: int) -> str:
    """`` and max_delete=unlimited`` when ``count`` deletions exceed the budget of ``base`` files, else ``''``:
    lifting the empty-source rule leaves the budget in force (``docs/safety.md``)."""
    limit = options.max_delete.limit(base)
    return f" and {options.setting('max_delete', 'unlimited')}" if limit is not None and count > limit else ""


def _emptied(scope: Scope, side: str, base_size: int, count: int, own: Tree, options: SyncOptions) -> str:
    """The refusal of ``count`` deletions on ``side`` because the other side is empty while the base
    has ``base_size`` rows, with the two ways out: restore the emptied side (a run with
    ``delete=false`` copies every path back, ``threeway.py``), or propagate its emptiness
    (``allow_empty_source=true``, within ``max_delete``)."""
    if side == REMOTE:
        emptied, what, back = "the local directory", "S3 prefix", "download them again from the S3 prefix"
    else:
        emptied, what, back = "the bucket", "local directory", "upload them again from the local directory"
    return (f"{scope.label}: {emptied} is empty while the last sync had {base_size} path(s); refusing {count} "
            f"deletion(s) in the {what} (nothing was changed). If it was emptied by mistake, sync once with "
            f"{options.setting('delete', 'false')} to {back}; if the deletions are wanted, sync once with "
            f"{options.setting('allow_empty_source', 'true')}{_and_budget(options, count, len(own.entries))} "
            f"to make them in the {what} too")


def check_plan(plan: Plan, scope: Scope, src: Tree, dst: Tree, options: SyncOptions,
               budget_base: t.Optional[int] = None) -> None:
    """Refuse ``plan`` unless every promise above holds.

    :param src: the source listing the plan was made from (its emptiness and errors matter).
    :param dst: the destination listing.
    :param budget_base: the destination count a percentage ``max_delete`` is
        taken of; ``None``: ``len(dst.entries)`` (a full listing).
    :raises SafetyError: with a message naming the plan, the rule and the
        numbers; ``details`` holds ``would_delete`` (count).
    """
    name = scope.label
    for action in plan.actions:
        reason = unsafe_reason(action.relpath)
        if reason:
            raise SafetyError(f"{name}: refusing to {action.kind} unsafe path {action.relpath!r} ({reason})")
        outside = _outside(scope, action.relpath)
        if outside:
            raise SafetyError(f"{name}: {outside}")
    deletes = plan.deletes
    if not deletes:
        return
    count = len(deletes)
    details = {"would_delete": count}
    target = scope.target
    for action in deletes:
        if scope.ignore.matches(action.relpath):
            raise SafetyError(f"{name}: refusing to delete ignored path {action.relpath!r}", **details)
        if isinstance(target, S3Location) and (target.bucket, key_for(target.prefix, action.relpath)) \
                in options.protected_keys:
            raise SafetyError(f"{name}: refusing to delete map file "
                              f"s3://{target.bucket}/{key_for(target.prefix, action.relpath)}", **details)
    location = scope.location
    if location is not None and not location.prefix and not options.allow_bare_bucket:
        raise SafetyError(f"{name}: s3 '{location.bucket}' is a bare bucket; {count} deletion(s) at the "
                          f"bucket root need allow_bare_bucket=true (nothing was changed)", **details)
    errors = list(src.errors)  # unreadable files (plan.unreadable) block the deletions when applying
    if errors:
        first = errors[0]
        raise SafetyError(f"{name}: the source could not be read completely ({len(errors)} error(s), "
                          f"first {first[0]!r}: {first[1]}); refusing {count} deletion(s)", **details)
    base = len(dst.entries) if budget_base is None else budget_base
    if plan.only is None and not src.entries and not options.allow_empty_source:
        raise SafetyError(f"{name}: the source is empty; refusing to delete all {count} file(s) of the "
                          f"destination (set {options.setting('allow_empty_source', 'true')}"
                          f"{_and_budget(options, count, base)} if this is intended; nothing was changed)", **details)
    limit = options.max_delete.limit(base)
    if limit is not None and count > limit:
        raise SafetyError(f"{name}: {count} deletion(s) of {base} destination file(s) exceed "
                          f"max_delete={options.max_delete} (limit {limit}); nothing was changed", **details)


def check_sync_plan(plan: t.Any, local_scope: Scope, remote_scope: Scope, local: Tree, remote: Tree,
                    options: SyncOptions, *, local_missing: bool = False) -> None:
    """Refuse a two-way plan (``threeway.SyncPlan``) unless every promise holds on both sides.

    Per side: every action's path is safe and inside the side's scope
    (promises 1, 2); the side's deletions fit ``max_delete`` of the side's
    listed count (promise 3; a rename is not a deletion); a bare bucket loses
    no key without ``allow_bare_bucket``. Deletions caused by the other side
    are refused when that side is missing, empty or unreadable while the base
    is not empty (promise 4: an unmounted folder never empties the bucket, an
    emptied prefix never empties the folder); ``allow_empty_source`` lifts the
    rule for an empty side only (the budget still applies), and the refusal
    says how to restore the emptied side instead (``delete=false``). When a
    side is missing, nothing at all is written (a mount point is not written
    into).

    :param local_scope: scope of the local root; :param remote_scope: of the S3 prefix.
    :param local_missing: the local root does not exist.
    :raises SafetyError: naming the side, the rule and the numbers; ``details``
        holds ``would_delete`` (both sides together).
    """
    for action in plan.actions:
        scope = local_scope if action.side == LOCAL else remote_scope
        for relpath in (action.relpath, action.to) if action.to else (action.relpath,):
            reason = unsafe_reason(relpath)
            if reason:
                raise SafetyError(f"{scope.label}: refusing to {action.kind} unsafe path {relpath!r} ({reason})")
            outside = _outside(scope, relpath)
            if outside:
                raise SafetyError(f"{scope.label}: {outside}")
    deleting = {LOCAL: len(plan.deletes(LOCAL)), REMOTE: len(plan.deletes(REMOTE))}
    details = {"would_delete": deleting[LOCAL] + deleting[REMOTE]}
    if local_missing and plan.base_size:
        raise SafetyError(f"{local_scope.label}: the local directory {local_scope.target.path} is missing "
                          f"while the last sync had {plan.base_size} path(s); is it unmounted? Nothing was "
                          f"changed (remove this replica's base in state_dir to start again)", **details)
    sides = ((LOCAL, local_scope, local, remote, "local directory", "the bucket"),
             (REMOTE, remote_scope, remote, local, "S3 prefix", "the local directory"))
    for side, scope, own, other, what, other_what in sides:
        count = deleting[side]
        renames = plan.on(side, "rename")
        for action in plan.deletes(side) + renames:  # a rename removes its old name too
            if scope.ignore.matches(action.relpath) or (action.to and scope.ignore.matches(action.to)):
                raise SafetyError(f"{scope.label}: refusing to delete or rename ignored path {action.relpath!r}",
                                  **details)
        location = scope.location
        if side == REMOTE and (count or renames) and location is not None and not location.prefix \
                and not options.allow_bare_bucket:
            raise SafetyError(f"{scope.label}: s3 '{location.bucket}' is a bare bucket; {count + len(renames)} "
                              f"deletion(s) or rename(s) at the bucket root need allow_bare_bucket=true (nothing "
                              f"was changed)", **details)
        if not count:
            continue
        if not other.entries and plan.base_size and not options.allow_empty_source:
            raise SafetyError(_emptied(scope, side, plan.base_size, count, own, options), **details)
        if other.errors:
            first = other.errors[0]
            raise SafetyError(f"{scope.label}: {other_what} could not be read completely ({len(other.errors)} "
                              f"error(s), first {first[0]!r}: {first[1]}); refusing {count} deletion(s) in the "
                              f"{what}", **details)
        limit = options.max_delete.limit(len(own.entries))
        if limit is not None and count > limit:
            raise SafetyError(f"{scope.label}: {count} deletion(s) of {len(own.entries)} file(s) in the {what} "
                              f"exceed max_delete={options.max_delete} (limit {limit}); nothing was changed",
                              **details)


__all__ = ["Scope", "Address", "check_plan", "check_sync_plan"]
