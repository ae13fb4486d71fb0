# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One string per path for the three structures a run holds (issue 16, point 4; bench/memory.py).

``walk_local``, ``S3Store.list_tree`` and ``manifest.load`` intern the relpaths
they keep (and the last two the ETags), so that a run of N paths holds each
relpath once instead of three times.  Interning must change nothing else: the
entries and records compare, hash and sort as before.
"""

from __future__ import annotations

import datetime
import os

import botocore.session
from botocore.stub import Stubber

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import S3Location
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.local_list import walk_local
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import S3Store
from ansible_collections.s32s.sync.plugins.module_utils._engine.state import manifest as _manifest
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.records import Record

RELPATHS = ["a.txt", "d/b.txt", "d/e/c.bin", "z/\u00e9t\u00e9.txt"]
ETAG = "0123456789abcdef0123456789abcdef"


def _local(tmp_path):
    root = tmp_path / "root"
    for rel in RELPATHS:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rel.encode())
    return walk_local(str(root), IgnoreRules())


def _remote():
    client = botocore.session.get_session().create_client(
        "s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:1", aws_access_key_id="AK",
        aws_secret_access_key="SK")
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    contents = [{"Key": "site/" + rel, "LastModified": when, "ETag": f'"{ETAG.upper()}"', "Size": len(rel.encode())}
                for rel in sorted(RELPATHS)]
    stubber = Stubber(client)
    stubber.add_response("list_objects_v2", {"Contents": contents, "IsTruncated": False, "KeyCount": len(contents)},
                         {"Bucket": "bkt", "Prefix": "site/"})
    with stubber:
        tree = S3Store(client).list_tree(S3Location("bkt", "site"), IgnoreRules())
    stubber.assert_no_pending_responses()
    return tree


def test_local_tree_s3_tree_and_manifest_share_one_string_per_path(tmp_path):
    local, remote = _local(tmp_path), _remote()
    records = {rel: Record(e.size, e.mtime_ns, e.ctime_ns, e.ino, remote.entries[rel].etag)
               for rel, e in local.entries.items()}
    path = os.path.join(str(tmp_path), "m.json")
    _manifest.save(path, _manifest.LOCAL_S3, records, {"map": "t"}, len(records))
    loaded = _manifest.load(path, _manifest.LOCAL_S3).records
    assert sorted(local.entries) == sorted(remote.entries) == sorted(loaded) == sorted(RELPATHS)
    for rel in RELPATHS:
        shared = next(k for k in local.entries if k == rel)
        assert local.entries[rel].relpath is shared
        assert next(k for k in remote.entries if k == rel) is shared
        assert remote.entries[rel].relpath is shared
        assert next(k for k in loaded if k == rel) is shared
        assert loaded[rel].etag is remote.entries[rel].etag  # one ETag string too


def test_interned_values_compare_hash_and_sort_as_before(tmp_path):
    local, remote = _local(tmp_path), _remote()
    fresh = ["".join(list(rel)) for rel in RELPATHS]  # equal strings, other objects
    assert all(a == b and hash(a) == hash(b) for a, b in zip(fresh, RELPATHS))
    assert sorted(local.entries) == sorted(fresh)
    assert [local.entries[rel].size for rel in fresh] == [len(rel.encode()) for rel in RELPATHS]
    assert [remote.entries[rel].etag for rel in fresh] == [ETAG] * len(RELPATHS)  # normalised: lower case
    records = {rel: Record(e.size, e.mtime_ns, e.ctime_ns, e.ino, ETAG) for rel, e in local.entries.items()}
    path = os.path.join(str(tmp_path), "m.json")
    _manifest.save(path, _manifest.LOCAL_S3, records, {"map": "t"}, len(records))
    loaded = _manifest.load(path, _manifest.LOCAL_S3).records
    assert loaded == records
    assert sorted(loaded.items()) == sorted(records.items())
    assert all(loaded[rel].vouches_for(local.entries[rel], remote.entries[rel]) for rel in fresh)
