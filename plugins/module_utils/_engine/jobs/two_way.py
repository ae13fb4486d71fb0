# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two-way job: one local directory <-> one S3 prefix, against this replica's base.

**PRIVATE**: this module is internal to the s32s.sync collection.

sides -> listings (one ListObjectsV2 per 1,000 keys, no HEAD) -> base ->
three-way plan (``plan/threeway.py``), with content checks for same-size
changes -> gate (``plan/gate.check_sync_plan``) -> host lock -> apply
(``two_way_apply.py``) -> base. Check mode stops after the gate and writes
nothing, not even a lock.

The names this product keeps under the root and ``prefix/`` (the trash
``.s32s-trash/``, the lock ``.s32s-sync/``) are never synced (:data:`RESERVED`).
"""

from __future__ import annotations

import datetime
import os
import socket
import time
import typing as t
from dataclasses import dataclass, field

from ..config.ignore import IgnoreRules
from ..config.options import SyncOptions
from ..errors import ConfigError, S32SError
from ..plan.gate import Scope, check_sync_plan
from ..plan.threeway import KEEP_BOTH, LOCAL, REMOTE, SyncPlan, make_sync_plan
from ..sides.lease import DEFAULT_DURATION_S, Lease, LeaseHeld
from ..sides.local import LocalSide
from ..sides.s3 import S3Side
from ..sides.tree import Tree
from ..state import manifest as _manifest
from ..state import unreported as _unreported
from ..state.base import SYNC, Base
from ..state.lock import HostLock, LockTimeout
from ..state.records import Record
from .content import hash_against
from .pools import ThreadPool
from .trash import TRASH, expire_local, expire_remote, folder_name
from .two_way_apply import SyncApplied, SyncApplier

#: ``lock`` choices: a lease in the bucket where the store honours conditional writes, else the host lock
#: and a warning (``auto``); the lease or no change at all (``required``); the host lock only (``off``).
LOCK_AUTO, LOCK_REQUIRED, LOCK_OFF = "auto", "required", "off"
LOCK_CHOICES = (LOCK_AUTO, LOCK_REQUIRED, LOCK_OFF)
#: Seconds between two attempts to take a lease another replica holds.
LEASE_POLL_S = 1.0

#: Top-level names under the root and ``prefix/`` that belong to this product.
RESERVED = (TRASH, ".s32s-sync")


@dataclass
class SyncJob:
    """One two-way sync as asked.

    :ivar local: the local side (its root may be missing: a first sync creates it).
    :ivar remote: the S3 side.
    :ivar ignore: the user's ignore rules (the reserved names are added).
    :ivar options: ``max_delete``, ``allow_bare_bucket``, ``concurrency``, ``state_dir``.
    :ivar conflict: the policy (``threeway.CONFLICT_POLICIES``).
    :ivar delete: propagate deletions.
    :ivar readonly: never write the bucket.
    :ivar trash: keep what is replaced or deleted.
    :ivar trash_retention_days: trash folders older than this are removed by a
        run that writes their side (``<= 0``: kept forever).
    :ivar replica: this replica's name (conflict copies, the trash folder).
    :ivar lock_timeout: seconds to wait for another run of this replica.
    :ivar label: how messages name the job.
    :ivar unreported: keep markers of unreported changes in the state directory
        (the module reports its runs and removes them; ``state/unreported.py``).
    :ivar clock: the UTC time of a run (conflict names, trash folders); tests pin it.
    """

    local: LocalSide
    remote: S3Side
    ignore: IgnoreRules
    options: SyncOptions
    conflict: str = KEEP_BOTH
    delete: bool = True
    readonly: bool = False
    trash: bool = True
    trash_retention_days: float = 30.0
    replica: str = "replica"
    lock_timeout: float = 60.0
    lock: str = LOCK_AUTO
    lease_duration: float = DEFAULT_DURATION_S
    label: str = "sync"
    unreported: bool = False
    about: dict[str, str] = field(default_factory=dict)
    clock: t.Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.timezone.utc)

    @property
    def holder(self) -> str:
        """Who this replica is in a lease: its name and a digest of its base file name."""
        return f"{self.replica}:{os.path.basename(self.base_path)[-13:-5]}"

    @property
    def base_path(self) -> str:
        """The base file of this replica. Its identity is the endpoint, bucket,
        prefix and local root, and this host (``host_id``): a ``state_dir``
        shared by several hosts (an NFS home) never gives one host another's
        base."""
        loc = self.remote.location
        identity = _manifest.local_identity(self.remote.endpoint, loc.bucket, loc.prefix, self.local.root)
        return _manifest.manifest_path(self.options.state_dir or _manifest.DEFAULT_STATE_DIR, SYNC,
                                       identity + (host_id(),))

    def unreported_path(self, local_only: bool = False) -> str:
        """The marker of a change of this replica no run has reported yet (``state/unreported.py``):
        any change, or (``local_only``) a change of the local side, which the role's handler follows."""
        loc = self.remote.location
        identity = _manifest.local_identity(self.remote.endpoint, loc.bucket, loc.prefix, self.local.root)
        return _unreported.marker_path(self.options.state_dir or _manifest.DEFAULT_STATE_DIR,
                                       "sync-local" if local_only else "sync", identity + (host_id(),))

    @property
    def state_dir(self) -> str:
        """The real path of the state directory."""
        return os.path.realpath(os.path.expanduser(self.options.state_dir or _manifest.DEFAULT_STATE_DIR))


