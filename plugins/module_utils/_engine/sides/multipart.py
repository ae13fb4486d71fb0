# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A multipart upload run part by part: for copies between stores (``s3copy.py``)
and for conditional uploads (``s3store.py``), where s3transfer does not fit.

**PRIVATE**: this module is internal to the s32s.sync collection.
"""

from __future__ import annotations

import typing as t

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - checked by the module
    BotoCoreError = ClientError = Exception  # type: ignore[misc,assignment]

from .etag import normalize_etag


def multipart(client: t.Any, bucket: str, key: str, headers: dict[str, t.Any],
              parts: t.Iterator[t.Callable[[str, int], dict[str, t.Any]]],
              condition: t.Optional[t.Mapping[str, str]] = None) -> str:
    """Run a multipart upload whose parts are made by the callables of ``parts``
    (each gets the upload id and the part number and returns the part's ETag
    dict); abort it on any failure. ``condition`` (``IfMatch``/``IfNoneMatch``)
    goes on CompleteMultipartUpload. Returns the ETag."""
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key, **headers)["UploadId"]
    try:
        done = []
        for number, make_part in enumerate(parts, start=1):
            done.append({"PartNumber": number, **make_part(upload_id, number)})
        resp = client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                                MultipartUpload={"Parts": done}, **(condition or {}))
        return normalize_etag(resp.get("ETag"))
    except BaseException:
        try:
            client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except (BotoCoreError, ClientError):
            pass
        raise


__all__ = ["multipart"]
