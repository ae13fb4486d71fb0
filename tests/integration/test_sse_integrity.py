# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Encrypted objects' ETags (issue 15 point 7) and upload integrity (point 8), on both servers.

Neither server encrypts: the proxy rewrites answers (tests/ssekit.py). The decision under test: a
download is checked against the ETag only where the GET's answer says the ETag is an MD5 of the
content (no SSE-KMS / DSSE-KMS / SSE-C header); the size is always checked. The listing cannot
tell, so what a push may skip is what the manifest recorded after a transfer, or a content check
whose MD5 equals the ETag (an SSE-KMS ETag never equals it: that costs a transfer, never a skip).

Every PutObject and UploadPart carries Content-MD5 (classic path: botocore handlers; awscrt path:
its own header), and an MD5-form ETag in the answer must be the MD5 of the bytes sent. ``make
integration`` runs this file a second time with S32S_TEST_TRANSFER_CLIENT=classic.
"""

import base64
import hashlib
import os

from ssekit import kms_like, sse_c_like
from syncrun import bucket_objects, local_files, put, sync, write

FILES = {'index.html': b'<html>v1</html>', 'css/site.css': b'body{}', 'img/logo.svg': b'<svg/>' * 50}


def site_map(s3, root):
    return [{'name': 'site', 's3': '%s/site' % s3.bucket, 'slave': str(root), 'master': str(root)}]


def seed(s3):
    for relpath, data in FILES.items():
        put(s3, 'site/' + relpath, data)


def test_pull_from_kms_bucket_is_verified_by_size_and_push_after_it_uploads_nothing(s3, tmp_path):
    seed(s3)
    kms_like(s3)
    head = s3.client().head_object(Bucket=s3.bucket, Key='site/index.html')
    assert head['ServerSideEncryption'] == 'aws:kms'
    assert head['ETag'].strip('"') != hashlib.md5(FILES['index.html']).hexdigest()
    slave, state = tmp_path / 'slave', str(tmp_path / 'state')
    with s3.requests() as log:
        result = sync('pull', s3, site_map(s3, slave), state_dir=state)
    assert result['maps'][0]['status'] == 'ok', result['maps'][0]
    assert local_files(slave) == FILES
    assert log.count('GetObject') == len(FILES)  # one attempt each: nothing was refused and retried

    with s3.requests() as log:
        again = sync('pull', s3, site_map(s3, slave), state_dir=state)
    assert not again['changed'] and log.count('GetObject') == 0

    # the same directory pushed back: the manifest the pull wrote proves every file equal (no upload); the
    # seeded objects carry no mode, which push records (preserve_mode): one CopyObject each, then nothing
    with s3.requests() as log:
        pushed = sync('push', s3, site_map(s3, slave), state_dir=state)
    assert log.count('PutObject') == 0 and pushed['totals']['updated'] == 0, log.ops()
    assert pushed['totals']['attributes_set'] == log.count('CopyObject') == len(FILES), log.ops()
    with s3.requests() as log:
        pushed = sync('push', s3, site_map(s3, slave), state_dir=state)
    assert not pushed['changed'] and log.count('PutObject') == log.count('CopyObject') == 0, log.ops()

    # a same-size edit is not proven equal by anything: uploaded, nothing else
    write(slave, 'index.html', b'<html>v2</html>')
    os.utime(slave / 'index.html', ns=(1, 1))
    with s3.requests() as log:
        pushed = sync('push', s3, site_map(s3, slave), state_dir=state)
    assert pushed['changed'] and log.count('PutObject') == 1 and log.count('PutObject', key='site/index.html') == 1
    assert bucket_objects(s3, 'site/')['site/index.html'] == b'<html>v2</html>'


def test_push_without_manifest_to_kms_bucket_uploads_rather_than_trusting_the_etag(s3, tmp_path):
    """No record: the content check compares the MD5 with a KMS ETag, which never matches, so
    the files are uploaded (a cost); afterwards the record of that upload vouches for them."""
    seed(s3)
    kms_like(s3)
    master, state = tmp_path / 'master', str(tmp_path / 'state')
    for relpath, data in FILES.items():
        write(master, relpath, data)
    with s3.requests() as log:
        result = sync('push', s3, site_map(s3, master), state_dir=state)
    assert result['maps'][0]['status'] == 'ok' and log.count('PutObject') == len(FILES)
    with s3.requests() as log:
        again = sync('push', s3, site_map(s3, master), state_dir=state)
    assert not again['changed'] and log.count('PutObject') == 0


def test_wrong_etag_without_encryption_header_is_still_refused(s3, tmp_path):
    """The same rewritten ETags with no SSE header: the ETag claims to be the MD5, and is not."""
    seed(s3)
    kms_like(s3, header=False)
    slave = tmp_path / 'slave'
    result = sync('pull', s3, site_map(s3, slave), state_dir=str(tmp_path / 'state'))
    assert result['maps'][0]['status'] == 'failed'
    assert 'differs from ETag' in str(result['maps'][0]['errors'])
    assert local_files(slave) == {}


def test_sse_c_object_is_refused_clearly_without_retries(s3, tmp_path):
    seed(s3)
    sse_c_like(s3)
    slave = tmp_path / 'slave'
    with s3.requests() as log:
        result = sync('pull', s3, site_map(s3, slave), state_dir=str(tmp_path / 'state'))
    assert result['maps'][0]['status'] == 'failed'
    errors = str(result['maps'][0]['errors'])
    assert 'SSE-C' in errors and 'customer-provided key' in errors, errors
    assert log.count('GetObject') == len(FILES)  # not retried
    assert local_files(slave) == {}


def _md5_header(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_every_put_and_part_carries_content_md5(s3, tmp_path):
    master = tmp_path / 'master'
    for relpath, data in FILES.items():
        write(master, relpath, data)
    big = os.urandom(8 * 1024 * 1024 + 1000)  # two parts
    write(master, 'big.bin', big)
    with s3.requests() as log:
        result = sync('push', s3, site_map(s3, master), state_dir=str(tmp_path / 'state'))
    assert result['maps'][0]['status'] == 'ok'
    puts = [r for r in log.entries if r.op in ('PutObject', 'UploadPart')]
    assert len(puts) == len(FILES) + 2, log.ops()
    for r in puts:
        assert r.headers.get('content-md5'), r
    for relpath, data in FILES.items():
        sent = [r for r in puts if r.key == 'site/' + relpath]
        assert [r.headers['content-md5'] for r in sent] == [_md5_header(data)]
    parts = sorted((r for r in puts if r.op == 'UploadPart'), key=lambda r: int(r.query['partNumber'][0]))
    part = 8 * 1024 * 1024
    assert [r.headers['content-md5'] for r in parts] == [_md5_header(big[:part]), _md5_header(big[part:])]
    assert bucket_objects(s3, 'site/')['site/big.bin'] == big


def test_body_corrupted_in_flight_is_caught(s3, tmp_path):
    """The proxy flips a byte of one PUT's body. rclone checks Content-MD5 and refuses it
    (BadDigest); moto ignores Content-MD5 (as some stores do), stores the bytes and answers with
    their MD5 as ETag, which differs from the MD5 sent: this product's own check catches it. (A
    proxy cannot drop the header instead: the classic path signs it.) The file is failed, never
    recorded; the next run uploads it."""
    master, state = tmp_path / 'master', str(tmp_path / 'state')
    for relpath, data in FILES.items():
        write(master, relpath, data)

    def corrupt(req):
        req.body = bytes([req.body[0] ^ 1]) + req.body[1:]
    s3.on_request(corrupt, op='PutObject', key='site/index.html')
    result = sync('push', s3, site_map(s3, master), state_dir=state)
    run = result['maps'][0]
    assert run['status'] == 'failed', run
    errors = str(run['errors'])
    assert 'index.html' in errors
    if s3.name == 'rclone':
        assert 'BadDigest' in errors or 'InvalidDigest' in errors, errors
    else:
        assert 'other bytes than were sent' in errors, errors
    stored = bucket_objects(s3, 'site/')
    assert stored['site/css/site.css'] == FILES['css/site.css']
    assert stored.get('site/index.html') != FILES['index.html']
    with s3.requests() as log:
        again = sync('push', s3, site_map(s3, master), state_dir=state)
    assert again['maps'][0]['status'] == 'ok' and log.count('PutObject', key='site/index.html') == 1
    assert bucket_objects(s3, 'site/')['site/index.html'] == FILES['index.html']
