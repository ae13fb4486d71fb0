# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3-to-S3 replication: one source, several independent destinations (issue 6).

**PRIVATE**: this module is internal to the s32s.sync collection.

The same pipeline as push and pull with two S3 trees: the source is listed
once; for each destination, its tree is listed, :func:`_plan.make_replica_plan`
plans, :func:`_gate.check_plan` checks the whole plan (scope ``prefix/``,
budget, empty or failed source), then copies run on a worker pool and
deletions after them, only when every copy succeeded. A destination that
fails is reported and does not stop the others (the s3s3 seed stopped at
the first error).
"""

from __future__ import annotations

import dataclasses
import typing as t
from concurrent.futures import ThreadPoolExecutor

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - checked by the module (AnsibleAWSModule)
    BotoCoreError = ClientError = Exception  # type: ignore[misc,assignment]

from . import _manifest
from ._errors import S32SError, StoreError
from ._executor import Applied
from ._gate import check_plan
from ._ignore import IgnoreRules
from ._maps import S3Location, SyncMap
from ._options import SyncOptions
from ._paths import key_for, unsafe_reason
from ._plan import Action, ReplicaRecord, make_replica_plan
from ._runner import MapRun
from ._s3copy import server_side_copy, stream_copy
from ._s3store import S3Store, store_error
from ._tree import Entry, Tree

REPLICATE = "replicate"


class Destination(t.NamedTuple):
    """One replication target.

    ``label`` names it in results; ``server_side`` is true when it is the same
    endpoint with the same credentials as the source (CopyObject works).
    ``endpoint`` is part of the manifest identity.
    """

    label: str
    store: S3Store
    location: S3Location
    server_side: bool
    endpoint: str


def overlaps(endpoint_a: str, a: S3Location, endpoint_b: str, b: S3Location) -> bool:
    """Whether two locations of one endpoint share keys (one ``prefix/`` contains the other)."""
    if endpoint_a != endpoint_b or a.bucket != b.bucket:
        return False
    return a.list_prefix.startswith(b.list_prefix) or b.list_prefix.startswith(a.list_prefix)


def keys_to_relpaths(keys: t.Sequence[str], location: S3Location) -> list[str]:
    """Turn the full source keys of a targeted run into relpaths under ``prefix/``.

    :raises S32SError: a key outside the source prefix, or unsafe.
    """
    out = []
    for key in keys:
        if not key.startswith(location.list_prefix):
            raise S32SError(f"key {key!r} is not under the source {location}")
        relpath = key[len(location.list_prefix):]
        reason = unsafe_reason(relpath)
        if reason:
            raise S32SError(f"key {key!r} is unsafe: {reason}")
        out.append(relpath)
    return sorted(set(out))


def list_selected(store: S3Store, location: S3Location, relpaths: t.Sequence[str], ignore: IgnoreRules) -> Tree:
    """List just ``relpaths`` (a targeted run): one ListObjectsV2 with ``Prefix=key, MaxKeys=1``
    per path, so the ETag has the same form as in a full listing.

    :raises StoreError: a request failed.
    """
    tree = Tree()
    for relpath in relpaths:
        if ignore.matches(relpath):
            tree.ignored += 1
            continue
        key = key_for(location.prefix, relpath)
        try:
            page = store.client.list_objects_v2(Bucket=location.bucket, Prefix=key, MaxKeys=1)
        except (BotoCoreError, ClientError) as e:
            raise store_error(e, "listing", location.bucket, key) from None
        for obj in page.get("Contents", ()):
            if obj["Key"] == key:
                tree.entries[relpath] = Entry(relpath, int(obj.get("Size", 0)),
                                              int(obj["LastModified"].timestamp() * 1e9),
                                              (obj.get("ETag") or "").strip().strip('"').lower())
    return tree


def apply_replica(run: MapRun, src_store: S3Store, src_loc: S3Location, dest: Destination,
                  options: SyncOptions) -> tuple[Applied, dict[str, ReplicaRecord]]:
    """Copy the plan's transfers, then delete its keys; returns what was done and the new records."""
    applied = Applied()
    records: dict[str, ReplicaRecord] = {}

    def copy(action: Action) -> ReplicaRecord:
        entry = run.src.entries[action.relpath]
        src_key = key_for(src_loc.prefix, action.relpath)
        dst_key = key_for(dest.location.prefix, action.relpath)
        if dest.server_side:
            etag = server_side_copy(src_store.client, src_loc.bucket, src_key, dest.location.bucket, dst_key,
                                    entry.size)
        else:
            etag = stream_copy(src_store.client, src_loc.bucket, src_key, dest.store.client,
                               dest.location.bucket, dst_key, entry.size, entry.etag or "")
        return ReplicaRecord(entry.etag or "", etag)

    transfers = run.plan.transfers
    with ThreadPoolExecutor(max_workers=options.concurrency) as pool:
        for action, future in [(a, pool.submit(copy, a)) for a in transfers]:
            try:
                records[action.relpath] = future.result()
                applied.done.append(action)
            except StoreError as e:
                applied.failed.append((action.relpath, e.msg))
    deletes = run.plan.deletes
    if deletes and applied.failed:
        applied.deletes_blocked = f"{len(applied.failed)} copy(ies) failed"
    elif deletes:
        by_key = {key_for(dest.location.prefix, a.relpath): a for a in deletes}
        try:
            failures = dest.store.delete_keys(dest.location.bucket, sorted(by_key))
        except StoreError as e:
            failures = [(k, e.msg) for k in by_key]
        failed_keys = {k for k, _err in failures}
        applied.failed.extend((by_key[k].relpath if k in by_key else k, err) for k, err in failures)
        applied.done.extend(a for k, a in by_key.items() if k not in failed_keys)
    return applied, records


