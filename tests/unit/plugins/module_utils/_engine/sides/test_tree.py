# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Entries of local files (sides/tree.py): what they cost per path (issue 16 point 4)."""

import os

from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.tree import local_entry


def test_local_entries_share_one_int_per_mode_and_owner(tmp_path):
    """100,000 files hold a handful of modes and owners: one int object each, not one per file."""
    entries = []
    for name in ('a', 'b'):
        path = tmp_path / name
        path.write_bytes(b'x')
        os.chmod(path, 0o644)
        st = os.stat(path)
        owners = (int('1007'), int('1008'))  # new int objects on each pass
        st = os.stat_result((st.st_mode, st.st_ino, st.st_dev, st.st_nlink) + owners + tuple(st)[6:])
        entries.append(local_entry(name, st))
    first, second = entries
    assert (first.perm, first.uid, first.gid) == (0o644, 1007, 1008)
    assert first.perm is second.perm and first.uid is second.uid and first.gid is second.gid
