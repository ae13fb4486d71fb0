# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safety, issue 4 point 2 (containment on disk).

Decision (written down in docs/safety.md): keys and file names that are not safe relative
paths (``..`` or ``.`` segments, a leading ``/``, ``//``, a backslash, NUL and other
control characters, invalid UTF-8) are *skipped*: reported as ``rejected`` (count, path and
reason in the map result, and a warning), never read, written or deleted, on either side;
the rest of the map proceeds.  A symlink in a pull destination is never followed to write
or delete.  Source symlinks follow ``follow_symlinks`` (default ``inside_root``).

Every test has a sentinel tree *outside* the root and asserts it is byte-for-byte untouched.
"""

import os

import pytest

from safetykit import all_objects, files_of, mutations, seed, snapshot
from syncrun import sync, write

#: Keys only moto can hold (rclone answers InvalidArgument for them, TOOLCHAIN.md 3.6).
MOTO_ONLY_HOSTILE = {
    'site/../escape.txt': "'..' segment",
    'site/../../escape2.txt': "'..' segment",
    'site/./dot.txt': "'.' segment",
    'site//abs.txt': "leading '/'",
    'site/a//b.txt': "empty segment",
    'site/sub/../../up.txt': "'..' segment",
}
#: Keys both servers can hold.
HOSTILE = {
    'site/back\\slash.txt': 'backslash',
    'site/..\\..\\win.txt': 'backslash',
    'site/nul\x00.txt': 'control character',
    'site/ctl\x01.txt': 'control character',
    'site/tab\t.txt': 'control character',
    'site/del\x7f.txt': 'control character',
}
GOOD = {'site/ok.txt': b'ok', 'site/sub/fine.txt': b'fine'}


@pytest.fixture
def outside(tmp_path):
    """A sentinel directory beside the root; returns a function giving its snapshot."""
    write(tmp_path, 'escape.txt', b'sentinel escape')
    write(tmp_path, 'outside/secret.txt', b'do not touch')
    write(tmp_path, 'outside/dir/deep.txt', b'deep sentinel')
    return lambda: {k: v for k, v in snapshot(tmp_path).items() if not k.startswith(('slave', 'master'))}


def pull_map(s3, slave, location='site'):
    return [dict(name='site', s3='%s/%s' % (s3.bucket, location) if location else s3.bucket,
                 slave=str(slave))]


def push_map(s3, master, location='site'):
    return [dict(name='site', s3='%s/%s' % (s3.bucket, location), master=str(master))]


def _assert_rejected(result, hostile, prefix='site/'):
    m = result['maps'][0]
    assert m['rejected'] == len(hostile)
    reasons = {r['path']: r['reason'] for r in m['rejected_paths']}
    assert set(reasons) == {k[len(prefix):] for k in hostile}
    for key, why in hostile.items():
        assert why in reasons[key[len(prefix):]] and repr(key) in reasons[key[len(prefix):]], (key, reasons)


def test_pull_skips_traversal_keys(moto_s3, tmp_path, outside):
    """moto only: rclone cannot store ``..``, ``.``, ``//`` keys.  None of them is written
    anywhere (the ``../escape.txt`` sentinel is untouched), each is reported as rejected,
    and the safe keys are pulled."""
    s3 = moto_s3
    seed(s3, dict(GOOD, **{k: b'EVIL ' + k.encode() for k in MOTO_ONLY_HOSTILE}))
    before = outside()
    slave = tmp_path / 'slave'
    result = sync('pull', s3, pull_map(s3, slave))
    _assert_rejected(result, MOTO_ONLY_HOSTILE)
    assert result['maps'][0]['status'] == 'ok' and result['totals']['created'] == 2
    assert files_of(snapshot(slave)) == {'ok.txt': b'ok', 'sub/fine.txt': b'fine'}
    assert outside() == before


def test_pull_from_bare_bucket_skips_absolute_and_parent_keys(moto_s3, tmp_path, outside):
    """moto only (hostile keys): a bare bucket holding ``/etc/cron.d/evil`` and ``../escape.txt``:
    neither lands outside the slave directory (nor inside it)."""
    s3 = moto_s3
    hostile = {'/etc/cron.d/evil': "leading '/'", '../escape.txt': "'..' segment"}
    seed(s3, dict({'ok.txt': b'ok'}, **{k: b'EVIL' for k in hostile}))
    before = outside()
    slave = tmp_path / 'slave'
    result = sync('pull', s3, pull_map(s3, slave, location=''))
    _assert_rejected(result, hostile, prefix='')
    assert files_of(snapshot(slave)) == {'ok.txt': b'ok'}
    assert outside() == before
    assert not os.path.exists('/etc/cron.d/evil')


def test_pull_skips_backslash_and_control_char_keys(s3, tmp_path, outside):
    """Backslashes and control characters (NUL included) in keys: skipped and reported on
    both servers, the rest of the map is pulled."""
    seed(s3, dict(GOOD, **{k: b'EVIL' for k in HOSTILE}))
    before = outside()
    slave = tmp_path / 'slave'
    result = sync('pull', s3, pull_map(s3, slave))
    _assert_rejected(result, HOSTILE)
    assert any('skipped' in w and 'backslash' in w for w in result['warnings'])
    assert files_of(snapshot(slave)) == {'ok.txt': b'ok', 'sub/fine.txt': b'fine'}
    assert outside() == before


def test_push_never_deletes_or_overwrites_hostile_keys(moto_s3, tmp_path):
    """moto only (hostile keys).  Keys the master cannot have (unsafe) are rejected in the
    destination listing: a push with deletions leaves every one of them in place."""
    s3 = moto_s3
    master = tmp_path / 'master'
    write(master, 'ok.txt', b'ok')
    hostile = dict(MOTO_ONLY_HOSTILE, **HOSTILE)
    seed(s3, dict({k: b'remote' for k in hostile}, **{'site/ok.txt': b'ok', 'site/stale.txt': b'x'}))
    result = sync('push', s3, push_map(s3, master))
    assert result['totals']['deleted'] == 1 and result['totals']['rejected'] == len(hostile)
    assert all_objects(s3) == dict({k: b'remote' for k in hostile}, **{'site/ok.txt': b'ok'})


def test_push_skips_unsafe_local_names(s3, tmp_path):
    """Local names with a backslash, a control character or invalid UTF-8 are rejected
    (reported, not uploaded), the rest is pushed, and S3 keys of the same names are kept."""
    master = tmp_path / 'master'
    write(master, 'ok.txt', b'ok')
    write(master, 'back\\slash.txt', b'local')
    write(master, 'ctl\x01.txt', b'local')
    write(master, 'dir\x1b/inner.txt', b'local')
    fd = os.open(os.path.join(os.fsencode(master), b'latin1-\xe9.txt'), os.O_WRONLY | os.O_CREAT, 0o644)
    os.close(fd)
    seed(s3, {'site/back\\slash.txt': b'remote', 'site/ctl\x01.txt': b'remote'})
    result = sync('push', s3, push_map(s3, master))
    m = result['maps'][0]
    assert m['created'] == 1 and m['deleted'] == 0
    # four local names, and the two S3 keys of the same names (rejected on that side too)
    assert sorted((r['path'], r['reason']) for r in m['rejected_paths']) == [
        ('back\\slash.txt', 'backslash'), ('back\\slash.txt', "unsafe key 'site/back\\\\slash.txt': backslash"),
        ('ctl\x01.txt', 'control character'), ('ctl\x01.txt', "unsafe key 'site/ctl\\x01.txt': control character"),
        ('dir\x1b', 'control character'), ('latin1-\ufffd.txt', 'not valid UTF-8')]
    assert all_objects(s3) == {'site/back\\slash.txt': b'remote', 'site/ctl\x01.txt': b'remote',
                               'site/ok.txt': b'ok'}


def test_pull_keeps_unsafe_local_names(s3, tmp_path):
    """Local files with unsafe names in the slave directory are never deleted by a pull."""
    seed(s3, {'site/ok.txt': b'ok', 'site/b.txt': b'b'})
    slave = tmp_path / 'slave'
    write(slave, 'ok.txt', b'ok')
    write(slave, 'b.txt', b'b')
    write(slave, 'extra.txt', b'extra')
    write(slave, 'back\\slash.txt', b'mine')
    write(slave, 'ctl\x01.txt', b'mine')
    result = sync('pull', s3, pull_map(s3, slave))
    assert result['totals']['deleted'] == 1 and result['totals']['rejected'] == 2
    assert files_of(snapshot(slave)) == {'ok.txt': b'ok', 'b.txt': b'b', 'back\\slash.txt': b'mine',
                                         'ctl\x01.txt': b'mine'}


def test_pull_never_writes_through_symlinked_directory(s3, tmp_path, outside):
    """``slave/link -> ../outside`` where S3 has keys ``site/link/...``: a type change (a link
    where the source has a directory). The link is unlinked first, as a link, never followed (the
    outside files keep their content and nothing is written there); a real directory takes the
    keys; a second run is a no-op."""
    seed(s3, {'site/link/secret.txt': b'OVERWRITTEN', 'site/link/new.txt': b'NEW', 'site/ok.txt': b'ok'})
    slave = tmp_path / 'slave'
    slave.mkdir()
    os.symlink(str(tmp_path / 'outside'), str(slave / 'link'))
    before = outside()
    result = sync('pull', s3, pull_map(s3, slave))
    m = result['maps'][0]
    assert m['status'] == 'ok' and m['created'] == 3 and m['deleted'] == 1
    assert any('replaced by a directory (type change)' in line for line in result['diff']['prepared'].splitlines())
    assert outside() == before
    assert not os.path.islink(str(slave / 'link'))
    assert files_of(snapshot(slave)) == {'ok.txt': b'ok', 'link/secret.txt': b'OVERWRITTEN', 'link/new.txt': b'NEW'}
    assert sync('pull', s3, pull_map(s3, slave))['changed'] is False


def test_pull_replaces_symlinked_file_not_its_target(s3, tmp_path, outside):
    """``slave/index.html -> ../escape.txt``: the pull replaces the link by a regular file;
    the file it pointed to keeps its content."""
    seed(s3, {'site/index.html': b'from s3', 'site/ok.txt': b'ok'})
    slave = tmp_path / 'slave'
    slave.mkdir()
    os.symlink(str(tmp_path / 'escape.txt'), str(slave / 'index.html'))
    before = outside()
    result = sync('pull', s3, pull_map(s3, slave))
    assert result['totals']['updated'] == 1 and result['totals']['created'] == 1
    assert snapshot(slave)['index.html'][:2] == ('file', b'from s3')
    assert outside() == before


def test_pull_deletes_symlinks_not_their_targets(s3, tmp_path, outside):
    """Links the source does not have (to a file and to a directory outside the root) are
    removed as links: their targets, and everything below the target directory, survive."""
    seed(s3, {'site/%d.txt' % i: b'%d' % i for i in range(4)})
    slave = tmp_path / 'slave'
    for i in range(4):
        write(slave, '%d.txt' % i, b'%d' % i)
    os.symlink(str(tmp_path / 'outside' / 'secret.txt'), str(slave / 'file-link'))
    os.symlink(str(tmp_path / 'outside'), str(slave / 'dir-link'))
    before = outside()
    result = sync('pull', s3, pull_map(s3, slave))
    assert result['totals']['deleted'] == 2 and result['maps'][0]['status'] == 'ok'
    assert not os.path.lexists(slave / 'file-link') and not os.path.lexists(slave / 'dir-link')
    assert outside() == before


def test_pull_into_symlinked_root_stays_in_target(s3, tmp_path, outside):
    """The slave root itself may be a symlink (``/var/www/current -> releases/3``): the run
    writes and deletes only inside the directory it points to."""
    seed(s3, {'site/a.txt': b'a', 'site/b.txt': b'b'})
    real = tmp_path / 'slave-real'
    write(real, 'a.txt', b'old')
    write(real, 'b.txt', b'b')
    write(real, 'c.txt', b'c')
    os.symlink(str(real), str(tmp_path / 'slave'))
    before = outside()
    result = sync('pull', s3, pull_map(s3, tmp_path / 'slave'))
    assert (result['totals']['updated'], result['totals']['deleted']) == (1, 1)
    assert files_of(snapshot(real)) == {'a.txt': b'a', 'b.txt': b'b'}
    assert outside() == before


@pytest.fixture
def linked_master(tmp_path):
    """A master with every kind of link: inside file and directory, outside file and
    directory, broken, and a loop back to the root."""
    master = tmp_path / 'master'
    write(master, 'real.txt', b'real')
    write(master, 'sub/inner.txt', b'inner')
    os.symlink('real.txt', str(master / 'in-file'))
    os.symlink('sub', str(master / 'in-dir'))
    os.symlink(str(tmp_path / 'outside' / 'secret.txt'), str(master / 'out-file'))
    os.symlink(str(tmp_path / 'outside' / 'dir'), str(master / 'out-dir'))
    os.symlink('does-not-exist', str(master / 'broken'))
    os.symlink('.', str(master / 'loop'))
    return master


LINK_REMOTE = {'site/out-file': b'remote', 'site/broken': b'remote', 'site/loop/real.txt': b'remote'}


def test_push_symlinks_inside_root_default(s3, tmp_path, outside, linked_master):
    """Default ``inside_root``: links resolving inside the root are followed, links leaving it
    and broken links are skipped and reported (no crash), a loop is cut; skipped paths are
    never deleted on S3."""
    seed(s3, LINK_REMOTE)
    before = outside()
    result = sync('push', s3, push_map(s3, linked_master))
    m = result['maps'][0]
    assert m['status'] == 'ok' and m['deleted'] == 0
    assert {s['path']: s['reason'] for s in m['skipped_paths']} == {
        'out-file': 'symlink leaving the root', 'out-dir': 'symlink leaving the root',
        'broken': 'broken symlink', 'loop': 'directory loop'}
    assert all_objects(s3) == dict(LINK_REMOTE, **{
        'site/real.txt': b'real', 'site/sub/inner.txt': b'inner', 'site/in-file': b'real',
        'site/in-dir/inner.txt': b'inner'})
    assert outside() == before


def test_push_symlinks_always(s3, tmp_path, outside, linked_master):
    """``always`` follows links leaving the root too; a broken link is still only skipped."""
    seed(s3, LINK_REMOTE)
    result = sync('push', s3, push_map(s3, linked_master), follow_symlinks='always')
    m = result['maps'][0]
    assert {s['path']: s['reason'] for s in m['skipped_paths']} == {
        'broken': 'broken symlink', 'loop': 'directory loop'}
    assert all_objects(s3) == dict(LINK_REMOTE, **{
        'site/real.txt': b'real', 'site/sub/inner.txt': b'inner', 'site/in-file': b'real',
        'site/in-dir/inner.txt': b'inner', 'site/out-file': b'do not touch',
        'site/out-dir/deep.txt': b'deep sentinel'})


def test_push_symlinks_never(s3, tmp_path, outside, linked_master):
    """``never`` skips every link (reported), and deletes none of their keys on S3."""
    seed(s3, LINK_REMOTE)
    result = sync('push', s3, push_map(s3, linked_master), follow_symlinks='never')
    m = result['maps'][0]
    assert sorted(s['path'] for s in m['skipped_paths']) == [
        'broken', 'in-dir', 'in-file', 'loop', 'out-dir', 'out-file']
    assert m['deleted'] == 0
    assert all_objects(s3) == dict(LINK_REMOTE, **{'site/real.txt': b'real', 'site/sub/inner.txt': b'inner'})


def test_push_symlink_alias_never_hides_the_real_directory(s3, tmp_path):
    """A link that aliases a real directory of the root (``a-link -> z/real``) is followed,
    and the real directory is pushed as well, whatever order the directory is listed in."""
    master = tmp_path / 'master'
    write(master, 'z/real/f.txt', b'f')
    os.symlink('z/real', str(master / 'a-link'))
    os.symlink('../z/real', str(master / 'z' / '0-link'))
    result = sync('push', s3, push_map(s3, master))
    assert result['maps'][0]['skipped_paths'] == []
    assert all_objects(s3) == {'site/z/real/f.txt': b'f', 'site/a-link/f.txt': b'f',
                               'site/z/0-link/f.txt': b'f'}


def test_check_mode_with_hostile_input_sends_no_mutation(moto_s3, tmp_path, outside):
    """moto only (hostile keys).  Check mode of a pull full of hostile keys and symlinks:
    no mutating request, nothing written anywhere."""
    s3 = moto_s3
    seed(s3, dict(GOOD, **{k: b'EVIL' for k in list(MOTO_ONLY_HOSTILE) + list(HOSTILE)}))
    slave = tmp_path / 'slave'
    slave.mkdir()
    os.symlink(str(tmp_path / 'outside'), str(slave / 'sub'))
    before, slave_before = outside(), snapshot(slave)
    with s3.requests() as log:
        result = sync('pull', s3, pull_map(s3, slave), check_mode=True)
    assert result['totals']['rejected'] == len(MOTO_ONLY_HOSTILE) + len(HOSTILE)
    assert mutations(log) == []
    assert outside() == before and snapshot(slave) == slave_before
