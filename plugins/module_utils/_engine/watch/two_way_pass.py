# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One pass of a map in two-way mode: the job of ``s32s_sync`` (``jobs/two_way.py``), whole.

**PRIVATE**: this module is internal to the s32s.sync collection.

The filecloudsync monitor case (issue 13 point 6): a folder shared by several
hosts through one prefix. A two-way pass is always a full sync against this
replica's base (the three-way plan needs both listings); local events ask for
one (settled), and the rescan timer brings the other replicas' changes. The
job's own safety holds as in ``s32s_sync``: the gate of both sides, the host
lock and the lease, the trash, conflict copies (``keep_both``), no deletion
from a missing, empty or unreadable side.
"""

from __future__ import annotations

import socket
import typing as t

from ..config.maps import SyncMap
from ..config.options import FOLLOW_NEVER, SyncOptions
from ..errors import S32SError, StoreError
from ..jobs.two_way import LockTimeout, SyncJob, run_sync
from ..jobs.two_way_report import to_result
from ..plan.threeway import DELETE, REMOTE, UPLOAD
from ..sides.lease import LeaseHeld
from ..sides.local import LocalSide
from ..sides.s3 import S3Side
from ..sides.s3store import S3Store
from .passes import MAP_PROBLEM, REFUSED, Outcome, master_problem


def replica_name() -> str:
    """This host's short name: the replica's name in conflict copies and trash folders."""
    return socket.gethostname().split(".")[0] or "replica"


def run_two_way(m: SyncMap, store: S3Store, options: SyncOptions, endpoint: str,
                replica: t.Optional[str] = None) -> Outcome:
    """Sync map ``m`` both ways (``options.delete``: deletions propagate); never raises for an engine error.

    ``sent`` counts uploads, ``deleted`` objects deleted; downloads and local
    deletions are in ``done`` (``download``, ``delete``) and the log.
    """
    problem = master_problem(m.root, for_deletions=False)
    if problem is not None:  # never create a watched directory that is gone (an unmounted disk)
        return Outcome(error=f"map '{m.name}': {problem}", problem=MAP_PROBLEM)
    replica = replica or replica_name()
    job = SyncJob(local=LocalSide(m.root, follow_symlinks=FOLLOW_NEVER, must_exist=False),
                  remote=S3Side(store, m.s3, endpoint, workers=options.concurrency), ignore=m.ignore,
                  options=options, delete=options.delete, replica=replica, lock_timeout=10.0,
                  label=f"map '{m.name}' (two-way)",
                  about={"path": m.root, "s3": str(m.s3), "endpoint": endpoint, "replica": replica})
    try:
        run = run_sync(job, check_mode=False)
    except (StoreError, LockTimeout, LeaseHeld) as e:
        return Outcome(error=e.msg, problem=MAP_PROBLEM)
    except S32SError as e:  # the gate refused (an emptied side, max_delete...)
        return Outcome(error=e.msg, problem=REFUSED)
    result = to_result(run, check_mode=False, diff=False)
    out = Outcome(error=(result["msg"] or f"map '{m.name}': {result['status']}") if result["status"] != "ok" else None)
    out.failed = dict(run.local.errors)
    if run.applied is not None:
        out.failed.update((where.partition(":")[2] or where, why) for where, why in run.applied.failed)
        done = run.applied.done
        out.done = [(a.kind if a.side == REMOTE or a.kind != DELETE else "local_delete", a.relpath) for a in done]
        out.sent = sum(1 for a in done if a.kind == UPLOAD)
        out.deleted = sum(1 for a in done if a.kind == DELETE and a.side == REMOTE)
    return out


__all__ = ["run_two_way", "replica_name"]
