# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""resumable_upload (sides/resumable.py) against an in-memory S3 of multipart uploads.

The real servers are in tests/integration/test_resume_multipart.py; here the rules that a server cannot be made to
show on demand: a listed part with other bytes is sent again, a forgotten upload starts anew, an unwritable ledger
aborts a failed upload, and a file changed before Complete aborts it.
"""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
from botocore.exceptions import ClientError

from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.etag import multipart_etag
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.resumable import (
    FileChanged, FileIdentity, UploadRecord, resumable_upload)
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.parts import PartLedger

PART = 4
DATA = b"abcdefghijklmnopqrstuvw"  # 6 parts of 4 bytes, the last of 3


def error(code):
    return ClientError({"Error": {"Code": code, "Message": code}}, "op")


class FakeS3:
    """Multipart uploads in memory; ``fail_parts`` makes those part numbers fail (HTTP 500)."""

    def __init__(self):
        self.uploads, self.objects, self.calls, self.fail_parts = {}, {}, [], set()

    def create_multipart_upload(self, Bucket, Key, **_kw):
        upload_id = "u%d" % (len(self.calls) + 1)
        self.calls.append(("create", None))
        self.uploads[upload_id] = (Key, {})
        return {"UploadId": upload_id}

    def _upload(self, upload_id):
        if upload_id not in self.uploads:
            raise error("NoSuchUpload")
        return self.uploads[upload_id][1]

    def upload_part(self, Bucket, Key, UploadId, PartNumber, Body, ContentLength, ContentMD5):
        self.calls.append(("part", PartNumber))
        assert base64.b64decode(ContentMD5) == hashlib.md5(Body).digest() and len(Body) == ContentLength
        if PartNumber in self.fail_parts:
            raise error("InternalError")
        self._upload(UploadId)[PartNumber] = Body
        return {"ETag": '"%s"' % hashlib.md5(Body).hexdigest()}

    def list_parts(self, Bucket, Key, UploadId, MaxParts, PartNumberMarker=0):
        self.calls.append(("list", None))
        parts = sorted(self._upload(UploadId).items())
        return {"Parts": [{"PartNumber": n, "Size": len(b), "ETag": '"%s"' % hashlib.md5(b).hexdigest()}
                          for n, b in parts], "IsTruncated": False}

    def complete_multipart_upload(self, Bucket, Key, UploadId, MultipartUpload, **_kw):
        self.calls.append(("complete", None))
        parts = self._upload(UploadId)
        numbers = [p["PartNumber"] for p in MultipartUpload["Parts"]]
        assert numbers == sorted(parts)
        self.objects[Key] = b"".join(parts[n] for n in numbers)
        del self.uploads[UploadId]
        digests = b"".join(hashlib.md5(parts[n]).digest() for n in numbers)
        return {"ETag": '"%s-%d"' % (hashlib.md5(digests).hexdigest(), len(numbers))}

    def abort_multipart_upload(self, Bucket, Key, UploadId):
        self.calls.append(("abort", None))
        self._upload(UploadId)
        del self.uploads[UploadId]

    def sent(self):
        return sorted(n for what, n in self.calls if what == "part")


@pytest.fixture
def setup(tmp_path):
    path = str(tmp_path / "big.bin")
    with open(path, "wb") as f:
        f.write(DATA)
    return FakeS3(), PartLedger(str(tmp_path / "state")), path


def upload(s3, ledger, path):
    return resumable_upload(s3, "b", "k", path, "big.bin", PART, {}, ledger, workers=2)


def test_an_upload_sends_every_part_and_returns_the_recomputable_etag(setup):
    s3, ledger, path = setup
    assert upload(s3, ledger, path) == multipart_etag(path, PART)
    assert s3.objects["k"] == DATA and s3.sent() == [1, 2, 3, 4, 5, 6] and s3.uploads == {}
    assert ledger.get("b", "k") is None and ledger.events == []


def test_a_failed_upload_stays_open_and_resumes_with_the_missing_parts(setup):
    s3, ledger, path = setup
    s3.fail_parts = {3}
    with pytest.raises(ClientError):
        upload(s3, ledger, path)
    assert len(s3.uploads) == 1 and ledger.get("b", "k") is not None  # left for the next run
    held = sorted(next(iter(s3.uploads.values()))[1])
    s3.fail_parts, s3.calls = set(), []
    assert upload(s3, ledger, path) == multipart_etag(path, PART)
    assert s3.sent() == sorted(set(range(1, 7)) - set(held)) and ("create", None) not in s3.calls
    assert s3.objects["k"] == DATA and ledger.get("b", "k") is None
    assert ledger.events == [{"event": "resumed", "key": "k", "upload_id": "u1", "parts_reused": len(held),
                              "parts_sent": 6 - len(held)}]


def test_a_listed_part_with_other_bytes_is_sent_again(setup):
    s3, ledger, path = setup
    s3.fail_parts = {6}
    with pytest.raises(ClientError):
        upload(s3, ledger, path)
    parts = next(iter(s3.uploads.values()))[1]
    parts[1] = b"XXXX"  # same size, other bytes
    s3.fail_parts, s3.calls = set(), []
    upload(s3, ledger, path)
    assert 1 in s3.sent() and s3.objects["k"] == DATA


def test_a_changed_file_aborts_its_recorded_upload_and_starts_again(setup):
    s3, ledger, path = setup
    s3.fail_parts = {2}
    with pytest.raises(ClientError):
        upload(s3, ledger, path)
    old = ledger.get("b", "k").upload_id
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    s3.fail_parts, s3.calls = set(), []
    upload(s3, ledger, path)
    assert s3.calls[0] == ("abort", None) and ("list", None) not in s3.calls and s3.sent() == [1, 2, 3, 4, 5, 6]
    assert old not in s3.uploads and s3.uploads == {} and s3.objects["k"] == DATA
    assert ledger.events[0]["event"] == "aborted" and ledger.events[0]["reason"].startswith("the file changed (mtime")


def test_an_upload_the_server_forgot_starts_anew(setup):
    s3, ledger, path = setup
    ident = FileIdentity.of(path, "big.bin")
    ledger.put(UploadRecord("b", "k", "gone", PART, ident, path, 0.0))
    assert upload(s3, ledger, path) == multipart_etag(path, PART)
    assert s3.sent() == [1, 2, 3, 4, 5, 6] and s3.objects["k"] == DATA and ledger.get("b", "k") is None


def test_without_a_writable_ledger_a_failed_upload_is_aborted(setup, monkeypatch):
    s3, ledger, path = setup

    def refuse(_record):
        raise PermissionError("read-only state dir")

    monkeypatch.setattr(ledger, "put", refuse)
    s3.fail_parts = {2}
    with pytest.raises(ClientError):
        upload(s3, ledger, path)
    assert s3.uploads == {} and ("abort", None) in s3.calls


def test_a_file_changed_before_complete_is_aborted_and_not_written(setup):
    s3, ledger, path = setup
    real = s3.upload_part

    def rewrite_then_send(**kw):
        if kw["PartNumber"] == 6:
            with open(path, "r+b") as f:
                f.write(b"Z")
        return real(**kw)

    s3.upload_part = rewrite_then_send
    with pytest.raises(FileChanged) as raised:
        upload(s3, ledger, path)
    assert "mtime" in raised.value.changes
    assert s3.uploads == {} and "k" not in s3.objects and ledger.get("b", "k") is None


def test_a_file_deleted_before_complete_is_aborted_and_not_written(setup):
    s3, ledger, path = setup
    real = s3.upload_part

    def delete_then_send(**kw):
        if kw["PartNumber"] == 6:
            os.unlink(path)
        return real(**kw)

    s3.upload_part = delete_then_send
    with pytest.raises(FileChanged) as raised:
        upload(s3, ledger, path)
    assert raised.value.changes == ["path"]
    assert s3.uploads == {} and "k" not in s3.objects and ledger.get("b", "k") is None
