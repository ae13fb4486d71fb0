# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prove the S3 server harness (tests/s3servers.py) works on moto and rclone."""

import json
import os
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError


def no_retry(s3):
    return s3.client(retries={'total_max_attempts': 1}, connect_timeout=2, read_timeout=10)


def keys(client, bucket):
    """Keys of one ListObjectsV2 page (rclone omits KeyCount/Contents when empty)."""
    return [o['Key'] for o in client.list_objects_v2(Bucket=bucket).get('Contents', [])]


def test_round_trip(s3):
    client = s3.client()
    for i in range(3):
        client.put_object(Bucket=s3.bucket, Key='dir/k%d' % i, Body=b'x' * i, Metadata={'mtime': '1600000000'})
    listed = client.list_objects_v2(Bucket=s3.bucket)['Contents']
    assert [o['Key'] for o in listed] == ['dir/k0', 'dir/k1', 'dir/k2']
    assert [o['Size'] for o in listed] == [0, 1, 2]
    assert client.get_object(Bucket=s3.bucket, Key='dir/k2')['Body'].read() == b'xx'
    head = client.head_object(Bucket=s3.bucket, Key='dir/k1')
    assert {k.lower(): v for k, v in head['Metadata'].items()} == {'mtime': '1600000000'}
    ranged = client.get_object(Bucket=s3.bucket, Key='dir/k2', Range='bytes=1-1')
    assert ranged['Body'].read() == b'x'
    assert s3.bucket in [b['Name'] for b in client.list_buckets()['Buckets']]


def test_fresh_bucket_per_test(s3):
    assert keys(s3.client(), s3.bucket) == []
    assert s3.region == 'us-east-1'


def test_request_counting_exact(s3):
    client = s3.client()
    with s3.requests() as log:
        for i in range(3):
            client.put_object(Bucket=s3.bucket, Key='k%d' % i, Body=b'data')
        assert log.count('PUT') == 3
    assert log.count('PUT') == 3
    assert log.count('PutObject') == 3
    assert len(log) == 3
    assert log.count(key='k1') == 1
    assert all(r.status == 200 and r.bucket == s3.bucket for r in log.entries)

    with s3.requests() as log2:
        client.list_objects_v2(Bucket=s3.bucket)
        client.get_object(Bucket=s3.bucket, Key='k0')['Body'].read()
        client.head_object(Bucket=s3.bucket, Key='k1')
        client.copy_object(Bucket=s3.bucket, Key='k3', CopySource={'Bucket': s3.bucket, 'Key': 'k0'})
        client.delete_objects(Bucket=s3.bucket, Delete={'Objects': [{'Key': 'k0'}, {'Key': 'k3'}]})
        client.delete_object(Bucket=s3.bucket, Key='k2')
        client.head_bucket(Bucket=s3.bucket)
    assert log2.ops() == {'ListObjectsV2': 1, 'GetObject': 1, 'HeadObject': 1, 'CopyObject': 1,
                          'DeleteObjects': 1, 'DeleteObject': 1, 'HeadBucket': 1}
    assert log2.methods() == {'GET': 2, 'HEAD': 2, 'PUT': 1, 'POST': 1, 'DELETE': 1}
    assert log2.count(method='GET', op='GetObject') == 1
    # earlier and later blocks are independent
    client.list_objects_v2(Bucket=s3.bucket)
    assert log.count() == 3 and log2.count() == 7


def test_request_counting_multipart_and_large_bodies(s3):
    client = s3.client()
    body = os.urandom(5 * 1024 * 1024 + 1234)
    with s3.requests() as log:
        mpu = client.create_multipart_upload(Bucket=s3.bucket, Key='big')
        parts = []
        for num, chunk in enumerate((body[:5 * 1024 * 1024], body[5 * 1024 * 1024:]), 1):
            etag = client.upload_part(Bucket=s3.bucket, Key='big', UploadId=mpu['UploadId'],
                                      PartNumber=num, Body=chunk)['ETag']
            parts.append({'ETag': etag, 'PartNumber': num})
        client.complete_multipart_upload(Bucket=s3.bucket, Key='big', UploadId=mpu['UploadId'],
                                         MultipartUpload={'Parts': parts})
        data = client.get_object(Bucket=s3.bucket, Key='big')['Body'].read()
    assert data == body
    assert log.ops() == {'CreateMultipartUpload': 1, 'UploadPart': 2, 'CompleteMultipartUpload': 1,
                         'GetObject': 1}


def test_many_keys_listing_and_keepalive(s3):
    client = s3.client()
    with s3.requests() as log:
        for i in range(25):
            client.put_object(Bucket=s3.bucket, Key='p/%03d' % i, Body=b'%d' % i)
        pages = list(client.get_paginator('list_objects_v2').paginate(
            Bucket=s3.bucket, PaginationConfig={'PageSize': 10}))
    assert sum(len(p.get('Contents', [])) for p in pages) == 25
    assert log.ops() == {'PutObject': 25, 'ListObjectsV2': 3}


