#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s32s_watch_info
short_description: Status of the s32s-watch service (continuous sync) on the host
version_added: 0.2.0
description:
  - Runs C(<install_dir>/bin/s32s-watch status) on the managed host and returns its document - whether the service
    runs, and per map the queue depth, the last scan and the last success, what was sent, deleted and failed, the
    dead letters (paths that failed every attempt and wait for the next rescan), the current failure (since when,
    the latest error and when), and whether the live watch of its directory works.
  - The service is installed by the role C(s32s.sync.watch). The command reads the service's state directory, so
    it reports whether the service is running or not.
  - Changes nothing; runs in check mode too.
author:
  - s32s.sync developers (@s32s)
options:
  install_dir:
    description:
      - Where the role C(s32s.sync.watch) installed the service (its C(watch_install_dir)).
    type: path
    default: /opt/s32s-watch
attributes:
  check_mode:
    description: Reads only; returns the same result in check mode.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
  idempotent:
    description: Never changes anything.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
notes:
  - The module needs nothing but Python on the host (no boto3) and takes no AWS connection option; the service
    reads its own configuration. It is therefore not in the action group C(s32s.sync.s32s), whose
    C(module_defaults) carry the connection options of the sync modules.
  - Run it with the privileges of the service user (C(become)) when the state directory is private to that user.
seealso:
  - module: s32s.sync.s32s_push
"""

EXAMPLES = r"""
- name: Read the status of the watcher
  s32s.sync.s32s_watch_info:
    install_dir: /opt/s32s-watch
  register: watch

- name: Fail when a path is stuck
  ansible.builtin.assert:
    that: watch.maps | map(attribute='dead_letters') | flatten | length == 0
    fail_msg: "{{ watch.maps | map(attribute='dead_letters') | flatten | map(attribute='path') | join(', ') }}"

- name: Fail when the service is stopped or a map keeps failing (wrong credentials, missing bucket...)
  ansible.builtin.assert:
    that:
      - watch.running
      - watch.maps | selectattr('last_error') | list | length == 0
    fail_msg: >-
      {{ 'the service is not running; ' if not watch.running else '' }}{{ watch.maps | selectattr('last_error')
      | map(attribute='last_error') | join('; ') }}

- name: Fail when a directory is not watched (its changes would wait for the next rescan)
  ansible.builtin.assert:
    that: watch.maps | rejectattr('watching') | list | length == 0
    fail_msg: "{{ watch.maps | rejectattr('watching') | map(attribute='watch_error') | join('; ') }}"

- name: Count what a service installed elsewhere has sent
  s32s.sync.s32s_watch_info:
    install_dir: /srv/s32s-watch
  register: other

- name: Show the count
  ansible.builtin.debug:
    msg: "{{ other.maps | map(attribute='sent') | sum }} file(s) sent"
"""

RETURN = r"""
running:
  description:
    - Whether the service runs (it holds the lock of its state directory). V(false) when it is stopped, crashed or
      was never started - then nothing is sent, whatever the counters say.
  returned: always
  type: bool
pid:
  description: The process id of the running service, or null when it does not run.
  returned: always
  type: int
started_at:
  description: When the running service started (ISO 8601, UTC), or null when it does not run.
  returned: always
  type: str
