#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s32s_replicate
short_description: Replicate an S3 prefix to one or more S3 locations, across endpoints (the s3s3 front door)
version_added: 0.1.0
description:
  - Makes each destination prefix equal to the source prefix, on the same or on other S3-compatible stores
    (AWS, Ceph, Swift, MinIO, rclone...). Destinations are independent; one failing is reported and does not
    stop the others.
  - Objects are compared by size and ETag. Where ETags are not comparable (stores whose ETags are not MD5s,
    multipart ETags), the record of this module's last copy decides; without one the object is copied again.
    A destination object that differs is updated.
  - Copies are server-side (CopyObject, UploadPartCopy above 5 GiB) when a destination is the source's endpoint
    with the same credentials; otherwise they stream through the managed host with bounded memory
    (multipart in 8 MiB parts, no temporary file). Content-Type, Cache-Control, Content-Encoding,
    Content-Disposition, Content-Language and user metadata are carried over.
  - With O(keys), only those source keys are replicated (a targeted run, for an event source); a key the
    source no longer has is deleted from the destinations when O(delete=true).
  - Deletion of destination objects is off by default; when on, it goes through the same safety gate as
    push and pull (scope C(prefix/), budget before the first delete, an empty or failed source listing never deletes).
author:
  - s32s.sync developers (@s32s)
options:
  src:
    description:
      - The source location, C(s3://bucket/prefix) or C(bucket/prefix), reached with the module's own
        connection options (O(endpoint_url), O(access_key)...).
    type: str
    required: true
  dest:
    description:
      - The destinations. Each may set its own connection options; unset ones are inherited from the module's.
        Credentials (O(dest[].access_key), O(dest[].secret_key), O(dest[].session_token), O(dest[].profile)) are
        inherited as a group, only when the destination sets none of them.
    type: list
    elements: dict
    required: true
    suboptions:
      s3:
        description: The destination location, C(s3://bucket/prefix) or C(bucket/prefix).
        type: str
        required: true
      name:
        description: A label for this destination in results and messages.
        type: str
      endpoint_url:
        description: The destination's endpoint URL.
        type: str
      access_key:
        description: The destination's access key ID.
        type: str
      secret_key:
        description: The destination's secret access key.
        type: str
      session_token:
        description: The destination's session token.
        type: str
      profile:
        description: The destination's named profile.
        type: str
      region:
        description: The destination's region.
        type: str
      validate_certs:
        description: Whether to validate the destination's TLS certificate.
        type: bool
      aws_ca_bundle:
        description: CA bundle for the destination.
        type: path
      addressing_style:
        description: S3 addressing style for the destination.
        type: str
        choices: [auto, path, virtual]
      request_checksum_calculation:
        description: botocore's C(request_checksum_calculation) for the destination.
        type: str
        choices: [when_supported, when_required]
      response_checksum_validation:
        description: botocore's C(response_checksum_validation) for the destination.
        type: str
        choices: [when_supported, when_required]
      request_payer:
        description: V(requester) for a requester-pays destination bucket (see O(request_payer)).
        type: str
        choices: [requester]
  keys:
    description:
      - Replicate only these full source keys (they must be under the source prefix), for example the keys
        an event announced. The periodic full run (without O(keys)) catches what events missed.
    type: list
    elements: str
  delete:
    description:
      - Delete destination objects the source no longer has (through the safety gate).
    type: bool
    default: false
extends_documentation_fragment:
  - s32s.sync.common
  - s32s.sync.common.connection
  - s32s.sync.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - s32s.sync.requirements
notes:
  - The record of the last copy per destination is kept in O(state_dir) on the managed host.
  - A copy keeps the source object's attributes. Within one store (same endpoint and credentials) a CopyObject keeps
    its Content-Type, Cache-Control, Content-Encoding, Content-Disposition, Content-Language, user metadata and tags,
    but not its storage class nor its server-side encryption (the destination bucket's defaults apply, as with any
    CopyObject). Copies streamed between two stores, and multipart copies above 5 GiB, carry the headers and user
    metadata, not the tags.
seealso:
  - module: s32s.sync.s32s_push
  - module: s32s.sync.s32s_pull
  - module: amazon.aws.s3_object
  - module: community.aws.s3_sync
"""

EXAMPLES = r"""
- name: Keep a copy of a bucket prefix on a second store
  s32s.sync.s32s_replicate:
    src: s3://example-bucket/data
    dest:
      - name: ceph
        s3: s3://backup-bucket/data
        endpoint_url: https://ceph.example.com
        access_key: "{{ ceph_access_key }}"
        secret_key: "{{ ceph_secret_key }}"
        addressing_style: path
    delete: true
    max_delete: "10%"

- name: Replicate the keys an event announced
  s32s.sync.s32s_replicate:
    src: s3://example-bucket/data
    dest:
      - s3: s3://example-bucket-copy/data
    keys: "{{ event_keys }}"
"""

RETURN = r"""
changed:
  description:
    - Whether anything was (or, in check mode, would be) copied or deleted, or an earlier run changed a destination
      and was never reported (C(changed_earlier)).
  returned: always
  type: bool
destinations:
  description: One result per destination, with the same keys as the C(maps) results of M(s32s.sync.s32s_push)
    (C(name), C(s3), C(status), counts, C(bytes), C(msg), C(errors)...).
  returned: always
  type: list
  elements: dict
  contains:
    changed_earlier:
      description:
        - An earlier run changed this destination and its result never reached Ansible (Ctrl-C, a cancelled job, a
          dropped connection, a killed process); this run reports C(changed) for it so that handlers fire. Each
          destination keeps its marker in O(state_dir) from before its first change until a run is reported.
      type: bool
      returned: always
totals:
  description: The counts of every destination added up.
  returned: always
  type: dict
"""

from ansible_collections.s32s.sync.plugins.module_utils._glue_module import S32SModule
from ansible_collections.s32s.sync.plugins.module_utils._requirements import check_host
from ansible_collections.s32s.sync.plugins.module_utils._argspec import replicate_argument_spec
from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import S32SError
from ansible_collections.s32s.sync.plugins.module_utils._glue_replicate import ReplicateJob
from ansible_collections.s32s.sync.plugins.module_utils._glue_tail import fail_on_error, finish


def main() -> None:
    """Entry point of s32s_replicate."""
    module = S32SModule(argument_spec=replicate_argument_spec(), supports_check_mode=True)
    check_host(module)  # Python, boto3, botocore below the floor: fail_json, not a traceback
    job = None
    try:
        job = ReplicateJob.from_module(module)
        runs = job.run(check_mode=module.check_mode)
    except S32SError as e:
        fail_on_error(module, e, job.options if job is not None else None, runs_key="destinations")
    finish(module, runs, job.options, runs_key="destinations", noun="destination")


if __name__ == "__main__":
    main()
