# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3 clients of the modules: botocore configuration, awscrt sender, clients for
replication destinations.

**PRIVATE**: this module is internal to the s32s.sync collection.

Imports nothing from Ansible; the modules make their own client with
``AnsibleAWSModule.client`` and this configuration.
"""

from __future__ import annotations

import os
import typing as t
from urllib.parse import urlsplit

try:
    import boto3
except ImportError:  # pragma: no cover - AnsibleAWSModule reports the missing SDK
    boto3 = None  # type: ignore[assignment]

from ._engine.errors import ConfigError
from ._engine.sides.client_config import client_config
from ._engine.sides.crt import HAS_AWSCRT, CrtTransfers, proxy_configured

#: The connection options that say who talks to which store.
CREDENTIALS = ("access_key", "secret_key", "session_token", "profile")


def make_crt(params: t.Mapping[str, t.Any], client: t.Any) -> t.Optional[CrtTransfers]:
    """The awscrt sender of small objects that ``preferred_transfer_client`` asks for, or ``None``.

    ``auto``: awscrt when it is importable, the endpoint is http(s), no
    ``request_payer`` is set (a presigned request would not carry the
    ``x-amz-request-payer`` header signed: botocore sends those) and no
    proxy is configured (the environment's or ``aws_config``'s: awscrt would
    not use it). TLS follows ``validate_certs`` and ``aws_ca_bundle`` (or
    ``AWS_CA_BUNDLE``); timeouts follow the client's config, attempts ``max_attempts``.

    :raises ConfigError: ``crt`` was asked for and awscrt is not installed.
    """
    wanted = params.get("preferred_transfer_client") or "auto"
    if wanted == "classic" or params.get("request_payer"):
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


def make_client(conn: t.Mapping[str, t.Any]) -> t.Any:
    """A boto3 S3 client for merged connection parameters (a replication
    destination with its own endpoint or credentials)."""
    session = boto3.session.Session(
        aws_access_key_id=conn.get("access_key"), aws_secret_access_key=conn.get("secret_key"),
        aws_session_token=conn.get("session_token"), profile_name=conn.get("profile"),
        region_name=conn.get("region"))
    verify: t.Any = conn.get("aws_ca_bundle") or (conn.get("validate_certs") is not False)
    return session.client("s3", endpoint_url=conn.get("endpoint_url"), verify=verify, config=client_config(conn))


def same_store(a: t.Mapping[str, t.Any], b: t.Mapping[str, t.Any]) -> bool:
    """Whether two connections reach the same store as the same principal (server-side copy possible)."""
    keys = ("endpoint_url", "region", "request_payer") + CREDENTIALS
    return all(a.get(k) == b.get(k) for k in keys)


__all__ = ["client_config", "make_crt", "make_client", "same_store", "CREDENTIALS"]
