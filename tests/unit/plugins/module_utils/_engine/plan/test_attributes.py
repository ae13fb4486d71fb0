# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attribute fixes of in-sync paths (plan/attributes.py; issue 15 points 2 and 3): pure, no I/O."""

from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.attributes import (
    DIRECTORY, FILE, OBJECT, Fix, local_fixes, object_fixes)
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.tree import Entry, Tree


def local_tree():
    tree = Tree()
    tree.entries = {"a": Entry("a", 1, 0, None, 0, 11, 0o640, 0, 0),
                    "d/b": Entry("d/b", 1, 0, None, 0, 12, 0o644, 0, 0),
                    "link": Entry("link", -1, 0, None, 0, 13)}
    tree.dirs = {"d"}
    tree.dir_attrs = {"d": (0o700, 0, 0)}
    return tree


def test_mode_owner_and_directory_mode_drift_are_fixed_and_described():
    fixes = local_fixes(local_tree(), ["a", "d/b", "link"], ["d"], lambda r: 0o644, 0o755, 65534, -1)
    assert fixes == [
        Fix(FILE, "a", 0o644, 65534, -1, 0, 11, "mode 0640 -> 0644, owner 0 -> 65534"),
        Fix(FILE, "d/b", None, 65534, -1, 0, 12, "owner 0 -> 65534"),
        Fix(DIRECTORY, "d", 0o755, 65534, -1, 0, 0, "mode 0700 -> 0755, owner 0 -> 65534")]


def test_nothing_wanted_or_nothing_drifted_is_no_fix():
    assert local_fixes(local_tree(), ["a", "d/b"], ["d"], lambda r: None, None) == []
    assert local_fixes(local_tree(), ["a"], [], lambda r: 0o640, None, 0, 0) == []


def test_a_symlink_is_never_fixed():
    assert local_fixes(local_tree(), ["link"], [], lambda r: 0o600, None, 1, 1) == []


def test_push_fixes_objects_whose_recorded_mode_is_not_the_file_s():
    src, dst = local_tree(), Tree()
    dst.entries = {"a": Entry("a", 1, 0, "e"), "d/b": Entry("d/b", 1, 0, "e")}
    carried = {"a": 0o644, "d/b": 0o644}
    assert object_fixes(src, dst, ["a", "d/b"], carried.get) == [
        Fix(OBJECT, "a", 0o640, -1, -1, 1, 0, "mode metadata 0644 -> 0640")]
    assert object_fixes(src, dst, ["a"], lambda r: -2)[0].reason == "mode metadata none -> 0640"
    assert object_fixes(src, dst, ["a"], lambda r: -1) == []  # not known: no fix planned
