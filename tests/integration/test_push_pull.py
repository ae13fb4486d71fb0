# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Push and pull through the engine against real servers (moto and rclone): issue 3."""

import os

import pytest

from syncrun import bucket_objects, local_files, put, sync, write

MUTATING = ('PUT', 'POST', 'DELETE')

SITE = {
    'index.html': b'<h1>hello</h1>',
    'css/site.css': b'body{}',
    'img/a b+c%d#e.png': b'\x89PNG' * 10,
    'deep/er/still/file.txt': b'deep',
    'empty.txt': b'',
    'unicod\u00e9/caf\u00e9.txt': b'nfc',
    'unicode/cafe\u0301.txt': b'nfd',
}


@pytest.fixture
def site(tmp_path):
    master = tmp_path / 'master'
    for rel, data in SITE.items():
        write(master, rel, data)
    return master


def maps_for(s3, master, slave, prefix='site', **extra):
    return [dict(name='site', s3='%s/%s' % (s3.bucket, prefix), master=str(master), slave=str(slave), **extra)]


def state(tmp_path):
    return str(tmp_path / 'state')


def test_push_then_pull_round_trips(s3, site, tmp_path):
    slave = tmp_path / 'slave'
    maps = maps_for(s3, site, slave)
    pushed = sync('push', s3, maps, state_dir=state(tmp_path))
    assert pushed['changed'] and pushed['totals']['created'] == len(SITE)
    assert bucket_objects(s3, 'site/') == {'site/' + k: v for k, v in SITE.items()}
    pulled = sync('pull', s3, maps, state_dir=state(tmp_path))
    assert pulled['changed'] and pulled['totals']['created'] == len(SITE)
    assert local_files(slave) == SITE


def test_noop_push_and_pull_cost_one_listing(s3, site, tmp_path):
    slave = tmp_path / 'slave'
    maps = maps_for(s3, site, slave)
    sync('push', s3, maps, state_dir=state(tmp_path))
    sync('pull', s3, maps, state_dir=state(tmp_path))
    manifests = {p: os.stat(p).st_mtime_ns for p in (tmp_path / 'state').iterdir()}
    for direction in ('push', 'pull'):
        with s3.requests() as log:
            result = sync(direction, s3, maps, state_dir=state(tmp_path))
        assert result['changed'] is False, direction
        assert result['totals']['unchanged'] == len(SITE)
        assert log.ops() == {'ListObjectsV2': 1}, (direction, log.ops())
    # a no-op run does not rewrite its manifest
    assert {p: os.stat(p).st_mtime_ns for p in (tmp_path / 'state').iterdir()} == manifests


def test_noop_without_manifest_hashes_but_sends_no_object_request(s3, site, tmp_path):
    slave = tmp_path / 'slave'
    maps = maps_for(s3, site, slave)
    sync('push', s3, maps)
    sync('pull', s3, maps)
    for direction in ('push', 'pull'):
        with s3.requests() as log:
            result = sync(direction, s3, maps)
        assert result['changed'] is False
        assert log.ops() == {'ListObjectsV2': 1}, (direction, log.ops())


def test_same_size_edit_with_older_mtime_is_pushed_and_pulled(s3, site, tmp_path):
    slave = tmp_path / 'slave'
    maps = maps_for(s3, site, slave)
    sync('push', s3, maps, state_dir=state(tmp_path))
    sync('pull', s3, maps, state_dir=state(tmp_path))
    path = site / 'index.html'
    before = os.stat(path)
    path.write_bytes(b'<h1>HELLO</h1>')  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns - 10**9))  # mtime goes back
    pushed = sync('push', s3, maps, state_dir=state(tmp_path))
    assert pushed['totals']['updated'] == 1 and pushed['totals']['created'] == 0
    assert bucket_objects(s3, 'site/index.html') == {'site/index.html': b'<h1>HELLO</h1>'}
    pulled = sync('pull', s3, maps, state_dir=state(tmp_path))
    assert pulled['totals']['updated'] == 1
    assert (slave / 'index.html').read_bytes() == b'<h1>HELLO</h1>'


def test_local_edit_on_slave_is_repaired(s3, site, tmp_path):
    slave = tmp_path / 'slave'
    maps = maps_for(s3, site, slave)
    sync('push', s3, maps, state_dir=state(tmp_path))
    sync('pull', s3, maps, state_dir=state(tmp_path))
    (slave / 'css' / 'site.css').write_bytes(b'BODY{}')  # same size, new content
    result = sync('pull', s3, maps, state_dir=state(tmp_path))
    assert result['totals']['updated'] == 1
    assert local_files(slave) == SITE


