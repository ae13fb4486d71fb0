# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gate of two-way plans (check_sync_plan in plugins/module_utils/_engine/plan/gate.py).

Each refusal sits beside the nearest plan that passes, so that a gate that
refuses everything fails these tests too.
"""

from __future__ import annotations

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import S3Location
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions, parse_budget
from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import SafetyError
from ansible_collections.s32s.sync.plugins.module_utils._engine.paths import LocalRoot
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.gate import Scope, check_sync_plan
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.threeway import (
    DELETE, LOCAL, REMOTE, RENAME, UPLOAD, SyncAction, SyncPlan)
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.tree import Entry, Tree

ROOT = LocalRoot("/srv/share")
PREFIX = S3Location("b", "share")


def tree(*names):
    t = Tree()
    t.entries = {n: Entry(n, 1, 1) for n in names}
    return t


def check(actions, local=tree("a", "b", "c", "d"), remote=tree("a", "b", "c", "d"), base_size=4, ignore=None,
          max_delete="50%", location=PREFIX, allow_empty_source=False, option_names=None, **kw):
    plan = SyncPlan(actions=tuple(actions), base_size=base_size)
    opts = SyncOptions(max_delete=parse_budget(max_delete), allow_empty_source=allow_empty_source,
                       option_names=option_names or {})
    rules = IgnoreRules(ignore)
    check_sync_plan(plan, Scope.of("s (local)", ROOT, rules), Scope.of("s (remote)", location, rules), local, remote,
                    opts, **kw)


def delete(side, p):
    return SyncAction(DELETE, side, p, 1, "deleted")


def test_deletions_within_budget_pass_and_over_budget_are_refused_per_side():
    check([delete(REMOTE, "a"), delete(REMOTE, "b"), delete(LOCAL, "c"), delete(LOCAL, "d")])
    with pytest.raises(SafetyError, match=r"3 deletion\(s\) of 4 file\(s\) in the S3 prefix"):
        check([delete(REMOTE, p) for p in "abc"])
    with pytest.raises(SafetyError, match=r"3 deletion\(s\) of 4 file\(s\) in the local directory"):
        check([delete(LOCAL, p) for p in "abc"])


def test_renames_are_not_deletions():
    check([SyncAction(RENAME, REMOTE, p, 0, "renamed", to=p + "2") for p in "abcd"])


@pytest.mark.parametrize("side,empty_side", [(REMOTE, "local"), (LOCAL, "remote")])
def test_an_empty_side_with_a_base_refuses_deletions_on_the_other(side, empty_side):
    kw = {empty_side: tree()}
    check([delete(side, "a")], **{empty_side: tree("z")})
    with pytest.raises(SafetyError, match="is empty while the last sync had 4"):
        check([delete(side, "a")], max_delete="unlimited", **kw)
    check([delete(side, "a")], base_size=0, max_delete="unlimited", **kw)  # no base: nothing to compare


@pytest.mark.parametrize("side,empty_side,back", [
    (REMOTE, "local", "download them again from the S3 prefix"),
    (LOCAL, "remote", "upload them again from the local directory")])
def test_the_refusal_of_an_emptied_side_says_both_ways_out(side, empty_side, back):
    """The host is stuck until the operator says which side is right: the message names the restore
    (delete=false) and the propagation (allow_empty_source=true, and a max_delete that allows it)."""
    with pytest.raises(SafetyError) as err:
        check([delete(side, p) for p in "abcd"], **{empty_side: tree()})
    msg = str(err.value)
    assert "sync once with delete=false to " + back in msg, msg
    assert "sync once with allow_empty_source=true and max_delete=unlimited to make them" in msg, msg
    with pytest.raises(SafetyError) as err:  # within the budget: only allow_empty_source is needed
        check([delete(side, "a")], **{empty_side: tree()})
    assert "allow_empty_source=true to make them" in str(err.value)
    names = {"allow_empty_source": "allow_empty_source={value} (share_allow_empty_source)"}
    with pytest.raises(SafetyError, match=r"allow_empty_source=true \(share_allow_empty_source\)"):
        check([delete(side, "a")], option_names=names, **{empty_side: tree()})


@pytest.mark.parametrize("side,empty_side", [(REMOTE, "local"), (LOCAL, "remote")])
def test_allow_empty_source_propagates_an_emptied_side_within_the_budget(side, empty_side):
    kw = {empty_side: tree()}
    check([delete(side, p) for p in "abcd"], allow_empty_source=True, max_delete="unlimited", **kw)
    with pytest.raises(SafetyError, match=r"4 deletion\(s\) of 4 file\(s\).*exceed max_delete=50%"):
        check([delete(side, p) for p in "abcd"], allow_empty_source=True, **kw)
    # an unreadable side still refuses: allow_empty_source is about emptiness only
    unreadable = tree()
    unreadable.errors.append(("x", "Permission denied"))
    with pytest.raises(SafetyError, match="could not be read completely"):
        check([delete(side, "a")], allow_empty_source=True, max_delete="unlimited", **{empty_side: unreadable})


def test_allow_empty_source_never_lifts_the_missing_directory_rule():
    with pytest.raises(SafetyError, match="is missing while the last sync had 4"):
        check([delete(REMOTE, "a")], local=tree(), allow_empty_source=True, max_delete="unlimited",
              local_missing=True)


def test_an_unreadable_side_refuses_deletions_on_the_other():
    local = tree("a", "b", "c")
    local.errors.append(("x", "Permission denied"))
    check([delete(LOCAL, "a")], local=local)
    with pytest.raises(SafetyError, match="could not be read completely"):
        check([delete(REMOTE, "a")], local=local)


def test_a_missing_local_directory_with_a_base_changes_nothing():
    check([SyncAction(UPLOAD, REMOTE, "a", 1, "new")], base_size=0, local_missing=True)
    with pytest.raises(SafetyError, match="is missing while the last sync had 4"):
        check([SyncAction(UPLOAD, REMOTE, "a", 1, "new")], local_missing=True)


@pytest.mark.parametrize("relpath", ["../x", "/etc/passwd", "a/../../x", "a\x00b"])
def test_unsafe_paths_are_refused_on_both_sides_and_in_renames(relpath):
    for side in (LOCAL, REMOTE):
        with pytest.raises(SafetyError, match="unsafe path"):
            check([SyncAction(UPLOAD if side == REMOTE else DELETE, side, relpath, 1, "x")])
        with pytest.raises(SafetyError, match="unsafe path"):
            check([SyncAction(RENAME, side, "a", 1, "x", to=relpath)])
    check([SyncAction(RENAME, LOCAL, "a", 1, "x", to="a2")])


def test_ignored_paths_are_never_deleted():
    check([delete(REMOTE, "a")], ignore=["c*"])
    with pytest.raises(SafetyError, match="ignored path 'cache/x'"):
        check([delete(REMOTE, "cache/x")], ignore=["cache"])


def test_a_bare_bucket_needs_allow_bare_bucket_for_remote_deletions_and_renames():
    bare = S3Location("b", "")
    check([delete(LOCAL, "a")], location=bare)
    with pytest.raises(SafetyError, match="bare bucket"):
        check([delete(REMOTE, "a")], location=bare)
    with pytest.raises(SafetyError, match="bare bucket"):
        check([SyncAction(RENAME, REMOTE, "a", 0, "renamed", to="b")], location=bare)


def test_a_rename_from_or_to_an_ignored_path_is_refused():
    check([SyncAction(RENAME, REMOTE, "a", 0, "renamed", to="b")], ignore=["cache"])
    with pytest.raises(SafetyError, match="ignored path"):
        check([SyncAction(RENAME, REMOTE, "cache/a", 0, "renamed", to="b")], ignore=["cache"])
