# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safety, issue 4 point 7: odd but legal content round-trips (push, pull, then a no-op),
and what cannot be synced is skipped and reported for that path while the rest proceeds.
"""

import os
import signal
import socket
import stat

import pytest

from safetykit import all_objects, files_of, seed, snapshot
from syncrun import sync, write


def both_maps(s3, master, slave, **extra):
    return [dict(name='site', s3='%s/site' % s3.bucket, master=str(master), slave=str(slave), **extra)]


def round_trip(s3, tmp_path, files, **options):
    """Push ``files`` from a master, pull them to a slave, then check that a second push and
    pull change nothing.  Returns ``(master, slave)``."""
    master, slave = tmp_path / 'master', tmp_path / 'slave'
    master.mkdir(exist_ok=True)
    for rel, data in files.items():
        write(master, rel, data)
    maps = both_maps(s3, master, slave)
    state = str(tmp_path / 'state')
    assert sync('push', s3, maps, state_dir=state, **options)['totals']['created'] == len(files)
    assert all_objects(s3) == {'site/' + k: v for k, v in files.items()}
    assert sync('pull', s3, maps, state_dir=state, **options)['totals']['created'] == len(files)
    assert files_of(snapshot(slave)) == files
    for direction in ('push', 'pull'):
        again = sync(direction, s3, maps, state_dir=state, **options)
        assert again['changed'] is False and again['totals']['unchanged'] == len(files), direction
    return master, slave


def test_zero_byte_files_stay_files(s3, tmp_path):
    """0-byte files (S32S turned them into directories) are files at every depth."""
    _master, slave = round_trip(s3, tmp_path, {'empty': b'', 'd/empty.txt': b'', 'd/e/f': b'', 'full': b'x'})
    assert all(stat.S_ISREG(os.lstat(slave / p).st_mode) for p in ('empty', 'd/empty.txt', 'd/e/f'))


def test_names_with_url_special_characters(s3, tmp_path):
    """Spaces, ``+``, ``%``, ``#``, ``?``, ``&``, ``=``, ``;``, quotes, ``~``, ``!``, ``@``,
    ``$`` and brackets: keys are neither decoded twice nor truncated."""
    names = ['a b.txt', 'plus+sign.txt', '100%.txt', '%20literal.txt', 'hash#frag.txt', 'q?x=1&y=2.txt',
             "quote'\"s.txt", 'semi;colon.txt', 'tilde~!@$[]().txt', 'dir with space/+%#?.txt', ' lead.txt',
             'trail .txt', '%2F.txt', 'a+b/c d/e%f.txt']
    round_trip(s3, tmp_path, {n: n.encode() for n in names})


def test_unicode_nfc_and_nfd_side_by_side(s3, tmp_path):
    """``café`` in NFC and NFD are two different names on S3 and on Linux: both survive, in
    the same directory, with their own content; plus emoji and right-to-left text."""
    round_trip(s3, tmp_path, {'caf\u00e9.txt': b'nfc', 'cafe\u0301.txt': b'nfd',
                              '\u00e9t\u00e9/\u65e5\u672c.txt': b'cjk', 'emoji-\U0001F600.txt': b'smile',
                              '\u05e9\u05dc\u05d5\u05dd.txt': b'rtl'})


def test_very_long_names(s3, tmp_path):
    """A 200-character name, a 255-byte UTF-8 name (the Linux limit) and a path of 900 bytes."""
    deep = '/'.join(['d' * 50] * 16) + '/leaf.txt'
    round_trip(s3, tmp_path, {'n' * 200: b'200', '\u00e9' * 127 + 'x': b'255 bytes', deep: b'deep'})


def test_more_than_1000_keys_paginate(s3, tmp_path):
    """1,002 keys: every listing needs two ListObjectsV2 pages.  A no-op push costs exactly
    those two requests; an update at the page boundary and a deletion on the second page
    are planned on both sides, and nothing is lost between the pages."""
    files = {'k%04d' % i: b'' for i in range(1002)}
    master, slave = tmp_path / 'master', tmp_path / 'slave'
    for rel in files:
        write(master, rel, b'')
        write(slave, rel, b'')
    seed(s3, {'site/' + k: v for k, v in files.items()})
    maps = both_maps(s3, master, slave)
    with s3.requests() as log:
        result = sync('push', s3, maps)
    assert result['changed'] is False and result['totals']['unchanged'] == 1002
    assert log.ops() == {'ListObjectsV2': 2}
    (master / 'k0999').write_bytes(b'changed at the page boundary')
    os.unlink(master / 'k1001')
    result = sync('push', s3, maps)
    assert (result['totals']['updated'], result['totals']['deleted']) == (1, 1)
    write(slave, 'k1002', b'local only')
    write(slave, 'k0000', b'local edit')
    with s3.requests() as log:
        result = sync('pull', s3, maps)
    assert (result['totals']['created'], result['totals']['updated'], result['totals']['deleted']) == (0, 2, 2)
    assert log.ops() == {'ListObjectsV2': 2, 'GetObject': 2}
    files.pop('k1001')
    files['k0999'] = b'changed at the page boundary'
    assert files_of(snapshot(slave)) == files


def test_directory_markers_on_s3(moto_s3, tmp_path):
    """moto only: rclone stores a ``dir/`` marker as a plain object ``dir`` and cannot hold it
    beside ``dir/x`` (TOOLCHAIN.md 3.6).  Markers (``empty/``, ``full/`` beside ``full/x``)
    are directories: pull creates the directory (an empty one too) and no file for them, and
    push never deletes them."""
    s3 = moto_s3
    seed(s3, {'site/empty/': b'', 'site/full/': b'', 'site/full/x': b'x', 'site/a.txt': b'a'})
    slave, master = tmp_path / 'slave', tmp_path / 'master'
    preview = sync('pull', s3, both_maps(s3, master, slave), check_mode=True)
    assert '[%s] mkdir %s/ (directory marker)' % (preview['maps'][0]['name'], slave / 'empty') \
        in preview['diff']['prepared']
    assert not slave.exists()
    result = sync('pull', s3, both_maps(s3, master, slave))
    assert result['maps'][0]['status'] == 'ok' and result['totals']['created'] == 2
    assert result['maps'][0]['dirs_created'] == 2  # empty/ and full/ (full/ is made by its file's download first)
    assert files_of(snapshot(slave)) == {'full/x': b'x', 'a.txt': b'a'}
    assert (slave / 'empty').is_dir() and not os.listdir(slave / 'empty')
    again = sync('pull', s3, both_maps(s3, master, slave))
    assert again['changed'] is False and again['maps'][0]['dirs_created'] == 0
    write(master, 'a.txt', b'a')
    write(master, 'full/x', b'x')
    write(master, 'b.txt', b'b')
    result = sync('push', s3, both_maps(s3, master, slave))
    assert result['totals']['deleted'] == 0 and result['totals']['created'] == 1
    assert all_objects(s3) == {'site/empty/': b'', 'site/full/': b'', 'site/full/x': b'x', 'site/a.txt': b'a',
                               'site/b.txt': b'b'}


def test_key_clash_file_and_directory(moto_s3, tmp_path):
    """moto only: rclone cannot hold ``a`` and ``a/b`` together (500 InternalError).  The key
    ``a`` beside ``a/b`` is rejected with a clear reason naming it, ``a/b`` and the rest of
    the map are pulled; a push never deletes the clashing key."""
    s3 = moto_s3
    seed(s3, {'site/a': b'file a', 'site/a/b': b'a/b', 'site/ok.txt': b'ok'})
    slave, master = tmp_path / 'slave', tmp_path / 'master'
    result = sync('pull', s3, both_maps(s3, master, slave))
    m = result['maps'][0]
    assert m['status'] == 'ok' and m['created'] == 2 and m['rejected'] == 1
    assert m['rejected_paths'] == [{'path': 'a', 'reason': "file/directory clash: 'site/a' is an object and "
                                                           "also a prefix of other keys"}]
    assert files_of(snapshot(slave)) == {'a/b': b'a/b', 'ok.txt': b'ok'}
    write(master, 'a/b', b'a/b')
    write(master, 'ok.txt', b'ok')
    write(master, 'new.txt', b'new')
    result = sync('push', s3, both_maps(s3, master, slave))
    assert result['totals']['deleted'] == 0
    assert all_objects(s3) == {'site/a': b'file a', 'site/a/b': b'a/b', 'site/ok.txt': b'ok',
                               'site/new.txt': b'new'}


def test_local_directory_in_the_way_of_a_file(s3, tmp_path):
    """S3 has a file ``x`` where the slave has a directory ``x/``: a type change. The directory's
    files are deleted first (within max_delete), the directory removed, the file written; a
    second run is a no-op (tests/integration/test_type_changes.py has the other cases)."""
    seed(s3, {'site/x': b'file x', 'site/ok.txt': b'ok'})
    slave = tmp_path / 'slave'
    write(slave, 'x/inner.txt', b'inner')
    maps = both_maps(s3, tmp_path / 'm', slave)
    result = sync('pull', s3, maps, max_delete='unlimited')
    m = result['maps'][0]
    assert m['status'] == 'ok' and m['created'] == 2 and m['deleted'] == 1
    assert files_of(snapshot(slave)) == {'x': b'file x', 'ok.txt': b'ok'}
    assert sync('pull', s3, maps, max_delete='unlimited')['changed'] is False


def test_read_only_files(s3, tmp_path):
    """A read-only master file is pushed; a read-only slave file is replaced (keeping its
    mode) and a read-only stale file is deleted; the read-only directory check is not
    about permissions (the tests run as root) but about the mode being kept."""
    master = tmp_path / 'master'
    write(master, 'ro.txt', b'new read-only')
    write(master, 'keep.txt', b'keep')
    os.chmod(master / 'ro.txt', 0o444)
    result = sync('push', s3, both_maps(s3, master, tmp_path / 's'))
    assert all_objects(s3) == {'site/ro.txt': b'new read-only', 'site/keep.txt': b'keep'}
    slave = tmp_path / 'slave'
    write(slave, 'ro.txt', b'old')
    write(slave, 'keep.txt', b'keep')
    write(slave, 'stale.txt', b'stale')
    os.chmod(slave / 'ro.txt', 0o444)
    os.chmod(slave / 'stale.txt', 0o400)
    result = sync('pull', s3, both_maps(s3, master, slave))
    assert (result['totals']['updated'], result['totals']['deleted']) == (1, 1)
    snap = snapshot(slave)
    assert snap['ro.txt'] == ('file', b'new read-only', 0o444) and 'stale.txt' not in snap


@pytest.fixture
def fifo_guard():
    """Fail instead of hanging if something opens a FIFO: after 10 s, open every FIFO
    registered in the returned list for writing (which releases a blocked reader), then
    raise in the test."""
    fifos = []

    def on_alarm(*_args):
        for path in fifos:
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass  # no reader: nobody opened it
        raise TimeoutError('a FIFO was opened (the run blocked)')
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(10)
    yield fifos
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def test_fifo_and_socket_skipped_never_opened(s3, tmp_path, fifo_guard):
    """A FIFO (opening it would block) and a Unix socket in the master are skipped and
    reported, never opened; their S3 keys are not deleted; the rest is pushed."""
    master = tmp_path / 'master'
    write(master, 'index.html', b'i')
    os.mkfifo(str(master / 'pipe'))
    fifo_guard.append(str(master / 'pipe'))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    cwd = os.getcwd()
    os.chdir(str(master))  # a short relative name: AF_UNIX paths are limited to 107 bytes
    try:
        sock.bind('sock')
    finally:
        os.chdir(cwd)
    try:
        seed(s3, {'site/pipe': b'remote pipe', 'site/sock': b'remote sock', 'site/stale': b's',
                  'site/index.html': b'old'})
        result = sync('push', s3, both_maps(s3, master, tmp_path / 's'))
    finally:
        sock.close()
    m = result['maps'][0]
    assert m['status'] == 'ok' and (m['updated'], m['deleted']) == (1, 1)
    assert sorted((s['path'], s['reason']) for s in m['skipped_paths']) == [
        ('pipe', 'not a regular file (FIFO, socket or device)'),
        ('sock', 'not a regular file (FIFO, socket or device)')]
    assert all_objects(s3) == {'site/pipe': b'remote pipe', 'site/sock': b'remote sock', 'site/index.html': b'i'}


def test_fifo_in_slave_is_never_opened(s3, tmp_path, fifo_guard):
    """A FIFO in the slave directory where S3 has no such key stays (not a file of ours); one
    where S3 has a file is replaced by the file without being opened."""
    seed(s3, {'site/replaced': b'file now', 'site/ok.txt': b'ok'})
    slave = tmp_path / 'slave'
    slave.mkdir()
    os.mkfifo(str(slave / 'replaced'))
    os.mkfifo(str(slave / 'kept'))
    fifo_guard.extend([str(slave / 'replaced'), str(slave / 'kept')])
    result = sync('pull', s3, both_maps(s3, tmp_path / 'm', slave))
    assert result['maps'][0]['status'] == 'ok'
    snap = snapshot(slave)
    assert snap['replaced'][:2] == ('file', b'file now') and snap['kept'] == ('fifo',)


def test_keys_named_like_pull_temporaries_are_skipped(s3, tmp_path):
    """A key whose name is that of a pull temporary file (``.s32s-tmp-<16 hex>``) is skipped
    and reported, never downloaded (the next run would take it for a leftover, delete it,
    download it again: ``changed`` on every run); the rest of the map is pulled, and the
    key stays on S3."""
    seed(s3, {'site/.s32s-tmp-0123456789abcdef': b'a real object', 'site/d/.s32s-tmp-fedcba9876543210': b'obj',
              'site/a.txt': b'a'})
    slave, master = tmp_path / 'slave', tmp_path / 'master'
    maps = both_maps(s3, master, slave)
    for run in range(2):
        result = sync('pull', s3, maps)
        m = result['maps'][0]
        assert result['changed'] is (run == 0), run
        assert sorted(s['path'] for s in m['skipped_paths']) == ['.s32s-tmp-0123456789abcdef',
                                                                 'd/.s32s-tmp-fedcba9876543210']
        assert files_of(snapshot(slave)) == {'a.txt': b'a'}
    assert all_objects(s3) == {'site/.s32s-tmp-0123456789abcdef': b'a real object',
                               'site/d/.s32s-tmp-fedcba9876543210': b'obj', 'site/a.txt': b'a'}