def test_check_mode_changes_nothing_and_plans_everything(s3, site, tmp_path):
    slave = tmp_path / 'slave'
    maps = maps_for(s3, site, slave)
    put(s3, 'site/stale.html', b'old')
    with s3.requests() as log:
        result = sync('push', s3, maps, check_mode=True, state_dir=state(tmp_path))
    assert result['changed'] is True
    assert result['totals']['created'] == len(SITE) and result['totals']['deleted'] == 1
    assert '[site] delete s3://%s/site/stale.html' % s3.bucket in result['diff']['prepared']
    assert not [r for r in log.entries if r.method in MUTATING], log.ops()
    assert bucket_objects(s3, 'site/') == {'site/stale.html': b'old'}
    assert not os.path.exists(state(tmp_path))

    sync('push', s3, maps)
    write(slave, 'local-only.txt', b'keep me?')
    result = sync('pull', s3, maps, check_mode=True)
    assert result['totals']['created'] == len(SITE) and result['totals']['deleted'] == 1
    assert 'delete %s' % (slave / 'local-only.txt') in result['diff']['prepared']
    assert local_files(slave) == {'local-only.txt': b'keep me?'}


def test_deletions_make_destination_equal_without_wiping(s3, site, tmp_path):
    slave = tmp_path / 'slave'
    maps = maps_for(s3, site, slave)
    sync('push', s3, maps)
    sync('pull', s3, maps)
    inode_before = os.stat(slave / 'index.html').st_ino
    os.unlink(site / 'deep' / 'er' / 'still' / 'file.txt')
    write(site, 'new.txt', b'new')
    pushed = sync('push', s3, maps)
    assert (pushed['totals']['created'], pushed['totals']['deleted']) == (1, 1)
    preview = sync('pull', s3, maps, check_mode=True)
    emptied = ['deep/er/still', 'deep/er', 'deep']
    assert preview['maps'][0]['dirs_removed'] == 3
    for d in emptied:
        assert '[site] delete %s/ (empty directory)' % (slave / d) in preview['diff']['prepared']
    assert (slave / 'deep' / 'er' / 'still' / 'file.txt').exists()
    pulled = sync('pull', s3, maps)
    assert (pulled['totals']['created'], pulled['totals']['deleted']) == (1, 1)
    assert pulled['maps'][0]['dirs_removed'] == 3
    expected = dict(SITE, **{'new.txt': b'new'})
    del expected['deep/er/still/file.txt']
    assert local_files(slave) == expected
    assert not (slave / 'deep').exists()  # emptied directories are removed
    assert os.stat(slave / 'index.html').st_ino == inode_before  # untouched, not rewritten


def test_emptied_directory_holding_an_ignored_file_is_kept(s3, site, tmp_path):
    slave = tmp_path / 'slave'
    maps = maps_for(s3, site, slave, ignore=['*.log'])
    sync('push', s3, maps)
    sync('pull', s3, maps)
    write(slave, 'deep/er/app.log', b'log')
    (slave / 'cache').mkdir()  # an empty directory the source never had
    os.unlink(site / 'deep' / 'er' / 'still' / 'file.txt')
    sync('push', s3, maps)
    preview = sync('pull', s3, maps, check_mode=True)
    assert preview['maps'][0]['dirs_removed'] == 1  # deep/er/still only
    pulled = sync('pull', s3, maps)
    assert pulled['maps'][0]['dirs_removed'] == 1
    assert not (slave / 'deep' / 'er' / 'still').exists()
    assert (slave / 'deep' / 'er' / 'app.log').read_bytes() == b'log' and (slave / 'cache').is_dir()


def test_delete_false_keeps_extra_files(s3, site, tmp_path):
    slave = tmp_path / 'slave'
    maps = maps_for(s3, site, slave)
    put(s3, 'site/extra.txt', b'extra')
    result = sync('push', s3, maps, delete=False)
    assert result['totals']['deleted'] == 0
    assert bucket_objects(s3, 'site/extra.txt') == {'site/extra.txt': b'extra'}


def test_files_map_copies_only_listed_and_keeps_the_rest(s3, site, tmp_path):
    slave = tmp_path / 'slave'
    write(slave, 'other.txt', b'other')
    maps = maps_for(s3, site, slave, files=['index.html', 'css/site.css'])
    put(s3, 'site/unlisted.txt', b'unlisted')
    pushed = sync('push', s3, maps)
    assert pushed['totals']['created'] == 2 and pushed['totals']['deleted'] == 0
    assert set(bucket_objects(s3, 'site/')) == {'site/index.html', 'site/css/site.css', 'site/unlisted.txt'}
    pulled = sync('pull', s3, maps)
    assert pulled['totals']['created'] == 2
    assert local_files(slave) == {'other.txt': b'other', 'index.html': SITE['index.html'],
                                  'css/site.css': SITE['css/site.css']}


