# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A local directory as one end of a sync (plugins/module_utils/_engine/sides/local.py), on tmp_path.

Targeted listings follow the rules of a full one; writes are atomic (a
reader sees the old file or the new one; a failed check leaves no trace);
deletions go in order, stop at the first failure and never go through a
symlinked directory (promises 2, 6 and 8 of ``docs/safety.md``). The tests
run as root: a deletion is made to fail with a directory in the way or a
symlinked parent, never with permission bits.
"""

from __future__ import annotations

import hashlib
import os
import stat

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import ConfigError, StoreError
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.local import (
    ChangedSinceListed, LocalSide, WriteOptions)
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.tree import TEMP_NAME_RE, Entry

NO_RULES = IgnoreRules()
TEMP = ".s32s-tmp-0123456789abcdef"


def write(path, data=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def temp_files(directory):
    return [n for n in os.listdir(directory) if TEMP_NAME_RE.match(n)]


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "root"
    r.mkdir()
    return r


@pytest.fixture
def outside(tmp_path):
    """A sibling of root that nothing may touch."""
    o = tmp_path / "outside"
    write(o / "secret", b"outside!")
    write(o / "d" / "victim", b"victim")
    return o


def side(root, **kw):
    return LocalSide(str(root), **kw)


# --- list_selected --------------------------------------------------------------------

def test_selected_regular_file(root):
    write(root / "d" / "a.txt", b"hello")
    tree = side(root).list_selected(["d/a.txt"], NO_RULES)
    assert list(tree.entries) == ["d/a.txt"]
    entry = tree.entries["d/a.txt"]
    st = os.stat(root / "d" / "a.txt")
    assert (entry.relpath, entry.size, entry.mtime_ns, entry.etag, entry.ctime_ns, entry.ino) == \
        ("d/a.txt", 5, st.st_mtime_ns, None, st.st_ctime_ns, st.st_ino)
    assert tree.skipped == tree.rejected == tree.errors == [] and tree.dirs == set()


def test_selected_only_what_was_asked_and_a_missing_file_is_absent(root):
    write(root / "a")
    write(root / "b")
    tree = side(root).list_selected(["a", "nope", "no/such/dir/f", "a"], NO_RULES)
    assert list(tree.entries) == ["a"]
    assert tree.skipped == tree.rejected == tree.errors == []


def test_selected_directory_is_in_dirs(root):
    write(root / "d" / "f")
    tree = side(root).list_selected(["d"], NO_RULES)
    assert tree.entries == {} and tree.dirs == {"d"}


def test_selected_on_a_missing_root_is_empty(tmp_path):
    tree = side(tmp_path / "nope", must_exist=False).list_selected(["a", "b/c"], NO_RULES)
    assert tree.entries == {} and tree.errors == []


def test_selected_fifo_is_skipped(root):
    os.mkfifo(root / "fifo")
    tree = side(root).list_selected(["fifo"], NO_RULES)
    assert tree.entries == {} and dict(tree.skipped) == {"fifo": "not a regular file (FIFO, socket or device)"}


@pytest.mark.parametrize("relpath", ["../outside/secret", "/etc/passwd", "a//b", "a/", "./a", "a\\b", "a\nb", ""])
def test_selected_unsafe_relpath_is_rejected(root, outside, relpath):
    write(root / "a" / "b")
    tree = side(root).list_selected([relpath], NO_RULES)
    assert tree.entries == {} and tree.dirs == set()
    assert [p for p, _why in tree.rejected] == [relpath]
    assert relpath in tree.protected()


def test_selected_ignored(root):
    write(root / "cache" / "x")
    write(root / "a.bmp")
    write(root / "keep")
    tree = side(root).list_selected(["cache/x", "a.bmp", "keep"], IgnoreRules(["cache", "*.bmp"]))
    assert list(tree.entries) == ["keep"] and tree.ignored == 2
    assert tree.skipped == []


@pytest.mark.parametrize("links_as_entries", [False, True])
def test_selected_reserved_temp_name_is_skipped(root, links_as_entries):
    write(root / "sub" / TEMP)
    write(root / ".s32s-tmp-0123456789ABCDEF")       # not the pattern: an ordinary file
    tree = side(root, links_as_entries=links_as_entries).list_selected(
        [f"sub/{TEMP}", ".s32s-tmp-0123456789ABCDEF"], NO_RULES)
    assert list(tree.entries) == [".s32s-tmp-0123456789ABCDEF"]
    assert tree.temp_files == [f"sub/{TEMP}"]     # a leftover a destination removes, as walk_local lists it
    if links_as_entries:
        assert tree.skipped == []
    else:                                          # a side read from reports it
        assert [p for p, _why in tree.skipped] == [f"sub/{TEMP}"]
        assert "reserved" in tree.skipped[0][1]


def test_reserved_name():
    s = LocalSide("/r")
    assert s.reserved_name(TEMP) and s.reserved_name(f"a/b/{TEMP}")
    assert s.reserved_name(f"{TEMP}/x") is None            # only the last segment is a file name
    assert s.reserved_name(TEMP + "0") is None and s.reserved_name("a.txt") is None


@pytest.fixture
def links(root, outside):
    write(root / "file", b"12")
    write(root / "real" / "f", b"1234")
    (root / "in-link").symlink_to("file")
    (root / "out-link").symlink_to(outside / "secret")
    (root / "in-dir").symlink_to("real")
    (root / "out-dir").symlink_to(outside / "d")
    return root


def test_selected_symlinks_inside_root(links):
    tree = side(links, follow_symlinks="inside_root").list_selected(
        ["file", "in-link", "out-link", "in-dir/f", "out-dir/victim", "in-dir"], NO_RULES)
    assert sorted(tree.entries) == ["file", "in-dir/f", "in-link"]
    assert tree.entries["in-link"].size == 2                             # the target's stat
    assert tree.entries["in-link"].ino == os.stat(links / "file").st_ino
    assert tree.dirs == {"in-dir"}
    assert dict(tree.skipped) == {"out-link": "symlink leaving the root", "out-dir/victim": "below a symlink"}
    assert tree.errors == []


def test_selected_symlinks_always(links, outside):
    tree = side(links, follow_symlinks="always").list_selected(
        ["in-link", "out-link", "in-dir/f", "out-dir/victim"], NO_RULES)
    assert sorted(tree.entries) == ["in-dir/f", "in-link", "out-dir/victim", "out-link"]
    assert tree.entries["out-link"].size == len(b"outside!")
    assert tree.skipped == [] and tree.errors == []


def test_selected_symlinks_never(links):
    tree = side(links, follow_symlinks="never").list_selected(
        ["file", "in-link", "out-link", "in-dir/f", "out-dir/victim", "in-dir"], NO_RULES)
    assert list(tree.entries) == ["file"]
    assert dict(tree.skipped) == {"in-link": "symlink (follow_symlinks=never)",
                                  "out-link": "symlink (follow_symlinks=never)",
                                  "in-dir": "symlink (follow_symlinks=never)",
                                  "in-dir/f": "below a symlink", "out-dir/victim": "below a symlink"}
    assert tree.dirs == set() and tree.errors == []


def test_selected_symlinks_as_entries(links):
    (links / "broken").symlink_to("nowhere")
    tree = side(links, follow_symlinks="never", links_as_entries=True).list_selected(
        ["file", "in-link", "out-link", "broken", "in-dir", "in-dir/f", "out-dir/victim"], NO_RULES)
    assert sorted(tree.entries) == ["broken", "file", "in-dir", "in-link", "out-link"]
    for link in ("broken", "in-dir", "in-link", "out-link"):
        entry = tree.entries[link]
        assert entry.size == -1, link
        assert entry.ino == os.lstat(links / link).st_ino, link            # the link, not its target
    assert tree.entries["file"].size == 2
    assert dict(tree.skipped) == {"in-dir/f": "below a symlink", "out-dir/victim": "below a symlink"}
    assert tree.dirs == set() and tree.errors == []


def test_selected_agrees_with_list_all_on_plain_trees(root):
    write(root / "a")
    write(root / "d" / "e" / "f", b"abc")
    s = side(root)
    full = s.list_all(NO_RULES)
    sel = s.list_selected(sorted(full.entries), NO_RULES)
    assert {p: (e.size, e.mtime_ns, e.ctime_ns, e.ino) for p, e in sel.entries.items()} == \
        {p: (e.size, e.mtime_ns, e.ctime_ns, e.ino) for p, e in full.entries.items()}


# --- delete_many ----------------------------------------------------------------------

def test_delete_many_deletes_in_order(root):
    for name in ("a", "d/b", "d/e/c"):
        write(root / name)
    outcome = side(root).delete_many(["d/e/c", "a", "d/b"])
    assert outcome.deleted == ["d/e/c", "a", "d/b"]
    assert outcome.failed == [] and outcome.not_attempted == []
    assert not (root / "a").exists() and not (root / "d" / "b").exists() and not (root / "d" / "e" / "c").exists()
    assert (root / "d" / "e").is_dir()                          # directories are remove_dirs' business


def test_delete_many_a_path_already_gone_counts_as_deleted(root):
    write(root / "b")
    outcome = side(root).delete_many(["gone", "no/such/dir/x", "b"])
    assert outcome.deleted == ["gone", "no/such/dir/x", "b"]
    assert outcome.failed == [] and outcome.not_attempted == []
    assert not (root / "b").exists()


def test_delete_many_a_directory_in_the_way_stops_the_run(root):
    write(root / "a")
    write(root / "dir" / "inside")
    write(root / "c")
    write(root / "d")
    outcome = side(root).delete_many(["a", "dir", "c", "d"])
    assert outcome.deleted == ["a"]
    assert [p for p, _err in outcome.failed] == ["dir"] and "is a directory" in outcome.failed[0][1]
    assert outcome.failed[0][1].startswith("cannot delete: ")
    assert outcome.not_attempted == ["c", "d"]
    assert not (root / "a").exists()
    assert (root / "dir" / "inside").exists() and (root / "c").exists() and (root / "d").exists()


def test_delete_many_an_empty_directory_is_not_deleted_either(root):
    (root / "empty").mkdir()
    outcome = side(root).delete_many(["empty"])
    assert outcome.deleted == [] and [p for p, _err in outcome.failed] == ["empty"]
    assert (root / "empty").is_dir()


def test_delete_many_refuses_a_symlinked_parent_and_leaves_the_target(root, outside):
    (root / "link").symlink_to(outside / "d")
    write(root / "after")
    outcome = side(root).delete_many(["link/victim", "after"])
    assert outcome.deleted == []
    assert [p for p, _err in outcome.failed] == ["link/victim"] and "symlink" in outcome.failed[0][1]
    assert outcome.not_attempted == ["after"]
    assert (outside / "d" / "victim").read_bytes() == b"victim"
    assert (root / "link").is_symlink() and (root / "after").exists()


def test_delete_many_a_file_as_parent_is_refused(root):
    write(root / "f")
    outcome = side(root).delete_many(["f/x"])
    assert outcome.deleted == [] and [p for p, _err in outcome.failed] == ["f/x"]
    assert (root / "f").read_bytes() == b"x"


def test_delete_many_unlinks_a_symlink_never_its_target(root, outside):
    (root / "to-file").symlink_to(outside / "secret")
    (root / "to-dir").symlink_to(outside / "d")
    outcome = side(root).delete_many(["to-file", "to-dir"])
    assert outcome.deleted == ["to-file", "to-dir"] and outcome.failed == []
    assert not os.path.lexists(root / "to-file") and not os.path.lexists(root / "to-dir")
    assert (outside / "secret").read_bytes() == b"outside!" and (outside / "d" / "victim").exists()


def test_delete_many_through_a_symlinked_root_is_fine(tmp_path, root):
    # the root itself may be a symlink: it is resolved, not refused
    write(root / "a")
    (tmp_path / "alias").symlink_to(root)
    outcome = side(tmp_path / "alias").delete_many(["a"])
    assert outcome.deleted == ["a"] and not (root / "a").exists()


# --- write_atomic ---------------------------------------------------------------------

DATA = b"new content\n"
MD5 = hashlib.md5(DATA).hexdigest()
MTIME_NS = 1_600_000_000_123_456_789


def fill_with(data, md5=None):
    def fill(f):
        f.write(data)
        return len(data), md5 or hashlib.md5(data).hexdigest()
    return fill


def ready(root, **kw):
    s = side(root, **kw)
    s.begin_writes()
    return s


def test_write_atomic_new_file_sets_mtime_and_default_mode(root):
    s = ready(root)
    entry = s.write_atomic("d/e/new.txt", Entry("d/e/new.txt", len(DATA), MTIME_NS, MD5), fill_with(DATA))
    path = root / "d" / "e" / "new.txt"
    st = os.lstat(path)
    assert path.read_bytes() == DATA
    assert st.st_mtime_ns == MTIME_NS
    assert stat.S_IMODE(st.st_mode) == 0o666 & ~_umask()
    assert (entry.relpath, entry.size, entry.mtime_ns, entry.ctime_ns, entry.ino) == \
        ("d/e/new.txt", len(DATA), MTIME_NS, st.st_ctime_ns, st.st_ino)
    assert temp_files(root / "d" / "e") == []


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_write_atomic_mode_option(root):
    s = ready(root, writes=WriteOptions(mode=0o640))
    s.write_atomic("a", Entry("a", len(DATA), MTIME_NS, MD5), fill_with(DATA))
    assert stat.S_IMODE(os.stat(root / "a").st_mode) == 0o640


def test_write_atomic_replaces_and_keeps_the_old_mode(root):
    old = write(root / "a", b"old")
    os.chmod(old, 0o604)
    old_ino = os.stat(old).st_ino
    s = ready(root)
    entry = s.write_atomic("a", Entry("a", len(DATA), MTIME_NS, MD5), fill_with(DATA))
    st = os.stat(old)
    assert old.read_bytes() == DATA and stat.S_IMODE(st.st_mode) == 0o604
    assert st.st_ino != old_ino and entry.ino == st.st_ino      # a new file renamed into place
    assert temp_files(root) == []


def test_write_atomic_replaces_a_symlink_never_its_target(root, outside):
    (root / "link").symlink_to(outside / "secret")
    s = ready(root)
    s.write_atomic("link", Entry("link", len(DATA), MTIME_NS, MD5), fill_with(DATA))
    assert not (root / "link").is_symlink() and (root / "link").read_bytes() == DATA
    assert (outside / "secret").read_bytes() == b"outside!"


@pytest.mark.parametrize("written, code", [(b"short", "SizeMismatch"), (DATA + b"more", "SizeMismatch")])
def test_write_atomic_size_mismatch(root, written, code):
    write(root / "a", b"old")
    s = ready(root)
    with pytest.raises(StoreError) as e:
        s.write_atomic("a", Entry("a", len(DATA), MTIME_NS, MD5), fill_with(written), "downloading s3://b/k")
    assert e.value.code == code and "downloading s3://b/k" in str(e.value)
    assert (root / "a").read_bytes() == b"old"
    assert temp_files(root) == []


def test_write_atomic_md5_mismatch(root):
    write(root / "a", b"old")
    s = ready(root)
    corrupt = b"NEW CONTENT\n"
    assert len(corrupt) == len(DATA)
    with pytest.raises(StoreError) as e:
        s.write_atomic("a", Entry("a", len(DATA), MTIME_NS, MD5), fill_with(corrupt))
    assert e.value.code == "BadDigest"
    assert (root / "a").read_bytes() == b"old"
    assert temp_files(root) == []


def test_write_atomic_a_multipart_etag_is_not_an_md5(root):
    # the size is checked, the MD5 cannot be: a multipart ETag is not the MD5 of the bytes
    s = ready(root)
    s.write_atomic("a", Entry("a", len(DATA), MTIME_NS, "0123456789abcdef0123456789abcdef-2"), fill_with(DATA))
    assert (root / "a").read_bytes() == DATA


def test_write_atomic_a_failing_fill_leaves_nothing(root):
    write(root / "a", b"old")
    s = ready(root)

    def fill(f):
        f.write(b"part")
        raise StoreError("connection reset", code="ReadError")
    with pytest.raises(StoreError):
        s.write_atomic("a", Entry("a", len(DATA), MTIME_NS, MD5), fill)
    assert (root / "a").read_bytes() == b"old" and temp_files(root) == []


def test_write_atomic_a_directory_in_the_way(root):
    write(root / "a" / "inside")
    s = ready(root)
    with pytest.raises(OSError):
        s.write_atomic("a", Entry("a", len(DATA), MTIME_NS, MD5), fill_with(DATA))
    assert (root / "a" / "inside").exists() and temp_files(root) == []


def test_write_atomic_refuses_a_symlinked_parent(root, outside):
    (root / "link").symlink_to(outside / "d")
    s = ready(root)
    with pytest.raises(OSError, match="symlink"):
        s.write_atomic("link/victim", Entry("link/victim", len(DATA), MTIME_NS, MD5), fill_with(DATA))
    assert (outside / "d" / "victim").read_bytes() == b"victim" and temp_files(outside / "d") == []


# --- directories ----------------------------------------------------------------------

def test_remove_dirs_never_removes_a_non_empty_directory(root):
    (root / "a" / "b" / "c").mkdir(parents=True)
    write(root / "full" / "keep")
    (root / "full" / "empty").mkdir()
    removed = side(root).remove_dirs(["a/b/c", "a/b", "a", "full/empty", "full", "missing"])
    assert removed == ["a/b/c", "a/b", "a", "full/empty"]
    assert not (root / "a").exists()
    assert (root / "full" / "keep").read_bytes() == b"x"


def test_remove_dirs_not_through_a_symlinked_parent(root, outside):
    (outside / "d" / "empty").mkdir()
    (root / "link").symlink_to(outside / "d")
    assert side(root).remove_dirs(["link/empty"]) == []
    assert (outside / "d" / "empty").is_dir()


def test_remove_dirs_never_a_file(root):
    write(root / "f")
    assert side(root).remove_dirs(["f"]) == [] and (root / "f").exists()


def test_make_dir_and_refusals(root, outside):
    s = ready(root, writes=WriteOptions(directory_mode=0o750))
    s.make_dir("x/y")
    assert (root / "x" / "y").is_dir() and stat.S_IMODE(os.stat(root / "x" / "y").st_mode) == 0o750
    (root / "link").symlink_to(outside / "d")
    with pytest.raises(OSError):
        s.make_dir("link/new")
    assert not (outside / "d" / "new").exists()
    write(root / "f")
    with pytest.raises(OSError):
        s.make_dir("f/new")


def test_remove_temp_files(root):
    write(root / TEMP)
    write(root / "sub" / TEMP)
    write(root / "keep")
    s = side(root, follow_symlinks="never", links_as_entries=True, must_exist=False)
    tree = s.list_all(NO_RULES)
    assert sorted(tree.temp_files) == sorted([TEMP, f"sub/{TEMP}"]) and tree.skipped == []
    s.remove_temp_files(tree)
    assert temp_files(root) == [] and temp_files(root / "sub") == [] and (root / "keep").exists()


def test_a_source_reports_temp_files_as_skipped(root):
    write(root / TEMP)
    tree = side(root).list_all(NO_RULES)
    assert tree.entries == {} and dict(tree.skipped) == {TEMP: "name reserved for pull's temporary files"}


@pytest.mark.parametrize("follow", ["inside_root", "always"])
def test_selected_broken_symlink_is_skipped_as_by_walk_local(root, follow):
    """A broken link is skipped (so protected: a targeted plan never deletes it elsewhere), as in a full listing."""
    os.symlink("nowhere", root / "broken")
    tree = side(root, follow_symlinks=follow).list_selected(["broken"], NO_RULES)
    full = side(root, follow_symlinks=follow).list_all(NO_RULES)
    assert tree.entries == {} and tree.skipped == [("broken", "broken symlink")]
    assert full.skipped == tree.skipped and "broken" in tree.protected()


# -- two-way sync: move and keep_copy --------------------------------------------------------------------------
def test_move_keeps_inode_and_never_replaces(tmp_path):
    root = tmp_path / "r"
    write(root / "a.txt", b"A")
    write(root / "taken", b"T")
    side = LocalSide(str(root))
    ino = os.lstat(root / "a.txt").st_ino
    entry = side.move("a.txt", "d/e/b.txt")
    assert entry.ino == ino and (root / "d/e/b.txt").read_bytes() == b"A" and not (root / "a.txt").exists()
    with pytest.raises(OSError, match="exists already"):
        side.move("d/e/b.txt", "taken")
    assert (root / "taken").read_bytes() == b"T" and (root / "d/e/b.txt").exists()


def test_move_and_keep_copy_never_go_through_a_symlinked_directory(tmp_path):
    root, outside = tmp_path / "r", tmp_path / "outside"
    write(root / "a", b"A")
    outside.mkdir()
    os.symlink(str(outside), str(root / "link"))
    side = LocalSide(str(root))
    for call in (lambda: side.move("a", "link/a"), lambda: side.keep_copy("a", "link/a"),
                 lambda: side.move("link/x", "b")):
        with pytest.raises(OSError, match="symlink"):
            call()
    assert os.listdir(outside) == [] and (root / "a").read_bytes() == b"A"


def test_keep_copy_holds_the_old_bytes_after_an_atomic_replace(tmp_path):
    root = tmp_path / "r"
    write(root / "a", b"old")
    side = LocalSide(str(root))
    side.keep_copy("a", ".s32s-trash/t/a")
    side.keep_copy("missing", ".s32s-trash/t/missing")  # nothing to keep: no error
    side.begin_writes()
    side.write_atomic("a", Entry("a", 3, 10**18), lambda f: (f.write(b"new"), hashlib.md5(b"new").hexdigest()))
    assert (root / "a").read_bytes() == b"new" and (root / ".s32s-trash/t/a").read_bytes() == b"old"
    assert not (root / ".s32s-trash/t/missing").exists()


def test_keep_copy_never_replaces_a_kept_copy(tmp_path):
    root = tmp_path / "r"
    write(root / "a", b"second")
    write(root / ".s32s-trash/t/a", b"first")
    with pytest.raises(OSError, match="exists already"):
        LocalSide(str(root)).keep_copy("a", ".s32s-trash/t/a")
    assert (root / ".s32s-trash/t/a").read_bytes() == b"first"


# --- fix_mode_and_owner (issue 15 point 2): never through a symlink ----------------------------

def _attrs(path):
    st = os.stat(path)
    return st.st_mode, st.st_uid, st.st_gid


def test_fix_mode_and_owner_changes_a_file_and_a_directory(root):
    write(root / "d" / "f", b"x")
    os.chmod(root / "d" / "f", 0o600)
    s = side(root)
    st = s.fix_mode_and_owner("d/f", False, 0o644, -1, -1, os.lstat(root / "d" / "f").st_ino)
    assert stat.S_IMODE(st.st_mode) == 0o644 == stat.S_IMODE(os.lstat(root / "d" / "f").st_mode)
    s.fix_mode_and_owner("d", True, 0o751, -1, -1)
    assert stat.S_IMODE(os.lstat(root / "d").st_mode) == 0o751
    if os.geteuid() == 0:
        s.fix_mode_and_owner("d/f", False, None, 65534, 65534)
        assert os.lstat(root / "d" / "f")[4:6] == (65534, 65534)


def test_fix_mode_and_owner_never_goes_through_a_symlink(root, outside):
    os.chmod(outside / "secret", 0o600)
    os.chmod(outside / "d", 0o700)
    (root / "link").symlink_to(outside / "secret")
    (root / "dlink").symlink_to(outside / "d")
    before = {p: _attrs(outside / p) for p in ("secret", "d", "d/victim")}
    s = side(root)
    with pytest.raises(ChangedSinceListed):
        s.fix_mode_and_owner("link", False, 0o666, 0, 0)
    with pytest.raises(ChangedSinceListed):
        s.fix_mode_and_owner("dlink", True, 0o777, 0, 0)
    with pytest.raises(OSError, match="symlink"):
        s.fix_mode_and_owner("dlink/victim", False, 0o666, 0, 0)
    with pytest.raises(OSError):
        s.fix_mode_and_owner("", True, 0o777, -1, -1)  # the root directory is never changed
    assert {p: _attrs(outside / p) for p in before} == before


def test_fix_mode_and_owner_refuses_a_file_replaced_since_the_listing(root):
    write(root / "f", b"x")
    ino = os.lstat(root / "f").st_ino
    (root / "f").unlink()
    write(root / "g", b"keep")  # holds the old inode number busy
    write(root / "f", b"new")
    if os.lstat(root / "f").st_ino == ino:
        pytest.skip("the file system reused the inode number")
    with pytest.raises(ChangedSinceListed):
        side(root).fix_mode_and_owner("f", False, 0o600, -1, -1, ino)


# --- owner and group ------------------------------------------------------------------

@pytest.mark.parametrize("owner, group, message", [
    ("nosuchuser-s32s", None, "owner 'nosuchuser-s32s' does not exist on this host"),
    (None, "nosuchgroup-s32s", "group 'nosuchgroup-s32s' does not exist on this host"),
    ("0", "nosuchgroup-s32s", "group 'nosuchgroup-s32s' does not exist on this host"),
    ("nosuchuser-s32s", "nosuchgroup-s32s", "owner 'nosuchuser-s32s' and group 'nosuchgroup-s32s' do not exist "
                                            "on this host"),
])
def test_prepare_writes_names_only_what_is_missing(root, owner, group, message):
    """A missing owner is named alone (not ``or group None``), a missing group too."""
    with pytest.raises(ConfigError) as info:
        side(root, writes=WriteOptions(owner=owner, group=group)).prepare_writes()
    assert info.value.msg == message


def test_prepare_writes_known_names_and_numbers(root):
    resolved = side(root, writes=WriteOptions(owner="0", group="0"))
    resolved.prepare_writes()
    assert tuple(resolved.ids) == (0, 0)
