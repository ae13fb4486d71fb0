# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service's S3 client and store, from the ``connection`` of its configuration.

**PRIVATE**: this module is internal to the s32s.sync collection.

Credentials come from the configuration (or the profile or environment it
names, as boto3 finds them); they are handed to boto3 and never logged.
The client is configured as the modules' (``sides/client_config.py``), with
the user's ``aws_config`` merged over it.
"""

from __future__ import annotations

import typing as t

from ..errors import ConfigError
from ..sides.client_config import client_config
from ..sides.s3store import S3Store

#: Worker threads of one pass (transfers of one map at a time).
CONCURRENCY = 8


def make_store(conn: t.Mapping[str, t.Any], max_attempts: int = 5) -> S3Store:
    """An :class:`S3Store` on a boto3 client for ``conn`` (``config.CONNECTION_KEYS``); each request is
    tried ``max_attempts`` times (botocore's standard retries) before it fails.

    :raises ConfigError: boto3 is missing, the profile is unknown, or
        ``aws_config`` holds a field botocore does not know.
    """
    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError
    except ImportError:
        raise ConfigError("the Python package boto3 is required by s32s-watch on this host") from None
    params = {"addressing_style": conn.get("addressing_style", "auto"), "request_checksum_calculation": "when_required",
              "response_checksum_validation": "when_required", "max_attempts": max_attempts, "concurrency": CONCURRENCY}
    config = client_config(params)
    if conn.get("aws_config"):
        try:
            config = config.merge(Config(**conn["aws_config"]))
        except TypeError as e:
            raise ConfigError(f"connection.aws_config is not a valid botocore Config: {e}") from None
    verify: t.Any = conn.get("aws_ca_bundle") or (conn.get("validate_certs") is not False)

    def client() -> t.Any:
        session = boto3.session.Session(
            aws_access_key_id=conn.get("access_key"), aws_secret_access_key=conn.get("secret_key"),
            aws_session_token=conn.get("session_token"), profile_name=conn.get("profile"),
            region_name=conn.get("region"))
        return session.client("s3", endpoint_url=conn.get("endpoint_url"), verify=verify, config=config)

    try:
        return S3Store(client(), client_factory=client)
    except BotoCoreError as e:  # an unknown profile, a bad region name...
        raise ConfigError(f"cannot make the S3 client: {e}") from None


__all__ = ["make_store", "CONCURRENCY"]
