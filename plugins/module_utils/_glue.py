# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module glue shared by ``s32s_push`` and ``s32s_pull``: parameters in,
engine run, result out.

**PRIVATE**: this module is internal to the s32s.sync collection.

It takes an ``AnsibleAWSModule``-like object (``params``, ``check_mode``,
``_diff``, ``client()``, ``warn()``, ``exit_json()``, ``fail_json()``) and
imports nothing from Ansible, so the engine stays testable on its own.
"""

from __future__ import annotations

import os
import typing as t
from urllib.parse import urlsplit

try:
    from botocore.config import Config
except ImportError:  # pragma: no cover - AnsibleAWSModule reports the missing SDK
    Config = None  # type: ignore[assignment,misc]

from ._crt import HAS_AWSCRT, CrtTransfers, proxy_configured
from ._errors import ConfigError, S32SError
from ._maps import load_maps, parse_maps_json, parse_s3_location
from ._options import SyncOptions, parse_budget, parse_mode
from ._report import to_result
from ._runner import PULL, PUSH, PlanningError, run_maps
from ._s3store import S3Store

#: Most warnings passed to Ansible in one run (the report keeps the counts).
MAX_WARNINGS = 20


def client_config(params: t.Mapping[str, t.Any]) -> t.Any:
    """The ``botocore.config.Config`` of the S3 client: path-style choice,
    checksum settings (boto3 >= 1.36 sends new checksum headers that some
    S3-compatible stores reject: ``when_required`` is the default here),
    ``standard`` retries with backoff on throttling and 5xx (``max_attempts``
    attempts), a connection pool sized for ``concurrency`` workers, and
    SigV4 named explicitly (so that presigned requests use it too).
    The user's ``aws_config`` is merged over it by ``AnsibleAWSModule.client``.
    """
    try:
        return _config(params)
    except TypeError:  # botocore < 1.36 does not know the checksum settings
        import botocore
        raise ConfigError(f"botocore >= 1.36 is required on this host, found {botocore.__version__}") from None


def _config(params: t.Mapping[str, t.Any]) -> t.Any:
    return Config(
        s3={"addressing_style": params["addressing_style"]},
        # SigV4 is what S3 requests use anyway; said explicitly, botocore also presigns with it
        # (the awscrt path sends presigned requests; unset, botocore presigns S3 with SigV2)
        signature_version="s3v4",
        request_checksum_calculation=params["request_checksum_calculation"],
        response_checksum_validation=params["response_checksum_validation"],
        retries={"mode": "standard", "max_attempts": params["max_attempts"]},
        max_pool_connections=max(10, params["concurrency"] + 4),
        connect_timeout=10,
        read_timeout=60,
    )


def make_crt(params: t.Mapping[str, t.Any], client: t.Any) -> t.Optional[CrtTransfers]:
    """The awscrt sender of small objects that ``preferred_transfer_client`` asks for, or ``None``.

    ``auto``: awscrt when it is importable, the endpoint is http(s) and no
    proxy is configured (the environment's or ``aws_config``'s: awscrt would
    not use it). TLS follows ``validate_certs`` and ``aws_ca_bundle`` (or
    ``AWS_CA_BUNDLE``); timeouts follow the client's config, attempts ``max_attempts``.

    :raises ConfigError: ``crt`` was asked for and awscrt is not installed.
    """
    wanted = params.get("preferred_transfer_client") or "auto"
    if wanted == "classic":
        return None
    if not HAS_AWSCRT:
        if wanted == "crt":
            raise ConfigError("preferred_transfer_client=crt needs the Python package awscrt on this host "
                              "(pip install awscrt), or use auto or classic")
        return None
    cfg = client.meta.config
    if wanted == "auto" and (proxy_configured() or getattr(cfg, "proxies", None)):
        return None
    if urlsplit(client.meta.endpoint_url or "").scheme not in ("http", "https"):
        return None
    if params.get("validate_certs") is False:
        verify: t.Union[bool, str] = False
    else:
        verify = params.get("aws_ca_bundle") or os.environ.get("AWS_CA_BUNDLE") or True
    return CrtTransfers(client, verify=verify, max_attempts=params.get("max_attempts") or 5,
                        read_timeout_s=float(cfg.read_timeout or 60), connect_timeout_s=float(cfg.connect_timeout or 60))


def _inline_single_map(params: t.Mapping[str, t.Any], side: str, root_option: str) -> list[dict[str, t.Any]]:
    if not params.get(root_option):
        raise ConfigError(f"option '{root_option}' is required with option 's3'")
    raw: dict[str, t.Any] = {"name": params["s3"], "s3": params["s3"], side: params[root_option]}
    if params.get("ignore") is not None:
        raw["ignore"] = params["ignore"]
    if params.get("files") is not None:
        raw["files"] = params["files"]
    return [raw]


def read_maps(params: t.Mapping[str, t.Any], store: S3Store, side: str,
              root_option: str) -> tuple[list[t.Any], str, set[tuple[str, str]]]:
    """Return ``(raw maps, source label, map file keys)`` from the one map source given.

    ``maps_s3_path`` is one ``.json`` object, or every ``.json`` object
    directly under ``prefix/`` (so ``maps-old/`` is never read). The map
    files' keys are returned so that no deletion can remove them.

    :raises ConfigError: unreadable or invalid map file, none found.
    :raises StoreError: an S3 request failed.
    """
    if params.get("s3"):
        return _inline_single_map(params, side, root_option), "option 's3'", set()
    if params.get("maps") is not None:
        return params["maps"], "option 'maps'", set()
    if params.get("maps_file"):
        path = params["maps_file"]
        try:
            with open(path, "rb") as f:
                return parse_maps_json(f.read(), path), path, set()
        except OSError as e:
            raise ConfigError(f"cannot read maps_file {path}: {e.strerror}") from None
    location = parse_s3_location(params["maps_s3_path"], "maps_s3_path")
    keys: list[str] = []
    if location.prefix and not location.prefix.endswith(".json"):
        keys = [k for k in store.list_keys(location.bucket, location.list_prefix) if k.endswith(".json")]
    if not keys:
        if not location.prefix:
            raise ConfigError(f"maps_s3_path {params['maps_s3_path']!r} holds no .json map file")
        keys = [location.prefix]
    raw: list[t.Any] = []
    for key in keys:
        source = f"s3://{location.bucket}/{key}"
        raw.extend(parse_maps_json(store.get_bytes(location.bucket, key), source))
    label = f"s3://{location.bucket}/{keys[0]}" if len(keys) == 1 else f"s3://{location.bucket}/{location.list_prefix}"
    return raw, label, {(location.bucket, k) for k in keys}


def build_options(params: t.Mapping[str, t.Any], protected: set[tuple[str, str]]) -> SyncOptions:
    """Validate the run options from the module parameters.

    :raises ConfigError: a bad ``max_delete``, mode, concurrency...
    """
    return SyncOptions(
        delete=params["delete"],
        max_delete=parse_budget(params["max_delete"]),
        allow_empty_source=params["allow_empty_source"],
        allow_bare_bucket=params["allow_bare_bucket"],
        follow_symlinks=params.get("follow_symlinks") or "inside_root",
        concurrency=params["concurrency"],
        transfer_processes=params.get("transfer_processes") or 0,
        list_files=params["list_files"],
        owner=params.get("owner"),
        group=params.get("group"),
        mode=parse_mode(params.get("mode"), "mode"),
        directory_mode=parse_mode(params.get("directory_mode"), "directory_mode"),
        state_dir=params["state_dir"] if params["use_manifest"] else None,
        protected_keys=frozenset(protected),
    )


def run_module(module: t.Any, direction: str) -> None:
    """Run ``s32s_push`` (``direction='push'``) or ``s32s_pull`` and exit the module."""
    params = module.params
    side, root_option = ("master", "src") if direction == PUSH else ("slave", "dest")
    check_mode = bool(module.check_mode)
    try:
        config = client_config(params)
        client = module.client("s3", config=config)
        store = S3Store(client, client_factory=lambda: module.client("s3", config=config),
                        crt=make_crt(params, client))
        raw, source, protected = read_maps(params, store, side, root_option)
        maps, warnings = load_maps(raw, side, source, params.get("names"))
        options = build_options(params, protected)
        runs = run_maps(direction, maps, store, options, check_mode=check_mode,
                        endpoint=params.get("endpoint_url") or "")
    except PlanningError as e:
        result = to_result(e.runs, build_options(params, set()), check_mode=True, diff=False)
        result["changed"] = False
        module.fail_json(msg=e.msg, **{k: v for k, v in result.items() if k != "warnings"})
    except S32SError as e:
        module.fail_json(msg=e.msg, changed=False, **e.details)
    result = to_result(runs, options, check_mode=check_mode, diff=bool(module._diff))
    result["transfer_client"] = "crt" if store.crt is not None else "classic"
    for warning in (warnings + result.pop("warnings"))[:MAX_WARNINGS]:
        module.warn(warning)
    failed = [r for r in runs if r.status == "failed"]
    if failed:
        more = f" (and {len(failed) - 1} more map(s))" if len(failed) > 1 else ""
        module.fail_json(msg=failed[0].error + more, **result)
    module.exit_json(**result)


__all__ = ["run_module", "read_maps", "build_options", "client_config", "make_crt", "PUSH", "PULL"]
