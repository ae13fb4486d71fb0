# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The manifest cache, version 2 (plugins/module_utils/_engine/state/manifest.py).

A lost, corrupt, stale, older or foreign manifest must only cost work: ``load``
gives an empty ``State`` for every problem, and then the planner asks for
content checks.
"""

from __future__ import annotations

import json
import os
import re
import stat

import boto3
import pytest
from botocore.config import Config

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import S3Location, SyncMap
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.push_pull import PULL, PUSH, map_pairs
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.compare import ManifestComparator
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.plan import make_plan
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import S3Store
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.tree import Entry, Tree
from ansible_collections.s32s.sync.plugins.module_utils._engine.state import manifest as _manifest
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.records import Record, ReplicaRecord

LOCAL_S3 = _manifest.LOCAL_S3
S3_S3 = _manifest.S3_S3

RECORDS = {
    "a": Record(3, 1_700_000_000_123_456_789, 1_700_000_001_000_000_000, 42, "d41d8cd98f00b204e9800998ecf8427e"),
    "d/caf\u00e9 +#%.txt": Record(0, 1, 2, 3, "0123456789abcdef0123456789abcdef-2"),
}
REPLICA_RECORDS = {
    "a": ReplicaRecord("d41d8cd98f00b204e9800998ecf8427e", "0123456789abcdef0123456789abcdef-2"),
    "b/c": ReplicaRecord("", "e"),
}
#: A good version 2 file, the base of the broken ones below.
GOOD = {"version": 2, "kind": "local-s3", "fields": ["size", "mtime_ns", "ctime_ns", "ino", "etag"],
        "listed": 5, "about": {}, "records": {"a": [3, 1, 2, 42, "e"]}}
GOOD_RECORDS = {"a": Record(3, 1, 2, 42, "e")}


def test_kinds_and_version():
    assert (LOCAL_S3, S3_S3, _manifest.VERSION) == ("local-s3", "s3-s3", 2)


def test_round_trip(tmp_path):
    path = str(tmp_path / "state" / "push-x.json")
    _manifest.save(path, LOCAL_S3, RECORDS, {"map": "web", "s3": "s3://bkt/site/", "root": "/srv"})
    loaded = _manifest.load(path, LOCAL_S3)
    assert loaded == _manifest.State(RECORDS, None)
    assert loaded.records == RECORDS and loaded.listed is None
    assert {type(r) for r in loaded.records.values()} == {Record}
    data = json.loads(open(path, encoding="utf-8").read())
    assert data["version"] == _manifest.VERSION == 2
    assert data["kind"] == "local-s3"
    assert data["fields"] == ["size", "mtime_ns", "ctime_ns", "ino", "etag", "mode", "s3_mtime_ns"]
    assert data["listed"] is None
    assert data["about"] == {"map": "web", "s3": "s3://bkt/site/", "root": "/srv"}
    assert data["records"]["a"] == [3, 1_700_000_000_123_456_789, 1_700_000_001_000_000_000, 42,
                                    "d41d8cd98f00b204e9800998ecf8427e", -1, 0]  # a list, in the order of ``fields``


def test_the_recorded_mode_round_trips_and_a_manifest_without_it_loads_with_the_defaults(tmp_path):
    # issue 15 point 3: the optional fields are additive; a manifest written before them loads
    path = str(tmp_path / "m.json")
    records = {"a": Record(3, 1, 2, 42, "e", 0o755, 1_700_000_000_000_000_000), "b": Record(3, 1, 2, 43, "e", -2)}
    _manifest.save(path, LOCAL_S3, records, {})
    assert _manifest.load(path, LOCAL_S3).records == records
    (tmp_path / "old.json").write_text(json.dumps(GOOD))
    loaded = _manifest.load(str(tmp_path / "old.json"), LOCAL_S3).records["a"]
    assert loaded == Record(3, 1, 2, 42, "e") and (loaded.mode, loaded.s3_mtime_ns) == (-1, 0)
    # one optional field of two, in another order: read by name, the other takes its default
    partial = dict(GOOD, fields=["s3_mtime_ns", "size", "mtime_ns", "ctime_ns", "ino", "etag"],
                   records={"a": [9, 3, 1, 2, 42, "e"]})
    (tmp_path / "partial.json").write_text(json.dumps(partial))
    assert _manifest.load(str(tmp_path / "partial.json"), LOCAL_S3).records == {"a": Record(3, 1, 2, 42, "e", -1, 9)}


def test_round_trip_of_replica_records(tmp_path):
    path = str(tmp_path / "r.json")
    _manifest.save(path, S3_S3, REPLICA_RECORDS, {"src": "s3://a/", "dest": "s3://b/"}, listed=7)
    loaded = _manifest.load(path, S3_S3)
    assert loaded == _manifest.State(REPLICA_RECORDS, 7)
    assert {type(r) for r in loaded.records.values()} == {ReplicaRecord}
    data = json.loads(open(path, encoding="utf-8").read())
    assert (data["kind"], data["fields"]) == ("s3-s3", ["src_etag", "dst_etag"])
    assert data["records"]["a"] == list(REPLICA_RECORDS["a"])


def test_empty_records_round_trip(tmp_path):
    path = str(tmp_path / "m.json")
    _manifest.save(path, LOCAL_S3, {}, {}, listed=0)
    assert _manifest.load(path, LOCAL_S3) == _manifest.State({}, 0)


def test_file_and_directory_modes_and_no_leftovers(tmp_path):
    state = tmp_path / "state"
    path = str(state / "m.json")
    _manifest.save(path, LOCAL_S3, RECORDS, {})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    assert os.listdir(state) == ["m.json"]


def test_save_replaces_atomically(tmp_path):
    path = str(tmp_path / "m.json")
    _manifest.save(path, LOCAL_S3, RECORDS, {}, listed=9)
    _manifest.save(path, LOCAL_S3, {"a": RECORDS["a"]}, {})
    assert _manifest.load(path, LOCAL_S3) == _manifest.State({"a": RECORDS["a"]}, None)
    assert os.listdir(tmp_path) == ["m.json"]


def test_failed_save_keeps_the_old_manifest_and_no_temp_file(tmp_path):
    path = str(tmp_path / "m.json")
    _manifest.save(path, LOCAL_S3, RECORDS, {}, listed=4)
    with pytest.raises(TypeError):
        _manifest.save(path, LOCAL_S3, {"a": RECORDS["a"]}, {"bad": object()})   # not JSON-serialisable
    assert _manifest.load(path, LOCAL_S3) == _manifest.State(RECORDS, 4)
    assert os.listdir(tmp_path) == ["m.json"]


def test_save_into_an_impossible_directory_raises_oserror(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError):
        _manifest.save(str(tmp_path / "file" / "m.json"), LOCAL_S3, RECORDS, {})


# --- listed ---------------------------------------------------------------------------

@pytest.mark.parametrize("listed", [0, 1, 5000, 10 ** 12])
def test_listed_round_trips(tmp_path, listed):
    path = str(tmp_path / "m.json")
    _manifest.save(path, LOCAL_S3, RECORDS, {}, listed=listed)
    assert _manifest.load(path, LOCAL_S3) == _manifest.State(RECORDS, listed)
    assert json.loads(open(path, encoding="utf-8").read())["listed"] == listed


@pytest.mark.parametrize("listed", [-1, -5000, 5.0, 5.5, "5", None, [5], {"n": 5}, True, False])
def test_a_bad_listed_is_none_and_keeps_the_records(tmp_path, listed):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({**GOOD, "listed": listed}), encoding="utf-8")
    assert _manifest.load(str(path), LOCAL_S3) == _manifest.State(GOOD_RECORDS, None)


def test_no_listed_key_is_none(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({k: v for k, v in GOOD.items() if k != "listed"}), encoding="utf-8")
    assert _manifest.load(str(path), LOCAL_S3) == _manifest.State(GOOD_RECORDS, None)


# --- fields are read by name ----------------------------------------------------------


def test_good_fixture_is_really_good(tmp_path):
    # so that the broken cases below fail for the reason they name
    path = tmp_path / "m.json"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    assert _manifest.load(str(path), LOCAL_S3) == _manifest.State(GOOD_RECORDS, 5)


def test_fields_in_another_order_are_read_by_name(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({**GOOD, "fields": ["etag", "ino", "size", "ctime_ns", "mtime_ns"],
                                "records": {"a": ["e", 42, 3, 2, 1], "b": ["f", 7, 0, 9, 8]}}), encoding="utf-8")
    expected = {"a": Record(3, 1, 2, 42, "e"), "b": Record(0, 8, 9, 7, "f")}
    assert _manifest.load(str(path), LOCAL_S3).records == expected


def test_replica_fields_in_another_order_are_read_by_name(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"version": 2, "kind": "s3-s3", "fields": ["dst_etag", "src_etag"],
                                "records": {"a": ["dst", "src"]}}), encoding="utf-8")
    assert _manifest.load(str(path), S3_S3) == _manifest.State({"a": ReplicaRecord("src", "dst")}, None)


def test_an_extra_field_is_ignored(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({**GOOD, "fields": ["size", "future", "mtime_ns", "ctime_ns", "ino", "etag"],
                                "records": {"a": [3, "x", 1, 2, 42, "e"]}}), encoding="utf-8")
    assert _manifest.load(str(path), LOCAL_S3) == _manifest.State(GOOD_RECORDS, 5)


# --- anything wrong gives an empty State ------------------------------------------------

def _v2(**kw):
    return json.dumps({**GOOD, **kw})


BROKEN = {
    "empty file": "",
    "truncated": json.dumps(GOOD)[:-5],
    "not json": "version=2",
    "an array": "[]",
    "a string": '"manifest"',
    "null": "null",
    "version 1 (the old format)": json.dumps({"version": 1, "about": {}, "records": {"a": [3, 1, 2, 42, "e"]}}),
    "version 1 with the new keys": _v2(version=1),
    "a newer version": _v2(version=3),
    "no version": json.dumps({k: v for k, v in GOOD.items() if k != "version"}),
    "version as text": _v2(version="2"),
    "no kind": json.dumps({k: v for k, v in GOOD.items() if k != "kind"}),
    "kind null": _v2(kind=None),
    "an unknown kind": _v2(kind="local-local"),
    "the other kind (s3-s3)": _v2(kind="s3-s3"),
    "no fields": json.dumps({k: v for k, v in GOOD.items() if k != "fields"}),
    "fields null": _v2(fields=None),
    "fields a string": _v2(fields="size,mtime_ns,ctime_ns,ino,etag"),
    "a field missing (etag)": _v2(fields=["size", "mtime_ns", "ctime_ns", "ino"]),
    "a field missing (size)": _v2(fields=["mtime_ns", "ctime_ns", "ino", "etag"],
                                  records={"a": [1, 2, 42, "e"]}),
    "the replica fields": _v2(fields=["src_etag", "dst_etag"], records={"a": ["x", "y"]}),
    "no records": json.dumps({k: v for k, v in GOOD.items() if k != "records"}),
    "records null": _v2(records=None),
    "records a list": _v2(records=[[3, 1, 2, 42, "e"]]),
    "record too short": _v2(records={"a": [3, 1, 2, 42]}),
    "record not a list": _v2(records={"a": 3}),
    "record null": _v2(records={"a": None}),
    "size not a number": _v2(records={"a": ["x", 1, 2, 42, "e"]}),
    "size null": _v2(records={"a": [None, 1, 2, 42, "e"]}),
    "one bad record among good ones": _v2(records={"a": [3, 1, 2, 42, "e"], "b": [1]}),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_manifest_is_empty(tmp_path, name):
    path = tmp_path / "m.json"
    path.write_text(BROKEN[name], encoding="utf-8")
    assert _manifest.load(str(path), LOCAL_S3) == _manifest.EMPTY == _manifest.State({}, None)


def test_a_v1_file_written_by_the_old_product_is_empty(tmp_path):
    # exactly what version 1 wrote: relpath -> [size, mtime_ns, ctime_ns, ino, etag], no kind, no fields
    path = tmp_path / "push-0123.json"
    path.write_text(json.dumps({"version": 1, "about": {"map": "web"},
                                "records": {rel: list(r) for rel, r in RECORDS.items()}}), encoding="utf-8")
    assert _manifest.load(str(path), LOCAL_S3) == _manifest.EMPTY
    path.write_text(json.dumps({"version": 1, "about": {}, "records": {"a": ["etag-src", "etag-dst"]}}),
                    encoding="utf-8")
    assert _manifest.load(str(path), S3_S3) == _manifest.EMPTY


@pytest.mark.parametrize("saved_kind, records, loaded_kind", [
    (LOCAL_S3, RECORDS, S3_S3),
    (S3_S3, REPLICA_RECORDS, LOCAL_S3),
])
def test_a_manifest_of_the_other_kind_is_empty(tmp_path, saved_kind, records, loaded_kind):
    path = str(tmp_path / "m.json")
    _manifest.save(path, saved_kind, records, {}, listed=3)
    assert _manifest.load(path, saved_kind) == _manifest.State(records, 3)   # it is a good file...
    assert _manifest.load(path, loaded_kind) == _manifest.EMPTY               # ...of the other kind


def test_not_utf8_is_empty(tmp_path):
    path = tmp_path / "m.json"
    path.write_bytes(b'{"version": 2, "kind": "local-s3", "fields": ["size", "mtime_ns", "ctime_ns", "ino", '
                     b'"etag"], "records": {"\xff": [1, 2, 3, 4, "e"]}}')
    assert _manifest.load(str(path), LOCAL_S3) == _manifest.EMPTY


def test_missing_is_empty(tmp_path):
    assert _manifest.load(str(tmp_path / "nope.json"), LOCAL_S3) == _manifest.EMPTY


def test_a_directory_is_empty(tmp_path):
    assert _manifest.load(str(tmp_path), LOCAL_S3) == _manifest.EMPTY


def test_losing_the_manifest_costs_a_check_not_a_wrong_result(tmp_path):
    src, dst = Tree(), Tree()
    src.entries = {"a": Entry("a", 3, 10, None, 20, 30)}
    dst.entries = {"a": Entry("a", 3, 99, "e")}
    path = str(tmp_path / "m.json")
    _manifest.save(path, LOCAL_S3, {"a": Record(3, 10, 20, 30, "e")}, {})

    def plan():
        return make_plan(src, dst, ManifestComparator(_manifest.load(path, LOCAL_S3).records, local_is_source=True))
    assert plan().unchanged == ("a",) and plan().verify == ()
    with open(path, "w", encoding="utf-8") as f:
        f.write("{corrupt")
    lost = plan()
    assert lost.actions == () and lost.unchanged == () and lost.verify == ("a",)


# --- where manifests live -------------------------------------------------------------------

IDENT = ("http://127.0.0.1:9000", "bkt", "site", "/srv/site")


def test_path_is_stable_and_in_the_state_dir(tmp_path):
    p1 = _manifest.manifest_path(str(tmp_path), LOCAL_S3, IDENT)
    p2 = _manifest.manifest_path(str(tmp_path), LOCAL_S3, list(IDENT))
    assert p1 == p2
    assert os.path.dirname(p1) == str(tmp_path)
    assert re.fullmatch(r"local-s3-[0-9a-f]{32}\.json", os.path.basename(p1))
    replica = _manifest.manifest_path(str(tmp_path), S3_S3, IDENT + ("e2", "b2", "p2"))
    assert re.fullmatch(r"s3-s3-[0-9a-f]{32}\.json", os.path.basename(replica))


def test_local_identity_is_endpoint_bucket_prefix_and_real_root_no_direction(tmp_path):
    (tmp_path / "srv").mkdir()
    root = str(tmp_path / "srv")
    assert _manifest.local_identity("http://e", "bkt", "site", root) == ("http://e", "bkt", "site", root)


@pytest.mark.parametrize("index, other", [
    (0, "http://127.0.0.1:9001"),
    (0, ""),
    (1, "bkt2"),
    (2, "site-old"),
    (2, ""),
    (3, "/srv/site2"),
])
def test_every_part_of_the_identity_counts(tmp_path, index, other):
    changed = list(IDENT)
    changed[index] = other
    state = str(tmp_path)
    assert _manifest.manifest_path(state, LOCAL_S3, _manifest.local_identity(*changed)) != \
        _manifest.manifest_path(state, LOCAL_S3, _manifest.local_identity(*IDENT))


def test_the_kind_counts(tmp_path):
    assert _manifest.manifest_path(str(tmp_path), LOCAL_S3, IDENT) != \
        _manifest.manifest_path(str(tmp_path), S3_S3, IDENT)


def test_bucket_prefix_boundary_is_not_ambiguous(tmp_path):
    a = _manifest.manifest_path(str(tmp_path), LOCAL_S3, _manifest.local_identity("e", "bkt", "a/b", "/r"))
    b = _manifest.manifest_path(str(tmp_path), LOCAL_S3, _manifest.local_identity("e", "bkt/a", "b", "/r"))
    assert a != b


def test_root_is_resolved(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to("real")
    state = str(tmp_path / "state")
    ident = IDENT[:3]
    assert _manifest.manifest_path(state, LOCAL_S3, _manifest.local_identity(*ident, str(tmp_path / "link"))) == \
        _manifest.manifest_path(state, LOCAL_S3, _manifest.local_identity(*ident, str(tmp_path / "real")))


def test_state_dir_home_is_expanded():
    path = _manifest.manifest_path("~/.cache/s32s.sync", LOCAL_S3, IDENT)
    assert path.startswith(os.path.expanduser("~/.cache/s32s.sync") + os.sep)
    assert _manifest.DEFAULT_STATE_DIR == "~/.cache/s32s.sync"


def test_credentials_are_not_part_of_the_file_name(tmp_path):
    # the endpoint is part of the identity; a URL with userinfo must not leak into the name
    path = _manifest.manifest_path(str(tmp_path), LOCAL_S3,
                                   _manifest.local_identity("https://AKIASECRET:pw@s3.example", "bkt", "p", "/r"))
    assert "AKIASECRET" not in path and "pw" not in os.path.basename(path)


# --- a push and a pull of the same map share one manifest -----------------------------

def _store():
    client = boto3.client("s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:1", aws_access_key_id="AK",
                          aws_secret_access_key="SK", config=Config(signature_version="s3v4"))
    return S3Store(client)


def _state_path(direction, state_dir, endpoint="http://127.0.0.1:9000", bucket="bkt", prefix="site",
                root="/srv/site"):
    m = SyncMap(name="web", s3=S3Location(bucket, prefix), root=root)
    (pair,) = map_pairs(direction, [m], _store(), SyncOptions(state_dir=state_dir), endpoint)
    assert pair.state_kind == LOCAL_S3
    return pair.state_path


def test_push_and_pull_of_one_map_share_one_manifest(tmp_path):
    state = str(tmp_path / "state")
    push, pull = _state_path(PUSH, state), _state_path(PULL, state)
    assert push and push == pull
    assert push == _manifest.manifest_path(state, LOCAL_S3, _manifest.local_identity(
        "http://127.0.0.1:9000", "bkt", "site", "/srv/site"))


@pytest.mark.parametrize("changed", [
    {"endpoint": "http://127.0.0.1:9001"},
    {"bucket": "bkt2"},
    {"prefix": "site-old"},
    {"prefix": ""},
    {"root": "/srv/site2"},
])
@pytest.mark.parametrize("direction", [PUSH, PULL])
def test_another_endpoint_bucket_prefix_or_root_is_another_manifest(tmp_path, changed, direction):
    state = str(tmp_path / "state")
    assert _state_path(direction, state, **changed) not in (_state_path(PUSH, state), _state_path(PULL, state))


def test_no_state_dir_no_manifest():
    assert _state_path(PUSH, None) == "" and _state_path(PULL, None) == ""
