# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The manifest: a cache of what this product last saw in sync.

**PRIVATE**: this module is internal to the s32s.sync collection.

One JSON file per pair of sides in the state directory of the host that
runs the job (default ``~/.cache/s32s.sync``). Its identity is the pair, not
the direction: a push and a pull of the same local directory and prefix
share one manifest, since a record proves the same thing both ways.

Version 2::

    {"version": 2, "kind": "local-s3", "fields": ["size", "mtime_ns", ...],
     "listed": 5000, "about": {...}, "records": {"a/b.txt": [12, ...], ...}}

``fields`` names the columns of every record (``records.py``), so that a
record is read by name (a field with a default, such as a record's ``mode``
and ``s3_mtime_ns``, may be missing: a manifest written before it loads);
``listed`` is the object count of the pair's S3 side (the destination's,
for two S3 sides) after the last full run: the budget base of a targeted run.
``attrs`` (optional, absent from older files: ``{}``) maps a relpath to the
fingerprint of the attribute set its object was given
(``config/attributes.py``; only non-empty ones). A lost, stale, corrupt,
older (version 1) or foreign manifest only costs a content check (hashing),
and one HeadObject per object whose mode is then learned again, never a
wrong result (promise 10 of ``docs/safety.md``). It holds no credential.
"""

from __future__ import annotations

import hashlib
import json
import os
import typing as t
from sys import intern

from .atomic import write_json
from .records import Record, ReplicaRecord

VERSION = 2
DEFAULT_STATE_DIR = "~/.cache/s32s.sync"
#: A local directory and an S3 prefix (push, pull).
LOCAL_S3 = "local-s3"
#: Two S3 prefixes (replicate).
S3_S3 = "s3-s3"
#: The base of a two-way sync of a local directory and an S3 prefix (``base.py``).
LOCAL_S3_SYNC = "local-s3-sync"
#: The record type of each kind.
RECORD_TYPES: dict[str, t.Any] = {LOCAL_S3: Record, S3_S3: ReplicaRecord, LOCAL_S3_SYNC: Record}


class State(t.NamedTuple):
    """A loaded manifest: ``records`` (relpath -> record), ``listed`` (a count, or
    ``None``) and ``attrs`` (relpath -> attribute fingerprint; ``{}`` when none)."""

    records: dict[str, t.Any]
    listed: t.Optional[int]
    attrs: t.Mapping[str, str] = {}


EMPTY = State({}, None)


def manifest_path(state_dir: str, kind: str, identity: t.Sequence[str]) -> str:
    """The manifest file of one pair of sides: ``<state_dir>/<kind>-<32 hex>.json``.

    :param identity: the strings that name the pair (endpoints, buckets,
        prefixes, the real path of a local root).
    """
    ident = "\0".join((kind,) + tuple(identity))
    digest = hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return os.path.join(os.path.expanduser(state_dir), f"{kind}-{digest}.json")


def local_identity(endpoint: str, bucket: str, prefix: str, root: str) -> tuple[str, ...]:
    """The identity of a local directory and an S3 prefix."""
    return endpoint, bucket, prefix, os.path.realpath(root)


def load(path: str, kind: str) -> State:
    """Read a manifest of ``kind``; any problem (missing, corrupt, other version
    or kind, a field missing) gives an empty :class:`State`."""
    record_type = RECORD_TYPES[kind]
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if data.get("version") != VERSION or data.get("kind") != kind:
            return EMPTY
        fields = list(data["fields"])
        optional = record_type._field_defaults
        present = tuple(name for name in record_type._fields if name not in optional or name in fields)
        columns = [fields.index(name) for name in present]  # ValueError for a required field: an empty state
        if record_type is Record and present == Record._fields[:5]:  # written before the optional fields
            a, b, c, d, e = columns  # the hot path: one call per record, no generator
            # relpaths and ETags interned: the trees of the same run hold the same strings (bench/memory.py)
            records = {intern(rel): Record(int(r[a]), int(r[b]), int(r[c]), int(r[d]), intern(str(r[e])))
                       for rel, r in data["records"].items()}
        elif record_type is Record and present == Record._fields[:7]:  # what save writes
            a, b, c, d, e, f, g = columns
            records = {intern(rel): Record(int(r[a]), int(r[b]), int(r[c]), int(r[d]), intern(str(r[e])), int(r[f]),
                                           int(r[g]))
                       for rel, r in data["records"].items()}
        else:  # by name: a field with a default that the file lacks takes its default
            casts = dict(zip(record_type._fields, (type(default) for default in _DEFAULTS[kind])))
            named = [(name, fields.index(name), casts[name]) for name in record_type._fields if name in fields]
            records = {rel: record_type(**{name: cast(r[i]) for name, i, cast in named})
                       for rel, r in data["records"].items()}
        listed = data.get("listed")
        ok = isinstance(listed, int) and not isinstance(listed, bool) and listed >= 0
        attrs = data.get("attrs") or {}
        attrs = {p: f for p, f in attrs.items() if p in records and isinstance(f, str) and f} \
            if isinstance(attrs, dict) else {}
        return State(records, listed if ok else None, attrs)
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return EMPTY


#: A sample record per kind, whose field types cast what is read.
_DEFAULTS: dict[str, tuple[t.Any, ...]] = {LOCAL_S3: (0, 0, 0, 0, "", 0, 0), S3_S3: ("", ""),
                                           LOCAL_S3_SYNC: (0, 0, 0, 0, "", 0, 0)}


def save(path: str, kind: str, records: t.Mapping[str, t.Sequence[t.Any]], about: t.Mapping[str, str],
         listed: t.Optional[int] = None, attrs: t.Optional[t.Mapping[str, str]] = None) -> None:
    """Write a manifest atomically (temporary file + rename, mode 0600).

    :param about: a few descriptive strings (map name, locations, root) for humans.
    :param listed: the destination's object count after the run, when known.
    :param attrs: relpath -> attribute fingerprint (written only when not empty).
    :raises OSError: the state directory cannot be created or written.
    """
    data = {"version": VERSION, "kind": kind, "fields": list(RECORD_TYPES[kind]._fields),
            "listed": listed, "about": dict(about),
            "records": {rel: list(rec) for rel, rec in sorted(records.items())}}
    if attrs:
        data["attrs"] = dict(sorted(attrs.items()))
    write_json(path, data, prefix=".manifest-")


__all__ = ["manifest_path", "local_identity", "load", "save", "State", "EMPTY", "DEFAULT_STATE_DIR", "VERSION",
           "LOCAL_S3", "S3_S3", "LOCAL_S3_SYNC"]
