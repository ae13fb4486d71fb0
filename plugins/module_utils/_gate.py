# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safety gate: checks a whole plan before the first mutating request.

**PRIVATE**: this module is internal to the s32s.sync collection.

Pure: :func:`check_plan` looks at the plan, the trees and the options and
either returns (the plan may run) or raises :class:`SafetyError`, so that a
refused run changes nothing at all. The promises come from issue 4:

1. scope: every key written or deleted is under ``prefix/``; a bare bucket
   never loses keys unless ``allow_bare_bucket``; map files are never deleted;
2. containment: every local path is inside the root after normalisation;
3. budget: the deletions fit ``max_delete``, counted on the whole plan;
4. an empty source never deletes (unless ``allow_empty_source``); a source
   listing with errors never deletes;
5. ignored paths are never deleted.
"""

from __future__ import annotations

import os

from ._errors import SafetyError
from ._maps import SyncMap
from ._options import SyncOptions
from ._paths import is_within, key_for, local_path, unsafe_reason
from ._plan import Plan
from ._tree import Tree


def check_plan(plan: Plan, sync_map: SyncMap, src: Tree, dst: Tree, options: SyncOptions) -> None:
    """Refuse ``plan`` for ``sync_map`` unless every promise above holds.

    :param src: the source tree the plan was made from (its emptiness and errors matter).
    :param dst: the destination tree (its size sets a percentage budget).
    :raises SafetyError: with a message naming the map, the rule and the
        numbers; ``details`` holds ``would_delete`` (count).
    """
    name = sync_map.name
    location = sync_map.s3
    deletes = plan.deletes
    list_prefix = location.list_prefix
    for action in plan.actions:
        reason = unsafe_reason(action.relpath)
        if reason:
            raise SafetyError(f"map '{name}': refusing to {action.kind} unsafe path {action.relpath!r} ({reason})")
        key = key_for(location.prefix, action.relpath)
        if not key.startswith(list_prefix):
            raise SafetyError(f"map '{name}': key {key!r} is outside s3://{location.bucket}/{list_prefix}")
        if sync_map.root:  # '' for S3-to-S3 replication: no local side
            path = local_path(sync_map.root, action.relpath)
            if not is_within(sync_map.root, os.path.normpath(path)) or path == sync_map.root:
                raise SafetyError(f"map '{name}': path {path!r} is outside the root {sync_map.root}")
    if not deletes:
        return
    count = len(deletes)
    details = {"would_delete": count}
    for action in deletes:
        if sync_map.ignore.matches(action.relpath):
            raise SafetyError(f"map '{name}': refusing to delete ignored path {action.relpath!r}", **details)
        if (location.bucket, key_for(location.prefix, action.relpath)) in options.protected_keys:
            raise SafetyError(f"map '{name}': refusing to delete map file "
                              f"s3://{location.bucket}/{key_for(location.prefix, action.relpath)}", **details)
    if not location.prefix and not options.allow_bare_bucket:
        raise SafetyError(f"map '{name}': s3 '{location.bucket}' is a bare bucket; {count} deletion(s) at the "
                          f"bucket root need allow_bare_bucket=true (nothing was changed)", **details)
    if src.errors:
        first = src.errors[0]
        raise SafetyError(f"map '{name}': the source could not be read completely ({len(src.errors)} error(s), "
                          f"first {first[0]!r}: {first[1]}); refusing {count} deletion(s)", **details)
    if not src.entries and not options.allow_empty_source:
        raise SafetyError(f"map '{name}': the source is empty; refusing to delete all {count} file(s) of the "
                          f"destination (set allow_empty_source=true if this is intended; nothing was changed)",
                          **details)
    limit = options.max_delete.limit(len(dst.entries))
    if limit is not None and count > limit:
        raise SafetyError(f"map '{name}': {count} deletion(s) of {len(dst.entries)} destination file(s) exceed "
                          f"max_delete={options.max_delete} (limit {limit}); nothing was changed", **details)


__all__ = ["check_plan"]
