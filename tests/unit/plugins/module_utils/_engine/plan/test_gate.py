# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safety gate (plugins/module_utils/_engine/plan/gate.py): one test per refusal of issue 4.

Each refusal is shown twice: the plan that must be refused, and the nearest
plan that must pass, so that a gate refusing everything fails too.

A plan is checked against its :class:`Scope`: the address its actions
apply to, an S3 location (a push, a replication destination) or a local
root (a pull).
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import S3Location
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions, parse_budget
from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import SafetyError
from ansible_collections.s32s.sync.plugins.module_utils._engine.paths import LocalRoot, is_within, key_for, local_path
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.gate import Scope, check_plan
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.plan import CREATE, DELETE, UPDATE, Action, Plan
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.tree import Entry, Tree

ROOT = "/srv/site"
LABEL = "map 'web'"
#: The two kinds of target: a push writes the S3 prefix, a pull the local root.
TARGETS = {"s3": S3Location("bkt", "site"), "local": LocalRoot(ROOT)}


def tree(*paths, errors=()):
    t = Tree()
    for p in paths:
        t.entries[p] = Entry(p, 1, 0)
    t.errors = list(errors)
    return t


def plan_of(creates=(), updates=(), deletes=(), **fields):
    actions = [Action(CREATE, p, 1, "new") for p in creates]
    actions += [Action(UPDATE, p, 1, "size 0 -> 1") for p in updates]
    actions += [Action(DELETE, p, 1, "not in source") for p in deletes]
    return Plan(actions=tuple(sorted(actions, key=lambda a: a.relpath)), **fields)


def s3(spec="bkt/site"):
    bucket, prefix = spec.partition("/")[::2]
    return S3Location(bucket, prefix)


def scope(target="bkt/site", ignore=None, label=LABEL):
    """``target``: an S3 ``bucket/prefix`` string, or an address."""
    return Scope.of(label, s3(target) if isinstance(target, str) else target, IgnoreRules(ignore))


def opts(**kw):
    kw.setdefault("max_delete", parse_budget("unlimited"))
    return SyncOptions(**kw)


def dst_with(n, prefix="old"):
    return tree(*[f"{prefix}{i}" for i in range(n)])


def refused(plan, plan_scope, src, dst, options, **kw):
    with pytest.raises(SafetyError) as e:
        check_plan(plan, plan_scope, src, dst, options, **kw)
    assert str(e.value).startswith(f"{plan_scope.label}: ")
    return e.value


# --- the scope ---------------------------------------------------------------------------

@pytest.mark.parametrize("target", list(TARGETS.values()), ids=list(TARGETS))
def test_scope_of_one_way_plan_writes_only_its_target(target):
    one = Scope.of(LABEL, target)
    assert one.label == LABEL and one.target == target and one.writable == (target,)
    assert not one.ignore.matches("anything")
    # the S3 location the plan is about: the target itself when it is on S3
    assert one.location == (target if isinstance(target, S3Location) else None)
    assert Scope.of(LABEL, target, location=s3("bkt")).location == s3("bkt")


# --- a plain plan passes, and stays in scope ----------------------------------------

@pytest.mark.parametrize("which", list(TARGETS))
def test_a_normal_plan_passes_and_stays_under_prefix_and_root(which):
    src = tree("a", "d/b", "keep")
    dst = tree("keep", "old", "d/old")
    plan = plan_of(creates=["a", "d/b"], deletes=["d/old", "old"])
    assert check_plan(plan, scope(TARGETS[which]), src, dst, opts()) is None
    for action in plan.actions:
        assert key_for(TARGETS["s3"].prefix, action.relpath).startswith("site/")
        assert is_within(ROOT, local_path(ROOT, action.relpath))


@pytest.mark.parametrize("which", list(TARGETS))
def test_no_actions_passes_even_with_an_empty_source_or_errors(which):
    check_plan(Plan(), scope(TARGETS[which]), tree(errors=[("x", "cannot stat")]), tree("a"),
               opts(max_delete=parse_budget(0)))
    check_plan(Plan(unreadable=(("a", "Permission denied"),)), scope(TARGETS[which]), tree(), tree("a"),
               opts(max_delete=parse_budget(0)))


# --- scope and containment: unsafe relpaths ------------------------------------------

