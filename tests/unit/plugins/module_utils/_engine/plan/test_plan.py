# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner (plugins/module_utils/_engine/plan/plan.py), in the style of rclone's TestMatchListings.

Each case gives the two listings, the manifest and the content-check results
and the expected plan. Every case runs twice, really swapped: as a push
(the source is the local directory, the destination S3) and as a pull (the
source is S3, the destination the local directory); the comparator is a
:class:`ManifestComparator` told which side is local. Every case also checks
that ``plan(x, x)`` with a vouching manifest is empty, and that applying the
plan converges.

Listings are written compactly as ``{relpath: (size, version)}``; ``version``
stands for the content (a different version = different bytes, other
mtime/ctime/inode locally and another ETag remotely). Paths the source saw
but did not list (``skipped``, ``rejected``, ``errors`` of its :class:`Tree`)
protect the destination's paths of the same name and below.
"""

from __future__ import annotations

import random
from dataclasses import FrozenInstanceError

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.compare import ManifestComparator
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.dirs import dirs_emptied
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.plan import (
    CREATE, DELETE, MKDIR, RMDIR, TRANSFERS, UPDATE, Action, Plan, make_plan)
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.tree import Entry, Tree
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.records import Record

DIRECTIONS = ["push", "pull"]
NFC, NFD = "caf\u00e9", "cafe\u0301"
#: The ways a source path is seen but not listed; each protects the destination.
UNLISTED = {"skipped": "symlink leaving the root", "rejected": "unsafe name", "errors": "Permission denied"}


def local_entry(relpath, size, version=0):
    """A local file: no ETag; stat fields derived from the content version."""
    if size < 0:                                   # a symlink in a pull destination
        return Entry(relpath, -1, 7_000 + version, None, 8_000 + version, 9_000 + version)
    return Entry(relpath, size, 1_000 + version, None, 2_000 + version, 3_000 + version)


def remote_entry(relpath, size, version=0):
    """An S3 object: an ETag per content, LastModified unrelated to local stat."""
    return Entry(relpath, size, 5_555_000, f"{size:08x}{version:024x}")


def build(spec, side, direction):
    """``side`` is 'src' or 'dst'; the local side is src for push, dst for pull."""
    is_local = (side == "src") == (direction == "push")
    make = local_entry if is_local else remote_entry
    return {p: make(p, size, version) for p, (size, version) in spec.items()}


def tree_of(entries, dirs=(), markers=(), **unlisted):
    """A :class:`Tree` listing ``entries``; ``skipped``/``rejected``/``errors``: relpaths seen, not listed."""
    tree = Tree()
    tree.entries.update(entries)
    tree.dirs.update(dirs)
    tree.markers.update(markers)
    for kind, paths in unlisted.items():
        setattr(tree, kind, [(p, UNLISTED[kind]) for p in sorted(paths)])
    return tree


def comparator(direction, manifest=None, checked=None):
    return ManifestComparator(manifest or {}, checked, local_is_source=direction == "push")


def vouching_record(local, remote):
    return Record(local.size, local.mtime_ns, local.ctime_ns, local.ino, remote.etag)


def build_manifest(spec, src, dst, direction):
    """``spec``: relpath -> 'ok' (a record of exactly the current pair) or the
    name of the one field that is stale ('size', 'mtime', 'ctime', 'ino', 'etag')."""
    manifest = {}
    for relpath, how in spec.items():
        local, remote = (src, dst) if direction == "push" else (dst, src)
        rec = vouching_record(local[relpath], remote[relpath])
        if how == "size":
            rec = rec._replace(size=rec.size + 1)
        elif how == "mtime":
            rec = rec._replace(mtime_ns=rec.mtime_ns - 1)   # an mtime put back by a tool
        elif how == "ctime":
            rec = rec._replace(ctime_ns=rec.ctime_ns + 1)
        elif how == "ino":
            rec = rec._replace(ino=rec.ino + 1)              # file replaced by rename
        elif how == "etag":
            rec = rec._replace(etag="0" * 32)                # object rewritten by someone else
        else:
            assert how == "ok"
        manifest[relpath] = rec
    return manifest


def summary(plan):
    return {
        "actions": [tuple(a) for a in plan.actions],
        "verify": list(plan.verify),
        "unchanged": list(plan.unchanged),
        "adopted": list(plan.adopted),
        "kept": list(plan.kept),
        "missing": list(plan.missing),
    }


def expect(actions=(), verify=(), unchanged=(), adopted=(), kept=(), missing=()):
    return {"actions": list(actions), "verify": list(verify), "unchanged": list(unchanged),
            "adopted": list(adopted), "kept": list(kept), "missing": list(missing)}


def C(relpath, size):
    return (CREATE, relpath, size, "new")


def D(relpath, size, reason="not in source"):
    return (DELETE, relpath, size, reason)


BY_FILE, BY_DIR = "replaced by a file (type change)", "replaced by a directory (type change)"


def U(relpath, size, reason):
    return (UPDATE, relpath, size, reason)


# name: (src, dst, manifest, checked, options, expected)
CASES = {
    "both empty": ({}, {}, {}, {}, {}, expect()),
    "src only": ({"a": (3, 0)}, {}, {}, {}, {}, expect([C("a", 3)])),
    "empty file src only": ({"e": (0, 0)}, {}, {}, {}, {}, expect([C("e", 0)])),
    "dst only": ({}, {"a": (3, 0)}, {}, {}, {}, expect([D("a", 3)])),
    "dst only, delete false": ({}, {"a": (3, 0)}, {}, {}, {"delete": False}, expect(kept=["a"])),
    "dst only, protected (skipped on the source)": (
        {"b": (1, 0)}, {"a": (3, 0), "b": (1, 0)}, {"b": "ok"}, {}, {"skipped": {"a"}},
        expect(unchanged=["b"], kept=["a"])),
    "dst only, protected (rejected on the source)": (
        {"b": (1, 0)}, {"a": (3, 0), "b": (1, 0)}, {"b": "ok"}, {}, {"rejected": {"a"}},
        expect(unchanged=["b"], kept=["a"])),
    "dst only, protected (unreadable on the source)": (
        {"b": (1, 0)}, {"a": (3, 0), "b": (1, 0)}, {"b": "ok"}, {}, {"errors": {"a"}},
        expect(unchanged=["b"], kept=["a"])),
    "protected path absent from dst changes nothing": (
        {}, {"a": (3, 0)}, {}, {}, {"skipped": {"x"}, "rejected": {"a/b"}}, expect([D("a", 3)])),
    "a protected directory protects everything below it": (
        {"k": (1, 0)}, {"d/a": (1, 0), "d/e/f": (1, 0), "dx": (1, 0), "k": (1, 0)}, {"k": "ok"}, {},
        {"skipped": {"d"}}, expect([D("dx", 1)], unchanged=["k"], kept=["d/a", "d/e/f"])),
    "an unreadable directory protects everything below it": (
        {"k": (1, 0)}, {"d/a": (1, 0), "d/e/f": (1, 0), "dx": (1, 0), "k": (1, 0)}, {"k": "ok"}, {},
        {"errors": {"d"}}, expect([D("dx", 1)], unchanged=["k"], kept=["d/a", "d/e/f"])),
    "a protected subdirectory protects only what is below it": (
        {"k": (1, 0)}, {"d/a": (1, 0), "d/e/f": (1, 0), "dx": (1, 0), "k": (1, 0)}, {"k": "ok"}, {},
        {"rejected": {"d/e"}}, expect([D("d/a", 1), D("dx", 1)], unchanged=["k"], kept=["d/e/f"])),
    "same size, no manifest: content check needed": (
        {"a": (3, 0)}, {"a": (3, 0)}, {}, {}, {}, expect(verify=["a"])),
    "same size, different content, no manifest: content check needed": (
        {"a": (3, 1)}, {"a": (3, 2)}, {}, {}, {}, expect(verify=["a"])),
    "empty files on both sides: content check needed": (
        {"e": (0, 0)}, {"e": (0, 0)}, {}, {}, {}, expect(verify=["e"])),
    "manifest vouches": ({"a": (3, 0)}, {"a": (3, 0)}, {"a": "ok"}, {}, {}, expect(unchanged=["a"])),
    "manifest vouches for an empty file": (
        {"e": (0, 0)}, {"e": (0, 0)}, {"e": "ok"}, {}, {}, expect(unchanged=["e"])),
    "manifest stale: size": ({"a": (3, 0)}, {"a": (3, 0)}, {"a": "size"}, {}, {}, expect(verify=["a"])),
    "manifest stale: mtime went backwards": (
        {"a": (3, 0)}, {"a": (3, 0)}, {"a": "mtime"}, {}, {}, expect(verify=["a"])),
    "manifest stale: ctime (same-size edit, mtime restored)": (
        {"a": (3, 0)}, {"a": (3, 0)}, {"a": "ctime"}, {}, {}, expect(verify=["a"])),
    "manifest stale: inode": ({"a": (3, 0)}, {"a": (3, 0)}, {"a": "ino"}, {}, {}, expect(verify=["a"])),
    "manifest stale: etag": ({"a": (3, 0)}, {"a": (3, 0)}, {"a": "etag"}, {}, {}, expect(verify=["a"])),
    "manifest of another path does not vouch": (
        {"a": (3, 0), "b": (3, 0)}, {"a": (3, 0), "b": (3, 0)}, {"b": "ok"}, {}, {},
        expect(verify=["a"], unchanged=["b"])),
    "content check says equal: adopted": (
        {"a": (3, 0)}, {"a": (3, 0)}, {}, {"a": True}, {}, expect(unchanged=["a"], adopted=["a"])),
    "content check says different: update": (
        {"a": (3, 1)}, {"a": (3, 2)}, {}, {"a": False}, {}, expect([U("a", 3, "content differs")])),
    "stale manifest and content check says different": (
        {"a": (3, 1)}, {"a": (3, 2)}, {"a": "ctime"}, {"a": False}, {},
        expect([U("a", 3, "content differs")])),
    "a vouching manifest needs no content check": (
        {"a": (3, 0)}, {"a": (3, 0)}, {"a": "ok"}, {"a": False}, {}, expect(unchanged=["a"])),
    "size differs: update whatever the manifest and checks say": (
        {"a": (5, 1)}, {"a": (3, 0)}, {}, {"a": True}, {}, expect([U("a", 5, "size 3 -> 5")])),
    "size shrinks to zero": ({"a": (0, 1)}, {"a": (7, 0)}, {}, {}, {}, expect([U("a", 0, "size 7 -> 0")])),
    "size grows from zero": ({"a": (7, 1)}, {"a": (0, 0)}, {}, {}, {}, expect([U("a", 7, "size 0 -> 7")])),
    "check results for paths not in verify are ignored": (
        {"n": (2, 0)}, {"g": (4, 0)}, {}, {"n": False, "g": True}, {}, expect([D("g", 4), C("n", 2)])),
    "case differs: two paths": (
        {"A.txt": (1, 0)}, {"a.txt": (1, 0)}, {}, {}, {}, expect([C("A.txt", 1), D("a.txt", 1)])),
    "NFC and NFD are two paths": (
        {NFC: (2, 0)}, {NFD: (2, 0)}, {}, {}, {}, expect([D(NFD, 2), C(NFC, 2)])),
    "NFC and NFD on both sides": (
        {NFC: (2, 0), NFD: (3, 0)}, {NFC: (2, 0), NFD: (3, 0)}, {NFC: "ok"}, {}, {},
        expect(verify=[NFD], unchanged=[NFC])),
    "file replaces a directory": (
        {"a": (1, 0)}, {"a/b": (2, 0), "a/c/d": (3, 0)}, {}, {}, {},
        expect([C("a", 1), D("a/b", 2, BY_FILE), D("a/c/d", 3, BY_FILE)])),
    "directory replaces a file": (
        {"a/b": (2, 0)}, {"a": (1, 0)}, {}, {}, {}, expect([D("a", 1, BY_DIR), C("a/b", 2)])),
    "directory replaces a file deeper down, a sibling is a plain deletion": (
        {"a/b/c/d": (2, 0)}, {"a/b": (1, 0), "a/bb": (1, 0)}, {}, {}, {},
        expect([D("a/b", 1, BY_DIR), C("a/b/c/d", 2), D("a/bb", 1)])),
    "file beside a directory of the same stem": (
        {"a": (1, 0), "a/b": (2, 0)}, {}, {}, {}, {}, expect([C("a", 1), C("a/b", 2)])),
    "sorted by code point, '-' < '.' < '/'": (
        {"a/b": (1, 0), "a.b": (1, 0), "a-b": (1, 0), "B": (1, 0)}, {}, {}, {}, {},
        expect([C("B", 1), C("a-b", 1), C("a.b", 1), C("a/b", 1)])),
    "creates and deletes interleaved in path order": (
        {"b": (1, 0), "d": (1, 0)}, {"a": (2, 0), "c": (2, 0)}, {}, {}, {},
        expect([D("a", 2), C("b", 1), D("c", 2), C("d", 1)])),
    "odd names": (
        {"with space": (1, 0), "100%": (1, 0), "a+b#c?d": (1, 0)}, {"with space": (1, 0)},
        {"with space": "ok"}, {}, {}, expect([C("100%", 1), C("a+b#c?d", 1)], unchanged=["with space"])),
    "mixture": (
        {"new": (1, 0), "same": (2, 0), "grown": (9, 1), "edited": (4, 1), "unsure": (5, 0), "adopt": (6, 0)},
        {"old": (3, 0), "same": (2, 0), "grown": (8, 0), "edited": (4, 0), "unsure": (5, 0), "adopt": (6, 0)},
        {"same": "ok", "edited": "ctime"}, {"edited": False, "adopt": True}, {},
        expect([U("edited", 4, "content differs"), U("grown", 9, "size 8 -> 9"), C("new", 1), D("old", 3)],
               verify=["unsure"], unchanged=["adopt", "same"], adopted=["adopt"])),
    # --- files maps: only the listed paths, never a deletion -------------------------
    "files map": (
        {"a": (1, 0), "b": (1, 0), "c": (2, 0)}, {"c": (2, 0), "d": (3, 0), "e": (4, 0)}, {}, {},
        {"files": ["a", "c", "d", "z"]},
        expect([C("a", 1)], verify=["c"], kept=["d"], missing=["d", "z"])),
    "files map never deletes, even with delete true": (
        {}, {"x": (1, 0)}, {}, {}, {"files": ["x"], "delete": True}, expect(kept=["x"], missing=["x"])),
    "files map updates a listed file": (
        {"f": (2, 1), "g": (9, 9)}, {"f": (1, 0), "g": (1, 0)}, {}, {}, {"files": ["f"]},
        expect([U("f", 2, "size 1 -> 2")])),
    "files map with a vouching manifest": (
        {"f": (2, 0)}, {"f": (2, 0)}, {"f": "ok"}, {}, {"files": ["f"]}, expect(unchanged=["f"])),
    "files map in a nested directory": (
        {"d/f": (2, 0), "d/g": (2, 0)}, {}, {}, {}, {"files": ["d/f"]}, expect([C("d/f", 2)])),
}


TUPLE_FIELDS = ("actions", "verify", "unchanged", "adopted", "missing", "kept", "unreadable")


def _split(options):
    """Case options -> (the source's unlisted paths, make_plan keywords)."""
    unlisted = {k: v for k, v in options.items() if k in UNLISTED}
    kwargs = {k: v for k, v in options.items() if k not in UNLISTED}
    return unlisted, kwargs


def plan_for(case, direction, **override):
    """Plan one case as ``direction``; returns the plan and both listings (relpath -> Entry)."""
    src_spec, dst_spec, man_spec, checked, options = case[:5]
    src = build(src_spec, "src", direction)
    dst = build(dst_spec, "dst", direction)
    manifest = build_manifest(man_spec, src, dst, direction)
    unlisted, kwargs = _split({**options, **override})
    plan = make_plan(tree_of(src, **unlisted), tree_of(dst), comparator(direction, manifest, checked), **kwargs)
    return plan, src, dst


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("name", list(CASES))
def test_match_listings(name, direction):
    plan, src, dst = plan_for(CASES[name], direction)
    assert summary(plan) == CASES[name][5]
    unchanged_sizes = sum(src[p].size for p in plan.unchanged)
    assert plan.unchanged_bytes == unchanged_sizes
    assert [a for a in plan.actions if a.kind == DELETE] == plan.deletes
    assert [a for a in plan.actions if a.kind != DELETE] == plan.transfers   # no directory actions either
    assert plan.unreadable == () and plan.only is None
    assert all(isinstance(getattr(plan, f), tuple) for f in TUPLE_FIELDS)


def _same_tree_plan(spec, direction, options):
    """plan(x, x): the same files on both sides and a manifest that vouches for all."""
    src = build(spec, "src", direction)
    dst = build(spec, "dst", direction)
    local, remote = (src, dst) if direction == "push" else (dst, src)
    manifest = {p: vouching_record(local[p], remote[p]) for p in spec}
    unlisted, kwargs = _split(options)
    return make_plan(tree_of(src, **unlisted), tree_of(dst), comparator(direction, manifest), **kwargs)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("which", ["src", "dst"])
def test_plan_x_x_is_empty(name, direction, which):
    src_spec, dst_spec, options = CASES[name][0], CASES[name][1], CASES[name][4]
    spec = src_spec if which == "src" else dst_spec
    plan = _same_tree_plan(spec, direction, options)
    assert plan.actions == () and plan.verify == () and plan.kept == () and plan.adopted == ()
    listed = set(spec) if options.get("files") is None else set(spec) & set(options["files"])
    assert plan.unchanged == tuple(sorted(listed))
    assert plan.unchanged_bytes == sum(spec[p][0] for p in listed)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("name", list(CASES))
def test_applying_the_plan_converges(name, direction):
    src_spec, dst_spec, man_spec, checked, options, expected = CASES[name]
    plan, src, dst = plan_for(CASES[name], direction)
    if plan.verify:
        # as the runner does: content checks (equal when the versions are), then plan again
        checked = {**checked, **{p: src_spec[p] == dst_spec[p] for p in plan.verify}}
        plan = plan_for((src_spec, dst_spec, man_spec, checked, options, None), direction)[0]
        assert plan.verify == ()
    # Apply on the specs (the destination gets the source's content version).
    after = dict(dst_spec)
    for action in plan.actions:
        if action.kind == DELETE:
            del after[action.relpath]
        else:
            after[action.relpath] = src_spec[action.relpath]
    src = build(src_spec, "src", direction)
    dst = build(after, "dst", direction)
    local, remote = (src, dst) if direction == "push" else (dst, src)
    manifest = {p: vouching_record(local[p], remote[p]) for p in set(src) & set(dst)
                if src_spec[p] == after[p]}
    unlisted, kwargs = _split(options)
    again = make_plan(tree_of(src, **unlisted), tree_of(dst), comparator(direction, manifest), **kwargs)
    assert again.actions == ()
    assert again.verify == ()
    assert again.kept == tuple(expected["kept"])
    assert again.missing == tuple(expected["missing"])


# --- direction matters --------------------------------------------------------------

def test_local_side_picks_which_entry_the_manifest_describes():
    # A manifest record describes the local file and the remote ETag. The
    # same listings planned with the wrong local side must not be vouched for.
    case = CASES["manifest vouches"]
    for direction in DIRECTIONS:
        plan, src, dst = plan_for(case, direction)
        assert plan.unchanged == ("a",)
        manifest = build_manifest({"a": "ok"}, src, dst, direction)
        wrong = ManifestComparator(manifest, local_is_source=direction != "push")
        wrong_plan = make_plan(tree_of(src), tree_of(dst), wrong)
        assert wrong_plan.unchanged == () and wrong_plan.verify == ("a",)


def test_push_manifest_does_not_vouch_for_the_pull_direction():
    src = build({"a": (3, 0)}, "src", "push")
    dst = build({"a": (3, 0)}, "dst", "push")
    push_manifest = {"a": vouching_record(src["a"], dst["a"])}
    # the same files seen from a pull: src is now S3, dst local
    pull_src = tree_of(build({"a": (3, 0)}, "src", "pull"))
    pull_dst = tree_of(build({"a": (3, 0)}, "dst", "pull"))
    assert pull_src.entries["a"].etag == dst["a"].etag and pull_dst.entries["a"].ino == src["a"].ino
    pull = ManifestComparator(push_manifest, local_is_source=False)
    assert make_plan(pull_src, pull_dst, pull).unchanged == ("a",)
    as_push = ManifestComparator(push_manifest, local_is_source=True)
    assert make_plan(pull_src, pull_dst, as_push).unchanged == ()


# --- pull only: a symlink in the destination --------------------------------------------

@pytest.mark.parametrize("src_spec, dst_spec, expected", [
    ({"a": (3, 0)}, {"a": (-1, 0)}, expect([U("a", 3, "replaces a symlink")])),
    ({"a": (0, 0)}, {"a": (-1, 0)}, expect([U("a", 0, "replaces a symlink")])),
    ({}, {"a": (-1, 0)}, expect([D("a", 0)])),                          # a link removes 0 bytes
    ({"a/f": (1, 0)}, {"a": (-1, 0)}, expect([D("a", 0, BY_DIR), C("a/f", 1)])),  # unlinked first
])
def test_pull_destination_symlinks(src_spec, dst_spec, expected):
    src = build(src_spec, "src", "pull")
    dst = build(dst_spec, "dst", "pull")
    # even a content check cannot make a symlink "unchanged"
    checked = {p: True for p in dst}
    plan = make_plan(tree_of(src), tree_of(dst), comparator("pull", checked=checked))
    assert summary(plan) == expected


# --- invariants on random listings -------------------------------------------------------

@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_random_trees_invariants(seed, direction):
    rnd = random.Random(seed)
    names = [f"d{rnd.randrange(5)}/f{i}" for i in range(120)] + [f"top{i}" for i in range(30)]
    src_spec, dst_spec, man_spec, checked = {}, {}, {}, {}
    for n in names:
        where = rnd.random()
        if where < 0.3:
            src_spec[n] = (rnd.randrange(3), rnd.randrange(2))
        elif where < 0.5:
            dst_spec[n] = (rnd.randrange(3), rnd.randrange(2))
        else:
            src_spec[n] = (rnd.randrange(3), rnd.randrange(2))
            dst_spec[n] = (rnd.randrange(3), rnd.randrange(2))
            if src_spec[n] == dst_spec[n] and rnd.random() < 0.5:
                man_spec[n] = rnd.choice(["ok", "ok", "mtime", "ino", "etag"])
            if rnd.random() < 0.3:
                checked[n] = src_spec[n] == dst_spec[n]
    delete = rnd.random() < 0.8
    unlisted = {kind: set() for kind in UNLISTED}
    for n in dst_spec:
        if rnd.random() < 0.1:
            unlisted[rnd.choice(list(UNLISTED))].add(n)
    if rnd.random() < 0.5:
        unlisted[rnd.choice(list(UNLISTED))].add(f"d{rnd.randrange(5)}")   # a skipped directory on the source
    protected = set().union(*unlisted.values())

    def under_protected(path):
        return any(path == q or path.startswith(q + "/") for q in protected)
    case = (src_spec, dst_spec, man_spec, checked, {"delete": delete, **unlisted}, None)
    plan, src, dst = plan_for(case, direction)

    kinds = {a.relpath: a.kind for a in plan.actions}
    buckets = [set(kinds), set(plan.verify), set(plan.unchanged), set(plan.kept)]
    assert sum(len(b) for b in buckets) == len(set(src) | set(dst)), "every path lands in exactly one place"
    assert set().union(*buckets) == set(src) | set(dst)
    assert [a.relpath for a in plan.actions] == sorted(kinds)
    for a in plan.actions:
        s, d = src.get(a.relpath), dst.get(a.relpath)
        if a.kind == CREATE:
            assert s is not None and d is None and a.size == s.size
        elif a.kind == DELETE:
            assert s is None and d is not None and delete and not under_protected(a.relpath)
        else:
            assert a.kind == UPDATE
            assert s is not None and d is not None and a.size == s.size
            assert s.size != d.size or checked.get(a.relpath) is False
    for p in plan.unchanged:
        assert src_spec[p] == dst_spec[p], "only equal content may be unchanged"
    for p in plan.kept:
        assert p not in src and (not delete or under_protected(p))
    assert set(plan.adopted) <= set(plan.unchanged)
    # the same listings, planned as the other direction, give the same plan
    other = "pull" if direction == "push" else "push"
    plan2 = plan_for(case, other)[0]
    assert summary(plan2) == summary(plan)


def test_plan_defaults_and_frozen():
    plan = Plan()
    assert plan.actions == plan.verify == plan.unchanged == plan.adopted == plan.missing == plan.kept == ()
    assert plan.unreadable == () and plan.only is None and plan.unchanged_bytes == 0
    assert plan.transfers == plan.deletes == plan.dirs_to_create == plan.dirs_to_remove == []
    create, update = Action(CREATE, "a", 1, "new"), Action(UPDATE, "b", 2, "size 1 -> 2")
    delete = Action(DELETE, "c", 3, "not in source")
    mkdir, rmdir_deep, rmdir = (Action(MKDIR, "m", 0, "directory marker"), Action(RMDIR, "e/f", 0, "empty directory"),
                                Action(RMDIR, "e", 0, "empty directory"))
    with pytest.raises(FrozenInstanceError):
        plan.actions = (create,)
    assert plan.actions == ()
    full = Plan(actions=(create, update, delete, mkdir, rmdir_deep, rmdir))
    assert TRANSFERS == (CREATE, UPDATE)
    assert full.transfers == [create, update] and full.deletes == [delete]
    assert full.of_kind(CREATE) == [create] and full.of_kind(RMDIR) == [rmdir_deep, rmdir]
    assert full.dirs_to_create == ["m"] and full.dirs_to_remove == ["e/f", "e"]
    assert full == Plan(actions=tuple(full.actions)) and hash(full) == hash(Plan(actions=tuple(full.actions)))
    assert full != plan


def _snapshot(tree):
    return (dict(tree.entries), set(tree.dirs), set(tree.markers), list(tree.skipped), list(tree.rejected),
            list(tree.errors))


def test_inputs_are_not_modified():
    src = tree_of(build({"a": (1, 0), "b": (2, 0)}, "src", "pull"), dirs={"m"}, markers={"m"}, skipped={"s"})
    dst = tree_of(build({"b": (2, 0), "c": (3, 0), "e/f": (1, 0)}, "dst", "pull"), dirs={"e"})
    manifest, checked = {}, {"b": True}
    files, only, unreadable = ["a", "c"], {"a", "c", "e/f"}, {"b": "Permission denied"}
    before = (_snapshot(src), _snapshot(dst), dict(manifest), dict(checked), list(files), set(only),
              dict(unreadable))
    plans = [make_plan(src, dst, comparator("pull", manifest, checked), files=files),
             make_plan(src, dst, comparator("pull", manifest, checked), dirs=True),
             make_plan(src, dst, comparator("pull", manifest, checked), only=only, unreadable=unreadable)]
    assert [len(p.actions) for p in plans] == [1, 5, 3]                 # they did plan something
    assert (_snapshot(src), _snapshot(dst), manifest, checked, files, only, unreadable) == before


# --- directories (a local destination) ----------------------------------------------------

def test_directory_actions():
    # pull: the S3 source names directories by markers; the local destination has real ones
    src = tree_of(build({"a/f": (1, 0), "w/keep": (1, 0)}, "src", "pull"), dirs={"m", "m/n"},
                  markers={"m", "m/n"})
    dst = tree_of(build({"a/f": (1, 0), "w/keep": (1, 0), "w/old": (1, 0), "x/y/z": (1, 0), "h/old": (1, 0)},
                        "dst", "pull"), dirs={"a", "h", "w", "x", "x/y", "cache"})
    dst.ignored_in = {"h"}                                               # h holds an ignored file
    cmp = comparator("pull", checked={"a/f": True, "w/keep": True})
    plan = make_plan(src, dst, cmp, dirs=True)
    assert [tuple(a) for a in plan.actions] == [
        D("h/old", 1), D("w/old", 1), D("x/y/z", 1),
        (MKDIR, "m", 0, "directory marker"), (MKDIR, "m/n", 0, "directory marker"),
        (RMDIR, "x/y", 0, "empty directory"), (RMDIR, "x", 0, "empty directory")]
    assert plan.dirs_to_create == ["m", "m/n"] and plan.dirs_to_remove == ["x/y", "x"]
    assert plan.transfers == [] and len(plan.deletes) == 3
    # an S3 destination keeps no directories: the same listings, no directory action
    assert [a.kind for a in make_plan(src, dst, cmp).actions] == [DELETE] * 3
    # a files map plans no directory marker (and never deletes)
    files_plan = make_plan(src, dst, cmp, dirs=True, files=["a/f"])
    assert files_plan.actions == () and files_plan.unchanged == ("a/f",)


# --- targeted plans (only=) -----------------------------------------------------------------

TARGET_SRC = {"keep": (1, 0), "new1": (1, 0), "new2": (1, 0), "grow": (5, 1), "grow2": (5, 1)}
TARGET_DST = {"keep": (1, 0), "grow": (3, 0), "grow2": (3, 0), "old1": (2, 0), "e/old2": (2, 0), "e/old3": (2, 0)}
TARGET_ONLY = frozenset({"keep", "new1", "grow", "e/old2", "e/old3", "ghost"})   # 'ghost': in no listing


def _targeted(direction, **kwargs):
    src = build(TARGET_SRC, "src", direction)
    dst = build(TARGET_DST, "dst", direction)
    manifest = build_manifest({"keep": "ok"}, src, dst, direction)
    # directory actions are asked for (dirs=True) so that their absence below means something
    src_tree = tree_of(src, dirs={"empty"}, markers={"empty"})
    dst_tree = tree_of(dst, dirs={"e"})
    return make_plan(src_tree, dst_tree, comparator(direction, manifest), dirs=True, **kwargs)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_full_plan_of_the_targeted_listings(direction):
    plan = _targeted(direction)
    assert summary(plan) == expect(
        [D("e/old2", 2), D("e/old3", 2), U("grow", 5, "size 3 -> 5"), U("grow2", 5, "size 3 -> 5"), C("new1", 1),
         C("new2", 1), D("old1", 2), (MKDIR, "empty", 0, "directory marker"), (RMDIR, "e", 0, "empty directory")],
        unchanged=["keep"])
    assert plan.only is None


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_targeted_plan_touches_only_its_relpaths(direction):
    plan = _targeted(direction, only=TARGET_ONLY)
    assert summary(plan) == expect([D("e/old2", 2), D("e/old3", 2), U("grow", 5, "size 3 -> 5"), C("new1", 1)],
                                   unchanged=["keep"])
    assert plan.dirs_to_create == [] and plan.dirs_to_remove == []       # no mkdir, no rmdir
    assert plan.only == TARGET_ONLY and isinstance(plan.only, frozenset)
    assert plan.unchanged_bytes == 1


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_targeted_plan_keeps_without_delete(direction):
    plan = _targeted(direction, only=set(TARGET_ONLY), delete=False)
    assert summary(plan) == expect([U("grow", 5, "size 3 -> 5"), C("new1", 1)], unchanged=["keep"],
                                   kept=["e/old2", "e/old3"])
    assert plan.only == TARGET_ONLY


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_targeted_plan_of_nothing(direction):
    plan = _targeted(direction, only=frozenset())
    assert summary(plan) == expect() and plan.only == frozenset()
    plan = _targeted(direction, only={"ghost"})
    assert summary(plan) == expect() and plan.only == frozenset({"ghost"})


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_targeted_files_map_is_the_intersection(direction):
    plan = _targeted(direction, files=["new1", "new2", "old1", "zz"], only={"new1", "old1", "grow2"})
    # new2 is not selected, grow2 is not in the files map, old1 is in both but a files map never
    # deletes; missing is the files map's own (old1 and zz are listed, the source lacks them)
    assert summary(plan) == expect([C("new1", 1)], kept=["old1"], missing=["old1", "zz"])


# --- unreadable source files (failed content checks) -------------------------------------------

UNREADABLE_SRC = {"a": (3, 0), "b": (3, 0), "n": (2, 0), "ok": (1, 0)}
UNREADABLE_DST = {"a": (3, 1), "b": (3, 0), "gone": (1, 0), "dir/x": (1, 0)}
UNREADABLE = {"a": "Permission denied", "n": "Input/output error", "dir": "cannot list directory"}


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_unreadable_paths_are_neither_transferred_nor_deleted(direction):
    case = (UNREADABLE_SRC, UNREADABLE_DST, {}, {}, {})
    first, _src, _dst = plan_for(case, direction)
    assert summary(first) == expect([D("dir/x", 1), D("gone", 1), C("n", 2), C("ok", 1)], verify=["a", "b"])
    # the content checks answered: a differs, b is equal
    readable = plan_for((UNREADABLE_SRC, UNREADABLE_DST, {}, {"a": False, "b": True}, {}), direction)[0]
    assert summary(readable) == expect([U("a", 3, "content differs"), D("dir/x", 1), D("gone", 1), C("n", 2),
                                        C("ok", 1)], unchanged=["b"], adopted=["b"])
    # the same answers, but a, n and dir could not be read: none of them (nor below) is touched
    plan = plan_for((UNREADABLE_SRC, UNREADABLE_DST, {}, {"a": False, "b": True}, {}), direction,
                    unreadable=UNREADABLE)[0]
    assert summary(plan) == expect([D("gone", 1), C("ok", 1)], unchanged=["b"], adopted=["b"],
                                   kept=["a", "dir/x"])
    assert plan.unreadable == (("a", "Permission denied"), ("dir", "cannot list directory"),
                               ("n", "Input/output error"))
    # without the content check of a, it is unreadable all the same: not verified again
    plan = plan_for((UNREADABLE_SRC, UNREADABLE_DST, {}, {"b": True}, {}), direction, unreadable=UNREADABLE)[0]
    assert plan.verify == () and "a" in plan.kept


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_unreadable_listed_file_counts_as_missing(direction):
    """A ``files`` map whose listed file cannot be read is refused as before (the job raises
    on ``missing`` before any change); the file is kept on the destination meanwhile."""
    case = ({"f": (1, 0)}, {"u": (1, 0)}, {}, {}, {"files": ["f", "u", "zz"]})
    assert plan_for(case, direction)[0].missing == ("u", "zz")
    plan = plan_for(case, direction, unreadable={"u": "Permission denied"})[0]
    assert summary(plan) == expect([C("f", 1)], kept=["u"], missing=["u", "zz"])
    assert plan.unreadable == (("u", "Permission denied"),)


DIRS_EMPTIED = [
    # (dst paths, dst dirs, src dirs, deleted, holding) -> removed, deepest first
    (['a/b/c.txt'], {'a', 'a/b'}, set(), {'a/b/c.txt'}, set(), ['a/b', 'a']),
    (['a/b/c.txt', 'a/keep.txt'], {'a', 'a/b'}, set(), {'a/b/c.txt'}, set(), ['a/b']),
    (['a/b/c.txt'], {'a', 'a/b'}, {'a'}, {'a/b/c.txt'}, set(), ['a/b']),
    (['a/b/c.txt'], {'a', 'a/b'}, set(), {'a/b/c.txt'}, {'a/b'}, []),
    (['a/b/c.txt'], {'a', 'a/b', 'a/empty'}, set(), {'a/b/c.txt'}, set(), ['a/b']),
    (['top.txt'], set(), set(), {'top.txt'}, set(), []),
    (['x/y.txt'], {'x', 'z'}, set(), set(), set(), []),
]


@pytest.mark.parametrize('paths,dst_dirs,src_dirs,deleted,holding,expected', DIRS_EMPTIED)
def test_dirs_emptied(paths, dst_dirs, src_dirs, deleted, holding, expected):
    assert dirs_emptied(paths, dst_dirs, src_dirs, deleted, holding) == expected


# --- type changes: what is in the way of a transfer goes first (issue 15 point 5) -------------

def test_type_changes_on_a_local_destination_clear_the_way_first():
    """A file where a directory was (with an empty sub-directory and a nested file), a directory
    where a file was; the plan's ``in_the_way`` lists the deletions and rmdirs to run first."""
    src = build({"conf": (3, 0), "app/x.txt": (1, 0), "keep/k": (1, 0)}, "src", "pull")
    dst = build({"conf/a": (1, 0), "conf/sub/b": (2, 0), "app": (5, 0), "old": (1, 0), "keep/k": (1, 0)},
                "dst", "pull")
    dst_tree = tree_of(dst)
    dst_tree.dirs |= {"conf", "conf/sub", "conf/empty", "keep"}
    src_tree = tree_of(src)
    src_tree.dirs |= {"app", "keep"}
    plan = make_plan(src_tree, dst_tree, comparator("pull", {}, {"keep/k": True}), dirs=True)
    assert summary(plan)["actions"] == [
        D("app", 5, BY_DIR), C("app/x.txt", 1), C("conf", 3), D("conf/a", 1, BY_FILE),
        D("conf/sub/b", 2, BY_FILE), D("old", 1),
        (RMDIR, "conf/empty", 0, BY_FILE), (RMDIR, "conf/sub", 0, "empty directory"), (RMDIR, "conf", 0, BY_FILE)]
    assert [(a.kind, a.relpath) for a in plan.in_the_way] == [
        (DELETE, "app"), (DELETE, "conf/a"), (DELETE, "conf/sub/b"),
        (RMDIR, "conf/empty"), (RMDIR, "conf/sub"), (RMDIR, "conf")]
    assert len(plan.deletes) == 4  # every deletion counts against max_delete, "old" too


def test_nothing_is_in_the_way_without_a_type_change():
    src = build({"a/b": (1, 0), "c": (2, 0)}, "src", "pull")
    dst = build({"a/old": (1, 0), "d": (2, 0)}, "dst", "pull")
    dst_tree = tree_of(dst)
    dst_tree.dirs |= {"a"}
    plan = make_plan(tree_of(src, dirs={"a"}), dst_tree, comparator("pull", {}), dirs=True)
    assert plan.in_the_way == [] and all(a.reason == "not in source" for a in plan.deletes)
