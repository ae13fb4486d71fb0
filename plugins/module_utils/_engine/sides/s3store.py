# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3 requests of the engine, with botocore errors turned into :class:`StoreError`.

**PRIVATE**: this module is internal to the s32s.sync collection.

The client is a boto3 S3 client made by the caller (the module makes it with
``AnsibleAWSModule.client``, retries with backoff on throttling and 5xx
configured in its ``botocore.config.Config``). :class:`S3Store` is the
transport of one client, shared by every S3 side (``s3.py``) made on it;
``crt.py`` sends the small objects it hands to awscrt when the caller gives
it a :class:`CrtTransfers`, and ``s3copy.py`` copies between stores.
"""

from __future__ import annotations

import email.utils
import hashlib
import typing as t
from sys import intern

try:
    from boto3.exceptions import S3UploadFailedError
    from boto3.s3.transfer import TransferConfig
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - checked by the module (AnsibleAWSModule)
    BotoCoreError = ClientError = S3UploadFailedError = Exception  # type: ignore[misc,assignment]

from .crt import CrtRequestError, CrtTransfers
from ..errors import StoreError
from .etag import MULTIPART_THRESHOLD, etag_is_content_md5, normalize_etag, part_size_for
from ..config.attributes import AttributeSet
from ..config.content_types import content_type_of
from ..config.ignore import IgnoreRules
from ..config.maps import S3Location
from . import s3hooks
from .s3parse import use_fast_parsing
from ..paths import key_for, unsafe_reason
from .deletion import DeleteOutcome
from .modes import mode_from_headers, mode_from_metadata
from .multipart import multipart
from .resumable import Ledger, resumable_upload
from .tree import Entry, Tree

#: Bytes read from a GetObject body at a time.
READ_CHUNK = 1024 * 1024
#: DeleteObjects takes at most 1,000 keys (S3 API reference).
DELETE_BATCH = 1000


#: A requester-pays bucket answers 403 AccessDenied to a request without the header (S3 user guide,
#: "Using Requester Pays buckets"); the hint names the option that sends it.
_PAYER_HINT = "; for a requester-pays bucket set request_payer: requester"
#: S3's message for a GET of an SSE-C object without the customer key (400 InvalidRequest).
_SSE_C_MARK = "Server Side Encryption"
#: The code of that refusal: not retried, its message says why.
SSE_C_REFUSED = "SSECustomerKeyRequired"
_HINTS = {"NoSuchBucket": "the bucket does not exist", "404": "not found",
          "AccessDenied": "access denied (check the credentials and policies" + _PAYER_HINT + ")",
          "403": "access denied (check the credentials" + _PAYER_HINT + ")",
          SSE_C_REFUSED: "the object is encrypted with a customer-provided key (SSE-C), which this product does "
                         "not send: it cannot be read (use SSE-S3 or SSE-KMS for objects it syncs)",
          "InvalidAccessKeyId": "the access key is not known to the server",
          "SignatureDoesNotMatch": "the secret key is wrong"}


def store_error(e: Exception, action: str, bucket: str, key: str = "") -> StoreError:
    """Turn a botocore (or :class:`CrtRequestError`) exception into a one-line :class:`StoreError`.

    The message names the action, ``s3://bucket/key`` and the S3 error code;
    it never holds credentials (botocore messages do not).
    """
    where = f"s3://{bucket}/{key}"
    if isinstance(e, ClientError):
        err = e.response.get("Error", {})
        code = str(err.get("Code") or e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        message = err.get("Message")
    elif isinstance(e, CrtRequestError):
        code, message = e.code, e.message
    else:
        return StoreError(f"{action} {where} failed: {type(e).__name__}: {e}", code=type(e).__name__)
    return coded_error(action, bucket, key, code, message)


def coded_error(action: str, bucket: str, key: str, code: str, message: t.Optional[str]) -> StoreError:
    """The :class:`StoreError` of an S3 error ``code`` (with a hint for the common ones).

    S3's refusal to read an SSE-C object without its key (400 ``InvalidRequest``
    naming Server Side Encryption) gets the code :data:`SSE_C_REFUSED`.
    """
    if code in ("InvalidRequest", "400") and _SSE_C_MARK.lower() in (message or "").lower():
        code = SSE_C_REFUSED
    return StoreError(f"{action} s3://{bucket}/{key} failed: {code}: {_HINTS.get(code) or message or code}",
                      code=code)


def http_date(value: t.Optional[str]) -> t.Optional[float]:
    """Seconds since the epoch of an HTTP ``Date`` header (the server's clock), or ``None``."""
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def object_mtime_ns(obj: t.Mapping[str, t.Any]) -> int:
    """LastModified of a listed object in ns since the epoch (``0`` when absent)."""
    lm = obj.get("LastModified")
    return int(lm.timestamp() * 1_000_000_000) if lm is not None else 0


class S3Store:
    """The S3 side of the engine for one client.

    :param client: a boto3 S3 client.
    :param transfer_config: an ``s3transfer``/boto3 ``TransferConfig`` for
        multipart uploads (``None``: this product's part-size policy).
    :param client_factory: makes a new, equivalent client; forked transfer
        processes call it first (a client must not cross a fork). ``None``:
        transfers of this store never fork (``jobs/pools.py``).
    :param crt: sends objects below ``MULTIPART_THRESHOLD`` (one request
        each) through awscrt instead of botocore (``crt.py``); ``None``:
        botocore for everything.
    :param request_payer: ``requester``: every request says the requester
        pays (requester-pays buckets); ``''``: not sent.

    Every client it is given (also a renewed one) gets the handlers of
    ``s3hooks.py`` (Content-MD5 and ETag check on PutObject/UploadPart, the
    requester-pays header) and the fast listing parser of ``s3parse.py``.
    """

    def __init__(self, client: t.Any, transfer_config: t.Any = None,
                 client_factory: t.Optional[t.Callable[[], t.Any]] = None,
                 crt: t.Optional[CrtTransfers] = None, request_payer: str = "") -> None:
        self.request_payer = request_payer
        self.client = client
        self.transfer_config = transfer_config
        self.client_factory = client_factory
        self.crt = crt
        #: The ``Date`` header of the last listing page: the server's clock (``''``: unknown).
        self.server_date = ""

    @property
    def client(self) -> t.Any:
        """The boto3 S3 client (setting one installs this product's handlers on it)."""
        return self._client

    @client.setter
    def client(self, client: t.Any) -> None:
        use_fast_parsing(client)
        s3hooks.install(client, self.request_payer)
        self._client = client

    # -- listing -----------------------------------------------------------
    def list_tree(self, location: S3Location, ignore: IgnoreRules) -> Tree:
        """List ``prefix/`` with ListObjectsV2 (1,000 keys a page) into a :class:`Tree`.

        ``dir/`` markers (and a 0-byte key ``a`` that has keys below it, as
        rclone lists markers) become ``dirs``; a non-empty key ``a`` beside
        keys ``a/...`` is rejected as a file/directory clash; unsafe keys are
        rejected; ignored keys are counted and left out.

        :raises StoreError: the request failed, or a page said it was
            truncated without a continuation token (a listing cut short).
        """
        tree = Tree()
        bucket, list_prefix = location.bucket, location.list_prefix
        kwargs: dict[str, t.Any] = {"Bucket": bucket, "Prefix": list_prefix}
        while True:
            try:
                page = self.client.list_objects_v2(**kwargs)
            except (BotoCoreError, ClientError) as e:
                raise store_error(e, "listing", bucket, list_prefix) from None
            self.server_date = page.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date") or ""
            for obj in page.get("Contents", ()):
                key = obj["Key"]
                if not key.startswith(list_prefix):
                    raise StoreError(f"listing s3://{bucket}/{list_prefix} returned a key outside it: {key!r}",
                                     code="BadListing")
                relpath = key[len(list_prefix):]
                if relpath.endswith("/") and obj.get("Size", 0) == 0 and not unsafe_reason(relpath[:-1]):
                    if not ignore.matches(relpath[:-1]):
                        tree.dirs.add(relpath[:-1])
                        tree.markers.add(relpath[:-1])
                    continue
                reason = unsafe_reason(relpath)
                if reason:
                    tree.rejected.append((relpath, f"unsafe key {key!r}: {reason}"))
                    continue
                if ignore.matches(relpath):
                    tree.ignored += 1
                    continue
                relpath = intern(relpath)  # one string per path for both trees and the manifest (bench/memory.py)
                tree.entries[relpath] = Entry(relpath, int(obj.get("Size", 0)), object_mtime_ns(obj),
                                              intern(normalize_etag(obj.get("ETag"))))
            if not page.get("IsTruncated"):
                break
            token = page.get("NextContinuationToken")
            if not token:
                raise StoreError(f"listing s3://{bucket}/{list_prefix} was cut short (truncated, no continuation token)",
                                 code="TruncatedListing")
            kwargs["ContinuationToken"] = token
        self._resolve_clashes(tree, location)
        return tree

    @staticmethod
    def _resolve_clashes(tree: Tree, location: S3Location) -> None:
        parents: set[str] = set()
        for relpath in list(tree.entries) + list(tree.dirs):
            pos = relpath.find("/")
            while pos != -1:
                parents.add(relpath[:pos])
                pos = relpath.find("/", pos + 1)
        tree.dirs |= parents
        for relpath in sorted(parents & set(tree.entries)):
            entry = tree.entries.pop(relpath)
            if entry.size == 0:
                continue  # a directory marker listed without its '/' (rclone)
            tree.rejected.append((relpath, f"file/directory clash: {key_for(location.prefix, relpath)!r} is an "
                                           f"object and also a prefix of other keys"))

    def list_one(self, bucket: str, key: str) -> t.Optional[Entry]:
        """The listing entry of exactly ``key`` (one ListObjectsV2 with ``Prefix=key,
        MaxKeys=1``, so that the ETag has the form of a full listing), or ``None``.
        The entry's relpath is the key.

        :raises StoreError: the request failed.
        """
        try:
            page = self.client.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
        except (BotoCoreError, ClientError) as e:
            raise store_error(e, "listing", bucket, key) from None
        for obj in page.get("Contents", ()):
            if obj["Key"] == key:
                return Entry(key, int(obj.get("Size", 0)), object_mtime_ns(obj), normalize_etag(obj.get("ETag")))
        return None

    def list_keys(self, bucket: str, list_prefix: str) -> list[str]:
        """Return the keys directly under ``list_prefix`` (Delimiter ``/``), sorted.

        :raises StoreError: the request failed.
        """
        keys: list[str] = []
        kwargs: dict[str, t.Any] = {"Bucket": bucket, "Prefix": list_prefix, "Delimiter": "/"}
        while True:
            try:
                page = self.client.list_objects_v2(**kwargs)
            except (BotoCoreError, ClientError) as e:
                raise store_error(e, "listing", bucket, list_prefix) from None
            keys.extend(obj["Key"] for obj in page.get("Contents", ()))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                break
            kwargs["ContinuationToken"] = token
        return sorted(keys)

    # -- reading -----------------------------------------------------------
    def get_bytes(self, bucket: str, key: str, limit: int = 16 * 1024 * 1024) -> bytes:
        """Return the content of a small object (a map file), at most ``limit`` bytes.

        :raises StoreError: the request failed or the object is larger than ``limit``.
        """
        try:
            resp = self.client.get_object(Bucket=bucket, Key=key)
            body = resp["Body"]
            data = body.read(limit + 1)
            body.close()
        except (BotoCoreError, ClientError) as e:
            raise store_error(e, "reading", bucket, key) from None
        if len(data) > limit:
            raise StoreError(f"s3://{bucket}/{key} is larger than {limit} bytes", code="TooLarge")
        return data

    def download(self, bucket: str, key: str, fileobj: t.BinaryIO, size: int = -1,
                 found: t.Optional[dict[str, t.Any]] = None) -> tuple[int, str]:
        """Stream an object into ``fileobj`` with bounded memory (``READ_CHUNK`` bytes).

        :param size: the listed size in bytes; below ``MULTIPART_THRESHOLD``
            the GET goes through awscrt when the store has a ``crt``.
        :param found: receives ``"mode"``: the permission bits the object's
            metadata carries (``modes.mode_from_metadata``; ``modes.NONE``: none).
        :returns: ``(bytes written, MD5 hex of what was written)``; the MD5 is
            ``''`` when the answer says the object's ETag is no MD5 of its
            content (SSE-KMS, DSSE-KMS, SSE-C: ``etag.etag_is_content_md5``),
            so that nobody compares them (issue 15 point 7).
        :raises StoreError: the request or the body read failed.
        """
        found = {} if found is None else found
        if self.crt is not None and 0 <= size < MULTIPART_THRESHOLD:
            headers: dict[str, str] = {}
            try:
                written, digest = self.crt.get(bucket, key, fileobj, size, headers)
            except CrtRequestError as e:
                raise store_error(e, "downloading", bucket, key) from None
            plain = etag_is_content_md5(headers.get("x-amz-server-side-encryption"),
                                        headers.get("x-amz-server-side-encryption-customer-algorithm"))
            found["mode"] = mode_from_headers(headers)
            return written, digest if plain else ""
        md5 = hashlib.md5(usedforsecurity=False)
        written = 0
        try:
            resp = self.client.get_object(Bucket=bucket, Key=key)
            plain = etag_is_content_md5(resp.get("ServerSideEncryption"), resp.get("SSECustomerAlgorithm"))
            found["mode"] = mode_from_metadata(resp.get("Metadata"))
            body = resp["Body"]
            try:
                for chunk in body.iter_chunks(READ_CHUNK):
                    fileobj.write(chunk)
                    md5.update(chunk)
                    written += len(chunk)
            finally:
                body.close()
        except (BotoCoreError, ClientError) as e:
            raise store_error(e, "downloading", bucket, key) from None
        return written, md5.hexdigest() if plain else ""

    # -- writing -----------------------------------------------------------
    def upload(self, bucket: str, key: str, path: str, size: int,
               condition: t.Optional[t.Mapping[str, str]] = None,
               attrs: t.Optional[AttributeSet] = None,
               resume: t.Optional[tuple[Ledger, str]] = None) -> t.Optional[str]:
        """Upload the local file ``path`` of ``size`` bytes to ``key``.

        Below ``MULTIPART_THRESHOLD`` one PutObject (botocore retries it; the
        body is a seekable file; with a ``crt``, awscrt sends the bytes read
        once, with their ``Content-MD5``); above, s3transfer's multipart
        upload in parts of ``part_size_for(size)`` bytes, with bounded memory.
        Every PutObject and UploadPart carries ``Content-MD5`` and its answer's
        ETag is compared with it where it is an MD5 (``s3hooks.py``, ``crt.py``).
        Every path carries ``attrs`` (``config/attributes.py``; ``None``: the
        Content-Type table's type and encoding of ``key``, never the host's
        ``mimetypes``): headers on PutObject, on the awscrt request and on
        CreateMultipartUpload.

        ``condition`` (``{"IfMatch": '"<etag>"'}`` or ``{"IfNoneMatch": "*"}``,
        two-way sync under a lease) makes the upload conditional: a single
        PutObject through botocore, or a multipart upload of our own (parts one
        after the other, the condition on CompleteMultipartUpload; s3transfer
        does not pass it); a store that refuses it answers 412
        (``StoreError`` code ``PreconditionFailed``).

        ``resume`` (``(ledger, relpath)``: a ``state.parts.PartLedger`` and the
        file's path relative to its root) makes a multipart upload resumable
        (``resumable.py``): parts ``PART_WORKERS`` at a time with their
        ``Content-MD5``, recorded in the ledger, continued by the next upload of
        the same file identity after a crash or a kill; with a ``condition``
        too, the condition goes on CompleteMultipartUpload. A file that changed
        while it was sent raises ``resumable.FileChanged`` (an ``OSError``; the
        upload is aborted, the object not replaced).

        :returns: the normalised ETag when the server returned one, else ``None``.
        :raises StoreError: the request failed.
        :raises OSError: the local file cannot be read.
        """
        if attrs is None:
            attrs = AttributeSet(*content_type_of(key))
        args = attrs.put_args()
        try:
            if size < MULTIPART_THRESHOLD and self.crt is not None and not condition:
                with open(path, "rb") as f:
                    data = f.read(MULTIPART_THRESHOLD)
                if len(data) != size:
                    raise OSError(f"{path} changed size while being read ({size} -> {len(data)} bytes)")
                return normalize_etag(self.crt.put(bucket, key, data, args, attrs.headers())) or None
            if size < MULTIPART_THRESHOLD:
                with open(path, "rb") as f:
                    resp = self.client.put_object(Bucket=bucket, Key=key, Body=f, ContentLength=size,
                                                  **args, **(condition or {}))
                return normalize_etag(resp.get("ETag")) or None
            part = part_size_for(size)
            if resume is not None:
                ledger, relpath = resume
                return resumable_upload(self.client, bucket, key, path, relpath, part,
                                        args, ledger, condition=condition)
            if condition:
                return self._conditional_multipart(bucket, key, path, size, part, args, condition)
            config = self.transfer_config or TransferConfig(multipart_threshold=MULTIPART_THRESHOLD,
                                                            multipart_chunksize=part, max_concurrency=4)
            self.client.upload_file(path, bucket, key, ExtraArgs=args, Config=config)
            return None
        except (BotoCoreError, ClientError, CrtRequestError) as e:
            raise store_error(e, "uploading to", bucket, key) from None
        except S3UploadFailedError as e:  # s3transfer's wrapper of a failed multipart upload
            raise StoreError(f"uploading to s3://{bucket}/{key} failed: {e}", code="UploadFailed") from None

    def _conditional_multipart(self, bucket: str, key: str, path: str, size: int, part: int,
                               args: t.Mapping[str, t.Any], condition: t.Mapping[str, str]) -> str:
        with open(path, "rb") as f:
            def uploader(start: int) -> t.Callable[[str, int], dict[str, t.Any]]:
                def make(upload_id: str, number: int) -> dict[str, t.Any]:
                    f.seek(start)
                    data = f.read(min(part, size - start))
                    resp = self.client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                                   Body=data)
                    return {"ETag": resp["ETag"]}
                return make

            return multipart(self.client, bucket, key, dict(args),
                             (uploader(s) for s in range(0, size, part)), condition)

    def head_mode(self, bucket: str, key: str) -> tuple[int, Entry]:
        """One HeadObject: the permission bits the object's metadata carries
        (``modes.NONE``: none) and its entry (relpath: the key; size, LastModified, ETag).

        :raises StoreError: the request failed (``404``: the object is gone).
        """
        try:
            resp = self.client.head_object(Bucket=bucket, Key=key)
        except (BotoCoreError, ClientError) as e:
            raise store_error(e, "reading the metadata of", bucket, key) from None
        entry = Entry(key, int(resp.get("ContentLength", 0)), object_mtime_ns(resp), normalize_etag(resp.get("ETag")))
        return mode_from_metadata(resp.get("Metadata")), entry

    def delete_keys(self, bucket: str, keys: t.Sequence[str]) -> DeleteOutcome:
        """Delete ``keys`` in order with DeleteObjects, ``DELETE_BATCH`` keys a request.

        A request refused as a whole fails every key of its batch with the
        server's code; keys the server lists in ``Errors`` fail with theirs.
        After a batch with any failure no further batch is sent: its keys are
        ``not_attempted``. Never raises for S3 errors.

        :returns: a :class:`DeleteOutcome` whose paths are the keys.
        """
        outcome = DeleteOutcome()
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start:start + DELETE_BATCH]
            try:
                resp = self.client.delete_objects(
                    Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
            except (BotoCoreError, ClientError) as e:
                outcome.failed.extend((k, store_error(e, "deleting from", bucket, k).msg) for k in batch)
                return outcome.stop_after(keys[start + len(batch):])
            errors = {}
            for err in resp.get("Errors", ()):
                key = err.get("Key", "?")
                errors[key] = coded_error("deleting from", bucket, key, str(err.get("Code") or "InternalError"),
                                          err.get("Message")).msg
            outcome.deleted.extend(k for k in batch if k not in errors)
            outcome.failed.extend((k, errors[k]) for k in batch if k in errors)
            if errors:  # (an error naming a key not in the batch still stops the deletions)
                return outcome.stop_after(keys[start + len(batch):])
        return outcome


__all__ = ["S3Store", "store_error", "coded_error", "object_mtime_ns", "READ_CHUNK", "DELETE_BATCH", "SSE_C_REFUSED"]
