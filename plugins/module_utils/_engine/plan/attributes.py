# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attribute fixes: objects whose bytes are in sync but whose attributes are not (issue 14).

**PRIVATE**: this module is internal to the s32s.sync collection.

Pure: the manifest says which attribute set (its fingerprint,
``config/attributes.py``) each object got when this product last wrote it;
an unchanged path whose wanted fingerprint differs gets an ``attributes``
action, applied with a server-side copy (no upload). A path without a
recorded fingerprint (an older manifest, a path adopted by a content check)
counts as having the table's attributes only (fingerprint ``''``): with no
rule and no ``sse`` nothing is copied, so an upgrade costs no request.
"""

from __future__ import annotations

import typing as t
from dataclasses import replace

from ..config.attributes import AttributeSet
from ..sides.tree import Tree
from .plan import ATTRIBUTES, Action, Plan


def with_attribute_fixes(plan: Plan, src: Tree, applied: t.Mapping[str, str],
                         resolve: t.Callable[[str], AttributeSet]) -> Plan:
    """``plan`` plus one ``attributes`` action per unchanged path whose wanted
    fingerprint differs from the one ``applied`` records (relpath -> fingerprint).

    An adopted path (proven equal by a content check) has no record, hence no
    fingerprint: ``''``. The actions follow the plan's file actions, in relpath order.
    """
    adopted = set(plan.adopted)
    fixes = []
    for relpath in plan.unchanged:
        have = "" if relpath in adopted else applied.get(relpath, "")
        attrs = resolve(relpath)
        if attrs.fingerprint != have:
            fixes.append(Action(ATTRIBUTES, relpath, src.entries[relpath].size,
                                f"attributes {have or 'default'} -> {attrs.fingerprint or 'default'}: "
                                f"{attrs.describe()}"))
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
