# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report: map runs -> the task result, ``diff.prepared`` and warnings.

**PRIVATE**: this module is internal to the s32s.sync collection.

One return shape for every run (check mode, success, failure). Per-file
lists appear only with ``list_files`` and are capped at ``list_files_max``
per list, so that a 100,000-file run does not put megabytes into AWX.
``diff.prepared`` has one line per action, like ``ansible.posix.synchronize``.
"""

from __future__ import annotations

import typing as t

from ..config.options import SyncOptions
from ..plan.plan import ATTRIBUTES, CREATE, DELETE, MKDIR, RMDIR, UPDATE, Action
from .runner import PairRun

COUNTS = ("created", "updated", "deleted", "attributes_set", "unchanged", "ignored", "skipped", "rejected", "failed")
_KIND_TO_COUNT = {CREATE: "created", UPDATE: "updated", DELETE: "deleted", ATTRIBUTES: "attributes_set"}


def _target(run: PairRun, relpath: str) -> str:
    return run.pair.dst.display(relpath)


def _file_actions(actions: t.Iterable[Action]) -> list[Action]:
    return [a for a in actions if a.kind in _KIND_TO_COUNT]


def _actions(run: PairRun, check_mode: bool) -> list[Action]:
    """The file actions the result counts: the plan's (check mode), else those applied."""
    if check_mode or run.applied is None:
        return _file_actions(run.plan.actions) if run.status != "refused" else []
    return sorted(_file_actions(run.applied.done), key=lambda a: a.relpath)


def _dirs(run: PairRun, kind: str, check_mode: bool) -> list[str]:
    if run.status == "refused":
        return []
    actions = run.plan.actions if check_mode or run.applied is None else run.applied.done
    return [a.relpath for a in actions if a.kind == kind]


def _fixes(run: PairRun, check_mode: bool) -> list[t.Any]:
    """The local fixes (pull) the result counts: those planned (check mode), else those applied."""
    if run.status == "refused":
        return []
    return list(run.fixes) if check_mode or run.applied is None else list(run.fixed)


def diff_lines(run: PairRun, check_mode: bool) -> list[str]:
    """One line per action: ``upload|download|copy|update|delete|set attributes of <target> (<reason>, <bytes> bytes)``
    (an ``attributes`` reason names the object's old and new mode and attribute fingerprints, and the new
    attributes), and one per local fix of a pull: ``fix <target> (mode 0640 -> 0644, owner 0 -> 65534)``.

    In check mode (or before applying) the lines are the plan; after a real
    run they are what was done, then one ``FAILED`` line per failed path and
    one ``NOT RUN`` line per update or deletion that did not run (updates
    after a failed create in site-safe order; deletions blocked by failed
    transfers, or after a failed deletion).
    """
    verb = {CREATE: run.verb, UPDATE: "update", DELETE: "delete", ATTRIBUTES: "set attributes of"}
    name = run.pair.name
    if run.status == "refused":
        return []

    def line(a: Action, prefix: str = "") -> str:
        return f"[{name}] {prefix}{verb[a.kind]} {_target(run, a.relpath)} ({a.reason}, {a.size} bytes)"

    lines = [line(a) for a in _actions(run, check_mode)]
    if run.changed_earlier:
        lines.insert(0, f"[{name}] changed by an earlier run whose result was never reported (reported now)")
    lines.extend(f"[{name}] mkdir {_target(run, d)}/ (directory marker)" for d in _dirs(run, MKDIR, check_mode))
    lines.extend(f"[{name}] delete {_target(run, d)}/ (empty directory)" for d in _dirs(run, RMDIR, check_mode))
    lines.extend(f"[{name}] fix {_target(run, f.relpath)}{'/' if f.target == 'directory' else ''} ({f.reason})"
                 for f in _fixes(run, check_mode))
    applied = run.applied
    if check_mode or applied is None:
        return lines
    lines.extend(f"[{name}] FAILED {_target(run, p)}: {err}" for p, err in applied.failed)
    why = applied.deletes_blocked or "a deletion before it failed"
    lines.extend(line(a, "NOT RUN ") + f" [{applied.updates_blocked if a.kind == UPDATE else why}]"
                 for a in applied.not_run)
    return lines


