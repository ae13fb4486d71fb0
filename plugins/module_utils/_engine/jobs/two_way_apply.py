# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Applying a two-way plan (``plan/threeway.py``) to both sides.

**PRIVATE**: this module is internal to the s32s.sync collection.

In phases, each after the one before has finished:

1. local renames (a conflict's local copy moves to its conflict name first,
   so that the download of the remote version never replaces it);
2. the trash keeps what will be replaced: a hard link (local) or a
   server-side copy (S3) under ``.s32s-trash/<stamp>-<replica>/``;
3. transfers, on a worker pool: uploads and downloads (atomic, checked);
   a remote rename is a server-side copy here;
4. deletions, when every earlier action succeeded (promise 4): a local file
   moves into the trash; an object is copied into the trash, then deleted
   with the one delete path (``DeleteObjects``, per-key outcome, promise 8);
   the old key of a remote rename goes the same way, without a trash copy
   (its bytes are at the new key).

Every finished action is reported to ``agree(relpath, record)`` at once (the
base's journal: a crash leaves a base the next run converges from).
"""

from __future__ import annotations

import threading
import typing as t

from ..errors import StoreError
from ..plan.threeway import DOWNLOAD, LOCAL, REMOTE, RENAME, UPLOAD, SyncAction, SyncPlan
from ..sides.local import LocalSide
from ..sides.s3 import S3Side
from ..sides.tree import Entry, Tree
from ..state.records import Record
from .pools import ThreadPool
from .trash import TRASH

#: Error codes of a refused conditional write (412) or a concurrent one (409).
PRECONDITION_CODES = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")
DEFERRED = "deferred"


class _Deferred(Exception):
    """A conditional upload was refused: the object changed after it was listed."""


class SyncApplied:
    """What was done.

    :ivar done: actions applied, in order of completion.
    :ivar failed: ``[(side:relpath, error)]``.
    :ivar not_run: actions not run because an earlier one failed.
    :ivar trashed: ``[(side, relpath)]`` contents kept in the trash.
    :ivar deferred: ``[(relpath, why)]`` uploads the store refused because the
        object changed after it was listed (a conditional write): left for the
        next run, which plans them again (a conflict, if both changed).
    """

    def __init__(self) -> None:
        self.deferred: list[tuple[str, str]] = []
        self.done: list[SyncAction] = []
        self.failed: list[tuple[str, str]] = []
        self.not_run: list[SyncAction] = []
        self.trashed: list[tuple[str, str]] = []


def trash_path(folder: str, relpath: str) -> str:
    """The trash relpath of ``relpath`` for one run: ``.s32s-trash/<folder>/<relpath>``."""
    return f"{TRASH}/{folder}/{relpath}"


class SyncApplier:
    """Applies one plan.

    :param local: the local side; :param remote: the S3 side.
    :param local_tree: :param remote_tree: the listings the plan was made from.
    :param agree: ``(relpath, Record or None)``, called once per finished action.
    :param trash_folder: this run's trash folder name, or ``''``: no trash.
    :param pool: a worker pool for the transfers.
    :param conditional: the store honours conditional writes (probed): an
        upload replaces only the object the plan saw (``If-Match``) and creates
        only where there is none (``If-None-Match: *``).
    """

    def __init__(self, local: LocalSide, remote: S3Side, local_tree: Tree, remote_tree: Tree,
                 agree: t.Callable[[str, t.Optional[Record]], None], trash_folder: str, pool: t.Any = None,
                 conditional: bool = False) -> None:
        self.conditional = conditional
        self.local, self.remote = local, remote
        self.local_tree, self.remote_tree = local_tree, remote_tree
        self.agree = agree
        self.trash_folder = trash_folder
        self.pool = pool or ThreadPool(8)
        self.applied = SyncApplied()
        self.renamed: dict[str, Entry] = {}
        self._lock = threading.Lock()  # local renames of conflict copies: new name -> entry

    def _fail(self, action: SyncAction, error: str) -> None:
        self.applied.failed.append((f"{action.side}:{action.to or action.relpath}", error))

    def _keep(self, side: str, relpath: str, size: int) -> None:
        """Keep what ``relpath`` holds on ``side`` in the trash. :raises OSError, StoreError."""
        if not self.trash_folder:
            return
        to = trash_path(self.trash_folder, relpath)
        if side == LOCAL:
            self.local.keep_copy(relpath, to)
        else:
            self.remote.copy_within(relpath, to, size)
        self.applied.trashed.append((side, relpath))

    # -- phases ----------------------------------------------------------------
    def _local_renames(self, plan: SyncPlan) -> None:
        for a in plan.on(LOCAL, RENAME):
            try:
                entry = self.local.move(a.relpath, a.to)
            except OSError as e:
                self._fail(a, f"cannot rename to {a.to!r}: {e.strerror or e}")
                continue
            self.renamed[a.to] = entry
            self.applied.done.append(a)
            remote = self.remote_tree.entries.get(a.to)
            if remote is not None and remote.etag:  # renamed remotely: now agreed under the new name
                self.agree(a.relpath, None)
                self.agree(a.to, Record(entry.size, entry.mtime_ns, entry.ctime_ns, entry.ino, remote.etag))

    def _transfer(self, a: SyncAction) -> None:
        """One upload, download or remote copy (phase 3); raises on failure."""
        if a.kind == UPLOAD:
            source = a.source or a.relpath
            entry = self.renamed.get(source) or self.local_tree.entries[source]
            if a.replaces:
                self._keep(REMOTE, a.relpath, self.remote_tree.entries[a.relpath].size)
            condition = None
            if self.conditional:
                listed = self.remote_tree.entries.get(a.relpath)
                condition = {"IfMatch": f'"{listed.etag}"'} if listed is not None and listed.etag \
                    else {"IfNoneMatch": "*"}
            try:
                etag = self.remote.upload_file(a.relpath, self.local.path(source), entry.size, condition)
            except StoreError as e:
                if e.code in PRECONDITION_CODES:
                    raise _Deferred(f"{self.remote.display(a.relpath)} changed after it was listed; "
                                    f"the next run plans it again") from None
                raise
            now = self.local.stat_entry(source)
            if (now.size, now.mtime_ns, now.ctime_ns, now.ino) != (entry.size, entry.mtime_ns, entry.ctime_ns,
                                                                   entry.ino):
                raise OSError(f"{source!r} changed while it was uploaded; the next run sends it again")
            if etag is None:
                found = self.remote.store.list_one(self.remote.location.bucket, self.remote.key(a.relpath))
                etag = found.etag if found is not None else None
            if etag:
                self.agree(a.relpath, Record(now.size, now.mtime_ns, now.ctime_ns, now.ino, etag))
        elif a.kind == DOWNLOAD:
            entry = self.remote_tree.entries[a.relpath]
            if a.replaces:
                self._keep(LOCAL, a.relpath, 0)
            local = self.local.write_atomic(a.relpath, entry, lambda f: self.remote.read_into(a.relpath, f, entry.size),
                                            f"downloading {self.remote.display(a.relpath)}")
            self.agree(a.relpath, Record(local.size, local.mtime_ns, local.ctime_ns, local.ino, entry.etag or ""))
        elif a.kind == RENAME and a.side == REMOTE:
            entry = self.remote_tree.entries[a.relpath]
            etag = self.remote.copy_within(a.relpath, a.to, entry.size)
            local = self.local_tree.entries[a.to]
            self.agree(a.to, Record(local.size, local.mtime_ns, local.ctime_ns, local.ino, etag))

    def _transfers(self, plan: SyncPlan) -> None:
        work = [a for a in plan.actions if a.kind in (UPLOAD, DOWNLOAD) or (a.kind == RENAME and a.side == REMOTE)]

        def run(a: SyncAction) -> str:
            try:
                self._transfer(a)
            except _Deferred as e:
                with self._lock:
                    self.applied.deferred.append((a.relpath, str(e)))
                return DEFERRED
            except Exception as e:  # pylint: disable=broad-except
                return str(getattr(e, "msg", "") or getattr(e, "strerror", "") or e) or type(e).__name__
            return ""

        for action, error, pool_error in self.pool.run(run, work) if work else ():
            if error == DEFERRED:
                continue
            if error or pool_error:
                self._fail(action, error or pool_error)
            elif action.kind != RENAME:
                self.applied.done.append(action)

    def _deletes(self, plan: SyncPlan) -> None:
        local_deletes = plan.deletes(LOCAL)
        remote_deletes = plan.deletes(REMOTE)
        remote_renames = plan.on(REMOTE, RENAME)
        if self.applied.failed:
            self.applied.not_run.extend(local_deletes + remote_deletes + remote_renames)
            return
        for a in local_deletes:
            try:
                if self.trash_folder:
                    self.local.move(a.relpath, trash_path(self.trash_folder, a.relpath))
                    self.applied.trashed.append((LOCAL, a.relpath))
                else:
                    outcome = self.local.delete_many([a.relpath])
                    if outcome.failed:
                        raise OSError(outcome.failed[0][1])
            except OSError as e:
                self._fail(a, f"cannot delete: {e.strerror or e}")
                self.applied.not_run.extend(local_deletes[local_deletes.index(a) + 1:])
                break
            self.applied.done.append(a)
            self.agree(a.relpath, None)
        by_path = {}
        for a in remote_deletes:
            try:
                self._keep(REMOTE, a.relpath, a.size)
            except Exception as e:  # pylint: disable=broad-except
                self._fail(a, f"cannot keep a copy in the trash: {getattr(e, 'msg', e)}")
                continue
            by_path[a.relpath] = a
        for a in remote_renames:
            by_path[a.relpath] = a
        if not by_path:
            return
        outcome = self.remote.delete_many(sorted(by_path))
        for relpath in outcome.deleted:  # a deleted path, or the old name of a rename (the new one is agreed)
            self.applied.done.append(by_path[relpath])
            self.agree(relpath, None)
        for relpath, error in outcome.failed:
            self._fail(by_path[relpath], error)
        self.applied.not_run.extend(by_path[p] for p in outcome.not_attempted)

    def apply(self, plan: SyncPlan) -> SyncApplied:
        """Apply ``plan`` (already passed by the gate); failures are in the result, never raised."""
        self.local.begin_writes()
        self._local_renames(plan)
        if self.applied.failed:  # a conflict copy could not be made: nothing may replace the local file
            self.applied.not_run.extend(a for a in plan.actions if a not in self.applied.done)
            return self.applied
        self._transfers(plan)
        self._deletes(plan)
        return self.applied


__all__ = ["SyncApplier", "SyncApplied", "trash_path", "PRECONDITION_CODES"]
