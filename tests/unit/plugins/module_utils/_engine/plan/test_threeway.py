# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The three-way plan of two-way sync (plugins/module_utils/_engine/plan/threeway.py).

States are written compactly: a local file or an object holds a *version* of
the content (an int); the base row of version ``v`` is what a local file and
an object of version ``v`` give. A touched local file (``T(v)``) holds the
bytes of ``v`` with another stat. Every table case is also checked by a
simulation: applying the plan and then planning again gives an empty plan
(the sync converges), and no content of either side before the run is lost
(it is at some path on some side, or in the trash).
"""

from __future__ import annotations

import itertools
import random

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.threeway import (
    DELETE, DOWNLOAD, KEEP_BOTH, LOCAL, REMOTE, RENAME, UPLOAD, SyncAction, conflict_name, make_sync_plan)
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.tree import Entry, Tree
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.records import Record

STAMP = "20261203T061500Z"


class T(int):
    """A touched local file: the bytes of version ``int(self)``, another stat."""


def size_of(version):
    return 10 + int(version) % 7


def etag_of(version):
    return f"{int(version):032x}"


def local_entry(relpath, version, ino=None):
    v = int(version)
    moved = 1_000_000 if isinstance(version, T) else 0
    ino = ino if ino is not None else 1000 + v
    return Entry(relpath, size_of(v), 1_000 * v + moved, None, 1_000 * v + 7 + moved, ino)


def remote_entry(relpath, version):
    return Entry(relpath, size_of(version), 5_000 * int(version), etag_of(version))


def base_record(version, ino=None):
    e = local_entry("x", version, ino)
    return Record(e.size, e.mtime_ns, e.ctime_ns, e.ino, etag_of(version))


def trees(local, remote, base):
    lt, rt = Tree(), Tree()
    lt.entries = {p: local_entry(p, v) for p, v in local.items()}
    rt.entries = {p: remote_entry(p, v) for p, v in remote.items()}
    return lt, rt, {p: base_record(v) for p, v in base.items()}


def contents(local, remote):
    """The content check the job would run, from the model (bytes = version)."""
    def checked(pairs):
        return {(p, etag): etag == etag_of(int(local[p])) for p, etag in pairs}
    return checked


def plan_model(local, remote, base, **kw):
    """Plan, answering content checks from the model as the job does."""
    lt, rt, bt = trees(local, remote, base)
    kw.setdefault("stamp", STAMP)
    kw.setdefault("replica", "web1")
    plan = make_sync_plan(lt, rt, bt, **kw)
    checked = {}
    for _pass in range(3):  # content checks of same-size changes, then of rename candidates
        if not plan.verify:
            return plan
        checked.update(contents(local, remote)(plan.verify))
        plan = make_sync_plan(lt, rt, bt, checked=checked, **kw)
    raise AssertionError(f"still asking for content checks: {plan.verify}")


def short(plan):
    return sorted((a.kind, a.side, a.relpath) + ((a.to,) if a.to else ()) for a in plan.actions)


# (local, remote, base) of one path 'a' -> expected actions; None: absent.
CASES = {
    "in sync": (1, 1, 1, []),
    "touched, same bytes": (T(1), 1, 1, []),
    "changed locally": (2, 1, 1, [(UPLOAD, REMOTE, "a")]),
    "changed remotely": (1, 2, 1, [(DOWNLOAD, LOCAL, "a")]),
    "touched locally, changed remotely": (T(1), 2, 1, [(DOWNLOAD, LOCAL, "a")]),
    "deleted locally": (None, 1, 1, [(DELETE, REMOTE, "a")]),
    "deleted remotely": (1, None, 1, [(DELETE, LOCAL, "a")]),
    "deleted on both": (None, None, 1, []),
    "changed locally, deleted remotely": (2, None, 1, [(UPLOAD, REMOTE, "a")]),
    "deleted locally, changed remotely": (None, 2, 1, [(DOWNLOAD, LOCAL, "a")]),
    "changed on both, equal": (2, 2, 1, []),
    "changed on both, different": (2, 3, 1, [(RENAME, LOCAL, "a", f"a.conflict-web1-{STAMP}"),
                                             (UPLOAD, REMOTE, f"a.conflict-web1-{STAMP}"), (DOWNLOAD, LOCAL, "a")]),
    "no base, local only": (1, None, None, [(UPLOAD, REMOTE, "a")]),
    "no base, remote only": (None, 1, None, [(DOWNLOAD, LOCAL, "a")]),
    "no base, equal": (1, 1, None, []),
    "no base, different": (1, 2, None, [(RENAME, LOCAL, "a", f"a.conflict-web1-{STAMP}"),
                                        (UPLOAD, REMOTE, f"a.conflict-web1-{STAMP}"), (DOWNLOAD, LOCAL, "a")]),
}


def model(local, remote, base):
    def pick(v):
        return {} if v is None else {"a": v}
    return pick(local), pick(remote), pick(base)


@pytest.mark.parametrize("name", list(CASES))
def test_rules(name):
    local, remote, base, expected = CASES[name]
    plan = plan_model(*model(local, remote, base))
    assert short(plan) == sorted(expected)
    converges(*model(local, remote, base))


def test_touch_is_recorded_with_the_new_stat():
    plan = plan_model({"a": T(1)}, {"a": 1}, {"a": 1})
    assert not plan.actions and plan.unchanged == 1
    assert plan.records["a"].mtime_ns == local_entry("a", T(1)).mtime_ns


def test_a_touch_needs_a_content_check_first():
    lt, rt, bt = trees({"a": T(1)}, {"a": 1}, {"a": 1})
    plan = make_sync_plan(lt, rt, bt)
    assert plan.verify == (("a", etag_of(1)),) and not plan.actions


def test_same_size_edit_is_found_by_the_content_check():
    # version 8 has the size of version 1 (10 + v % 7): only the check tells them apart
    plan = plan_model({"a": 8}, {"a": 1}, {"a": 1})
    assert short(plan) == [(UPLOAD, REMOTE, "a")]


@pytest.mark.parametrize("policy,expected", [
    ("local", [(UPLOAD, REMOTE, "a")]),
    ("remote", [(DOWNLOAD, LOCAL, "a")]),
    ("fail", []),
])
def test_conflict_policies(policy, expected):
    plan = plan_model({"a": 2}, {"a": 3}, {"a": 1}, conflict=policy)
    assert short(plan) == expected
    assert [c.path for c in plan.conflicts] == ["a"]
    assert plan.unresolved == (("a",) if policy == "fail" else ())
    replaced = [a for a in plan.actions if a.kind in (UPLOAD, DOWNLOAD)]
    assert all(a.replaces for a in replaced)  # the loser's content goes to the trash


def test_conflict_newer_picks_by_mtime_and_keeps_both_on_a_tie():
    lt, rt, bt = trees({"a": 2}, {"a": 3}, {"a": 1})
    lt.entries["a"].mtime_ns = 10**18
    assert short(make_sync_plan(lt, rt, bt, conflict="newer")) == [(UPLOAD, REMOTE, "a")]
    lt.entries["a"].mtime_ns = 1
    assert short(make_sync_plan(lt, rt, bt, conflict="newer")) == [(DOWNLOAD, LOCAL, "a")]
    lt.entries["a"].mtime_ns = rt.entries["a"].mtime_ns
    assert [a.kind for a in make_sync_plan(lt, rt, bt, conflict="newer").actions].count(RENAME) == 1


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="conflict must be one of"):
        make_sync_plan(Tree(), Tree(), {}, conflict="merge")


def test_conflict_names_fit_255_bytes():
    long_stem = "\u6587" * 80  # 240 bytes of UTF-8
    name = conflict_name(f"d/{long_stem}.txt", "web2", STAMP)
    assert len(name.split("/")[-1].encode()) <= 255 - 3 and name.endswith(f".conflict-web2-{STAMP}.txt")


@pytest.mark.parametrize("relpath,expected", [
    ("report.pdf", f"report.conflict-web2-{STAMP}.pdf"),
    ("d/e/report.tar.gz", f"d/e/report.tar.conflict-web2-{STAMP}.gz"),
    ("Makefile", f"Makefile.conflict-web2-{STAMP}"),
    (".bashrc", f".bashrc.conflict-web2-{STAMP}"),
])
def test_conflict_name(relpath, expected):
    assert conflict_name(relpath, "web2", STAMP) == expected


def test_conflict_name_avoids_taken_names_and_cleans_the_replica():
    first = conflict_name("a.txt", "web 2/x", STAMP)
    assert first == f"a.conflict-web_2_x-{STAMP}.txt"
    assert conflict_name("a.txt", "web 2/x", STAMP, {first}) == f"a.conflict-web_2_x-{STAMP}-2.txt"


def test_local_rename_is_a_remote_rename_not_counted_as_a_deletion():
    lt, rt, bt = trees({}, {"old": 1}, {"old": 1})
    lt.entries["new"] = local_entry("new", 1)  # same inode, size and mtime: mv old new
    first = make_sync_plan(lt, rt, bt)
    assert first.verify == (("new", etag_of(1)),)  # the bytes are checked before a rename is believed
    plan = make_sync_plan(lt, rt, bt, checked={("new", etag_of(1)): True})
    assert short(plan) == [(RENAME, REMOTE, "old", "new")]
    assert plan.deletes(REMOTE) == []


def test_a_reused_inode_with_other_bytes_is_not_a_rename():
    lt, rt, bt = trees({}, {"old": 1}, {"old": 1})
    lt.entries["new"] = local_entry("new", 1)  # rm old; a new file got the freed inode, size and mtime
    plan = make_sync_plan(lt, rt, bt, checked={("new", etag_of(1)): False})
    assert short(plan) == [(DELETE, REMOTE, "old"), (UPLOAD, REMOTE, "new")]


def test_remote_rename_is_a_local_rename():
    lt, rt, bt = trees({"old": 1}, {"new": 1}, {"old": 1})
    plan = make_sync_plan(lt, rt, bt)
    assert short(plan) == [(RENAME, LOCAL, "old", "new")]


def test_copy_of_a_deleted_file_with_another_inode_is_not_a_rename():
    lt, rt, bt = trees({}, {"old": 1}, {"old": 1})
    lt.entries["new"] = local_entry("new", 1, ino=99)
    plan = make_sync_plan(lt, rt, bt)
    assert short(plan) == [(DELETE, REMOTE, "old"), (UPLOAD, REMOTE, "new")]


def test_readonly_never_writes_the_bucket():
    local = {"new": 1, "edited": 2, "conflict": 4}
    remote = {"gone": 1, "edited": 1, "conflict": 5, "fresh": 3}
    base = {"gone": 1, "edited": 1, "conflict": 1}
    plan = plan_model(local, remote, base, readonly=True)
    assert not plan.writes_remote
    assert set(plan.pending) >= {"new", "edited", f"conflict.conflict-web1-{STAMP}"}
    assert (DOWNLOAD, LOCAL, "fresh") in short(plan)


def test_delete_false_restores_instead_of_deleting():
    plan = plan_model({"a": 1}, {"b": 1}, {"a": 1, "b": 1}, delete=False)
    assert short(plan) == [(DOWNLOAD, LOCAL, "b"), (UPLOAD, REMOTE, "a")]
    assert sorted(plan.restored) == ["a", "b"]


def test_held_paths_keep_their_base_row_and_get_no_action():
    plan = plan_model({}, {}, {"cache/x": 1, "a": 1}, held=lambda p: p.startswith("cache/"))
    assert plan.held == ("cache/x",) and plan.dropped == ("a",)


def test_paths_a_side_could_not_list_are_held():
    lt, rt, bt = trees({}, {"secret": 1, "d/x": 1}, {"secret": 1, "d/x": 1})
    lt.errors.append(("secret", "Permission denied"))
    lt.skipped.append(("d", "symlink leaving the root"))
    plan = make_sync_plan(lt, rt, bt)
    assert not plan.actions and sorted(plan.held) == ["d/x", "secret"]


def test_no_base_is_a_union_that_never_deletes():
    local = {p: i for i, p in enumerate("abcd", 1)}
    remote = {"c": 3, "d": 9, "e": 5}
    plan = plan_model(local, remote, {})
    assert plan.deletes(LOCAL) == [] and plan.deletes(REMOTE) == []
    assert plan.base_size == 0


# -- the simulation --------------------------------------------------------------------------------
def apply(local, remote, base, plan):
    """Apply ``plan`` to the model; returns the new (local, remote, base, trash)."""
    local, remote, trash = dict(local), dict(remote), []
    for a in plan.actions:
        if a.kind == RENAME and a.side == LOCAL:
            local[a.to] = local.pop(a.relpath)
    for a in plan.actions:
        if a.kind == UPLOAD:
            if a.replaces:
                trash.append(remote[a.relpath])
            remote[a.relpath] = int(local[a.source or a.relpath])
        elif a.kind == DOWNLOAD:
            if a.replaces:
                trash.append(int(local[a.relpath]))
            local[a.relpath] = remote[a.relpath] + 0  # a fresh stat of that version
        elif a.kind == DELETE:
            trash.append(int((local if a.side == LOCAL else remote).pop(a.relpath)))
        elif a.kind == RENAME and a.side == REMOTE:
            remote[a.to] = remote.pop(a.relpath)
    new_base = {p: v for p, v in base.items() if p in plan.held}
    for p in set(local) & set(remote):
        if int(local[p]) == remote[p]:
            new_base[p] = int(local[p])
    return local, remote, new_base, trash


def converges(local, remote, base, **kw):
    plan = plan_model(local, remote, base, **kw)
    after_local, after_remote, after_base, trash = apply(local, remote, base, plan)
    before = {int(v) for v in list(local.values()) + list(remote.values())}
    kept = {int(v) for v in list(after_local.values()) + list(after_remote.values())} | set(trash)
    assert before <= kept, "content lost"
    again = plan_model({p: int(v) for p, v in after_local.items()}, after_remote, after_base, **kw)
    assert list(again.actions) == [], f"not converged: {short(again)}"
    if not plan.unresolved:
        assert {p: int(v) for p, v in after_local.items()} == after_remote


@pytest.mark.parametrize("seed", range(60))
def test_random_states_converge_and_lose_nothing(seed):
    rng = random.Random(seed)
    paths = [f"p{i}" for i in range(8)]
    local, remote, base = {}, {}, {}
    for p in paths:
        b = rng.choice([None, 1, 2])
        if b is not None:
            base[p] = b
        for side in (local, remote):
            v = rng.choice([None, b, b, 3, 4]) if b is not None else rng.choice([None, 1, 3])
            if v is not None:
                side[p] = T(v) if side is local and v == b and rng.random() < 0.3 else v
    policy = rng.choice(["keep_both", "local", "remote", "newer"])
    converges(local, remote, base, conflict=policy, delete=rng.random() < 0.8)


def test_every_action_names_one_side():
    local, remote, base = {"a": 2, "b": 1}, {"a": 3, "c": 1}, {"a": 1, "b": 1, "c": 1}
    plan = plan_model(local, remote, base, conflict=KEEP_BOTH)
    assert all(isinstance(a, SyncAction) and a.side in (LOCAL, REMOTE) for a in plan.actions)
    assert [p for p, _group in itertools.groupby(a.relpath for a in plan.actions)] == sorted(
        {a.relpath for a in plan.actions})
