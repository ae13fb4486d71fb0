# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs of the s32s.sync modules (the AWS connection options come
from ``AnsibleAWSModule``; these are the sync options).

**PRIVATE**: this module is internal to the s32s.sync collection.
The options are documented in ``plugins/doc_fragments/common.py`` and in
each module's DOCUMENTATION.
"""

from __future__ import annotations

import typing as t

from ._engine.config.attributes import SSE_CHOICES
from ._engine.config.options import DEFAULT_MAX_DELETE, FOLLOW_CHOICES, FOLLOW_INSIDE_ROOT
from ._engine.state.manifest import DEFAULT_STATE_DIR

_CHECKSUM_CHOICES = ["when_supported", "when_required"]


def common_argument_spec() -> dict[str, t.Any]:
    """Options shared by ``s32s_push`` and ``s32s_pull``."""
    return dict(
        maps_s3_path=dict(type="str"),
        maps_file=dict(type="path"),
        maps=dict(type="list", elements="dict"),
        s3=dict(type="str"),
        # raw, not list: Ansible would split a string on commas, and a string
        # where a list is expected must be an error (README, "The S32S map format")
        ignore=dict(type="raw"),
        files=dict(type="raw"),
        names=dict(type="raw"),
        delete=dict(type="bool", default=True),
        max_delete=dict(type="str", default=DEFAULT_MAX_DELETE),
        allow_empty_source=dict(type="bool", default=False),
        allow_bare_bucket=dict(type="bool", default=False),
        concurrency=dict(type="int", default=8),
        ordered=dict(type="bool", default=True),
        preserve_mode=dict(type="bool", default=True),
        transfer_processes=dict(type="int", default=0),
        preferred_transfer_client=dict(type="str", default="auto", choices=["auto", "crt", "classic"]),
        list_files=dict(type="bool", default=False),
        state_dir=dict(type="path", default=DEFAULT_STATE_DIR),
        use_manifest=dict(type="bool", default=True),
        addressing_style=dict(type="str", default="auto", choices=["auto", "path", "virtual"]),
        request_checksum_calculation=dict(type="str", default="when_required", choices=_CHECKSUM_CHOICES),
        response_checksum_validation=dict(type="str", default="when_required", choices=_CHECKSUM_CHOICES),
        max_attempts=dict(type="int", default=5),
        request_payer=dict(type="str", choices=["requester"]),
    )


def push_argument_spec() -> dict[str, t.Any]:
    """Options of ``s32s_push``."""
    spec = common_argument_spec()
    spec.update(
        src=dict(type="path"),
        lock_timeout=dict(type="float", default=60.0),
        follow_symlinks=dict(type="str", default=FOLLOW_INSIDE_ROOT, choices=list(FOLLOW_CHOICES)),
        # raw: the rules are validated by the engine, with messages that name the rule and the key
        object_attributes=dict(type="raw"),
        sse=dict(type="str", choices=list(SSE_CHOICES)),
        sse_kms_key_id=dict(type="str", no_log=False),
    )
    return spec


def pull_argument_spec() -> dict[str, t.Any]:
    """Options of ``s32s_pull``."""
    spec = common_argument_spec()
    spec.update(
        dest=dict(type="path"),
        lock_timeout=dict(type="float", default=60.0),
        owner=dict(type="str"),
        group=dict(type="str"),
        mode=dict(type="raw"),
        directory_mode=dict(type="raw"),
    )
    return spec


#: Connection options a replication destination may set for itself
#: (unset ones are inherited from the module's own options).
DEST_CONNECTION_OPTIONS = dict(
    endpoint_url=dict(type="str"),
    access_key=dict(type="str", no_log=False),
    secret_key=dict(type="str", no_log=True),
    session_token=dict(type="str", no_log=True),
    profile=dict(type="str"),
    region=dict(type="str"),
    validate_certs=dict(type="bool"),
    aws_ca_bundle=dict(type="path"),
    addressing_style=dict(type="str", choices=["auto", "path", "virtual"]),
    request_checksum_calculation=dict(type="str", choices=_CHECKSUM_CHOICES),
    response_checksum_validation=dict(type="str", choices=_CHECKSUM_CHOICES),
    request_payer=dict(type="str", choices=["requester"]),
)


def replicate_argument_spec() -> dict[str, t.Any]:
    """Options of ``s32s_replicate``."""
    spec = common_argument_spec()
    for name in ("maps_s3_path", "maps_file", "maps", "s3", "files", "names", "preferred_transfer_client"):
        del spec[name]
    spec["delete"]["default"] = False
    spec.update(
        src=dict(type="str", required=True),
        dest=dict(type="list", elements="dict", required=True,
                  options=dict(s3=dict(type="str", required=True), name=dict(type="str"), **DEST_CONNECTION_OPTIONS)),
        keys=dict(type="list", elements="str", no_log=False),
    )
    return spec


#: ``AnsibleAWSModule`` keyword arguments of ``s32s_push`` and ``s32s_pull``.
def sync_argument_spec() -> dict[str, t.Any]:
    """Options of ``s32s_sync``."""
    spec = common_argument_spec()
    for name in ("maps_s3_path", "maps_file", "maps", "files", "names", "use_manifest", "transfer_processes",
                 "preferred_transfer_client", "ordered", "preserve_mode"):
        del spec[name]
    spec["s3"]["required"] = True
    spec.update(
        path=dict(type="path", required=True),
        conflict=dict(type="str", default="keep_both", choices=["keep_both", "newer", "local", "remote", "fail"]),
        readonly=dict(type="bool", default=False),
        trash=dict(type="bool", default=True),
        trash_retention_days=dict(type="int", default=30),
        lock=dict(type="str", default="auto", choices=["auto", "required", "off"]),
        lock_timeout=dict(type="float", default=60.0),
        lease_duration=dict(type="int", default=300),
        replica=dict(type="str"),
    )
    return spec


MODULE_KWARGS: dict[str, t.Any] = dict(
    supports_check_mode=True,
    mutually_exclusive=[["maps_s3_path", "maps_file", "maps", "s3"]],
    required_one_of=[["maps_s3_path", "maps_file", "maps", "s3"]],
)

__all__ = ["common_argument_spec", "push_argument_spec", "pull_argument_spec", "replicate_argument_spec",
           "sync_argument_spec", "DEST_CONNECTION_OPTIONS", "MODULE_KWARGS"]
