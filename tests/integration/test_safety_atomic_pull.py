# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safety, issue 4 point 6: pull never leaves a partial or corrupt file.

Downloads go to ``.s32s-tmp-<16 hex>`` in the target directory, are checked (size, and
MD5 when the listed ETag is one), then renamed into place: a reader sees the old file or
the new one.  A failed download leaves the old file and no temporary file; a run killed
mid-download leaves a temporary file that the next run removes.  Deletions run after the
transfers.  Faults come from the harness proxy (``s3.fail``) or from a TCP proxy of our
own (``safetykit.FaultyTCPProxy``) that cuts, stalls or corrupts an answer mid-body.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs import transfers as _transfers

from ansible_collections.s32s.sync.plugins.module_utils._engine.sides import s3store as _s3store
from s3servers import make_client
from safetykit import FaultyTCPProxy, files_of, no_retry_client, seed, snapshot, temp_files
from syncrun import sync, write

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIG_OLD = b'old content\n' * 10
BIG_NEW = bytes(range(256)) * 4096  # 1 MiB


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    """The executor's pause between download attempts (0.5 s, doubled) does not matter here."""
    monkeypatch.setattr(_transfers, 'BACKOFF_S', 0.01)


def pull_map(s3, slave):
    return [dict(name='site', s3='%s/site' % s3.bucket, slave=str(slave))]


def slave_with_old(tmp_path):
    slave = tmp_path / 'slave'
    write(slave, 'big.bin', BIG_OLD)
    write(slave, 'stale.txt', b'stale')
    return slave


def proxy_client(s3, proxy):
    return make_client(proxy.endpoint_url, s3.access_key, s3.secret_key, s3.region,
                       retries={'mode': 'standard', 'total_max_attempts': 1}, connect_timeout=2, read_timeout=10)


def assert_old_kept(slave):
    files = files_of(snapshot(slave))
    assert files['big.bin'] == BIG_OLD and files['stale.txt'] == b'stale'
    assert temp_files(slave) == []


def test_dropped_connection_keeps_old_file(s3, tmp_path):
    """Every GetObject of ``big.bin`` loses its connection: the old file stays as it was, no
    temporary file is left, the other file is pulled, the local deletion waits; the next
    run (server healthy) completes."""
    seed(s3, {'site/big.bin': BIG_NEW, 'site/ok.txt': b'ok'})
    slave = slave_with_old(tmp_path)
    s3.fail(op='GetObject', key='site/big.bin', times=100, status=None)
    with s3.requests() as log:
        result = sync('pull', s3, pull_map(s3, slave), client=no_retry_client(s3), max_delete='unlimited')
    m = result['maps'][0]
    assert m['status'] == 'failed' and m['created'] == 1 and m['deleted'] == 0
    assert [e['path'] for e in m['errors']] == ['big.bin']
    assert 'downloading s3://%s/site/big.bin failed' % s3.bucket in m['errors'][0]['error']
    assert log.count('GetObject', key='site/big.bin') == _transfers.DOWNLOAD_ATTEMPTS
    assert_old_kept(slave)
    s3.clear_faults()
    result = sync('pull', s3, pull_map(s3, slave), max_delete='unlimited')
    assert files_of(snapshot(slave)) == {'big.bin': BIG_NEW, 'ok.txt': b'ok'}
    assert temp_files(slave) == []


def test_body_cut_mid_transfer_keeps_old_file(s3, tmp_path):
    """The connection is cut after 64 KiB of the 1 MiB body, on every attempt: the partial
    bytes never reach ``big.bin`` and no temporary file remains."""
    seed(s3, {'site/big.bin': BIG_NEW})
    slave = slave_with_old(tmp_path)
    with FaultyTCPProxy(s3.server.port, mode='cut', key='%s/site/big.bin' % s3.bucket, after=65536) as proxy:
        result = sync('pull', s3, pull_map(s3, slave), client=proxy_client(s3, proxy), max_delete='unlimited')
    m = result['maps'][0]
    assert m['status'] == 'failed' and m['deleted'] == 0
    assert [e['path'] for e in m['errors']] == ['big.bin']
    assert_old_kept(slave)


def test_corrupted_body_fails_md5_check(s3, tmp_path):
    """Bytes changed in flight (same length): the MD5 of what arrived differs from the listed
    ETag, so the file is not put in place; the error says BadDigest-like 'MD5 ... differs'."""
    page = b'<p>GOOD</p>\n' * 1000
    seed(s3, {'site/big.bin': page})
    slave = slave_with_old(tmp_path)
    with FaultyTCPProxy(s3.server.port, mode='corrupt', needle=b'GOOD', replacement=b'EVIL') as proxy:
        result = sync('pull', s3, pull_map(s3, slave), client=proxy_client(s3, proxy), max_delete='unlimited')
    m = result['maps'][0]
    assert m['status'] == 'failed' and m['deleted'] == 0
    assert 'differs from ETag' in m['errors'][0]['error']
    assert_old_kept(slave)


