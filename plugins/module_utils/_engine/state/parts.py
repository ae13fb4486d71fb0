# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The part ledger: the multipart uploads this host has open, in its state directory.

**PRIVATE**: this module is internal to the s32s.sync collection.

One JSON file per destination (endpoint, bucket, key) under
``<state_dir>/parts/``, written atomically and durably (fsync) as soon as an
upload's UploadId exists, and removed when the upload is completed or
aborted, so a crash at any point leaves either no file or a file naming an
upload the server may still hold. Version 1::

    {"version": 1, "endpoint": "...", "bucket": "b", "key": "site/big.bin",
     "upload_id": "...", "part_size": 8388608, "path": "/abs/master/big.bin",
     "started": 1764750000.0,
     "identity": {"relpath": "big.bin", "size": 67108864, "mtime_ns": ..., "ctime_ns": ...,
                  "ino": ..., "dev": ...}}

Beside them, ``seen-<32 hex>.json`` per (endpoint, bucket, prefix) keeps when
this host first saw each upload it did not start there (upload id -> epoch
seconds), for the orphan sweep's age rule, and when it last listed them
(``swept``), for its interval (``sides/orphans.py``). A corrupt
or foreign file reads as absent: the cost is an upload started anew, and the
sweep then aborts the old one after its age limit. It holds no credential.

Usage. ``jobs.push_pull.run_maps`` (push) does all of it from
``SyncOptions.lock_dir`` (else ``state_dir``), so a front door that sends
files through the push job (the watcher) gets resume and the sweep by
passing its state directory there. A front door with its own loop does::

    ledger = PartLedger(state_dir, endpoint)            # one per map (its events are the map's)
    side = S3Side(store, location, endpoint, ledger=ledger)
    ...  # uploads through side.upload_file (or S3Store.upload(..., resume=(ledger, relpath))) resume
    sweep_orphans(store.client, location, ledger, max_age_s,
                  interval_s=SWEEP_INTERVAL_S)          # sides/orphans.py, under the prefix's host lock
    ledger.events                                       # what was resumed and aborted

Uploads of one key must not run in two processes at once with one state
directory: push holds the host lock of the prefix (``state/lock.py``); a
long-lived service that shares the state directory takes the same lock.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import typing as t
import uuid

from ..sides.resumable import FileIdentity, UploadRecord
from .atomic import write_json

VERSION = 1
SUBDIR = "parts"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:32]


