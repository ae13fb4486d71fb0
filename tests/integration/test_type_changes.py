# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A file replaced by a directory, or a directory by a file, converges (issue 15 point 5).

The stale entry is deleted before the new one is written (counted against max_delete, shown in
the diff, a symlink unlinked and never followed), and a second run is a no-op. Both servers hold
every case tested here: one side of a type change at a time. ``rclone serve s3`` cannot hold a key
``a`` beside keys ``a/...`` (it stores files), so a push that wrote the new keys before deleting
the old one would fail there with a 500; the order tested here is what makes it pass.
"""

import os

import pytest

from safetykit import all_objects, files_of, refused, seed, snapshot
from syncrun import sync, write


def site(s3, master, slave):
    return [dict(name='site', s3='%s/site' % s3.bucket, master=str(master), slave=str(slave))]


def diff_lines(result):
    return result['diff']['prepared'].splitlines()


def test_pull_file_replaces_directory_and_directory_replaces_file(s3, tmp_path):
    seed(s3, {'site/conf': b'conf is a file now', 'site/app/x.txt': b'x', 'site/ok.txt': b'ok'})
    slave = tmp_path / 'slave'
    write(slave, 'conf/a.conf', b'a')
    write(slave, 'conf/sub/b.conf', b'b')
    os.makedirs(str(slave / 'conf' / 'empty'))
    write(slave, 'app', b'app was a file')
    write(slave, 'ok.txt', b'ok')
    maps, state = site(s3, tmp_path / 'm', slave), str(tmp_path / 'state')
    # over budget: three deletions are needed, the run changes nothing
    with refused(r"3 deletion\(s\) of 4 destination file\(s\) exceed max_delete=2"):
        sync('pull', s3, maps, state_dir=state, max_delete='2')
    preview = sync('pull', s3, maps, state_dir=state, max_delete='3', check_mode=True)
    lines = diff_lines(preview)
    assert any('delete' in l and 'conf/a.conf' in l and 'replaced by a file (type change)' in l for l in lines), lines
    assert any('delete' in l and l.split()[2].endswith('/app') and 'replaced by a directory (type change)' in l
               for l in lines), lines
    assert os.path.isdir(str(slave / 'conf')) and os.path.isfile(str(slave / 'app'))
    result = sync('pull', s3, maps, state_dir=state, max_delete='3')
    m = result['maps'][0]
    assert m['status'] == 'ok', m
    assert m['created'] == 2 and m['deleted'] == 3 and result['changed'] is True
    assert files_of(snapshot(slave)) == {'conf': b'conf is a file now', 'app/x.txt': b'x', 'ok.txt': b'ok'}
    again = sync('pull', s3, maps, state_dir=state, max_delete='3')
    assert again['changed'] is False and again['totals']['unchanged'] == 3


def test_pull_replaces_a_symlink_by_a_directory_without_following_it(s3, tmp_path):
    outside = tmp_path / 'outside'
    write(outside, 'keep.txt', b'outside')
    seed(s3, {'site/media/new.jpg': b'jpg'})
    slave = tmp_path / 'slave'
    slave.mkdir()
    os.symlink(str(outside), str(slave / 'media'))
    result = sync('pull', s3, site(s3, tmp_path / 'm', slave), max_delete='unlimited')
    assert result['maps'][0]['status'] == 'ok'
    assert not os.path.islink(str(slave / 'media'))
    assert files_of(snapshot(slave)) == {'media/new.jpg': b'jpg'}
    assert files_of(snapshot(outside)) == {'keep.txt': b'outside'}


@pytest.mark.parametrize('change', ['file_to_directory', 'directory_to_file'])
def test_push_type_change(s3, tmp_path, change):
    master, state = tmp_path / 'master', str(tmp_path / 'state')
    maps = site(s3, master, tmp_path / 's')
    if change == 'file_to_directory':
        seed(s3, {'site/app': b'old file', 'site/ok.txt': b'ok'})
        write(master, 'app/x.txt', b'x')
        expected = {'site/app/x.txt': b'x', 'site/ok.txt': b'ok'}
        reason = 'replaced by a directory (type change)'
    else:
        seed(s3, {'site/conf/a': b'a', 'site/conf/sub/b': b'b', 'site/ok.txt': b'ok'})
        write(master, 'conf', b'conf is a file now')
        expected = {'site/conf': b'conf is a file now', 'site/ok.txt': b'ok'}
        reason = 'replaced by a file (type change)'
    write(master, 'ok.txt', b'ok')
    result = sync('push', s3, maps, state_dir=state, max_delete='unlimited')
    assert result['maps'][0]['status'] == 'ok', result['maps'][0]
    assert any(reason in l for l in diff_lines(result)), diff_lines(result)
    assert all_objects(s3) == expected
    again = sync('push', s3, maps, state_dir=state, max_delete='unlimited')
    assert again['changed'] is False
