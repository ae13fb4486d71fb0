# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""botocore event handlers this product installs on every S3 client it uses:
integrity of uploads and requester-pays.

**PRIVATE**: this module is internal to the s32s.sync collection.

* **Content-MD5 on every PutObject and UploadPart** (issue 15 point 8). With
  ``request_checksum_calculation: when_required`` (the default, for
  S3-compatible stores) botocore sends no checksum on these; the handler
  computes the MD5 of the body (bytes or a seekable file, read once more and
  rewound) and sends it, so the server refuses bytes damaged on the way
  (``BadDigest``). When botocore applies a flexible checksum itself
  (``when_supported``), that checksum guards the body and no Content-MD5 is
  added. Either way the MD5 is kept and the answer's ETag is compared with it
  where the ETag is an MD5 of the content (:func:`etag.etag_is_content_md5`):
  a store that ignores Content-MD5 is caught too (:class:`ETagMismatch`).
* **Requester-pays** (issue 15 point 12): ``x-amz-request-payer: requester``
  on every request of the client (listings, reads, writes, deletions,
  copies, multipart), signed with it.

Presigned requests (the awscrt path, ``crt.py``) do not pass through these
handlers: that path sends its own Content-MD5 and compares its own ETag, and
is not used with requester-pays (``_glue_client.make_crt``).
"""

from __future__ import annotations

import base64
import hashlib
import typing as t

try:
    from botocore.exceptions import BotoCoreError
except ImportError:  # pragma: no cover - checked by the module (AnsibleAWSModule)
    BotoCoreError = Exception  # type: ignore[misc,assignment]

from .etag import etag_is_content_md5, is_md5_etag, normalize_etag

#: Operations whose body gets a Content-MD5 and whose ETag is checked.
CHECKED_OPERATIONS = ("PutObject", "UploadPart")
#: The request context key holding the MD5 hex of the body sent.
_CONTEXT_KEY = "s32s_md5"
_READ = 1024 * 1024


class ETagMismatch(BotoCoreError):  # type: ignore[misc,valid-type]
    """The server answered a PutObject or UploadPart with an MD5 ETag that is not
    the MD5 of the bytes sent: it stored something else."""

    fmt = "the server stored other bytes than were sent: ETag {etag} differs from the MD5 {md5} of the body"


def body_md5(body: t.Any) -> t.Optional[bytes]:
    """The MD5 digest of a request body: bytes, or a seekable file read from its
    position and rewound to it; ``None`` for a body that cannot be re-read."""
    if body is None:
        return hashlib.md5(b"", usedforsecurity=False).digest()
    if isinstance(body, (bytes, bytearray, memoryview)):
        return hashlib.md5(body, usedforsecurity=False).digest()
    if not (hasattr(body, "seek") and hasattr(body, "tell") and hasattr(body, "read")):
        return None
    start = body.tell()
    md5 = hashlib.md5(usedforsecurity=False)
    for chunk in iter(lambda: body.read(_READ), b""):
        md5.update(chunk)
    body.seek(start)
    return md5.digest()


def add_content_md5(params: dict[str, t.Any], context: dict[str, t.Any], **_kwargs: t.Any) -> None:
    """``before-call`` handler of PutObject and UploadPart: remember the body's MD5
    and send it as ``Content-MD5`` unless a flexible checksum or a Content-MD5 is already there."""
    digest = body_md5(params.get("body"))
    if digest is None:
        return
    context[_CONTEXT_KEY] = digest.hex()
    headers = params.setdefault("headers", {})
    flexible = (params.get("context", {}).get("checksum", {}) or {}).get("request_algorithm")
    if flexible and flexible != "conditional-md5":
        return
    if not any(name.lower() == "content-md5" for name in headers):
        headers["Content-MD5"] = base64.b64encode(digest).decode("ascii")


def check_etag(http_response: t.Any, parsed: t.Mapping[str, t.Any], context: t.Mapping[str, t.Any],
               **_kwargs: t.Any) -> None:
    """``after-call`` handler of PutObject and UploadPart: a successful answer whose
    ETag is an MD5 of the content must be the MD5 of the body sent.

    :raises ETagMismatch: it is not.
    """
    md5 = context.get(_CONTEXT_KEY)
    if not md5 or getattr(http_response, "status_code", 0) >= 300:
        return
    etag = normalize_etag(parsed.get("ETag"))
    if (is_md5_etag(etag) and etag != md5
            and etag_is_content_md5(parsed.get("ServerSideEncryption"), parsed.get("SSECustomerAlgorithm"))):
        raise ETagMismatch(etag=etag, md5=md5)


def request_payer_handler(payer: str) -> t.Callable[..., None]:
    """A ``before-call.s3`` handler sending ``x-amz-request-payer: <payer>`` on every request."""
    def add_request_payer(params: dict[str, t.Any], **_kwargs: t.Any) -> None:
        params.setdefault("headers", {})["x-amz-request-payer"] = payer
    return add_request_payer


def install(client: t.Any, request_payer: str = "") -> None:
    """Install the handlers of this module on ``client`` (a boto3 S3 client), once.

    :param request_payer: ``requester`` for requester-pays buckets, ``''``: none.
    """
    if getattr(client, "_s32s_hooks", False):
        return
    events = getattr(getattr(client, "meta", None), "events", None)
    if events is None:  # a stand-in client of a unit test
        return
    client._s32s_hooks = True  # pylint: disable=protected-access
    for operation in CHECKED_OPERATIONS:
        events.register(f"before-call.s3.{operation}", add_content_md5, unique_id=f"s32s-md5-{operation}")
        events.register(f"after-call.s3.{operation}", check_etag, unique_id=f"s32s-etag-{operation}")
    if request_payer:
        events.register("before-call.s3", request_payer_handler(request_payer), unique_id="s32s-request-payer")


__all__ = ["install", "add_content_md5", "check_etag", "body_md5", "ETagMismatch", "CHECKED_OPERATIONS"]
