#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s32s_sync
short_description: Two-way sync of a local directory and an S3 prefix that never loses an edit
version_added: 0.2.0
description:
  - Keeps the directory O(path) and the S3 location O(s3) in step in both directions, for several replicas
    (hosts) sharing one prefix. The prefix is the hub; each replica keeps its own I(base), what it last agreed
    with the bucket, in O(state_dir) on its host. Nothing shared and mutable is kept in the bucket.
  - "Each path is compared three ways: the local file, the object and the base. Changed on one side only: the
    change is copied to the other side. Changed on both sides to the same bytes: nothing to copy. Changed on
    both sides differently: a conflict, settled by O(conflict). An edit always beats a deletion. Deleted on both
    sides: forgotten."
  - Without a base (the first run, a new host, a lost O(state_dir)) the sync is a union; nothing is deleted,
    and differing content at the same path is a conflict, never an overwrite.
  - A local file whose modification time changed but whose bytes did not (C(touch), a restore from backup) is
    not an edit. A local rename (same inode, size and modification time) becomes a server-side copy and a
    delete of the old key; a remote rename (same ETag) becomes a local rename. Renames are not counted as
    deletions.
  - With O(trash=true) (the default) every content this module replaces or deletes, on either side, is kept,
    locally under C(<path>/.s32s-trash/<UTC time>-<replica>-<run id>/), on S3 under C(<prefix>/.s32s-trash/<UTC time>-<replica>-<run id>/),
    byte for byte, at the same relative path. Conflict copies are never deleted by this module.
  - The names C(.s32s-trash) and C(.s32s-sync) at the top of O(path) and of the prefix belong to this module
    and are never synced. Symlinks under O(path) are never followed nor replaced; they are reported as skipped.
  - Before the first change the whole plan goes through the safety gate, per side; every path stays inside
    O(path) and C(prefix/); the deletions of each side fit O(max_delete) of that side's file count; when one
    side is empty, missing or unreadable while the base is not, no deletion is made on the other side (an
    unmounted folder never empties the bucket, an emptied prefix never empties the folder; see
    O(allow_empty_source) for the two ways out); a missing O(path) with a base changes nothing at all.
  - Two runs of the same replica on one host never overlap; the second waits up to O(lock_timeout).
author:
  - s32s.sync developers (@s32s)
