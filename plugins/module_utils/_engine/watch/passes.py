# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One pass of the watcher over one map: the push job, targeted or full.

**PRIVATE**: this module is internal to the s32s.sync collection.

The watcher has no pipeline of its own (DESIGN.md, "Sides"): a pass is the
push of ``jobs/push_pull.py`` for one map, restricted to the dirty paths
(``only``, a targeted plan) or over the whole map (a rescan), under the same
host lock, planned, gated and applied by the same runner and executor. The
manifest makes both cheap: a file whose stat matches its record is not read.
:func:`run_pass` turns what the runner did into an :class:`Outcome` per path.
"""

from __future__ import annotations

import os
import typing as t
from dataclasses import dataclass, field

from ..config.maps import SyncMap
from ..config.options import SyncOptions
from ..errors import ConfigError, S32SError
from ..jobs.push_pull import PUSH, map_lock_path, map_pairs, sweep_uploads
from ..jobs.runner import PlanningError, run_pairs
from ..plan.plan import DELETE, TRANSFERS
from ..sides.s3store import S3Store
from ..state.lock import HostLock

#: The pass could not run at all, for a reason of the whole map (store, lock, watched directory): retried later.
MAP_PROBLEM = "map"
#: The gate refused the pass (budget...): the paths count a failed attempt.
REFUSED = "refused"


@dataclass
class Outcome:
    """What one pass did.

    :ivar failed: relpath -> reason, paths that failed (transfer, deletion, unreadable file).
    :ivar held: relpath -> reason, paths the pass did not try (deletions held by another failure).
    :ivar sent: objects uploaded; :ivar deleted: objects deleted.
    :ivar done: ``(kind, relpath)`` of each action applied (``create``, ``update``, ``delete``).
    :ivar error: why the pass failed or was refused (one line), else ``None``.
    :ivar problem: ``''`` (it ran), :data:`MAP_PROBLEM` or :data:`REFUSED` (it did not run).
    """

    failed: dict[str, str] = field(default_factory=dict)
    held: dict[str, str] = field(default_factory=dict)
    sent: int = 0
    deleted: int = 0
    done: list[tuple[str, str]] = field(default_factory=list)
    error: t.Optional[str] = None
    problem: str = ""


def master_problem(root: str, *, for_deletions: bool) -> t.Optional[str]:
    """Why the watched directory cannot be trusted, or ``None``.

    Missing, not a directory or unreadable: nothing can be decided. Empty,
    ``for_deletions``: an unmounted mount point looks the same, so no
    deletion is made from it (Syncthing's folder marker, filecloudsync
    emptied a bucket; ``mc mirror`` deleted every target file after a
    restart with an unreadable source).
    """
    try:
        with os.scandir(root) as it:
            empty = next(it, None) is None
    except FileNotFoundError:
        return f"the watched directory {root} does not exist (unmounted?); nothing is sent or deleted"
    except NotADirectoryError:
        return f"the watched path {root} is not a directory; nothing is sent or deleted"
    except OSError as e:
        return f"the watched directory {root} cannot be read ({e.strerror}); nothing is sent or deleted"
    if empty and for_deletions:
        return f"the watched directory {root} is empty (unmounted?); no deletion is made from it"
    return None


def run_pass(m: SyncMap, store: S3Store, options: SyncOptions, endpoint: str,
             only: t.Optional[t.AbstractSet[str]] = None, lock_timeout: float = 10.0) -> Outcome:
    """Push map ``m``: the paths ``only`` (a targeted pass), or all (``None``, a rescan).

    Deletions happen only with ``options.delete``, through the safety gate,
    and never while :func:`master_problem` finds the watched directory
    missing, unreadable or (unless ``options.allow_empty_source``) empty. Never raises for an engine error: the
    outcome says what happened.
    """
    # A full pass: the gate refuses an empty source itself. allow_empty_source: the operator said an empty
    # directory is meant, so a targeted pass may delete from it too (within max_delete).
    deleting = options.delete and only is not None and not options.allow_empty_source
    problem = master_problem(m.root, for_deletions=deleting)
    if problem is not None:
        return Outcome(error=f"map '{m.name}': {problem}", problem=MAP_PROBLEM)
    pair = map_pairs(PUSH, [m], store, options, endpoint)[0]
    pair.only = frozenset(only) if only is not None else None

    def still_there() -> None:  # checked again when planning, just before the listing
        again = master_problem(m.root, for_deletions=deleting)
        if again is not None:
            raise ConfigError(again, master=True)

    pair.precheck = still_there
    try:
        lock = HostLock(map_lock_path(PUSH, m, t.cast(str, options.lock_dir), endpoint), lock_timeout,
                        f"map '{m.name}'", "another push to this S3 prefix")
        with lock:
            # The orphan sweep of a push, under the same lock (issue 13 point 4): uploads this
            # host left open under the prefix are aborted (sides/orphans.py).
            run = sweep_uploads(run_pairs([pair], options, check_mode=False, allow_fork=False), options)[0]
    except PlanningError as e:
        run = e.runs[0]
        transient = "code" in run.details or "master" in run.details
        return Outcome(error=run.error, problem=MAP_PROBLEM if transient else REFUSED)
    except S32SError as e:  # the host lock, owner/group...
        return Outcome(error=f"map '{m.name}': {e.msg}", problem=MAP_PROBLEM)
    except OSError as e:  # the lock file
        return Outcome(error=f"map '{m.name}': {e.strerror or e}", problem=MAP_PROBLEM)
    applied = run.applied
    out = Outcome(error=run.error if run.status != "ok" else None)
    if applied is None:
        return out
    out.failed = {p.rstrip("/"): why for p, why in applied.failed}
    for relpath, why in run.plan.unreadable:
        out.failed[relpath] = f"cannot be read: {why}"
    why_held = applied.deletes_blocked or applied.updates_blocked or "not run"
    out.held = {a.relpath: why_held for a in applied.not_run if a.relpath not in out.failed}
    out.done = [(a.kind, a.relpath) for a in applied.done if a.kind in TRANSFERS or a.kind == DELETE]
    out.sent = sum(1 for a in applied.done if a.kind in TRANSFERS)
    out.deleted = sum(1 for a in applied.done if a.kind == DELETE)
    return out


__all__ = ["Outcome", "run_pass", "master_problem", "MAP_PROBLEM", "REFUSED"]
