# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Object fixes: objects whose bytes are in sync but whose attributes or recorded mode are not.

**PRIVATE**: this module is internal to the s32s.sync collection.

Pure (issue 14 point 5, issue 15 point 3). The manifest says which
attribute set (its fingerprint, ``config/attributes.py``) each object got
when this product last wrote it, and which mode its metadata carries
(``Record.mode``, or one HeadObject, ``jobs/modes.py``); an unchanged path
whose wanted fingerprint differs, or whose file's mode is not the one its
object carries (a ``chmod`` on the master), gets ONE ``attributes`` action,
applied with a server-side copy onto itself (no upload) that carries both
the rules' attributes and the mode (``S3Side.attributes_for``): a CopyObject
with ``REPLACE`` rewrites all metadata and tags, so two separate copies
would each wipe what the other set.

A path without a recorded fingerprint (an older manifest, a path adopted by
a content check) counts as having the table's attributes only (fingerprint
``''``): with no rule and no ``sse`` nothing is copied for them, so an
upgrade costs no request.
"""

from __future__ import annotations

import typing as t
from dataclasses import replace

from ..config.attributes import AttributeSet
from ..sides.modes import UNKNOWN
from ..sides.tree import Tree
from .plan import ATTRIBUTES, Action, Plan


def _mode_change(perm: int, carried: int) -> str:
    """The reason part of a mode the object must carry (``''``: none to fix).

    ``perm``: the local file's permission bits (negative: not known);
    ``carried``: the object's mode (``modes.NONE``: none; ``modes.UNKNOWN``:
    not known, no fix is planned)."""
    if perm < 0 or carried == UNKNOWN or carried == perm:
        return ""
    was = f"{carried:04o}" if carried >= 0 else "none"
    return f"mode metadata {was} -> {perm:04o}"


def with_attribute_fixes(plan: Plan, src: Tree, applied: t.Mapping[str, str],
                         resolve: t.Optional[t.Callable[[str], AttributeSet]],
                         carried: t.Optional[t.Mapping[str, int]] = None) -> Plan:
    """``plan`` plus one ``attributes`` action per unchanged path whose wanted
    fingerprint differs from the one ``applied`` records (relpath -> fingerprint),
    or whose local mode differs from the one its object carries.

    :param resolve: relpath -> the wanted attribute set; ``None``: fingerprints
        are not compared (no rule, no ``sse`` and none recorded: all are ``''``).
    :param carried: relpath -> the mode the object carries (``modes.NONE``:
        none; a path left out or ``modes.UNKNOWN``: not known, no mode fix);
        ``None``: modes are not recorded (``preserve_mode: false``).

    An adopted path (proven equal by a content check) has no record, hence no
    fingerprint: ``''``. The actions follow the plan's file actions, in relpath
    order; a reason names each change (``mode metadata 0755 -> 0700``, then
    ``attributes <old> -> <new>: <the new set>``).
    """
    if resolve is None and carried is None:
        return plan
    adopted = set(plan.adopted)
    fixes = []
    for relpath in plan.unchanged:
        entry = src.entries[relpath]
        reasons = []
        if carried is not None:
            mode = _mode_change(entry.perm, carried.get(relpath, UNKNOWN))
            if mode:
                reasons.append(mode)
        if resolve is not None:
            have = "" if relpath in adopted else applied.get(relpath, "")
            attrs = resolve(relpath)
            if attrs.fingerprint != have:
                reasons.append(f"attributes {have or 'default'} -> {attrs.fingerprint or 'default'}: "
                               f"{attrs.describe()}")
        if reasons:
            fixes.append(Action(ATTRIBUTES, relpath, entry.size, "; ".join(reasons)))
    if not fixes:
        return plan
    return replace(plan, actions=plan.actions + tuple(sorted(fixes, key=lambda a: a.relpath)))


def applied_after(plan: Plan, records: t.Mapping[str, t.Any], old: t.Mapping[str, str],
                  written: t.Iterable[str], fingerprint_of: t.Optional[t.Callable[[str], str]]) -> dict[str, str]:
    """The manifest's fingerprints after a run (only non-empty ones, only for recorded paths).

    :param records: the records after the run (a path without one has no fingerprint).
    :param old: the fingerprints before the run.
    :param written: relpaths uploaded or fixed by this run (their attributes are the wanted ones).
    :param fingerprint_of: the wanted fingerprint of a relpath (a push); ``None``:
        this run wrote no object (a pull), its writes say nothing of attributes.
    """
    out = {p: f for p, f in old.items() if p in records}
    for relpath in plan.adopted:
        out.pop(relpath, None)
    for relpath in written:
        out.pop(relpath, None)
        if fingerprint_of is not None and relpath in records:
            fp = fingerprint_of(relpath)
            if fp:
                out[relpath] = fp
    return out


__all__ = ["with_attribute_fixes", "applied_after"]
