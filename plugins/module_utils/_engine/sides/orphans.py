# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The orphan sweep: multipart uploads left open under a map's prefix are aborted.

**PRIVATE**: this module is internal to the s32s.sync collection.

An open upload costs storage and shows in no listing (issue 15 point 10). A
push (or the watcher) calls :func:`sweep_orphans` for each map's prefix,
under the host lock of that prefix, after its transfers:

* an upload of this host's ledger (``state/parts.py``) whose file is gone or
  has another identity now is aborted at once: this host started it, and
  nothing can resume it;
* an upload of the ledger whose file is unchanged is kept (the next upload of
  that file resumes it), unless ``settled`` says its key is already in sync;
* a ledger entry whose upload the server no longer lists is forgotten;
* any other upload under the prefix (another host's, a killed run's before
  its ledger entry was written, another tool's) is aborted only when it is
  older than ``max_age_s`` by **both** clocks: the server's (``Initiated``
  against the listing's ``Date``) and this host's (when the ledger first saw
  it). moto reports a fixed ``Initiated`` of 2010, and clocks drift: the
  second clock means a live upload of another host is never aborted within
  the limit. The default limit (``DEFAULT_ORPHAN_AGE_S``, 24 h) is longer
  than any single upload of this product takes (5 TiB, the S3 maximum, at
  100 MB/s is about 15 h); a bucket lifecycle rule
  ``AbortIncompleteMultipartUpload`` stays the backstop for prefixes that
  no run visits again.

A run lists the open uploads (one ListMultipartUploads per 1,000) only when
:func:`sweep_due`: its ledger holds an upload under the prefix, a foreign
upload it saw may have come of age, or ``SWEEP_INTERVAL_S`` (1 h) passed since
the last listing, so a no-op run stays at the cost of its object listing
(an idle watcher adds one request an hour per prefix).

Only keys under ``prefix/`` are listed and aborted (``Prefix`` on the
request, and every key is checked again): ``pre`` never touches
``prefix/``, nor another bucket (promise 1 of ``docs/safety.md``).
"""

from __future__ import annotations

import time
import typing as t

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - checked by the module
    BotoCoreError = ClientError = Exception  # type: ignore[misc,assignment]

from ..config.maps import S3Location
from ..config.options import DEFAULT_ORPHAN_AGE_S
from ..errors import StoreError
from .resumable import FileIdentity, UploadRecord, abort_upload
from .s3store import http_date


#: Seconds between two listings of a prefix's open uploads when nothing calls for one (see ``sweep_due``).
SWEEP_INTERVAL_S = 3600.0


class OpenUpload(t.NamedTuple):
    """An upload the server lists: ``key``, ``upload_id``, ``initiated`` (epoch seconds, server clock)."""

    key: str
    upload_id: str
    initiated: float


def list_uploads(client: t.Any, location: S3Location) -> tuple[list[OpenUpload], t.Optional[float]]:
    """Every open upload under ``location`` (ListMultipartUploads, paginated) and the
    server's clock (the ``Date`` of the first page, epoch seconds, or ``None``).

    :raises StoreError: a request failed, or the server returned a key outside the prefix.
    """
    bucket, prefix = location.bucket, location.list_prefix
    kwargs: dict[str, t.Any] = {"Bucket": bucket, "Prefix": prefix}
    out: list[OpenUpload] = []
    server_now: t.Optional[float] = None
    while True:
        try:
            page = client.list_multipart_uploads(**kwargs)
        except (BotoCoreError, ClientError) as e:
            if (getattr(e, "response", None) or {}).get("Error", {}).get("Code") == "NoSuchUpload":
                return out, server_now  # rclone serve s3: a bucket that never had an upload
            raise StoreError(f"listing the multipart uploads of {location} failed: {e}",
                             code=type(e).__name__) from None
        if server_now is None:
            server_now = http_date(page.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date"))
        for u in page.get("Uploads", ()):
            key = str(u["Key"])
            if not key.startswith(prefix):
                raise StoreError(f"listing the multipart uploads of {location} returned a key outside it: {key!r}",
                                 code="BadListing")
            initiated = u.get("Initiated")
            out.append(OpenUpload(key, str(u["UploadId"]), initiated.timestamp() if initiated is not None else 0.0))
        key_marker, id_marker = page.get("NextKeyMarker"), page.get("NextUploadIdMarker")
        if not page.get("IsTruncated") or not (key_marker or id_marker):
            return out, server_now
        kwargs.update(KeyMarker=key_marker or "", UploadIdMarker=id_marker or "")


def ledger_verdict(record: UploadRecord, current: t.Optional[FileIdentity], live: bool, settled: bool) -> str:
    """What to do with a ledger entry: ``forget`` (the server no longer has the
    upload), ``abort: <reason>`` or ``keep`` (it will be resumed). Pure."""
    if not live:
        return "forget"
    if current is None:
        return "abort: the file is gone"
    changes = record.identity.changes(current)
    if changes:
        return f"abort: the file changed ({', '.join(changes)})"
    if settled:
        return "abort: the object is already in sync"
    return "keep"


def foreign_is_old(upload: OpenUpload, first_seen: float, now: float, server_now: t.Optional[float],
                   max_age_s: float) -> bool:
    """Whether an upload this host did not start is older than ``max_age_s`` by
    both clocks (see the module doc). Pure."""
    server_age = (server_now if server_now is not None else now) - upload.initiated
    return server_age >= max_age_s and now - first_seen >= max_age_s


def _identity_now(record: UploadRecord) -> t.Optional[FileIdentity]:
    try:
        return FileIdentity.of(record.path, record.identity.relpath)
    except OSError:
        return None


def sweep_due(ledger: t.Any, location: S3Location, now: float, interval_s: float, max_age_s: float) -> bool:
    """Whether a sweep must list the prefix's uploads now: the ledger holds an
    upload under it, a foreign upload seen earlier may have come of age, or
    the last listing is ``interval_s`` old (or there is none). So a no-op run
    costs its listing only, plus one ListMultipartUploads per interval."""
    bucket, prefix = location.bucket, location.list_prefix
    if ledger.records_under(bucket, prefix):
        return True
    if any(first + max_age_s <= now for first in ledger.sightings(bucket, prefix).values()):
        return True
    last = ledger.last_swept(bucket, prefix)
    return last is None or not 0 <= now - last < interval_s


def sweep_orphans(client: t.Any, location: S3Location, ledger: t.Any, max_age_s: float = DEFAULT_ORPHAN_AGE_S,
                  settled: t.Collection[str] = (), now: t.Optional[float] = None,
                  interval_s: float = 0.0) -> list[dict[str, str]]:
    """Abort the open uploads under ``location`` that nothing will complete (module doc).

    :param ledger: a ``state.parts.PartLedger`` (its ``events`` get one ``aborted`` event per abort).
    :param max_age_s: the age limit, seconds, for uploads this host did not start.
    :param settled: keys known to be in sync now (an upload of them is not needed).
    :param now: this host's clock, epoch seconds (tests).
    :param interval_s: list the uploads only when :func:`sweep_due` (``0``: always).
    :returns: the aborted uploads: ``[{"event": "aborted", "key", "upload_id", "reason"}]``.
    :raises StoreError: the listing failed (nothing was aborted) or an abort failed.
    """
    now = time.time() if now is None else now
    bucket, prefix = location.bucket, location.list_prefix
    if interval_s > 0 and not sweep_due(ledger, location, now, interval_s, max_age_s):
        return []
    uploads, server_now = list_uploads(client, location)
    live = {u.upload_id for u in uploads}
    aborted: list[dict[str, str]] = []

    def abort(key: str, upload_id: str, reason: str) -> None:
        if not key.startswith(prefix):  # pragma: no cover - list_uploads and records_under checked it
            raise StoreError(f"refusing to abort an upload outside {location}: {key!r}", code="OutOfScope")
        abort_upload(client, bucket, key, upload_id)
        event = {"event": "aborted", "key": key, "upload_id": upload_id, "reason": reason}
        ledger.note(event)
        aborted.append(event)

    ours = set()
    for record in ledger.records_under(bucket, prefix):
        verdict = ledger_verdict(record, _identity_now(record) if record.upload_id in live else None,
                                 record.upload_id in live, record.key in settled)
        if verdict == "keep":
            ours.add(record.upload_id)
            continue
        if verdict.startswith("abort: "):
            abort(record.key, record.upload_id, verdict[len("abort: "):])
            ours.add(record.upload_id)
        ledger.drop(bucket, record.key)
    seen = ledger.sightings(bucket, prefix)
    still_seen: dict[str, float] = {}
    for u in uploads:
        if u.upload_id in ours:
            continue
        first = seen.get(u.upload_id, now)
        if foreign_is_old(u, first, now, server_now, max_age_s):
            abort(u.key, u.upload_id, f"left open for more than {max_age_s:g} s")
        else:
            still_seen[u.upload_id] = first
    ledger.save_sightings(bucket, prefix, still_seen, now)
    return aborted


__all__ = ["sweep_orphans", "sweep_due", "list_uploads", "ledger_verdict", "foreign_is_old", "OpenUpload",
           "DEFAULT_ORPHAN_AGE_S", "SWEEP_INTERVAL_S"]
