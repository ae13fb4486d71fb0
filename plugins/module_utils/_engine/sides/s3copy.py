# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copying one object between two S3 locations (replication).

**PRIVATE**: this module is internal to the s32s.sync collection.

Server-side when both sides are the same endpoint with the same credentials:
CopyObject up to ``SERVER_COPY_LIMIT`` bytes (5 GiB, the CopyObject limit in
the S3 API reference), UploadPartCopy above; no object byte crosses the
client. Otherwise streamed through this host with bounded memory: objects
below ``MULTIPART_THRESHOLD`` in one PutObject (at most that many bytes in
memory per worker), larger ones in parts of ``part_size_for(size)`` bytes,
read from the GetObject body one part at a time (no temporary file).
Content-Type, Cache-Control, Content-Encoding, Content-Disposition,
Content-Language and user metadata are carried over.
"""

from __future__ import annotations

import hashlib
import typing as t

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - checked by the module (AnsibleAWSModule)
    BotoCoreError = ClientError = Exception  # type: ignore[misc,assignment]

from ..errors import StoreError
from .etag import MULTIPART_THRESHOLD, is_md5_etag, normalize_etag, part_size_for
from .multipart import multipart
from .s3store import store_error

#: Largest object CopyObject can copy in one request (bytes).
SERVER_COPY_LIMIT = 5 * 1024 ** 3
#: Headers carried from the source object to its copy (GetObject/HeadObject names).
CARRIED = ("ContentType", "CacheControl", "ContentEncoding", "ContentDisposition", "ContentLanguage", "Metadata")


def carried_headers(resp: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The headers of a GetObject/HeadObject response to set on the copy."""
    return {k: resp[k] for k in CARRIED if resp.get(k)}


def server_side_copy(client: t.Any, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str, size: int,
                     limit: int = SERVER_COPY_LIMIT, replace: t.Optional[t.Mapping[str, t.Any]] = None) -> str:
    """Copy ``src_key`` to ``dst_key`` inside one store; no body crosses the client.

    :param size: the source size in bytes (from the listing).
    :param limit: above this many bytes, UploadPartCopy in parts of ``part_size_for(size)``.
    :param replace: the attributes of the copy (PutObject names: ``ContentType``,
        ``Metadata``...), sent with ``MetadataDirective=REPLACE`` (a copy onto
        itself that fixes an object's attributes); ``None``: those of the source.
    :returns: the normalised ETag of the copy.
    :raises StoreError: a request failed.
    """
    source = {"Bucket": src_bucket, "Key": src_key}
    try:
        if size <= limit:
            directive = ({"MetadataDirective": "COPY"} if replace is None
                         else {"MetadataDirective": "REPLACE", **replace})
            resp = client.copy_object(CopySource=source, Bucket=dst_bucket, Key=dst_key, **directive)
            return normalize_etag(resp.get("CopyObjectResult", {}).get("ETag"))
        headers = carried_headers(client.head_object(**source)) if replace is None else dict(replace)
        part = part_size_for(size)

        def copier(start: int) -> t.Callable[[str, int], dict[str, t.Any]]:
            def make(upload_id: str, number: int) -> dict[str, t.Any]:
                end = min(start + part, size) - 1
                resp = client.upload_part_copy(Bucket=dst_bucket, Key=dst_key, UploadId=upload_id, PartNumber=number,
                                               CopySource=source, CopySourceRange=f"bytes={start}-{end}")
                return {"ETag": resp["CopyPartResult"]["ETag"]}
            return make

        return multipart(client, dst_bucket, dst_key, headers, (copier(s) for s in range(0, size, part)))
    except (BotoCoreError, ClientError) as e:
        raise store_error(e, "copying to", dst_bucket, dst_key) from None


def stream_copy(src_client: t.Any, src_bucket: str, src_key: str, dst_client: t.Any, dst_bucket: str,
                dst_key: str, size: int, src_etag: str = "") -> str:
    """Copy an object between two stores through this host, with bounded memory.

    The bytes read are counted and, where ``src_etag`` is an MD5, hashed and
    checked before the copy is completed (a mismatch aborts it).

    :param size: the source size in bytes (from the listing).
    :returns: the normalised ETag of the copy.
    :raises StoreError: a request failed, or the bytes read do not match the listing.
    """
    try:
        resp = src_client.get_object(Bucket=src_bucket, Key=src_key)
    except (BotoCoreError, ClientError) as e:
        raise store_error(e, "reading", src_bucket, src_key) from None
    body = resp["Body"]
    headers = carried_headers(resp)
    md5 = hashlib.md5(usedforsecurity=False)
    state = {"read": 0}

    def read(n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = body.read(min(left, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        md5.update(data)
        state["read"] += len(data)
        return data

    def check() -> None:
        if state["read"] != size:
            raise StoreError(f"reading s3://{src_bucket}/{src_key}: got {state['read']} bytes, listed {size}",
                             code="SizeMismatch")
        if is_md5_etag(src_etag) and md5.hexdigest() != src_etag:
            raise StoreError(f"reading s3://{src_bucket}/{src_key}: MD5 differs from ETag {src_etag}",
                             code="BadDigest")

    try:
        try:
            if size < MULTIPART_THRESHOLD:
                data = read(size)
                if body.read(1):
                    state["read"] += 1
                check()
                resp = dst_client.put_object(Bucket=dst_bucket, Key=dst_key, Body=data, **headers)
                return normalize_etag(resp.get("ETag"))
            part = part_size_for(size)

            def uploader(last: bool) -> t.Callable[[str, int], dict[str, t.Any]]:
                def make(upload_id: str, number: int) -> dict[str, t.Any]:
                    data = read(part)
                    if last:
                        check()
                    resp = dst_client.upload_part(Bucket=dst_bucket, Key=dst_key, UploadId=upload_id,
                                                  PartNumber=number, Body=data)
                    return {"ETag": resp["ETag"]}
                return make

            count = (size + part - 1) // part
            return multipart(dst_client, dst_bucket, dst_key, headers, (uploader(i == count - 1) for i in range(count)))
        finally:
            body.close()
    except (BotoCoreError, ClientError) as e:
        raise store_error(e, "copying to", dst_bucket, dst_key) from None


__all__ = ["server_side_copy", "stream_copy", "carried_headers", "SERVER_COPY_LIMIT"]
