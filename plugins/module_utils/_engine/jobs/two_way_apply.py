# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Applying a two-way plan (``plan/threeway.py``) to both sides.

**PRIVATE**: this module is internal to the s32s.sync collection.

In phases, each after the one before has finished:

1. local renames (a conflict's local copy moves to its conflict name first,
   so that the download of the remote version never replaces it); a rename
   that fails skips only the actions of that path;
2. deletions that stand where a transfer must write (a file that became a
   directory, or the reverse), then the directories they leave empty;
3. transfers, on a worker pool: uploads read the listed file through a
   descriptor opened without following a symlink (a swap meanwhile is never
   uploaded); downloads are written atomically and put into place only if
   the path is still what the listing saw (or still absent), the replaced
   file being linked into the trash at that moment; a path changed meanwhile
   is left for the next run (``deferred``), never overwritten; a remote
   rename is a server-side copy here;
4. the other deletions: a local file still as listed moves into the trash;
   an object is copied into the trash, then deleted with the one delete path
   (``DeleteObjects``, per-key outcome, promise 8); the old key of a remote
   rename goes the same way once its copy exists (its bytes are at the new
   key).

A failed transfer does not block deletions of other paths (a two-way
deletion comes from the base, not from a source listing that may be
incomplete; an unreadable side is refused by the gate). When the lease is
lost (``should_stop``), nothing more is started.

