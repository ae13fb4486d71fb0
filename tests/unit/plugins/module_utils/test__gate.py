# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safety gate (plugins/module_utils/_gate.py): one test per refusal of issue 4.

Each refusal is shown twice: the plan that must be refused, and the nearest
plan that must pass, so that a gate refusing everything fails too.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._errors import SafetyError
from ansible_collections.s32s.sync.plugins.module_utils._gate import check_plan
from ansible_collections.s32s.sync.plugins.module_utils._ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._maps import S3Location, SyncMap
from ansible_collections.s32s.sync.plugins.module_utils._options import SyncOptions, parse_budget
from ansible_collections.s32s.sync.plugins.module_utils._paths import is_within, key_for, local_path
from ansible_collections.s32s.sync.plugins.module_utils._plan import CREATE, DELETE, UPDATE, Action, Plan
from ansible_collections.s32s.sync.plugins.module_utils._tree import Entry, Tree

ROOT = "/srv/site"


def tree(*paths, errors=()):
    t = Tree()
    for p in paths:
        t.entries[p] = Entry(p, 1, 0)
    t.errors = list(errors)
    return t


def plan_of(creates=(), updates=(), deletes=()):
    plan = Plan()
    actions = [Action(CREATE, p, 1, "new") for p in creates]
    actions += [Action(UPDATE, p, 1, "size 0 -> 1") for p in updates]
    actions += [Action(DELETE, p, 1, "not in source") for p in deletes]
    plan.actions = sorted(actions, key=lambda a: a.relpath)
    return plan


def smap(s3="bkt/site", root=ROOT, ignore=None, name="web"):
    bucket, prefix = s3.partition("/")[::2]
    return SyncMap(name=name, s3=S3Location(bucket, prefix), root=root, ignore=IgnoreRules(ignore))


def opts(**kw):
    kw.setdefault("max_delete", parse_budget("unlimited"))
    return SyncOptions(**kw)


def dst_with(n, prefix="old"):
    return tree(*[f"{prefix}{i}" for i in range(n)])


def refused(plan, sync_map, src, dst, options):
    with pytest.raises(SafetyError) as e:
        check_plan(plan, sync_map, src, dst, options)
    assert f"map '{sync_map.name}'" in str(e.value)
    return e.value


# --- a plain plan passes, and stays in scope ----------------------------------------

def test_a_normal_plan_passes_and_stays_under_prefix_and_root():
    src = tree("a", "d/b", "keep")
    dst = tree("keep", "old", "d/old")
    plan = plan_of(creates=["a", "d/b"], deletes=["d/old", "old"])
    sync_map = smap()
    assert check_plan(plan, sync_map, src, dst, opts()) is None
    for action in plan.actions:
        assert key_for(sync_map.s3.prefix, action.relpath).startswith("site/")
        assert is_within(ROOT, local_path(ROOT, action.relpath))


def test_no_actions_passes_even_with_an_empty_source_or_errors():
    check_plan(Plan(), smap(), tree(errors=[("x", "cannot stat")]), tree("a"), opts(max_delete=parse_budget(0)))


# --- scope and containment: unsafe relpaths ------------------------------------------

UNSAFE = ["../site-old/x", "..", "a/../../etc/passwd", "/etc/passwd", "a//b", "a/", "./a", "a\\..\\b",
          "a\x00b", "a\nb", "", "\udcff"]


@pytest.mark.parametrize("kind", ["creates", "updates", "deletes"])
@pytest.mark.parametrize("relpath", UNSAFE)
def test_unsafe_relpath_refused(kind, relpath):
    src = tree("ok")
    plan = plan_of(**{kind: [relpath]})
    err = refused(plan, smap(), src, tree("ok", "other"), opts())
    assert repr(relpath) in str(err) and "unsafe" in str(err)


@pytest.mark.parametrize("relpath", ["../site-old/index.html", "../site.json"])
def test_sibling_prefix_never_reached(relpath):
    # with s3 'bkt/site', these keys would be 'site/../site-old/...' -> 'site-old/...'
    err = refused(plan_of(deletes=[relpath]), smap("bkt/site"), tree("x"), tree("x"), opts())
    assert relpath in str(err)


