# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lease in the bucket: one writer per prefix at a time, where the store honours conditional writes.

**PRIVATE**: this module is internal to the s32s.sync collection.

The lease is the object ``prefix/.s32s-sync/lease``, a small JSON document
``{"holder": ..., "expires": <epoch s>}``, created with ``If-None-Match: *``
(AWS S3 since 2024-08, MinIO, Ceph RGW, R2, moto), renewed and taken over
(after it expired) with ``If-Match: <ETag>``, and deleted with ``If-Match``
at the end (Terraform 1.10's S3 state lock is the same idea). A store that
ignores the conditions (``rclone serve s3`` overwrites silently, rclone
#8566) would make such a lease a lie, so every run probes first: a second
``If-None-Match: *`` write of the lease it just created must be refused
(412). Where it is not, :meth:`Lease.acquire` says so and removes its object,
and the caller falls back to its host lock (and the trash, which keeps a lost
race recoverable).
"""

from __future__ import annotations

import json
import threading
import time
import typing as t

from ..config.maps import S3Location
from ..errors import StoreError
from ..paths import key_for
from .s3store import http_date

try:
    from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
except ImportError:  # pragma: no cover - checked by the module
    BotoCoreError = ClientError = ParamValidationError = Exception  # type: ignore[misc,assignment]

#: Where the lease lives under ``prefix/``.
LEASE_RELPATH = ".s32s-sync/lease"
#: Default lifetime of a lease, seconds (renewed at a third of it while a run holds it).
DEFAULT_DURATION_S = 300
#: Attempts to renew a lease before it counts as lost (a failed request, not a refusal).
RENEW_ATTEMPTS = 3


class LeaseHeld(StoreError):
    """Another replica holds a live lease on the prefix."""


def _code(e: ClientError) -> str:
    return str(e.response.get("Error", {}).get("Code")
               or e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def _refused(e: ClientError) -> bool:
    """A precondition refused (412) or a concurrent conditional write (409)."""
    return _code(e) in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


class Lease:
    """The lease of one prefix, for one holder.

    :param client: a boto3 S3 client.
    :param location: the synced prefix.
    :param holder: who takes it (a replica name), shown to others.
    :param duration_s: lifetime in seconds; renewed every third of it.
    :param clock: seconds since the epoch (tests).
    """

    def __init__(self, client: t.Any, location: S3Location, holder: str, duration_s: float = DEFAULT_DURATION_S,
                 clock: t.Callable[[], float] = time.time) -> None:
        self.client, self.location, self.holder = client, location, holder
        self.duration_s, self.clock = duration_s, clock
        self.key = key_for(location.prefix, LEASE_RELPATH)
        self.etag = ""
        self.lost = ""
        self._stop = threading.Event()
        self._thread: t.Optional[threading.Thread] = None

    @property
    def where(self) -> str:
        """``s3://bucket/key`` of the lease."""
        return f"s3://{self.location.bucket}/{self.key}"

    def _body(self) -> bytes:
        now = self.clock()
        return json.dumps({"holder": self.holder, "taken": int(now), "expires": int(now + self.duration_s),
                           "duration": self.duration_s}).encode()

    def _put(self, **condition: str) -> str:
        resp = self.client.put_object(Bucket=self.location.bucket, Key=self.key, Body=self._body(),
                                      ContentType="application/json", **condition)
        return str(resp.get("ETag") or "")

    def _read(self) -> t.Optional[tuple[dict[str, t.Any], str]]:
        """The lease document and its ETag, or ``None``. ``expires`` is set from the
        server's clock where the response allows (its ``Date`` header and the
        object's LastModified): hosts whose clocks disagree still agree on expiry."""
        try:
            resp = self.client.get_object(Bucket=self.location.bucket, Key=self.key)
            data = resp["Body"].read(65536)
        except ClientError as e:
            if _code(e) in ("NoSuchKey", "404"):
                return None
            raise
        try:
            doc = json.loads(data)
            if not isinstance(doc, dict):
                raise ValueError
        except ValueError:
            doc = {"holder": "(unreadable lease)", "expires": 0}
        server_now = http_date(resp.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date"))
        modified = resp.get("LastModified")
        duration = doc.get("duration")
        if server_now is not None and modified is not None and isinstance(duration, (int, float)):
            # the time left by the server's clock, carried over to ours
            doc["expires"] = self.clock() + (modified.timestamp() + duration - server_now)
        return doc, str(resp.get("ETag") or "")

    def _held(self, doc: t.Mapping[str, t.Any]) -> LeaseHeld:
        expires = doc.get("expires", 0)
        left = int(expires - self.clock()) if isinstance(expires, (int, float)) else 0
        return LeaseHeld(f"{self.where} is held by {doc.get('holder')!r} for {max(left, 0)} more second(s) "
                         f"(another replica is syncing this prefix); nothing was changed", code="LeaseHeld")

    def acquire(self) -> bool:
        """Take the lease and probe the store.

        :returns: ``True``: the lease is held and the store honours conditional
            writes; ``False``: it does not (no lease object is left behind).
        :raises LeaseHeld: another holder's lease is live (read even where the
            conditions are not honoured).
        :raises StoreError: a request failed otherwise.
        """
        bucket = self.location.bucket
        try:
            current = self._read()
            if current is not None:
                doc, etag = current
                expires = doc.get("expires", 0)
                if isinstance(expires, (int, float)) and expires > self.clock() and doc.get("holder") != self.holder:
                    raise self._held(doc)
                try:
                    self.etag = self._put(IfMatch=etag)  # an expired (or our own stale) lease: taken over
                except ClientError as e:
                    if _refused(e):
                        again = self._read()
                        raise self._held(again[0] if again else {"holder": "(another replica)"}) from None
                    raise
            else:
                try:
                    self.etag = self._put(IfNoneMatch="*")
                except ClientError as e:
                    if _refused(e):
                        again = self._read()
                        raise self._held(again[0] if again else {"holder": "(another replica)"}) from None
                    raise
            honoured = True
            for probe in ({"IfNoneMatch": "*"}, {"IfMatch": '"' + "0" * 32 + '"'}):
                try:
                    self.etag = self._put(**probe)  # must be refused: the lease exists, with another ETag
                    honoured = False
                except ClientError as e:
                    if not _refused(e):
                        raise
            if honoured:
                self._start_renewal()
                return True
            self.client.delete_object(Bucket=bucket, Key=self.key)  # conditions ignored: no lease left behind
            self.etag = ""
            return False
        except ParamValidationError:  # a botocore without conditional writes
            return False
        except (BotoCoreError, ClientError) as e:
            code = _code(e) if isinstance(e, ClientError) else type(e).__name__
            raise StoreError(f"taking the lease {self.where} failed: {code}: {e}", code=code) from None

    def _start_renewal(self) -> None:
        def renew() -> None:
            while not self._stop.wait(self.duration_s / 3):
                error: t.Optional[Exception] = None
                for attempt in range(RENEW_ATTEMPTS):
                    try:
                        self.etag = self._put(IfMatch=self.etag)
                        break
                    except (BotoCoreError, ClientError) as e:
                        if isinstance(e, ClientError) and _refused(e):  # someone else holds it now
                            self.lost = f"the lease {self.where} was taken by another replica"
                            return
                        error = e
                    if attempt + 1 == RENEW_ATTEMPTS or self._stop.wait(2.0 * (attempt + 1)):
                        self.lost = f"the lease {self.where} could not be renewed: {error}"
                        return

        self._thread = threading.Thread(target=renew, name="s32s-lease", daemon=True)
        self._thread.start()

    def release(self) -> None:
        """Stop renewing and delete the lease if it is still ours (``If-Match``);
        a failure leaves it to expire."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if not self.etag:
            return
        try:
            self.client.delete_object(Bucket=self.location.bucket, Key=self.key, IfMatch=self.etag)
        except ParamValidationError:
            current = self._read()
            if current is not None and current[1] == self.etag:
                self.client.delete_object(Bucket=self.location.bucket, Key=self.key)
        except (BotoCoreError, ClientError):
            pass  # it expires on its own
        self.etag = ""


__all__ = ["Lease", "LeaseHeld", "LEASE_RELPATH", "DEFAULT_DURATION_S"]
