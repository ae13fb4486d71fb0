# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safety, issue 4 point 4: an empty or unreadable source never means "delete everything".

A missing or empty master directory, an empty S3 prefix, a listing that failed (on the
first or a later page) or was cut short: the map is refused before any deletion (an empty
source is allowed only with ``allow_empty_source``).  A file that could not be read or
uploaded blocks the deletions of its map; the transfers that succeeded stay.
"""

import os

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs import transfers as _transfers


from ansible_collections.s32s.sync.plugins.module_utils._engine.sides import local_list as _local_list
from safetykit import all_objects, files_of, mutations, no_retry_client, refused, seed, snapshot
from syncrun import sync, write

SIBLINGS = {'site-old/a.txt': b'old a', 'site.json': b'{}'}
REMOTE = {'site/index.html': b'index', 'site/a.txt': b'a', 'site/b/c.txt': b'c', 'site/d.txt': b'd'}
LOCAL = {'index.html': b'index', 'a.txt': b'a', 'b/c.txt': b'c', 'd.txt': b'd'}


def push_map(s3, master):
    return [dict(name='site', s3='%s/site' % s3.bucket, master=str(master))]


def pull_map(s3, slave, prefix='site'):
    return [dict(name='site', s3='%s/%s' % (s3.bucket, prefix), slave=str(slave))]


def local(root, files):
    for rel, data in files.items():
        write(root, rel, data)
    return root


def test_push_missing_master_changes_nothing(s3, tmp_path):
    """A master directory that does not exist (a typo, a disk not mounted): refused."""
    seed(s3, dict(SIBLINGS, **REMOTE))
    with s3.requests() as log, refused('local directory .*/not-mounted does not exist'):
        sync('push', s3, push_map(s3, tmp_path / 'not-mounted'), max_delete='unlimited')
    assert mutations(log) == []
    assert all_objects(s3) == dict(SIBLINGS, **REMOTE)


def test_push_empty_master_refused(s3, tmp_path):
    """An empty master (an unmounted mount point) with an unlimited budget: refused, and the
    message says how to allow it; nothing changed."""
    (tmp_path / 'mnt').mkdir()
    seed(s3, dict(SIBLINGS, **REMOTE))
    with s3.requests() as log, refused('source is empty; refusing to delete all 4 file.*allow_empty_source'):
        sync('push', s3, push_map(s3, tmp_path / 'mnt'), max_delete='unlimited')
    assert mutations(log) == []
    assert all_objects(s3) == dict(SIBLINGS, **REMOTE)


def test_push_master_with_only_ignored_files_is_empty(s3, tmp_path):
    """A master whose every file is ignored is an empty source too."""
    master = local(tmp_path / 'm', {'x.log': b'log', 'cache/y': b'y'})
    seed(s3, REMOTE)
    maps = [dict(push_map(s3, master)[0], ignore=['*.log', 'cache'])]
    with refused('source is empty'):
        sync('push', s3, maps, max_delete='unlimited')
    assert all_objects(s3) == REMOTE


def test_allow_empty_source_empties_only_the_prefix(s3, tmp_path):
    """``allow_empty_source`` lifts the empty-source rule only: the budget still applies (the
    default 50% refuses), and with ``unlimited`` exactly ``site/`` is emptied."""
    (tmp_path / 'mnt').mkdir()
    seed(s3, dict(SIBLINGS, **REMOTE))
    with refused('4 deletion.*exceed max_delete=50%'):
        sync('push', s3, push_map(s3, tmp_path / 'mnt'), allow_empty_source=True)
    assert all_objects(s3) == dict(SIBLINGS, **REMOTE)
    result = sync('push', s3, push_map(s3, tmp_path / 'mnt'), allow_empty_source=True, max_delete='unlimited')
    assert result['totals']['deleted'] == 4
    assert all_objects(s3) == SIBLINGS


def test_pull_empty_prefix_refused(s3, tmp_path):
    """A typo in the prefix (``stie``) lists nothing: the slave directory is left alone."""
    seed(s3, dict(SIBLINGS, **REMOTE))
    slave = local(tmp_path / 'slave', LOCAL)
    before = snapshot(slave)
    with refused('source is empty'):
        sync('pull', s3, pull_map(s3, slave, prefix='stie'), max_delete='unlimited')
    assert snapshot(slave) == before


def test_pull_missing_bucket_refused(s3, tmp_path):
    """A bucket that does not exist: a clear error, the slave directory is left alone."""
    slave = local(tmp_path / 'slave', LOCAL)
    before = snapshot(slave)
    maps = [dict(name='site', s3='no-such-bucket-s32s/site', slave=str(slave))]
    with refused('no-such-bucket-s32s.*(NoSuchBucket|404)'):
        sync('pull', s3, maps, max_delete='unlimited')
    assert snapshot(slave) == before


def test_push_listing_failure_changes_nothing(s3, tmp_path):
    """The destination listing fails (500 on every attempt): nothing is uploaded or deleted."""
    master = local(tmp_path / 'm', {'index.html': b'new', 'new.txt': b'new'})
    seed(s3, REMOTE)
    s3.fail(op='ListObjectsV2', times=10, status=500)
    with s3.requests() as log, refused('listing s3://.*/site/ failed: InternalError'):
        sync('push', s3, push_map(s3, master), client=no_retry_client(s3, 2), max_delete='unlimited')
    assert mutations(log) == []
    assert all_objects(s3) == REMOTE


def test_pull_listing_failure_changes_nothing(s3, tmp_path):
    """The source listing fails (dropped connections): nothing is downloaded or deleted."""
    seed(s3, REMOTE)
    slave = local(tmp_path / 'slave', {'index.html': b'old', 'extra.txt': b'extra'})
    before = snapshot(slave)
    s3.fail(op='ListObjectsV2', times=10, status=None)
    with refused('listing s3://.*/site/ failed'):
        sync('pull', s3, pull_map(s3, slave), client=no_retry_client(s3, 2), max_delete='unlimited')
    assert snapshot(slave) == before


def _fail_from_second_listing_page(s3, client):
    """Arm a fault on the next ListObjectsV2 once the first page has been answered."""
    def arm(**_kwargs):
        if not armed:
            armed.append(True)
            s3.fail(op='ListObjectsV2', times=10, status=503)
    armed = []
    client.meta.events.register('after-call.s3.ListObjectsV2', arm)
    return client


def test_pull_listing_failing_on_second_page_changes_nothing(s3, tmp_path):
    """1,001 keys: page 1 (1,000 keys) arrives, page 2 fails.  The 1,000 keys already seen
    must not be taken for the whole source: no download, no deletion."""
    seed(s3, {'site/k%04d' % i: b'' for i in range(1001)})
    slave = local(tmp_path / 'slave', {'k0000': b'stale', 'k1000': b'not on page 1', 'extra.txt': b'x'})
    before = snapshot(slave)
    client = _fail_from_second_listing_page(s3, no_retry_client(s3, 2))
    with s3.requests() as log, refused('listing s3://.*/site/ failed: SlowDown'):
        sync('pull', s3, pull_map(s3, slave), client=client, max_delete='unlimited')
    assert [r.status for r in log.entries if r.op == 'ListObjectsV2'] == [200, 503, 503]
    assert log.count('GetObject') == 0
    assert snapshot(slave) == before


def test_listing_cut_short_changes_nothing(s3, tmp_path):
    """A page that says it is truncated but gives no continuation token (a broken store or
    proxy): the listing is incomplete, the push is refused."""
    master = local(tmp_path / 'm', {'index.html': b'index'})
    seed(s3, REMOTE)
    client = s3.client()

    def cut(parsed, **_kwargs):
        parsed['IsTruncated'] = True
        parsed.pop('NextContinuationToken', None)
    client.meta.events.register('after-call.s3.ListObjectsV2', cut)
    with s3.requests() as log, refused('cut short'):
        sync('push', s3, push_map(s3, master), client=client, max_delete='unlimited')
    assert mutations(log) == []
    assert all_objects(s3) == REMOTE


@pytest.mark.parametrize('ordered', [True, False])
def test_failed_upload_blocks_deletions_keeps_successes(s3, tmp_path, ordered):
    """One upload (a create) fails on every attempt: the other creates stay, the map's deletions do
    not run (the stale key survives), the map reports the failure; the next run completes. With
    ``ordered`` (the default, site-safe order) the updates wait for every create, so they do not run
    either; without it they do."""
    master = local(tmp_path / 'm', {'a.txt': b'new a', 'b.txt': b'new b', 'c.txt': b'new c'})
    seed(s3, dict(SIBLINGS, **{'site/a.txt': b'old a', 'site/stale1': b's', 'site/stale2': b's',
                               'site/z1': b'z', 'site/z2': b'z'}))
    s3.fail(op='PutObject', key='site/b.txt', times=10, status=500)
    result = sync('push', s3, push_map(s3, master), client=no_retry_client(s3, 2), max_delete='unlimited',
                  ordered=ordered)
    m = result['maps'][0]
    assert m['status'] == 'failed' and (m['created'], m['updated'], m['deleted']) == (1, 0 if ordered else 1, 0)
    assert [e['path'] for e in m['errors']] == ['b.txt']
    assert '4 deletion(s) not run' in m['msg']
    assert ('1 update(s) not run' in m['msg']) is ordered
    assert all_objects(s3) == dict(SIBLINGS, **{'site/a.txt': b'old a' if ordered else b'new a',
                                                'site/c.txt': b'new c',
                                                'site/stale1': b's', 'site/stale2': b's',
                                                'site/z1': b'z', 'site/z2': b'z'})
    s3.clear_faults()
    result = sync('push', s3, push_map(s3, master), max_delete='unlimited')
    assert (result['totals']['created'], result['totals']['deleted']) == (1, 4)
    assert result['totals']['updated'] == (1 if ordered else 0)
    assert all_objects(s3) == dict(SIBLINGS, **{'site/a.txt': b'new a', 'site/b.txt': b'new b',
                                                'site/c.txt': b'new c'})


def test_failed_download_blocks_local_deletions(s3, tmp_path, monkeypatch):
    """One download fails on every attempt: the other downloads stay, no local deletion."""
    monkeypatch.setattr(_transfers, 'BACKOFF_S', 0.01)
    seed(s3, {'site/a.txt': b'a', 'site/b.txt': b'b'})
    slave = local(tmp_path / 'slave', {'b.txt': b'old b', 'stale.txt': b'stale'})
    s3.fail(op='GetObject', key='site/b.txt', times=20, status=500)
    result = sync('pull', s3, pull_map(s3, slave), client=no_retry_client(s3, 1), max_delete='unlimited')
    m = result['maps'][0]
    assert m['status'] == 'failed' and m['created'] == 1 and m['deleted'] == 0
    assert files_of(snapshot(slave)) == {'a.txt': b'a', 'b.txt': b'old b', 'stale.txt': b'stale'}


def test_file_vanishing_during_push_blocks_deletions(s3, tmp_path):
    """A file deleted between the listing and its upload (cannot be read): its map deletes
    nothing, the other creates stay, and the update waits (site-safe order: a failed create
    leaves the updates for the next run)."""
    master = local(tmp_path / 'm', {'a.txt': b'a', 'b.txt': b'b', 'c.txt': b'c'})
    seed(s3, {'site/stale.txt': b'stale', 'site/a.txt': b'old'})
    client = s3.client()

    def vanish(**_kwargs):  # the first upload (b.txt, the first create) makes c.txt vanish
        if os.path.exists(master / 'c.txt'):
            os.unlink(master / 'c.txt')
    client.meta.events.register('before-call.s3.PutObject', vanish)
    result = sync('push', s3, push_map(s3, master), client=client, concurrency=1, max_delete='unlimited')
    m = result['maps'][0]
    assert m['status'] == 'failed' and m['deleted'] == 0
    assert [e['path'] for e in m['errors']] == ['c.txt']
    assert all_objects(s3) == {'site/stale.txt': b'stale', 'site/a.txt': b'old', 'site/b.txt': b'b'}


def test_unreadable_source_directory_blocks_deletions(s3, tmp_path, monkeypatch):
    """A master sub-directory that cannot be listed (EACCES; simulated, the tests run as
    root) makes the source incomplete: the run is refused, nothing changes."""
    master = local(tmp_path / 'm', {'a.txt': b'a', 'locked/x.txt': b'x'})
    seed(s3, {'site/a.txt': b'a', 'site/locked/x.txt': b'x', 'site/stale.txt': b's'})
    real_scandir = os.scandir

    def scandir(path='.'):
        if str(path).endswith('/locked'):
            raise PermissionError(13, 'Permission denied', str(path))
        return real_scandir(path)
    monkeypatch.setattr(_local_list.os, 'scandir', scandir)
    with s3.requests() as log, refused("could not be read completely .*'locked'.*Permission denied"):
        sync('push', s3, push_map(s3, master), max_delete='unlimited')
    assert mutations(log) == []
    assert all_objects(s3) == {'site/a.txt': b'a', 'site/locked/x.txt': b'x', 'site/stale.txt': b's'}


def test_push_broken_directory_link_keeps_its_keys(s3, tmp_path):
    """``master/media -> /mnt/media`` (published with ``follow_symlinks: always``) and the disk
    behind it is not mounted (a broken link):
    ``media`` is skipped and reported, and the keys below ``site/media/`` are NOT deleted
    (they were only protected by exact name before; a 1-in-5 deletion fit the budget)."""
    master = local(tmp_path / 'm', {'index.html': b'index', 'a.txt': b'a', 'b.txt': b'b', 'c.txt': b'c'})
    os.symlink(str(tmp_path / 'mnt' / 'media'), str(master / 'media'))
    remote = {'site/index.html': b'index', 'site/a.txt': b'a', 'site/b.txt': b'b', 'site/c.txt': b'c',
              'site/media/1.jpg': b'jpg1', 'site/media/2/3.jpg': b'jpg3'}
    seed(s3, remote)
    result = sync('push', s3, push_map(s3, master), follow_symlinks='always')
    m = result['maps'][0]
    assert m['skipped_paths'] == [{'path': 'media', 'reason': 'broken symlink'}]
    assert m['deleted'] == 0
    assert all_objects(s3) == remote
