#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s32s_push
short_description: Upload local directories to S3 as S32S maps describe (the MASTER side)
version_added: 0.1.0
description:
  - Makes S3 prefixes equal to local directories of the managed host (the C(master) of each S32S map),
    by uploading what is new or changed and deleting what the directory no longer has. Nothing is wiped first.
  - The whole plan is computed and checked before the first change; check mode shows it with O(ignore)d,
    unchanged and deleted paths counted, and C(--diff) lists every action.
  - A location C(bucket/site) always means C(site/), so C(site-old/) and C(site.json) are never touched.
  - A second run with nothing changed sends only the listing requests, no PUT, HEAD or GET per object, and
    hashes no unchanged file (thanks to the manifest in O(state_dir)); a same-size edit is still detected,
    even when the file's mtime was put back.
author:
  - s32s.sync developers (@s32s)
options:
  src:
    description:
      - The local directory of the single map given by O(s3) (the map's C(master)).
    type: path
  follow_symlinks:
    description:
      - Which symlinks in the source directory are followed.
      - V(inside_root) follows links whose target resolves inside the map's root and skips (and reports) the others.
      - V(always) follows every link; V(never) skips every link.
      - Broken links are always skipped and reported; a skipped path is never deleted on S3.
    type: str
    default: inside_root
    choices: [inside_root, always, never]
  object_attributes:
    description:
      - Attributes of the uploaded objects, per path. A list of rules; each is a dict with a C(pattern) (the syntax of
        O(ignore) rules, matched on the path relative to the map's root; a pattern that matches a directory covers
        everything below it; C(*) alone matches every path) and any of C(content_type), C(cache_control),
        C(content_encoding), C(content_disposition) (strings), C(metadata) (a dict of user metadata, printable ASCII,
        at most 2 KB less 9 bytes kept for the key C(mode), which with O(preserve_mode) is the file's mode and wins
        over a rule's), C(storage_class) (one of V(STANDARD), V(REDUCED_REDUNDANCY), V(STANDARD_IA), V(ONEZONE_IA),
        V(INTELLIGENT_TIERING), V(GLACIER), V(DEEP_ARCHIVE), V(GLACIER_IR), V(OUTPOSTS), V(SNOW), V(EXPRESS_ONEZONE)),
        C(tags) (a dict, at most 10 tags, keys of 1 to 128 characters, values of at most 256).
      - The first rule that matches a path applies, alone; what it leaves unset comes from the collection's
        Content-Type table (see the notes). An unknown key or a bad value fails the task before any request.
      - Every map of the task gets the same rules. An object whose bytes are in sync but whose attributes differ from
        the rules (a rule was added or changed) gets them with one server-side CopyObject (a multipart copy above
        5 GiB), never a new upload; the manifest records what each object got, so a run with nothing to change still
        sends only the listing. With O(use_manifest=false), attributes are set on upload only.
    type: raw
  sse:
    description:
      - Server-side encryption of every uploaded object (C(x-amz-server-side-encryption)), for a bucket policy that
        requires it. V(AES256) (SSE-S3) or V(aws:kms) (SSE-KMS, with O(sse_kms_key_id) or the bucket's default key).
      - The ETag of an SSE-KMS object is not the MD5 of its content; the manifest records the ETag the upload got, so
        the next run does not upload it again.
    type: str
    choices: [AES256, "aws:kms"]
  sse_kms_key_id:
    description:
      - The KMS key (id, alias or ARN) of O(sse=aws:kms).
    type: str
extends_documentation_fragment:
  - s32s.sync.maps
  - s32s.sync.common
  - s32s.sync.common.connection
  - s32s.sync.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - s32s.sync.requirements
notes:
  - FIFOs, sockets and devices in the source are skipped and reported, never opened.
  - Files of 8 MiB or more are uploaded as multipart in parts of 8 MiB (doubled until at most 10,000 parts),
    so their ETags can be recomputed locally.
  - B(Multipart uploads resume.) Each one is recorded in O(state_dir) (C(parts/)) under the file's identity (path,
    size, mtime, ctime, inode, device) and part size, 4 parts at a time, each with its C(Content-MD5). After a killed
    run, a crash or a reboot, the next push of the unchanged file continues the upload, sending only the parts the
    server's C(ListParts) does not hold with the right MD5; a file that changed meanwhile aborts its old upload and
    starts again. The file is checked again before C(CompleteMultipartUpload); if it changed, the upload is aborted
    and the object is not replaced.
  - B(No orphaned upload stays.) After its transfers, a push aborts the uploads under the map's prefix that nothing
    will complete (its own whose file is gone or changed, and any other still open after 24 hours (by both the
    server's and this host's clock, so a live upload of another host is never cut)). Only the map's own prefix and
    bucket are touched. A bucket lifecycle rule C(AbortIncompleteMultipartUpload) remains the backstop for prefixes
    that no push visits again.
  - Deletions use DeleteObjects, 1,000 keys a request, and run only after every upload of the map succeeded.
  - B(Content-Type does not depend on the host.) It comes from a table shipped with the collection (web types such as
    C(.html), C(.css), C(.js)/C(.mjs), C(.json), C(.svg), C(.woff)/C(.woff2), C(.webp), C(.avif), C(.wasm), C(.map));
    a name not in it gets C(application/octet-stream), never the host's C(mimetypes) guess. Pre-compressed files
    C(x.html.gz) and C(x.css.br) get C(Content-Encoding) V(gzip) or V(br) and the type of the inner name; archives
    (C(.tar.gz), C(.tgz), a C(.gz) whose inner name is not in the table) are C(application/gzip) without an
    encoding. A rule of O(object_attributes) sets any other type or encoding.
  - In site-safe order (O(ordered), the default), every new file of a map is uploaded before the first changed file
    starts, and deletions come last.
  - A file whose size, mtime or inode change time differ just before and just after its upload (it was rewritten
    meanwhile) is uploaded once more; if it changes again, it is reported as failed (in C(errors)), the map's
    deletions do not run, and it is not recorded in the manifest, so the next run uploads it again.
  - B(An interrupted run still notifies.) Before the first change of a map, the module writes a marker in O(state_dir);
    it removes it just before it returns its result. A run whose result never reaches Ansible (Ctrl-C, a cancelled
    AWX job, a dropped SSH connection, a killed process) leaves it, and the next real run or check of that map reports
    C(changed) (C(changed_earlier) in its result), so that handlers such as a service restart still run. A run that
    fails keeps the marker too (Ansible notifies no handler of a failed task).
  - B(Without its controller the module finishes.) From the first change on, it ignores C(SIGINT) and C(SIGHUP)
    (what Ctrl-C, an AWX cancel and a closed terminal or SSH session send) and leaves its controller's process
    group, so the C(SIGTERM) that Ansible passes to a worker's group on Ctrl-C does not reach it; it completes the
    run, deletions and manifest included; the marker stays, since its result cannot be delivered. C(SIGTERM) and
    C(SIGKILL) sent to the module itself stop it where it is, which is safe at any point (whole files only, deletions last), and the marker stays too.
seealso:
  - module: s32s.sync.s32s_pull
  - module: amazon.aws.s3_object
  - module: community.aws.s3_sync
"""

EXAMPLES = r"""
- name: Publish every map of the S32S map files kept on S3
  s32s.sync.s32s_push:
    maps_s3_path: s3://example-bucket/spam/foo/maps
    region: us-east-1

- name: Publish one map of a local map file, keeping deleted files on S3
  s32s.sync.s32s_push:
    maps_file: /etc/s32s/maps.json
    names: [PROJECT 1]
    delete: false

- name: Publish a directory without any map file, against an S3-compatible store
  s32s.sync.s32s_push:
    s3: example-bucket/www/site
    src: /srv/www/site
    ignore: ["*__pycache__*", ".*"]
    endpoint_url: https://s3.example.com
    addressing_style: path
  register: published

- name: Preview what a push would delete (run with --check --diff)
  s32s.sync.s32s_push:
    maps:
      - name: site
        s3: example-bucket/www/site
        master: /srv/www/site
    max_delete: 10
  check_mode: true

- name: Publish a site with cache headers, pre-compressed assets and encryption a bucket policy requires
  s32s.sync.s32s_push:
    s3: example-bucket/www/site
    src: /srv/www/site
    object_attributes:
      - pattern: "*.html"
        cache_control: no-cache
      - pattern: assets/
        cache_control: public, max-age=31536000, immutable
      - pattern: downloads/
        content_disposition: attachment
        storage_class: STANDARD_IA
        tags: {team: web}
      - pattern: "*"
        metadata: {published-by: ansible}
    sse: aws:kms
    sse_kms_key_id: alias/site
"""

RETURN = r"""
changed:
  description:
    - Whether anything was (or, in check mode, would be) uploaded or deleted or had its attributes set, or an earlier run of a map changed it and
      was never reported (C(changed_earlier)).
  returned: always
  type: bool
maps:
  description: One result per map, in the order they ran (sorted by name).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The map name.
      type: str
      returned: always
    s3:
      description: The S3 location, C(s3://bucket/prefix/).
      type: str
      returned: always
    root:
      description: The local directory.
      type: str
      returned: always
    status:
      description:
        - V(ok), V(planned) (check mode), V(failed) (something failed while applying) or V(refused)
          (it could not be planned, or the safety gate said no; nothing was changed).
      type: str
      returned: always
    created:
      description: Files uploaded for the first time.
      type: int
      returned: always
    updated:
      description: Files uploaded again because they changed.
      type: int
      returned: always
    deleted:
      description: Objects deleted.
      type: int
      returned: always
    attributes_set:
      description:
        - Objects already in sync whose attributes were set to what O(object_attributes) and O(sse) say, or whose
          recorded mode was set to their file's after a mode-only change (C(chmod), O(preserve_mode)), with ONE
          server-side copy onto itself each (no upload) that carries both the rules' attributes and the mode.
        - Each is a C(set attributes of) line in diff mode and makes the task C(changed).
      type: int
      returned: always
    unchanged:
      description: Files already in sync (including those whose attributes were set).
      type: int
      returned: always
    ignored:
      description: Paths matched by ignore rules (a directory counts once).
      type: int
      returned: always
    skipped:
      description: Source paths not transferred (special files, symlinks by policy).
      type: int
      returned: always
    rejected:
      description: Paths with unsafe names, left alone.
      type: int
      returned: always
    failed:
      description: Paths that could not be read, uploaded or deleted.
      type: int
      returned: always
    bytes:
      description: Bytes created, updated, deleted and unchanged.
      type: dict
      returned: always
    dirs_created:
      description: Directories created for S3 C(dir/) marker objects (pull only).
      type: int
      returned: always
    dirs_removed:
      description: Directories removed (pull only).
      type: int
      returned: always
    attributes_fixed:
      description: Always 0 for a push (a pull counts there the local files and directories whose mode or owner it
        fixed; a push's fixes of objects, their mode included, are in RV(maps[].attributes_set)).
      type: int
      returned: always
    msg:
      description: Why the map failed or was refused (empty when it did not).
      type: str
      returned: always
    would_delete:
      description: When the safety gate refused the map over its deletions, how many it would have made (else 0).
      type: int
      returned: always
    changed_earlier:
      description:
        - An earlier run changed this map and its result never reached Ansible (Ctrl-C, a cancelled job, a dropped
          connection, a killed process); this run reports C(changed) for it so that handlers fire (see the notes).
      type: bool
      returned: always
    multipart:
      description:
        - The multipart uploads of this map that this run resumed or aborted (see the notes).
        - C(resumed) lists C(key), C(parts_reused) (parts already on the server, checked against the local bytes) and
          C(parts_sent); C(aborted) lists C(key) and C(reason) (C(the file is gone), C(the file changed (mtime, ...)),
          C(left open for more than 86400 s), ...).
      type: dict
      returned: always
      sample: {"resumed": [{"key": "site/big.iso", "parts_reused": 3, "parts_sent": 5}], "aborted": []}
    errors:
      description: The failed paths with their errors (at most 1000).
      type: list
      returned: always
      elements: dict
    skipped_paths:
      description: The skipped paths with the reason (at most 1000).
      type: list
      returned: always
      elements: dict
    rejected_paths:
      description: The rejected paths with the reason (at most 1000).
      type: list
      returned: always
      elements: dict
    files:
      description: Relative paths C(created), C(updated) and C(deleted) (at most 1000 each).
      type: dict
      returned: when O(list_files=true)
  sample:
    - name: site
      s3: s3://example-bucket/www/site/
      root: /srv/www/site
      status: ok
      created: 2
      updated: 1
      deleted: 1
      attributes_set: 0
      unchanged: 120
      ignored: 3
      skipped: 0
      rejected: 0
      failed: 0
      bytes: {created: 2048, updated: 512, deleted: 100, unchanged: 1048576}
      dirs_created: 0
      dirs_removed: 0
      msg: ""
      errors: []
      skipped_paths: []
      rejected_paths: []
transfer_client:
  description:
    - The client that sent the objects below the multipart threshold, V(crt) or V(classic) (see
      O(preferred_transfer_client)).
  returned: always
  type: str
  sample: crt
totals:
  description: The counts of every map added up, with the same keys as a map's counts and C(bytes).
  returned: always
  type: dict
  sample:
    created: 2
    updated: 1
    deleted: 1
    attributes_set: 0
    unchanged: 120
    ignored: 3
    skipped: 0
    rejected: 0
    failed: 0
    bytes: {created: 2048, updated: 512, deleted: 100, unchanged: 1048576}
"""

from ansible_collections.s32s.sync.plugins.module_utils._glue_module import S32SModule
from ansible_collections.s32s.sync.plugins.module_utils._requirements import check_host
from ansible_collections.s32s.sync.plugins.module_utils._argspec import MODULE_KWARGS, push_argument_spec
from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import S32SError
from ansible_collections.s32s.sync.plugins.module_utils._glue_push_pull import PUSH, MapsJob
from ansible_collections.s32s.sync.plugins.module_utils._glue_tail import fail_on_error, finish, finish_without_controller


def main() -> None:
    """Entry point of s32s_push."""
    module = S32SModule(argument_spec=push_argument_spec(), **MODULE_KWARGS)
    check_host(module)  # Python, boto3, botocore below the floor: fail_json, not a traceback
    job = None
    try:
        job = MapsJob.from_module(module, PUSH)
        runs = job.run(check_mode=module.check_mode, before_changes=finish_without_controller)
    except S32SError as e:
        fail_on_error(module, e, job.options if job is not None else None, warnings=job.warnings if job else ())
    finish(module, runs, job.options, warnings=job.warnings, extra={"transfer_client": job.transfer_client})


if __name__ == "__main__":
    main()
