# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The manifest cache (plugins/module_utils/_manifest.py).

A lost, corrupt, stale or foreign manifest must only cost work: ``load``
gives ``{}`` for every problem, and then the planner asks for content checks.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.s32s.sync.plugins.module_utils import _manifest
from ansible_collections.s32s.sync.plugins.module_utils._plan import Record, make_plan
from ansible_collections.s32s.sync.plugins.module_utils._tree import Entry

RECORDS = {
    "a": Record(3, 1_700_000_000_123_456_789, 1_700_000_001_000_000_000, 42, "d41d8cd98f00b204e9800998ecf8427e"),
    "d/caf\u00e9 +#%.txt": Record(0, 1, 2, 3, "0123456789abcdef0123456789abcdef-2"),
}


def test_round_trip(tmp_path):
    path = str(tmp_path / "state" / "push-x.json")
    _manifest.save(path, RECORDS, {"map": "web", "s3": "s3://bkt/site/", "root": "/srv"})
    assert _manifest.load(path) == RECORDS
    loaded = _manifest.load(path)
    assert all(isinstance(r, Record) for r in loaded.values())
    data = json.loads(open(path, encoding="utf-8").read())
    assert data["version"] == _manifest.VERSION
    assert data["about"] == {"map": "web", "s3": "s3://bkt/site/", "root": "/srv"}


def test_file_and_directory_modes_and_no_leftovers(tmp_path):
    state = tmp_path / "state"
    path = str(state / "m.json")
    _manifest.save(path, RECORDS, {})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    assert os.listdir(state) == ["m.json"]


def test_save_replaces_atomically(tmp_path):
    path = str(tmp_path / "m.json")
    _manifest.save(path, RECORDS, {})
    _manifest.save(path, {"a": RECORDS["a"]}, {})
    assert _manifest.load(path) == {"a": RECORDS["a"]}
    assert os.listdir(tmp_path) == ["m.json"]


def test_failed_save_keeps_the_old_manifest_and_no_temp_file(tmp_path):
    path = str(tmp_path / "m.json")
    _manifest.save(path, RECORDS, {})
    with pytest.raises(TypeError):
        _manifest.save(path, {"a": RECORDS["a"]}, {"bad": object()})   # not JSON-serialisable
    assert _manifest.load(path) == RECORDS
    assert os.listdir(tmp_path) == ["m.json"]


def test_save_into_an_impossible_directory_raises_oserror(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError):
        _manifest.save(str(tmp_path / "file" / "m.json"), RECORDS, {})


# --- anything wrong gives {} -----------------------------------------------------------

GOOD = {"version": 1, "about": {}, "records": {"a": [3, 1, 2, 42, "e"]}}

