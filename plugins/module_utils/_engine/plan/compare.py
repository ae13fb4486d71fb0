# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Comparators: is a path of the same size on both sides the same content?

**PRIVATE**: this module is internal to the s32s.sync collection.

The plan (``plan.py``) settles what the listings alone prove (a side lacks
the path, the sizes differ); a comparator answers the rest without I/O, from
the state of the last sync, and says which record to keep afterwards:

* :class:`ManifestComparator`, one local side and one S3 side (push, pull):
  the manifest record of the local file's stat and the object's ETag, else a
  content check (hashing the local file against the ETag) that the job runs
  between two plannings;
* :class:`ReplicaComparator`, two S3 sides (replicate): equal ETags, or the
  record of this product's last copy.
"""

from __future__ import annotations

import typing as t

from ..sides.etag import is_comparable_pair
from ..sides.tree import Entry
from ..state.records import Record, ReplicaRecord

#: Verdicts of :meth:`Comparator.compare`.
EQUAL = "equal"          # proven equal by the state
ADOPTED = "adopted"      # proven equal by a content check (the state gains a record)
DIFFERS = "differs"      # different content: the reason says why
VERIFY = "verify"        # unknown: the content must be checked, then planned again


class Verdict(t.NamedTuple):
    """``kind`` is one of ``EQUAL``, ``ADOPTED``, ``DIFFERS``, ``VERIFY``; ``reason`` explains ``DIFFERS``."""

    kind: str
    reason: str = ""


_EQUAL = Verdict(EQUAL)
_ADOPTED = Verdict(ADOPTED)
_VERIFY = Verdict(VERIFY)
_CONTENT_DIFFERS = Verdict(DIFFERS, "content differs")
_NOT_COMPARABLE = Verdict(DIFFERS, "ETags not comparable")


class Comparator(t.Protocol):
    """What the planner asks of a comparator."""

    def compare(self, relpath: str, src: Entry, dst: Entry) -> Verdict:
        """The verdict for two entries of the same size."""

    def record(self, relpath: str, src: Entry, dst: Entry) -> t.Any:
        """The record to keep for two entries now proven equal (``None``: none can be made)."""


class ManifestComparator:
    """One local side and one S3 side, compared by manifest record (promise 10 of ``docs/safety.md``).

    :param records: relpath -> :class:`Record` of the last sync.
    :param checked: relpath -> whether the local content matches the ETag
        (the content checks of a previous plan's ``verify``).
    :param local_is_source: the local side is the source (push) rather than
        the destination (pull); the job knows it from its sides.
    """

    def __init__(self, records: t.Mapping[str, Record], checked: t.Optional[t.Mapping[str, bool]] = None, *,
                 local_is_source: bool) -> None:
        self.records = records
        self.checked = checked or {}
        self.local_is_source = local_is_source

    def _pair(self, src: Entry, dst: Entry) -> tuple[Entry, Entry]:
        return (src, dst) if self.local_is_source else (dst, src)

    def compare(self, relpath: str, src: Entry, dst: Entry) -> Verdict:
        """``EQUAL`` when the record vouches, else the content check's answer, else ``VERIFY``."""
        record = self.records.get(relpath)
        if record is not None and (record.vouches_for(src, dst) if self.local_is_source
                                   else record.vouches_for(dst, src)):
            return _EQUAL
        if relpath in self.checked:
            return _ADOPTED if self.checked[relpath] else _CONTENT_DIFFERS
        return _VERIFY

    def record(self, relpath: str, src: Entry, dst: Entry) -> t.Optional[Record]:
        """The old record when it still vouches, else one made from the local stat and the ETag."""
        local, remote = self._pair(src, dst)
        old = self.records.get(relpath)
        if old is not None and old.vouches_for(local, remote):
            return old
        if not remote.etag:
            return None
        return Record(local.size, local.mtime_ns, local.ctime_ns, local.ino, remote.etag)


class ReplicaComparator:
    """Two S3 sides, compared by ETag.

    Equal when the ETags are equal, or when the record of this product's last
    copy says that exactly this source ETag gave exactly this destination
    ETag. ETags that differ and are comparable (both MD5s, or both multipart)
    mean ``content differs``; ETags that are not comparable and have no record
    mean ``ETags not comparable``: a copy, never a wrong result.

    :param records: relpath -> :class:`ReplicaRecord` of the last copy.
    """

    def __init__(self, records: t.Mapping[str, ReplicaRecord]) -> None:
        self.records = records

    def compare(self, relpath: str, src: Entry, dst: Entry) -> Verdict:
        """``EQUAL`` or ``DIFFERS``; a replica never needs a content check."""
        s_etag, d_etag = src.etag or "", dst.etag or ""
        record = self.records.get(relpath)
        if (s_etag and s_etag == d_etag) or (record is not None and record == (s_etag, d_etag)):
            return _EQUAL
        if is_comparable_pair(s_etag, d_etag):
            return _CONTENT_DIFFERS
        return _NOT_COMPARABLE

    def record(self, relpath: str, src: Entry, dst: Entry) -> t.Optional[ReplicaRecord]:
        """The pair of ETags now known to name the same content (``None`` when
        either is empty: such a record would vouch for any later pair)."""
        if not src.etag or not dst.etag:
            return None
        return ReplicaRecord(src.etag, dst.etag)


__all__ = ["Verdict", "Comparator", "ManifestComparator", "ReplicaComparator", "EQUAL", "ADOPTED", "DIFFERS",
           "VERIFY"]
