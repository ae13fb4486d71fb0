# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The trash of two-way sync: its folders, and their expiry after the retention period.

**PRIVATE**: this module is internal to the s32s.sync collection.

Each run that replaces or deletes content keeps it under
``.s32s-trash/<YYYYMMDDTHHMMSSZ>-<replica>-<run id>/<relpath>``, below the local root
and below ``prefix/`` (``two_way_apply.py``). A folder older than the
retention period is removed whole by a later run that writes that side.
Only folders whose name has that form are ever removed, only directly under
``.s32s-trash`` (never through a symlink), and never anything else: a
conflict copy is an ordinary synced file, not trash.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import stat
import typing as t

from ..config.ignore import IgnoreRules
from ..config.maps import S3Location
from ..paths import key_for, name_part
from ..sides.deletion import DeleteOutcome
from ..sides.s3store import S3Store, http_date

#: The trash directory (local) and key part (S3), under the root or ``prefix/``.
TRASH = ".s32s-trash"
#: The empty object a run writes first into its S3 trash folder: its LastModified is the server's
#: time of the run (a server-side copy may keep its source's LastModified, as rclone does).
MARKER = ".s32s-made"
#: A trash folder's name: the UTC time of the run that made it, and the replica.
FOLDER_RE = re.compile(r"^(\d{8}T\d{6}Z)-[^/]+$")


def folder_name(stamp: str, replica: str, run_id: str) -> str:
    """The trash folder of one run: ``<stamp>-<replica>-<run_id>`` (``stamp``:
    ``YYYYMMDDTHHMMSSZ``; characters of ``replica`` other than letters, digits,
    ``.``, ``_`` and ``-`` become ``_``). ``run_id`` tells apart two runs of one
    replica in the same second, so that no run's trash ever replaces another's."""
    return f"{stamp}-{name_part(replica)}-{run_id}"


def expired(folders: t.Iterable[str], now: datetime.datetime, days: float) -> list[str]:
    """The folder names older than ``days`` at ``now`` (UTC), sorted; names of
    another form are never expired. ``days <= 0``: none (kept forever)."""
    if days <= 0:
        return []
    limit = now - datetime.timedelta(days=days)
    out = []
    for name in folders:
        match = FOLDER_RE.match(name)
        if not match:
            continue
        made = datetime.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        if made < limit:
            out.append(name)
    return sorted(out)


def expire_local(real_root: str, now: datetime.datetime, days: float) -> list[str]:
    """Remove the expired folders of ``<real_root>/.s32s-trash``.

    :returns: the folder names removed (one that cannot be removed is left for a later run).
    """
    trash = os.path.join(real_root, TRASH)
    try:
        if not stat.S_ISDIR(os.lstat(trash).st_mode):
            return []  # a symlink or a file: not ours to walk
        names = [e.name for e in os.scandir(trash) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []
    removed = []
    for name in expired(names, now, days):
        try:
            shutil.rmtree(os.path.join(trash, name))
            removed.append(name)
        except OSError:
            pass
    return removed


def expire_remote(store: S3Store, location: S3Location, days: float) -> DeleteOutcome:
    """Delete the objects of the expired folders under ``prefix/.s32s-trash/``
    (one listing of that prefix, then DeleteObjects). A folder is expired when
    it was made more than ``days`` ago by the server's clock (the listing's
    ``Date`` header): made when its :data:`MARKER` was written, or, without
    one, at the later of its name's time and its newest object's LastModified.

    :returns: the outcome per trash relpath (``<folder>/<relpath>``).
    :raises StoreError: the listing failed.
    """
    if days <= 0:
        return DeleteOutcome()
    trash = S3Location(location.bucket, key_for(location.prefix, TRASH))
    tree = store.list_tree(trash, IgnoreRules())
    # Age by the server's clock: the objects' LastModified against the listing's Date header
    # (a host whose clock is wrong never expires other replicas' trash early).
    server_now = http_date(store.server_date)
    if server_now is None:
        return DeleteOutcome()  # no server time: nothing expires (a later run will)
    limit_ns = int((server_now - days * 86400) * 1e9)
    marked: dict[str, int] = {}
    newest: dict[str, int] = {}
    for relpath, entry in tree.entries.items():
        folder, _sep, rest = relpath.partition("/")
        if rest and FOLDER_RE.match(folder):
            newest[folder] = max(newest.get(folder, 0), entry.mtime_ns)
            if rest == MARKER:
                marked[folder] = entry.mtime_ns
    old = set()
    for folder, mtime_ns in newest.items():
        if folder in marked:
            made = marked[folder]
        else:  # no marker (made elsewhere): its name's time, and nothing in it younger
            match = FOLDER_RE.match(folder)
            stamp = datetime.datetime.strptime(t.cast(t.Match[str], match).group(1), "%Y%m%dT%H%M%SZ")
            made = max(mtime_ns, int(stamp.replace(tzinfo=datetime.timezone.utc).timestamp() * 1e9))
        if 0 < made < limit_ns:
            old.add(folder)
    doomed = sorted(r for r in tree.entries if r.partition("/")[0] in old)
    if not doomed:
        return DeleteOutcome()
    by_key = {key_for(trash.prefix, r): r for r in doomed}
    keyed = store.delete_keys(location.bucket, list(by_key))
    outcome = DeleteOutcome()
    outcome.deleted = [by_key[k] for k in keyed.deleted]
    outcome.failed = [(by_key[k], e) for k, e in keyed.failed]
    outcome.not_attempted = [by_key[k] for k in keyed.not_attempted]
    return outcome


__all__ = ["TRASH", "MARKER", "FOLDER_RE", "folder_name", "expired", "expire_local", "expire_remote"]