def map_result(run: PairRun, options: SyncOptions, check_mode: bool) -> dict[str, t.Any]:
    """The result of one map: ``name``, ``s3``, ``root``, ``status``, counts,
    bytes per kind, ``errors``, ``skipped``/``rejected`` details (capped),
    ``changed_earlier`` (an unreported change of an earlier run, reported now),
    ``multipart`` (a push with a part ledger only: ``resumed`` uploads
    ``{key, parts_reused, parts_sent}`` and ``aborted`` ones ``{key, reason}``,
    see ``jobs/push_pull.py``),
    ``attributes_fixed`` (pull: in-sync files and directories whose mode or owner
    was fixed; a push's object fixes count in ``attributes_set``),
    and ``files`` with ``list_files``."""
    counts = dict.fromkeys(COUNTS, 0)
    size = {"created": 0, "updated": 0, "deleted": 0}
    done = _actions(run, check_mode)
    for a in done:
        name = _KIND_TO_COUNT[a.kind]
        counts[name] += 1
        if name in size:
            size[name] += a.size
    counts["unchanged"] = len(run.plan.unchanged)
    counts["ignored"] = run.src.ignored + run.dst.ignored
    counts["skipped"] = len(run.src.skipped)
    counts["rejected"] = len(run.src.rejected) + len(run.dst.rejected)
    errors = list(run.src.errors) + list(run.plan.unreadable)
    if run.applied is not None:
        errors += run.applied.failed
    counts["failed"] = len(errors)
    cap = options.list_files_max
    result: dict[str, t.Any] = {
        "name": run.pair.name, "s3": run.pair.shown[0], "root": run.pair.shown[1], "status": run.status,
        **counts,
        "bytes": {"created": size["created"], "updated": size["updated"], "deleted": size["deleted"],
                  "unchanged": run.plan.unchanged_bytes},
        "dirs_removed": len(_dirs(run, RMDIR, check_mode)),
        "dirs_created": len(_dirs(run, MKDIR, check_mode)),
        "attributes_fixed": len(_fixes(run, check_mode)),
        "msg": run.error,
        "would_delete": int(run.details.get("would_delete", 0)),
        "changed_earlier": run.changed_earlier,
        "errors": [{"path": p, "error": e} for p, e in errors[:cap]],
        "skipped_paths": [{"path": p, "reason": r} for p, r in run.src.skipped[:cap]],
        "rejected_paths": [{"path": p, "reason": r} for p, r in (run.src.rejected + run.dst.rejected)[:cap]],
    }
    if "multipart" in run.details:
        result["multipart"] = run.details["multipart"]
    if options.list_files:
        result["files"] = {
            kind: [a.relpath for a in done if _KIND_TO_COUNT[a.kind] == kind][:cap]
            for kind in ("created", "updated", "deleted")}
    return result


def to_result(runs: t.Sequence[PairRun], options: SyncOptions, *, check_mode: bool,
              diff: bool) -> dict[str, t.Any]:
    """Return the task result: ``changed``, ``maps``, ``totals``, ``warnings``
    and, with ``diff``, ``diff.prepared``."""
    maps = [map_result(r, options, check_mode) for r in runs]
    totals = {k: sum(m[k] for m in maps) for k in COUNTS}
    totals["attributes_fixed"] = sum(m["attributes_fixed"] for m in maps)
    totals["bytes"] = {k: sum(m["bytes"][k] for m in maps) for k in ("created", "updated", "deleted", "unchanged")}
    changed = any(m["created"] or m["updated"] or m["deleted"] or m["attributes_set"] or m["dirs_removed"]
                  or m["dirs_created"] or m["attributes_fixed"] or m["changed_earlier"] for m in maps)
    changed = changed or any(r.applied is not None and r.applied.unproven for r in runs)  # failed, yet replaced
    warnings = []
    for r in runs:
        warnings.extend(r.warnings)
        for p, reason in (r.src.rejected + r.dst.rejected)[:20]:
            warnings.append(f"{r.pair.label}: skipped {p!r}: {reason}")
        for p, reason in r.src.skipped[:20]:
            warnings.append(f"{r.pair.label}: skipped {p!r}: {reason}")
    result: dict[str, t.Any] = {"changed": changed, "maps": maps, "totals": totals, "warnings": warnings}
    if diff:
        lines = [line for r in runs for line in diff_lines(r, check_mode)]
        result["diff"] = {"prepared": "\n".join(lines) + ("\n" if lines else "")}
    return result


__all__ = ["to_result", "map_result", "diff_lines", "COUNTS"]
