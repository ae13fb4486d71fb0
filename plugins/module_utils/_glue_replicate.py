# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module glue of ``s32s_replicate``: parameters -> source, destinations and options.

**PRIVATE**: this module is internal to the s32s.sync collection.

The source uses the module's own connection options (so ``module_defaults``
sets it once); each destination may set its own endpoint, credentials and
S3-compatibility settings, and inherits the rest. Credentials are inherited
as a group (access key, secret key, session token, profile) only when the
destination sets none of them.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ._argspec import DEST_CONNECTION_OPTIONS
from ._engine.config.ignore import IgnoreRules
from ._engine.config.maps import S3Location, parse_s3_location
from ._engine.config.options import SyncOptions
from ._engine.jobs.replicate import Destination, replicate
from ._engine.jobs.runner import PairRun
from ._engine.sides.s3store import S3Store
from ._glue_client import CREDENTIALS, client_config, make_client, same_store
from ._glue_push_pull import build_options


def dest_params(params: t.Mapping[str, t.Any], dest: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The connection parameters of one destination: its own, else the module's."""
    merged = {k: params.get(k) for k in DEST_CONNECTION_OPTIONS}
    own_credentials = any(dest.get(k) is not None for k in CREDENTIALS)
    for key in DEST_CONNECTION_OPTIONS:
        if key in CREDENTIALS and own_credentials:
            merged[key] = dest.get(key)
        elif dest.get(key) is not None:
            merged[key] = dest[key]
    for key in ("concurrency", "max_attempts"):
        merged[key] = params[key]
    return merged


@dataclass
class ReplicateJob:
    """A replication as the module asked for it: the source (store, location,
    endpoint), the destinations, the ignore rules, the options, and the keys
    of a targeted run (``None``: a full run)."""

    src_store: S3Store
    src: S3Location
    src_endpoint: str
    dests: list[Destination]
    ignore: IgnoreRules
    options: SyncOptions
    keys: t.Optional[list[str]]

    @classmethod
    def from_module(cls, module: t.Any) -> "ReplicateJob":
        """Validate the parameters and make the clients (one per distinct store).

        :raises ConfigError: an invalid location or option.
        """
        params = module.params
        src = parse_s3_location(params["src"], "src")
        src_store = S3Store(module.client("s3", config=client_config(params)),
                            request_payer=params.get("request_payer") or "")
        dests = []
        for index, raw in enumerate(params["dest"]):
            conn = dest_params(params, raw)
            location = parse_s3_location(raw["s3"], f"dest[{index}].s3")
            label = raw.get("name") or f"{conn.get('endpoint_url') or 'aws'} {location}"
            store = src_store if same_store(params, conn) else S3Store(
                make_client(conn), request_payer=conn.get("request_payer") or "")
            dests.append(Destination(label, store, location, conn.get("endpoint_url") or ""))
        return cls(src_store, src, params.get("endpoint_url") or "", dests, IgnoreRules(params.get("ignore"), "ignore"),
                   build_options(params, set()), params.get("keys"))

    def run(self, check_mode: bool) -> list[PairRun]:
        """Replicate to every destination, each on its own.

        :raises S32SError: the source cannot be listed or ``keys`` are invalid; nothing was changed.
        """
        return replicate(self.src_store, self.src, self.src_endpoint, self.dests, self.ignore, self.options,
                         check_mode=check_mode, keys=self.keys)


__all__ = ["ReplicateJob", "dest_params"]
