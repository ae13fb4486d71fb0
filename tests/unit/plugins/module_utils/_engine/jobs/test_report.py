# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The task result (plugins/module_utils/_engine/jobs/report.py), built from hand-made pair runs.

The sides are real (a ``LocalSide`` and an ``S3Side`` on a botocore client of
a dummy endpoint): the report asks them how to show a path and the runner
which verb names a create; no request is ever sent.
"""

from __future__ import annotations

import botocore.session
import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import S3Location
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.executor import Applied
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.report import COUNTS, diff_lines, to_result
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.runner import Pair, PairRun
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.plan import (
    CREATE, DELETE, MKDIR, RMDIR, UPDATE, Action, Plan)
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.local import LocalSide
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3 import S3Side
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import S3Store

PUSH, PULL, REPLICATE = "push", "pull", "replicate"


def _store():
    client = botocore.session.get_session().create_client(
        "s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:1", aws_access_key_id="AK",
        aws_secret_access_key="SK")
    return S3Store(client)


STORE = _store()


def make_pair(direction, name="web"):
    remote = S3Side(STORE, S3Location("bkt", "site"), "http://127.0.0.1:1")
    if direction == REPLICATE:
        dst = S3Side(STORE, S3Location("dr", "copy"), "http://127.0.0.1:1")
        return Pair(name, f"destination '{name}'", remote, dst, ignore=IgnoreRules(), shown=("s3://dr/copy/", ""))
    local = LocalSide("/srv/site")
    src, dst = (local, remote) if direction == PUSH else (remote, local)
    return Pair(name, f"map '{name}'", src, dst, ignore=IgnoreRules(), shown=("s3://bkt/site/", "/srv/site"))


def make_run(direction, name="web", actions=(), unchanged=(), status="planned"):
    run = PairRun(make_pair(direction, name))
    run.plan = Plan(actions=tuple(actions), unchanged=tuple(unchanged), unchanged_bytes=10 * len(unchanged))
    run.status = status
    return run


def applied(done=(), failed=(), not_run=(), deletes_blocked=""):
    a = Applied()
    a.done = list(done)
    a.failed = list(failed)
    a.not_run = list(not_run)
    a.deletes_blocked = deletes_blocked
    return a


ACTIONS = [Action(DELETE, "gone.txt", 5, "not in source"), Action(CREATE, "new.txt", 3, "new"),
           Action(UPDATE, "page.html", 7, "size 6 -> 7")]


def test_verbs_follow_the_sides():
    assert [make_run(d).verb for d in (PUSH, PULL, REPLICATE)] == ["upload", "download", "copy"]


def test_check_mode_push_diff_and_counts():
    run = make_run(PUSH, actions=ACTIONS, unchanged=["same"])
    result = to_result([run], SyncOptions(), check_mode=True, diff=True)
    assert result["changed"] is True
    m = result["maps"][0]
    assert (m["created"], m["updated"], m["deleted"], m["unchanged"]) == (1, 1, 1, 1)
    assert m["bytes"] == {"created": 3, "updated": 7, "deleted": 5, "unchanged": 10}
    assert m["s3"] == "s3://bkt/site/" and m["root"] == "/srv/site" and m["name"] == "web"
    assert (m["dirs_created"], m["dirs_removed"]) == (0, 0)
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


def test_check_mode_replicate_copies_to_the_destination():
    run = make_run(REPLICATE, name="dr", actions=ACTIONS)
    assert diff_lines(run, check_mode=True) == [
        "[dr] delete s3://dr/copy/gone.txt (not in source, 5 bytes)",
        "[dr] copy s3://dr/copy/new.txt (new, 3 bytes)",
        "[dr] update s3://dr/copy/page.html (size 6 -> 7, 7 bytes)"]
    m = to_result([run], SyncOptions(), check_mode=True, diff=False)["maps"][0]
    assert (m["s3"], m["root"]) == ("s3://dr/copy/", "")


def test_noop_run_is_not_changed():
    run = make_run(PUSH, unchanged=["a", "b"], status="ok")
    run.applied = Applied()
    result = to_result([run], SyncOptions(), check_mode=False, diff=True)
    assert result["changed"] is False
    assert result["diff"] == {"prepared": ""}
    assert result["totals"]["unchanged"] == 2


def test_real_run_counts_what_was_done():
    run = make_run(PUSH, actions=ACTIONS, status="failed")
    run.applied = applied(done=[ACTIONS[1]], failed=[("page.html", "AccessDenied")])
    m = to_result([run], SyncOptions(), check_mode=False, diff=False)["maps"][0]
    assert (m["created"], m["updated"], m["deleted"], m["failed"]) == (1, 0, 0, 1)
    assert m["bytes"]["created"] == 3 and m["bytes"]["deleted"] == 0
    assert m["errors"] == [{"path": "page.html", "error": "AccessDenied"}]


def test_real_run_diff_shows_what_was_done_failed_and_not_run():
    run = make_run(PUSH, actions=ACTIONS, status="failed")
    run.applied = applied(done=[ACTIONS[1]], failed=[("page.html", "AccessDenied")], not_run=[ACTIONS[0]],
                          deletes_blocked="1 transfer(s) failed")
    result = to_result([run], SyncOptions(), check_mode=False, diff=True)
    assert result["changed"] is True
    assert result["diff"]["prepared"] == (
        "[web] upload s3://bkt/site/new.txt (new, 3 bytes)\n"
        "[web] FAILED s3://bkt/site/page.html: AccessDenied\n"
        "[web] NOT RUN delete s3://bkt/site/gone.txt (not in source, 5 bytes) [1 transfer(s) failed]\n")
    assert result["maps"][0]["deleted"] == 0


DELETES = [Action(DELETE, f"d{i}", i + 1, "not in source") for i in range(4)]


@pytest.mark.parametrize("direction, where", [(PUSH, "s3://bkt/site/"), (PULL, "/srv/site/")])
def test_partly_failed_deletion_is_reported_path_by_path(direction, where):
    # the side deleted d0 and d1, failed on d2 and stopped: d3 was not attempted
    run = make_run(direction, actions=DELETES, status="failed")
    run.applied = applied(done=DELETES[:2], failed=[("d2", "cannot delete: is a directory")], not_run=DELETES[3:])
    result = to_result([run], SyncOptions(list_files=True), check_mode=False, diff=True)
    m = result["maps"][0]
    assert (m["deleted"], m["failed"], m["created"], m["updated"]) == (2, 1, 0, 0)
    assert m["bytes"]["deleted"] == 1 + 2
    assert m["files"]["deleted"] == ["d0", "d1"]
    assert m["errors"] == [{"path": "d2", "error": "cannot delete: is a directory"}]
    assert result["changed"] is True
    assert result["diff"]["prepared"] == (
        f"[web] delete {where}d0 (not in source, 1 bytes)\n"
        f"[web] delete {where}d1 (not in source, 2 bytes)\n"
        f"[web] FAILED {where}d2: cannot delete: is a directory\n"
        f"[web] NOT RUN delete {where}d3 (not in source, 4 bytes) [a deletion before it failed]\n")


def test_not_run_reason_is_the_block_when_set_else_the_failed_deletion():
    run = make_run(PUSH, actions=DELETES, status="failed")
    run.applied = applied(failed=[("d0", "AccessDenied")], not_run=DELETES[1:3])
    assert diff_lines(run, check_mode=False)[1:] == [
        "[web] NOT RUN delete s3://bkt/site/d1 (not in source, 2 bytes) [a deletion before it failed]",
        "[web] NOT RUN delete s3://bkt/site/d2 (not in source, 3 bytes) [a deletion before it failed]"]
    run.applied.deletes_blocked = "source read with 1 error(s)"
    assert diff_lines(run, check_mode=False)[1:] == [
        "[web] NOT RUN delete s3://bkt/site/d1 (not in source, 2 bytes) [source read with 1 error(s)]",
        "[web] NOT RUN delete s3://bkt/site/d2 (not in source, 3 bytes) [source read with 1 error(s)]"]


def test_not_run_lines_only_for_not_run_deletions():
    # a planned deletion that was done is not repeated as NOT RUN; none at all when nothing was left
    run = make_run(PUSH, actions=DELETES[:2], status="ok")
    run.applied = applied(done=DELETES[:2])
    assert not [line for line in diff_lines(run, check_mode=False) if "NOT RUN" in line]
    assert len(diff_lines(run, check_mode=False)) == 2


# --- directories: plan actions MKDIR / RMDIR --------------------------------------------

DIR_ACTIONS = [Action(DELETE, "old/a", 1, "not in source"), Action(MKDIR, "new-dir", 0, "directory marker"),
               Action(RMDIR, "old/sub", 0, "empty directory"), Action(RMDIR, "old", 0, "empty directory")]


def test_check_mode_directories_in_the_diff_and_counts():
    run = make_run(PULL, actions=DIR_ACTIONS)
    result = to_result([run], SyncOptions(), check_mode=True, diff=True)
    m = result["maps"][0]
    assert (m["dirs_created"], m["dirs_removed"], m["deleted"], m["created"]) == (1, 2, 1, 0)
    assert m["bytes"]["deleted"] == 1
    assert result["diff"]["prepared"] == (
        "[web] delete /srv/site/old/a (not in source, 1 bytes)\n"
        "[web] mkdir /srv/site/new-dir/ (directory marker)\n"
        "[web] delete /srv/site/old/sub/ (empty directory)\n"
        "[web] delete /srv/site/old/ (empty directory)\n")


def test_directories_alone_change_the_host():
    for actions, key in (([DIR_ACTIONS[1]], "dirs_created"), ([DIR_ACTIONS[3]], "dirs_removed")):
        run = make_run(PULL, actions=actions)
        result = to_result([run], SyncOptions(), check_mode=True, diff=False)
        assert result["changed"] is True and result["maps"][0][key] == 1
        assert all(result["totals"][k] == 0 for k in ("created", "updated", "deleted"))


def test_real_run_counts_the_directories_done_not_those_planned():
    run = make_run(PULL, actions=DIR_ACTIONS, status="ok")
    run.applied = applied(done=[DIR_ACTIONS[0], DIR_ACTIONS[2], DIR_ACTIONS[1]])   # "old" was not empty after all
    result = to_result([run], SyncOptions(), check_mode=False, diff=True)
    m = result["maps"][0]
    assert (m["dirs_created"], m["dirs_removed"], m["deleted"]) == (1, 1, 1)
    assert result["diff"]["prepared"] == (
        "[web] delete /srv/site/old/a (not in source, 1 bytes)\n"
        "[web] mkdir /srv/site/new-dir/ (directory marker)\n"
        "[web] delete /srv/site/old/sub/ (empty directory)\n")


def test_real_run_with_no_directory_done_is_not_changed():
    run = make_run(PULL, actions=[DIR_ACTIONS[3]], status="ok")
    run.applied = applied()
    result = to_result([run], SyncOptions(), check_mode=False, diff=True)
    assert result["changed"] is False and result["maps"][0]["dirs_removed"] == 0
    assert result["diff"]["prepared"] == ""


def test_directories_are_not_files_in_list_files():
    run = make_run(PULL, actions=DIR_ACTIONS)
    m = to_result([run], SyncOptions(list_files=True), check_mode=True, diff=False)["maps"][0]
    assert m["files"] == {"created": [], "updated": [], "deleted": ["old/a"]}


def test_refused_map_reports_nothing_done():
    run = make_run(PUSH, actions=ACTIONS + DIR_ACTIONS[1:], status="refused")
    run.error = "map 'web': 3 deletion(s) ..."
    run.details = {"would_delete": 3}
    result = to_result([run], SyncOptions(), check_mode=True, diff=True)
    m = result["maps"][0]
    assert result["changed"] is False
    assert (m["created"], m["updated"], m["deleted"], m["dirs_created"], m["dirs_removed"]) == (0, 0, 0, 0, 0)
    assert m["status"] == "refused" and m["msg"] == run.error and m["would_delete"] == 3
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


def test_a_failed_upload_that_replaced_its_object_makes_the_run_changed():
    """A source rewritten during every upload attempt: the path failed, yet the object was replaced."""
    run = make_run(PUSH, actions=[ACTIONS[2]], status="failed")
    run.applied = applied(failed=[("page.html", "the file changed while it was uploaded")])
    assert to_result([run], SyncOptions(), check_mode=False, diff=False)["changed"] is False
    run.applied.unproven = ["page.html"]
    result = to_result([run], SyncOptions(), check_mode=False, diff=True)
    assert result["changed"] is True and result["totals"]["updated"] == 0 and result["totals"]["failed"] == 1
    assert "[web] FAILED s3://bkt/site/page.html: the file changed while it was uploaded" in result["diff"]["prepared"]


def test_an_unreported_earlier_change_makes_a_noop_run_changed_and_says_why():
    run = make_run(PULL, unchanged=["a"], status="ok")
    run.applied = Applied()
    run.changed_earlier = True
    result = to_result([run], SyncOptions(), check_mode=False, diff=True)
    assert result["changed"] is True and result["maps"][0]["changed_earlier"] is True
    assert result["diff"]["prepared"] == ("[web] changed by an earlier run whose result was never reported "
                                          "(reported now)\n")
