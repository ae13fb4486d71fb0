# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The status document of ``s32s-watch status`` (and of the module ``s32s_watch_info``).

**PRIVATE**: this module is internal to the s32s.sync collection.

Read from the state directory only (the queue opened read-only, the lock
file), so it works whether or not the service runs, and without boto3 or
watchdog. The shape is fixed by issue 13 (README.md lists every field).
"""

from __future__ import annotations

import os
import sqlite3
import typing as t

from . import lockfile
from .log import iso
from .queue import destination_of, open_readonly


#: Columns of ``maps`` -> status fields (the counters and times of the map's current destination).
_MAP_FIELDS = (("last_scan", "last_scan"), ("last_success", "last_success"), ("sent", "sent"),
               ("deleted", "deleted"), ("failed", "failed"), ("failed_passes", "failed_passes"),
               ("last_error", "last_error"), ("last_error_at", "last_error_at"),
               ("failing_since", "failing_since"), ("counted_since", "counted_since"))
_TIMES = frozenset(("last_scan", "last_success", "last_error_at", "failing_since", "counted_since"))


def _map_status(db: t.Optional[sqlite3.Connection], name: str, running: bool, tables: t.AbstractSet[str],
                map_columns: t.AbstractSet[str], destination: t.Optional[str]) -> dict[str, t.Any]:
    doc: dict[str, t.Any] = {"name": name, "queue_depth": 0, "last_scan": None, "last_success": None, "sent": 0,
                             "deleted": 0, "failed": 0, "failed_passes": 0, "dead_letters": [], "last_error": None,
                             "last_error_at": None, "failing_since": None, "counted_since": None,
                             "watching": False, "watch_error": None, "watch_retry_at": None}
    if db is None:
        return doc
    if running and "watches" not in tables:
        doc["watching"] = None  # a service older than the table: unknown
    elif running:  # (the rows of a service that stopped or was killed say nothing any more)
        row = db.execute("SELECT watching, error, retry_at FROM watches WHERE name=?", (name,)).fetchone()
        if row:
            doc.update(watching=bool(row[0]), watch_error=row[1], watch_retry_at=iso(row[2]))
    row = db.execute("SELECT COUNT(*) FROM dirty WHERE map=? AND dead=0", (name,)).fetchone()
    doc["queue_depth"] = int(row[0])
    doc["dead_letters"] = [{"path": p, "reason": r} for p, r in db.execute(
        "SELECT relpath, reason FROM dirty WHERE map=? AND dead=1 ORDER BY relpath", (name,))]
    fields = [(column, key) for column, key in _MAP_FIELDS if column in map_columns]
    has_destination = "destination" in map_columns
    columns = ", ".join(column for column, _key in fields) + (", destination" if has_destination else "")
    row = db.execute(f"SELECT {columns} FROM maps WHERE name=?", (name,)).fetchone()
    if row and has_destination and destination is not None and row[-1] not in (None, destination):
        return doc  # counted for the map's previous destination: not this one's (Queue.claim)
    if row:
        doc.update((key, iso(value) if key in _TIMES else value) for (_c, key), value in zip(fields, row))
    return doc


def _tables(db: sqlite3.Connection) -> set[str]:
    """The names of the tables of the queue (a service older than a table has not made it)."""
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _started_at(state_dir: str) -> t.Optional[float]:
    """When the holder of the lock took it (it writes its pid into the file then)."""
    try:
        return os.stat(lockfile.lock_file(state_dir)).st_mtime
    except OSError:
        return None


def read_status(state_dir: str, map_names: t.Sequence[str],
                destinations: t.Optional[t.Mapping[str, str]] = None) -> dict[str, t.Any]:
    """The status document: ``{"running": bool, "pid", "started_at", "maps": [...]}``, one entry per
    configured map (zeros and ``null`` before the first run). ``watching`` is true only while
    the service runs and its live watch of the map works; ``watch_error`` says why not
    (``watches.py``), ``watch_retry_at`` when it is tried again; ``watching`` is ``None`` while
    a service older than these fields runs. ``destinations``: map name -> its destination
    (``queue.destination_of``); counters recorded for another destination are not shown (the
    map was pointed elsewhere since; the service starts new ones).

    :raises OSError, sqlite3.Error: the state directory cannot be read.
    """
    held = lockfile.holder(state_dir)
    running = bool(held and held[1] == lockfile.SERVICE)
    db = open_readonly(state_dir)
    try:
        tables = _tables(db) if db is not None else set()
        if db is not None and not {"dirty", "maps"} <= tables:
            db.close()
            db = None  # the service is creating it
        map_columns = {r[1] for r in db.execute("PRAGMA table_info(maps)")} if db is not None else set()
        maps = [_map_status(db, name, running, tables, map_columns, (destinations or {}).get(name))
                for name in map_names]
    finally:
        if db is not None:
            db.close()
    return {"running": running, "pid": held[0] if running and held else None,
            "started_at": iso(_started_at(state_dir)) if running else None, "maps": maps}


def status_of(config_path: str) -> dict[str, t.Any]:
    """The status document of the service configured by ``config_path`` (what ``s32s-watch status``
    prints; for the module ``s32s_watch_info``).

    :raises ConfigError: the configuration cannot be read or is invalid.
    :raises OSError, sqlite3.Error: the state directory cannot be read.
    """
    from .config import load_config  # pylint: disable=import-outside-toplevel

    config = load_config(config_path)
    return read_status(config.state_dir, [m.name for m in config.maps], map_destinations(config))


def map_destinations(config: t.Any) -> dict[str, str]:
    """Map name -> destination (``queue.destination_of``) of a ``config.WatchConfig``."""
    endpoint = config.connection.get("endpoint_url") or ""
    return {m.name: destination_of(endpoint, m.s3) for m in config.maps}


__all__ = ["read_status", "status_of", "map_destinations"]