def test_unsafe_path_refused_without_a_local_root():
    # S3-to-S3 replication has no local side (root ''): keys are still checked
    refused(plan_of(creates=["../x"]), smap(root=""), tree("x"), tree(), opts())
    check_plan(plan_of(creates=["x"]), smap(root=""), tree("x"), tree(), opts())


def test_one_unsafe_action_refuses_the_whole_plan():
    plan = plan_of(creates=["a", "b", "c/../../d"])
    refused(plan, smap(), tree("a", "b"), tree(), opts())


# --- bare bucket ----------------------------------------------------------------------

def test_bare_bucket_deletions_refused():
    plan = plan_of(creates=["new"], deletes=["old0", "old1"])
    err = refused(plan, smap("bkt"), tree("new"), dst_with(2), opts())
    assert "bare bucket" in str(err) and "allow_bare_bucket" in str(err)
    assert err.details["would_delete"] == 2


def test_bare_bucket_without_deletions_passes():
    check_plan(plan_of(creates=["new"], updates=["u"]), smap("bkt"), tree("new", "u"), tree("u"), opts())


def test_bare_bucket_deletions_allowed_explicitly():
    check_plan(plan_of(deletes=["old0"]), smap("bkt"), tree("new"), dst_with(1), opts(allow_bare_bucket=True))


# --- map files are never deleted ----------------------------------------------------------

def test_map_file_key_protected():
    options = opts(protected_keys=frozenset({("bkt", "site/maps/map.json")}))
    plan = plan_of(deletes=["maps/map.json", "old0"])
    err = refused(plan, smap("bkt/site"), tree("a"), tree("maps/map.json", "old0"), options)
    assert "s3://bkt/site/maps/map.json" in str(err) and "map file" in str(err)


def test_map_file_key_protected_at_a_bare_bucket_even_when_allowed():
    options = opts(protected_keys=frozenset({("bkt", "maps/m.json")}), allow_bare_bucket=True)
    refused(plan_of(deletes=["maps/m.json"]), smap("bkt"), tree("a"), tree("maps/m.json"), options)


@pytest.mark.parametrize("protected", [("other-bkt", "site/maps/map.json"), ("bkt", "maps/map.json"),
                                       ("bkt", "site/maps/map.json.bak")])
def test_map_file_protection_is_exact(protected):
    options = opts(protected_keys=frozenset({protected}))
    check_plan(plan_of(deletes=["maps/map.json"]), smap("bkt/site"), tree("a"), tree("maps/map.json"), options)


# --- ignored paths are never deleted -------------------------------------------------------

@pytest.mark.parametrize("relpath", ["debug.log", "cache", "cache/deep/x", ".env"])
def test_ignored_path_never_deleted(relpath):
    sync_map = smap(ignore=["*.log", "cache", ".*"])
    err = refused(plan_of(deletes=[relpath]), sync_map, tree("a"), tree(relpath), opts())
    assert "ignored" in str(err) and repr(relpath) in str(err)


def test_not_ignored_path_may_be_deleted():
    sync_map = smap(ignore=["*.log", "cache", ".*"])
    check_plan(plan_of(deletes=["debug.log.txt", "cachex", "sub/.env"]), sync_map, tree("a"),
               tree("debug.log.txt", "cachex", "sub/.env"), opts())


# --- an unreadable or empty source never deletes -------------------------------------------

def test_source_errors_block_deletions():
    src = tree("a", errors=[("locked", "cannot list directory: Permission denied"), ("b", "cannot stat")])
    err = refused(plan_of(creates=["a"], deletes=["old0"]), smap(), src, dst_with(1), opts())
    assert "2 error(s)" in str(err) and "'locked'" in str(err) and "Permission denied" in str(err)
    assert err.details["would_delete"] == 1


def test_source_errors_do_not_block_transfers():
    src = tree("a", errors=[("locked", "cannot list directory: Permission denied")])
    check_plan(plan_of(creates=["a"]), smap(), src, tree(), opts())


def test_source_errors_block_even_with_allow_empty_source_and_no_limit():
    src = tree("a", errors=[("x", "cannot stat")])
    refused(plan_of(deletes=["old0"]), smap(), src, dst_with(1),
            opts(allow_empty_source=True, allow_bare_bucket=True))


