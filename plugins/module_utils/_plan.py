# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan: a pure function of two trees and the manifest.

**PRIVATE**: this module is internal to the s32s.sync collection.

No I/O happens here: :func:`make_plan` is what check mode shows and what the
executor applies. A path present on both sides is *unchanged* when it can be
proven equal without reading it (same size, and the manifest says this
product last wrote exactly this local file and this ETag), *updated* when
the sizes differ or the content check said so, and otherwise put in
``verify`` so that the caller can compare the local file with the ETag and
plan again with ``checked`` filled in (issue 7, point 1).
"""

from __future__ import annotations

import typing as t

from ._tree import Entry

CREATE = "create"
UPDATE = "update"
DELETE = "delete"


class Record(t.NamedTuple):
    """What this product last saw in sync for one relpath (the manifest).

    ``size`` bytes, ``mtime_ns`` / ``ctime_ns`` / ``ino`` of the local file,
    ``etag`` of the object (no quotes, lower case).
    """

    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    etag: str

    def vouches_for(self, local: Entry, remote: Entry) -> bool:
        """Whether this record proves ``local`` and ``remote`` hold the same bytes."""
        return (self.size == local.size == remote.size and self.mtime_ns == local.mtime_ns
                and self.ctime_ns == local.ctime_ns and self.ino == local.ino and self.etag == remote.etag)


class Action(t.NamedTuple):
    """One step of a plan.

    ``kind`` is ``create``, ``update`` or ``delete``; ``size`` is the bytes
    to transfer (the source size) or, for a delete, the size removed;
    ``reason`` says why (``new``, ``size 10 -> 12``, ``content differs``...).
    """

    kind: str
    relpath: str
    size: int
    reason: str


class Plan:
    """The full plan of one map.

    :ivar actions: sorted by relpath; transfers and deletes together.
    :ivar verify: relpaths whose content must be compared before planning again.
    :ivar unchanged: relpaths proven equal (with the entries, for the manifest).
    :ivar unchanged_bytes: their total size in bytes.
    :ivar adopted: relpaths proven equal by a content check (manifest to update).
    :ivar missing: listed ``files`` the source does not have.
    :ivar kept: destination-only paths not deleted (``files`` map, ``delete: false``, protected).
    :ivar dirs_to_remove: local directories the deletions leave empty, deepest first (pull).
    :ivar dirs_to_create: local directories named by S3 ``dir/`` markers that do not exist yet (pull).
    """

    def __init__(self) -> None:
        self.actions: list[Action] = []
        self.verify: list[str] = []
        self.unchanged: list[str] = []
        self.unchanged_bytes = 0
        self.adopted: list[str] = []
        self.missing: list[str] = []
        self.kept: list[str] = []
        self.dirs_to_remove: list[str] = []
        self.dirs_to_create: list[str] = []

    def of_kind(self, kind: str) -> list[Action]:
        """Return the actions of one kind, in relpath order."""
        return [a for a in self.actions if a.kind == kind]

    @property
    def transfers(self) -> list[Action]:
        """Create and update actions."""
        return [a for a in self.actions if a.kind != DELETE]

    @property
    def deletes(self) -> list[Action]:
        """Delete actions."""
        return self.of_kind(DELETE)


def is_protected(relpath: str, protected: t.AbstractSet[str]) -> bool:
    """Whether ``relpath`` or one of its parent directories is in ``protected``.

    A source path that was skipped (a symlinked, looping or broken directory
    link), rejected or unreadable protects everything below it on the
    destination, not only the key of the same name.
    """
    while relpath:
        if relpath in protected:
            return True
        relpath = relpath.rpartition("/")[0]
    return False


def make_plan(src: t.Mapping[str, Entry], dst: t.Mapping[str, Entry], *, local_side: str,
              manifest: t.Optional[t.Mapping[str, Record]] = None,
              checked: t.Optional[t.Mapping[str, bool]] = None,
              delete: bool = True, files: t.Optional[t.Sequence[str]] = None,
              protected: t.AbstractSet[str] = frozenset()) -> Plan:
    """Compare two trees and return the :class:`Plan` that makes ``dst`` equal to ``src``.

    :param src: relpath -> entry of the source side.
    :param dst: relpath -> entry of the destination side.
    :param local_side: ``'src'`` (push) or ``'dst'`` (pull): which side is the local directory.
    :param manifest: relpath -> :class:`Record` of the last sync, or ``None``.
    :param checked: relpath -> whether the local content matches the remote ETag
        (results of the content check of ``verify``).
    :param delete: plan deletions of destination-only paths.
    :param files: a ``files`` map: only these relpaths are considered; no deletion.
    :param protected: relpaths skipped, rejected or unreadable on the source:
        neither they nor anything below them is deleted on the destination.
    """
    manifest = manifest or {}
    checked = checked or {}
    plan = Plan()
    if files is not None:
        wanted = set(files)
        plan.missing = sorted(wanted - set(src))
        src = {p: src[p] for p in wanted if p in src}
        dst = {p: dst[p] for p in wanted if p in dst}
    actions = plan.actions
    for relpath in sorted(set(src) | set(dst)):
        s = src.get(relpath)
        d = dst.get(relpath)
        if d is None:
            actions.append(Action(CREATE, relpath, t.cast(Entry, s).size, "new"))
            continue
        if s is None:
            if files is not None or not delete or is_protected(relpath, protected):
                plan.kept.append(relpath)
            else:
                actions.append(Action(DELETE, relpath, max(d.size, 0), "not in source"))
            continue
        if s.size != d.size:
            reason = "replaces a symlink" if d.size < 0 else f"size {d.size} -> {s.size}"
            actions.append(Action(UPDATE, relpath, s.size, reason))
            continue
        local, remote = (s, d) if local_side == "src" else (d, s)
        record = manifest.get(relpath)
        if record is not None and record.vouches_for(local, remote):
            plan.unchanged.append(relpath)
            plan.unchanged_bytes += s.size
        elif relpath in checked:
            if checked[relpath]:
                plan.unchanged.append(relpath)
                plan.unchanged_bytes += s.size
                plan.adopted.append(relpath)
            else:
                actions.append(Action(UPDATE, relpath, s.size, "content differs"))
        else:
            plan.verify.append(relpath)
    return plan


def _ancestors(relpath: str) -> t.Iterator[str]:
    """``a/b/c`` -> ``a/b``, ``a``, ``''``."""
    while relpath:
        relpath = relpath.rpartition("/")[0]
        yield relpath


def dirs_emptied(dst_paths: t.Iterable[str], dst_dirs: t.AbstractSet[str], src_dirs: t.AbstractSet[str],
                 deleted: t.AbstractSet[str], holding: t.AbstractSet[str]) -> list[str]:
    """The destination directories a pull's deletions leave empty, deepest first.

    Only directories that held a deleted path are candidates (an empty
    directory the source never had, such as a web app's cache, is left
    alone); a candidate is kept when the source has it, when a path stays
    below it, or when it holds something unlisted (``holding``: ignored,
    skipped, rejected paths).

    :param dst_paths: every listed destination relpath.
    :param deleted: the relpaths the plan deletes.
    """
    candidates = {d for p in deleted for d in _ancestors(p) if d} & set(dst_dirs) - set(src_dirs)
    if not candidates:
        return []
    blocked: set[str] = set()
    for p in dst_paths:
        if p not in deleted:
            blocked.update(_ancestors(p))
    for d in holding:
        blocked.add(d)
        blocked.update(_ancestors(d))
    for d in set(dst_dirs) - candidates:
        blocked.add(d)
        blocked.update(_ancestors(d))
    return sorted(candidates - blocked, key=lambda d: (-d.count("/"), d))


class ReplicaRecord(t.NamedTuple):
    """What this product last copied for one relpath between two stores:
    the source ETag it read and the destination ETag it got (both normalised)."""

    src_etag: str
    dst_etag: str


def _etags_comparable(a: str, b: str) -> bool:
    """Two ETags say something about equal content only when both are plain
    MD5s, or both are multipart ETags (same part size is then likely)."""
    return ("-" in a) == ("-" in b) and bool(a) and bool(b)


def make_replica_plan(src: t.Mapping[str, Entry], dst: t.Mapping[str, Entry], *,
                      records: t.Optional[t.Mapping[str, ReplicaRecord]] = None,
                      delete: bool = False, protected: t.AbstractSet[str] = frozenset(),
                      only: t.Optional[t.AbstractSet[str]] = None) -> Plan:
    """Plan an S3-to-S3 replication that makes ``dst`` equal to ``src`` (issue 6).

    A path on both sides is unchanged when the sizes are equal and either
    the ETags are equal, or the ``records`` of this product's last copy say
    that exactly this source ETag gave exactly this destination ETag (stores
    whose ETags are not MD5s, or multipart ETags of other part sizes). ETags
    that differ and are comparable (both MD5, or both multipart) mean an
    update; ETags that are not comparable and have no record also mean an
    update ("ETags not comparable"), which costs a copy, never a wrong result.

    :param only: a targeted run: just these relpaths are considered
        (a relpath in ``only`` missing from ``src`` is deleted when ``delete``).
    """
    records = records or {}
    plan = Plan()
    paths = set(src) | set(dst)
    if only is not None:
        paths &= set(only)
    for relpath in sorted(paths):
        s = src.get(relpath)
        d = dst.get(relpath)
        if d is None:
            plan.actions.append(Action(CREATE, relpath, t.cast(Entry, s).size, "new"))
            continue
        if s is None:
            if not delete or is_protected(relpath, protected):
                plan.kept.append(relpath)
            else:
                plan.actions.append(Action(DELETE, relpath, d.size, "not in source"))
            continue
        if s.size != d.size:
            plan.actions.append(Action(UPDATE, relpath, s.size, f"size {d.size} -> {s.size}"))
            continue
        s_etag, d_etag = s.etag or "", d.etag or ""
        record = records.get(relpath)
        if (s_etag and s_etag == d_etag) or (record is not None and record == (s_etag, d_etag)):
            plan.unchanged.append(relpath)
            plan.unchanged_bytes += s.size
        elif _etags_comparable(s_etag, d_etag):
            plan.actions.append(Action(UPDATE, relpath, s.size, "content differs"))
        else:
            plan.actions.append(Action(UPDATE, relpath, s.size, "ETags not comparable"))
    return plan


__all__ = ["Record", "ReplicaRecord", "Action", "Plan", "make_plan", "is_protected", "make_replica_plan",
           "CREATE", "UPDATE", "DELETE"]