UNSAFE = ["../site-old/x", "..", "a/../../etc/passwd", "/etc/passwd", "a//b", "a/", "./a", "a\\..\\b",
          "a\x00b", "a\nb", "", "\udcff"]


@pytest.mark.parametrize("which", list(TARGETS))
@pytest.mark.parametrize("kind", ["creates", "updates", "deletes"])
@pytest.mark.parametrize("relpath", UNSAFE)
def test_unsafe_relpath_refused(kind, relpath, which):
    src = tree("ok")
    plan = plan_of(**{kind: [relpath]})
    err = refused(plan, scope(TARGETS[which]), src, tree("ok", "other"), opts())
    assert repr(relpath) in str(err) and "unsafe" in str(err)
    # the nearest safe plan passes
    check_plan(plan_of(**{kind: ["ok/x"]}), scope(TARGETS[which]), src, tree("ok", "other", "ok/x"), opts())


@pytest.mark.parametrize("which", list(TARGETS))
@pytest.mark.parametrize("relpath", ["../site-old/index.html", "../site.json"])
def test_sibling_prefix_never_reached(relpath, which):
    # with s3 'bkt/site', these keys would be 'site/../site-old/...' -> 'site-old/...';
    # with the root /srv/site, the paths /srv/site-old/... and /srv/site.json
    err = refused(plan_of(deletes=[relpath]), scope(TARGETS[which]), tree("x"), tree("x"), opts())
    assert relpath in str(err)
    check_plan(plan_of(deletes=[relpath.replace("../", "")]), scope(TARGETS[which]), tree("x"), tree("x"), opts())


def test_unsafe_path_refused_without_a_local_root():
    # S3-to-S3 replication has no local side: its scope is the destination's S3
    # location, and its keys are still checked
    dest = Scope.of("destination 'dr'", S3Location("dr-bkt", "site"))
    refused(plan_of(creates=["../x"]), dest, tree("x"), tree(), opts())
    check_plan(plan_of(creates=["x"]), dest, tree("x"), tree(), opts())


@pytest.mark.parametrize("which", list(TARGETS))
def test_one_unsafe_action_refuses_the_whole_plan(which):
    plan = plan_of(creates=["a", "b", "c/../../d"])
    refused(plan, scope(TARGETS[which]), tree("a", "b"), tree(), opts())
    check_plan(plan_of(creates=["a", "b", "c/d"]), scope(TARGETS[which]), tree("a", "b", "c/d"), tree(), opts())


# --- scope: what the writable addresses allow --------------------------------------------------

def test_s3_key_outside_the_writable_prefix_refused():
    narrow = Scope(LABEL, S3Location("bkt", "site"), (S3Location("bkt", "site/sub"),))
    err = refused(plan_of(creates=["x"]), narrow, tree("x"), tree(), opts())
    assert "key 'site/x' is outside s3://bkt/site/" in str(err)
    refused(plan_of(creates=["subx/a"]), narrow, tree(), tree(), opts())     # 'site/subx/' is not 'site/sub/'
    check_plan(plan_of(creates=["sub/x"]), narrow, tree("sub/x"), tree(), opts())


def test_s3_key_in_another_bucket_refused():
    other = Scope(LABEL, S3Location("bkt", "site"), (S3Location("other", "site"),))
    refused(plan_of(creates=["x"]), other, tree("x"), tree(), opts())
    local_only = Scope(LABEL, S3Location("bkt", "site"), (LocalRoot(ROOT),))
    refused(plan_of(creates=["x"]), local_only, tree("x"), tree(), opts())
    check_plan(plan_of(creates=["x"]), Scope(LABEL, S3Location("bkt", "site"), (S3Location("bkt", "site"),)),
               tree("x"), tree(), opts())


