# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Partly failed deletions are reported exactly (promise 8 of docs/safety.md), and a
targeted run's budget is taken of the whole destination (promise 3), on moto and rclone.

Every side deletes through one path that stops at the first failure: the keys or files
deleted before it count as deleted (``changed: true``), the failed ones are named with the
server's or the system's error, and nothing after the failure is deleted.
"""

import contextlib
import os
import subprocess

from safetykit import all_objects, seed
from syncrun import local_files, sync, write

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import parse_s3_location
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions, parse_budget
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.replicate import Destination, replicate
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.report import to_result
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import S3Store

STALE = ['old/%04d.txt' % i for i in range(1500)]  # sorted: batch 1 = 0000..0999, batch 2 = 1000..1499


def test_push_second_delete_batch_refused(s3, tmp_path):
    master = tmp_path / 'master'
    write(master, 'keep.txt', 'kept')
    seed(s3, {'site/' + p: b's' for p in STALE})
    maps = [dict(name='site', s3=s3.bucket + '/site', master=str(master))]
    s3.fail(op='DeleteObjects', status=403, after=1)
    with s3.requests() as log:
        result = sync('push', s3, maps, max_delete='unlimited')
    m = result['maps'][0]
    assert log.count('DeleteObjects') == 2
    assert result['changed'] is True and m['status'] == 'failed'
    assert (m['created'], m['deleted'], m['failed']) == (1, 1000, 500)
    assert [e['path'] for e in m['errors']] == STALE[1000:]
    assert all('AccessDenied' in e['error'] and 's3://%s/site/%s' % (s3.bucket, e['path']) in e['error']
               for e in m['errors'])
    assert '500 action(s) failed' in m['msg'] and "'old/1000.txt'" in m['msg']
    left = all_objects(s3)
    assert sorted(k for k in left if k.startswith('site/old/')) == ['site/' + p for p in STALE[1000:]]
    assert left['site/keep.txt'] == b'kept'
    deleted_lines = [line for line in result['diff']['prepared'].splitlines() if '] delete ' in line]
    assert len(deleted_lines) == 1000


def test_push_per_key_errors_stop_later_batches(s3, tmp_path):
    """A key the server lists in DeleteObjects' Errors fails alone; the next batch is never sent."""
    master = tmp_path / 'master'
    write(master, 'keep.txt', 'kept')
    seed(s3, {'site/' + p: b's' for p in STALE})
    maps = [dict(name='site', s3=s3.bucket + '/site', master=str(master))]
    with s3.requests() as log, _key_error(s3, 'site/old/0005.txt'):
        result = sync('push', s3, maps, max_delete='unlimited')
    m = result['maps'][0]
    assert log.count('DeleteObjects') == 1
    assert (m['deleted'], m['failed']) == (999, 1)
    assert m['errors'][0]['path'] == 'old/0005.txt' and 'AccessDenied' in m['errors'][0]['error']
    assert '500 deletion(s) not run' in m['msg']
    left = sorted(k for k in all_objects(s3) if k.startswith('site/old/'))
    assert left == ['site/old/0005.txt'] + ['site/' + p for p in STALE[1000:]]
    not_run = [line for line in result['diff']['prepared'].splitlines() if 'NOT RUN' in line]
    assert len(not_run) == 500 and 'a deletion before it failed' in not_run[0]


@contextlib.contextmanager
def _key_error(s3, key):
    """Make the server refuse one key inside a DeleteObjects batch, as a per-key error.

    The S3 servers under test have no per-key policy, so the client's answer is
    rewritten: the key is moved from the request's deletions to the response's
    Errors (the request itself really runs, for the other keys)."""
    client = s3.client()
    events = client.meta.events

    def drop(params, **_kw):
        params['Delete']['Objects'] = [o for o in params['Delete']['Objects'] if o['Key'] != key]

    def add_error(parsed, **_kw):
        parsed.setdefault('Errors', []).append({'Key': key, 'Code': 'AccessDenied', 'Message': 'Access Denied'})

    events.register('provide-client-params.s3.DeleteObjects', drop)
    events.register('after-call.s3.DeleteObjects', add_error)
    original = s3.client
    s3.client = lambda **config: client if not config else original(**config)
    try:
        yield
    finally:
        s3.client = original