def _record(r: list[t.Any]) -> ReplicaRecord:
    return ReplicaRecord(str(r[0]), str(r[1]))


def replicate(src_store: S3Store, src_loc: S3Location, src_endpoint: str, dests: t.Sequence[Destination],
              ignore: IgnoreRules, options: SyncOptions, *, check_mode: bool,
              keys: t.Optional[t.Sequence[str]] = None) -> list[MapRun]:
    """Replicate ``src_loc`` to every destination, each on its own.

    :param keys: full source keys of a targeted run, or ``None`` for a full run.
    :returns: one :class:`MapRun` per destination (status ``ok``, ``planned``,
        ``failed`` or ``refused`` with ``error``).
    :raises S32SError: the source could not be listed or ``keys`` are invalid
        (nothing was changed anywhere).
    """
    only = keys_to_relpaths(keys, src_loc) if keys is not None else None
    src_tree = (list_selected(src_store, src_loc, only, ignore) if only is not None
                else src_store.list_tree(src_loc, ignore))
    runs = []
    for dest in dests:
        run = MapRun(SyncMap(name=dest.label, s3=dest.location, root="", ignore=ignore), REPLICATE)
        runs.append(run)
        run.src = src_tree
        try:
            if overlaps(src_endpoint, src_loc, dest.endpoint, dest.location):
                raise S32SError(f"destination '{dest.label}': {dest.location} overlaps the source {src_loc}")
            run.dst = (list_selected(dest.store, dest.location, only, ignore) if only is not None
                       else dest.store.list_tree(dest.location, ignore))
            if options.state_dir:
                run.manifest_path = _manifest.manifest_path(
                    options.state_dir, REPLICATE, f"{src_endpoint}\0{dest.endpoint}", src_loc.bucket,
                    f"{src_loc.prefix}\0{dest.location.bucket}\0{dest.location.prefix}", "")
            records = _manifest.load(run.manifest_path, _record) if run.manifest_path else {}
            run.plan = make_replica_plan(src_tree.entries, run.dst.entries, records=records, delete=options.delete,
                                         protected=src_tree.protected(), only=set(only) if only is not None else None)
            # a targeted run may name keys the source no longer has (delete events)
            check_plan(run.plan, run.map, src_tree, run.dst,
                       dataclasses.replace(options, allow_empty_source=True) if only is not None else options)
        except S32SError as e:
            run.status, run.error, run.details = "refused", e.msg, dict(e.details)
            continue
        if check_mode:
            continue
        run.applied, written = apply_replica(run, src_store, src_loc, dest, options)
        run.status = "failed" if run.applied.failed else "ok"
        if run.applied.failed:
            first = run.applied.failed[0]
            run.error = (f"destination '{dest.label}': {len(run.applied.failed)} action(s) failed, first "
                         f"{first[0]!r}: {first[1]}")
        if run.manifest_path:
            kept = {p: records[p] for p in run.plan.unchanged if p in records}
            kept.update({p: ReplicaRecord(src_tree.entries[p].etag or "", run.dst.entries[p].etag or "")
                         for p in run.plan.unchanged if p not in records})
            kept.update(written)
            if only is not None:
                kept = {**records, **kept}
                for action in run.applied.done:
                    if action.kind == "delete":
                        kept.pop(action.relpath, None)
            try:
                _manifest.save(run.manifest_path, kept, {"src": str(src_loc), "dest": str(dest.location)})
            except OSError as e:
                run.warnings.append(f"destination '{dest.label}': could not save the manifest: {e.strerror}")
    return runs


__all__ = ["Destination", "replicate", "keys_to_relpaths", "overlaps", "list_selected", "REPLICATE"]