options:
  path:
    description:
      - The local directory, an absolute path. Created on the first sync when it does not exist.
    type: path
    required: true
  s3:
    description:
      - The S3 location, C(s3://bucket/prefix) or C(bucket/prefix). Keys are listed under C(prefix/).
    type: str
    required: true
  ignore:
    description:
      - S32S ignore rules, as for M(s32s.sync.s32s_push), matched against the path relative to O(path) and to
        C(prefix/). Ignored paths are never read, transferred or deleted, on either side. A path that becomes
        ignored is left alone on both sides.
    type: raw
  conflict:
    description:
      - What to do with a path changed differently on both sides since the last sync (or, on the first sync,
        present on both sides with different content).
      - V(keep_both) keeps both contents on both sides; the remote content keeps the path, the local content gets
        a name that keeps the stem and the extension and says where it came from
        (C(report.conflict-web2-20261202T101500Z.pdf)), and is uploaded.
      - V(newer) keeps the content with the later modification time (local mtime against the object's
        LastModified) and moves the other to the trash; on a tie, V(keep_both).
      - V(local) or V(remote) keep that side's content and move the other to the trash.
      - V(fail) leaves the path untouched on both sides, syncs everything else, and fails the task naming it.
    type: str
    default: keep_both
    choices: [keep_both, newer, local, remote, fail]
  delete:
    description:
      - Propagate deletions. A deletion is propagated only for a path that was in the last sync and is unchanged
        on the other side. When V(false), a path deleted on one side is copied back from the other (the union).
    type: bool
    default: true
  max_delete:
    description:
      - The deletion budget of each side in one run, checked on the whole plan before the first change.
        A count (V(10)), a percentage of that side's files rounded up (V(25%)), or V(unlimited) (or V(-1)).
        Renames do not count.
    type: str
    default: "50%"
  allow_empty_source:
    description:
      - Propagate the deletions of an emptied side. By default, when one side is empty while the base is not
        (every file of O(path) removed, or every object of the prefix), no deletion is made on the other side and
        the task fails without a change, naming both ways out; every later run fails the same way until one of
        them is taken, once.
      - The emptying was a mistake (an unmounted disk, a wrong C(rm), a wiped prefix) - run once with
        O(delete=false) - every path is copied back to the emptied side (downloaded into O(path), or uploaded to
        the prefix); later runs are normal again.
      - The deletions are wanted - run once with O(allow_empty_source=true) - the other side's files are deleted
        too (kept in its trash with O(trash=true)). O(max_delete) still applies - emptying a side of many files
        needs a budget that allows it (for example V(unlimited)); the message says so when it does.
      - A missing O(path) and a side that could not be read completely are never taken for empty sides; this
        option does not lift those rules.
    type: bool
    default: false
  allow_bare_bucket:
    description:
      - Allow deletions in the bucket when O(s3) is a bare bucket without a prefix.
    type: bool
    default: false
  readonly:
    description:
      - Never write the bucket (no PUT, POST, COPY or DELETE). Remote changes still arrive; local changes are
        kept and reported as C(pending).
    type: bool
    default: false
  trash:
    description:
      - Keep every content this module replaces or deletes (see the description). When V(false), replaced and
        deleted contents are gone; conflict copies are still made.
    type: bool
    default: true
  trash_retention_days:
    description:
      - Trash folders older than this many days are removed whole by a later run that writes their side (a run
        with nothing to do removes nothing). V(0) keeps them forever.
      - Only folders named C(<UTC time>-<replica>-<run id>) directly under C(.s32s-trash/) are removed; conflict copies are
        ordinary files and are never removed.
    type: int
    default: 30
  replica:
    description:
      - This replica's name in conflict copies and trash folders. Default the host's short name.
    type: str
  lock:
    description:
      - How replicas on different hosts are kept from writing the prefix at the same time. Two runs of the same
        replica on one host never overlap, whatever this option says (a lock file in O(state_dir)).
      - V(auto) takes a lease, the object C(<prefix>/.s32s-sync/lease), when the run is about to write the bucket.
        The lease is created with C(If-None-Match) and renewed and taken over with C(If-Match) (conditional
        writes, which AWS S3, MinIO, Ceph RGW, R2 and moto honour). Each run first checks that the endpoint refuses a conditional
        write it must refuse; where it does not (C(rclone serve s3) ignores the conditions), the run goes on
        with the host lock only and a warning. The trash keeps a lost race recoverable in every case.
      - V(required) fails before any change where no lease can be held.
      - V(off) never takes a lease.
      - A lease left by a run that crashed expires after O(lease_duration) and is then taken over. A run that
        finds another replica's live lease waits up to O(lock_timeout), then fails naming it.
      - Runs that do not write the bucket (nothing to upload or delete there, O(readonly), check mode) take no
        lease and send no probe.
    type: str
    default: auto
    choices: [auto, required, "off"]
  lock_timeout:
    description:
      - Seconds to wait for another run of the same replica on this host, and for another replica's lease,
        before failing without a change.
    type: float
    default: 60
  lease_duration:
    description:
      - Lifetime of the lease in seconds (at least 30); a running sync renews it every third of it.
    type: int
    default: 300
  concurrency:
    description:
      - Number of files transferred at the same time (worker threads).
    type: int
    default: 8
  list_files:
    description:
      - Return the relative paths uploaded, downloaded, deleted and renamed (at most 1000 per list).
    type: bool
    default: false
  state_dir:
    description:
      - Directory on the managed host where the base of each replica is kept (one per O(path), O(s3) and
        endpoint), with a journal of the actions of a run that did not finish. A run that is stopped half way
        leaves a base the next run converges from. Losing it makes the next run a first sync (a union).
    type: path
    default: ~/.cache/s32s.sync
extends_documentation_fragment:
  - s32s.sync.common.connection
  - s32s.sync.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - s32s.sync.requirements
notes:
  - The first sync of a large tree hashes every file present on both sides with the same size, once.
seealso:
  - module: s32s.sync.s32s_push
  - module: s32s.sync.s32s_pull
"""

EXAMPLES = r"""
- name: Share a directory between hosts through a bucket prefix
  s32s.sync.s32s_sync:
    path: /srv/shared
    s3: s3://example-bucket/shared
    ignore: ["*.tmp", "*/.cache"]
  register: shared

- name: Show what a sync would do, on both sides
  s32s.sync.s32s_sync:
    path: /srv/shared
    s3: s3://example-bucket/shared
  check_mode: true
  diff: true

- name: "An emptied folder, by mistake: download its files again from S3 (once)"
  s32s.sync.s32s_sync:
    path: /srv/shared
    s3: s3://example-bucket/shared
    delete: false

- name: "An emptied folder, on purpose: delete its files in S3 too (once; kept in the S3 trash)"
  s32s.sync.s32s_sync:
    path: /srv/shared
    s3: s3://example-bucket/shared
    allow_empty_source: true
    max_delete: unlimited

- name: Receive changes without ever writing the bucket
  s32s.sync.s32s_sync:
    path: /srv/mirror
    s3: s3://example-bucket/shared
    readonly: true
"""

RETURN = r"""
changed:
  description: Whether anything was (or, in check mode, would be) written on either side, or an earlier run wrote
    something and was never reported (C(changed_earlier)).
  returned: always
  type: bool
changed_local:
  description: Whether anything was (or would be) written in O(path), by this run or by an earlier run that was
    never reported. The role C(s32s.sync.share) notifies its handler topic on this.
  returned: always
  type: bool
changed_earlier:
  description:
    - An earlier run changed this replica and its result never reached Ansible (Ctrl-C, a cancelled job, a dropped
      connection, a killed process); this run reports C(changed) (and C(changed_local) when that run wrote in
      O(path)) so that handlers fire. The markers live in O(state_dir) from before the first change until a
      successful run is reported; a check reports them and keeps them.
  returned: always
  type: bool
status:
  description: V(ok), V(failed) (some actions failed) or V(conflict) (conflicts left untouched by V(conflict=fail)).
  returned: always
  type: str
uploaded:
  description: Files uploaded (new, changed, conflict copies).
  returned: always
  type: int
downloaded:
  description: Files downloaded.
  returned: always
  type: int
deleted_local:
  description: Local files deleted (into the trash when O(trash=true)).
  returned: always
  type: int
deleted_remote:
  description: Objects deleted (copied into the trash first when O(trash=true)).
  returned: always
  type: int
renamed_local:
  description: Local files renamed because their object was renamed.
  returned: always
  type: int
renamed_remote:
  description: Objects renamed (server-side copy, then delete) because their local file was renamed.
  returned: always
  type: int
trashed:
  description: Contents kept in the trash, on both sides.
  returned: always
  type: int
unchanged:
  description: Paths in sync.
  returned: always
  type: int
pending:
  description: Local changes not uploaded because of O(readonly).
  returned: always
  type: int
restored:
  description: Paths deleted on one side and copied back because O(delete=false).
  returned: always
  type: int
held:
  description: Paths left alone because they are ignored now or a side could not read them; their base is kept.
  returned: always
  type: int
failed:
  description: Paths that failed (unreadable, or an action failed).
  returned: always
  type: int
conflicts:
  description: One item per conflicting path, with C(path) and C(kept) (what ended where).
  returned: always
  type: list
  elements: dict
errors:
  description: C(path) and C(error) of each failure (at most 1000).
  returned: always
  type: list
  elements: dict
trash_expired:
  description: Trash folders (local) and trash objects (S3) removed because they were older than
    O(trash_retention_days).
  returned: always
  type: int
first_sync:
  description: This replica had no base (a union; nothing was deleted).
  returned: always
  type: bool
files:
  description: The relative paths per count (C(uploaded), C(downloaded), C(deleted_local), C(deleted_remote),
    C(renamed_local), C(renamed_remote)).
  returned: when O(list_files=true)
  type: dict
"""

from ansible_collections.s32s.sync.plugins.module_utils._glue_module import S32SModule
from ansible_collections.s32s.sync.plugins.module_utils._requirements import check_host
from ansible_collections.s32s.sync.plugins.module_utils._argspec import sync_argument_spec
from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import S32SError
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.two_way import (
    clear_unreported, restore_unreported, run_sync)
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.two_way_report import to_result
from ansible_collections.s32s.sync.plugins.module_utils._glue_sync import sync_job
from ansible_collections.s32s.sync.plugins.module_utils._glue_tail import exit_reporting, fail_on_error, warn_all


def main() -> None:
    """Entry point of s32s_sync."""
    module = S32SModule(argument_spec=sync_argument_spec(), supports_check_mode=True)
    check_host(module)  # Python, boto3, botocore below the floor: fail_json, not a traceback
    try:
        job = sync_job(module)
        run = run_sync(job, check_mode=module.check_mode)
    except S32SError as e:
        fail_on_error(module, e, None)
    result = to_result(run, check_mode=module.check_mode, diff=module._diff, list_files=job.options.list_files)
    warn_all(module, result.pop("warnings"))
    if result["status"] != "ok":
        module.fail_json(**result)
    result.pop("msg")
    if module.check_mode:
        module.exit_json(**result)
    exit_reporting(module, result, lambda: clear_unreported(job), lambda paths: restore_unreported(job, paths))


if __name__ == "__main__":
    main()