@contextlib.contextmanager
def _undeletable(directory):
    """Make the files of ``directory`` impossible to unlink, even for root."""
    if os.geteuid() != 0:
        os.chmod(directory, 0o555)
        try:
            yield
        finally:
            os.chmod(directory, 0o755)
        return
    proc = subprocess.run(['chattr', '+i', str(directory)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, 'running as root, the test needs chattr +i on %s: %s' % (directory, proc.stderr)
    try:
        yield
    finally:
        subprocess.run(['chattr', '-i', str(directory)], check=True)


def test_pull_local_deletion_fails_midway(s3, tmp_path):
    slave = tmp_path / 'slave'
    seed(s3, {'site/keep.txt': b'kept'})
    for name in ('a/1.txt', 'a/2.txt', 'b/1.txt', 'b/2.txt', 'c/1.txt'):
        write(slave, name, name)
    maps = [dict(name='site', s3=s3.bucket + '/site', slave=str(slave))]
    with _undeletable(slave / 'b'):
        result = sync('pull', s3, maps, max_delete='unlimited')
    m = result['maps'][0]
    assert result['changed'] is True and m['status'] == 'failed'
    assert (m['created'], m['deleted'], m['failed']) == (1, 2, 1)
    assert m['errors'][0]['path'] == 'b/1.txt' and 'cannot delete' in m['errors'][0]['error']
    assert '2 deletion(s) not run' in m['msg']
    assert sorted(local_files(slave)) == ['b/1.txt', 'b/2.txt', 'c/1.txt', 'keep.txt']
    assert m['dirs_removed'] == 0 and os.path.isdir(slave / 'a')  # no directory removed after a failure


def test_pull_directory_markers_are_made_after_a_failed_deletion(moto_s3, tmp_path):
    """moto only (rclone stores a ``dir/`` marker as a plain object ``dir``, see
    test_safety_odd_content): a failed deletion stops the deletions, not the ``mkdir`` actions."""
    slave = tmp_path / 'slave'
    seed(moto_s3, {'site/keep.txt': b'kept', 'site/made/': b''})
    write(slave, 'b/1.txt', 'b')
    maps = [dict(name='site', s3=moto_s3.bucket + '/site', slave=str(slave))]
    with _undeletable(slave / 'b'):
        result = sync('pull', moto_s3, maps, max_delete='unlimited')
    m = result['maps'][0]
    assert (m['status'], m['deleted'], m['failed'], m['dirs_created']) == ('failed', 0, 1, 1)
    assert os.path.isdir(slave / 'made') and (slave / 'b' / '1.txt').exists()


def _replicate(src, dst, *, src_prefix='data', dst_prefix='copy', keys=None, state_dir=None, **opts):
    if 'max_delete' in opts:
        opts['max_delete'] = parse_budget(opts['max_delete'])
    options = SyncOptions(delete=True, state_dir=state_dir, **opts)
    src_store = S3Store(src.client())
    store = src_store if dst is src else S3Store(dst.client())
    dests = [Destination('dr', store, parse_s3_location('%s/%s' % (dst.bucket, dst_prefix)), dst.endpoint_url)]
    runs = replicate(src_store, parse_s3_location('%s/%s' % (src.bucket, src_prefix)), src.endpoint_url, dests,
                     IgnoreRules(), options, check_mode=False, keys=keys)
    return to_result(runs, options, check_mode=False, diff=True)


def test_replicate_second_delete_batch_refused(s3):
    seed(s3, {'data/keep.txt': b'kept', 'copy/keep.txt': b'kept'})
    seed(s3, {'copy/' + p: b's' for p in STALE})
    s3.fail(op='DeleteObjects', status=403, after=1)
    result = _replicate(s3, s3, max_delete='unlimited')
    d = result['maps'][0]
    assert result['changed'] is True and d['status'] == 'failed'
    assert (d['deleted'], d['failed']) == (1000, 500)
    assert [e['path'] for e in d['errors']] == STALE[1000:]
    assert sorted(k for k in all_objects(s3) if k.startswith('copy/old/')) == ['copy/' + p for p in STALE[1000:]]


def delete_direct(s3, keys):
    """Delete keys directly (not counted, no faults), 1,000 a request."""
    client = s3.direct_client()
    for i in range(0, len(keys), 1000):
        client.delete_objects(Bucket=s3.bucket, Delete={'Objects': [{'Key': k} for k in keys[i:i + 1000]]})


BIG = {'%04d.txt' % i: b'' for i in range(2000)}


def keys_and_etags(s3, prefix):
    """key -> ETag of every object under ``prefix`` (listed directly, not counted)."""
    client = s3.direct_client()
    return {o['Key']: o['ETag'] for page in client.get_paginator('list_objects_v2').paginate(
        Bucket=s3.bucket, Prefix=prefix) for o in page.get('Contents', ())}


def test_targeted_replicate_budget_is_taken_of_the_whole_destination(s3, tmp_path):
    """3 deletions announced through ``keys`` in a prefix of 2,000 objects pass ``max_delete: 50%``;
    1,500 are refused before any change. The base is the state's count of the last full run, or
    else one full listing of the destination."""
    seed(s3, {'data/' + p: b for p, b in BIG.items()}, workers=32)
    seed(s3, {'copy/' + p: b for p, b in BIG.items()}, workers=32)
    state_dir = str(tmp_path / 'state')
    left = sorted(BIG)
    for with_state, gone in ((False, ['0001.txt', '0500.txt', '1999.txt']), (True, ['0002.txt', '0501.txt'])):
        delete_direct(s3, ['data/' + p for p in gone])
        with s3.requests() as log:
            result = _replicate(s3, s3, keys=['data/' + p for p in gone], state_dir=state_dir if with_state else None)
        d = result['maps'][0]
        assert d['status'] == 'ok' and d['deleted'] == len(gone) and result['changed'] is True
        # one listing request per key on each side, plus (no state) one full listing of the destination
        assert log.count('ListObjectsV2') == 2 * len(gone) + (0 if with_state else 2)
        left = [p for p in left if p not in gone]
        assert sorted(keys_and_etags(s3, 'copy/')) == ['copy/' + p for p in left]
        if not with_state:  # a full run records the destination's count: the base of later targeted runs
            full = _replicate(s3, s3, state_dir=state_dir)
            assert full['changed'] is False and full['maps'][0]['unchanged'] == len(left) == 1997
    many = left[:1500]
    delete_direct(s3, ['data/' + p for p in many])
    before = keys_and_etags(s3, 'copy/')
    with s3.requests() as log:
        refused = _replicate(s3, s3, keys=['data/' + p for p in many], state_dir=state_dir)
    r = refused['maps'][0]
    assert r['status'] == 'refused' and r['would_delete'] == 1500
    assert '1500 deletion(s) of 1995 destination file(s) exceed max_delete=50% (limit 998)' in r['msg']
    assert not [e for e in log.entries if e.method in ('PUT', 'POST', 'DELETE')]
    assert keys_and_etags(s3, 'copy/') == before
