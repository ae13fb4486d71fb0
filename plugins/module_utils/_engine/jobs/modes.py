# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The modes objects carry, and the local fixes of a pull, around the plan.

**PRIVATE**: this module is internal to the s32s.sync collection.

Issue 15, points 2 and 3. :func:`known_modes` finds what the listings alone
cannot show: the mode each in-sync object carries. The manifest record knows
it while the listing shows the ETag and LastModified it recorded; otherwise
(a CopyObject changed the metadata and LastModified, or no record knows) ONE
HeadObject per such object reads it. A no-op run of a tree whose modes are
recorded thus costs the listing only. A push compares them with the files'
modes in its plan (``plan/object_fixes.py``: one server-side copy per object
carries the rules' attributes and the mode). A pull plans its local fixes
(:func:`plan_local_fixes`, ``plan/local_fixes.py``) and :func:`apply_local_fixes`
applies them (chmod/chown through ``LocalSide.fix_mode_and_owner``, never
through a symlink); check mode only reports them. :func:`stamp_modes` puts
what the run learned into the records.
"""

from __future__ import annotations

import typing as t
from concurrent.futures import ThreadPoolExecutor

from ..errors import S32SError
from ..plan.local_fixes import DIRECTORY, FILE, Fix, local_fixes
from ..sides.local import ChangedSinceListed, LocalSide
from ..sides.modes import UNKNOWN, applied_mode
from ..sides.s3 import S3Side
from ..sides.tree import Entry, local_entry
from ..state.records import recorded_mode


def _read_modes(side: S3Side, listing: t.Mapping[str, Entry], relpaths: t.Sequence[str], workers: int,
                warnings: list[str], label: str) -> dict[str, int]:
    """One HeadObject per relpath (``workers`` at a time): relpath -> the mode
    its metadata carries. An object whose ETag is not the listed one any more
    (changed meanwhile), or whose HEAD failed, is left out (a warning; the
    next run reads it again)."""
    if not relpaths:
        return {}

    def head(relpath: str) -> tuple[str, t.Optional[int], str]:
        try:
            perm, entry = side.head_mode(relpath)
        except S32SError as e:
            return relpath, None, e.msg
        if entry.etag != listing[relpath].etag:
            return relpath, None, "changed since it was listed"
        return relpath, perm, ""

    found: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(relpaths)))) as pool:
        for relpath, perm, error in pool.map(head, relpaths):
            if perm is None:
                warnings.append(f"{label}: could not read the mode of {side.display(relpath)}: {error}")
            else:
                found[relpath] = perm
    return found


def known_modes(plan: t.Any, remote: t.Mapping[str, Entry], records: t.Mapping[str, t.Any],
                side: S3Side, workers: int, warnings: list[str], label: str) -> dict[str, tuple[int, int]]:
    """relpath -> ``(mode the object carries, LastModified ns to record)`` for
    the in-sync paths of ``plan``: from the record when it still describes
    the listed object (``records.recorded_mode``; a path the plan adopted by a
    content check has the same bytes), else from one HeadObject."""
    known: dict[str, tuple[int, int]] = {}
    unknown = []
    adopted = set(plan.adopted)
    for relpath in plan.unchanged:
        record = records.get(relpath)
        mode = recorded_mode(record, remote[relpath], relpath in adopted)
        if mode == UNKNOWN:
            unknown.append(relpath)
        else:
            known[relpath] = (mode, record.s3_mtime_ns)
    for relpath, mode in _read_modes(side, remote, unknown, workers, warnings, label).items():
        known[relpath] = (mode, remote[relpath].mtime_ns)
    return known


def plan_local_fixes(run: t.Any, workers: int) -> None:
    """Set ``run.fixes`` (the :class:`Fix` list) and ``run.modes`` (see
    :func:`known_modes`) of a planned pull pair; other pairs get none (a
    push's object fixes are plan actions, ``plan/object_fixes.py``).

    The in-sync files get ``mode`` (else the mode of their object, ``0o777``
    bits only), the directories of the mirror (not the root)
    ``directory_mode``, both ``owner``/``group``.

    The modes of objects in sync are learned only with a manifest: without
    one, nothing records what an object carries, and reading every object's
    metadata on every run would cost a request per file (a no-op must cost
    the listing only). A mode then travels with the next content change.
    """
    pair, plan = run.pair, run.plan
    src, dst = pair.src, pair.dst
    if not (isinstance(src, S3Side) and isinstance(dst, LocalSide)):
        return
    writes = dst.writes
    modes: dict[str, tuple[int, int]] = {}
    if writes.mode is None and writes.source_modes and pair.state_path:
        modes = known_modes(plan, run.src.entries, run.state.records, src, workers, run.warnings, pair.label)
    run.modes = modes

    def file_mode(relpath: str) -> t.Optional[int]:
        if writes.mode is not None:
            return writes.mode
        return applied_mode(modes[relpath][0]) if relpath in modes else None

    dirs = run.dst.dirs & run.src.dirs if plan.only is None and pair.files is None else set()
    ids = dst.ids
    run.fixes = local_fixes(run.dst, plan.unchanged, dirs, file_mode, writes.directory_mode, ids.uid, ids.gid)


def apply_local_fixes(run: t.Any, workers: int) -> None:
    """Apply ``run.fixes``: each one done goes to ``run.fixed``, each failure to
    ``run.applied.failed`` (``cannot fix attributes: ...``). The local listing
    is brought up to date, so that the state records the new inode change time."""
    dst = run.pair.dst

    def fix(one: Fix) -> tuple[Fix, t.Any, str]:
        try:
            return one, dst.fix_mode_and_owner(one.relpath, one.target == DIRECTORY, one.mode, one.uid, one.gid,
                                               one.ino), ""
        except ChangedSinceListed as e:
            return one, None, str(e)
        except S32SError as e:
            return one, None, e.msg
        except OSError as e:
            return one, None, e.strerror or str(e)

    if not run.fixes:
        return
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(run.fixes)))) as pool:
        results = list(pool.map(fix, run.fixes))
    for one, done, error in results:
        shown = one.relpath + ("/" if one.target == DIRECTORY else "")
        if error:
            run.applied.failed.append((shown, f"cannot fix attributes ({one.reason}): {error}"))
            continue
        run.fixed.append(one)
        if one.target == FILE:
            run.dst.entries[one.relpath] = local_entry(one.relpath, done)


def stamp_modes(records: dict[str, t.Any], run: t.Any, written: t.Mapping[str, tuple[Entry, Entry]]) -> None:
    """Put the modes this run knows into ``records`` (in place): those of
    ``run.modes`` (in-sync paths) and those of the transfers ``written`` (the
    S3 entry's ``perm``: what an upload or an object fix sent, what a download read)."""
    local_is_source = run.pair.src.is_local
    known = dict(getattr(run, "modes", {}))
    for relpath, (s, d) in written.items():
        remote = d if local_is_source else s
        if remote.perm != UNKNOWN:
            known[relpath] = (remote.perm, remote.mtime_ns)
    for relpath, (mode, s3_mtime_ns) in known.items():
        record = records.get(relpath)
        if record is not None and hasattr(record, "s3_mtime_ns"):
            records[relpath] = record._replace(mode=mode, s3_mtime_ns=s3_mtime_ns)


__all__ = ["plan_local_fixes", "apply_local_fixes", "stamp_modes", "known_modes"]
