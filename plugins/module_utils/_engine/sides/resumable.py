# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resumable multipart uploads: what survives a crash, a kill or a reboot.

**PRIVATE**: this module is internal to the s32s.sync collection.

No common tool resumes a multipart upload (s3transfer and aws-cli abort on
failure and leave orphans after a kill; DESIGN, issue 13 point 4). Here each
upload is written to a *ledger* (``state/parts.py``: one JSON file per
destination key in the state directory) as soon as its UploadId exists, keyed
by the file's identity (:class:`FileIdentity`: relpath, size, mtime_ns,
ctime_ns, inode, device) and the part size. The next upload of the same key:

* same identity and part size: ListParts (the server is the truth) gives the
  parts already there; each is kept only when its size and ETag equal the MD5
  of the local bytes of that part, every other part is sent (with its
  ``Content-MD5``), so a resumed upload sends only what is missing;
* another identity or part size (the file changed): the stale upload is
  aborted (AbortMultipartUpload) and a new one starts;
* the upload is gone on the server (completed, aborted, expired, or a server
  that forgets uploads on restart or on a failed part, as ``rclone serve s3``
  does): a new one starts.

Before CompleteMultipartUpload the file is stat'ed again: when it changed
while it was sent, the upload is aborted and :class:`FileChanged` is raised
(the object is not replaced). A failure of any other kind leaves the upload
open and in the ledger, for the next run to resume; the orphan sweep
(``orphans.py``) aborts what is never resumed. When the ledger cannot be
written (an unwritable state directory), a failed upload is aborted at once,
as without a ledger. The part size is the caller's
(``etag.part_size_for``), so the resulting ETag is ``multipart_etag(path,
part_size)``.

The ledger is duck-typed (:class:`Ledger`): ``sides`` does not import
``state``. Any front door that knows a state directory (push, the watcher)
makes a ``state.parts.PartLedger`` and hands it to ``S3Side(ledger=...)``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import typing as t
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - checked by the module
    BotoCoreError = ClientError = Exception  # type: ignore[misc,assignment]

from ..errors import StoreError
from .etag import normalize_etag

#: Parts sent at a time by one upload (memory: this many parts in flight).
PART_WORKERS = 4
#: ListParts returns at most 1,000 parts a page (S3 API reference).
LIST_PARTS_PAGE = 1000


class FileIdentity(t.NamedTuple):
    """Who a local file is: a changed field means other bytes may be there.

    ``size`` in bytes, ``mtime_ns``/``ctime_ns`` in ns since the epoch,
    ``ino``/``dev`` from ``os.stat`` (DESIGN: resumable multipart).
    """

    relpath: str
    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    dev: int

    @classmethod
    def of(cls, path: str, relpath: str) -> "FileIdentity":
        """The identity of ``path`` now. :raises OSError: it cannot be stat'ed."""
        st = os.stat(path)
        return cls(relpath, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)

    def changes(self, other: "FileIdentity") -> list[str]:
        """What differs from ``other`` (``path``, ``size``, ``mtime``, ``ctime``, ``inode``, ``device``)."""
        return [name for name, a, b in zip(_CHANGE_NAMES, self, other) if a != b]


_CHANGE_NAMES = ("path", "size", "mtime", "ctime", "inode", "device")


class UploadRecord(t.NamedTuple):
    """One open upload in the ledger: ``bucket``/``key``/``upload_id`` on the
    server, ``part_size`` (bytes) and ``identity`` of the file being sent from
    ``path`` (absolute), ``started`` (local epoch seconds), ``headers``: the
    digest of the CreateMultipartUpload arguments (:func:`headers_digest`; the
    attributes the object gets are fixed when the upload starts)."""

    bucket: str
    key: str
    upload_id: str
    part_size: int
    identity: FileIdentity
    path: str
    started: float
    headers: str = ""


