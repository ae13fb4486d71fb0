#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s32s_pull
short_description: Download S3 prefixes into local directories as S32S maps describe (the SLAVE side)
version_added: 0.1.0
description:
  - Makes local directories of the managed host (the C(slave) of each S32S map) equal to S3 prefixes,
    by downloading what is new or changed and deleting what the prefix no longer has. Nothing is wiped first.
  - Each file is written to a temporary file in its target directory, checked (size, and MD5 where the ETag is one),
    then renamed into place; readers see the old file or the new one, never a partial one.
  - The whole plan is computed and checked before the first change; check mode shows it with O(ignore)d,
    unchanged and deleted paths counted, and C(--diff) lists every action.
  - A location C(bucket/site) always means C(site/), so C(site-old/) and C(site.json) are never touched.
  - A second run with nothing changed sends only the listing requests, no PUT, HEAD or GET per object, and
    hashes no unchanged file (thanks to the manifest in O(state_dir)); a same-size edit is still detected,
    even when the file's mtime was put back.
author:
  - s32s.sync developers (@s32s)
options:
  dest:
    description:
      - The local directory of the single map given by O(s3) (the map's C(slave)).
      - A missing directory (a map's C(slave) too) is created with its missing parents, as C(mkdir -p) does, with
        O(directory_mode); the result warns that it was created, so that a typo in a path does not go unnoticed.
    type: path
  owner:
    description:
      - Name (or uid) of the user that should own the files and directories of the mirror, as in
        M(ansible.builtin.copy).
      - Enforced on every run, on files and directories already in sync too (a change is shown in diff mode,
        counted in RV(maps[].attributes_fixed) and reports C(changed)); the root directory itself is left alone.
    type: str
  group:
    description:
      - Name (or gid) of the group that should own the files and directories of the mirror (enforced as
        O(owner)).
    type: str
  mode:
    description:
      - Permissions of the files of the mirror, as a quoted octal string like V('0644'), enforced on every run
        (files already in sync included). It wins over the mode an object's metadata carries
        (O(preserve_mode)).
      - By default a file gets the mode its object carries (O(preserve_mode)), else a new file gets C(0666) less
        the umask and an updated file keeps its mode.
      - An integer is refused with a hint to quote it. YAML reads an unquoted V(644) as the decimal number 644
        (octal C(1204)) and an unquoted V(0644) as 420 under YAML 1.1 but 644 under YAML 1.2, so an integer
        cannot say which mode was meant. M(ansible.builtin.file) documents the same trap and asks to quote modes
        (its note on O(ansible.builtin.file#module:mode)); this module refuses instead of guessing.
    type: raw
  directory_mode:
    description:
      - Permissions of the directories of the mirror (those created, and those already there that the bucket
        has too; not the root directory), as a quoted octal string like V('0755'); enforced as O(mode), integers
        refused the same way.
      - Unlike M(ansible.builtin.copy), which sets it only on the directories it creates.
    type: raw
extends_documentation_fragment:
  - s32s.sync.maps
  - s32s.sync.common
  - s32s.sync.common.connection
  - s32s.sync.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - s32s.sync.requirements
notes:
  - Symlinks inside the destination are never followed to write or delete; a write or delete below a
    symlinked directory fails for that path.
  - Keys that could escape the destination (C(..) segments, a leading C(/), C(//), backslashes, control
    characters) are skipped with a warning and reported as C(rejected).
  - Deletions run only after every download of the map succeeded; directories left empty are removed.
  - In site-safe order (O(ordered), the default), every new file of a map is downloaded before the first changed file
    starts, and deletions come last.
  - Leftover temporary files (C(.s32s-tmp-*)) of an interrupted run are removed by the next run.
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
  - module: s32s.sync.s32s_push
  - module: amazon.aws.s3_object
  - module: community.aws.s3_sync
"""

EXAMPLES = r"""
- name: Deploy every map of the S32S map files kept on S3
  s32s.sync.s32s_pull:
    maps_s3_path: s3://example-bucket/spam/foo/maps
    region: us-east-1
  notify: s32s_pull changed

- name: Deploy one map, files owned by the web server
  s32s.sync.s32s_pull:
    maps_file: /etc/s32s/maps.json
    names: [PROJECT 1]
    owner: www-data
    group: www-data
    mode: "0644"
    directory_mode: "0755"

- name: Deploy a prefix without any map file, from an S3-compatible store
  s32s.sync.s32s_pull:
    s3: example-bucket/www/site
    dest: /var/www/html
    endpoint_url: https://s3.example.com
    addressing_style: path
  register: deployed

- name: Deletion preview (or run the play with --check --diff)
  s32s.sync.s32s_pull:
    s3: example-bucket/www/site
    dest: /var/www/html
  check_mode: true
  diff: true
"""

RETURN = r"""
changed:
  description:
    - Whether anything was (or, in check mode, would be) downloaded or deleted, or an earlier run of a map changed it and
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
      description: Files downloaded for the first time.
      type: int
      returned: always
    updated:
      description: Files downloaded again because they changed.
      type: int
      returned: always
    deleted:
      description: Local files deleted.
      type: int
      returned: always
    attributes_set:
      description: Always 0 for a pull (a push counts there the objects whose attributes it set).
      type: int
      returned: always
    unchanged:
      description: Files already in sync.
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
      description: Paths that could not be downloaded or deleted.
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
      description:
        - Files and directories already in sync whose mode, owner or group was (in check mode, would be) fixed
          (O(mode), O(directory_mode), O(owner), O(group), or the mode an object carries with O(preserve_mode)).
          Each fix is a C(fix) line in diff mode and makes the task C(changed).
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
    unchanged: 120
    ignored: 3
    skipped: 0
    rejected: 0
    failed: 0
    bytes: {created: 2048, updated: 512, deleted: 100, unchanged: 1048576}
"""

from ansible_collections.s32s.sync.plugins.module_utils._glue_module import S32SModule
from ansible_collections.s32s.sync.plugins.module_utils._requirements import check_host
from ansible_collections.s32s.sync.plugins.module_utils._argspec import MODULE_KWARGS, pull_argument_spec
from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import S32SError
from ansible_collections.s32s.sync.plugins.module_utils._glue_push_pull import PULL, MapsJob
from ansible_collections.s32s.sync.plugins.module_utils._glue_tail import fail_on_error, finish, finish_without_controller


def main() -> None:
    """Entry point of s32s_pull."""
    module = S32SModule(argument_spec=pull_argument_spec(), **MODULE_KWARGS)
    check_host(module)  # Python, boto3, botocore below the floor: fail_json, not a traceback
    job = None
    try:
        job = MapsJob.from_module(module, PULL)
        runs = job.run(check_mode=module.check_mode, before_changes=finish_without_controller)
    except S32SError as e:
        fail_on_error(module, e, job.options if job is not None else None, warnings=job.warnings if job else ())
    finish(module, runs, job.options, warnings=job.warnings, extra={"transfer_client": job.transfer_client})


if __name__ == "__main__":
    main()
