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
import os

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.attributes import ObjectAttributes
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import parse_s3_location
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import FOLLOW_NEVER, SyncOptions
from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import StoreError
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.replicate import Destination, replicate
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.two_way import SyncJob, run_sync
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.etag import MULTIPART_THRESHOLD
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.local import LocalSide
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3 import S3Side
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3copy import server_side_copy
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import S3Store
from syncrun import make_store, sync, write

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


def mode_of(path):
    """The ``mode`` user metadata push adds to a rule's (``preserve_mode``): s3fs's decimal ``st_mode``."""
    return str(os.stat(str(path)).st_mode)


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
                 lambda s3, h: dict(metadata(h), mode=None) == {'owner': 'web', 'x-rev': '7', 'mode': None}),
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
    assert metadata(head(s3, relpath))['mode'] == mode_of(tmp_path / 'src' / relpath)  # with every attribute


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
        ('text/x-all', 'no-store', 'inline', {'k': 'v', 'mode': mode_of(tmp_path / 'src' / 'f.txt')}, 'STANDARD_IA',
         'AES256')
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
        assert (h.get('CacheControl'), metadata(h), h['ContentType']) == \
            ('max-age=300', {'rev': '2', 'mode': mode_of(src / name)}, 'text/html')
    assert head(s3, 'd.css').get('CacheControl') is None
    with s3.requests() as log:
        again = push(s3, src, tmp_path, rules)
    assert set(log.ops()) == {'ListObjectsV2'} and not again['changed']
    # dropping the rules puts the table's attributes back, again without an upload
    with s3.requests() as log:
        back = push(s3, src, tmp_path)
    assert log.count('CopyObject') == 3 and log.count('PutObject') == 0 and back['totals']['attributes_set'] == 3
    assert head(s3, 'a.html').get('CacheControl') is None
    assert metadata(head(s3, 'a.html')) == {'mode': mode_of(src / 'a.html')}  # the mode stays


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
            parsed['ServerSideEncryption'] = 'aws:kms'  # as AWS answers (rclone serve s3 does not say it)

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


def test_module_and_role_pass_the_attributes_and_refuse_a_bad_rule(moto_s3, ansible_env, tmp_path):
    """Through ansible-playbook: s32s_push's options and the push role's variables; a bad rule fails the task
    with a message naming the rule and the key, before any request. On moto only: this is about passing
    options (40 s a run); what each server keeps is tested above on both."""
    s3 = moto_s3
    from ansiblerun import run_playbook, task_result  # pylint: disable=import-outside-toplevel
    write(tmp_path / 'src', 'a.html', 'a')
    write(tmp_path / 'src2', 'b.css', 'b')
    conn = {'endpoint_url': s3.endpoint_url, 'access_key': s3.access_key, 'secret_key': s3.secret_key,
            'region': s3.region, 'addressing_style': 'path'}
    state = str(tmp_path / 'state')
    plays = [{'name': 'test', 'hosts': 'localhost', 'gather_facts': False,
              'module_defaults': {'group/s32s.sync.s32s': conn}, 'tasks': [
                  {'name': 'bad', 'ignore_errors': True, 's32s.sync.s32s_push': {
                      's3': s3.bucket + '/site', 'src': str(tmp_path / 'src'), 'state_dir': state,
                      'object_attributes': [{'pattern': '*', 'storage_class': 'COLD'}]}},
                  {'name': 'push', 's32s.sync.s32s_push': {
                      's3': s3.bucket + '/site', 'src': str(tmp_path / 'src'), 'state_dir': state, 'sse': 'AES256',
                      'object_attributes': [{'pattern': '*.html', 'cache_control': 'no-cache'}]}},
                  {'name': 'role', 'ansible.builtin.include_role': {'name': 's32s.sync.push'}, 'vars': {
                      'push_s3': s3.bucket + '/site2', 'push_src': str(tmp_path / 'src2'), 'push_state_dir': state,
                      'push_sse': 'AES256', 'push_endpoint_url': s3.endpoint_url, 'push_access_key': s3.access_key,
                      'push_secret_key': s3.secret_key, 'push_region': s3.region, 'push_addressing_style': 'path',
                      'push_object_attributes': [{'pattern': 'b.css', 'cache_control': 'max-age=9'}]}},
              ]}]
    rc, results, out, err = run_playbook(plays, ansible_env, tmp_path)
    assert rc == 0, out[-3000:] + err[-3000:]
    bad = task_result(results, 'bad')
    assert bad['failed'] and "object_attributes[0].storage_class must be one of" in bad['msg']
    h = head(s3, 'a.html')
    assert (h.get('CacheControl'), h.get('ServerSideEncryption')) == ('no-cache', 'AES256')
    h = s3.direct_client().head_object(Bucket=s3.bucket, Key='site2/b.css')
    assert (h['ContentType'], h.get('CacheControl'), h.get('ServerSideEncryption')) == \
        ('text/css', 'max-age=9', 'AES256')


