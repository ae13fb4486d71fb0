# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An S3 prefix as one end of a sync.

**PRIVATE**: this module is internal to the s32s.sync collection.

:class:`S3Side` is ``prefix/`` of one bucket through one :class:`S3Store`
(the transport of one client). It lists, reads, writes, copies and deletes
relpaths; a key is always ``prefix/relpath``, so ``site`` never touches
``site-old/`` (promise 1 of ``docs/safety.md``).
"""

from __future__ import annotations

import typing as t
from concurrent.futures import ThreadPoolExecutor

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - checked by the module
    BotoCoreError = ClientError = Exception  # type: ignore[misc,assignment]

from ..config.attributes import AttributeSet, ObjectAttributes
from ..config.ignore import IgnoreRules
from ..config.maps import S3Location
from ..paths import key_for, unsafe_reason
from .deletion import DeleteOutcome
from .s3copy import server_side_copy, stream_copy
from .modes import UNKNOWN, mode_metadata
from .resumable import Ledger
from .s3store import S3Store, store_error
from .tree import Entry, Tree


class S3Side:
    """``s3://bucket/prefix/`` through ``store``.

    :param store: the transport (client, awscrt sender, transfer settings).
    :param location: bucket and prefix.
    :param endpoint: the endpoint URL (``''``: AWS); part of the state's identity.
    :param workers: requests at a time for a targeted listing.
    :param attributes: resolves the attributes of each upload (``config/attributes.py``);
        ``None``: the Content-Type table only.
    :param ledger: the part ledger of the state directory (``state.parts.PartLedger``):
        multipart uploads through this side are resumable (``resumable.py``);
        ``None``: they are not (an upload that fails is aborted).
    :param record_modes: uploads and attribute fixes record the file's mode in the
        object's user metadata (``modes.py``; push with ``preserve_mode``).
    """

    is_local = False
    #: S3 has no directories to create or remove (``dir/`` markers are read, never written).
    has_dirs = False

    def __init__(self, store: S3Store, location: S3Location, endpoint: str = "", workers: int = 8,
                 attributes: t.Optional[ObjectAttributes] = None, ledger: t.Optional[Ledger] = None,
                 record_modes: bool = False) -> None:
        self.store = store
        self.attributes = attributes if attributes is not None else ObjectAttributes()
        self.ledger = ledger
        self.workers = workers
        self.location = location
        self.endpoint = endpoint
        #: Uploads record each file's mode in the object's metadata (``modes.py``; push).
        self.record_modes = record_modes

    @property
    def address(self) -> S3Location:
        """Where this side is, for the gate's scope."""
        return self.location

    def key(self, relpath: str) -> str:
        """The key of ``relpath``."""
        return key_for(self.location.prefix, relpath)

    def display(self, relpath: str) -> str:
        """``s3://bucket/key`` of ``relpath`` (diff lines, messages)."""
        return f"s3://{self.location.bucket}/{self.key(relpath)}"

    def reserved_name(self, relpath: str) -> t.Optional[str]:  # pylint: disable=unused-argument
        """Why this side cannot hold ``relpath`` (never: S3 takes any safe key)."""
        return None

    # -- listing -----------------------------------------------------------
    def list_all(self, ignore: IgnoreRules) -> Tree:
        """Every object under ``prefix/`` (ceil(N/1000) ListObjectsV2).

        :raises StoreError: the listing failed or was cut short.
        """
        return self.store.list_tree(self.location, ignore)

    def list_selected(self, relpaths: t.Iterable[str], ignore: IgnoreRules) -> Tree:
        """Just ``relpaths`` (a targeted run): one ListObjectsV2 with ``Prefix=key,
        MaxKeys=1`` per path, so that the ETag has the same form as in a full
        listing; ``workers`` requests at a time.

        :raises StoreError: a request failed.
        """
        tree = Tree()
        bucket = self.location.bucket
        wanted = []
        for relpath in relpaths:
            if unsafe_reason(relpath):
                continue
            if ignore.matches(relpath):
                tree.ignored += 1
                continue
            wanted.append(relpath)

        def head(relpath: str) -> t.Optional[Entry]:
            found = self.store.list_one(bucket, self.key(relpath))
            return None if found is None else Entry(relpath, found.size, found.mtime_ns, found.etag)

        with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(wanted)))) as pool:
            for entry in pool.map(head, wanted):
                if entry is not None:
                    tree.entries[entry.relpath] = entry
        return tree

    # -- content -----------------------------------------------------------
    def read_into(self, relpath: str, fileobj: t.BinaryIO, size: int,
                  found: t.Optional[dict[str, t.Any]] = None) -> tuple[int, str]:
        """Stream the object of ``relpath`` into ``fileobj`` (``found``: see ``S3Store.download``).

        :returns: ``(bytes written, MD5 hex of them)``.
        :raises StoreError: the request or the body read failed.
        """
        return self.store.download(self.location.bucket, self.key(relpath), fileobj, size, found)

    def upload_file(self, relpath: str, path: str, size: int,
                    condition: t.Optional[t.Mapping[str, str]] = None, perm: int = UNKNOWN) -> t.Optional[str]:
        """Upload the local file ``path`` of ``size`` bytes as ``relpath``, with the
        attributes :meth:`attributes_for` gives it (``perm``: the file's permission
        bits; ``condition``: see ``S3Store.upload``).

        :returns: the normalised ETag, or ``None`` when the server gave none
            (multipart uploads: the caller computes it; with ``sse: aws:kms``
            the ETag is not an MD5, so it is read back from a listing of the key).
        :raises StoreError: the request failed. :raises OSError: ``path`` cannot be read.
        """
        attrs = self.attributes_for(relpath, perm)
        resume = (self.ledger, relpath) if self.ledger is not None else None
        etag = self.store.upload(self.location.bucket, self.key(relpath), path, size, condition, attrs, resume)
        if etag is None and self.attributes.kms:
            found = self.store.list_one(self.location.bucket, self.key(relpath))
            etag = found.etag if found is not None else None
        return etag

    def fix_attributes(self, relpath: str, size: int, attrs: AttributeSet,
                       if_match: t.Optional[str] = None) -> str:
        """Give the object of ``relpath`` the attributes ``attrs`` without sending its bytes:
        a CopyObject onto itself (``REPLACE`` directives, storage class, SSE), or above
        5 GiB a multipart copy (``s3copy.server_side_copy``).

        ``if_match``: the ETag the listing showed; every copy request carries it as
        ``CopySourceIfMatch``, so bytes another writer put meanwhile are neither
        adopted nor mixed into a multipart copy (a 412 raises ``StoreError``).

        :returns: the normalised ETag of the object afterwards (a copy may change it).
        :raises StoreError: a request failed.
        """
        key = self.key(relpath)
        etag = server_side_copy(self.store.client, self.location.bucket, key, self.location.bucket, key, size,
                                attrs=attrs, if_match=if_match)
        if not etag:  # rclone answers a CopyObject without an ETag: the listing's is the one to record
            found = self.store.list_one(self.location.bucket, key)
            etag = found.etag if found is not None else ""
        return etag

    def head_mode(self, relpath: str) -> tuple[int, Entry]:
        """One HeadObject of ``relpath``: the mode its metadata carries and its
        entry (``S3Store.head_mode``). :raises StoreError: the request failed."""
        perm, entry = self.store.head_mode(self.location.bucket, self.key(relpath))
        return perm, Entry(relpath, entry.size, entry.mtime_ns, entry.etag)

    def attributes_for(self, relpath: str, perm: int = UNKNOWN) -> AttributeSet:
        """The attributes the object of ``relpath`` is given, by an upload or an
        attribute fix: the rules' set (``self.attributes.resolve``) and, with
        ``record_modes`` and a known ``perm`` (permission bits of the local file),
        the user metadata ``mode`` (``modes.mode_metadata``), which wins over a
        rule's key of that name. One set for both, since a CopyObject with
        ``REPLACE`` rewrites all metadata: a fix that carried the rules' set
        only would lose the mode, and the reverse."""
        attrs = self.attributes.resolve(relpath)
        if self.record_modes and perm >= 0:
            attrs = attrs.with_metadata(mode_metadata(perm))
        return attrs

    def copy_from(self, src: "S3Side", relpath: str, entry: Entry) -> str:
        """Copy ``relpath`` of ``src`` here: server-side when both sides use the same
        store (endpoint and credentials), else streamed through this host.

        :returns: the normalised ETag of the copy.
        :raises StoreError: a request failed or the bytes read do not match the listing.
        """
        if src.store is self.store:
            return server_side_copy(self.store.client, src.location.bucket, src.key(relpath),
                                    self.location.bucket, self.key(relpath), entry.size)
        return stream_copy(src.store.client, src.location.bucket, src.key(relpath), self.store.client,
                           self.location.bucket, self.key(relpath), entry.size, entry.etag or "")

    def delete_if_match(self, relpath: str, etag: str) -> None:
        """Delete the object of ``relpath`` only if its ETag is still ``etag``
        (DeleteObject with ``If-Match``; two-way sync under a lease).

        :raises StoreError: the request failed; code ``PreconditionFailed`` (412)
            when the object changed.
        """
        try:
            self.store.client.delete_object(Bucket=self.location.bucket, Key=self.key(relpath), IfMatch=f'"{etag}"')
        except (BotoCoreError, ClientError) as e:
            raise store_error(e, "deleting", self.location.bucket, self.key(relpath)) from None

    def put_bytes(self, relpath: str, data: bytes) -> None:
        """Write a small object (a marker) at ``relpath``. :raises StoreError: the request failed."""
        try:
            self.store.client.put_object(Bucket=self.location.bucket, Key=self.key(relpath), Body=data)
        except (BotoCoreError, ClientError) as e:
            raise store_error(e, "writing", self.location.bucket, self.key(relpath)) from None

    def copy_within(self, relpath: str, to: str, size: int) -> str:
        """Copy the object of ``relpath`` to ``to`` under the same prefix, server-side
        (a rename's first half, or the trash copy of content about to be replaced).

        :returns: the normalised ETag of the copy.
        :raises StoreError: a request failed.
        """
        bucket = self.location.bucket
        return server_side_copy(self.store.client, bucket, self.key(relpath), bucket, self.key(to), size)

    def delete_many(self, relpaths: t.Sequence[str]) -> DeleteOutcome:
        """Delete ``relpaths`` in order (DeleteObjects, 1,000 keys a request), stopping
        after the first batch with a failure. Never raises for S3 errors."""
        by_key = {self.key(r): r for r in relpaths}
        keyed = self.store.delete_keys(self.location.bucket, list(by_key))
        outcome = DeleteOutcome()
        outcome.deleted = [by_key[k] for k in keyed.deleted]
        outcome.failed = [(by_key[k], err) for k, err in keyed.failed]
        outcome.not_attempted = [by_key[k] for k in keyed.not_attempted]
        return outcome

    # -- what a local side also does: nothing to do on S3 -------------------
    def prepare_writes(self) -> None:
        """Nothing to check before planning writes."""

    def begin_writes(self) -> None:
        """Nothing to prepare before the first write (the bucket must exist)."""

    def remove_temp_files(self, tree: Tree) -> None:
        """S3 writes leave no temporary objects (an open multipart upload is resumed, or aborted by
        ``orphans.sweep_orphans``)."""

    def remove_dirs(self, relpaths: t.Sequence[str]) -> list[str]:  # pylint: disable=unused-argument
        """S3 has no directories to remove: ``[]``."""
        return []

    def make_dir(self, relpath: str) -> None:
        """S3 has no directories: refused (no plan for an S3 side has ``mkdir``).

        :raises OSError: always.
        """
        raise OSError(f"cannot create directory {relpath!r} on S3")

    def renew_client(self) -> None:
        """Make a new client after a fork (a client must not cross one); no-op without a factory."""
        if self.store.client_factory is not None:
            self.store.client = self.store.client_factory()


__all__ = ["S3Side"]
