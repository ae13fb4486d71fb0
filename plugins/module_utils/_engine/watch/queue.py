# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher's persistent queue: SQLite in WAL mode, one row per dirty ``(map, relpath)``.

**PRIVATE**: this module is internal to the s32s.sync collection.

The rows are :class:`rules.Entry`; every change goes through a rule of
``rules.py``, so this module only stores. It also holds the per-map counters
and times that ``status`` shows, the state of each map's live watch
(``watches.py``) and the rescan requests of the command line. One
:class:`Queue` is shared by the service's threads (a lock serialises them);
``status`` opens the file read-only (:func:`open_readonly`).
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
import typing as t

from . import rules
from .rules import Entry, Timing

FILE_NAME = "queue.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dirty (
    map TEXT NOT NULL, relpath TEXT NOT NULL, first_event REAL NOT NULL, last_event REAL NOT NULL,
    due REAL NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, dead INTEGER NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '', PRIMARY KEY (map, relpath)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS maps (
    name TEXT PRIMARY KEY, last_scan REAL, last_success REAL, sent INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, last_error TEXT);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, requested_at REAL NOT NULL,
    done_at REAL, ok INTEGER);
CREATE TABLE IF NOT EXISTS watches (
    name TEXT PRIMARY KEY, watching INTEGER NOT NULL, error TEXT, retry_at REAL);
