# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safety, issue 4 point 1 (scope): a location ``bucket/site`` means ``site/`` and nothing
else; a bare bucket deletes only with ``allow_bare_bucket``; map files are never deleted.

Every test seeds the neighbours a careless prefix match would reach (``site-old/``,
``site.json``, ``sitemap.xml``, ``site_b/``...) and asserts the whole bucket afterwards.
"""

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._glue_push_pull import read_maps
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import S3Store
from safetykit import all_objects, files_of, mutations, refused, seed, snapshot
from syncrun import sync, write

NEIGHBOURS = {
    'site-old/index.html': b'old site',
    'site-old/keep/deep.txt': b'old deep',
    'site.json': b'{"not": "a site file"}',
    'sitemap.xml': b'<urlset/>',
    'site_b/x': b'b',
    'other/site/index.html': b'nested other',
}


def one_map(s3, master, slave, location='site', **extra):
    return [dict(name='site', s3='%s/%s' % (s3.bucket, location) if location else s3.bucket,
                 master=str(master), slave=str(slave), **extra)]


@pytest.mark.parametrize('spelling', ['{b}/site', 's3://{b}/site/', '{b}/site//'])
def test_push_touches_only_prefix_slash(s3, tmp_path, spelling):
    """Push deletes and writes only under ``site/``, whatever the spelling of the location;
    the neighbours that share the characters ``site`` are untouched."""
    master = tmp_path / 'master'
    write(master, 'index.html', b'new index')
    write(master, 'keep.txt', b'keep')
    seed(s3, dict(NEIGHBOURS, **{'site/index.html': b'old index', 'site/keep.txt': b'keep',
                                 'site/stale.txt': b'stale'}))
    maps = [dict(name='site', s3=spelling.format(b=s3.bucket), master=str(master))]
    with s3.requests() as log:
        result = sync('push', s3, maps)
    assert (result['totals']['updated'], result['totals']['deleted']) == (1, 1)
    assert all_objects(s3) == dict(NEIGHBOURS, **{'site/index.html': b'new index', 'site/keep.txt': b'keep'})
    touched = {r.key for r in log.entries if r.op in ('PutObject', 'DeleteObjects', 'DeleteObject')}
    assert touched <= {'site/index.html', ''}  # DeleteObjects names the bucket, not a key
    assert [r.query.get('prefix') for r in log.entries if r.op == 'ListObjectsV2'] == [['site/']]


def test_push_nested_prefix_never_reaches_dir10(s3, tmp_path):
    """The S32S bug: syncing ``data/dir1`` also deleted ``data/dir10/`` and ``data/dir1.json``."""
    master = tmp_path / 'dir1'
    write(master, 'a.txt', b'a')
    write(master, 'b.txt', b'b')
    others = {'data/dir10/a.txt': b'10a', 'data/dir10/z.txt': b'10z', 'data/dir1.json': b'{}',
              'data/dir1-backup/a.txt': b'bak', 'data/dir2/a.txt': b'2'}
    seed(s3, dict(others, **{'data/dir1/a.txt': b'a', 'data/dir1/b.txt': b'b', 'data/dir1/gone.txt': b'x'}))
    result = sync('push', s3, [dict(name='d', s3='%s/data/dir1' % s3.bucket, master=str(master))])
    assert result['totals']['deleted'] == 1
    assert all_objects(s3) == dict(others, **{'data/dir1/a.txt': b'a', 'data/dir1/b.txt': b'b'})


def test_pull_reads_and_deletes_only_prefix_slash(s3, tmp_path):
    """Pull of ``site`` never downloads ``site-old/`` or ``site.json``, and deletes only inside
    its root: the neighbouring local directories ``site-old`` and file ``site.json`` survive."""
    seed(s3, dict(NEIGHBOURS, **{'site/index.html': b'index', 'site/a/b.txt': b'b'}))
    slave = tmp_path / 'www' / 'site'
    write(slave, 'index.html', b'old')
    write(slave, 'local-extra.txt', b'extra')
    write(tmp_path / 'www', 'site-old/index.html', b'local old site')
    write(tmp_path / 'www', 'site.json', b'local json')
    outside_before = snapshot(tmp_path / 'www' / 'site-old'), snapshot(tmp_path / 'www' / 'site.json')
    result = sync('pull', s3, one_map(s3, tmp_path / 'unused', slave))
    assert (result['totals']['created'], result['totals']['updated'], result['totals']['deleted']) == (1, 1, 1)
    assert files_of(snapshot(slave)) == {'index.html': b'index', 'a/b.txt': b'b'}
    assert (snapshot(tmp_path / 'www' / 'site-old'), snapshot(tmp_path / 'www' / 'site.json')) == outside_before
    assert all_objects(s3) == dict(NEIGHBOURS, **{'site/index.html': b'index', 'site/a/b.txt': b'b'})


def test_bare_bucket_push_refuses_deletions(s3, tmp_path):
    """``s3: bucket`` (no prefix) with keys the master lacks: refused, nothing changed,
    not even the upload of the new file; the message names allow_bare_bucket."""
    master = tmp_path / 'master'
    write(master, 'index.html', b'new')
    seed(s3, NEIGHBOURS)
    with s3.requests() as log, refused('bare bucket.*allow_bare_bucket'):
        sync('push', s3, one_map(s3, master, tmp_path / 's', location=''), max_delete='unlimited')
    assert mutations(log) == []
    assert all_objects(s3) == NEIGHBOURS


def test_bare_bucket_pull_refuses_deletions(s3, tmp_path):
    """Pull from a bare bucket into a directory with files the bucket lacks: refused."""
    seed(s3, {'index.html': b'remote'})
    slave = tmp_path / 'slave'
    write(slave, 'index.html', b'local')
    write(slave, 'mine.txt', b'mine')
    before = snapshot(slave)
    with refused('bare bucket.*allow_bare_bucket'):
        sync('pull', s3, one_map(s3, tmp_path / 'm', slave, location=''), max_delete='unlimited')
    assert snapshot(slave) == before


def test_bare_bucket_without_deletions_runs(s3, tmp_path):
    """A bare bucket is refused only for deletions: uploads alone, or ``delete: false``, run."""
    master = tmp_path / 'master'
    write(master, 'index.html', b'new')
    seed(s3, NEIGHBOURS)
    result = sync('push', s3, one_map(s3, master, tmp_path / 's', location=''), delete=False)
    assert result['totals']['created'] == 1 and result['totals']['deleted'] == 0
    assert all_objects(s3) == dict(NEIGHBOURS, **{'index.html': b'new'})


def test_bare_bucket_with_allow_deletes_but_never_the_map_files(s3, tmp_path):
    """``allow_bare_bucket`` lets a bare-bucket map delete, but the map files read from that
    bucket (``maps/*.json``) are protected: the run is refused and changes nothing."""
    master = tmp_path / 'master'
    write(master, 'index.html', b'new')
    maps_json = ('[{"name": "all", "s3": "%s", "master": "%s"}]' % (s3.bucket, master)).encode()
    seed(s3, {'maps/site.json': maps_json, 'stale.txt': b'stale'})
    raw, _label, protected = read_maps({'maps_s3_path': '%s/maps' % s3.bucket}, S3Store(s3.client()),
                                       'master', 'src')
    assert protected == {(s3.bucket, 'maps/site.json')}
    with s3.requests() as log, refused('map file s3://%s/maps/site.json' % s3.bucket):
        sync('push', s3, raw, protected_keys=frozenset(protected), allow_bare_bucket=True, max_delete='unlimited')
    assert mutations(log) == []
    assert all_objects(s3) == {'maps/site.json': maps_json, 'stale.txt': b'stale'}
    # once the master holds the map file too, the same options delete only what they should
    write(master, 'maps/site.json', maps_json)
    result = sync('push', s3, raw, protected_keys=frozenset(protected), allow_bare_bucket=True,
                  max_delete='unlimited')
    assert (result['totals']['created'], result['totals']['deleted']) == (1, 1)
    assert all_objects(s3) == {'maps/site.json': maps_json, 'index.html': b'new'}


def test_map_file_under_synced_prefix_is_protected(s3, tmp_path):
    """The map file lives under the prefix it syncs (``site/maps.json``) and the master lacks
    it: the push is refused rather than deleting the map file; nothing changes."""
    master = tmp_path / 'master'
    write(master, 'index.html', b'new')
    maps_json = ('[{"name": "site", "s3": "%s/site", "master": "%s"}]' % (s3.bucket, master)).encode()
    seed(s3, dict(NEIGHBOURS, **{'site/maps.json': maps_json, 'site/index.html': b'old',
                                 'site/a.txt': b'a', 'site/b.txt': b'b'}))
    raw, _label, protected = read_maps({'maps_s3_path': 's3://%s/site/maps.json' % s3.bucket},
                                       S3Store(s3.client()), 'master', 'src')
    assert protected == {(s3.bucket, 'site/maps.json')}
    with s3.requests() as log, refused('refusing to delete map file s3://%s/site/maps.json' % s3.bucket):
        sync('push', s3, raw, protected_keys=frozenset(protected), max_delete='unlimited')
    assert mutations(log) == []
    assert all_objects(s3) == dict(NEIGHBOURS, **{'site/maps.json': maps_json, 'site/index.html': b'old',
                                                  'site/a.txt': b'a', 'site/b.txt': b'b'})
