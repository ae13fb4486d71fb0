# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Something the map does not own in the way of a transfer fails the map while it is planned.

A ``files`` map that needs ``vhosts/main.conf`` where the destination has a file ``vhosts`` it does
not list, a symlink it does not list, a FIFO, a directory where a listed file goes: the
run is refused before any change, check mode reports the same refusal (before, ``--check --diff``
showed the download and the real run wrote ``site.conf``, then failed), and nothing outside the
map is deleted. A directory map still converges over what it owns (``test_type_changes.py``).
"""

import os

import pytest

from safetykit import all_objects, refused, seed, snapshot
from syncrun import sync, write

OBJECTS = {'site/site.conf': b'site', 'site/vhosts/main.conf': b'main'}


def conf_map(s3, master, slave, **fields):
    return [dict(name='conf', s3='%s/site' % s3.bucket, master=str(master), slave=str(slave), **fields)]


def assert_refused_in_check_mode_and_for_real(direction, s3, maps, state, match, before, where):
    """The same refusal with and without check mode; ``where`` (a snapshot) is unchanged."""
    for check_mode in (True, False):
        with refused(match):
            sync(direction, s3, maps, state_dir=state, check_mode=check_mode)
        assert where() == before
    assert not os.path.exists(os.path.join(state, 'pull-conf.json'))


@pytest.mark.parametrize('kind', ['file', 'symlink'])
def test_pull_files_map_a_file_or_link_it_does_not_own_where_a_directory_is_needed(s3, tmp_path, kind):
    seed(s3, OBJECTS)
    outside = tmp_path / 'outside'
    write(outside, 'keep.conf', b'outside')
    slave = tmp_path / 'slave'
    write(slave, 'other.txt', b'other')
    if kind == 'file':
        write(slave, 'vhosts', b'not owned')
    else:
        os.symlink(str(outside), str(slave / 'vhosts'))
    maps = conf_map(s3, tmp_path / 'm', slave, files=['site.conf', 'vhosts/main.conf'])
    before, outside_before = snapshot(slave), snapshot(outside)
    what = 'a file' if kind == 'file' else 'a symlink'
    assert_refused_in_check_mode_and_for_real(
        'pull', s3, maps, str(tmp_path / 'state'),
        r"map 'conf': cannot write 'vhosts/main.conf': on the destination 'vhosts' is %s the map does not own "
        r"\(not in its files\), not a directory; nothing was changed$" % what, before, lambda: snapshot(slave))
    assert 'site.conf' not in snapshot(slave) and snapshot(outside) == outside_before


def test_pull_files_map_a_directory_it_does_not_own_where_a_file_goes(s3, tmp_path):
    seed(s3, OBJECTS)
    slave = tmp_path / 'slave'
    write(slave, 'site.conf/keep', b'not owned')
    maps = conf_map(s3, tmp_path / 'm', slave, files=['site.conf'])
    before = snapshot(slave)
    assert_refused_in_check_mode_and_for_real(
        'pull', s3, maps, str(tmp_path / 'state'),
        r"cannot write 'site.conf': on the destination it is a directory the map does not own", before,
        lambda: snapshot(slave))


def test_pull_directory_map_a_fifo_where_a_directory_is_needed(s3, tmp_path):
    """No map owns a FIFO (it is never opened nor deleted): refused, and the map's stale file stays too."""
    seed(s3, OBJECTS)
    slave = tmp_path / 'slave'
    write(slave, 'stale.txt', b'stale')
    os.mkfifo(str(slave / 'vhosts'))
    maps = conf_map(s3, tmp_path / 'm', slave)
    before = snapshot(slave)
    assert_refused_in_check_mode_and_for_real(
        'pull', s3, maps, str(tmp_path / 'state'),
        r"cannot write 'vhosts/main.conf': on the destination 'vhosts' is skipped \(not a regular file \(FIFO, "
        r"socket or device\)\), not a directory", before, lambda: snapshot(slave))


def test_pull_directory_map_still_converges_over_a_file_it_owns(s3, tmp_path):
    """The type change of docs/safety.md is unchanged: ``vhosts`` is deleted, then written below."""
    seed(s3, OBJECTS)
    slave = tmp_path / 'slave'
    write(slave, 'vhosts', b'owned')
    result = sync('pull', s3, conf_map(s3, tmp_path / 'm', slave), state_dir=str(tmp_path / 'state'))
    assert result['maps'][0]['status'] == 'ok' and result['maps'][0]['deleted'] == 1
    assert (slave / 'vhosts' / 'main.conf').read_bytes() == b'main'


def test_push_files_map_a_key_it_does_not_own_where_a_prefix_is_needed(s3, tmp_path):
    """A push never makes a key ``vhosts`` beside keys ``vhosts/...`` (``rclone serve s3`` cannot
    hold them; a later pull would reject the key): refused, with the same words."""
    seed(s3, {'site/vhosts': b'not owned'})
    master = tmp_path / 'master'
    write(master, 'site.conf', b'site')
    write(master, 'vhosts/main.conf', b'main')
    maps = conf_map(s3, master, tmp_path / 's', files=['site.conf', 'vhosts/main.conf'])
    before = all_objects(s3)
    for check_mode in (True, False):
        with refused(r"cannot write 'vhosts/main.conf': on the destination 'vhosts' is a file the map does not own"):
            sync('push', s3, maps, state_dir=str(tmp_path / 'state'), check_mode=check_mode)
        assert all_objects(s3) == before
