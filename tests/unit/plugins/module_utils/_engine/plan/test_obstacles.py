# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a map does not own but stands in the way of its transfers (plan/obstacles.py): found while
planning, so that check mode reports the failure the real run would hit halfway."""

from __future__ import annotations

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.compare import ManifestComparator
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.obstacles import (
    Obstacle, obstacle_message, unowned_obstacles)
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.plan import make_plan
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.tree import Entry, Tree


def tree(files=(), links=(), dirs=(), skipped=()):
    out = Tree()
    for relpath in files:
        out.entries[relpath] = Entry(relpath, 2, 1)
    for relpath in links:
        out.entries[relpath] = Entry(relpath, -1, 1)
    out.dirs = set(dirs)
    out.skipped = list(skipped)
    return out


def obstacles(src, dst, files=None, local=True, delete=True):
    plan = make_plan(src, dst, ManifestComparator({}, local_is_source=False), files=files, delete=delete,
                     dirs=local)
    return unowned_obstacles(plan, dst, files_map=files is not None, local=local)


SRC = tree(files=('site.conf', 'vhosts/main.conf'), dirs=('vhosts',))
NOT_OWNED = "the map does not own (not in its files)"


@pytest.mark.parametrize('local', [True, False])
def test_a_files_map_cannot_write_below_a_file_it_does_not_own(local):
    found = obstacles(SRC, tree(files=('vhosts',)), files=['site.conf', 'vhosts/main.conf'], local=local)
    assert found == [Obstacle('vhosts/main.conf', 'vhosts', 'a file ' + NOT_OWNED)]


def test_a_files_map_cannot_write_through_a_symlink_it_does_not_own():
    found = obstacles(SRC, tree(links=('vhosts',)), files=['vhosts/main.conf'])
    assert found == [Obstacle('vhosts/main.conf', 'vhosts', 'a symlink ' + NOT_OWNED)]


@pytest.mark.parametrize('dst', [tree(dirs=('site.conf',)), tree(files=('site.conf/old',), dirs=('site.conf',))])
def test_a_files_map_cannot_replace_a_directory_it_does_not_own(dst):
    found = obstacles(SRC, dst, files=['site.conf'])
    assert found == [Obstacle('site.conf', 'site.conf', 'a directory ' + NOT_OWNED)]


def test_a_files_map_with_nothing_in_the_way_has_no_obstacle():
    assert obstacles(SRC, tree(files=('other',), dirs=('vhosts',)), files=['site.conf', 'vhosts/main.conf']) \
        == []
    assert obstacles(SRC, tree(files=('vhosts/main.conf',), dirs=('vhosts',)), files=['vhosts/main.conf']) \
        == []


@pytest.mark.parametrize('local', [True, False])
def test_a_directory_map_converges_over_a_file_it_owns(local):
    """The type change of ``docs/safety.md``: the file ``vhosts`` is deleted first, no obstacle."""
    assert obstacles(SRC, tree(files=('vhosts',)), local=local) == []
    assert obstacles(SRC, tree(links=('vhosts',)), local=local) == []


def test_a_directory_map_that_keeps_the_file_keeps_its_behaviour():
    """``delete: false`` keeps ``vhosts``; the transfer below it fails for that path only, as before."""
    assert obstacles(SRC, tree(files=('vhosts',)), delete=False) == []


def test_a_fifo_in_the_way_is_an_obstacle_of_any_map_on_a_local_destination():
    dst = tree(skipped=[('vhosts', 'not a regular file (FIFO, socket or device)')])
    expected = [Obstacle('vhosts/main.conf', 'vhosts', 'skipped (not a regular file (FIFO, socket or device))')]
    assert obstacles(SRC, dst) == expected
    assert obstacles(SRC, dst, files=['vhosts/main.conf']) == expected


def test_a_key_rejected_on_s3_beside_keys_below_it_is_kept_and_the_map_proceeds():
    dst = Tree()
    dst.rejected = [('vhosts', "a key beside keys 'vhosts/...'")]
    assert obstacles(SRC, dst, local=False) == []


def test_the_message_names_the_target_the_obstacle_and_the_count():
    found = [Obstacle('vhosts/main.conf', 'vhosts', 'a file ' + NOT_OWNED),
             Obstacle('vhosts/other.conf', 'vhosts', 'a file ' + NOT_OWNED)]
    assert obstacle_message("map 'conf'", found) == (
        "map 'conf': cannot write 'vhosts/main.conf': on the destination 'vhosts' is a file the map does not own "
        "(not in its files), not a directory (2 path(s) blocked)")
    assert obstacle_message("map 'conf'", [Obstacle('site.conf', 'site.conf', 'a directory ' + NOT_OWNED)]) == (
        "map 'conf': cannot write 'site.conf': on the destination it is a directory the map does not own (not in its "
        "files)")
