# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The job runner: sides -> listings -> plan -> gate -> executor -> state.

**PRIVATE**: this module is internal to the s32s.sync collection.

A job is a list of :class:`Pair` (a map of push or pull, a destination of
replicate). Every pair is listed, planned and checked by the gate *before
the first mutating request of the job*. With ``independent=False`` (push,
pull) a pair that cannot be planned stops the whole job before any change
(``PlanningError`` carries every pair's outcome); with ``independent=True``
(replicate) it is reported and the others go on. Then the pairs are applied
one after the other; a failure in one does not stop the others, and blocks
only its own deletions. The end of a pair (status, message, state) is
written once, here.
"""

from __future__ import annotations

import typing as t

from ..config.ignore import IgnoreRules
from ..config.options import SyncOptions
from ..errors import ConfigError, S32SError
from ..plan.compare import ManifestComparator, ReplicaComparator
from ..plan.gate import Scope, check_plan
from ..plan.object_fixes import applied_after, with_attribute_fixes
from ..plan.obstacles import obstacle_message, unowned_obstacles
from ..plan.plan import DELETE, UPDATE, Plan, make_plan
from ..sides.local import LocalSide
from ..sides.s3 import S3Side
from ..sides.side import Side
from ..sides.tree import Tree
from ..state import manifest as _manifest
from ..state import unreported as _unreported
from .content import check_contents
from .executor import Applied, apply_plan
from .modes import apply_local_fixes, known_modes, plan_local_fixes, stamp_modes
from .pools import pool_for
from .state_after import listed_after, records_after
from .transfers import transfer_for, verb_for


class Pair:
    """One unit of a job: what goes from side ``src`` to side ``dst``.

    :param name: the map's or destination's name (results).
    :param label: how messages name it (``map 'site'``, ``destination 'dr'``).
    :param ignore: the ignore rules of both listings.
    :param files: a ``files`` map's relpaths, or ``None``.
    :param only: a targeted run's relpaths, or ``None`` for a full run.
    :param state_path: the manifest file, or ``''`` for no state.
    :param about: descriptive strings saved in the manifest.
    :param shown: ``(s3, root)`` as the result shows them.
    :param src_tree: the source listing when the job made it already (shared by pairs).
    :param precheck: called first when planning; raises ``S32SError`` to refuse the pair.
    :param unreported_path: the marker of a change no run has reported yet
        (``state/unreported.py``), or ``''`` when the front door does not track them.
    :param note: added to a refusal of this pair (``'; note: this map has unknown field ...'``:
        ``SyncMap.unknown_note``), where the user looks first.
    """

    def __init__(self, name: str, label: str, src: Side, dst: Side, *, ignore: IgnoreRules,
                 files: t.Optional[t.Sequence[str]] = None, only: t.Optional[t.AbstractSet[str]] = None,
                 state_path: str = "", about: t.Optional[t.Mapping[str, str]] = None,
                 shown: tuple[str, str] = ("", ""), src_tree: t.Optional[Tree] = None,
                 precheck: t.Optional[t.Callable[[], None]] = None, unreported_path: str = "",
                 note: str = "") -> None:
        self.name = name
        self.label = label
        self.src = src
        self.dst = dst
        self.ignore = ignore
        self.files = files
        self.only = frozenset(only) if only is not None else None
        self.state_path = state_path
        self.about = dict(about or {})
        self.shown = shown
        self.src_tree = src_tree
        self.precheck = precheck
        self.unreported_path = unreported_path
        self.note = note

    @property
    def fixes_objects(self) -> bool:
        """Objects this pair uploads get their attributes (and recorded mode) fixed
        when only those differ (a push; ``plan/object_fixes.py``)."""
        return self.src.is_local and isinstance(self.dst, S3Side)

    @property
    def state_kind(self) -> str:
        """The manifest kind of this pair of sides."""
        return _manifest.S3_S3 if isinstance(self.src, S3Side) and isinstance(self.dst, S3Side) \
            else _manifest.LOCAL_S3

    def comparator(self, records: t.Mapping[str, t.Any], checked: t.Optional[t.Mapping[str, bool]] = None) -> t.Any:
        """The comparator of this pair of sides (``plan/compare.py``)."""
        if self.state_kind == _manifest.S3_S3:
            return ReplicaComparator(records)
        return ManifestComparator(records, checked, local_is_source=self.src.is_local)


class PairRun:
    """The life of one pair in a job.

    :ivar status: ``planned``, ``ok``, ``failed`` (something failed while
        applying) or ``refused`` (could not be planned, or the gate said no).
    :ivar error: the one-line reason when not ``ok``.
    :ivar details: facts of a refusal (``would_delete``: deletions the gate refused).
    :ivar changed_earlier: an earlier run changed this pair and was never
        reported (its marker is there): this run reports ``changed`` for it.
    :ivar fixes: local fixes of in-sync paths of a pull (``plan/local_fixes.Fix``); ``fixed``: those applied.
    :ivar modes: relpath -> ``(mode the object carries, LastModified ns to record)`` of in-sync paths
        (``jobs/modes.known_modes``).
    """

    def __init__(self, pair: Pair) -> None:
        self.pair = pair
        self.status = "planned"
        self.error = ""
        self.src = Tree()
        self.dst = Tree()
        self.plan = Plan()
        self.state = _manifest.EMPTY
        self.applied: t.Optional[Applied] = None
        self.warnings: list[str] = []
        self.details: dict[str, t.Any] = {}
        self.changed_earlier = False
        self.fixes: list[t.Any] = []
        self.fixed: list[t.Any] = []
        self.modes: dict[str, tuple[int, int]] = {}

    @property
    def verb(self) -> str:
        """How a create is named in diff lines (``upload``, ``download``, ``copy``)."""
        return verb_for(self.pair.src, self.pair.dst)


class PlanningError(S32SError):
    """At least one pair could not be planned; nothing was changed.

    ``runs`` holds every pair's :class:`PairRun` for the report.
    """

    def __init__(self, msg: str, runs: list[PairRun]) -> None:
        super().__init__(msg)
        self.runs = runs


def _list(side: t.Any, only: t.Optional[frozenset[str]], ignore: IgnoreRules) -> Tree:
    return side.list_all(ignore) if only is None else side.list_selected(sorted(only), ignore)


def plan_pair(run: PairRun, options: SyncOptions) -> None:
    """List both sides, plan, resolve content checks, and gate.

    :raises S32SError: the pair cannot be planned (``ConfigError``, ``StoreError``, ``SafetyError``).
    """
    pair = run.pair
    run.changed_earlier = bool(pair.unreported_path) and _unreported.is_marked(pair.unreported_path)
    if pair.precheck is not None:
        pair.precheck()
    transfer_for(pair.src, pair.dst, Tree())  # no transfer between these sides: refused before any change
    run.src = pair.src_tree if pair.src_tree is not None else _list(pair.src, pair.only, pair.ignore)
    reserved = [p for p in run.src.entries if pair.dst.reserved_name(p)]
    if reserved:  # the destination would take them for leftovers of its own
        run.src = run.src.copy()  # a listing shared by several pairs stays as listed
        for relpath in reserved:
            del run.src.entries[relpath]
            run.src.skipped.append((relpath, t.cast(str, pair.dst.reserved_name(relpath))))
    run.dst = _list(pair.dst, pair.only, pair.ignore)
    if pair.state_path:
        run.state = _manifest.load(pair.state_path, pair.state_kind)
    options_kw = dict(delete=options.delete, files=pair.files, only=pair.only, dirs=pair.dst.has_dirs)
    run.plan = make_plan(run.src, run.dst, pair.comparator(run.state.records), **options_kw)
    if run.plan.verify:
        local_is_source = pair.src.is_local
        local_side, local, remote = ((pair.src, run.src, run.dst) if local_is_source
                                     else (pair.dst, run.dst, run.src))
        checked, unreadable = check_contents(run.plan.verify, local_side, local, remote,
                                             local_is_source=local_is_source, workers=options.concurrency)
        run.plan = make_plan(run.src, run.dst, pair.comparator(run.state.records, checked), unreadable=unreadable,
                             **options_kw)
    if run.plan.missing:
        raise ConfigError(f"{pair.label}: field 'files' lists {len(run.plan.missing)} path(s) the source does "
                          f"not have: {list(run.plan.missing[:5])}")
    _refuse_unowned_obstacles(run)
    if pair.fixes_objects and pair.state_path:
        _plan_object_fixes(run, options)
    location = next((s.address for s in (pair.dst, pair.src) if isinstance(s, S3Side)), None)
    check_plan(run.plan, Scope.of(pair.label, pair.dst.address, pair.ignore, location), run.src, run.dst, options,
               budget_base=_budget_base(run))
    plan_local_fixes(run, options.concurrency)


def _refuse_unowned_obstacles(run: PairRun) -> None:
    """Refuse the pair when something it does not own stands in the way of a
    transfer (``plan/obstacles.py``).

    :raises ConfigError: naming the first obstacle (before any change).
    """
    pair = run.pair
    found = unowned_obstacles(run.plan, run.dst, files_map=pair.files is not None,
                              local=isinstance(pair.dst, LocalSide))
    if found:
        raise ConfigError(obstacle_message(pair.label, found))


def _plan_object_fixes(run: PairRun, options: SyncOptions) -> None:
    """Add the object fixes of a push with a manifest to its plan (``plan/object_fixes.py``).

    Without a manifest, attributes and modes go with uploads only. With neither
    rules nor recorded fingerprints every wanted and recorded fingerprint is
    ``''`` (no path to resolve); with ``preserve_mode`` the mode each in-sync
    object carries is learned first (the record, else one HeadObject).
    """
    pair, dst = run.pair, t.cast(S3Side, run.pair.dst)
    resolve = dst.attributes.resolve if dst.attributes or run.state.attrs else None
    carried = None
    if dst.record_modes:
        run.modes = known_modes(run.plan, run.dst.entries, run.state.records, dst, options.concurrency,
                                run.warnings, pair.label)
        carried = {relpath: mode for relpath, (mode, _mtime) in run.modes.items()}
    run.plan = with_attribute_fixes(run.plan, run.src, run.state.attrs, resolve, carried)


def _budget_base(run: PairRun) -> t.Optional[int]:
    """The destination count a percentage budget is taken of: ``None`` (the
    listing) for a full run; for a targeted run with deletions, the count of
    the last full run the state knows, else a full listing of the destination."""
    pair = run.pair
    if pair.only is None or not run.plan.deletes:
        return None
    if run.state.listed is not None:
        return run.state.listed
    return len(pair.dst.list_all(pair.ignore).entries)


def finish_pair(run: PairRun) -> None:
    """Set the status and message of an applied pair and save its state."""
    pair, applied = run.pair, t.cast(Applied, run.applied)
    if applied.failed or run.plan.unreadable:
        run.status = "failed"
        parts = []
        if run.plan.unreadable:
            path, why = run.plan.unreadable[0]
            parts.append(f"{len(run.plan.unreadable)} source file(s) could not be read (kept as they are on the "
                         f"destination), first {path!r}: {why}")
        if applied.failed:
            path, why = applied.failed[0]
            parts.append(f"{len(applied.failed)} action(s) failed, first {path!r}: {why}")
        run.error = f"{pair.label}: " + "; ".join(parts)
        updates_not_run = [a for a in applied.not_run if a.kind == UPDATE]
        if updates_not_run:
            run.error += f"; {len(updates_not_run)} update(s) not run (site-safe order)"
        not_run = [a for a in applied.not_run if a.kind == DELETE]
        if not_run:
            run.error += f"; {len(not_run)} deletion(s) not run"
    else:
        run.status = "ok"
    if not pair.state_path:
        return
    written = run.applied.written if run.applied is not None else {}
    records = records_after(run.plan, run.src, run.dst, run.state.records, pair.comparator, written)
    if pair.state_kind == _manifest.LOCAL_S3:
        stamp_modes(records, run, written)
    listed = listed_after(run.plan, run.src, run.dst, run.state.listed, run.applied,
                          s3_destination=isinstance(pair.dst, S3Side))
    fingerprint_of = (lambda p: pair.dst.attributes.resolve(p).fingerprint) if pair.fixes_objects else None
    attrs = applied_after(run.plan, records, run.state.attrs, written, fingerprint_of)
    if records == run.state.records and listed == run.state.listed and attrs == run.state.attrs:
        return  # a no-op run leaves the file alone
    try:
        _manifest.save(pair.state_path, pair.state_kind, records, pair.about, listed, attrs)
    except OSError as e:
        run.warnings.append(f"{pair.label}: could not save the manifest: {e.strerror}")


def run_pairs(pairs: t.Sequence[Pair], options: SyncOptions, *, check_mode: bool, independent: bool = False,
              allow_fork: bool = True, before_changes: t.Optional[t.Callable[[], None]] = None) -> list[PairRun]:
    """Plan every pair, then (unless ``check_mode``) apply the planned ones in order.

    :param independent: a pair that cannot be planned is reported and the
        others go on (else the whole job stops before any change).
    :param allow_fork: a one-shot process may transfer on forked processes.
    :param before_changes: called once, after every plan passed and before
        the first change of the job (the module makes itself finish the run
        even when its controller is gone).

    A pair with an ``unreported_path`` gets its marker before its first
    change (see ``state/unreported.py``); the front door removes it when it
    reports the run (:func:`clear_unreported`). A pair that changed nothing
    after all (every action failed) loses a marker it did not inherit.
    :returns: one :class:`PairRun` per pair.
    :raises PlanningError: (``independent=False``) a pair could not be planned; nothing was changed.
    :raises ConfigError: a destination cannot be written as asked (owner, group), before any change.
    """
    for pair in pairs:
        pair.dst.prepare_writes()
    runs = [PairRun(p) for p in pairs]
    failures = []
    for run in runs:
        try:
            plan_pair(run, options)
        except S32SError as e:
            label = run.pair.label
            msg = (e.msg if e.msg.startswith(label) else f"{label}: {e.msg}") + run.pair.note
            run.status, run.error, run.details = "refused", msg, dict(e.details)
            failures.append(msg)
    if failures and not independent:
        more = f" (and {len(failures) - 1} more map(s))" if len(failures) > 1 else ""
        tail = "" if "nothing was changed" in failures[0] and not more else "; nothing was changed"
        raise PlanningError(f"{failures[0]}{more}{tail}", runs)
    if check_mode:
        return runs
    if before_changes is not None and any(r.plan.actions or r.fixes for r in runs if r.status != "refused"):
        before_changes()
    for run in runs:
        if run.status == "refused":
            continue
        _mark_unreported(run)
        s3_sides = [s for s in (run.pair.src, run.pair.dst) if isinstance(s, S3Side)]
        pool = pool_for(s3_sides, len(run.plan.transfers), options.transfer_processes, options.concurrency,
                        allow_fork)
        run.applied = apply_plan(run.plan, run.pair.src, run.pair.dst, run.src, run.dst, pool,
                                 ordered=options.ordered)
        apply_local_fixes(run, options.concurrency)
        if getattr(run.pair.dst, "created_root", False):
            run.warnings.append(f"{run.pair.label}: created the directory {run.pair.dst.root} and its missing "
                                f"parents (it did not exist)")
        nothing_changed = not run.applied.done and not run.applied.unproven and not run.fixed
        if nothing_changed and not run.changed_earlier and run.pair.unreported_path:
            _clear_quietly(run.pair.unreported_path)
        finish_pair(run)
    return runs


def _mark_unreported(run: PairRun) -> None:
    """Write the pair's marker before its first change (a pair with nothing to do gets none)."""
    pair = run.pair
    if not pair.unreported_path or not (run.plan.actions or run.fixes):
        return
    try:
        _unreported.mark(pair.unreported_path, pair.about)
    except OSError as e:
        run.warnings.append(f"{pair.label}: could not record the change in the state directory before making it "
                            f"({e.strerror}): should this run be interrupted, the next one may not report it")


def _clear_quietly(path: str) -> bool:
    try:
        return _unreported.clear(path)
    except OSError:
        return False  # the next run reports the change again: a spare notification, never a lost one


def clear_unreported(runs: t.Sequence[PairRun]) -> list[PairRun]:
    """Remove the markers of ``runs``: the front door is reporting them now.

    :returns: the runs whose marker was removed, for :func:`restore_unreported`
        should the report not reach its caller after all.
    """
    return [r for r in runs if r.pair.unreported_path and _clear_quietly(r.pair.unreported_path)]


def restore_unreported(runs: t.Sequence[PairRun]) -> None:
    """Put back the markers :func:`clear_unreported` removed (the report was lost)."""
    for run in runs:
        try:
            _unreported.mark(run.pair.unreported_path, run.pair.about)
        except OSError:
            pass  # nothing else to try: the process is about to end


__all__ = ["Pair", "PairRun", "PlanningError", "plan_pair", "finish_pair", "run_pairs", "clear_unreported",
           "restore_unreported"]
