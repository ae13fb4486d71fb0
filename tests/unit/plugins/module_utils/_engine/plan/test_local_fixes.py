# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local fixes of in-sync paths of a pull (plan/local_fixes.py; issue 15 point 2): pure, no I/O."""

from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.local_fixes import (
    DIRECTORY, FILE, Fix, local_fixes)
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
        Fix(FILE, "a", 0o644, 65534, -1, 11, "mode 0640 -> 0644, owner 0 -> 65534"),
        Fix(FILE, "d/b", None, 65534, -1, 12, "owner 0 -> 65534"),
        Fix(DIRECTORY, "d", 0o755, 65534, -1, 0, "mode 0700 -> 0755, owner 0 -> 65534")]


def test_nothing_wanted_or_nothing_drifted_is_no_fix():
    assert local_fixes(local_tree(), ["a", "d/b"], ["d"], lambda r: None, None) == []
    assert local_fixes(local_tree(), ["a"], [], lambda r: 0o640, None, 0, 0) == []


def test_a_symlink_is_never_fixed():
    assert local_fixes(local_tree(), ["link"], [], lambda r: 0o600, None, 1, 1) == []
