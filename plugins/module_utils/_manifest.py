# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The manifest: a cache of what this product last saw in sync.

**PRIVATE**: this module is internal to the s32s.sync collection.

One JSON file per (direction, endpoint, bucket, prefix, local root) in the
state directory of the host that runs the module (default
``~/.cache/s32s.sync``), mapping relpath -> ``[size, mtime_ns, ctime_ns,
ino, etag]``. A record proves a local file and an object equal only when all
five still hold (see ``_plan.Record.vouches_for``): the inode change time
moves on every write, even one that puts an old mtime back, so same-size
edits are caught. A lost, stale, corrupt or foreign manifest only costs a
content check (hashing), never a wrong result (issue 7, point 1). It holds
no credential.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import typing as t

from ._plan import Record

VERSION = 1
DEFAULT_STATE_DIR = "~/.cache/s32s.sync"


def _record(r: list[t.Any]) -> Record:
    return Record(int(r[0]), int(r[1]), int(r[2]), int(r[3]), str(r[4]))


def manifest_path(state_dir: str, direction: str, endpoint: str, bucket: str, prefix: str, root: str) -> str:
    """Return the manifest file path for one map run (a hash of its identity)."""
    ident = "\0".join((direction, endpoint, bucket, prefix, os.path.realpath(root)))
    digest = hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return os.path.join(os.path.expanduser(state_dir), f"{direction}-{digest}.json")


def load(path: str, factory: t.Callable[[list[t.Any]], t.Any] = _record) -> dict[str, t.Any]:
    """Read a manifest; any problem (missing, corrupt, other version) gives ``{}``.

    :param factory: turns one stored list into a record (default: a push/pull
        :class:`Record`; replication stores ``[src_etag, dst_etag]``).
    """
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if data.get("version") != VERSION:
            return {}
        return {rel: factory(r) for rel, r in data["records"].items()}
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return {}


def save(path: str, records: t.Mapping[str, t.Sequence[t.Any]], about: t.Mapping[str, str]) -> None:
    """Write a manifest atomically (temporary file + rename, mode 0600).

    :param about: a few descriptive strings (map name, location, root) for humans.
    :raises OSError: the state directory cannot be created or written.
    """
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    data = {"version": VERSION, "about": dict(about),
            "records": {rel: list(rec) for rel, rec in sorted(records.items())}}
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


__all__ = ["manifest_path", "load", "save", "DEFAULT_STATE_DIR", "VERSION"]
