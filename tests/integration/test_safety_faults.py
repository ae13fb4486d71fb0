# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safety, issue 4 point 8: faults.  Throttling (503 SlowDown), 5xx and dropped
connections are retried with backoff and the run succeeds; a server that dies mid-run
gives a clear error, deletes nothing, and the next run completes with nothing lost or
duplicated.

The clients are configured like the modules' (``_glue_client.client_config``: botocore
``standard`` retries) except where a test wants a fault to be final.
"""

import threading

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs import transfers as _transfers
from safetykit import (all_objects, files_of, module_like_client, no_retry_client, refused, seed, snapshot,
                       temp_files)
from syncrun import sync, write

SIBLINGS = {'site-old/a.txt': b'old', 'site.json': b'{}'}


def the_map(s3, master, slave):
    return [dict(name='site', s3='%s/site' % s3.bucket, master=str(master), slave=str(slave))]


def test_throttling_is_retried_and_succeeds(s3, tmp_path):
    """503 SlowDown on a listing, two uploads, the deletion batch and two downloads: every
    request is retried, both runs succeed, and each object is written exactly once."""
    master, slave = tmp_path / 'master', tmp_path / 'slave'
    for i in range(6):
        write(master, 'f%d.txt' % i, b'%d' % i)
    write(slave, 'stale.txt', b'stale')
    seed(s3, dict(SIBLINGS, **{'site/stale.txt': b'stale', 'site/f0.txt': b'old'}))
    client = module_like_client(s3)
    for op, times in (('ListObjectsV2', 1), ('PutObject', 2), ('DeleteObjects', 1)):
        s3.fail(op=op, times=times, status=503)
    with s3.requests() as log:
        result = sync('push', s3, the_map(s3, master, slave), client=client)
    assert result['maps'][0]['status'] == 'ok'
    assert (result['totals']['created'], result['totals']['updated'], result['totals']['deleted']) == (5, 1, 1)
    assert log.count(status=503) == 4
    assert log.count('PutObject', status=200) == 6 and log.count('DeleteObjects', status=200) == 1
    assert all_objects(s3) == dict(SIBLINGS, **{'site/f%d.txt' % i: b'%d' % i for i in range(6)})
    s3.fail(op='GetObject', times=2, status=503)
    s3.fail(op='ListObjectsV2', times=1, status=503)
    result = sync('pull', s3, the_map(s3, master, slave), client=client)
    assert result['maps'][0]['status'] == 'ok' and result['totals']['deleted'] == 1
    assert files_of(snapshot(slave)) == {'f%d.txt' % i: b'%d' % i for i in range(6)}


def test_server_errors_and_dropped_connections_are_retried(s3, tmp_path):
    """500 InternalError and connections closed without an answer, on uploads and
    downloads: retried, the runs succeed, no temporary file is left."""
    master, slave = tmp_path / 'master', tmp_path / 'slave'
    for i in range(4):
        write(master, 'f%d.txt' % i, b'%d' % i)
    client = module_like_client(s3)
    s3.fail(op='PutObject', times=1, status=500)
    s3.fail(op='PutObject', times=1, status=None)
    result = sync('push', s3, the_map(s3, master, slave), client=client)
    assert result['maps'][0]['status'] == 'ok' and result['totals']['created'] == 4
    s3.fail(op='GetObject', times=1, status=500)
    s3.fail(op='GetObject', times=1, status=None)
    result = sync('pull', s3, the_map(s3, master, slave), client=client)
    assert result['maps'][0]['status'] == 'ok'
    assert files_of(snapshot(slave)) == {'f%d.txt' % i: b'%d' % i for i in range(4)}
    assert temp_files(slave) == []
    assert all_objects(s3) == {'site/f%d.txt' % i: b'%d' % i for i in range(4)}


def kill_at(s3, client, op, count):
    """Make ``client`` SIGKILL the server just before it sends its ``count``-th request
    ``op`` (from the engine's worker thread: the kill lands mid-run, deterministically)."""
    seen = []
    lock = threading.Lock()

    def hook(**_kwargs):
        with lock:
            seen.append(op)
            if len(seen) == count:
                s3.kill()
    client.meta.events.register('before-call.s3.%s' % op, hook)
    return client


def back_up(s3):
    """Restart the server; moto comes back empty (its state is in memory), rclone keeps its files."""
    s3.restart()
    if s3.name == 'moto':
        s3.create_bucket()


def test_server_killed_mid_push_then_rerun(s3, tmp_path):
    """The server is SIGKILLed after 8 of 40 uploads: the run fails with a clear error
    naming the connection problem and deletes nothing; after a restart the next run
    completes: the prefix holds exactly the master's files (no loss, no duplicate)."""
    master = tmp_path / 'master'
    files = {'f%02d.txt' % i: b'content %d' % i for i in range(40)}
    for rel, data in files.items():
        write(master, rel, data)
    seed(s3, dict(SIBLINGS, **{'site/stale%d.txt' % i: b's' for i in range(3)}))
    maps = the_map(s3, master, tmp_path / 'slave')
    client = kill_at(s3, no_retry_client(s3, connect_timeout=1), 'PutObject', 9)
    with s3.requests() as log:
        result = sync('push', s3, maps, client=client, concurrency=4, max_delete='unlimited')
    m = result['maps'][0]
    assert m['status'] == 'failed' and m['deleted'] == 0 and m['failed'] > 0
    assert 'deletion(s) not run' in m['msg']
    assert any('Could not connect' in e['error'] or 'Connection' in e['error'] for e in m['errors']), m['errors']
    assert not [r for r in log.entries if r.op == 'DeleteObjects']
    back_up(s3)
    result = sync('push', s3, maps, max_delete='unlimited')
    assert result['maps'][0]['status'] == 'ok'
    expected = {'site/' + k: v for k, v in files.items()}
    if s3.name == 'rclone':  # the files written before the kill survived; siblings too
        expected.update(SIBLINGS)
    assert all_objects(s3) == expected


def test_server_killed_mid_pull_then_rerun(s3, tmp_path, monkeypatch):
    """The server is SIGKILLed after 8 of 30 downloads: the run fails, deletes nothing, and
    every local file is either its old or its new version, never a partial one, with no
    temporary file.  moto comes back empty: the next pull is refused (an empty source never
    deletes), and once the data is back the pull completes.  rclone keeps its data: the
    next pull completes at once."""
    monkeypatch.setattr(_transfers, 'BACKOFF_S', 0.01)
    remote = {'f%02d.txt' % i: b'new %d' % i * 100 for i in range(30)}
    slave = tmp_path / 'slave'
    old = {'f%02d.txt' % i: b'old %d' % i for i in range(0, 30, 3)}
    for rel, data in dict(old, **{'stale.txt': b'stale'}).items():
        write(slave, rel, data)
    seed(s3, {'site/' + k: v for k, v in remote.items()})
    maps = the_map(s3, tmp_path / 'master', slave)
    client = kill_at(s3, no_retry_client(s3, connect_timeout=1), 'GetObject', 9)
    result = sync('pull', s3, maps, client=client, concurrency=4)
    m = result['maps'][0]
    assert m['status'] == 'failed' and m['deleted'] == 0 and m['failed'] > 0
    files = files_of(snapshot(slave))
    assert files['stale.txt'] == b'stale' and temp_files(slave) == []
    for rel, data in files.items():
        if rel != 'stale.txt':
            assert data in (old.get(rel), remote[rel]), rel
    back_up(s3)
    if s3.name == 'moto':
        with refused('source is empty'):
            sync('pull', s3, maps)
        assert files_of(snapshot(slave)) == files
        seed(s3, {'site/' + k: v for k, v in remote.items()})
    result = sync('pull', s3, maps)
    assert result['maps'][0]['status'] == 'ok' and result['totals']['deleted'] == 1
    assert files_of(snapshot(slave)) == remote
    assert temp_files(slave) == []


def test_wrong_credentials_fail_clearly_and_change_nothing(rclone_s3, tmp_path):
    """rclone only (moto accepts any credentials).  A wrong secret key: the listing fails with
    a message naming the problem, nothing is written or deleted on either side."""
    s3 = rclone_s3
    master, slave = tmp_path / 'master', tmp_path / 'slave'
    write(master, 'a.txt', b'a')
    write(slave, 'b.txt', b'b')
    seed(s3, {'site/c.txt': b'c'})
    for direction in ('push', 'pull'):
        with refused('SignatureDoesNotMatch: the secret key is wrong'):
            sync(direction, s3, the_map(s3, master, slave), client=s3.bad_client(), max_delete='unlimited')
    assert all_objects(s3) == {'site/c.txt': b'c'}
    assert files_of(snapshot(slave)) == {'b.txt': b'b'}


@pytest.mark.parametrize('op', ['PutObject', 'DeleteObjects'])
def test_access_denied_on_write_is_final_and_reported(s3, tmp_path, op):
    """403 AccessDenied (a read-only key) is not retried for ever: the run fails with the
    S3 code; a failed upload keeps the deletions from running."""
    master = tmp_path / 'master'
    write(master, 'a.txt', b'a')
    write(master, 'b.txt', b'b')
    seed(s3, {'site/a.txt': b'old', 'site/b.txt': b'b', 'site/stale.txt': b's'})
    s3.fail(op=op, times=50, status=403)
    with s3.requests() as log:
        result = sync('push', s3, the_map(s3, master, tmp_path / 's'), client=module_like_client(s3))
    m = result['maps'][0]
    assert m['status'] == 'failed' and m['deleted'] == 0
    assert 'AccessDenied' in m['msg']
    assert log.count(op) == 1
    expected = {'site/a.txt': b'old' if op == 'PutObject' else b'a', 'site/b.txt': b'b', 'site/stale.txt': b's'}
    assert all_objects(s3) == expected
