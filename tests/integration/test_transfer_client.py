# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small objects through awscrt (``preferred_transfer_client``, plugins/module_utils/_crt.py, issue 7).

Objects below the multipart threshold go out as presigned requests on awscrt's client, larger
ones through botocore/s3transfer; the results, checks and failures are the same as botocore's:
the same bytes on both sides, Content-MD5 on every PUT, size and MD5 checks on every GET,
S3 error codes in one-line messages that never hold the presigned URL, retries of 5xx, a
stalled body cancelled after the read timeout, a cut or corrupted body never put in place.
Every test runs on moto and on rclone serve s3.
"""

import base64
import hashlib
import io

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.sides import crt as _crt

from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs import transfers as _transfers
from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import StoreError
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.etag import MULTIPART_THRESHOLD
from s3servers import make_client
from safetykit import FaultyTCPProxy, files_of, seed, snapshot, temp_files
from syncrun import bucket_objects, make_store, sync, write

pytestmark = pytest.mark.skipif(not _crt.HAS_AWSCRT, reason='awscrt is in requirements-dev.txt; '
                                'without it this file has nothing to test')

SMALL = {'index.html': b'<h1>hi</h1>', 'a/b/c.txt': b'c' * 5000, 'empty.txt': b'',
         'a b+c%d.txt': b'url special', 'caf\u00e9.txt': b'unicode'}
BIG = bytes(range(256)) * (MULTIPART_THRESHOLD // 256 + 4096)  # just above the threshold: multipart


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    monkeypatch.setattr(_transfers, 'BACKOFF_S', 0.01)


@pytest.fixture
def counted(monkeypatch):
    """Counts of CrtTransfers.put/get calls."""
    calls = {'put': 0, 'get': 0}
    for name in ('put', 'get'):
        original = getattr(_crt.CrtTransfers, name)

        def wrapper(self, *args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(_crt.CrtTransfers, name, wrapper)
    return calls


def test_small_through_crt_large_through_s3transfer(s3, tmp_path, counted):
    master, slave = tmp_path / 'master', tmp_path / 'slave'
    for rel, data in SMALL.items():
        write(master, rel, data)
    write(master, 'big.bin', BIG)
    maps = [dict(name='m', s3='%s/site' % s3.bucket, master=str(master), slave=str(slave))]
    with s3.requests() as log:
        pushed = sync('push', s3, maps, transfer_client='crt')
    assert pushed['totals']['created'] == len(SMALL) + 1
    assert counted['put'] == len(SMALL)
    # rclone serve s3 sometimes fails a PUT into a directory a concurrent PUT is creating: retried
    assert log.ops()['CreateMultipartUpload'] == 1 and log.ops()['PutObject'] >= len(SMALL)
    objects = bucket_objects(s3, 'site/')
    assert objects == {'site/' + k: v for k, v in dict(SMALL, **{'big.bin': BIG}).items()}
    pulled = sync('pull', s3, maps, transfer_client='crt')
    assert pulled['totals']['created'] == len(SMALL) + 1
    assert counted['get'] == len(SMALL)
    assert files_of(snapshot(slave)) == dict(SMALL, **{'big.bin': BIG})
    assert temp_files(slave) == []
    # the records of the crt path make the next runs no-ops: one listing each, nothing else
    with s3.requests() as log:
        assert sync('push', s3, maps, transfer_client='crt')['changed'] is False
        assert sync('pull', s3, maps, transfer_client='crt')['changed'] is False
    assert dict(log.ops()) == {'ListObjectsV2': 2}


def _store(s3, **config):
    client = make_client(s3.endpoint_url, s3.access_key, s3.secret_key, s3.region, **config)
    return make_store(client, transfer_client='crt')


def test_put_carries_content_md5_that_the_server_checks(rclone_s3):
    """The server refuses a body whose Content-MD5 does not match (so every crt PUT is checked).
    rclone only: moto's server mode stores the body whatever its Content-MD5 says."""
    s3 = rclone_s3
    store = _store(s3)
    crt = store.crt
    wrong = base64.b64encode(hashlib.md5(b'other bytes').digest()).decode()
    with pytest.raises(_crt.CrtRequestError) as e:
        crt._send('put_object', 'PutObject', s3.bucket, 'bad.txt', 'PUT',  # pylint: disable=protected-access
                  [('Content-Length', '5'), ('Content-MD5', wrong)], io.BytesIO(b'hello'), {}, 5)
    assert e.value.status == 400 and e.value.code in ('BadDigest', 'InvalidDigest')
    assert 'bad.txt' not in bucket_objects(s3, '')
    etag = crt.put(s3.bucket, 'good.txt', b'hello', {'ContentType': 'text/plain'}, [('Content-Type', 'text/plain')])
    assert etag.strip('"') == hashlib.md5(b'hello').hexdigest()


