# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safety, issue 4 point 5: ignored (excluded) paths are never deleted on the destination,
on either side, and never overwritten (s5cmd's ``--delete`` ignores its excludes;
community.aws ``s3_sync`` deletes remote copies of excluded files).

Rules (see _ignore.py): ``text*`` starts with, ``*text`` ends with, ``*text*`` contains,
``text`` exact; a rule matching a directory ignores everything below it.
"""

from safetykit import all_objects, files_of, refused, seed, snapshot
from syncrun import sync, write

RULES = ['*.log', 'cache', '*/tmp/*', '.git*', 'exact.txt']
#: Paths every rule above ignores (relative to the map root).
IGNORED = {'app.log': b'log', 'sub/deep.log': b'deep log', 'cache/x.bin': b'cache', 'cache/y/z': b'cache z',
           'a/tmp/b.txt': b'tmp', '.git/HEAD': b'ref', '.gitignore': b'*', 'exact.txt': b'exact'}
#: Near misses that are NOT ignored (so that the rules are not simply matching everything).
NEAR = {'app.log.txt': b'not a log', 'cache2/x': b'not cache', 'tmp/top.txt': b'top tmp', 'exact.txt2': b'e2'}


def the_map(s3, master, slave):
    return [dict(name='site', s3='%s/site' % s3.bucket, master=str(master), slave=str(slave), ignore=RULES)]


def test_push_never_deletes_or_overwrites_ignored_keys(s3, tmp_path):
    """S3 holds every ignored path (different bytes from the master's ignored files) and a
    stale near miss; the master has the same ignored paths with other content.  Push
    deletes only the stale near miss; every ignored key keeps its remote bytes."""
    master = tmp_path / 'master'
    for rel, data in dict(NEAR, **{k: b'LOCAL ' + v for k, v in IGNORED.items()}).items():
        write(master, rel, data)
    remote_ignored = {'site/' + k: b'REMOTE ' + v for k, v in IGNORED.items()}
    seed(s3, dict(remote_ignored, **{'site/stale.txt': b'stale', 'site/app.log.txt': b'old'}))
    result = sync('push', s3, the_map(s3, master, tmp_path / 's'), max_delete='unlimited')
    m = result['maps'][0]
    assert (m['created'], m['updated'], m['deleted']) == (3, 1, 1)
    assert all_objects(s3) == dict(remote_ignored, **{'site/' + k: v for k, v in NEAR.items()})


def test_pull_never_deletes_or_overwrites_ignored_files(s3, tmp_path):
    """The mirror on pull: local ignored files (and the directories holding them) survive a
    pull whose source lacks them or has other bytes for them."""
    slave = tmp_path / 'slave'
    for rel, data in dict(IGNORED, **{'stale.txt': b'stale', 'app.log.txt': b'old'}).items():
        write(slave, rel, b'LOCAL ' + data)
    seed(s3, dict({'site/' + k: v for k, v in NEAR.items()},
                  **{'site/' + k: b'REMOTE ' + v for k, v in IGNORED.items() if k.endswith('.log')}))
    result = sync('pull', s3, the_map(s3, tmp_path / 'm', slave), max_delete='unlimited')
    m = result['maps'][0]
    assert (m['created'], m['updated'], m['deleted']) == (3, 1, 1)
    assert files_of(snapshot(slave)) == dict({k: b'LOCAL ' + v for k, v in IGNORED.items()}, **NEAR)


def test_pull_keeps_directories_holding_only_ignored_files(s3, tmp_path):
    """Emptied directories are removed after a pull's deletions, but never an ignored
    directory, nor one that still holds ignored files."""
    slave = tmp_path / 'slave'
    write(slave, 'keep.txt', b'k')
    write(slave, 'old/gone.txt', b'g')
    write(slave, 'mixed/gone.txt', b'g')
    write(slave, 'mixed/trace.log', b'log')
    (slave / 'cache').mkdir()
    seed(s3, {'site/keep.txt': b'k'})
    result = sync('pull', s3, the_map(s3, tmp_path / 'm', slave), max_delete='unlimited')
    assert result['totals']['deleted'] == 2
    snap = snapshot(slave)
    assert files_of(snap) == {'keep.txt': b'k', 'mixed/trace.log': b'log'}
    assert snap['cache'][0] == 'dir' and 'old' not in snap


def test_source_of_only_ignored_files_is_empty(s3, tmp_path):
    """A master that holds only ignored files is an empty source: refused, nothing deleted."""
    master = tmp_path / 'master'
    for rel, data in IGNORED.items():
        write(master, rel, data)
    seed(s3, {'site/index.html': b'i', 'site/a.txt': b'a'})
    with refused('source is empty'):
        sync('push', s3, the_map(s3, master, tmp_path / 's'), max_delete='unlimited')
    assert all_objects(s3) == {'site/index.html': b'i', 'site/a.txt': b'a'}


def test_ignored_files_are_not_read(s3, tmp_path):
    """Ignored paths are not even listed: a FIFO (which would block a reader) and a broken
    link under an ignored directory give no skip, no error, no hang."""
    import os
    master = tmp_path / 'master'
    write(master, 'index.html', b'i')
    (master / 'cache').mkdir()
    os.mkfifo(str(master / 'cache' / 'pipe'))
    os.symlink('nowhere', str(master / 'cache' / 'broken'))
    result = sync('push', s3, the_map(s3, master, tmp_path / 's'))
    m = result['maps'][0]
    assert (m['created'], m['skipped'], m['failed'], m['ignored']) == (1, 0, 0, 1)
    assert all_objects(s3) == {'site/index.html': b'i'}