def test_empty_source_refuses_to_delete_everything():
    err = refused(plan_of(deletes=["old0", "old1", "old2"]), smap(), tree(), dst_with(3), opts())
    assert "empty" in str(err) and "allow_empty_source" in str(err) and "3" in str(err)
    assert err.details["would_delete"] == 3


def test_source_with_only_skipped_paths_is_empty():
    src = tree()
    src.skipped = [("link", "symlink leaving the root")]
    refused(plan_of(deletes=["old0"]), smap(), src, dst_with(1), opts())


def test_empty_source_allowed_explicitly():
    check_plan(plan_of(deletes=["old0", "old1"]), smap(), tree(), dst_with(2), opts(allow_empty_source=True))


def test_empty_source_allowed_still_within_the_default_budget():
    options = SyncOptions(allow_empty_source=True)          # max_delete defaults to 50%
    err = refused(plan_of(deletes=["old0", "old1", "old2", "old3"]), smap(), tree(), dst_with(4), options)
    assert "max_delete=50%" in str(err)


# --- the deletion budget ------------------------------------------------------------------------

def _deletes(n):
    return plan_of(creates=["new"], deletes=[f"old{i}" for i in range(n)])


@pytest.mark.parametrize("budget, dest, allowed", [
    ("0", 5, 0),
    ("2", 5, 2),
    ("2", 1000, 2),
    ("50%", 5, 3),        # 2.5 rounded up
    ("50%", 4, 2),
    ("10%", 9, 1),        # 0.9 rounded up
    ("10%", 20, 2),
    ("25%", 7, 2),        # 1.75 rounded up
    ("0%", 10, 0),
    ("100%", 6, 6),
])
def test_budget(budget, dest, allowed):
    options = opts(max_delete=parse_budget(budget))
    src, dst = tree("new"), dst_with(dest)
    if allowed:
        check_plan(_deletes(allowed), smap(), src, dst, options)
    err = refused(_deletes(allowed + 1), smap(), src, dst, options)
    assert err.details["would_delete"] == allowed + 1
    assert f"{allowed + 1} deletion(s) of {dest}" in str(err)
    assert f"limit {allowed}" in str(err) and "nothing was changed" in str(err)


def test_budget_is_counted_on_the_destination_not_the_source():
    options = opts(max_delete=parse_budget("50%"))
    src = tree(*[f"s{i}" for i in range(100)])
    refused(_deletes(3), smap(), src, dst_with(4), options)            # limit 2 of 4 files
    check_plan(_deletes(3), smap(), tree("new"), dst_with(6), options)  # limit 3 of 6


def test_default_budget_is_half():
    src = tree("new")
    check_plan(_deletes(5), smap(), src, dst_with(10), SyncOptions())
    refused(_deletes(6), smap(), src, dst_with(10), SyncOptions())


def test_unlimited_budget():
    check_plan(_deletes(1000), smap(), tree("new"), dst_with(1000), opts(max_delete=parse_budget("unlimited")))
    check_plan(_deletes(1000), smap(), tree("new"), dst_with(1000), opts(max_delete=parse_budget(-1)))


def test_budget_ignores_transfers():
    plan = plan_of(creates=[f"n{i}" for i in range(50)], updates=["old0"], deletes=["old1"])
    check_plan(plan, smap(), tree("x"), dst_with(2), opts(max_delete=parse_budget(1)))


def test_budget_message_says_how_many():
    err = refused(_deletes(7), smap(), tree("new"), dst_with(10), opts(max_delete=parse_budget(3)))
    assert "7 deletion(s)" in str(err) and "max_delete=3" in str(err)


# --- pull: local containment -----------------------------------------------------------------

@pytest.mark.parametrize("root", ["/srv/site", "/", "/a/b/c"])
def test_local_paths_stay_in_the_root(root):
    plan = plan_of(creates=["x/y"], deletes=["z"])
    check_plan(plan, smap(root=root), tree("x/y"), tree("z", "w"), opts())
    for a in plan.actions:
        path = os.path.normpath(local_path(root, a.relpath))
        assert is_within(root, path) and path != os.path.normpath(root)