class SyncRun:
    """The life of one job: listings, plan, what was applied, warnings."""

    def __init__(self, job: SyncJob) -> None:
        self.job = job
        self.local = Tree()
        self.remote = Tree()
        self.base: dict[str, Record] = {}
        self.plan = SyncPlan()
        self.applied: t.Optional[SyncApplied] = None
        self.warnings: list[str] = []
        self.now = job.clock()
        self.stamp = self.now.strftime("%Y%m%dT%H%M%SZ")
        self.trash_expired: list[tuple[str, str]] = []  # (side, folder or trash relpath) removed
        self.local_missing = False
        #: An earlier run changed this replica (``changed_local_earlier``: its local side) and was never reported.
        self.changed_earlier = job.unreported and _unreported.is_marked(job.unreported_path())
        self.changed_local_earlier = job.unreported and _unreported.is_marked(job.unreported_path(local_only=True))

    def skipped_warnings(self) -> list[str]:
        """One warning per path the listings skipped or rejected (at most 20)."""
        return [f"{self.job.label}: skipped {p!r}: {reason}"
                for p, reason in (self.local.skipped + self.remote.rejected)[:20]]


def host_id() -> str:
    """This host: ``/etc/machine-id`` (systemd, D-Bus), else the host name."""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(path, encoding="ascii") as f:
                value = f.read().strip()
            if value:
                return value
        except (OSError, UnicodeDecodeError):
            continue
    return socket.gethostname()


def _listing_rules(job: "SyncJob") -> IgnoreRules:
    """The user's rules, the reserved names, and the state directory when it lies
    under the local root (its files must never be synced)."""
    extra = list(RESERVED)
    root, state = os.path.realpath(job.local.root), job.state_dir
    if state == root or state.startswith(root.rstrip("/") + "/"):
        extra.append(os.path.relpath(state, root))
    return IgnoreRules(list(job.ignore.rules) + [r for r in extra if r != "."], "ignore")


