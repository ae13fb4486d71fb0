# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report of a two-way run: counts, conflicts, ``diff.prepared`` and warnings.

**PRIVATE**: this module is internal to the s32s.sync collection.
"""

from __future__ import annotations

import typing as t

from ..plan.threeway import DELETE, DOWNLOAD, LOCAL, RENAME, UPLOAD, SyncAction
from .two_way import SyncRun

#: Result counts, in the order the docs list them.
COUNTS = ("uploaded", "downloaded", "deleted_local", "deleted_remote", "renamed_local", "renamed_remote",
          "trashed", "unchanged", "pending", "restored", "held", "failed")


def _count_key(a: SyncAction) -> str:
    if a.kind == UPLOAD:
        return "uploaded"
    if a.kind == DOWNLOAD:
        return "downloaded"
    if a.kind == DELETE:
        return f"deleted_{a.side}"
    return f"renamed_{a.side}"


def _done(run: SyncRun, check_mode: bool) -> list[SyncAction]:
    if check_mode or run.applied is None:
        return list(run.plan.actions)
    return list(run.applied.done)


def _line(run: SyncRun, a: SyncAction, prefix: str = "") -> str:
    job = run.job
    side = job.local if a.side == LOCAL else job.remote
    if a.kind == RENAME:
        return f"{prefix}rename {a.side} {side.display(a.relpath)} -> {side.display(a.to)} ({a.reason})"
    what = {UPLOAD: "upload", DOWNLOAD: "download", DELETE: f"delete {a.side}"}[a.kind]
    trash = " (old content to the trash)" if a.replaces and a.kind != DELETE and job.trash else ""
    where = " (to the trash)" if a.kind == DELETE and job.trash else ""
    return f"{prefix}{what} {side.display(a.relpath)} ({a.reason}, {a.size} bytes){trash}{where}"


def diff_lines(run: SyncRun, check_mode: bool) -> list[str]:
    """One line per action naming the side (the plan in check mode, what was
    done otherwise), then ``FAILED`` and ``NOT RUN`` lines."""
    lines = [_line(run, a) for a in _done(run, check_mode)]
    if not check_mode and run.applied is not None:
        lines.extend(f"FAILED {where}: {err}" for where, err in run.applied.failed)
        lines.extend(_line(run, a, "NOT RUN ") for a in run.applied.not_run)
    return lines


def to_result(run: SyncRun, *, check_mode: bool, diff: bool, list_files: bool = False,
              cap: int = 1000) -> dict[str, t.Any]:
    """The task result: ``changed`` (something was written on either side),
    ``changed_local`` (on the local side: what the role's handler listens
    for; both also when an earlier run made such a change and was never reported:
    ``changed_earlier``), the counts of :data:`COUNTS`, ``conflicts``
    (``[{path, kept}]``), ``status``, ``msg``, ``warnings`` and,
    with ``diff``, ``diff.prepared``; per-file lists with ``list_files``."""
    done = _done(run, check_mode)
    counts = dict.fromkeys(COUNTS, 0)
    for a in done:
        counts[_count_key(a)] += 1
    plan = run.plan
    counts["unchanged"] = plan.unchanged
    counts["pending"] = len(plan.pending)
    counts["restored"] = len(plan.restored)
    counts["held"] = len(plan.held)
    applied = run.applied
    counts["trashed"] = len(applied.trashed) if applied is not None else \
        sum(1 for a in plan.actions if a.replaces) if run.job.trash else 0
    errors = list(run.local.errors) + [(f"remote:{p}", r) for p, r in run.remote.errors]
    if applied is not None:
        errors += applied.failed
    counts["failed"] = len(errors)
    changed_local = any(a.side == LOCAL for a in done) or run.changed_local_earlier
    changed = bool(done) or bool(run.trash_expired) or run.changed_earlier
    status = "ok"
    msg = ""
    if applied is not None and applied.failed:
        status = "failed"
        first = applied.failed[0]
        msg = f"{run.job.label}: {len(applied.failed)} action(s) failed, first {first[0]!r}: {first[1]}"
        if applied.not_run:
            msg += f"; {len(applied.not_run)} action(s) not run"
    elif plan.unresolved:
        status = "conflict"
        msg = (f"{run.job.label}: {len(plan.unresolved)} conflict(s) left untouched (conflict=fail), first "
               f"{plan.unresolved[0]!r}")
    elif errors and not check_mode:
        status = "failed"  # everything else was synced; these paths were left alone on both sides
        first = errors[0]
        msg = f"{run.job.label}: {len(errors)} path(s) could not be read and were left alone, first {first[0]!r}: {first[1]}"
    warnings = list(run.warnings)
    if not plan.base_size and run.local.entries and run.remote.entries:
        warnings.append(f"{run.job.label}: no base for this replica: this first sync is a union (nothing is "
                        f"deleted; a deletion made before it cannot be propagated)")
    if plan.pending:
        warnings.append(f"{run.job.label}: readonly: {len(plan.pending)} local change(s) not uploaded, first "
                        f"{plan.pending[0]!r}")
    warnings.extend(run.skipped_warnings())
    result: dict[str, t.Any] = {
        "changed": changed, "changed_local": changed_local, "status": status, "msg": msg, **counts,
        "warnings": warnings,
        "conflicts": [{"path": c.path, "kept": c.kept} for c in plan.conflicts[:cap]],
        "errors": [{"path": p, "error": e} for p, e in errors[:cap]],
        "first_sync": not plan.base_size,
        "changed_earlier": run.changed_earlier,
        "trash_expired": len(run.trash_expired),
    }
    if list_files:
        result["files"] = {key: [a.relpath for a in done if _count_key(a) == key][:cap]
                           for key in COUNTS[:6]}
    if diff:
        lines = diff_lines(run, check_mode)
        result["diff"] = {"prepared": "\n".join(lines) + ("\n" if lines else "")}
    return result


__all__ = ["to_result", "diff_lines", "COUNTS"]
