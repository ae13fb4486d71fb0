# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The push and pull jobs: S32S maps between local directories and S3.

**PRIVATE**: this module is internal to the s32s.sync collection.

A push makes each map's ``prefix/`` equal to its ``master`` directory; a
pull makes each ``slave`` directory equal to the map's ``prefix/``. Both
are the same job over :class:`runner.Pair` of a local side and an S3 side;
only the order of the sides differs. Every map is planned and gated before
the first change of the job.
"""

from __future__ import annotations

import contextlib
import os
import typing as t

from ..config.maps import SyncMap
from ..errors import StoreError
from ..config.options import SyncOptions
from ..sides.local import LocalSide, WriteOptions
from ..sides.s3 import S3Side
from ..sides.s3store import S3Store
from ..sides.tree import FOLLOW_NEVER
from ..state import manifest as _manifest
from ..state.lock import HostLock, lock_path
from ..state.parts import PartLedger
from ..sides.orphans import SWEEP_INTERVAL_S, sweep_orphans
from ..state.unreported import marker_path
from .runner import Pair, PairRun, run_pairs

PUSH = "push"
PULL = "pull"


def map_pairs(direction: str, maps: t.Sequence[SyncMap], store: S3Store, options: SyncOptions,
              endpoint: str = "") -> list[Pair]:
    """One :class:`Pair` per map: local -> S3 for ``push``, S3 -> local for ``pull``.

    A pull's local side lists symlinks as entries (a link is replaced, never
    followed), takes a missing directory for an empty one, and writes with
    ``mode``, ``directory_mode``, ``owner`` and ``group`` (else, with
    ``preserve_mode``, the mode an object's metadata carries); a push records
    each file's mode in its object's metadata (``preserve_mode``, ``sides/modes.py``). With a
    ``lock_dir`` (the module's ``state_dir``) each pair keeps its marker of
    unreported changes there, per map and direction. A push's S3 side gets the
    part ledger of that directory (``lock_dir``, else ``state_dir``): its
    multipart uploads are resumable (``state/parts.py``, ``sides/resumable.py``).
    """
    pairs = []
    parts_dir = options.lock_dir or options.state_dir
    for m in maps:
        ledger = PartLedger(parts_dir, endpoint) if direction == PUSH and parts_dir else None
        remote = S3Side(store, m.s3, endpoint, options.concurrency,
                        attributes=options.attributes if direction == PUSH else None, ledger=ledger,
                        record_modes=direction == PUSH and options.preserve_mode)
        if direction == PUSH:
            src, dst = LocalSide(m.root, follow_symlinks=options.follow_symlinks), remote
        else:
            writes = WriteOptions(options.mode, options.directory_mode, options.owner, options.group,
                                  source_modes=options.preserve_mode)
            src, dst = remote, LocalSide(m.root, follow_symlinks=FOLLOW_NEVER, links_as_entries=True,
                                         must_exist=False, writes=writes)
        state_path = ""
        if options.state_dir:
            state_path = _manifest.manifest_path(options.state_dir, _manifest.LOCAL_S3, _manifest.local_identity(
                endpoint, m.s3.bucket, m.s3.prefix, m.root))
        unreported_path = ""
        if options.lock_dir:
            unreported_path = marker_path(options.lock_dir, direction, _manifest.local_identity(
                endpoint, m.s3.bucket, m.s3.prefix, m.root))
        pairs.append(Pair(m.name, f"map '{m.name}'", src, dst, ignore=m.ignore, files=m.files,
                          state_path=state_path, about={"map": m.name, "s3": str(m.s3), "root": m.root},
                          shown=(str(m.s3), m.root), unreported_path=unreported_path, note=m.unknown_note))
    return pairs


def map_lock_path(direction: str, m: SyncMap, lock_dir: str, endpoint: str = "") -> str:
    """The host lock of a map's destination: its S3 prefix (push) or its local directory (pull)."""
    if direction == PUSH:
        return lock_path(lock_dir, PUSH, (endpoint, m.s3.bucket, m.s3.prefix))
    return lock_path(lock_dir, PULL, (os.path.realpath(m.root),))


def run_maps(direction: str, maps: t.Sequence[SyncMap], store: S3Store, options: SyncOptions, *,
             check_mode: bool, endpoint: str = "",
             before_changes: t.Optional[t.Callable[[], None]] = None) -> list[PairRun]:
    """Plan every map, then (unless ``check_mode``) apply them in order.

    :param direction: ``'push'`` or ``'pull'``.
    :param endpoint: the endpoint URL (part of the state's identity).
    :param before_changes: see :func:`runner.run_pairs`.
    :returns: one :class:`PairRun` per map.
    :raises PlanningError: a map could not be planned; nothing was changed.
    :raises ConfigError: ``owner``/``group`` do not exist (before any change).
    :raises LockTimeout: another run held a destination's lock for longer than
        ``lock_timeout`` (nothing was changed).

    Unless ``check_mode`` (or without ``lock_dir``), the host lock of every
    map's destination is taken first, in one order (so two runs with common
    maps never deadlock), and held until the manifests are written: a second
    run on the same destination waits, then lists what the first one left.
    """
    pairs = map_pairs(direction, maps, store, options, endpoint)
    if check_mode or not options.lock_dir:
        runs = run_pairs(pairs, options, check_mode=check_mode, before_changes=before_changes)
        return runs if check_mode else sweep_uploads(runs, options)
    labels: dict[str, str] = {}
    for m in maps:
        labels.setdefault(map_lock_path(direction, m, options.lock_dir, endpoint), f"map '{m.name}'")
    what = "another push to this S3 prefix" if direction == PUSH else "another pull into this directory"
    with contextlib.ExitStack() as stack:
        for path in sorted(labels):
            stack.enter_context(HostLock(path, options.lock_timeout, labels[path], what))
        return sweep_uploads(run_pairs(pairs, options, check_mode=check_mode, before_changes=before_changes), options)


def sweep_uploads(runs: list[PairRun], options: SyncOptions) -> list[PairRun]:
    """After a push's transfers, under its locks: abort the orphaned multipart uploads
    of each applied map's prefix (``sides/orphans.py``) and put what was resumed and
    aborted in ``run.details['multipart']``. A failed sweep is a warning, never a
    failed map (the uploads stay for the next run and the age limit)."""
    for run in runs:
        dst = run.pair.dst
        ledger = getattr(dst, "ledger", None)
        if not isinstance(dst, S3Side) or ledger is None:
            continue
        if run.applied is not None:
            settled = {dst.key(rel) for rel in run.plan.unchanged}
            try:
                sweep_orphans(dst.store.client, dst.location, ledger, options.orphan_upload_age_s, settled,
                              interval_s=SWEEP_INTERVAL_S)
            except (StoreError, OSError) as e:
                run.warnings.append(f"{run.pair.label}: open multipart uploads were not swept: "
                                    f"{getattr(e, 'msg', None) or e}")
        events = ledger.take_events()
        run.details["multipart"] = {
            "resumed": [{k: e[k] for k in ("key", "parts_reused", "parts_sent")}
                        for e in events if e["event"] == "resumed"],
            "aborted": [{k: e[k] for k in ("key", "reason")} for e in events if e["event"] == "aborted"]}
    return runs


__all__ = ["map_pairs", "map_lock_path", "run_maps", "sweep_uploads", "PUSH", "PULL"]
