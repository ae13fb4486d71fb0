# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of two-way sync: what this replica last agreed with the bucket.

**PRIVATE**: this module is internal to the s32s.sync collection.

Unlike the one-way manifest (a cache), the base is authoritative: a row
means "this local file and this object held the same bytes when this
replica last synced", and decides whether a missing path was deleted or is
new (``plan/threeway.py``). It lives on the replica's host only, never in
the bucket (one shared, unlocked index in the bucket is S3Synchrony's lost
update).

It is a manifest of kind ``local-s3-sync`` (``manifest.py``: written
atomically) plus a journal beside it, ``<base>.journal``: one JSON line per
finished action, appended as the run goes. A run that is killed leaves
base + journal, which the next run reads back and converges from (no human
"resync" step, unlike rclone bisync's lockout); a torn last line is
ignored. A finished run writes the base and removes the journal.
"""

from __future__ import annotations

import json
import os
import threading
import typing as t

from . import manifest as _manifest
from .records import Record

#: The manifest kind of a two-way base.
SYNC = _manifest.LOCAL_S3_SYNC


def _record(value: t.Any) -> t.Optional[Record]:
    if value is None:
        return None
    size, mtime_ns, ctime_ns, ino, etag = value[:5]  # the optional fields of Record are not kept here
    return Record(int(size), int(mtime_ns), int(ctime_ns), int(ino), str(etag))


class Base:
    """The base file of one replica and its journal.

    :param path: the base file (``manifest.manifest_path(state_dir, SYNC, identity)``).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.journal_path = path + ".journal"
        self._lock = threading.Lock()
        self._fd: t.Optional[int] = None

    def load(self) -> dict[str, Record]:
        """The base rows: the last finished run's, then the journal of an
        interrupted one replayed over them (a missing or corrupt file: no rows;
        a torn line: ignored)."""
        records = dict(_manifest.load(self.path, SYNC).records)
        try:
            with open(self.journal_path, encoding="utf-8") as f:
                for line in f:
                    try:
                        relpath, value = json.loads(line)
                        record = _record(value)
                    except (ValueError, TypeError):
                        continue  # a line cut by a crash
                    if record is None:
                        records.pop(relpath, None)
                    else:
                        records[relpath] = record
        except OSError:
            pass
        return records

    def note(self, relpath: str, record: t.Optional[Record]) -> None:
        """Append one finished action: ``relpath`` now agreed as ``record``, or
        gone from both sides (``None``). Thread-safe.

        :raises OSError: the journal cannot be written.
        """
        line = (json.dumps([relpath, list(record) if record is not None else None], separators=(",", ":"))
                + "\n").encode("utf-8", "surrogateescape")
        with self._lock:
            if self._fd is None:
                os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
                self._fd = os.open(self.journal_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
                size = os.fstat(self._fd).st_size
                if size and os.pread(self._fd, 1, size - 1) != b"\n":
                    os.write(self._fd, b"\n")  # a line torn by a crash ends here; ours starts clean
            os.write(self._fd, line)

    def commit(self, records: t.Mapping[str, Record], about: t.Mapping[str, str], listed: t.Optional[int]) -> None:
        """Write the base of a finished run atomically and remove the journal.

        :raises OSError: the state directory cannot be written (the journal stays).
        """
        self.close()
        _manifest.save(self.path, SYNC, records, about, listed)
        try:
            os.unlink(self.journal_path)
        except FileNotFoundError:
            pass

    def close(self) -> None:
        """Close the journal (it stays on disk for the next run)."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


__all__ = ["Base", "SYNC"]