def test_files_map_with_missing_file_fails_before_any_change(s3, site, tmp_path):
    maps = maps_for(s3, site, tmp_path / 'slave', files=['index.html', 'missing.txt'])
    from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.runner import PlanningError
    with s3.requests() as log, pytest.raises(PlanningError, match="missing.txt"):
        sync('push', s3, maps)
    assert not [r for r in log.entries if r.method in MUTATING]
    assert bucket_objects(s3) == {}


def test_ignored_paths_are_neither_sent_nor_deleted(s3, site, tmp_path):
    slave = tmp_path / 'slave'
    write(site, '__pycache__/mod.pyc', b'pyc')
    write(site, 'notes.bmp', b'bmp')
    maps = maps_for(s3, site, slave, ignore=['*__pycache__*', '*.bmp', '.*'])
    put(s3, 'site/.secret', b'remote ignored')
    write(slave, 'photo.bmp', b'local ignored')
    write(slave, '.htaccess', b'local dotfile')
    pushed = sync('push', s3, maps)
    assert pushed['totals']['deleted'] == 0
    objects = bucket_objects(s3, 'site/')
    assert 'site/__pycache__/mod.pyc' not in objects and 'site/notes.bmp' not in objects
    assert objects['site/.secret'] == b'remote ignored'
    pulled = sync('pull', s3, maps)
    assert pulled['totals']['deleted'] == 0
    files = local_files(slave)
    assert files['photo.bmp'] == b'local ignored' and files['.htaccess'] == b'local dotfile'
    assert '.secret' not in files


def test_names_select_maps_sorted(s3, site, tmp_path):
    maps = [dict(name='zeta', s3='%s/z' % s3.bucket, master=str(site), slave=str(tmp_path / 'z')),
            dict(name='alpha', s3='%s/a' % s3.bucket, master=str(site), slave=str(tmp_path / 'a'))]
    result = sync('push', s3, maps)
    assert [m['name'] for m in result['maps']] == ['alpha', 'zeta']
    result = sync('pull', s3, maps, names=['zeta'])
    assert [m['name'] for m in result['maps']] == ['zeta']
    assert (tmp_path / 'z' / 'index.html').exists() and not (tmp_path / 'a').exists()


def test_large_file_multipart_noop_and_pull(s3, tmp_path):
    master, slave = tmp_path / 'm', tmp_path / 's'
    data = os.urandom(9 * 1024 * 1024 + 17)
    write(master, 'big.bin', data)
    maps = maps_for(s3, master, slave)
    sync('push', s3, maps, state_dir=state(tmp_path))
    for direction in ('push', 'pull', 'push', 'pull'):
        sync(direction, s3, maps, state_dir=state(tmp_path))
    assert (slave / 'big.bin').read_bytes() == data
    # without the manifest, the multipart ETag (moto) or full MD5 (rclone) is recomputed: still no transfer
    with s3.requests() as log:
        result = sync('push', s3, maps)
    assert result['changed'] is False and log.ops() == {'ListObjectsV2': 1}


def test_transfers_spread_over_processes(s3, tmp_path):
    """botocore for every request (processes exist for it; with awscrt a map uses threads only)."""
    master, slave = tmp_path / 'm', tmp_path / 's'
    files = {'d%d/f%03d.txt' % (i % 4, i): os.urandom(i % 97 + 1) for i in range(240)}
    files['big.bin'] = os.urandom(9 * 1024 * 1024)  # multipart inside a process
    for rel, data in files.items():
        write(master, rel, data)
    maps = maps_for(s3, master, slave)
    state = str(tmp_path / 'state')
    pushed = sync('push', s3, maps, state_dir=state, transfer_processes=2, transfer_client='classic')
    assert pushed['totals']['created'] == len(files) and pushed['totals']['failed'] == 0
    assert bucket_objects(s3, 'site/') == {'site/' + k: v for k, v in files.items()}
    pulled = sync('pull', s3, maps, state_dir=state, transfer_processes=2, transfer_client='classic')
    assert pulled['totals']['created'] == len(files) and local_files(slave) == files
    with s3.requests() as log:  # the records made in the processes reached the manifest
        for direction in ('push', 'pull'):
            assert sync(direction, s3, maps, state_dir=state, transfer_processes=2,
                        transfer_client='classic')['changed'] is False
    assert log.ops() == {'ListObjectsV2': 2}


def test_a_missing_slave_directory_is_created_with_a_warning(s3, site, tmp_path):
    slave = tmp_path / 'not' / 'there' / 'yet'
    maps = maps_for(s3, site, slave)
    sync('push', s3, maps, state_dir=state(tmp_path))
    first = sync('pull', s3, maps, state_dir=state(tmp_path))
    assert local_files(slave) == SITE
    assert [w for w in first['warnings'] if 'created the directory' in w and str(slave) in w]
    again = sync('pull', s3, maps, state_dir=state(tmp_path))
    assert not [w for w in again['warnings'] if 'created the directory' in w]
