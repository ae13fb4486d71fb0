# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Relpaths, keys and containment (plugins/module_utils/_paths.py); issue 4, point 2."""

from __future__ import annotations

import os

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.paths import (
    is_within, key_for, local_path, symlinked_parent, unsafe_reason)

SAFE = [
    "a", "a/b", "a/b/c.txt", ".hidden", "a/.b", "..a", "a..", "a/...", "a b/c d", "+%#?&=",
    "caf\u00e9", "cafe\u0301", "\u65e5\u672c/\u8a9e", "x" * 255 + "/" + "y" * 255, "a:b", "~", "-",
]

# (relpath, words that the reason must contain)
UNSAFE = [
    ("", "empty"),
    ("/a", "leading"),
    ("/", "leading"),
    ("a//b", "empty segment"),
    ("a/", "empty segment"),
    ("..", "'..'"),
    ("../x", "'..'"),
    ("a/../../x", "'..'"),
    ("a/..", "'..'"),
    (".", "'.'"),
    ("./a", "'.'"),
    ("a/./b", "'.'"),
    ("a\\b", "backslash"),
    ("..\\x", "backslash"),
    ("a\x00b", "control"),
    ("a\nb", "control"),
    ("a\rb", "control"),
    ("a\tb", "control"),
    ("\x1f", "control"),
    ("a\x7fb", "control"),
    ("bad\udcff", "UTF-8"),     # os.fsdecode() of the byte 0xff
]


@pytest.mark.parametrize("relpath", SAFE)
def test_safe(relpath):
    assert unsafe_reason(relpath) is None


@pytest.mark.parametrize("relpath, words", UNSAFE)
def test_unsafe(relpath, words):
    reason = unsafe_reason(relpath)
    assert reason is not None
    assert words in reason


def test_control_characters_are_exactly_c0_and_del():
    """The regex of unsafe_reason refuses U+0000-U+001F and U+007F, and nothing else
    (C1 controls, NBSP, U+2028 and other code points stay allowed, as before)."""
    for code in list(range(0x300)) + [0x2028, 0x2029, 0xFEFF, 0x10FFFF]:
        ch = chr(code)
        if ch in "/\\":  # separators: test_unsafe
            continue
        for relpath in (f"a{ch}b", f"{ch}x", f"dir/x{ch}"):
            reason = unsafe_reason(relpath)
            if code < 0x20 or code == 0x7F:
                assert reason == "control character", (hex(code), reason)
            else:
                assert reason is None, (hex(code), reason)


def test_surrogate_comes_from_a_real_non_utf8_name():
    name = os.fsdecode(b"caf\xe9.txt")
    assert unsafe_reason("dir/" + name) is not None


@pytest.mark.parametrize("prefix, relpath, key", [
    ("", "a/b", "a/b"),
    ("site", "a/b", "site/a/b"),
    ("x/y", "f", "x/y/f"),
])
def test_key_for(prefix, relpath, key):
    assert key_for(prefix, relpath) == key


def test_key_for_stays_under_the_listing_prefix_not_a_sibling():
    # 'site' never touches 'site-old/' (issue 4, point 1)
    key = key_for("site", "x")
    assert key.startswith("site/")
    assert not key.startswith("site-old/")


def test_local_path_uses_os_separators():
    assert local_path("/srv/dir", "a/b/c") == os.path.join("/srv/dir", "a", "b", "c")
    assert local_path("/r", "f") == "/r/f"


@pytest.mark.parametrize("root, path, inside", [
    ("/a", "/a", True),
    ("/a", "/a/", True),
    ("/a/", "/a/b", True),
    ("/a", "/a/b/c", True),
    ("/a", "/ab", False),        # a sibling with the same beginning
    ("/a", "/a-old/x", False),
    ("/a", "/", False),
    ("/a", "/a/../b", False),
    ("/a", "/a/b/../c", True),
    ("/a", "/a/b/../../a/c", True),
    ("/a", "/a/./b", True),
    ("/a/b", "/a", False),
    ("/", "/anything/at/all", True),
    ("/", "/", True),
    ("/a//b", "/a/b/c", True),
])
def test_is_within(root, path, inside):
    assert is_within(root, path) is inside


def test_symlinked_parent_all_real(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert symlinked_parent(str(tmp_path), "a/b/file") is None
    assert symlinked_parent(str(tmp_path), "file") is None


def test_symlinked_parent_missing_parents_are_fine(tmp_path):
    (tmp_path / "a").mkdir()
    assert symlinked_parent(str(tmp_path), "a/new/deeper/file") is None
    assert symlinked_parent(str(tmp_path), "new/file") is None


def test_symlinked_parent_finds_a_symlinked_directory(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "a" / "link").symlink_to(outside)
    assert symlinked_parent(str(root), "a/link/file") == os.path.join(str(root), "a", "link")
    assert symlinked_parent(str(root), "a/link/x/y") == os.path.join(str(root), "a", "link")
    # the link itself as the last segment is not a parent
    assert symlinked_parent(str(root), "a/link") is None


def test_symlinked_parent_symlink_to_a_directory_inside_counts_too(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to("real")
    assert symlinked_parent(str(tmp_path), "alias/f") == os.path.join(str(tmp_path), "alias")


def test_symlinked_parent_finds_a_file_in_the_way(tmp_path):
    (tmp_path / "a").write_text("x")
    assert symlinked_parent(str(tmp_path), "a/b/c") == os.path.join(str(tmp_path), "a")


def test_symlinked_parent_broken_link(tmp_path):
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    assert symlinked_parent(str(tmp_path), "gone/f") == os.path.join(str(tmp_path), "gone")