"""
_COLUMNS = "map, relpath, first_event, last_event, due, attempts, dead, reason"
#: Columns of ``maps`` added after its first version (a queue made by an older service gets them
#: at the next start): the destination the counters belong to, when they started, the failed
#: passes, and the current run of failures (``error_scope``: ``rescan`` or ``pass``).
MAP_COLUMNS_ADDED = (("destination", "TEXT"), ("counted_since", "REAL"),
                     ("failed_passes", "INTEGER NOT NULL DEFAULT 0"), ("last_error_at", "REAL"),
                     ("failing_since", "REAL"), ("error_scope", "TEXT"))
#: ``error_scope`` of a failed full rescan: only a clean rescan clears it.
RESCAN_SCOPE = "rescan"
#: ``error_scope`` of a failed targeted pass.
PASS_SCOPE = "pass"


def destination_of(endpoint: str, location: t.Any) -> str:
    """What a map's counters belong to: the endpoint (``''``: AWS) and ``s3://bucket/prefix/``.
    A map whose ``s3`` or endpoint changes starts new counters (:meth:`Queue.claim`)."""
    return f"{endpoint} {location}".strip()


def queue_path(state_dir: str) -> str:
    """The queue file of a state directory."""
    return os.path.join(state_dir, FILE_NAME)


def _entry(row: t.Sequence[t.Any]) -> Entry:
    return Entry(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7])


def _row(e: Entry) -> tuple[t.Any, ...]:
    return (e.map, e.relpath, e.first_event, e.last_event, e.due, e.attempts, int(e.dead), e.reason)


class Queue:
    """The queue file of ``state_dir`` (created with mode 0600 when missing).

    :param timing: the settle, ceiling and retry timings.
    :param rand: a source of floats in ``[0, 1)`` for the jitter (tests fix it).
    :raises sqlite3.Error, OSError: the file cannot be opened or created.
    """

    def __init__(self, state_dir: str, timing: Timing, rand: t.Callable[[], float] = random.random) -> None:
        self.path = queue_path(state_dir)
        self.timing = timing
        self.rand = rand
        self._lock = threading.Lock()
        if not os.path.exists(self.path):
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        have = {row[1] for row in self._db.execute("PRAGMA table_info(maps)")}
        for column, decl in MAP_COLUMNS_ADDED:
            if column not in have:
                self._db.execute(f"ALTER TABLE maps ADD COLUMN {column} {decl}")

    def close(self) -> None:
        """Close the file (the WAL is checkpointed)."""
        with self._lock:
            self._db.close()

    def _get(self, map_name: str, relpath: str) -> t.Optional[Entry]:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM dirty WHERE map=? AND relpath=?",
                               (map_name, relpath)).fetchone()
        return _entry(row) if row else None

    def _put(self, entry: t.Optional[Entry], map_name: str, relpath: str) -> None:
        if entry is None:
            self._db.execute("DELETE FROM dirty WHERE map=? AND relpath=?", (map_name, relpath))
        else:
            self._db.execute(f"INSERT OR REPLACE INTO dirty ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)", _row(entry))

    # -- paths -------------------------------------------------------------
    def mark_many(self, map_name: str, events: t.Mapping[str, float]) -> None:
        """Mark relpath -> event time dirty (:func:`rules.mark`), in one transaction."""
        if not events:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for relpath, when in events.items():
                    self._put(rules.mark(self._get(map_name, relpath), map_name, relpath, when), map_name, relpath)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def entries(self, map_name: str) -> list[Entry]:
        """Every entry of a map (dead letters too), by relpath."""
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM dirty WHERE map=? ORDER BY relpath",
                                    (map_name,)).fetchall()
        return [_entry(r) for r in rows]

    def ready(self, map_name: str, now: float, limit: int) -> list[Entry]:
        """Up to ``limit`` entries ready at ``now`` (:func:`rules.is_ready`), the oldest first."""
        ready = [e for e in self.entries(map_name) if rules.is_ready(e, now, self.timing)]
        ready.sort(key=lambda e: (e.first_event, e.relpath))
        return ready[:limit]

    def next_ready(self, map_name: str) -> t.Optional[float]:
        """When the first waiting entry of a map becomes ready, or ``None``."""
        times = [rules.ready_at(e, self.timing) for e in self.entries(map_name)]
        live = [w for w in times if w is not None]
        return min(live) if live else None

    def update(self, map_name: str, change: t.Callable[[Entry], t.Optional[Entry]],
               relpaths: t.Optional[t.Iterable[str]] = None) -> None:
        """Apply a rule to the current entries of ``relpaths`` (every entry of the
        map when ``None``), in one transaction; a rule returning ``None`` removes it."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if relpaths is None:
                    rows = self._db.execute(f"SELECT {_COLUMNS} FROM dirty WHERE map=?", (map_name,)).fetchall()
                    current = [_entry(r) for r in rows]
                else:
                    current = [e for e in (self._get(map_name, p) for p in relpaths) if e is not None]
                for entry in current:
                    self._put(change(entry), map_name, entry.relpath)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # -- counters ----------------------------------------------------------
    def record(self, map_name: str, *, sent: int = 0, deleted: int = 0, failed: int = 0,
               error: t.Optional[str] = None, scanned: bool = False, success: bool = False,
               now: t.Optional[float] = None) -> None:
        """Add to a map's counters after a pass; ``scanned``: it was a full rescan (it ended now),
        ``success``: a clean one.

        ``error`` (one line): the pass failed, could not run or was refused: it becomes
        ``last_error`` (at ``now``), counts one failed pass and starts ``failing_since`` unless a
        failure is already current. ``None`` (a clean pass) clears them, except that a clean
        targeted pass leaves the failure of a rescan (it proves neither the listing nor the gate
        of the whole map): only a clean rescan clears that.
        """
        now = time.time() if now is None else now
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT OR IGNORE INTO maps (name, counted_since) VALUES (?, ?)", (map_name, now))
                self._db.execute("UPDATE maps SET sent=sent+?, deleted=deleted+?, failed=failed+? WHERE name=?",
                                 (sent, deleted, failed, map_name))
                if error is not None:
                    self._db.execute("UPDATE maps SET failed_passes=failed_passes+1, last_error=?, last_error_at=?, "
                                     "failing_since=COALESCE(failing_since, ?), error_scope=? WHERE name=?",
                                     (error, now, now, RESCAN_SCOPE if scanned else PASS_SCOPE, map_name))
                else:
                    self._db.execute("UPDATE maps SET last_error=NULL, last_error_at=NULL, failing_since=NULL, "
                                     "error_scope=NULL WHERE name=? AND (? OR error_scope IS NULL OR error_scope!=?)",
                                     (map_name, int(scanned), RESCAN_SCOPE))
                if scanned:
                    self._db.execute("UPDATE maps SET last_scan=? WHERE name=?", (now, map_name))
                if success:
                    self._db.execute("UPDATE maps SET last_success=? WHERE name=?", (now, map_name))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def claim(self, map_name: str, destination: str, now: t.Optional[float] = None) -> t.Optional[str]:
        """Make a map's counters those of ``destination`` (:func:`destination_of`): when they were
        counted for another one, they start again (zeros, no scan, no error, ``counted_since``
        ``now``); returns that other destination, else ``None``. Counters of a queue made before
        destinations were recorded are kept and claimed as they are."""
        now = time.time() if now is None else now
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT destination FROM maps WHERE name=?", (map_name,)).fetchone()
                previous = row[0] if row is not None else None
                if row is not None and previous not in (None, destination):
                    self._db.execute("DELETE FROM maps WHERE name=?", (map_name,))
                self._db.execute("INSERT OR IGNORE INTO maps (name, counted_since) VALUES (?, ?)", (map_name, now))
                self._db.execute("UPDATE maps SET destination=? WHERE name=?", (destination, map_name))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return previous if previous not in (None, destination) else None

    # -- live watches (watches.py) ---------------------------------------------
    def record_watch(self, map_name: str, watching: bool, error: t.Optional[str] = None,
                     retry_at: t.Optional[float] = None) -> None:
        """Set whether the live watch of a map is active, why not (``error``) and
        when it is tried again (``retry_at``, seconds since the epoch)."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO watches (name, watching, error, retry_at) VALUES (?,?,?,?)",
                             (map_name, int(watching), error, retry_at))

    def forget_watches(self) -> None:
        """No live watch (the service starts or stops)."""
        with self._lock:
            self._db.execute("DELETE FROM watches")

    # -- rescan requests ---------------------------------------------------
    def request(self, kind: str = "rescan") -> int:
        """Add a request for the running service; returns its id."""
        with self._lock:
            cur = self._db.execute("INSERT INTO requests (kind, requested_at) VALUES (?, ?)", (kind, time.time()))
            return int(cur.lastrowid or 0)

    def pending_requests(self) -> list[int]:
        """Ids of the requests not done yet, oldest first."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT id FROM requests WHERE done_at IS NULL ORDER BY id")]

    def finish_request(self, request_id: int, ok: bool) -> None:
        """Mark a request done (``ok``: every map was reconciled cleanly)."""
        with self._lock:
            self._db.execute("UPDATE requests SET done_at=?, ok=? WHERE id=?", (time.time(), int(ok), request_id))

    def request_outcome(self, request_id: int) -> t.Optional[bool]:
        """``None`` while the request waits, then whether it went cleanly."""
        with self._lock:
            row = self._db.execute("SELECT done_at, ok FROM requests WHERE id=?", (request_id,)).fetchone()
        if row is None or row[0] is None:
            return None
        return bool(row[1])


def open_readonly(state_dir: str) -> t.Optional[sqlite3.Connection]:
    """A read-only connection to the queue of ``state_dir``, or ``None`` when there is none yet.

    :raises sqlite3.Error: the file exists but cannot be read.
    """
    path = queue_path(state_dir)
    if not os.path.exists(path):
        return None
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)


__all__ = ["Queue", "queue_path", "open_readonly", "destination_of", "FILE_NAME", "MAP_COLUMNS_ADDED"]