def test_requests_from_subprocess_are_counted(s3):
    script = ('import boto3, json, sys; from botocore.config import Config; '
              'c = boto3.client("s3", config=Config(s3={"addressing_style": "path"})); '
              'c.put_object(Bucket=sys.argv[1], Key="sub", Body=b"1"); '
              'print(json.dumps(len(c.list_objects_v2(Bucket=sys.argv[1]).get("Contents", []))))')
    env = dict(os.environ)
    env.update(s3.env())
    with s3.requests() as log:
        out = subprocess.run([sys.executable, '-c', script, s3.bucket], env=env, check=True,
                             capture_output=True, text=True).stdout
    assert json.loads(out) == 1
    assert log.ops() == {'PutObject': 1, 'ListObjectsV2': 1}


def test_rclone_wrong_credentials_by_code(rclone_s3):
    s3 = rclone_s3
    with pytest.raises(ClientError) as err:
        s3.bad_client(wrong='secret').list_objects_v2(Bucket=s3.bucket)
    assert err.value.response['Error']['Code'] == 'SignatureDoesNotMatch'
    with pytest.raises(ClientError) as err:
        s3.bad_client(wrong='key').put_object(Bucket=s3.bucket, Key='x', Body=b'1')
    assert err.value.response['Error']['Code'] == 'InvalidAccessKeyId'
    assert keys(s3.client(), s3.bucket) == []


def test_moto_accepts_any_credentials(moto_s3):
    assert not moto_s3.enforces_auth
    moto_s3.bad_client(wrong='key').put_object(Bucket=moto_s3.bucket, Key='x', Body=b'1')
    assert keys(moto_s3.client(), moto_s3.bucket) == ['x']


def test_rclone_rejects_wrong_credentials(rclone_s3):
    with rclone_s3.requests() as log:
        with pytest.raises(ClientError) as err:
            rclone_s3.bad_client().list_buckets()
    assert err.value.response['ResponseMetadata']['HTTPStatusCode'] == 403
    assert [r.status for r in log.entries] == [403]
    assert rclone_s3.secret_key not in open(rclone_s3.log_path, encoding='utf-8', errors='replace').read()


def test_kill_and_restart(s3):
    client = no_retry(s3)
    client.put_object(Bucket=s3.bucket, Key='survivor', Body=b'still here')
    port, proxy_port = s3.server.port, s3.server.proxy.port
    s3.kill()
    assert not s3.is_running()
    with pytest.raises(EndpointConnectionError):
        client.list_objects_v2(Bucket=s3.bucket)
    s3.restart()
    assert s3.is_running()
    assert (s3.server.port, s3.server.proxy.port) == (port, proxy_port)
    client = no_retry(s3)
    if s3.name == 'rclone':
        assert client.get_object(Bucket=s3.bucket, Key='survivor')['Body'].read() == b'still here'
        assert os.path.isfile(os.path.join(s3.data_dir, s3.bucket, 'survivor'))
    else:
        with pytest.raises(ClientError):  # moto: state lost
            client.head_bucket(Bucket=s3.bucket)
        s3.create_bucket()
    with s3.requests() as log:
        client.put_object(Bucket=s3.bucket, Key='after', Body=b'1')
    assert log.count('PutObject') == 1


def test_graceful_stop_then_start(s3):
    s3.stop()
    assert not s3.is_running()
    s3.start()
    if s3.name == 'moto':
        s3.create_bucket()  # moto forgets everything
    assert keys(no_retry(s3), s3.bucket) == []


def test_server_is_back_for_the_next_test(s3):
    """Runs after the kill/stop tests: the fixture always hands out a live server."""
    assert s3.is_running()
    s3.client().put_object(Bucket=s3.bucket, Key='k', Body=b'1')


def test_fault_injection(s3):
    client = no_retry(s3)
    s3.fail(op='PutObject', status=503)
    with s3.requests() as log:
        with pytest.raises(ClientError) as err:
            client.put_object(Bucket=s3.bucket, Key='k', Body=b'1')
        client.put_object(Bucket=s3.bucket, Key='k', Body=b'1')
    assert err.value.response['ResponseMetadata']['HTTPStatusCode'] == 503
    assert [r.status for r in log.entries] == [503, 200]

    s3.fail(method='GET', status=None)
    with pytest.raises(ConnectionClosedError):
        client.get_object(Bucket=s3.bucket, Key='k')
    assert client.get_object(Bucket=s3.bucket, Key='k')['Body'].read() == b'1'

    s3.fail(op='GetObject', times=2)
    with s3.requests() as log:
        assert s3.client().get_object(Bucket=s3.bucket, Key='k')['Body'].read() == b'1'  # retried
    assert [r.status for r in log.entries] == [503, 503, 200]


def test_fault_injection_after_some_requests(s3):
    """``after=N`` lets the first N matching requests through, then fails the next ones."""
    client = no_retry(s3)
    s3.fail(op='PutObject', status=403, after=2)
    with s3.requests() as log:
        for i in range(2):
            client.put_object(Bucket=s3.bucket, Key='k%d' % i, Body=b'1')
        with pytest.raises(ClientError) as err:
            client.put_object(Bucket=s3.bucket, Key='k2', Body=b'1')
        client.put_object(Bucket=s3.bucket, Key='k3', Body=b'1')
    assert err.value.response['Error']['Code'] == 'AccessDenied'
    assert [r.status for r in log.entries] == [200, 200, 403, 200]
