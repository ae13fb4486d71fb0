# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""watchdog events -> dirty paths and rescans (plugins/module_utils/_engine/watch/events.py), and the
check of the watched directory before any deletion (watch/passes.py)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import validate_map
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.events import relpath_in, route
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.passes import master_problem


class FakeWorker:
    def __init__(self):
        self.map = validate_map({"name": "m", "s3": "bkt/p", "master": "/srv/m", "ignore": ["*.swp"]}, "master", 0,
                                "test")[0]
        self.marked, self.rescans = [], []

    def mark(self, relpath, now):
        self.marked.append(relpath)

    def want_rescan(self, now, settle=True):
        self.rescans.append(settle)


@pytest.mark.parametrize("event_type, is_dir, paths, marked, rescans", [
    ("created", False, ["/srv/m/a.txt"], ["a.txt"], []),
    ("modified", False, ["/srv/m/d/a.txt"], ["d/a.txt"], []),
    ("closed", False, ["/srv/m/a.txt"], ["a.txt"], []),
    ("deleted", False, ["/srv/m/a.txt"], ["a.txt"], []),
    ("moved", False, ["/srv/m/.a.txt.tmp1", "/srv/m/a.txt"], [".a.txt.tmp1", "a.txt"], []),  # editor save
    ("moved", False, ["/srv/m/a.txt", "/elsewhere/a.txt"], ["a.txt"], []),  # moved out
    ("opened", False, ["/srv/m/a.txt"], [], []),  # our own reads are not changes
    ("closed_no_write", False, ["/srv/m/a.txt"], [], []),
    ("created", False, ["/srv/m/.a.txt.swp"], [], []),  # ignored by the map
    ("created", False, ["/srv/other/a.txt"], [], []),
    ("created", True, ["/srv/m/new"], [], [True]),  # a directory appears: settled rescan
    ("moved", True, ["/tmp/x", "/srv/m/x"], [], [True]),
    ("deleted", True, ["/srv/m/old"], [], [True]),
    ("modified", True, ["/srv/m/d"], [], []),  # every create in d modifies d: not a rescan
    ("deleted", True, ["/srv/m"], [], [False]),  # the watched directory itself: rescan at once
])
def test_events_only_mark_paths(event_type, is_dir, paths, marked, rescans):
    worker = FakeWorker()
    route(worker, event_type, is_dir, paths, 1.0)
    assert worker.marked == marked and worker.rescans == rescans


@pytest.mark.parametrize("event_type, is_dir, paths, rescans", [
    ("created", False, ["/srv/m/a.txt"], [True]),  # a two-way pass is a full sync: no path is marked
    ("modified", True, ["/srv/m/d"], []),
    ("created", False, ["/srv/m/.s32s-trash/x/a.txt"], []),  # written by the pass itself
    ("created", False, ["/srv/m/a.swp"], []),
    ("opened", False, ["/srv/m/a.txt"], []),
])
def test_in_two_way_mode_events_ask_for_a_settled_pass(event_type, is_dir, paths, rescans):
    worker = FakeWorker()
    worker.two_way = True
    route(worker, event_type, is_dir, paths, 1.0)
    assert worker.marked == [] and worker.rescans == rescans


def test_relpaths_stay_inside_the_root():
    assert relpath_in("/srv/m", b"/srv/m/a/b") == "a/b"
    assert relpath_in("/srv/m", "/srv/m") == ""
    assert relpath_in("/srv/m", "/srv/mm/a") is None and relpath_in("/srv/m", "") is None


def test_the_watched_directory_must_be_there_and_not_empty_for_deletions(tmp_path):
    root = str(tmp_path / "master")
    assert "does not exist (unmounted?)" in master_problem(root, for_deletions=False)
    os.mkdir(root)
    assert master_problem(root, for_deletions=False) is None
    assert "is empty (unmounted?)" in master_problem(root, for_deletions=True)
    with open(os.path.join(root, "a"), "w", encoding="utf-8") as f:
        f.write("a")
    assert master_problem(root, for_deletions=True) is None
    assert "is not a directory" in master_problem(os.path.join(root, "a"), for_deletions=False)
