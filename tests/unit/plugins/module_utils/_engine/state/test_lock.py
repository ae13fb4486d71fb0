# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host locks (state/lock.py) and what push and pull lock (jobs/push_pull.map_lock_path)."""

import os
import time

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import load_maps
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.push_pull import map_lock_path
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.lock import HostLock, LockTimeout, lock_path


def test_a_held_lock_times_out_with_a_message_and_is_free_again_once_released(tmp_path):
    path = lock_path(str(tmp_path / 'state'), 'pull', ('/srv/www',))
    assert os.path.dirname(path) == str(tmp_path / 'state')
    with HostLock(path, 0, 'first'):
        started = time.monotonic()
        with pytest.raises(LockTimeout) as exc:
            with HostLock(path, 0.3, "map 'site'", 'another pull into this directory'):
                pass
        assert time.monotonic() - started >= 0.3
        assert exc.value.msg == ("map 'site': another pull into this directory holds %s for more than "
                                 "lock_timeout=0.3 s; nothing was changed" % path)
    with HostLock(path, 0, 'second') as lock:
        assert lock.waited < 0.3
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'


@pytest.mark.parametrize('direction', ['push', 'pull'])
def test_lock_files_are_per_destination(tmp_path, direction):
    """A push locks the S3 prefix, a pull the local directory: other destinations never wait."""
    def lock(s3, root):
        side = 'master' if direction == 'push' else 'slave'
        m = load_maps([{'name': 'm', 's3': s3, side: root}], side, 'test')[0][0]
        return map_lock_path(direction, m, str(tmp_path), 'http://127.0.0.1:1')

    os.makedirs(str(tmp_path / 'real'))
    os.symlink('real', str(tmp_path / 'link'))
    base = lock('bkt/site', str(tmp_path / 'real'))
    assert os.path.dirname(base) == str(tmp_path) and base.endswith('.lock')
    if direction == 'push':
        assert lock('bkt/site', str(tmp_path / 'other')) == base
        assert lock('bkt/site-old', str(tmp_path / 'real')) != base
    else:
        assert lock('bkt/other', str(tmp_path / 'real')) == base
        assert lock('bkt/site', str(tmp_path / 'link')) == base  # one directory, two names
        assert lock('bkt/site', str(tmp_path / 'other')) != base
