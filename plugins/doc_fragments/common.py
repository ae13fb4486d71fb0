# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options shared by the s32s.sync sync modules."""

    DOCUMENTATION = r"""
options:
  ignore:
    description:
      - S32S ignore rules, matched against the path relative to the map root (or to the source prefix).
        For M(s32s.sync.s32s_push) and M(s32s.sync.s32s_pull) they apply to the single map given by their
        C(s3) option; maps carry their own C(ignore).
      - A list of strings; a single string is refused (it is not split on commas).
      - C(text*) ignores paths starting with C(text), C(*text) ending with it, C(*text*) containing it;
        C(a*b) starting with C(a) and ending with C(b); a rule without C(*) ignores exactly that path.
        A rule that matches a directory ignores everything below it.
      - Ignored paths are never read, transferred or deleted, on either side.
    type: raw
  delete:
    description:
      - For directory maps, delete what the source no longer has, so the destination equals the source.
        Nothing is ever wiped first. C(files) maps never delete.
    type: bool
    default: true
  max_delete:
    description:
      - The deletion budget of one map in one run, checked on the whole plan before the first change.
        A run over budget changes nothing and says how many deletions it would have made.
      - A count (V(10)), a percentage of the destination's files rounded up (V(25%)), or V(unlimited) (or V(-1)).
    type: str
    default: "50%"
  allow_empty_source:
    description:
      - Allow deletions when the source is empty (an empty prefix, an empty directory).
        By default an empty source fails the map before any deletion (a typo or an unmounted disk
        must not delete everything).
    type: bool
    default: false
  allow_bare_bucket:
    description:
      - Allow deletions when a map's C(s3) is a bare bucket without a prefix.
    type: bool
    default: false
  concurrency:
    description:
      - Number of files transferred at the same time (worker threads).
    type: int
    default: 8
  ordered:
    description:
      - Site-safe order. Within each map (each destination of M(s32s.sync.s32s_replicate)), every new file is
        transferred completely before the first changed file starts, so that a page updated to name a new file
        (C(index.html) now loading C(main.222.js)) is never served before that file exists; a new file that fails
        keeps the changed files of its map from being transferred (reported as not run). Deletions always come
        after every transfer of the map.
      - V(false) transfers new and changed files together, which is faster when a map has few of each.
    type: bool
    default: true
  preserve_mode:
    description:
      - File modes travel with the files. M(s32s.sync.s32s_push) records each file's permission bits in its
        object's user metadata (key C(mode), header C(x-amz-meta-mode), the decimal C(st_mode) as s3fs-fuse writes
        it, e.g. C(33261) for C(0755)); a mode-only change on the master (C(chmod)) is sent with one server-side
        copy of the object onto itself (CopyObject, C(MetadataDirective=REPLACE)), never a new upload. That one
        copy carries the object's O(s32s.sync.s32s_push#module:object_attributes) too (a C(REPLACE) rewrites all
        metadata), and the key C(mode) is added to a rule's C(metadata) (the file's mode wins over a rule's).
      - M(s32s.sync.s32s_pull) applies the mode an object carries (only the C(0777) bits; setuid, setgid and sticky
        bits are never taken from a bucket) when O(s32s.sync.s32s_pull#module:mode) is not set, to the files it
        writes and to files already in sync. It also reads rclone's octal form (C(0100755)). A run where nothing
        changed costs the listing only; an object whose listing shows another LastModified than the one recorded
        (the copy that changed its metadata) costs one HeadObject, once.
      - V(false) neither records nor applies modes.
    type: bool
    default: true
  transfer_processes:
    description:
      - Number of processes that share the transfers of a map, each running O(concurrency) divided by this
        number of threads. botocore spends about a millisecond of CPU per request and one Python process
        uses one core, so processes let large transfers use the other cores.
      - V(0) picks one per CPU, at most 4, when a map transfers at least 200 files (always one when
        push or pull send small objects through C(awscrt), whose native threads use every CPU); V(1) uses
        threads only.
    type: int
    default: 0
  list_files:
    description:
      - Return the relative paths created, updated and deleted per map (at most 1000 per list).
    type: bool
    default: false
  state_dir:
    description:
      - Directory on the managed host where the manifests are kept, one per local directory and S3 prefix (push
        and pull of the same pair share one) or, for replication, per source and destination. A manifest holds
        what was last proven in sync (size, mtime, inode change time, inode and ETag per path). It makes a no-op
        run cost one listing, with no request and no hashing per file. Losing it costs hashing, never a wrong
        result.
    type: path
    default: ~/.cache/s32s.sync
  use_manifest:
    description:
      - Read and write the manifest in O(state_dir). When V(false), unchanged files are compared by hashing.
    type: bool
    default: true
"""

    #: Connection settings of every s32s.sync module (with amazon.aws.common.modules).
    CONNECTION = r"""
options:
  addressing_style:
    description:
      - S3 addressing style of the client. Many S3-compatible stores need V(path).
    type: str
    default: auto
    choices: [auto, path, virtual]
  request_checksum_calculation:
    description:
      - botocore's C(request_checksum_calculation). V(when_required) keeps S3-compatible stores that reject
        the newer checksum headers working.
    type: str
    default: when_required
    choices: [when_supported, when_required]
  response_checksum_validation:
    description:
      - botocore's C(response_checksum_validation).
    type: str
    default: when_required
    choices: [when_supported, when_required]
  max_attempts:
    description:
      - Attempts per S3 request, with exponential backoff, on throttling, 5xx and connection errors
        (botocore's C(standard) retry mode).
    type: int
    default: 5
  request_payer:
    description:
      - V(requester) sends the header C(x-amz-request-payer) with the value C(requester) on every request
        (listings, reads, heads, writes, deletions, copies, multipart uploads), as a requester-pays bucket
        demands; without it such a bucket answers C(403 AccessDenied) to the first listing.
      - The requests then all go through botocore (awscrt is not used for small objects).
    type: str
    choices: [requester]
"""