def test_object_replaced_during_pull_fails_size_check(s3, tmp_path):
    """A writer replaces the object between the listing and the download (another size): the
    size check refuses what arrived; the old file stays; the next run pulls the new object."""
    seed(s3, {'site/big.bin': BIG_NEW})
    slave = slave_with_old(tmp_path)
    client = no_retry_client(s3)
    direct = s3.direct_client()

    def replace(**_kwargs):
        direct.put_object(Bucket=s3.bucket, Key='site/big.bin', Body=b'replaced meanwhile')
    client.meta.events.register('before-call.s3.GetObject', replace)
    result = sync('pull', s3, pull_map(s3, slave), client=client, max_delete='unlimited')
    m = result['maps'][0]
    assert m['status'] == 'failed' and m['deleted'] == 0
    assert 'got 18 bytes, listed %d' % len(BIG_NEW) in m['errors'][0]['error']
    assert_old_kept(slave)
    sync('pull', s3, pull_map(s3, slave), max_delete='unlimited')
    assert files_of(snapshot(slave)) == {'big.bin': b'replaced meanwhile'}


_PULL_SCRIPT = r'''
import sys
sys.path[:0] = [sys.argv[1] + '/tests', sys.argv[1] + '/.collections']
from s3servers import make_client
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import load_maps
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.push_pull import run_maps
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import S3Store
endpoint, key, secret, bucket, slave = sys.argv[2:7]
maps, _ = load_maps([dict(name='site', s3=bucket + '/site', slave=slave)], 'slave', 'test')
run_maps('pull', maps, S3Store(make_client(endpoint, key, secret)), SyncOptions(), check_mode=False)
'''


def test_killed_pull_leaves_old_file_and_next_run_cleans_up(s3, tmp_path):
    """A pull process is SIGKILLed while ``big.bin`` is half downloaded (the TCP proxy stalls
    the body): during the download and after the kill, ``big.bin`` holds the old bytes and
    the partial bytes are only in ``.s32s-tmp-*``; the next run puts the new file in place
    and removes the temporary file."""
    huge = os.urandom(3 * 1024 * 1024)
    chunk = _s3store.READ_CHUNK  # the executor writes what it reads, a chunk at a time
    seed(s3, {'site/big.bin': huge})
    slave = slave_with_old(tmp_path)
    with FaultyTCPProxy(s3.server.port, mode='stall', key='%s/site/big.bin' % s3.bucket,
                        after=chunk + chunk // 2) as proxy:
        proc = subprocess.Popen([sys.executable, '-c', _PULL_SCRIPT, REPO, proxy.endpoint_url, s3.access_key,
                                 s3.secret_key, s3.bucket, str(slave)], stderr=subprocess.PIPE)
        try:
            assert proxy.stalled.wait(30), proc.stderr.read() if proc.poll() is not None else 'no stall'
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not any(
                    os.path.getsize(slave / t) >= chunk for t in temp_files(slave)):
                time.sleep(0.02)
            temps = temp_files(slave)
            assert len(temps) == 1 and os.path.dirname(temps[0]) == ''
            assert (slave / 'big.bin').read_bytes() == BIG_OLD  # readers see the old file meanwhile
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            proc.stderr.close()
    partial = (slave / temps[0]).read_bytes()
    assert 0 < len(partial) < len(huge) and huge.startswith(partial)
    assert files_of(snapshot(slave))['big.bin'] == BIG_OLD
    result = sync('pull', s3, pull_map(s3, slave), max_delete='unlimited')
    assert result['maps'][0]['status'] == 'ok'
    assert files_of(snapshot(slave)) == {'big.bin': huge}
    assert temp_files(slave) == []


def test_stray_temporary_files_removed_only_by_a_real_run(s3, tmp_path):
    """Leftover ``.s32s-tmp-<16 hex>`` files (of a killed run) are removed by the next real
    pull, at any depth; check mode leaves them; a look-alike name that is not ours
    (``.s32s-tmp-notours``) is an ordinary file, pulled and kept like any other."""
    seed(s3, {'site/a.txt': b'a', 'site/d/b.txt': b'b', 'site/.s32s-tmp-notours': b'mine'})
    slave = tmp_path / 'slave'
    write(slave, '.s32s-tmp-0123456789abcdef', b'partial')
    write(slave, 'd/.s32s-tmp-fedcba9876543210', b'partial')
    sync('pull', s3, pull_map(s3, slave), check_mode=True)
    assert len(temp_files(slave)) == 2
    result = sync('pull', s3, pull_map(s3, slave))
    assert result['maps'][0]['status'] == 'ok'
    assert files_of(snapshot(slave)) == {'a.txt': b'a', 'd/b.txt': b'b', '.s32s-tmp-notours': b'mine'}


def test_deletions_run_after_transfers(s3, tmp_path):
    """Push: every upload is answered before the first DeleteObjects is sent."""
    master = tmp_path / 'master'
    for i in range(12):
        write(master, 'n%02d.txt' % i, b'new')
    seed(s3, {'site/old%02d.txt' % i: b'old' for i in range(6)})
    with s3.requests() as log:
        result = sync('push', s3, [dict(name='site', s3='%s/site' % s3.bucket, master=str(master))],
                      max_delete='unlimited')
    assert (result['totals']['created'], result['totals']['deleted']) == (12, 6)
    ops = [r.op for r in log.entries if r.op in ('PutObject', 'DeleteObjects')]
    assert ops == ['PutObject'] * 12 + ['DeleteObjects']