BROKEN = {
    "empty file": "",
    "truncated": json.dumps(GOOD)[:-5],
    "not json": "version=1",
    "an array": "[]",
    "a string": '"manifest"',
    "null": "null",
    "other version": json.dumps({**GOOD, "version": 2}),
    "no version": json.dumps({"records": GOOD["records"]}),
    "version as text": json.dumps({**GOOD, "version": "1"}),
    "no records": json.dumps({"version": 1}),
    "records null": json.dumps({"version": 1, "records": None}),
    "records a list": json.dumps({"version": 1, "records": [[3, 1, 2, 42, "e"]]}),
    "record too short": json.dumps({"version": 1, "records": {"a": [3, 1, 2, 42]}}),
    "record not a list": json.dumps({"version": 1, "records": {"a": 3}}),
    "record null": json.dumps({"version": 1, "records": {"a": None}}),
    "size not a number": json.dumps({"version": 1, "records": {"a": ["x", 1, 2, 42, "e"]}}),
    "size null": json.dumps({"version": 1, "records": {"a": [None, 1, 2, 42, "e"]}}),
    "one bad record among good ones": json.dumps(
        {"version": 1, "records": {"a": [3, 1, 2, 42, "e"], "b": [1]}}),
    "a replication manifest (foreign shape)": json.dumps(
        {"version": 1, "records": {"a": ["etag-src", "etag-dst"]}}),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_manifest_is_empty(tmp_path, name):
    path = tmp_path / "m.json"
    path.write_text(BROKEN[name], encoding="utf-8")
    assert _manifest.load(str(path)) == {}


def test_good_fixture_is_really_good(tmp_path):
    # so that the broken cases above fail for the reason they name
    path = tmp_path / "m.json"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    assert _manifest.load(str(path)) == {"a": Record(3, 1, 2, 42, "e")}


def test_not_utf8_is_empty(tmp_path):
    path = tmp_path / "m.json"
    path.write_bytes(b'{"version": 1, "records": {"\xff": [1, 2, 3, 4, "e"]}}')
    assert _manifest.load(str(path)) == {}


def test_missing_is_empty(tmp_path):
    assert _manifest.load(str(tmp_path / "nope.json")) == {}


def test_a_directory_is_empty(tmp_path):
    assert _manifest.load(str(tmp_path)) == {}


def test_losing_the_manifest_costs_a_check_not_a_wrong_result(tmp_path):
    local = {"a": Entry("a", 3, 10, None, 20, 30)}
    remote = {"a": Entry("a", 3, 99, "e")}
    path = str(tmp_path / "m.json")
    _manifest.save(path, {"a": Record(3, 10, 20, 30, "e")}, {})
    assert make_plan(local, remote, local_side="src", manifest=_manifest.load(path)).unchanged == ["a"]
    with open(path, "w", encoding="utf-8") as f:
        f.write("{corrupt")
    plan = make_plan(local, remote, local_side="src", manifest=_manifest.load(path))
    assert plan.actions == [] and plan.unchanged == [] and plan.verify == ["a"]


# --- where manifests live -------------------------------------------------------------------

IDENT = ("push", "http://127.0.0.1:9000", "bkt", "site", "/srv/site")


def test_path_is_stable_and_in_the_state_dir(tmp_path):
    p1 = _manifest.manifest_path(str(tmp_path), *IDENT)
    p2 = _manifest.manifest_path(str(tmp_path), *IDENT)
    assert p1 == p2
    assert os.path.dirname(p1) == str(tmp_path)
    assert os.path.basename(p1).startswith("push-") and p1.endswith(".json")


@pytest.mark.parametrize("index, other", [
    (0, "pull"),
    (1, "http://127.0.0.1:9001"),
    (1, ""),
    (2, "bkt2"),
    (3, "site-old"),
    (3, ""),
    (4, "/srv/site2"),
])
def test_every_part_of_the_identity_counts(tmp_path, index, other):
    changed = list(IDENT)
    changed[index] = other
    assert _manifest.manifest_path(str(tmp_path), *changed) != _manifest.manifest_path(str(tmp_path), *IDENT)


def test_bucket_prefix_boundary_is_not_ambiguous(tmp_path):
    a = _manifest.manifest_path(str(tmp_path), "push", "e", "bkt", "a/b", "/r")
    b = _manifest.manifest_path(str(tmp_path), "push", "e", "bkt/a", "b", "/r")
    assert a != b


def test_root_is_resolved(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to("real")
    state = str(tmp_path / "state")
    ident = IDENT[:4]
    assert _manifest.manifest_path(state, *ident, str(tmp_path / "link")) == \
        _manifest.manifest_path(state, *ident, str(tmp_path / "real"))


def test_state_dir_home_is_expanded():
    path = _manifest.manifest_path("~/.cache/s32s.sync", *IDENT)
    assert path.startswith(os.path.expanduser("~/.cache/s32s.sync") + os.sep)
    assert _manifest.DEFAULT_STATE_DIR == "~/.cache/s32s.sync"


def test_credentials_are_not_part_of_the_file_name(tmp_path):
    # the endpoint is part of the identity; a URL with userinfo must not leak into the name
    path = _manifest.manifest_path(str(tmp_path), "push", "https://AKIASECRET:pw@s3.example", "bkt", "p", "/r")
    assert "AKIASECRET" not in path and "pw" not in os.path.basename(path)
