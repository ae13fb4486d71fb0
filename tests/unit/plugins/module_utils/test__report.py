# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The task result (plugins/module_utils/_report.py), built from hand-made map runs."""

from __future__ import annotations

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._executor import Applied
from ansible_collections.s32s.sync.plugins.module_utils._maps import S3Location, SyncMap
from ansible_collections.s32s.sync.plugins.module_utils._options import SyncOptions
from ansible_collections.s32s.sync.plugins.module_utils._plan import CREATE, DELETE, UPDATE, Action, Plan
from ansible_collections.s32s.sync.plugins.module_utils._report import COUNTS, diff_lines, to_result
from ansible_collections.s32s.sync.plugins.module_utils._runner import PULL, PUSH, MapRun


def make_run(direction, name="web", actions=(), unchanged=(), status="planned"):
    run = MapRun(SyncMap(name=name, s3=S3Location("bkt", "site"), root="/srv/site"), direction)
    plan = Plan()
    plan.actions = list(actions)
    plan.unchanged = list(unchanged)
    plan.unchanged_bytes = 10 * len(unchanged)
    run.plan = plan
    run.status = status
    return run


ACTIONS = [Action(DELETE, "gone.txt", 5, "not in source"), Action(CREATE, "new.txt", 3, "new"),
           Action(UPDATE, "page.html", 7, "size 6 -> 7")]


def test_check_mode_push_diff_and_counts():
    run = make_run(PUSH, actions=ACTIONS, unchanged=["same"])
    result = to_result([run], SyncOptions(), check_mode=True, diff=True)
    assert result["changed"] is True
    m = result["maps"][0]
    assert (m["created"], m["updated"], m["deleted"], m["unchanged"]) == (1, 1, 1, 1)
    assert m["bytes"] == {"created": 3, "updated": 7, "deleted": 5, "unchanged": 10}
    assert m["s3"] == "s3://bkt/site/" and m["root"] == "/srv/site" and m["name"] == "web"
    assert result["diff"]["prepared"] == (
        "[web] delete s3://bkt/site/gone.txt (not in source, 5 bytes)\n"
        "[web] upload s3://bkt/site/new.txt (new, 3 bytes)\n"
        "[web] update s3://bkt/site/page.html (size 6 -> 7, 7 bytes)\n")
    assert "files" not in m


def test_check_mode_pull_targets_are_local_paths():
    run = make_run(PULL, actions=ACTIONS)
    assert diff_lines(run, check_mode=True) == [
        "[web] delete /srv/site/gone.txt (not in source, 5 bytes)",
        "[web] download /srv/site/new.txt (new, 3 bytes)",
        "[web] update /srv/site/page.html (size 6 -> 7, 7 bytes)"]


def test_noop_run_is_not_changed():
    run = make_run(PUSH, unchanged=["a", "b"], status="ok")
    run.applied = Applied()
    result = to_result([run], SyncOptions(), check_mode=False, diff=True)
    assert result["changed"] is False
    assert result["diff"] == {"prepared": ""}
    assert result["totals"]["unchanged"] == 2


def test_real_run_counts_what_was_done():
    run = make_run(PUSH, actions=ACTIONS, status="failed")
    run.applied = Applied()
    run.applied.done = [ACTIONS[1]]
    run.applied.failed = [("page.html", "AccessDenied")]
    m = to_result([run], SyncOptions(), check_mode=False, diff=False)["maps"][0]
    assert (m["created"], m["updated"], m["deleted"], m["failed"]) == (1, 0, 0, 1)
    assert m["errors"] == [{"path": "page.html", "error": "AccessDenied"}]


def test_real_run_diff_shows_what_was_done_failed_and_not_run():
    run = make_run(PUSH, actions=ACTIONS, status="failed")
    run.applied = Applied()
    run.applied.done = [ACTIONS[1]]
    run.applied.failed = [("page.html", "AccessDenied")]
    run.applied.deletes_blocked = "1 transfer(s) failed"
    result = to_result([run], SyncOptions(), check_mode=False, diff=True)
    assert result["changed"] is True
    assert result["diff"]["prepared"] == (
        "[web] upload s3://bkt/site/new.txt (new, 3 bytes)\n"
        "[web] FAILED s3://bkt/site/page.html: AccessDenied\n"
        "[web] NOT RUN delete s3://bkt/site/gone.txt (not in source, 5 bytes) [1 transfer(s) failed]\n")


def test_refused_map_reports_nothing_done():
    run = make_run(PUSH, actions=ACTIONS, status="refused")
    run.error = "map 'web': 3 deletion(s) ..."
    result = to_result([run], SyncOptions(), check_mode=True, diff=True)
    m = result["maps"][0]
    assert result["changed"] is False
    assert (m["created"], m["updated"], m["deleted"]) == (0, 0, 0)
    assert m["status"] == "refused" and m["msg"] == run.error
    assert result["diff"]["prepared"] == ""


def test_totals_sum_over_maps_and_shape_is_stable():
    a = make_run(PUSH, "a", actions=ACTIONS[:1])
    b = make_run(PUSH, "b", actions=ACTIONS[1:], unchanged=["x"])
    result = to_result([a, b], SyncOptions(), check_mode=True, diff=False)
    assert set(result) == {"changed", "maps", "totals", "warnings"}
    for key in COUNTS:
        assert result["totals"][key] == sum(m[key] for m in result["maps"])
    assert result["totals"]["bytes"] == {"created": 3, "updated": 7, "deleted": 5, "unchanged": 10}


def test_list_files_capped():
    actions = [Action(CREATE, f"f{i:03d}", 1, "new") for i in range(50)]
    run = make_run(PUSH, actions=actions)
    run.src.skipped = [(f"s{i}", "FIFO") for i in range(50)]
    m = to_result([run], SyncOptions(list_files=True, list_files_max=10), check_mode=True, diff=False)["maps"][0]
    assert m["created"] == 50                           # counts are never capped
    assert m["files"]["created"] == [f"f{i:03d}" for i in range(10)]
    assert m["files"]["deleted"] == []
    assert len(m["skipped_paths"]) == 10 and m["skipped"] == 50


def test_warnings_capped_per_map():
    run = make_run(PUSH)
    run.src.skipped = [(f"s{i}", "FIFO") for i in range(100)]
    run.src.rejected = [(f"r{i}\\x", "backslash") for i in range(100)]
    warnings = to_result([run], SyncOptions(), check_mode=True, diff=False)["warnings"]
    assert len(warnings) == 40
    assert all(w.startswith("map 'web': ") for w in warnings)


@pytest.mark.parametrize("check_mode", [True, False])
def test_ignored_and_rejected_counts(check_mode):
    run = make_run(PULL, status="ok")
    run.applied = None if check_mode else Applied()
    run.src.ignored, run.dst.ignored = 2, 3
    run.src.rejected = [("a\\b", "backslash")]
    run.dst.rejected = [("c\nd", "control character")]
    m = to_result([run], SyncOptions(), check_mode=check_mode, diff=False)["maps"][0]
    assert (m["ignored"], m["rejected"]) == (5, 2)