def test_local_path_escaping_the_root_refused():
    # through an unsafe relpath ...
    err = refused(plan_of(creates=["../site-old/x"]), scope(LocalRoot(ROOT)), tree(), tree(), opts())
    assert "unsafe" in str(err)
    # ... and through the containment check itself, for a root narrower than the target
    narrow = Scope(LABEL, LocalRoot(ROOT), (LocalRoot(ROOT + "/sub"),))
    err = refused(plan_of(creates=["x"]), narrow, tree("x"), tree(), opts())
    assert f"path '{ROOT}/x' is outside the root {ROOT}" in str(err)
    refused(plan_of(deletes=["subx"]), narrow, tree("a"), tree("subx"), opts())  # /srv/site/subx: a sibling
    err = refused(plan_of(deletes=["sub"]), narrow, tree("a"), tree("sub"), opts())  # the root itself
    assert f"'{ROOT}/sub'" in str(err)
    check_plan(plan_of(creates=["sub/x"], deletes=["sub/old"]), narrow, tree("sub/x"), tree("sub/old", "sub/k"),
               opts())


def test_local_root_of_another_kind_refused():
    s3_only = Scope(LABEL, LocalRoot(ROOT), (S3Location("bkt", "site"),))
    refused(plan_of(creates=["x"]), s3_only, tree("x"), tree(), opts())
    check_plan(plan_of(creates=["x"]), Scope(LABEL, LocalRoot(ROOT), (LocalRoot(ROOT),)), tree("x"), tree(), opts())


# --- bare bucket ----------------------------------------------------------------------

def test_bare_bucket_deletions_refused():
    plan = plan_of(creates=["new"], deletes=["old0", "old1"])
    err = refused(plan, scope("bkt"), tree("new"), dst_with(2), opts())
    assert "bare bucket" in str(err) and "allow_bare_bucket" in str(err)
    assert err.details["would_delete"] == 2
    check_plan(plan, scope("bkt/site"), tree("new"), dst_with(2), opts())   # the same plan under a prefix


def test_bare_bucket_without_deletions_passes():
    check_plan(plan_of(creates=["new"], updates=["u"]), scope("bkt"), tree("new", "u"), tree("u"), opts())


def test_bare_bucket_deletions_allowed_explicitly():
    check_plan(plan_of(deletes=["old0"]), scope("bkt"), tree("new"), dst_with(1), opts(allow_bare_bucket=True))


def test_bare_bucket_replication_destination_refused():
    dest = Scope.of("destination 'dr'", S3Location("dr-bkt", ""))
    err = refused(plan_of(deletes=["old0"]), dest, tree("new"), dst_with(1), opts())
    assert "s3 'dr-bkt' is a bare bucket" in str(err)
    check_plan(plan_of(deletes=["old0"]), dest, tree("new"), dst_with(1), opts(allow_bare_bucket=True))


@pytest.mark.parametrize("location, allowed", [("bkt", False), ("bkt/site", True)])
def test_pull_from_a_bare_bucket_deletes_only_when_allowed(location, allowed):
    # a pull's target is its local root; the map's s3 location still decides
    pull = Scope.of(LABEL, LocalRoot(ROOT), location=s3(location))
    plan = plan_of(creates=["new"], deletes=["old0", "old1"])
    if allowed:
        check_plan(plan, pull, tree("new"), dst_with(2), opts())
    else:
        err = refused(plan, pull, tree("new"), dst_with(2), opts())
        assert "s3 'bkt' is a bare bucket; 2 deletion(s)" in str(err) and err.details["would_delete"] == 2
    check_plan(plan, pull, tree("new"), dst_with(2), opts(allow_bare_bucket=True))
    check_plan(plan_of(creates=["new"]), pull, tree("new"), dst_with(2), opts())     # no deletion


# --- map files are never deleted ----------------------------------------------------------

def test_map_file_key_protected():
    options = opts(protected_keys=frozenset({("bkt", "site/maps/map.json")}))
    plan = plan_of(deletes=["maps/map.json", "old0"])
    err = refused(plan, scope("bkt/site"), tree("a"), tree("maps/map.json", "old0"), options)
    assert "s3://bkt/site/maps/map.json" in str(err) and "map file" in str(err)
    check_plan(plan_of(deletes=["old0"]), scope("bkt/site"), tree("a"), tree("maps/map.json", "old0"), options)


def test_map_file_key_protected_at_a_bare_bucket_even_when_allowed():
    options = opts(protected_keys=frozenset({("bkt", "maps/m.json")}), allow_bare_bucket=True)
    refused(plan_of(deletes=["maps/m.json"]), scope("bkt"), tree("a"), tree("maps/m.json"), options)
    check_plan(plan_of(deletes=["maps/n.json"]), scope("bkt"), tree("a"), tree("maps/n.json"), options)