Every finished action is reported to ``agree(relpath, record)`` at once (the
base's journal: a crash leaves a base the next run converges from).
"""

from __future__ import annotations

import threading
import typing as t

from ..errors import StoreError
from ..plan.threeway import DOWNLOAD, LOCAL, REMOTE, RENAME, UPLOAD, SyncAction, SyncPlan
from ..sides.etag import multipart_etag, part_size_for
from ..sides.local import ABSENT, ChangedSinceListed, LocalSide
from ..sides.s3 import S3Side
from ..sides.tree import Entry, Tree
from ..state.records import Record
from .pools import ThreadPool
from .trash import MARKER, TRASH

#: Error codes of a refused conditional write (412) or a concurrent one (409).
PRECONDITION_CODES = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")
DEFERRED = "deferred"
STOPPED = "stopped"


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
    :param should_stop: ``''`` or why the run must stop (the lease was lost);
        asked before each transfer and before the deletions.
    :param conditional: the store honours conditional writes (probed): an
        upload replaces only the object the plan saw (``If-Match``) and creates
        only where there is none (``If-None-Match: *``).
    """

    def __init__(self, local: LocalSide, remote: S3Side, local_tree: Tree, remote_tree: Tree,
                 agree: t.Callable[[str, t.Optional[Record]], None], trash_folder: str, pool: t.Any = None,
                 conditional: bool = False, should_stop: t.Callable[[], str] = lambda: "") -> None:
        self.conditional = conditional
        self.should_stop = should_stop
        self.skipped: set[str] = set()  # paths whose conflict rename failed
        self.copied: set[SyncAction] = set()  # remote renames whose copy is made
        self.marked = False  # the remote trash folder's marker is written
        self.local, self.remote = local, remote
        self.local_tree, self.remote_tree = local_tree, remote_tree
        self.agree = agree
        self.trash_folder = trash_folder
        self.pool = pool or ThreadPool(8)
        self.applied = SyncApplied()
        self.renamed: dict[str, Entry] = {}  # local renames of conflict copies: new name -> entry
        self._lock = threading.Lock()

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
            with self._lock:
                if not self.marked:  # the folder's age, by the server's clock (jobs/trash.py)
                    self.remote.put_bytes(trash_path(self.trash_folder, MARKER), b"")
                    self.marked = True
            self.remote.copy_within(relpath, to, size)
        with self._lock:
            self.applied.trashed.append((side, relpath))

    # -- phases ----------------------------------------------------------------
    def _local_renames(self, plan: SyncPlan) -> None:
        for a in plan.on(LOCAL, RENAME):
            try:
                self.local.check_unchanged(a.relpath, self.local_tree.entries[a.relpath])
                entry = self.local.move(a.relpath, a.to)
            except OSError as e:
                self._fail(a, f"cannot rename to {a.to!r}: {e.strerror or e}")
                self.skipped.update((a.relpath, a.to))  # the actions that depend on it do not run
                continue
            self.renamed[a.to] = entry
            self.applied.done.append(a)
            remote = self.remote_tree.entries.get(a.to)
            if remote is not None and remote.etag:  # renamed remotely: now agreed under the new name
                self.agree(a.relpath, None)
                self.agree(a.to, Record(entry.size, entry.mtime_ns, entry.ctime_ns, entry.ino, remote.etag))

    def _upload(self, a: SyncAction) -> None:
        source = a.source or a.relpath
        entry = self.renamed.get(source) or self.local_tree.entries[source]
        if a.replaces:
            self._keep(REMOTE, a.relpath, self.remote_tree.entries[a.relpath].size)
        condition = None
        if self.conditional:
            listed = self.remote_tree.entries.get(a.relpath)
            condition = {"IfMatch": f'"{listed.etag}"'} if listed is not None and listed.etag \
                else {"IfNoneMatch": "*"}
        with self.local.stable_path(source, entry) as path:
            try:
                etag = self.remote.upload_file(a.relpath, path, entry.size, condition)
            except StoreError as e:
                if e.code in PRECONDITION_CODES:
                    raise _Deferred(f"{self.remote.display(a.relpath)} changed after it was listed; "
                                    f"the next run plans it again") from None
                raise
            try:
                self.local.check_unchanged(source, entry)
                unchanged = True
            except ChangedSinceListed:
                unchanged = False
            if etag is None and unchanged:
                etag = multipart_etag(path, part_size_for(entry.size))
        if etag is None:
            found = self.remote.store.list_one(self.remote.location.bucket, self.remote.key(a.relpath))
            etag = found.etag if found is not None else None
        if etag:
            # Agreed as listed: if the file changed while it was read, the next run sees a local
            # change against this row and uploads the new bytes (never a conflict with itself).
            self.agree(a.relpath, Record(entry.size, entry.mtime_ns, entry.ctime_ns, entry.ino, etag))

    def _download(self, a: SyncAction) -> None:
        entry = self.remote_tree.entries[a.relpath]
        listed = self.local_tree.entries.get(a.relpath)
        keep = trash_path(self.trash_folder, a.relpath) if a.replaces and self.trash_folder else ""
        expect: t.Union[str, Entry] = listed if a.replaces and listed is not None else ABSENT
        local = self.local.write_atomic(a.relpath, entry, lambda f: self.remote.read_into(a.relpath, f, entry.size),
                                        f"downloading {self.remote.display(a.relpath)}", expect=expect, keep=keep)
        if keep:
            with self._lock:
                self.applied.trashed.append((LOCAL, a.relpath))
        self.agree(a.relpath, Record(local.size, local.mtime_ns, local.ctime_ns, local.ino, entry.etag or ""))

    def _transfer(self, a: SyncAction) -> None:
        """One upload, download or remote copy (phase 3); raises on failure."""
        if a.kind == UPLOAD:
            self._upload(a)
        elif a.kind == DOWNLOAD:
            self._download(a)
        elif a.kind == RENAME and a.side == REMOTE:
            entry = self.remote_tree.entries[a.relpath]
            etag = self.remote.copy_within(a.relpath, a.to, entry.size)
            local = self.local_tree.entries[a.to]
            self.agree(a.to, Record(local.size, local.mtime_ns, local.ctime_ns, local.ino, etag))

    def _transfers(self, plan: SyncPlan) -> None:
        work = []
        for a in plan.actions:
            if a.kind in (UPLOAD, DOWNLOAD) or (a.kind == RENAME and a.side == REMOTE):
                if a.relpath in self.skipped or (a.source and a.source in self.skipped):
                    self.applied.not_run.append(a)
                else:
                    work.append(a)

        def run(a: SyncAction) -> str:
            stop = self.should_stop()
            if stop:
                return STOPPED
            try:
                self._transfer(a)
            except (_Deferred, ChangedSinceListed) as e:
                with self._lock:
                    self.applied.deferred.append((a.relpath, str(e)))
                return DEFERRED
            except Exception as e:  # pylint: disable=broad-except
                return str(getattr(e, "msg", "") or getattr(e, "strerror", "") or e) or type(e).__name__
            return ""

        for action, error, pool_error in self.pool.run(run, work) if work else ():
            if error == DEFERRED:
                continue
            if error == STOPPED:
                self.applied.not_run.append(action)
            elif error or pool_error:
                self._fail(action, error or pool_error)
            elif action.kind == RENAME:
                self.copied.add(action)  # done when its old key is deleted
            else:
                self.applied.done.append(action)
        self.local.remove_temp_files(self.local_tree)

    def _delete_local(self, actions: t.Sequence[SyncAction]) -> None:
        for a in actions:
            try:
                self.local.check_unchanged(a.relpath, self.local_tree.entries[a.relpath])
                if self.trash_folder:
                    self.local.move(a.relpath, trash_path(self.trash_folder, a.relpath))
                    self.applied.trashed.append((LOCAL, a.relpath))
                else:
                    outcome = self.local.delete_many([a.relpath])
                    if outcome.failed:
                        raise OSError(outcome.failed[0][1])
            except ChangedSinceListed as e:
                self.applied.deferred.append((a.relpath, str(e)))
                continue
            except OSError as e:
                self._fail(a, f"cannot delete: {e.strerror or e}")
                continue
            self.applied.done.append(a)
            self.agree(a.relpath, None)
        parents = {p for a in actions for p in _parents(a.relpath)}
        self.local.remove_dirs(sorted(parents, key=lambda d: (-d.count("/"), d)))  # emptied ones only

    def _delete_remote(self, deletes: t.Sequence[SyncAction], renames: t.Sequence[SyncAction] = ()) -> None:
        by_path = {}
        for a in deletes:
            try:
                self._keep(REMOTE, a.relpath, a.size)
            except Exception as e:  # pylint: disable=broad-except
                self._fail(a, f"cannot keep a copy in the trash: {getattr(e, 'msg', e)}")
                continue
            by_path[a.relpath] = a
        for a in renames:
            by_path[a.relpath] = a
        if not by_path:
            return
        if self.conditional:  # one DeleteObject with If-Match per key: never a version we did not see
            for relpath in sorted(by_path):
                listed = self.remote_tree.entries.get(relpath)
                try:
                    if listed is not None and listed.etag:
                        self.remote.delete_if_match(relpath, listed.etag)
                    else:
                        outcome = self.remote.delete_many([relpath])
                        if outcome.failed:
                            raise StoreError(outcome.failed[0][1])
                except StoreError as e:
                    if e.code in PRECONDITION_CODES:
                        self.applied.deferred.append((relpath, f"{self.remote.display(relpath)} changed after it "
                                                               f"was listed; the next run plans it again"))
                    else:
                        self._fail(by_path[relpath], e.msg)
                    continue
                self.applied.done.append(by_path[relpath])
                self.agree(relpath, None)
            return
        outcome = self.remote.delete_many(sorted(by_path))
        for relpath in outcome.deleted:  # a deleted path, or the old name of a rename (the new one is agreed)
            self.applied.done.append(by_path[relpath])
            self.agree(relpath, None)
        for relpath, error in outcome.failed:
            self._fail(by_path[relpath], error)
        self.applied.not_run.extend(by_path[p] for p in outcome.not_attempted)

    def _in_the_way(self, plan: SyncPlan) -> tuple[list[SyncAction], list[SyncAction]]:
        """Deletions that stand where a transfer must write (a file that became a
        directory, or the reverse): they run before the transfers."""
        down = [a.relpath for a in plan.on(LOCAL, DOWNLOAD)]
        up = [a.relpath for a in plan.on(REMOTE, UPLOAD)]

        def clashes(relpath: str, paths: t.Sequence[str]) -> bool:
            return any(p.startswith(relpath + "/") or relpath.startswith(p + "/") for p in paths)

        return ([a for a in plan.deletes(LOCAL) if clashes(a.relpath, down)],
                [a for a in plan.deletes(REMOTE) if clashes(a.relpath, up)])

    def apply(self, plan: SyncPlan) -> SyncApplied:
        """Apply ``plan`` (already passed by the gate); failures are in the result, never raised.

        A failed action blocks only what depends on it (the upload and the
        download of a conflict whose local copy could not be renamed); every
        other path goes on, so one stuck path never stalls the rest.
        """
        self.local.begin_writes()
        self._local_renames(plan)
        early_local, early_remote = self._in_the_way(plan)
        self._delete_local(early_local)
        self._delete_remote(early_remote)
        self._transfers(plan)
        stop = self.should_stop()
        rest_local = [a for a in plan.deletes(LOCAL) if a not in early_local]
        rest_remote = [a for a in plan.deletes(REMOTE) if a not in early_remote]
        renames = plan.on(REMOTE, RENAME)
        if stop:
            self.applied.not_run.extend(rest_local + rest_remote + renames)
            self.applied.failed.append(("remote:", stop))
            return self.applied
        self._delete_local(rest_local)
        self._delete_remote(rest_remote, [a for a in renames if a in self.copied])
        return self.applied


def _parents(relpath: str) -> list[str]:
    """The directories above ``relpath`` (``a/b/c`` -> ``a/b``, ``a``)."""
    out = []
    while "/" in relpath:
        relpath = relpath.rpartition("/")[0]
        out.append(relpath)
    return out


__all__ = ["SyncApplier", "SyncApplied", "trash_path", "PRECONDITION_CODES"]
