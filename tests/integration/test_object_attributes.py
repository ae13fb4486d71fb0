# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Upload attributes of s32s_push (issue 14 point 5): the Content-Type table, ``object_attributes``,
``sse``; read back with HeadObject and GetObjectTagging on both servers.

What each server keeps (found by these tests): moto keeps every attribute, tags and SSE included.
rclone serve s3 keeps Content-Type, Content-Encoding, Cache-Control, Content-Disposition and user
metadata (it capitalises metadata keys: ``Owner`` for ``owner``), and echoes ``x-amz-storage-class``
and the SSE headers in HeadObject (stored with the object's headers; its listing says STANDARD);
it accepts ``x-amz-tagging`` and drops it (GetObjectTagging answers 500): tags are asserted on
moto only. Neither evaluates bucket policies the way AWS does, so "a policy that requires SSE" is a
proxy fault that refuses a PUT without ``x-amz-server-side-encryption`` (as AWS answers: 403).
"""

import hashlib
import mimetypes

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.attributes import ObjectAttributes
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.etag import MULTIPART_THRESHOLD
from syncrun import sync, write

BIG = b'\x5a' * (MULTIPART_THRESHOLD + 1024)  # multipart: CreateMultipartUpload carries the attributes


def maps(s3, root):
    return [{'name': 'site', 's3': s3.bucket + '/site', 'master': str(root)}]


def head(s3, relpath):
    return s3.direct_client().head_object(Bucket=s3.bucket, Key='site/' + relpath)


def tags(s3, relpath):
    resp = s3.direct_client().get_object_tagging(Bucket=s3.bucket, Key='site/' + relpath)
    return {t['Key']: t['Value'] for t in resp['TagSet']}


def metadata(resp):
    return {k.lower(): v for k, v in resp['Metadata'].items()}  # rclone capitalises the keys


def push(s3, root, tmp_path, rules=None, sse=None, key_id=None, **kw):
    return sync('push', s3, maps(s3, root), state_dir=str(tmp_path / 'state'),
                attributes=ObjectAttributes(rules, sse, key_id), **kw)


# one case per attribute: (relpath, rules, sse, check(s3, head response))
CASES = {
    'content_type_table': ('fonts/a.woff2', None, None,
                           lambda s3, h: h['ContentType'] == 'font/woff2'),
    'content_type_rule': ('data/x.bin', [{'pattern': 'data/', 'content_type': 'application/x-custom'}], None,
                          lambda s3, h: h['ContentType'] == 'application/x-custom'),
    'content_encoding_precompressed': ('app.js.gz', None, None,
                                       lambda s3, h: (h['ContentType'], h.get('ContentEncoding'))
                                       == ('text/javascript', 'gzip')),
    'content_encoding_rule': ('raw.dat', [{'pattern': '*.dat', 'content_encoding': 'br'}], None,
                              lambda s3, h: h.get('ContentEncoding') == 'br'),
    'cache_control': ('index.html', [{'pattern': '*.html', 'cache_control': 'max-age=60'}], None,
                      lambda s3, h: h.get('CacheControl') == 'max-age=60'),
    'content_disposition': ('r.pdf', [{'pattern': '*.pdf', 'content_disposition': 'attachment'}], None,
                            lambda s3, h: h.get('ContentDisposition') == 'attachment'),
    'metadata': ('m.txt', [{'pattern': 'm.txt', 'metadata': {'Owner': 'web', 'x-rev': '7'}}], None,
                 lambda s3, h: metadata(h) == {'owner': 'web', 'x-rev': '7'}),
    'storage_class': ('cold/a.txt', [{'pattern': 'cold/', 'storage_class': 'STANDARD_IA'}], None,
                      lambda s3, h: h.get('StorageClass') == 'STANDARD_IA'),
    'tags': ('t.txt', [{'pattern': '*', 'tags': {'team': 'web site', 'env': 'prod'}}], None,
             lambda s3, h: s3.name == 'rclone' or tags(s3, 't.txt') == {'team': 'web site', 'env': 'prod'}),
    'sse_aes256': ('e.txt', None, 'AES256', lambda s3, h: h.get('ServerSideEncryption') == 'AES256'),
    'sse_kms': ('k.txt', None, 'aws:kms',
                lambda s3, h: (h.get('ServerSideEncryption'), h.get('SSEKMSKeyId')) == ('aws:kms', 'alias/site')),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_each_attribute_is_set_on_upload(s3, tmp_path, case):
    relpath, rules, sse, check = CASES[case]
    write(tmp_path / 'src', relpath, b'content of ' + relpath.encode())
    result = push(s3, tmp_path / 'src', tmp_path, rules, sse, 'alias/site' if sse == 'aws:kms' else None)
    assert result['totals']['created'] == 1 and result['totals']['failed'] == 0
    assert check(s3, head(s3, relpath)), head(s3, relpath)


RULES = [{'pattern': '*', 'content_type': 'text/x-all', 'cache_control': 'no-store', 'metadata': {'k': 'v'},
          'content_disposition': 'inline', 'storage_class': 'STANDARD_IA', 'tags': {'a': 'b'}}]


@pytest.mark.parametrize('path', ['crt', 'classic', 'multipart'])
def test_every_upload_path_carries_every_attribute(s3, tmp_path, path):
    """awscrt (signed headers on the presigned URL), botocore PutObject, and multipart."""
    write(tmp_path / 'src', 'f.txt', BIG if path == 'multipart' else b'small')
    push(s3, tmp_path / 'src', tmp_path, RULES, 'AES256',
         transfer_client='classic' if path == 'classic' else None)
    h = head(s3, 'f.txt')
    assert (h['ContentType'], h.get('CacheControl'), h.get('ContentDisposition'), metadata(h),
            h.get('StorageClass'), h.get('ServerSideEncryption')) == \
        ('text/x-all', 'no-store', 'inline', {'k': 'v'}, 'STANDARD_IA', 'AES256')
    if s3.name == 'moto':
        assert tags(s3, 'f.txt') == {'a': 'b'}


def test_table_not_the_hosts_mimetypes(s3, tmp_path, monkeypatch):
    """The host's mimetypes database is made to answer nonsense: uploads are typed by the table."""
    monkeypatch.setattr(mimetypes, 'guess_type', lambda *a, **k: ('application/x-host-guess', None))
    for name in ('a.woff2', 'b.webp', 'c.avif', 'd.mjs', 'e.html.gz', 'f.tar.gz', 'g.unknownext'):
        write(tmp_path / 'src', name, name)
    push(s3, tmp_path / 'src', tmp_path)
    got = {n: (head(s3, n)['ContentType'], head(s3, n).get('ContentEncoding'))
           for n in ('a.woff2', 'b.webp', 'c.avif', 'd.mjs', 'e.html.gz', 'f.tar.gz', 'g.unknownext')}
    assert got == {'a.woff2': ('font/woff2', None), 'b.webp': ('image/webp', None), 'c.avif': ('image/avif', None),
                   'd.mjs': ('text/javascript', None), 'e.html.gz': ('text/html', 'gzip'),
                   'f.tar.gz': ('application/gzip', None), 'g.unknownext': ('application/octet-stream', None)}


def test_changed_rules_cost_one_copy_per_object_then_nothing(s3, tmp_path):
    src = tmp_path / 'src'
    for name in ('a.html', 'b/c.html', 'd.css', 'big.html'):
        write(src, name, BIG if name == 'big.html' else name)
    push(s3, src, tmp_path)
    rules = [{'pattern': '*.html', 'cache_control': 'max-age=300', 'metadata': {'rev': '2'}}]
    with s3.requests() as log:
        result = push(s3, src, tmp_path, rules)
    assert log.count('CopyObject') == 3 and log.count('PutObject') == 0 and log.count('UploadPart') == 0
    assert log.count('CreateMultipartUpload') == 0 and log.count('GetObject') == 0
    assert result['changed'] and result['totals']['attributes_set'] == 3 and result['totals']['updated'] == 0
    assert 'set attributes of s3://%s/site/a.html' % s3.bucket in result['diff']['prepared']
    assert 'cache-control max-age=300' in result['diff']['prepared']
    for name in ('a.html', 'b/c.html', 'big.html'):
        h = head(s3, name)
        assert (h.get('CacheControl'), metadata(h), h['ContentType']) == ('max-age=300', {'rev': '2'}, 'text/html')
    assert head(s3, 'd.css').get('CacheControl') is None
    with s3.requests() as log:
        again = push(s3, src, tmp_path, rules)
    assert set(log.ops()) == {'ListObjectsV2'} and not again['changed']
    # dropping the rules puts the table's attributes back, again without an upload
    with s3.requests() as log:
        back = push(s3, src, tmp_path)
    assert log.count('CopyObject') == 3 and log.count('PutObject') == 0 and back['totals']['attributes_set'] == 3
    assert head(s3, 'a.html').get('CacheControl') is None and metadata(head(s3, 'a.html')) == {}


def test_check_mode_shows_attribute_changes_and_copies_nothing(s3, tmp_path):
    write(tmp_path / 'src', 'a.html', 'a')
    push(s3, tmp_path / 'src', tmp_path)
    with s3.requests() as log:
        result = push(s3, tmp_path / 'src', tmp_path, [{'pattern': '*', 'storage_class': 'STANDARD_IA'}],
                      check_mode=True)
    assert log.count('CopyObject') == 0 and result['totals']['attributes_set'] == 1
    assert 'storage class STANDARD_IA' in result['diff']['prepared']


def test_a_policy_requiring_sse_refuses_plain_puts_and_accepts_push_sse(s3, tmp_path):
    s3.fail(method='PUT', op='PutObject', times=1000, status=403,
            where=lambda req: 'x-amz-server-side-encryption' not in req.headers)
    write(tmp_path / 'src', 'a.txt', 'a')
    refused = push(s3, tmp_path / 'src', tmp_path)
    assert refused['totals']['failed'] == 1 and 'AccessDenied' in refused['maps'][0]['errors'][0]['error']
    ok = push(s3, tmp_path / 'src', tmp_path, sse='AES256')
    assert ok['totals']['created'] == 1 and ok['totals']['failed'] == 0
    assert head(s3, 'a.txt').get('ServerSideEncryption') == 'AES256'


def _kms_etags(client):
    """Make the client see KMS-style ETags (not the MD5 of the content) in every answer, as AWS gives them."""
    def scramble(etag):
        return '"%s"' % hashlib.sha256(etag.strip('"').encode()).hexdigest()[:32]

    def on_put(parsed, **_kw):
        if parsed.get('ETag'):
            parsed['ETag'] = scramble(parsed['ETag'])

    def on_list(parsed, **_kw):
        for obj in parsed.get('Contents', ()):
            obj['ETag'] = scramble(obj['ETag'])

    client.meta.events.register('after-call.s3.PutObject', on_put)
    client.meta.events.register('after-call.s3.ListObjectsV2', on_list)
    return client


def test_kms_upload_is_recorded_and_not_uploaded_again(s3, tmp_path):
    """An object this push wrote with sse aws:kms is recorded with the ETag the server gave (never
    compared with the MD5): the next run sends only the listing, no GET, no PUT, no hashing."""
    write(tmp_path / 'src', 'small.txt', 'small')
    write(tmp_path / 'src', 'big.bin', BIG)
    first = push(s3, tmp_path / 'src', tmp_path, sse='aws:kms', client=_kms_etags(s3.client()))
    assert first['totals']['created'] == 2 and first['totals']['failed'] == 0
    with s3.requests() as log:
        again = push(s3, tmp_path / 'src', tmp_path, sse='aws:kms', client=_kms_etags(s3.client()))
    assert set(log.ops()) == {'ListObjectsV2'} and not again['changed']