@pytest.mark.parametrize("protected", [("other-bkt", "site/maps/map.json"), ("bkt", "maps/map.json"),
                                       ("bkt", "site/maps/map.json.bak")])
def test_map_file_protection_is_exact(protected):
    options = opts(protected_keys=frozenset({protected}))
    check_plan(plan_of(deletes=["maps/map.json"]), scope("bkt/site"), tree("a"), tree("maps/map.json"), options)


# --- ignored paths are never deleted -------------------------------------------------------

@pytest.mark.parametrize("which", list(TARGETS))
@pytest.mark.parametrize("relpath", ["debug.log", "cache", "cache/deep/x", ".env"])
def test_ignored_path_never_deleted(relpath, which):
    ignoring = scope(TARGETS[which], ignore=["*.log", "cache", ".*"])
    err = refused(plan_of(deletes=[relpath]), ignoring, tree("a"), tree(relpath), opts())
    assert "ignored" in str(err) and repr(relpath) in str(err)
    check_plan(plan_of(deletes=[relpath]), scope(TARGETS[which]), tree("a"), tree(relpath), opts())


@pytest.mark.parametrize("which", list(TARGETS))
def test_not_ignored_path_may_be_deleted(which):
    ignoring = scope(TARGETS[which], ignore=["*.log", "cache", ".*"])
    check_plan(plan_of(deletes=["debug.log.txt", "cachex", "sub/.env"]), ignoring, tree("a"),
               tree("debug.log.txt", "cachex", "sub/.env"), opts())


def test_ignored_path_may_be_transferred():
    # the rule is about deletions: a plan never creates an ignored path, but the gate guards deletions
    ignoring = scope(ignore=["*.log"])
    check_plan(plan_of(creates=["a.log"]), ignoring, tree("a.log"), tree(), opts())


# --- an unreadable or empty source never deletes -------------------------------------------

@pytest.mark.parametrize("which", list(TARGETS))
def test_source_errors_block_deletions(which):
    src = tree("a", errors=[("locked", "cannot list directory: Permission denied"), ("b", "cannot stat")])
    err = refused(plan_of(creates=["a"], deletes=["old0"]), scope(TARGETS[which]), src, dst_with(1), opts())
    assert "2 error(s)" in str(err) and "'locked'" in str(err) and "Permission denied" in str(err)
    assert err.details["would_delete"] == 1
    check_plan(plan_of(creates=["a"], deletes=["old0"]), scope(TARGETS[which]), tree("a"), dst_with(1), opts())


def test_source_errors_do_not_block_transfers():
    src = tree("a", errors=[("locked", "cannot list directory: Permission denied")])
    check_plan(plan_of(creates=["a"]), scope(), src, tree(), opts())


def test_source_errors_block_even_with_allow_empty_source_and_no_limit():
    src = tree("a", errors=[("x", "cannot stat")])
    refused(plan_of(deletes=["old0"]), scope(), src, dst_with(1),
            opts(allow_empty_source=True, allow_bare_bucket=True))


@pytest.mark.parametrize("which", list(TARGETS))
def test_unreadable_files_do_not_refuse_the_plan_listing_errors_do(which):
    """A source file that could not be read (plan.unreadable) does not refuse the plan: its
    transfers run and the executor runs none of its deletions (the map is failed, partial).
    A listing error still refuses the deletions here."""
    plan = plan_of(creates=["a"], deletes=["old0"], unreadable=(("b", "Permission denied"),))
    check_plan(plan, scope(TARGETS[which]), tree("a", "b"), dst_with(1), opts())
    check_plan(plan, scope(TARGETS[which]), tree("b"), dst_with(1), opts(allow_empty_source=True))
    err = refused(plan, scope(TARGETS[which]), tree("a", "b", errors=[("c", "cannot stat")]), dst_with(1), opts())
    assert "1 error(s), first 'c': cannot stat" in str(err) and "refusing 1 deletion(s)" in str(err)
    assert err.details["would_delete"] == 1


