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

import sqlite3
import typing as t

from . import lockfile
from .log import iso
from .queue import open_readonly


def _map_status(db: t.Optional[sqlite3.Connection], name: str, running: bool, watches: bool) -> dict[str, t.Any]:
    doc: dict[str, t.Any] = {"name": name, "queue_depth": 0, "last_scan": None, "last_success": None, "sent": 0,
                             "deleted": 0, "failed": 0, "dead_letters": [], "last_error": None,
                             "watching": False, "watch_error": None, "watch_retry_at": None}
    if db is None:
        return doc
    if running and not watches:
        doc["watching"] = None  # a service older than the table: unknown
    elif running:  # (the rows of a service that stopped or was killed say nothing any more)
        row = db.execute("SELECT watching, error, retry_at FROM watches WHERE name=?", (name,)).fetchone()
        if row:
            doc.update(watching=bool(row[0]), watch_error=row[1], watch_retry_at=iso(row[2]))
    row = db.execute("SELECT COUNT(*) FROM dirty WHERE map=? AND dead=0", (name,)).fetchone()
    doc["queue_depth"] = int(row[0])
    doc["dead_letters"] = [{"path": p, "reason": r} for p, r in db.execute(
        "SELECT relpath, reason FROM dirty WHERE map=? AND dead=1 ORDER BY relpath", (name,))]
    row = db.execute("SELECT last_scan, last_success, sent, deleted, failed, last_error FROM maps WHERE name=?",
                     (name,)).fetchone()
    if row:
        doc.update(last_scan=iso(row[0]), last_success=iso(row[1]), sent=row[2], deleted=row[3], failed=row[4],
                   last_error=row[5])
    return doc


def _tables(db: sqlite3.Connection) -> set[str]:
    """The names of the tables of the queue (a service older than a table has not made it)."""
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def read_status(state_dir: str, map_names: t.Sequence[str]) -> dict[str, t.Any]:
    """The status document: ``{"running": bool, "maps": [...]}``, one entry per
    configured map (zeros and ``null`` before the first run). ``watching`` is
    true only while the service runs and its live watch of the map works;
    ``watch_error`` says why not (``watches.py``), ``watch_retry_at`` when it
    is tried again; ``watching`` is ``None`` while a service older than these
    fields runs.

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
        maps = [_map_status(db, name, running, "watches" in tables) for name in map_names]
    finally:
        if db is not None:
            db.close()
    return {"running": running, "maps": maps}


def status_of(config_path: str) -> dict[str, t.Any]:
    """The status document of the service configured by ``config_path`` (what ``s32s-watch status``
    prints; for the module ``s32s_watch_info``).

    :raises ConfigError: the configuration cannot be read or is invalid.
    :raises OSError, sqlite3.Error: the state directory cannot be read.
    """
    from .config import load_config  # pylint: disable=import-outside-toplevel

    config = load_config(config_path)
    return read_status(config.state_dir, [m.name for m in config.maps])


__all__ = ["read_status", "status_of"]
