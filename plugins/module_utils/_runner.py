# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs push and pull: trees -> plan -> safety gate -> executor -> manifest.

**PRIVATE**: this module is internal to the s32s.sync collection.

Every selected map is listed, planned and checked by the gate *before the
first mutating request of the run*: if any map cannot be planned, the run
changes nothing (``PlanningError`` carries the per-map outcomes). Then the
maps are applied one after the other; a failure in one map does not stop the
others, and blocks only its own deletions.
"""

from __future__ import annotations

import os
import typing as t
from concurrent.futures import ThreadPoolExecutor

from ._errors import ConfigError, S32SError
from ._etag import local_matches_etag
from ._executor import Applied, apply_pull, apply_push, resolve_ids
from ._gate import check_plan
from ._maps import SyncMap
from ._options import SyncOptions
from ._paths import local_path
from . import _manifest
from ._plan import Plan, Record, dirs_emptied, make_plan
from ._s3store import S3Store
from ._tree import TEMP_NAME_RE, Tree, walk_dest_local, walk_local

PUSH = "push"
PULL = "pull"


class MapRun:
    """The life of one map in a run.

    :ivar status: ``planned``, ``ok``, ``failed`` (something failed while
        applying) or ``refused`` (could not be planned, or the gate said no).
    :ivar error: the one-line reason when not ``ok``.
    :ivar details: facts of a refusal (``would_delete``: deletions the gate refused).
    """

    def __init__(self, sync_map: SyncMap, direction: str) -> None:
        self.map = sync_map
        self.direction = direction
        self.status = "planned"
        self.error = ""
        self.src = Tree()
        self.dst = Tree()
        self.plan = Plan()
        self.manifest: dict[str, Record] = {}
        self.manifest_path = ""
        self.applied: t.Optional[Applied] = None
        self.warnings: list[str] = []
        self.details: dict[str, t.Any] = {}


class PlanningError(S32SError):
    """At least one map could not be planned; nothing was changed.

    ``runs`` holds every map's :class:`MapRun` for the report.
    """

    def __init__(self, msg: str, runs: list[MapRun]) -> None:
        super().__init__(msg)
        self.runs = runs


def _content_checks(run: MapRun, local: Tree, remote: Tree, workers: int) -> dict[str, bool]:
    """Compare the local files of ``plan.verify`` with the remote ETags (hashing)."""
    real_root = os.path.realpath(run.map.root)
    checked: dict[str, bool] = {}

    def check(relpath: str) -> tuple[str, t.Optional[bool], str]:
        entry = local.entries[relpath]
        try:
            return relpath, local_matches_etag(local_path(real_root, relpath), entry.size,
                                               remote.entries[relpath].etag or ""), ""
        except OSError as e:
            return relpath, None, f"cannot read: {e.strerror}"

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for relpath, same, err in pool.map(check, run.plan.verify):
            if same is None and run.direction == PUSH:
                run.src.errors.append((relpath, err))
                del run.src.entries[relpath]
            else:
                checked[relpath] = bool(same)
    return checked


def plan_map(run: MapRun, store: S3Store, options: SyncOptions, endpoint: str) -> None:
    """List both sides of ``run.map``, plan, resolve content checks, and gate.

    :raises S32SError: the map cannot be planned (``ConfigError``, ``StoreError``, ``SafetyError``).
    """
    m = run.map
    if run.direction == PUSH:
        run.src = walk_local(m.root, m.ignore, options.follow_symlinks, must_exist=True)
        run.src.skipped.extend((p, "name reserved for pull's temporary files") for p in run.src.temp_files)
        run.dst = store.list_tree(m.s3, m.ignore)
        local, remote, local_side = run.src, run.dst, "src"
    else:
        run.src = store.list_tree(m.s3, m.ignore)
        for relpath in [p for p in run.src.entries if TEMP_NAME_RE.match(p.rpartition("/")[2])]:
            del run.src.entries[relpath]  # the next run would take it for a leftover and delete it
            run.src.skipped.append((relpath, "name reserved for pull's temporary files"))
        run.dst = walk_dest_local(m.root, m.ignore)
        local, remote, local_side = run.dst, run.src, "dst"
    if options.state_dir:
        run.manifest_path = _manifest.manifest_path(options.state_dir, run.direction, endpoint,
                                                    m.s3.bucket, m.s3.prefix, m.root)
        run.manifest = _manifest.load(run.manifest_path)
    kwargs = dict(local_side=local_side, manifest=run.manifest, delete=options.delete, files=m.files,
                  protected=run.src.protected())
    run.plan = make_plan(run.src.entries, run.dst.entries, **kwargs)
    if run.plan.verify:
        checked = _content_checks(run, local, remote, options.concurrency)
        run.plan = make_plan(run.src.entries, run.dst.entries, checked=checked, **kwargs)
    if run.direction == PULL and m.files is None:
        run.plan.dirs_to_create = sorted(run.src.markers - run.dst.dirs)
    if run.direction == PULL and run.plan.deletes:
        run.plan.dirs_to_remove = dirs_emptied(run.dst.entries, run.dst.dirs, run.src.dirs,
                                               {a.relpath for a in run.plan.deletes}, run.dst.holding_unlisted())
    if run.plan.missing:
        raise ConfigError(f"map '{m.name}': field 'files' lists {len(run.plan.missing)} path(s) the source does "
                          f"not have: {run.plan.missing[:5]}")
    check_plan(run.plan, m, run.src, run.dst, options)


def _new_records(run: MapRun) -> dict[str, Record]:
    """The manifest after the run: vouched and adopted records, plus what was written."""
    local, remote = (run.src, run.dst) if run.direction == PUSH else (run.dst, run.src)
    records: dict[str, Record] = {}
    for relpath in run.plan.unchanged:
        old = run.manifest.get(relpath)
        le, re_ = local.entries[relpath], remote.entries[relpath]
        if old is not None and old.vouches_for(le, re_):
            records[relpath] = old
        elif re_.etag:
            records[relpath] = Record(le.size, le.mtime_ns, le.ctime_ns, le.ino, re_.etag)
    if run.applied is not None:
        records.update(run.applied.records)
    return records


def run_maps(direction: str, maps: t.Sequence[SyncMap], store: S3Store, options: SyncOptions, *,
             check_mode: bool, endpoint: str = "") -> list[MapRun]:
    """Plan every map, then (unless ``check_mode``) apply them in order.

    :param direction: ``'push'`` or ``'pull'``.
    :param endpoint: the endpoint URL (part of the manifest's identity).
    :returns: one :class:`MapRun` per map.
    :raises PlanningError: a map could not be planned; nothing was changed.
    :raises ConfigError: ``owner``/``group`` do not exist (before any change).
    """
    if direction == PULL and (options.owner or options.group):
        try:
            resolve_ids(options.owner, options.group)
        except KeyError:
            raise ConfigError(f"owner {options.owner!r} or group {options.group!r} does not exist on this host") \
                from None
    runs = [MapRun(m, direction) for m in maps]
    failures = []
    for run in runs:
        try:
            plan_map(run, store, options, endpoint)
        except S32SError as e:
            msg = e.msg if e.msg.startswith("map '") else f"map '{run.map.name}': {e.msg}"
            run.status, run.error, run.details = "refused", msg, dict(e.details)
            failures.append(msg)
    if failures:
        more = f" (and {len(failures) - 1} more map(s))" if len(failures) > 1 else ""
        tail = "" if "nothing was changed" in failures[0] and not more else "; nothing was changed"
        raise PlanningError(f"{failures[0]}{more}{tail}", runs)
    if check_mode:
        return runs
    for run in runs:
        if direction == PUSH:
            run.applied = apply_push(run.plan, run.map, run.src, store, options)
        else:
            run.applied = apply_pull(run.plan, run.map, run.src, run.dst, store, options)
        if run.applied.failed:
            first = run.applied.failed[0]
            run.status = "failed"
            run.error = (f"map '{run.map.name}': {len(run.applied.failed)} action(s) failed, first "
                         f"{first[0]!r}: {first[1]}")
            if run.applied.deletes_blocked:
                run.error += f"; {len(run.plan.deletes)} deletion(s) not run"
        else:
            run.status = "ok"
        records = _new_records(run) if run.manifest_path else {}
        if run.manifest_path and records != run.manifest:  # a no-op run leaves the file alone
            try:
                _manifest.save(run.manifest_path, records,
                               {"map": run.map.name, "s3": str(run.map.s3), "root": run.map.root})
            except OSError as e:
                run.warnings.append(f"map '{run.map.name}': could not save the manifest: {e.strerror}")
    return runs


__all__ = ["MapRun", "PlanningError", "plan_map", "run_maps", "PUSH", "PULL"]
