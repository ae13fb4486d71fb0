# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module glue of ``s32s_replicate``: parameters in, replication, result out.

**PRIVATE**: this module is internal to the s32s.sync collection.

The source uses the module's own connection options (so ``module_defaults``
sets it once); each destination may set its own endpoint, credentials and
S3-compatibility settings, and inherits the rest. Credentials are inherited
as a group (access key, secret key, session token, profile) only when the
destination sets none of them.
"""

from __future__ import annotations

import typing as t

try:
    import boto3
except ImportError:  # pragma: no cover - AnsibleAWSModule reports the missing SDK
    boto3 = None  # type: ignore[assignment]

from ._argspec import DEST_CONNECTION_OPTIONS
from ._errors import S32SError
from ._glue import MAX_WARNINGS, build_options, client_config
from ._ignore import IgnoreRules
from ._maps import parse_s3_location
from ._replicate import Destination, replicate
from ._report import to_result
from ._s3store import S3Store

CREDENTIALS = ("access_key", "secret_key", "session_token", "profile")


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


def make_client(conn: t.Mapping[str, t.Any]) -> t.Any:
    """A boto3 S3 client for merged connection parameters (see :func:`dest_params`)."""
    session = boto3.session.Session(
        aws_access_key_id=conn.get("access_key"), aws_secret_access_key=conn.get("secret_key"),
        aws_session_token=conn.get("session_token"), profile_name=conn.get("profile"),
        region_name=conn.get("region"))
    verify: t.Any = conn.get("aws_ca_bundle") or (conn.get("validate_certs") is not False)
    return session.client("s3", endpoint_url=conn.get("endpoint_url"), verify=verify, config=client_config(conn))


def same_store(a: t.Mapping[str, t.Any], b: t.Mapping[str, t.Any]) -> bool:
    """Whether two connections reach the same store as the same principal (server-side copy possible)."""
    keys = ("endpoint_url", "region") + CREDENTIALS
    return all(a.get(k) == b.get(k) for k in keys)


def run_replicate_module(module: t.Any) -> None:
    """Run ``s32s_replicate`` and exit the module."""
    params = module.params
    try:
        src_loc = parse_s3_location(params["src"], "src")
        src_store = S3Store(module.client("s3", config=client_config(params)))
        dests = []
        for index, raw in enumerate(params["dest"]):
            conn = dest_params(params, raw)
            location = parse_s3_location(raw["s3"], f"dest[{index}].s3")
            label = raw.get("name") or f"{conn.get('endpoint_url') or 'aws'} {location}"
            store = src_store if same_store(params, conn) else S3Store(make_client(conn))
            dests.append(Destination(label, store, location, store is src_store, conn.get("endpoint_url") or ""))
        ignore = IgnoreRules(params.get("ignore"), "ignore")
        options = build_options(params, set())
        runs = replicate(src_store, src_loc, params.get("endpoint_url") or "", dests, ignore, options,
                         check_mode=bool(module.check_mode), keys=params.get("keys"))
    except S32SError as e:
        module.fail_json(msg=e.msg, changed=False, **e.details)
    result = to_result(runs, options, check_mode=bool(module.check_mode), diff=bool(module._diff))
    for warning in result.pop("warnings")[:MAX_WARNINGS]:
        module.warn(warning)
    result["destinations"] = result.pop("maps")
    bad = [r for r in runs if r.status in ("failed", "refused")]
    if bad:
        more = f" (and {len(bad) - 1} more destination(s))" if len(bad) > 1 else ""
        module.fail_json(msg=bad[0].error + more, **result)
    module.exit_json(**result)


__all__ = ["run_replicate_module", "dest_params", "make_client", "same_store"]
