# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of two-way sync and its journal (plugins/module_utils/_engine/state/base.py)."""

from __future__ import annotations

import json
import os
import stat

from ansible_collections.s32s.sync.plugins.module_utils._engine.state import manifest
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.base import SYNC, Base
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.records import Record

A = Record(1, 2, 3, 4, "aa")
B = Record(5, 6, 7, 8, "bb")


def test_a_missing_base_is_empty(tmp_path):
    assert Base(str(tmp_path / "none.json")).load() == {}


def test_commit_then_load_and_the_journal_is_gone(tmp_path):
    base = Base(str(tmp_path / "s" / "b.json"))
    base.note("a", A)
    assert os.path.exists(base.journal_path)
    base.commit({"a": A, "b": B}, {"path": "/x"}, 2)
    assert not os.path.exists(base.journal_path)
    assert Base(base.path).load() == {"a": A, "b": B}
    assert stat.S_IMODE(os.stat(base.path).st_mode) == 0o600
    assert json.load(open(base.path))["kind"] == SYNC


def test_an_interrupted_run_is_replayed_from_the_journal(tmp_path):
    base = Base(str(tmp_path / "b.json"))
    base.commit({"a": A, "gone": B}, {}, None)
    run = Base(base.path)
    run.note("b", B)
    run.note("gone", None)
    run.note("a", B)
    run.close()  # killed here: no commit
    with open(run.journal_path, "ab") as f:
        f.write(b'["torn", [1, 2')  # the line a crash cut
    assert Base(base.path).load() == {"a": B, "b": B}
    later = Base(base.path)  # the next run appends after the torn line: its rows are not lost
    later.note("c", A)
    later.close()
    assert Base(base.path).load() == {"a": B, "b": B, "c": A}


def test_a_one_way_manifest_is_never_read_as_a_base(tmp_path):
    path = str(tmp_path / "m.json")
    manifest.save(path, manifest.LOCAL_S3, {"a": A}, {})
    assert Base(path).load() == {}