def test_empty_source_refuses_to_delete_everything():
    err = refused(plan_of(deletes=["old0", "old1", "old2"]), scope(), tree(), dst_with(3), opts())
    assert "empty" in str(err) and "allow_empty_source" in str(err) and "3" in str(err)
    assert err.details["would_delete"] == 3
    check_plan(plan_of(deletes=["old0", "old1", "old2"]), scope(), tree("keep"), dst_with(3), opts())


def test_empty_source_refusal_asks_for_the_budget_too_when_it_would_refuse_next():
    """The advice is complete: lifting the empty-source rule alone would meet the budget next."""
    err = refused(plan_of(deletes=["old0", "old1", "old2"]), scope(), tree(), dst_with(3),
                  opts(max_delete=parse_budget("50%")))
    assert "set allow_empty_source=true and max_delete=unlimited if this is intended" in str(err)
    err = refused(plan_of(deletes=["old0"]), scope(), tree(), dst_with(3), opts(max_delete=parse_budget("1")))
    assert "set allow_empty_source=true if this is intended" in str(err)
    named = SyncOptions(option_names={"allow_empty_source": "allow_empty_source: {value} in the file (watch_x)"})
    err = refused(plan_of(deletes=["old0"]), scope(), tree(), dst_with(3), named)
    assert "set allow_empty_source: true in the file (watch_x) if this is intended" in str(err)


def test_source_with_only_skipped_paths_is_empty():
    src = tree()
    src.skipped = [("link", "symlink leaving the root")]
    refused(plan_of(deletes=["old0"]), scope(), src, dst_with(1), opts())


def test_empty_source_allowed_explicitly():
    check_plan(plan_of(deletes=["old0", "old1"]), scope(), tree(), dst_with(2), opts(allow_empty_source=True))


def test_empty_source_allowed_still_within_the_default_budget():
    options = SyncOptions(allow_empty_source=True)          # max_delete defaults to 50%
    err = refused(plan_of(deletes=["old0", "old1", "old2", "old3"]), scope(), tree(), dst_with(4), options)
    assert "max_delete=50%" in str(err)
    check_plan(plan_of(deletes=["old0", "old1"]), scope(), tree(), dst_with(4), options)


# --- targeted plans: the source is what they selected ---------------------------------------------

@pytest.mark.parametrize("which", list(TARGETS))
def test_targeted_plan_with_an_empty_source_may_delete(which):
    # a targeted run lists only its relpaths: the source lacking them is what deletes them
    targeted = plan_of(deletes=["old0", "old1"], only=frozenset({"old0", "old1"}))
    check_plan(targeted, scope(TARGETS[which]), tree(), dst_with(2), opts())
    # the same deletions in a full plan: an empty source, refused
    err = refused(plan_of(deletes=["old0", "old1"]), scope(TARGETS[which]), tree(), dst_with(2), opts())
    assert "the source is empty" in str(err)


def test_targeted_plan_is_still_gated():
    only = frozenset({"old0", "old1", "debug.log"})
    # source errors
    refused(plan_of(deletes=["old0"], only=only), scope(), tree(errors=[("x", "cannot stat")]), dst_with(1), opts())
    # ignored paths
    refused(plan_of(deletes=["debug.log"], only=only), scope(ignore=["*.log"]), tree(), tree("debug.log"), opts())
    # the budget
    refused(plan_of(deletes=["old0", "old1"], only=only), scope(), tree(), dst_with(2),
            opts(max_delete=parse_budget(1)))
    check_plan(plan_of(deletes=["old0"], only=only), scope(), tree(), dst_with(2), opts(max_delete=parse_budget(1)))


# --- the deletion budget ------------------------------------------------------------------------

def _deletes(n, **fields):
    return plan_of(creates=["new"], deletes=[f"old{i}" for i in range(n)], **fields)


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
        check_plan(_deletes(allowed), scope(), src, dst, options)
    else:
        check_plan(plan_of(creates=["new"]), scope(), src, dst, options)
    err = refused(_deletes(allowed + 1), scope(), src, dst, options)
    assert err.details["would_delete"] == allowed + 1
    assert f"{allowed + 1} deletion(s) of {dest}" in str(err)
    assert f"limit {allowed}" in str(err) and "nothing was changed" in str(err)