def test_two_way_uploads_are_typed_by_the_table(s3, tmp_path, monkeypatch):
    """s32s_sync has no object_attributes (its plan has no attribute fixes): it uploads with the table's
    Content-Type and pre-compression encoding, never the host's mimetypes."""
    monkeypatch.setattr(mimetypes, 'guess_type', lambda *a, **k: ('application/x-host-guess', None))
    root = tmp_path / 'files'
    write(root, 'f.woff2', 'w')
    write(root, 'p.html.gz', 'g')
    job = SyncJob(local=LocalSide(str(root), follow_symlinks=FOLLOW_NEVER),
                  remote=S3Side(make_store(s3.client()), parse_s3_location(s3.bucket + '/share'), s3.endpoint_url),
                  ignore=IgnoreRules(None), options=SyncOptions(state_dir=str(tmp_path / 'state')), replica='web1',
                  label='sync web1')
    assert run_sync(job, check_mode=False).applied is not None
    client = s3.direct_client()
    got = [(h['ContentType'], h.get('ContentEncoding')) for h in
           (client.head_object(Bucket=s3.bucket, Key='share/' + k) for k in ('f.woff2', 'p.html.gz'))]
    assert got == [('font/woff2', None), ('text/html', 'gzip')]


def test_attributes_of_an_object_above_the_copy_limit_are_set_by_a_multipart_copy(s3, tmp_path):
    """CopyObject takes at most 5 GiB: above, the fix is a multipart copy of the object onto itself
    (UploadPartCopy) whose CreateMultipartUpload carries the attributes. The limit is lowered here."""
    client = s3.client()
    client.put_object(Bucket=s3.bucket, Key='site/big.html', Body=BIG, ContentType='text/plain')
    attrs = ObjectAttributes([{'pattern': '*', 'cache_control': 'max-age=5', 'metadata': {'k': 'v'}}]) \
        .resolve('big.html')
    if s3.name == 'rclone':  # it answers UploadPartCopy with an empty result and copies nothing
        with pytest.raises(StoreError) as e:
            server_side_copy(client, s3.bucket, 'site/big.html', s3.bucket, 'site/big.html', len(BIG), limit=1024,
                             attrs=attrs)
        assert e.value.code == 'BadResponse'
        assert head(s3, 'big.html')['ContentType'] == 'text/plain'  # the upload was aborted, the object left alone
        return
    with s3.requests() as log:
        etag = server_side_copy(client, s3.bucket, 'site/big.html', s3.bucket, 'site/big.html', len(BIG), limit=1024,
                                attrs=attrs)
    assert log.count('UploadPartCopy') == 2 and log.count('CopyObject') == 0 and log.count('PutObject') == 0
    h = head(s3, 'big.html')
    assert (h['ContentType'], h.get('CacheControl'), metadata(h)) == ('text/html', 'max-age=5', {'k': 'v'})
    assert etag.endswith('-2')
    assert s3.direct_client().get_object(Bucket=s3.bucket, Key='site/big.html')['Body'].read() == BIG


def test_replicate_within_one_store_keeps_the_source_attributes(moto_s3, tmp_path):
    """s32s_replicate sets no attributes of its own: a server-side CopyObject keeps the source's headers,
    metadata and tags (MetadataDirective COPY; TaggingDirective defaults to COPY). Storage class and SSE
    are the destination's defaults, as in any CopyObject. moto only: rclone keeps no tags at all."""
    s3 = moto_s3
    s3.direct_client().put_object(Bucket=s3.bucket, Key='data/a.html', Body=b'a', ContentType='text/x-src',
                                  CacheControl='max-age=7', Metadata={'m': '1'}, Tagging='t=1',
                                  StorageClass='STANDARD_IA')
    store = S3Store(s3.client())
    runs = replicate(store, parse_s3_location(s3.bucket + '/data'), s3.endpoint_url,
                     [Destination('copy', store, parse_s3_location(s3.bucket + '/copy'), s3.endpoint_url)],
                     IgnoreRules(None), SyncOptions(delete=False, state_dir=str(tmp_path)), check_mode=False)
    assert runs[0].status == 'ok' and [a.relpath for a in runs[0].applied.done] == ['a.html']
    h = s3.direct_client().head_object(Bucket=s3.bucket, Key='copy/a.html')
    assert (h['ContentType'], h.get('CacheControl'), h['Metadata'], h.get('StorageClass')) == \
        ('text/x-src', 'max-age=7', {'m': '1'}, None)
    got = s3.direct_client().get_object_tagging(Bucket=s3.bucket, Key='copy/a.html')['TagSet']
    assert got == [{'Key': 't', 'Value': '1'}]
