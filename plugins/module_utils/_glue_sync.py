# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module glue of ``s32s_sync``: parameters -> the two-way job.

**PRIVATE**: this module is internal to the s32s.sync collection.

Takes an ``AnsibleAWSModule``-like object (``params``, ``client()``) and
imports nothing from Ansible.
"""

from __future__ import annotations

import os
import socket
import typing as t

from ._engine.config.ignore import IgnoreRules
from ._engine.config.maps import parse_s3_location
from ._engine.config.options import FOLLOW_NEVER, SyncOptions, parse_budget
from ._engine.errors import ConfigError
from ._engine.jobs.two_way import SyncJob
from ._engine.sides.local import LocalSide
from ._engine.sides.s3 import S3Side
from ._engine.sides.s3store import S3Store
from ._glue_client import client_config, make_crt


#: How the gate's advice names the options it asks for: the module's option and the variable of the role
#: s32s.sync.share, which runs this module (``SyncOptions.option_names``).
OPTION_NAMES = {key: f"{key}={{value}} (role s32s.sync.share: share_{key})"
                for key in ("delete", "max_delete", "allow_empty_source", "allow_bare_bucket")}


def sync_job(module: t.Any) -> SyncJob:
    """Validate the parameters of ``s32s_sync`` and make its sides.

    Symlinks under ``path`` are never followed nor replaced: they are
    reported as skipped and their paths left alone on both sides.

    :raises ConfigError: an invalid location or option.
    """
    params = module.params
    location = parse_s3_location(params["s3"], "s3")
    path = params["path"]
    if not os.path.isabs(path):
        raise ConfigError(f"path must be an absolute directory, got {path!r}")
    if params["lock_timeout"] < 0:
        raise ConfigError(f"lock_timeout must be 0 or more seconds, got {params['lock_timeout']}")
    if params["lease_duration"] < 30:
        raise ConfigError(f"lease_duration must be at least 30 seconds, got {params['lease_duration']}")
    options = SyncOptions(delete=params["delete"], max_delete=parse_budget(params["max_delete"]),
                          allow_empty_source=params["allow_empty_source"],
                          allow_bare_bucket=params["allow_bare_bucket"], follow_symlinks=FOLLOW_NEVER,
                          concurrency=params["concurrency"], list_files=params["list_files"],
                          state_dir=params["state_dir"], option_names=OPTION_NAMES)
    config = client_config(params)
    client = module.client("s3", config=config)
    store = S3Store(client, crt=make_crt(params, client), request_payer=params.get("request_payer") or "")
    endpoint = params.get("endpoint_url") or ""
    replica = params.get("replica") or socket.gethostname().split(".")[0] or "replica"
    local = LocalSide(path, follow_symlinks=FOLLOW_NEVER, must_exist=False)
    remote = S3Side(store, location, endpoint, workers=params["concurrency"])
    label = f"sync {path} <-> s3://{location.bucket}/{location.list_prefix}"
    return SyncJob(local=local, remote=remote, ignore=IgnoreRules(params.get("ignore"), "ignore"), options=options,
                   conflict=params["conflict"], delete=params["delete"], readonly=params["readonly"],
                   trash=params["trash"], trash_retention_days=params["trash_retention_days"], replica=replica,
                   lock_timeout=params["lock_timeout"], lock=params["lock"], lease_duration=params["lease_duration"],
                   label=label, unreported=True,
                   about={"path": path, "s3": str(location), "endpoint": endpoint, "replica": replica})


__all__ = ["sync_job", "OPTION_NAMES"]