def test_budget_is_counted_on_the_destination_not_the_source():
    options = opts(max_delete=parse_budget("50%"))
    src = tree(*[f"s{i}" for i in range(100)])
    refused(_deletes(3), scope(), src, dst_with(4), options)            # limit 2 of 4 files
    check_plan(_deletes(3), scope(), tree("new"), dst_with(6), options)  # limit 3 of 6


def test_default_budget_is_half():
    src = tree("new")
    check_plan(_deletes(5), scope(), src, dst_with(10), SyncOptions())
    refused(_deletes(6), scope(), src, dst_with(10), SyncOptions())


def test_unlimited_budget():
    check_plan(_deletes(1000), scope(), tree("new"), dst_with(1000), opts(max_delete=parse_budget("unlimited")))
    check_plan(_deletes(1000), scope(), tree("new"), dst_with(1000), opts(max_delete=parse_budget(-1)))


def test_budget_ignores_transfers():
    plan = plan_of(creates=[f"n{i}" for i in range(50)], updates=["old0"], deletes=["old1"])
    check_plan(plan, scope(), tree("x"), dst_with(2), opts(max_delete=parse_budget(1)))
    refused(plan_of(deletes=["old0", "old1"]), scope(), tree("x"), dst_with(2), opts(max_delete=parse_budget(1)))


def test_budget_message_says_how_many():
    err = refused(_deletes(7), scope(), tree("new"), dst_with(10), opts(max_delete=parse_budget(3)))
    assert "7 deletion(s)" in str(err) and "max_delete=3" in str(err)


# --- the budget base: what a percentage is taken of ------------------------------------------------

def test_budget_base_decides_a_percentage():
    options = opts(max_delete=parse_budget("50%"))
    only = frozenset({"old0", "old1", "old2", "new"})
    # a targeted listing of the destination holds just the selected paths: 3 of 3 would exceed 50%
    targeted = _deletes(3, only=only)
    err = refused(targeted, scope(), tree("new"), dst_with(3), options)
    assert "3 deletion(s) of 3 destination file(s)" in str(err) and "limit 2" in str(err)
    # taken of the destination's full count instead: 3 of 2000 pass
    check_plan(targeted, scope(), tree("new"), dst_with(3), options, budget_base=2000)
    # and 1500 of 2000 do not
    err = refused(_deletes(1500), scope(), tree("new"), dst_with(1500), options, budget_base=2000)
    assert "1500 deletion(s) of 2000 destination file(s)" in str(err) and "limit 1000" in str(err)
    assert err.details["would_delete"] == 1500
    check_plan(_deletes(1000), scope(), tree("new"), dst_with(1500), options, budget_base=2000)


def test_budget_base_defaults_to_the_destination_listing():
    options = opts(max_delete=parse_budget("50%"))
    check_plan(_deletes(3), scope(), tree("new"), dst_with(6), options)
    check_plan(_deletes(3), scope(), tree("new"), dst_with(6), options, budget_base=None)
    refused(_deletes(3), scope(), tree("new"), dst_with(6), options, budget_base=4)   # limit 3 of 6, 2 of 4


def test_budget_base_zero_is_a_base_not_a_default():
    options = opts(max_delete=parse_budget("50%"))
    err = refused(_deletes(1), scope(), tree("new"), dst_with(100), options, budget_base=0)
    assert "1 deletion(s) of 0 destination file(s)" in str(err)
    check_plan(_deletes(1), scope(), tree("new"), dst_with(100), options)


def test_budget_base_does_not_change_a_count():
    options = opts(max_delete=parse_budget(2))
    refused(_deletes(3), scope(), tree("new"), dst_with(3), options, budget_base=2000)
    check_plan(_deletes(2), scope(), tree("new"), dst_with(3), options, budget_base=1)


# --- pull: local containment -----------------------------------------------------------------

@pytest.mark.parametrize("root", ["/srv/site", "/", "/a/b/c"])
def test_local_paths_stay_in_the_root(root):
    plan = plan_of(creates=["x/y"], deletes=["z"])
    check_plan(plan, scope(LocalRoot(root)), tree("x/y"), tree("z", "w"), opts())
    for a in plan.actions:
        path = os.path.normpath(local_path(root, a.relpath))
        assert is_within(root, path) and path != os.path.normpath(root)
    refused(plan_of(creates=["../x/y"]), scope(LocalRoot(root)), tree("x/y"), tree("z", "w"), opts())