maps:
  description: One entry per map of the service's configuration, as C(s32s-watch status) prints it.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The map name.
      type: str
      returned: always
    queue_depth:
      description: Paths waiting to be sent (settling or backing off after a failure); dead letters are not counted.
      type: int
      returned: always
    last_scan:
      description: When the last full rescan of the map ended (ISO 8601, UTC), or null before the first.
      type: str
      returned: always
    last_success:
      description: When the last full rescan with nothing failed or refused ended (ISO 8601, UTC), or null.
      type: str
      returned: always
    sent:
      description:
        - Objects uploaded to the map's current destination (since RV(maps[].counted_since)).
        - The counters V(sent), V(deleted), V(failed) and V(failed_passes), and the times of the scans and errors,
          belong to the map's destination - its C(s3) and the endpoint - and start again when it changes.
      type: int
      returned: always
    deleted:
      description: Objects deleted from the map's current destination (since RV(maps[].counted_since)).
      type: int
      returned: always
    failed:
      description: Failed attempts of paths (a file that could not be read or sent), since RV(maps[].counted_since).
      type: int
      returned: always
    failed_passes:
      description:
        - Passes of the map (rescans and the passes of changed paths) that failed, could not run (credentials or
          listing refused, endpoint unreachable, watched directory missing) or were refused by the safety gate,
          since RV(maps[].counted_since).
      type: int
      returned: always
    counted_since:
      description:
        - When the counters started - the first pass to the map's current destination (ISO 8601, UTC); null
          before it, and for counters kept from a service older than this field.
      type: str
      returned: always
    last_error:
      description:
        - Why the latest pass of the map failed, could not run or was refused (one line, never a credential), or
          null once a clean pass followed. A failed full rescan is cleared by a clean rescan only.
      type: str
      returned: always
      sample: "map 'site': listing s3://example-bucket/site/ failed: SignatureDoesNotMatch: the secret key is wrong"
    last_error_at:
      description: When RV(maps[].last_error) happened (ISO 8601, UTC), or null.
      type: str
      returned: always
    failing_since:
      description:
        - When the current run of failures began - the first failed pass not followed by a clean one (ISO 8601,
          UTC) - or null while the map works. C(playbooks/watch.yml --tags watch_status) shows it after
          C(FAILING since), followed by RV(maps[].last_error).
      type: str
      returned: always
    watching:
      description:
        - Whether the service runs and its live (inotify) watch of the map's C(master) works, so that changes are
          sent within seconds of being made.
        - V(false) when the service does not run, or while the watch cannot be set up (see RV(maps[].watch_error));
          changes are then picked up only by the rescans (every C(watch_rescan_interval_s) seconds).
        - V(null) while a service installed by an older version of the role runs (it does not tell).
      type: bool
      returned: always
    watch_error:
      description:
        - Why the live watch of the map cannot be set up while the service runs, or null.
        - The kernel's limits name the sysctl to raise - C(fs.inotify.max_user_watches) (ENOSPC) or
          C(fs.inotify.max_user_instances) (EMFILE); a missing C(master) says C(No such file or directory).
        - The service tries again before every rescan and after the retry pauses (C(watch_retry_base_s) doubling
          up to C(watch_retry_max_s)); the error clears once the watch works, and the map is then rescanned.
      type: str
      returned: always
      sample: "cannot watch /srv/site: inotify watch limit reached (raise fs.inotify.max_user_watches); until it
        works, changes are picked up only by rescans (every 3600 s)"
    watch_retry_at:
      description: When the service tries the live watch again (ISO 8601, UTC), or null while it works.
      type: str
      returned: always
    dead_letters:
      description: Paths that failed every attempt; each is retried at the next rescan.
      type: list
      elements: dict
      returned: always
      contains:
        path:
          description: The path relative to the map's C(master).
          type: str
          returned: always
        reason:
          description: The last error.
          type: str
          returned: always
  sample:
    - name: site
      last_error: null
      last_error_at: null
      failing_since: null
      queue_depth: 0
      last_scan: "2026-12-03T10:00:00Z"
      last_success: "2026-12-03T10:04:12Z"
      sent: 42
      deleted: 0
      failed: 1
      failed_passes: 0
      counted_since: "2026-12-01T08:00:00Z"
      dead_letters: [{path: private/key.pem, reason: "Permission denied"}]
      watching: true
      watch_error: null
      watch_retry_at: null
command:
  description: The command that was run.
  returned: always
  type: list
  elements: str
  sample: [/opt/s32s-watch/bin/s32s-watch, status]
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

#: Result keys Ansible gives a meaning of its own; a status document never overrides them.
RESERVED = frozenset(("changed", "failed", "msg", "rc", "skipped", "invocation", "warnings", "deprecations",
                      "ansible_facts", "command"))


def launcher_path(install_dir: str) -> str:
    """The installed command, ``<install_dir>/bin/s32s-watch`` (layout of the role s32s.sync.watch)."""
    return os.path.join(install_dir, "bin", "s32s-watch")


def parse_status(stdout: str) -> dict:
    """The status document of ``s32s-watch status`` (one JSON object with a ``maps`` list).

    :raises ValueError: when ``stdout`` is not such a document (the message says what is wrong).
    """
    try:
        document = json.loads(stdout)
    except ValueError as e:
        raise ValueError("its output is not JSON (%s)" % e) from None
    if not isinstance(document, dict) or not isinstance(document.get("maps"), list):
        raise ValueError("its output has no list 'maps'")
    return {key: value for key, value in document.items() if key not in RESERVED}


def main() -> None:
    """Entry point of s32s_watch_info."""
    module = AnsibleModule(argument_spec={"install_dir": {"type": "path", "default": "/opt/s32s-watch"}},
                           supports_check_mode=True)
    command = [launcher_path(module.params["install_dir"]), "status"]
    if not os.path.isfile(command[0]):
        module.fail_json(msg="s32s-watch is not installed in %s (no %s): install it with the role s32s.sync.watch, "
                             "or set install_dir to its watch_install_dir" % (module.params["install_dir"], command[0]),
                         command=command)
    rc, stdout, stderr = module.run_command(command)
    if rc != 0:
        module.fail_json(msg="%s failed (rc=%d): %s" % (" ".join(command), rc, stderr.strip() or stdout.strip()),
                         rc=rc, command=command)
    try:
        document = parse_status(stdout)
    except ValueError as e:
        module.fail_json(msg="%s: %s" % (" ".join(command), e), command=command)
    module.exit_json(changed=False, command=command, **document)


if __name__ == "__main__":
    main()
