# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tests never write manifests into the real ~/.cache/s32s.sync (tests/conftest.py)."""

import os
import pwd

from ansible_collections.s32s.sync.plugins.module_utils._engine.state.manifest import DEFAULT_STATE_DIR


def test_home_is_a_temporary_directory_for_the_tests_and_their_subprocesses():
    real_home = pwd.getpwuid(os.getuid()).pw_dir
    home = os.environ['HOME']
    assert os.path.basename(home).startswith('s32s-test-home-') and os.path.isdir(home)
    assert os.path.realpath(home) != os.path.realpath(real_home)
    state = os.path.expanduser(DEFAULT_STATE_DIR)
    assert state.startswith(home + os.sep)
    assert not state.startswith(os.path.join(real_home, '.cache') + os.sep)