class PartLedger:
    """The open uploads of one endpoint, recorded under ``<state_dir>/parts/``.

    Thread-safe within a process; processes that share a state directory are
    kept apart by the host lock of the prefix (``state/lock.py``).

    :ivar events: ``resumed``/``aborted`` events of this run (dicts, see
        ``resumable.py`` and ``orphans.py``), for the report.
    """

    def __init__(self, state_dir: str, endpoint: str = "") -> None:
        self.directory = os.path.join(os.path.expanduser(state_dir), SUBDIR)
        self.endpoint = endpoint
        self.events: list[dict[str, t.Any]] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._token = uuid.uuid4().hex  # this ledger object's (a map's) event files, inherited by forks
        self._child_events: list[dict[str, t.Any]] = []

    def _path(self, bucket: str, key: str) -> str:
        return os.path.join(self.directory, f"up-{_digest('up', self.endpoint, bucket, key)}.json")

    def _seen_path(self, bucket: str, list_prefix: str) -> str:
        return os.path.join(self.directory, f"seen-{_digest('seen', self.endpoint, bucket, list_prefix)}.json")

    def _read(self, path: str) -> t.Optional[UploadRecord]:
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            if data.get("version") != VERSION or data.get("endpoint") != self.endpoint:
                return None
            ident = data["identity"]
            identity = FileIdentity(str(ident["relpath"]), *(int(ident[k]) for k in FileIdentity._fields[1:]))
            return UploadRecord(str(data["bucket"]), str(data["key"]), str(data["upload_id"]),
                                int(data["part_size"]), identity, str(data["path"]), float(data["started"]),
                                str(data.get("headers", "")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def get(self, bucket: str, key: str) -> t.Optional[UploadRecord]:
        """The open upload recorded for ``key`` of ``bucket``, or ``None``."""
        record = self._read(self._path(bucket, key))
        return record if record is not None and (record.bucket, record.key) == (bucket, key) else None

    def put(self, record: UploadRecord) -> None:
        """Record ``record`` (atomic, fsync'ed). :raises OSError: the state directory cannot be written."""
        data = {"version": VERSION, "endpoint": self.endpoint, "bucket": record.bucket, "key": record.key,
                "upload_id": record.upload_id, "part_size": record.part_size, "path": record.path,
                "started": record.started, "headers": record.headers, "identity": record.identity._asdict()}
        write_json(self._path(record.bucket, record.key), data, prefix=".parts-", durable=True)

    def drop(self, bucket: str, key: str) -> None:
        """Forget the upload of ``key`` (no error when there is none)."""
        try:
            os.unlink(self._path(bucket, key))
        except FileNotFoundError:
            pass

    def records_under(self, bucket: str, list_prefix: str) -> list[UploadRecord]:
        """Every recorded upload of this endpoint in ``bucket`` whose key starts with ``list_prefix``."""
        try:
            names = sorted(n for n in os.listdir(self.directory) if n.startswith("up-") and n.endswith(".json"))
        except FileNotFoundError:
            return []
        out = []
        for name in names:
            record = self._read(os.path.join(self.directory, name))
            if record is not None and record.bucket == bucket and record.key.startswith(list_prefix):
                out.append(record)
        return out

    def sightings(self, bucket: str, list_prefix: str) -> dict[str, float]:
        """When this host first saw each foreign upload under the prefix (upload id -> epoch seconds)."""
        try:
            with open(self._seen_path(bucket, list_prefix), encoding="utf-8") as f:
                data = json.load(f)
            return {str(k): float(v) for k, v in data["seen"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    def last_swept(self, bucket: str, list_prefix: str) -> t.Optional[float]:
        """When the prefix's open uploads were last listed by a sweep (epoch seconds), or ``None``."""
        try:
            with open(self._seen_path(bucket, list_prefix), encoding="utf-8") as f:
                return float(json.load(f)["swept"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def save_sightings(self, bucket: str, list_prefix: str, seen: t.Mapping[str, float], swept: float) -> None:
        """Replace the sightings of the prefix and the time of its sweep (atomic). :raises OSError: cannot write."""
        write_json(self._seen_path(bucket, list_prefix),
                   {"version": VERSION, "bucket": bucket, "prefix": list_prefix, "swept": swept, "seen": dict(seen)},
                   prefix=".parts-")

    def note(self, event: dict[str, t.Any]) -> None:
        """Keep an event for the report (thread-safe). In a forked transfer process
        (``jobs/pools.py``) the events go to ``parts/events-<token>-<pid>.json`` instead,
        for :meth:`take_events` in the parent."""
        with self._lock:
            if os.getpid() == self._pid:
                self.events.append(event)
                return
            self._child_events.append(event)
            try:
                write_json(os.path.join(self.directory, f"events-{self._token}-{os.getpid()}.json"),
                           self._child_events, prefix=".parts-")
            except OSError:
                pass  # the report misses it; the upload itself is unaffected

    def take_events(self) -> list[dict[str, t.Any]]:
        """This run's events, with those of forked transfer processes (their files are removed)."""
        try:
            mine = f"events-{self._token}-"
            names = sorted(n for n in os.listdir(self.directory) if n.startswith(mine) and n.endswith(".json"))
        except FileNotFoundError:
            names = []
        for name in names:
            path = os.path.join(self.directory, name)
            try:
                with open(path, encoding="utf-8") as f:
                    found = json.load(f)
                os.unlink(path)
            except (OSError, ValueError):
                continue
            if isinstance(found, list):
                self.events.extend(e for e in found if isinstance(e, dict) and "event" in e)
        return list(self.events)


__all__ = ["PartLedger", "VERSION", "SUBDIR"]
