# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local listings (plugins/module_utils/_engine/sides/local_list.py) on real directories under tmp_path.

Expectations come from the docstring of ``walk_local`` and issue 4 (points 2
and 7): special files are skipped and reported, never opened; symlinks follow
``follow_symlinks``; broken links never raise; loops are cut; unsafe and
non-UTF-8 names are rejected; pull's temporary files are recognised.
"""

from __future__ import annotations

import os
import socket
import threading

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.sides import local_list as _local_list
from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import ConfigError
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.local_list import walk_dest_local, walk_local
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.tree import TEMP_NAME_RE, Tree

NO_RULES = IgnoreRules()


def write(path, data=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def walk(root, follow="inside_root", ignore=NO_RULES):
    return walk_local(str(root), ignore, follow)


def skipped(tree):
    return dict(tree.skipped)


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "root"
    r.mkdir()
    return r


# --- plain files -----------------------------------------------------------------

def test_regular_files_and_dirs(root):
    write(root / "a.txt", b"hello")
    write(root / "d" / "e" / "f.bin", b"")
    (root / "empty").mkdir()
    tree = walk(root)
    assert sorted(tree.entries) == ["a.txt", "d/e/f.bin"]
    assert tree.dirs == {"d", "d/e", "empty"}
    entry = tree.entries["a.txt"]
    st = os.stat(root / "a.txt")
    assert (entry.relpath, entry.size, entry.mtime_ns, entry.ctime_ns, entry.ino, entry.etag) == \
        ("a.txt", 5, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, None)
    assert tree.entries["d/e/f.bin"].size == 0
    assert tree.skipped == tree.rejected == tree.errors == tree.temp_files == []
    assert tree.ignored == 0


def test_odd_but_legal_names(root):
    names = ["with space", "plus+sign", "100%", "hash#tag", "why?", "caf\u00e9", "cafe\u0301", "x" * 255]
    for n in names:
        write(root / n)
    tree = walk(root)
    assert sorted(tree.entries) == sorted(names)     # NFC and NFD are two files


def test_missing_root(tmp_path):
    with pytest.raises(ConfigError) as e:
        walk_local(str(tmp_path / "nope"), NO_RULES)
    assert "does not exist" in str(e.value) and str(tmp_path / "nope") in str(e.value)
    tree = walk_local(str(tmp_path / "nope"), NO_RULES, must_exist=False)
    assert tree.entries == {} and tree.errors == []


def test_root_is_a_file(tmp_path):
    write(tmp_path / "f")
    with pytest.raises(ConfigError) as e:
        walk_local(str(tmp_path / "f"), NO_RULES)
    assert "not a directory" in str(e.value)


def test_root_may_be_a_symlink_to_a_directory(tmp_path, root):
    write(root / "a" / "b")
    (tmp_path / "link").symlink_to(root)
    assert sorted(walk(tmp_path / "link").entries) == ["a/b"]


# --- ignore rules ------------------------------------------------------------------

def test_ignored_paths_are_not_listed_nor_descended(root):
    write(root / "keep.txt")
    write(root / "x.bmp")
    write(root / "cache" / "a")
    write(root / "cache" / "deep" / "b")
    os.mkfifo(root / "cache" / "fifo")            # would be reported if it were visited
    (root / "cache" / "broken").symlink_to("nowhere")
    write(root / "sub" / ".hidden")
    tree = walk(root, ignore=IgnoreRules(["cache", "*.bmp"]))
    assert sorted(tree.entries) == ["keep.txt", "sub/.hidden"]
    assert tree.ignored == 2                     # the directory counts once
    assert tree.skipped == [] and tree.errors == []
    assert "cache" not in tree.dirs


# --- special files -------------------------------------------------------------------

def _walk_with_timeout(root, **kw):
    out = {}

    def run():
        out["tree"] = walk(root, **kw)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "walk_local did not return (opened a FIFO? followed a loop?)"
    return out["tree"]


def test_fifo_and_socket_are_skipped_never_opened(root):
    write(root / "f")
    os.mkfifo(root / "fifo")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    cwd = os.getcwd()
    os.chdir(root)                                 # short socket path (108-byte limit)
    try:
        sock.bind("sock")
    finally:
        os.chdir(cwd)
    try:
        tree = _walk_with_timeout(root)
    finally:
        sock.close()
    assert sorted(tree.entries) == ["f"]
    assert set(skipped(tree)) == {"fifo", "sock"}
    assert all("FIFO" in r for r in skipped(tree).values())
    assert tree.errors == []
    assert {"fifo", "sock"} <= tree.protected()


def test_symlink_to_a_fifo_is_skipped_too(root):
    os.mkfifo(root / "fifo")
    (root / "link").symlink_to("fifo")
    tree = _walk_with_timeout(root)
    assert tree.entries == {}
    assert set(skipped(tree)) == {"fifo", "link"}


# --- symlinks ----------------------------------------------------------------------

@pytest.fixture
def links(tmp_path, root):
    """root/ holds links of every kind; outside/ is a sibling of root."""
    outside = tmp_path / "outside"
    write(outside / "secret", b"outside!")
    write(outside / "d" / "o", b"o")
    write(root / "real" / "f", b"1234")
    write(root / "file", b"12")
    (root / "rel-file").symlink_to("file")
    (root / "abs-file").symlink_to(root / "file")
    (root / "chain").symlink_to("rel-file")
    (root / "via-outside").symlink_to(tmp_path / "root" / ".." / "root" / "file")
    (root / "out-file").symlink_to(outside / "secret")
    (root / "out-dir").symlink_to(outside / "d")
    (root / "broken").symlink_to("nothing-here")
    (root / "broken-out").symlink_to(tmp_path / "nothing-there")
    (root / "self-loop").symlink_to("self-loop")
    (root / "through-file").symlink_to("file/x")
    (root / "ping").symlink_to("pong")
    (root / "pong").symlink_to("ping")
    return root


def test_follow_inside_root(links):
    tree = walk(links, "inside_root")
    assert sorted(tree.entries) == ["abs-file", "chain", "file", "real/f", "rel-file", "via-outside"]
    assert tree.entries["rel-file"].size == 2      # the target's stat
    assert tree.entries["abs-file"].ino == os.stat(links / "file").st_ino
    s = skipped(tree)
    assert set(s) == {"out-file", "out-dir", "broken", "broken-out", "self-loop", "ping", "pong", "through-file"}
    assert "leaving the root" in s["out-file"] and "leaving the root" in s["out-dir"]
    for name in ("broken", "self-loop", "ping", "pong", "through-file"):
        assert s[name] == "broken symlink", name
    assert tree.errors == []                      # a broken link is never an error


def test_follow_always(links):
    tree = walk(links, "always")
    assert sorted(tree.entries) == ["abs-file", "chain", "file", "out-dir/o", "out-file", "real/f", "rel-file",
                                    "via-outside"]
    assert tree.entries["out-file"].size == len(b"outside!")
    s = skipped(tree)
    assert set(s) == {"broken", "broken-out", "self-loop", "ping", "pong", "through-file"}
    assert all(r == "broken symlink" for r in s.values())
    assert tree.errors == []


def test_follow_never(links):
    tree = walk(links, "never")
    assert sorted(tree.entries) == ["file", "real/f"]
    s = skipped(tree)
    assert set(s) == {"rel-file", "abs-file", "chain", "via-outside", "out-file", "out-dir", "broken",
                      "broken-out", "self-loop", "ping", "pong", "through-file"}
    assert all("symlink" in r for r in s.values())
    assert tree.errors == []


@pytest.mark.parametrize("follow", ["inside_root", "always"])
def test_symlinked_directory_inside_root_does_not_hide_the_real_one(root, follow):
    # Two names for one directory are not a loop: whatever order scandir
    # returns them in, the real directory and the alias are both listed.
    for real, alias in (("a-real", "z-alias"), ("z-real", "a-alias"), ("m-real", "m-alias")):
        write(root / real / "f")
        write(root / real / "sub" / "g")
        (root / alias).symlink_to(real)
    tree = walk(root, follow)
    for name in ("a-real", "z-alias", "z-real", "a-alias", "m-real", "m-alias"):
        assert f"{name}/f" in tree.entries, name
        assert f"{name}/sub/g" in tree.entries, name
    assert tree.skipped == [] and tree.errors == []


@pytest.mark.parametrize("follow", ["inside_root", "always"])
def test_directory_loops_are_cut(root, follow):
    write(root / "a" / "f")
    (root / "a" / "up").symlink_to("..")
    (root / "a" / "me").symlink_to(".")
    (root / "self").symlink_to(root)
    tree = _walk_with_timeout(root, follow=follow)
    assert sorted(tree.entries) == ["a/f"]
    s = skipped(tree)
    assert set(s) == {"a/up", "a/me", "self"}
    assert all(r == "directory loop" for r in s.values())
    assert tree.errors == []


def test_follow_always_cut_loop_through_a_parent_of_the_root(tmp_path, root):
    write(tmp_path / "beside" / "b")
    write(root / "f")
    (root / "up").symlink_to(tmp_path)
    tree = _walk_with_timeout(root, follow="always")
    assert sorted(tree.entries) == ["f", "up/beside/b"]
    assert skipped(tree) == {"up/root": "directory loop"}


def test_diamond_of_links_lists_every_path(root):
    write(root / "c" / "leaf")
    (root / "b").mkdir()
    (root / "b" / "to-c-1").symlink_to("../c")
    (root / "b" / "to-c-2").symlink_to("../c")
    (root / "to-b").symlink_to("b")
    tree = walk(root)
    assert sorted(tree.entries) == ["b/to-c-1/leaf", "b/to-c-2/leaf", "c/leaf", "to-b/to-c-1/leaf",
                                    "to-b/to-c-2/leaf"]


# --- names ------------------------------------------------------------------------

def test_non_utf8_names_are_rejected_not_descended(root):
    bad_file = os.path.join(os.fsencode(root), b"caf\xe9.txt")
    bad_dir = os.path.join(os.fsencode(root), b"d\xff")
    with open(bad_file, "wb") as f:
        f.write(b"x")
    os.mkdir(bad_dir)
    with open(os.path.join(bad_dir, b"inner"), "wb") as f:
        f.write(b"x")
    write(root / "ok")
    tree = walk(root)
    assert sorted(tree.entries) == ["ok"]
    rejected = dict(tree.rejected)
    assert set(rejected) == {"caf\ufffd.txt", "d\ufffd"}   # printable in a report
    assert all("UTF-8" in r for r in rejected.values())
    for path in rejected:
        path.encode("utf-8")                   # JSON-safe
    assert tree.errors == []


@pytest.mark.parametrize("name, words", [("back\\slash", "backslash"), ("new\nline", "control"),
                                         ("tab\there", "control"), ("del\x7f", "control")])
def test_unsafe_names_are_rejected(root, name, words):
    write(root / name)
    write(root / "ok")
    tree = walk(root)
    assert sorted(tree.entries) == ["ok"]
    assert len(tree.rejected) == 1 and tree.rejected[0][0] == name and words in tree.rejected[0][1]
    assert name in tree.protected()


# --- pull's temporary files ---------------------------------------------------------

@pytest.mark.parametrize("name, temp", [
    (".s32s-tmp-0123456789abcdef", True),
    (".s32s-tmp-ffffffffffffffff", True),
    (".s32s-tmp-0123456789ABCDEF", False),
    (".s32s-tmp-0123456789abcde", False),
    (".s32s-tmp-0123456789abcdef0", False),
    (".s32s-tmp-0123456789abcdeg", False),
    ("s32s-tmp-0123456789abcdef", False),
    (".s32s-tmp-0123456789abcdef.txt", False),
    ("x.s32s-tmp-0123456789abcdef", False),
])
def test_temp_file_pattern(root, name, temp):
    assert bool(TEMP_NAME_RE.match(name)) is temp
    write(root / "sub" / name)
    tree = walk(root)
    if temp:
        assert tree.temp_files == [f"sub/{name}"] and tree.entries == {}
    else:
        assert tree.temp_files == [] and list(tree.entries) == [f"sub/{name}"]


def test_temp_files_are_found_even_under_ignore_rules(root):
    write(root / ".s32s-tmp-0123456789abcdef")
    tree = walk(root, ignore=IgnoreRules([".*"]))
    assert tree.temp_files == [".s32s-tmp-0123456789abcdef"]


# --- unreadable directories -----------------------------------------------------------

def test_unlistable_directory_is_an_error_the_rest_is_listed(root, monkeypatch):
    write(root / "ok" / "f")
    write(root / "locked" / "g")
    real_scandir = os.scandir

    def scandir(path):
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)
    monkeypatch.setattr(_local_list.os, "scandir", scandir)
    tree = walk(root)
    assert sorted(tree.entries) == ["ok/f"]
    assert tree.errors == [("locked", "cannot list directory: Permission denied")]
    assert "locked" in tree.protected()


def test_unlistable_root_is_an_error(root, monkeypatch):
    def scandir(path):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(_local_list.os, "scandir", scandir)
    tree = walk(root)
    assert tree.entries == {} and tree.errors == [(".", "cannot list directory: Permission denied")]


def test_protected_is_the_union():
    tree = Tree()
    tree.skipped = [("s", "x")]
    tree.rejected = [("r", "x")]
    tree.errors = [("e", "x")]
    assert tree.protected() == {"s", "r", "e"}


# --- the pull destination ------------------------------------------------------------

def test_dest_lists_symlinks_as_entries_never_follows(tmp_path, root):
    outside = tmp_path / "outside"
    write(outside / "precious" / "p")
    write(outside / "file")
    write(root / "plain", b"abc")
    (root / "to-dir").symlink_to(outside / "precious")
    (root / "to-file").symlink_to(outside / "file")
    (root / "broken").symlink_to("nowhere")
    tree = walk_dest_local(str(root), NO_RULES)
    assert sorted(tree.entries) == ["broken", "plain", "to-dir", "to-file"]
    assert tree.entries["plain"].size == 3
    for link in ("broken", "to-dir", "to-file"):
        entry = tree.entries[link]
        assert entry.size == -1
        assert entry.ino == os.lstat(root / link).st_ino     # the link, not its target
    assert tree.skipped == [] and tree.errors == []


def test_dest_missing_root_is_empty(tmp_path):
    tree = walk_dest_local(str(tmp_path / "new"), NO_RULES)
    assert tree.entries == {} and tree.errors == []


def test_dest_keeps_other_skips_and_temp_files(root):
    os.mkfifo(root / "fifo")
    write(root / ".s32s-tmp-00000000000000aa")
    tree = walk_dest_local(str(root), NO_RULES)
    assert tree.entries == {}
    assert set(skipped(tree)) == {"fifo"}
    assert tree.temp_files == [".s32s-tmp-00000000000000aa"]


# --- paths that change while they are listed --------------------------------------------

def _removing_after_scandir(monkeypatch, doomed):
    """``os.scandir`` that lists a directory, then removes ``doomed`` (paths) before the caller stats them."""
    real_scandir = os.scandir

    class Listing:
        def __init__(self, path):
            self.items = list(real_scandir(path))
            for path_ in doomed:
                if os.path.dirname(str(path_)) == os.path.realpath(path) and os.path.lexists(path_):
                    if os.path.isdir(path_) and not os.path.islink(path_):
                        for name in os.listdir(path_):
                            os.unlink(os.path.join(path_, name))
                        os.rmdir(path_)
                    else:
                        os.unlink(path_)

        def __enter__(self):
            return iter(self.items)

        def __exit__(self, *exc):
            return False
    monkeypatch.setattr(_local_list.os, "scandir", Listing)


@pytest.mark.parametrize("follow", ["inside_root", "never"])
def test_a_file_removed_after_its_directory_was_listed_is_absent(root, monkeypatch, follow):
    write(root / "stays")
    write(root / "goes")
    write(root / "sub" / "f")
    (root / "link").symlink_to("stays")
    _removing_after_scandir(monkeypatch, [root / "goes", root / "link", root / "sub"])
    tree = walk(root, follow)
    assert sorted(tree.entries) == ["stays"] and tree.errors == [] and tree.skipped == []
    assert tree.dirs == set() and "sub" not in tree.dir_attrs


def test_dest_a_link_removed_after_its_directory_was_listed_is_absent(root, monkeypatch):
    """A release's ``current`` link replaced while a pull lists the destination: gone, no errno."""
    write(root / "plain")
    (root / "churn").mkdir()
    for i in range(3):
        (root / "churn" / ("l%d" % i)).symlink_to("nowhere")
    real_lstat = os.lstat

    def lstat(path, *args, **kw):
        if os.path.basename(str(path)) == "l1":
            removed.append(path)
            os.unlink(path)  # removed between the listing and the lstat of the link
        return real_lstat(path, *args, **kw)
    removed = []
    monkeypatch.setattr(_local_list.os, "lstat", lstat)
    tree = walk_dest_local(str(root), NO_RULES)
    assert sorted(tree.entries) == ["churn/l0", "churn/l2", "plain"] and tree.errors == []
    assert len(removed) == 1


def test_dest_a_link_that_cannot_be_read_is_a_clear_error(root, monkeypatch):
    (root / "current").symlink_to("releases/1")
    real_lstat = os.lstat

    def lstat(path, *args, **kw):
        if os.path.basename(str(path)) == "current":
            raise PermissionError(13, "Permission denied")
        return real_lstat(path, *args, **kw)
    monkeypatch.setattr(_local_list.os, "lstat", lstat)
    with pytest.raises(ConfigError) as info:
        walk_dest_local(str(root), NO_RULES)
    assert info.value.msg == "cannot read the symlink 'current' in %s: Permission denied" % root
