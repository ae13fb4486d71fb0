# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The botocore configuration of the engine's S3 clients (the modules' and the watch service's).

**PRIVATE**: this module is internal to the s32s.sync collection.
"""

from __future__ import annotations

import typing as t

try:
    from botocore.config import Config
except ImportError:  # pragma: no cover - the caller reports the missing SDK
    Config = None  # type: ignore[assignment,misc]

from ..errors import ConfigError


def client_config(params: t.Mapping[str, t.Any]) -> t.Any:
    """The ``botocore.config.Config`` of the S3 client: path-style choice,
    checksum settings (boto3 >= 1.36 sends new checksum headers that some
    S3-compatible stores reject: ``when_required`` is the default here),
    ``standard`` retries with backoff on throttling and 5xx (``max_attempts``
    attempts), a connection pool sized for ``concurrency`` workers, and
    SigV4 named explicitly (so that presigned requests use it too).

    :param params: ``addressing_style``, ``request_checksum_calculation``,
        ``response_checksum_validation``, ``max_attempts``, ``concurrency``.
    :raises ConfigError: botocore is older than 1.36.
    """
    try:
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
    except TypeError:  # botocore < 1.36 does not know the checksum settings
        import botocore
        raise ConfigError(f"botocore >= 1.36 is required on this host, found {botocore.__version__}") from None


__all__ = ["client_config"]