def headers_digest(headers: t.Mapping[str, t.Any]) -> str:
    """A short digest (16 hex) of CreateMultipartUpload arguments: type, encoding,
    metadata, tags, storage class, SSE. An upload started with other arguments
    cannot be resumed, since Complete would give the object the old ones."""
    blob = json.dumps(dict(headers), sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


class Ledger(t.Protocol):
    """What an upload needs of a ledger (``state.parts.PartLedger`` is one)."""

    def get(self, bucket: str, key: str) -> t.Optional[UploadRecord]:
        """The open upload recorded for ``key``, or ``None``."""

    def put(self, record: UploadRecord) -> None:
        """Record an upload durably (before its first part is sent)."""

    def drop(self, bucket: str, key: str) -> None:
        """Forget the upload of ``key`` (completed or aborted)."""

    def note(self, event: dict[str, t.Any]) -> None:
        """Keep an event (``resumed``/``aborted``) for the run's report."""


class FileChanged(OSError):
    """The file changed while its parts were sent: the upload was aborted and
    the object not replaced. ``changes`` names the fields that differ."""

    def __init__(self, path: str, changes: list[str]) -> None:
        super().__init__(f"{path} changed while it was uploaded ({', '.join(changes)} differ)")
        self.changes = changes


class _UploadGone(Exception):
    """The server no longer knows the upload (NoSuchUpload)."""


class ListedPart(t.NamedTuple):
    """A part the server holds: ``size`` in bytes and its normalised ``etag``."""

    size: int
    etag: str


def part_ranges(size: int, part_size: int) -> list[tuple[int, int, int]]:
    """``[(part number, offset, length)]`` of a ``size``-byte file in ``part_size``-byte parts."""
    return [(i // part_size + 1, i, min(part_size, size - i)) for i in range(0, size, part_size)]


def part_is_kept(listed: t.Optional[ListedPart], length: int, md5_hex: str) -> bool:
    """Whether a listed part can stand for the local part of ``length`` bytes
    whose MD5 is ``md5_hex``: same size and an ETag equal to that MD5 (a part's
    ETag is the MD5 of its bytes; an SSE-KMS part ETag never matches, so it is
    sent again, which costs bytes, never correctness)."""
    return listed is not None and listed.size == length and listed.etag == md5_hex


def stale_reason(record: UploadRecord, identity: FileIdentity, part_size: int, headers: str = "") -> str:
    """Why a recorded upload cannot be resumed for this file now (``''``: it can).

    ``headers``: :func:`headers_digest` of the arguments this upload would start with."""
    if record.part_size != part_size:
        return f"the part size changed ({record.part_size} -> {part_size} bytes)"
    if record.headers != headers:
        return "the object's attributes changed (type, metadata, tags, storage class or SSE)"
    changes = record.identity.changes(identity)
    return f"the file changed ({', '.join(changes)})" if changes else ""


def _code(e: Exception) -> str:
    if isinstance(e, ClientError):
        return str(e.response.get("Error", {}).get("Code") or "")
    return ""


def abort_upload(client: t.Any, bucket: str, key: str, upload_id: str) -> bool:
    """AbortMultipartUpload; ``False`` when the server no longer knows it (NoSuchUpload).

    :raises StoreError: any other failure.
    """
    try:
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        return True
    except (BotoCoreError, ClientError) as e:
        if _code(e) in ("NoSuchUpload", "404"):
            return False
        raise StoreError(f"aborting the multipart upload of s3://{bucket}/{key} failed: {e}",
                         code=_code(e) or type(e).__name__) from None


def _changes_since(identity: FileIdentity, path: str, relpath: str) -> list[str]:
    """What changed in the file since ``identity`` was taken (``['path']`` when it is gone)."""
    try:
        return identity.changes(FileIdentity.of(path, relpath))
    except OSError:
        return ["path"]


def _abort_quietly(client: t.Any, bucket: str, key: str, upload_id: str) -> None:
    """Abort after a failure, keeping that failure's error (the sweep retries a failed abort)."""
    try:
        abort_upload(client, bucket, key, upload_id)
    except StoreError:
        pass


def list_parts(client: t.Any, bucket: str, key: str, upload_id: str) -> dict[int, ListedPart]:
    """Every part of an upload (ListParts, paginated): part number -> :class:`ListedPart`.

    :raises _UploadGone: NoSuchUpload. :raises ClientError, BotoCoreError: other failures.
    """
    parts: dict[int, ListedPart] = {}
    kwargs: dict[str, t.Any] = {"Bucket": bucket, "Key": key, "UploadId": upload_id, "MaxParts": LIST_PARTS_PAGE}
    while True:
        try:
            page = client.list_parts(**kwargs)
        except ClientError as e:
            if _code(e) in ("NoSuchUpload", "404"):
                raise _UploadGone() from None
            raise
        for p in page.get("Parts", ()):
            parts[int(p["PartNumber"])] = ListedPart(int(p.get("Size", -1)), normalize_etag(p.get("ETag")))
        marker = page.get("NextPartNumberMarker")
        if not page.get("IsTruncated") or not marker:
            return parts
        kwargs["PartNumberMarker"] = marker


def resumable_upload(client: t.Any, bucket: str, key: str, path: str, relpath: str, part_size: int,
                     headers: t.Mapping[str, t.Any], ledger: Ledger, *, workers: int = PART_WORKERS,
                     condition: t.Optional[t.Mapping[str, str]] = None) -> t.Optional[str]:
    """Upload ``path`` to ``key`` in ``part_size``-byte parts, resuming the
    upload the ledger holds for the same file identity (see the module doc).

    :param headers: CreateMultipartUpload arguments (``AttributeSet.put_args()``:
        ``ContentType``, ``Metadata``, ``ServerSideEncryption``, ...).
    :param condition: ``IfMatch``/``IfNoneMatch`` on CompleteMultipartUpload.
    :returns: the multipart ETag (``md5(part md5s)-N``) of what was sent,
        equal to ``multipart_etag(path, part_size)``; ``None`` with SSE-KMS,
        whose ETag is not that (the caller reads the stored one back).
    :raises FileChanged: the file changed while it was sent (upload aborted).
    :raises StoreError: the server refused; the upload is left open in the
        ledger (a 412 on Complete aborts it: a two-way race is lost).
    :raises OSError: the file cannot be read.
    """
    for attempt in range(2):
        try:
            return _upload_once(client, bucket, key, path, relpath, part_size, headers, ledger, workers, condition)
        except _UploadGone:
            ledger.drop(bucket, key)
            if attempt:
                raise StoreError(f"uploading to s3://{bucket}/{key} failed: the server forgot the multipart "
                                 f"upload twice (NoSuchUpload)", code="NoSuchUpload") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _upload_once(client: t.Any, bucket: str, key: str, path: str, relpath: str, part_size: int,
                 headers: t.Mapping[str, t.Any], ledger: Ledger, workers: int,
                 condition: t.Optional[t.Mapping[str, str]]) -> t.Optional[str]:
    identity = FileIdentity.of(path, relpath)
    listed: dict[int, ListedPart] = {}
    record = ledger.get(bucket, key)
    digest = headers_digest(headers)
    if record is not None:
        reason = stale_reason(record, identity, part_size, digest)
        if not reason:
            try:
                listed = list_parts(client, bucket, key, record.upload_id)
            except (BotoCoreError, ClientError) as e:  # e.g. s3:ListMultipartUploadParts denied
                reason = f"its parts cannot be listed ({_code(e) or type(e).__name__})"
        if reason:
            # A failed abort (denied) must not block the file for good: the upload is forgotten
            # here and the sweep's age rule aborts it later (sides/orphans.py).
            _abort_quietly(client, bucket, key, record.upload_id)
            ledger.drop(bucket, key)
            ledger.note({"event": "aborted", "key": key, "upload_id": record.upload_id, "reason": reason})
            record = None
    recorded = True
    if record is None:
        upload_id = client.create_multipart_upload(Bucket=bucket, Key=key, **headers)["UploadId"]
        record = UploadRecord(bucket, key, upload_id, part_size, identity, os.path.abspath(path), time.time(),
                              digest)
        try:
            ledger.put(record)
        except OSError:  # an unwritable state dir: this upload cannot resume, so a failure aborts it
            recorded = False
    ranges = part_ranges(identity.size, part_size)
    try:
        results = _send_parts(client, bucket, key, record.upload_id, path, ranges, listed, workers)
    except BaseException as e:
        if isinstance(e, Exception) and not isinstance(e, FileChanged):
            # A part refused because its bytes no longer matched their Content-MD5 (or our ETag
            # check) is a file being rewritten: the upload cannot be resumed, so abort it now.
            changes = _changes_since(identity, path, relpath)
            if changes:
                _abort_quietly(client, bucket, key, record.upload_id)
                ledger.drop(bucket, key)
                raise FileChanged(path, changes) from None
        if isinstance(e, FileChanged) or not recorded:
            _abort_quietly(client, bucket, key, record.upload_id)
            ledger.drop(bucket, key)
        raise
    changes = _changes_since(identity, path, relpath)  # a file deleted meanwhile: ['path']
    if changes:
        abort_upload(client, bucket, key, record.upload_id)
        ledger.drop(bucket, key)
        raise FileChanged(path, changes)
    parts = [{"PartNumber": n, "ETag": etag} for n, (_digest, etag, _sent) in sorted(results.items())]
    try:
        resp = client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=record.upload_id,
                                                MultipartUpload={"Parts": parts}, **(condition or {}))
    except ClientError as e:
        if _code(e) in ("NoSuchUpload",):
            raise _UploadGone() from None
        if _code(e) in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
            abort_upload(client, bucket, key, record.upload_id)
            ledger.drop(bucket, key)
        raise
    ledger.drop(bucket, key)
    digests = b"".join(results[n][0] for n in sorted(results))
    etag = f"{hashlib.md5(digests, usedforsecurity=False).hexdigest()}-{len(results)}"
    returned = normalize_etag(resp.get("ETag"))
    kms = headers.get("ServerSideEncryption") == "aws:kms"
    if "-" in returned and returned != etag and not kms:
        raise StoreError(f"uploading to s3://{bucket}/{key}: the server's ETag {returned} is not the ETag of the "
                         f"parts sent ({etag})", code="BadDigest")
    sent = sum(1 for _d, _e, s in results.values() if s)
    if listed:
        ledger.note({"event": "resumed", "key": key, "upload_id": record.upload_id,
                     "parts_reused": len(results) - sent, "parts_sent": sent})
    # An SSE-KMS ETag is not the MD5 of the parts (issue 14): the caller reads the stored one back.
    return None if kms else etag


def _send_parts(client: t.Any, bucket: str, key: str, upload_id: str, path: str,
                ranges: list[tuple[int, int, int]], listed: t.Mapping[int, ListedPart],
                workers: int) -> dict[int, tuple[bytes, str, bool]]:
    """Send the parts not already on the server: part number -> (MD5 digest, quoted ETag, sent)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        def one(number: int, offset: int, length: int) -> tuple[int, bytes, str, bool]:
            data = os.pread(fd, length, offset)
            if len(data) != length:
                raise FileChanged(path, ["size"])
            digest = hashlib.md5(data, usedforsecurity=False).digest()
            if part_is_kept(listed.get(number), length, digest.hex()):
                return number, digest, f'"{digest.hex()}"', False
            try:
                resp = client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data,
                                          ContentLength=length, ContentMD5=base64.b64encode(digest).decode("ascii"))
            except ClientError as e:
                if _code(e) == "NoSuchUpload":
                    raise _UploadGone() from None
                raise
            return number, digest, str(resp["ETag"]), True

        out: dict[int, tuple[bytes, str, bool]] = {}
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(ranges)))) as pool:
            futures = [pool.submit(one, *r) for r in ranges]
            done, _pending = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f for f in done if f.exception() is not None]
            if failed:
                for f in futures:
                    f.cancel()
                raise t.cast(BaseException, failed[0].exception())
            for f in futures:
                number, digest, etag, sent = f.result()
                out[number] = (digest, etag, sent)
        return out
    finally:
        os.close(fd)


__all__ = ["FileIdentity", "UploadRecord", "headers_digest", "Ledger", "FileChanged", "ListedPart", "part_ranges", "part_is_kept",
           "stale_reason", "abort_upload", "list_parts", "resumable_upload", "PART_WORKERS"]