def test_errors_are_one_line_s3_codes_without_the_url(s3, tmp_path):
    store = _store(s3)
    with pytest.raises(StoreError) as e:
        store.upload('no-such-bucket-here', 'k.txt', str(write(tmp_path, 'k.txt', b'x')), 1)
    assert 'NoSuchBucket' in e.value.msg and 'the bucket does not exist' in e.value.msg
    with pytest.raises(StoreError) as e:
        store.download(s3.bucket, 'missing.txt', open(tmp_path / 'out', 'wb'), 10)
    assert e.value.code in ('NoSuchKey', '404')
    for msg in (e.value.msg,):
        assert 'X-Amz-Signature' not in msg and 'Signature=' not in msg and '?' not in msg


def test_wrong_secret_is_refused(rclone_s3, tmp_path):
    """rclone enforces credentials: the presigned request signed with a wrong secret is refused."""
    client = make_client(rclone_s3.endpoint_url, rclone_s3.access_key, 'wrong-secret', rclone_s3.region)
    store = make_store(client, transfer_client='crt')
    with pytest.raises(StoreError) as e:
        store.upload(rclone_s3.bucket, 'k.txt', str(write(tmp_path, 'k.txt', b'x')), 1)
    assert e.value.code in ('SignatureDoesNotMatch', 'AccessDenied', '403')
    assert 'wrong-secret' not in e.value.msg


def test_unreachable_endpoint_is_a_clear_error(tmp_path):
    client = make_client('http://127.0.0.1:9', 'AK', 'SK', 'us-east-1', connect_timeout=2)
    store = make_store(client, transfer_client='crt')
    store.crt.max_attempts = 2
    with pytest.raises(StoreError) as e:
        store.upload('b', 'k.txt', str(write(tmp_path, 'k.txt', b'x')), 1)
    assert 'uploading to s3://b/k.txt failed' in e.value.msg
    assert 'CONNECTION_REFUSED' in e.value.code or 'SOCKET' in e.value.code, e.value.msg


def test_503_is_retried(s3, tmp_path):
    master = tmp_path / 'master'
    write(master, 'a.txt', b'aaa')
    s3.fail(op='PutObject', times=2, status=503)
    result = sync('push', s3, [dict(name='m', s3='%s/site' % s3.bucket, master=str(master))],
                  transfer_client='crt')
    assert result['totals']['created'] == 1 and result['maps'][0]['status'] == 'ok'
    assert bucket_objects(s3, 'site/') == {'site/a.txt': b'aaa'}


def _proxy_pull(s3, tmp_path, mode, **proxy_args):
    data = bytes(range(256)) * 2048  # 512 KiB, below the threshold: the crt path
    seed(s3, {'site/f.bin': data})
    slave = tmp_path / 'slave'
    write(slave, 'f.bin', b'old')
    with FaultyTCPProxy(s3.server.port, mode=mode, key='%s/site/f.bin' % s3.bucket, **proxy_args) as proxy:
        client = make_client(proxy.endpoint_url, s3.access_key, s3.secret_key, s3.region,
                             connect_timeout=2, read_timeout=2, retries={'mode': 'standard', 'max_attempts': 2})
        result = sync('pull', s3, [dict(name='m', s3='%s/site' % s3.bucket, slave=str(slave))], client=client,
                      transfer_client='crt')
        proxy.release()
    return data, slave, result


@pytest.mark.parametrize('mode,args', [('cut', {'after': 100_000}),
                                       ('corrupt', {'needle': bytes(range(16)), 'replacement': b'X' * 16})])
def test_cut_or_corrupted_body_never_replaces_the_file(s3, tmp_path, mode, args):
    _data, slave, result = _proxy_pull(s3, tmp_path, mode, **args)
    m = result['maps'][0]
    assert m['status'] == 'failed' and m['created'] + m['updated'] == 0, m
    assert files_of(snapshot(slave)) == {'f.bin': b'old'}
    assert temp_files(slave) == []


def test_stalled_body_is_cancelled_after_the_read_timeout(s3, tmp_path, monkeypatch):
    monkeypatch.setattr(_crt, 'POLL_S', 0.2)
    monkeypatch.setattr(_crt, 'CANCEL_WAIT_S', 0.2)
    monkeypatch.setattr(_crt, 'MIN_RATE_BPS', 1 << 30)  # allowed: connect + read timeout (2 + 2 s)
    _data, slave, result = _proxy_pull(s3, tmp_path, 'stall', after=100_000)
    m = result['maps'][0]
    assert m['status'] == 'failed' and 'ReadTimeout' in m['errors'][0]['error'], m
    assert files_of(snapshot(slave)) == {'f.bin': b'old'}
    assert temp_files(slave) == []
