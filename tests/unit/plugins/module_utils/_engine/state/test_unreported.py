# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Markers of unreported changes (state/unreported.py) and where push and pull keep them."""

import json
import os

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import load_maps
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.push_pull import map_pairs
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.unreported import (
    clear, is_marked, mark, marker_path)


def test_a_marker_is_written_durably_private_and_removed_once(tmp_path):
    path = marker_path(str(tmp_path / 'state'), 'pull', ('', 'bkt', 'site', '/srv/www'))
    assert os.path.dirname(path) == str(tmp_path / 'state') and path.endswith('.unreported')
    assert not is_marked(path)
    mark(path, {'map': 'site'})
    assert is_marked(path)
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'
    assert oct(os.stat(str(tmp_path / 'state')).st_mode & 0o777) == '0o700'
    with open(path, encoding='utf-8') as f:
        assert json.load(f)['about'] == {'map': 'site'}
    assert os.listdir(str(tmp_path / 'state')) == [os.path.basename(path)]  # no temporary file left
    mark(path, {'map': 'site'})  # marking again keeps one marker
    assert clear(path) is True
    assert not is_marked(path)
    assert clear(path) is False


@pytest.mark.parametrize('direction', ['push', 'pull'])
def test_markers_are_per_map_and_direction(tmp_path, direction):
    """A push and a pull of one pair notify different handlers: they never share a marker."""
    side = 'master' if direction == 'push' else 'slave'
    other = 'pull' if direction == 'push' else 'push'
    maps, _warnings = load_maps([{'name': 'a', 's3': 'bkt/site', side: str(tmp_path / 'a')},
                                 {'name': 'b', 's3': 'bkt/site-old', side: str(tmp_path / 'a')}], side, 'test')
    state_dir = str(tmp_path / 'state')
    options = SyncOptions(lock_dir=state_dir)
    pairs = map_pairs(direction, maps, None, options, 'http://127.0.0.1:1')
    paths = [p.unreported_path for p in pairs]
    assert len(set(paths)) == 2 and all(os.path.dirname(p) == state_dir for p in paths)
    assert paths[0] == marker_path(state_dir, direction, ('http://127.0.0.1:1', 'bkt', 'site', str(tmp_path / 'a')))
    assert paths[0] != marker_path(state_dir, other, ('http://127.0.0.1:1', 'bkt', 'site', str(tmp_path / 'a')))
    # without a state directory (an engine caller that does not track them) there is no marker
    assert [p.unreported_path for p in map_pairs(direction, maps, None, SyncOptions(), '')] == ['', '']