def _check_contents(job: SyncJob, local: Tree, pairs: t.Sequence[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """Hash the local files of ``pairs`` against the ETags; an unreadable file
    becomes an error of ``local`` (its path is then held)."""
    checked: dict[tuple[str, str], bool] = {}
    for pair, same, err in hash_against(pairs, job.local, local, job.options.concurrency):
        if same is None:
            local.errors.append((pair[0], err))
            local.entries.pop(pair[0], None)
        else:
            checked[pair] = same
    return checked


def plan_sync(run: SyncRun) -> None:
    """List both sides, load the base, plan (with content checks) and gate.

    :raises S32SError: a side cannot be listed, or the gate refuses (nothing was changed).
    """
    job = run.job
    if job.state_dir == os.path.realpath(job.local.root):
        raise ConfigError(f"{job.label}: state_dir is the synced directory itself; choose another state_dir")
    rules = _listing_rules(job)
    run.local_missing = not os.path.isdir(job.local.root)
    run.local = job.local.list_all(rules)
    run.remote = job.remote.list_all(rules)
    run.base = Base(job.base_path).load()
    kw = dict(conflict=job.conflict, delete=job.delete, readonly=job.readonly, replica=job.replica,
              stamp=run.stamp, held=job.ignore.matches)
    run.plan = make_sync_plan(run.local, run.remote, run.base, **kw)
    checked: dict[tuple[str, str], bool] = {}
    while run.plan.verify:
        checked.update(_check_contents(job, run.local, run.plan.verify))
        run.plan = make_sync_plan(run.local, run.remote, run.base, checked=checked, **kw)
    local_scope = Scope.of(f"{job.label} (local)", job.local.address, job.ignore)
    remote_scope = Scope.of(f"{job.label} (remote)", job.remote.address, job.ignore)
    check_sync_plan(run.plan, local_scope, remote_scope, run.local, run.remote, job.options,
                    local_missing=run.local_missing)


def _take_lease(run: SyncRun) -> t.Optional[Lease]:
    """The lease, when the plan writes the bucket and ``lock`` is not ``off``; ``None`` otherwise.

    :raises LeaseHeld: another replica holds it for longer than ``lock_timeout``. :raises ConfigError: ``lock=required``
        and the store does not honour conditional writes.
    """
    job = run.job
    if job.lock == LOCK_OFF or job.readonly or not run.plan.writes_remote:
        return None
    lease = Lease(job.remote.store.client, job.remote.location, job.holder, job.lease_duration)
    deadline = time.monotonic() + job.lock_timeout
    while True:
        try:
            honoured = lease.acquire()
            break
        except LeaseHeld as e:
            if time.monotonic() >= deadline:
                raise LeaseHeld(f"{job.label}: {e.msg} (waited lock_timeout={job.lock_timeout:g} s)",
                                code=e.code) from None
            time.sleep(min(LEASE_POLL_S, max(0.0, deadline - time.monotonic())))
    if honoured:
        return lease
    if job.lock == LOCK_REQUIRED:
        raise ConfigError(f"{job.label}: lock=required, but the S3 endpoint does not honour conditional writes "
                          f"(If-None-Match), so no lease can be held; nothing was changed (use lock=auto to sync "
                          f"with the host lock only)")
    run.warnings.append(f"{job.label}: the S3 endpoint does not honour conditional writes; syncing with the host "
                        f"lock only (replicas on other hosts are not locked out; the trash keeps a lost race "
                        f"recoverable)")
    return None


def _expire_trash(run: SyncRun) -> None:
    """Remove the trash folders past their retention on each side this run wrote."""
    job, plan = run.job, run.plan
    days = job.trash_retention_days
    if days <= 0:
        return
    if plan.on(LOCAL):
        run.trash_expired.extend((LOCAL, f) for f in expire_local(job.local.real_root, run.now, days))
    if plan.writes_remote:
        try:
            outcome = expire_remote(job.remote.store, job.remote.location, days)
        except S32SError as e:
            run.warnings.append(f"{job.label}: the S3 trash could not be listed for expiry: {e.msg}")
            return
        run.trash_expired.extend((REMOTE, r) for r in outcome.deleted)
        if outcome.failed:
            run.warnings.append(f"{job.label}: {len(outcome.failed)} expired trash object(s) could not be deleted, "
                                f"first {outcome.failed[0][0]!r}: {outcome.failed[0][1]}")


def _apply(run: SyncRun, lease: t.Optional[Lease]) -> None:
    """Apply the plan of ``run`` and write the base (the host lock is held;
    ``lease``: the lease held, which also proved that the store honours
    conditional writes; when it is lost, nothing more is started)."""
    job = run.job
    conditional = lease is not None
    base = Base(job.base_path)
    records = dict(run.base)

    def agree(relpath: str, record: t.Optional[Record]) -> None:
        base.note(relpath, record)
        if record is None:
            records.pop(relpath, None)
        else:
            records[relpath] = record

    for relpath, record in run.plan.records.items():
        agree(relpath, record)
    for relpath in run.plan.dropped:
        agree(relpath, None)
    if run.plan.actions:
        if job.unreported:
            _mark_unreported(run)
        folder = folder_name(run.stamp, job.replica, os.urandom(4).hex()) if job.trash else ""
        applier = SyncApplier(job.local, job.remote, run.local, run.remote, agree, folder,
                              ThreadPool(job.options.concurrency), conditional=conditional,
                              should_stop=lambda: lease.lost if lease is not None else "")
        run.applied = applier.apply(run.plan)
        for relpath, why in run.applied.deferred:
            run.warnings.append(f"{job.label}: {relpath!r} not uploaded: {why}")
        _expire_trash(run)
    if (run.plan.actions or run.plan.records or run.plan.dropped or not os.path.exists(base.path)
            or os.path.exists(base.journal_path)):
        try:
            base.commit(records, job.about, len(run.remote.entries))
        except OSError as e:
            run.warnings.append(f"{job.label}: could not save the base: {e.strerror}; its journal is kept")
    base.close()


def _mark_unreported(run: SyncRun) -> None:
    """Write the markers of unreported changes before the first change (``state/unreported.py``);
    the module removes them when it reports the run."""
    paths = [run.job.unreported_path()]
    if run.plan.on(LOCAL):
        paths.append(run.job.unreported_path(local_only=True))
    try:
        for path in paths:
            _unreported.mark(path, run.job.about)
    except OSError as e:
        run.warnings.append(f"{run.job.label}: could not record the change in the state directory before making it "
                            f"({e.strerror}): should this run be interrupted, the next one may not report it")


def clear_unreported(job: SyncJob) -> list[str]:
    """Remove the markers of ``job`` (the module is reporting its run); returns the paths removed,
    for :func:`restore_unreported`. A marker that cannot be removed stays (a spare notification)."""
    cleared: list[str] = []
    if not job.unreported:
        return cleared
    for path in (job.unreported_path(), job.unreported_path(local_only=True)):
        try:
            if _unreported.clear(path):
                cleared.append(path)
        except OSError:
            pass
    return cleared


def restore_unreported(job: SyncJob, paths: t.Sequence[str]) -> None:
    """Put back the markers :func:`clear_unreported` removed (the report was lost)."""
    for path in paths:
        try:
            _unreported.mark(path, job.about)
        except OSError:
            pass  # nothing else to try: the process is about to end


def run_sync(job: SyncJob, *, check_mode: bool) -> SyncRun:
    """Plan, and unless ``check_mode`` apply, one two-way sync.

    The host lock is taken before listing (so that two runs of one replica
    never plan from the same state) and held until the base is written.

    :raises S32SError: refused before any change (listing, gate, lock).
    """
    run = SyncRun(job)
    try:
        if check_mode:
            plan_sync(run)
            return run
        job.local.prepare_writes()
        with HostLock(job.base_path + ".lock", job.lock_timeout, job.label):
            plan_sync(run)
            lease = _take_lease(run)
            try:
                if lease is not None:
                    plan_sync(run)  # listed again under the lease: nobody else writes the prefix now
                _apply(run, lease)
            finally:
                if lease is not None:
                    if lease.lost:
                        run.warnings.append(f"{job.label}: {lease.lost}")
                    lease.release()
    except S32SError as e:
        e.warnings.extend(run.warnings + run.skipped_warnings())  # reported with the failure
        raise
    return run


__all__ = ["SyncJob", "SyncRun", "run_sync", "plan_sync", "clear_unreported", "restore_unreported",
           "RESERVED", "LockTimeout", "HostLock", "LOCK_CHOICES",
           "LOCK_AUTO", "LOCK_REQUIRED", "LOCK_OFF"]
