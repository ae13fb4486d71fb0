# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The three-way plan of two-way sync: local, remote and the base.

**PRIVATE**: this module is internal to the s32s.sync collection.

Pure, as ``plan.py``: :func:`make_sync_plan` walks three listings with the
march (the local directory, the S3 prefix and the *base*, what this replica
last agreed with the bucket, one :class:`~..state.records.Record` per path)
and returns a frozen :class:`SyncPlan` whose actions name the side they
write. The rules (``docs/safety.md``, promise 11; Unison's and rclone
bisync's three-way rules, minus their data losses):

================================  ==========================================
local / remote against the base   action
================================  ==========================================
unchanged / unchanged             nothing
unchanged / changed               download (the local content goes to trash)
changed / unchanged               upload (the remote content goes to trash)
unchanged / deleted               delete locally (to trash)
deleted / unchanged               delete remotely (to trash)
changed / changed, equal          record only
changed / changed, different      conflict (the ``conflict`` policy)
changed / deleted                 upload: an edit beats a delete
deleted / changed                 download: an edit beats a delete
deleted / deleted                 drop the base row
no base, one side has it          copy it to the other side
no base, both, equal              record only
no base, both, different          conflict
================================  ==========================================

With ``delete=False`` a deletion is never propagated: the other side's copy
comes back (the union). A local file whose stat moved but whose bytes did
not (a ``touch``, a restore) is not an edit: the plan asks for a content
check (``verify``) and is made again with the answers, as one-way plans do.
A new path whose content is that of a path deleted on the same side is a
rename: renamed on the other side too (a local rename keeps the inode, size
and mtime; a remote one keeps the ETag), never a delete plus a transfer.
Ignored paths and paths a side saw but could not list keep their base row
and get no action (promise 5: a newly ignored path is never deleted).
"""

from __future__ import annotations

import posixpath
import typing as t
from dataclasses import dataclass, field

from ..paths import name_part
from ..sides.tree import Entry, Tree
from ..state.records import Record
from .march import march
from .plan import is_protected

#: The sides an action writes.
LOCAL = "local"
REMOTE = "remote"

#: Action kinds.
UPLOAD = "upload"        # local -> remote (``relpath``; ``source`` names the local file when it differs)
DOWNLOAD = "download"    # remote -> local
DELETE = "delete"        # on ``side``
RENAME = "rename"        # on ``side``: ``relpath`` -> ``to``

#: Conflict policies (option ``conflict``).
KEEP_BOTH = "keep_both"
NEWER = "newer"
LOCAL_WINS = "local"
REMOTE_WINS = "remote"
FAIL = "fail"
CONFLICT_POLICIES = (KEEP_BOTH, NEWER, LOCAL_WINS, REMOTE_WINS, FAIL)

#: The word every conflict copy holds (``report.conflict-web2-20261202T101500Z.pdf``).
CONFLICT_WORD = "conflict"
#: The longest file name most Linux file systems take, in bytes.
NAME_MAX = 255


class SyncAction(t.NamedTuple):
    """One step of a two-way plan.

    :ivar kind: ``upload``, ``download``, ``delete`` or ``rename``.
    :ivar side: the side written (``local`` or ``remote``).
    :ivar relpath: the path written (a rename's old path).
    :ivar size: bytes transferred, or removed by a delete.
    :ivar reason: why (``new``, ``changed locally``, ``deleted remotely``, ``conflict``...).
    :ivar to: a rename's new path (``''`` otherwise).
    :ivar source: an upload's local path when it is not ``relpath`` (a conflict
        copy is uploaded from the file renamed by the plan's local rename).
    :ivar replaces: the written side holds other content at ``relpath`` that
        this action replaces or deletes (kept in the trash when it is on).
    """

    kind: str
    side: str
    relpath: str
    size: int
    reason: str
    to: str = ""
    source: str = ""
    replaces: bool = False


class Conflict(t.NamedTuple):
    """A path changed differently on both sides: ``kept`` says what ended where
    (``local copy as 'a.conflict-web2-....txt', remote at 'a.txt'``)."""

    path: str
    kept: str


@dataclass(frozen=True)
class SyncPlan:
    """The full, frozen two-way plan.

    :ivar actions: every action, in relpath order.
    :ivar verify: ``(relpath, etag)`` pairs whose local content must be
        compared with ``etag`` before planning again.
    :ivar records: relpath -> :class:`Record` to store for paths proven in
        sync without a transfer (equal content, a touch).
    :ivar dropped: base rows to drop (deleted on both sides).
    :ivar conflicts: one :class:`Conflict` per conflicting path.
    :ivar unresolved: conflicting paths left untouched (policy ``fail``).
    :ivar unchanged: count of paths in sync.
    :ivar restored: paths deleted on one side and copied back (``delete=False``).
    :ivar pending: local paths not uploaded because the bucket is read-only.
    :ivar held: paths not acted on because a side saw them but could not list
        them, or they are ignored now (their base row is kept).
    :ivar base_size: rows in the base (``0``: the first sync, a union).
    """

    actions: tuple[SyncAction, ...] = ()
    verify: tuple[tuple[str, str], ...] = ()
    records: t.Mapping[str, Record] = field(default_factory=dict)
    dropped: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    unresolved: tuple[str, ...] = ()
    unchanged: int = 0
    restored: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    held: tuple[str, ...] = ()
    base_size: int = 0

    def on(self, side: str, kind: t.Optional[str] = None) -> list[SyncAction]:
        """The actions writing ``side`` (of one ``kind``), in plan order."""
        return [a for a in self.actions if a.side == side and (kind is None or a.kind == kind)]

    def deletes(self, side: str) -> list[SyncAction]:
        """Deletions on ``side`` (renames are not deletions)."""
        return self.on(side, DELETE)

    @property
    def writes_remote(self) -> bool:
        """Whether any action writes the bucket."""
        return any(a.side == REMOTE for a in self.actions)


def conflict_name(relpath: str, replica: str, stamp: str, taken: t.Container[str] = ()) -> str:
    """The name of the conflict copy of ``relpath`` made by ``replica`` at ``stamp``.

    Keeps the directory, the stem and the extension (as Syncthing's
    ``name.sync-conflict-<date>-<time>-<device>.ext``):
    ``dir/report.pdf`` -> ``dir/report.conflict-web2-20261202T101500Z.pdf``;
    a dot file or a name without extension gets the suffix at the end. A
    name in ``taken`` gets ``-2``, ``-3``... before the extension. The stem is
    shortened so that the name fits :data:`NAME_MAX` bytes.

    :param replica: where the copy came from (a host name; characters other
        than letters, digits, ``.``, ``_`` and ``-`` become ``_``).
    :param stamp: UTC time of the run, ``YYYYMMDDTHHMMSSZ``.
    """
    directory, name = posixpath.split(relpath)
    safe = name_part(replica)
    stem, ext = posixpath.splitext(name)  # '.bashrc' -> ('.bashrc', '')
    tail = f".{CONFLICT_WORD}-{safe}-{stamp}"
    room = NAME_MAX - len((tail + ext + "-99").encode("utf-8", "surrogateescape"))
    while len(stem.encode("utf-8", "surrogateescape")) > room and stem:
        stem = stem[:-1]  # a name must fit NAME_MAX bytes (ext4, XFS, S3-backed directories)
    base = stem + tail
    candidate, n = base + ext, 2
    while (f"{directory}/{candidate}" if directory else candidate) in taken:
        candidate, n = f"{base}-{n}{ext}", n + 1
    return f"{directory}/{candidate}" if directory else candidate


def _stat(e: t.Any) -> tuple[int, int, int, int]:
    return (e.size, e.mtime_ns, e.ctime_ns, e.ino)


class _Planner:
    """The state of one planning pass (see :func:`make_sync_plan`)."""

    def __init__(self, local: Tree, remote: Tree, base: t.Mapping[str, Record], checked: t.Mapping[tuple[str, str], bool],
                 conflict: str, delete: bool, readonly: bool, replica: str, stamp: str) -> None:
        self.local, self.remote, self.base, self.checked = local, remote, base, checked
        self.conflict, self.delete, self.readonly = conflict, delete, readonly
        self.replica, self.stamp = replica, stamp
        self.actions: list[SyncAction] = []
        self.verify: list[tuple[str, str]] = []
        self.records: dict[str, Record] = {}
        self.dropped: list[str] = []
        self.conflicts: list[Conflict] = []
        self.unresolved: list[str] = []
        self.restored: list[str] = []
        self.pending: list[str] = []
        self.unchanged = 0
        self.taken = set(local.entries) | set(remote.entries) | set(base)

    # -- what changed --------------------------------------------------------
    def local_state(self, relpath: str, le: t.Optional[Entry], b: Record) -> str:
        """``same``, ``changed``, ``deleted`` or ``verify`` against the base row ``b``."""
        if le is None:
            return "deleted"
        if _stat(le) == _stat(b):
            return "same"
        if le.size != b.size:
            return "changed"
        answer = self.checked.get((relpath, b.etag))
        if answer is None:
            self.verify.append((relpath, b.etag))
            return "verify"
        return "same" if answer else "changed"

    @staticmethod
    def remote_state(re_: t.Optional[Entry], b: Record) -> str:
        """``same``, ``changed`` or ``deleted`` against the base row ``b`` (ETag and size)."""
        if re_ is None:
            return "deleted"
        return "same" if (re_.etag or "") == b.etag and re_.size == b.size else "changed"

    def equal(self, relpath: str, le: Entry, re_: Entry) -> t.Optional[bool]:
        """Whether the local file holds the remote object's bytes; ``None``: ask for a check."""
        if le.size != re_.size:
            return False
        if not re_.etag:
            return False
        answer = self.checked.get((relpath, re_.etag))
        if answer is None:
            self.verify.append((relpath, re_.etag))
        return answer

    # -- actions -------------------------------------------------------------
    def upload(self, relpath: str, le: Entry, re_: t.Optional[Entry], reason: str) -> None:
        if self.readonly:
            self.pending.append(relpath)
            return
        self.actions.append(SyncAction(UPLOAD, REMOTE, relpath, le.size, reason, replaces=re_ is not None))

    def download(self, relpath: str, re_: Entry, le: t.Optional[Entry], reason: str) -> None:
        self.actions.append(SyncAction(DOWNLOAD, LOCAL, relpath, re_.size, reason, replaces=le is not None))

    def record(self, relpath: str, le: Entry, re_: Entry) -> None:
        self.unchanged += 1
        old = self.base.get(relpath)
        new = Record(le.size, le.mtime_ns, le.ctime_ns, le.ino, re_.etag or "")
        if old != new and new.etag:
            self.records[relpath] = new

    def delete_local(self, relpath: str, le: Entry, re_: Entry) -> None:
        if self.delete:
            self.actions.append(SyncAction(DELETE, LOCAL, relpath, le.size, "deleted remotely", replaces=True))
        else:
            self.restored.append(relpath)
            self.upload(relpath, le, None, "deleted remotely; restored (delete=false)")

    def delete_remote(self, relpath: str, le: Entry, re_: Entry) -> None:
        if self.readonly:
            self.pending.append(relpath)
        elif self.delete:
            self.actions.append(SyncAction(DELETE, REMOTE, relpath, re_.size, "deleted locally", replaces=True))
        else:
            self.restored.append(relpath)
            self.download(relpath, re_, None, "deleted locally; restored (delete=false)")

    def resolve(self, relpath: str, le: Entry, re_: Entry) -> None:
        """Both sides hold different content at ``relpath``: apply the policy."""
        policy = self.conflict
        if policy == NEWER:
            policy = LOCAL_WINS if le.mtime_ns > re_.mtime_ns else REMOTE_WINS if re_.mtime_ns > le.mtime_ns \
                else KEEP_BOTH
        if policy == FAIL:
            self.unresolved.append(relpath)
            self.conflicts.append(Conflict(relpath, "left untouched on both sides (conflict=fail)"))
        elif policy == LOCAL_WINS and not self.readonly:
            self.conflicts.append(Conflict(relpath, "local kept; remote content replaced (in the trash)"))
            self.upload(relpath, le, re_, "conflict: local wins")
        elif policy == REMOTE_WINS:
            self.conflicts.append(Conflict(relpath, "remote kept; local content replaced (in the trash)"))
            self.download(relpath, re_, le, "conflict: remote wins")
        else:  # keep both: the remote keeps the path, the local content moves to a conflict copy
            copy = conflict_name(relpath, self.replica, self.stamp, self.taken)
            self.taken.add(copy)
            self.actions.append(SyncAction(RENAME, LOCAL, relpath, le.size, "conflict: local copy kept", to=copy))
            if self.readonly:
                self.pending.append(copy)
            else:
                self.actions.append(SyncAction(UPLOAD, REMOTE, copy, le.size, "conflict copy", source=copy))
            self.download(relpath, re_, None, "conflict: remote kept at the path")
            self.conflicts.append(Conflict(relpath, f"local copy as {copy!r} on both sides, remote at the path"
                                           if not self.readonly else
                                           f"local copy as {copy!r} (not uploaded: readonly), remote at the path"))

    # -- one row ---------------------------------------------------------------
    def row(self, relpath: str, le: t.Optional[Entry], re_: t.Optional[Entry], b: t.Optional[Record]) -> None:
        if b is None:
            if le is None:
                self.download(relpath, t.cast(Entry, re_), None, "new remotely")
            elif re_ is None:
                self.upload(relpath, le, None, "new locally")
            else:
                same = self.equal(relpath, le, re_)
                if same:
                    self.record(relpath, le, re_)
                elif same is False:
                    self.resolve(relpath, le, re_)
            return
        ls = self.local_state(relpath, le, b)
        rs = self.remote_state(re_, b)
        if ls == "verify":
            return
        if ls == "deleted" and rs == "deleted":
            self.dropped.append(relpath)
        elif ls == "same" and rs == "same":
            self.record(relpath, t.cast(Entry, le), t.cast(Entry, re_))
        elif ls == "same" and rs == "changed":
            self.download(relpath, t.cast(Entry, re_), le, "changed remotely")
        elif ls == "same" and rs == "deleted":
            self.delete_local(relpath, t.cast(Entry, le), t.cast(Entry, re_))
        elif ls == "changed" and rs == "same":
            self.upload(relpath, t.cast(Entry, le), re_, "changed locally")
        elif ls == "deleted" and rs == "same":
            self.delete_remote(relpath, t.cast(Entry, le), t.cast(Entry, re_))
        elif ls == "changed" and rs == "deleted":
            self.upload(relpath, t.cast(Entry, le), None, "changed locally, deleted remotely: the edit wins")
        elif ls == "deleted" and rs == "changed":
            self.download(relpath, t.cast(Entry, re_), None, "changed remotely, deleted locally: the edit wins")
        else:  # changed on both sides
            same = self.equal(relpath, t.cast(Entry, le), t.cast(Entry, re_))
            if same:
                self.record(relpath, t.cast(Entry, le), t.cast(Entry, re_))
            elif same is False:
                self.resolve(relpath, t.cast(Entry, le), t.cast(Entry, re_))

    # -- renames ---------------------------------------------------------------
    def renames(self) -> None:
        """Pair a delete on one side with a new path of the same content on the
        same side, and turn the pair into a rename on the other side."""
        by_kind: dict[tuple[str, str], list[SyncAction]] = {}
        for a in self.actions:
            by_kind.setdefault((a.kind, a.side), []).append(a)
        replaced: dict[SyncAction, t.Optional[SyncAction]] = {}
        # Renamed locally: the bucket deletes the old key and uploads the new path.
        local_new = {}
        for a in by_kind.get((UPLOAD, REMOTE), []):
            le = self.local.entries.get(a.relpath)
            if le is not None and not a.replaces and not a.source and a.relpath not in self.base:
                local_new.setdefault((le.ino, le.size, le.mtime_ns), []).append(a)
        for d in by_kind.get((DELETE, REMOTE), []):
            b = self.base[d.relpath]
            match = local_new.get((b.ino, b.size, b.mtime_ns))
            if match:
                # A freed inode is reused at once (ext4): same inode, size and mtime do not
                # prove the same bytes; the content check against the base ETag does.
                proven = self.checked.get((match[0].relpath, b.etag))
                if proven is None:
                    self.verify.append((match[0].relpath, b.etag))
                    continue
                if not proven:
                    continue
                up = match.pop(0)
                replaced[d] = SyncAction(RENAME, REMOTE, d.relpath, 0, f"renamed locally to {up.relpath!r}",
                                         to=up.relpath)
                replaced[up] = None
        # Renamed remotely: the local file is renamed.
        remote_new = {}
        for a in by_kind.get((DOWNLOAD, LOCAL), []):
            re_ = self.remote.entries.get(a.relpath)
            if re_ is not None and re_.etag and not a.replaces and a.relpath not in self.base \
                    and a.relpath not in self.local.entries:
                remote_new.setdefault((re_.etag, re_.size), []).append(a)
        for d in by_kind.get((DELETE, LOCAL), []):
            b = self.base[d.relpath]
            le = self.local.entries[d.relpath]
            match = remote_new.get((b.etag, b.size))
            if match and _stat(le) == _stat(b):
                down = match.pop(0)
                replaced[d] = SyncAction(RENAME, LOCAL, d.relpath, 0, f"renamed remotely to {down.relpath!r}",
                                         to=down.relpath)
                replaced[down] = None
        if replaced:
            kept = []
            for a in self.actions:
                if a in replaced:
                    if replaced[a] is not None:
                        kept.append(t.cast(SyncAction, replaced[a]))
                else:
                    kept.append(a)
            self.actions = kept


def make_sync_plan(local: Tree, remote: Tree, base: t.Mapping[str, Record], *,
                   checked: t.Optional[t.Mapping[tuple[str, str], bool]] = None, conflict: str = KEEP_BOTH,
                   delete: bool = True, readonly: bool = False, replica: str = "replica",
                   stamp: str = "19700101T000000Z", held: t.Callable[[str], bool] = lambda _p: False) -> SyncPlan:
    """Plan the two-way sync of ``local`` and ``remote`` against ``base``.

    :param local: the local listing (entries with size, mtime_ns, ctime_ns, ino).
    :param remote: the S3 listing (entries with size and ETag).
    :param base: relpath -> :class:`Record` this replica last agreed with the bucket.
    :param checked: ``(relpath, etag)`` -> whether the local file's bytes have
        that ETag (the answers to a previous plan's ``verify``).
    :param conflict: the policy of :data:`CONFLICT_POLICIES`.
    :param delete: propagate deletions (else a deleted path is restored from the other side).
    :param readonly: never write the bucket (local-only changes go to ``pending``).
    :param replica: this replica's name, in conflict copies' names.
    :param stamp: the run's UTC time ``YYYYMMDDTHHMMSSZ``, in conflict copies' names.
    :param held: relpath -> whether it is ignored now (its base row is kept, no action).
    :raises ValueError: an unknown ``conflict`` policy.
    """
    if conflict not in CONFLICT_POLICIES:
        raise ValueError(f"conflict must be one of {', '.join(CONFLICT_POLICIES)}, got {conflict!r}")
    planner = _Planner(local, remote, base, checked or {}, conflict, delete, readonly, replica, stamp)
    protected = local.protected() | remote.protected()
    kept: list[str] = []
    for relpath, (le, re_, b) in march(local.entries, remote.entries, base):
        if held(relpath) or (protected and is_protected(relpath, protected)):
            kept.append(relpath)
            continue
        planner.row(relpath, le, re_, b)
    if not planner.verify:
        planner.renames()  # may ask for content checks of rename candidates
    actions = sorted(planner.actions, key=lambda a: (a.relpath, a.kind != RENAME))
    return SyncPlan(actions=tuple(actions), verify=tuple(planner.verify), records=dict(planner.records),
                    dropped=tuple(planner.dropped), conflicts=tuple(planner.conflicts),
                    unresolved=tuple(planner.unresolved), unchanged=planner.unchanged,
                    restored=tuple(planner.restored), pending=tuple(planner.pending), held=tuple(kept),
                    base_size=len(base))


__all__ = ["SyncAction", "SyncPlan", "Conflict", "make_sync_plan", "conflict_name", "LOCAL", "REMOTE", "UPLOAD",
           "DOWNLOAD", "DELETE", "RENAME", "CONFLICT_POLICIES", "KEEP_BOTH", "NEWER", "LOCAL_WINS", "REMOTE_WINS",
           "FAIL", "CONFLICT_WORD"]
