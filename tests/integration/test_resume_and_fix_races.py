# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Races and refusals around resumed multipart uploads and attribute fixes (found in review, issue 13
point 4 and issue 14 point 5), on both servers: a resumed upload never completes with the attributes of an
older run; an attribute fix never adopts or mixes another writer's bytes; the watcher sweeps its orphans;
a denied ListParts or AbortMultipartUpload never blocks a file for good."""

import glob
import os
import urllib.parse

import pytest

from syncrun import make_store, sync, write
# big is a fixture
from multipartkit import KEY, big, forked_push, kill_after_parts, open_uploads  # noqa: F401  # pylint: disable=unused-import

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.attributes import ObjectAttributes
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import validate_map
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions
from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import StoreError
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.etag import MULTIPART_THRESHOLD
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3copy import server_side_copy
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.passes import run_pass
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.two_way_pass import run_two_way

RULES = [{'pattern': '*', 'cache_control': 'max-age=77', 'metadata': {'rev': '2'}}]


def push(s3, src, state_dir, rules=None):
    return sync('push', s3, [{'name': 'big', 's3': '%s/site' % s3.bucket, 'master': src}], state_dir=state_dir,
                lock_dir=state_dir, transfer_client='classic', attributes=ObjectAttributes(rules))


def test_an_upload_started_with_other_attributes_is_not_resumed(s3, big):
    """A push without rules is killed after 3 parts; the next push has rules: resuming would complete the
    object with the old CreateMultipartUpload headers while the manifest records the new ones. The stale
    upload is aborted and the object gets the rules' attributes; the next run is a listing."""
    src, _path, state_dir = big
    kill_after_parts(s3, src, state_dir, forked_push)
    r = push(s3, src, state_dir, RULES)
    multipart = r['maps'][0]['multipart']
    assert not multipart['resumed'] and 'attributes changed' in multipart['aborted'][0]['reason'], multipart
    head = s3.direct_client().head_object(Bucket=s3.bucket, Key=KEY)
    assert head.get('CacheControl') == 'max-age=77'
    assert {k.lower(): v for k, v in head.get('Metadata', {}).items()}.get('rev') == '2'
    assert open_uploads(s3) == []
    if s3.name == 'rclone':
        # rclone serve s3 answers CompleteMultipartUpload with the multipart ETag but lists the MD5 of the
        # whole object: the next run hashes the file, finds it equal and, since an object whose ETag moved
        # may have been rewritten by another tool, sets its attributes once more (one CopyObject).
        with s3.requests() as log:
            push(s3, src, state_dir, RULES)
        assert log.count('CopyObject') == 1 and log.count('PutObject') == log.count('UploadPart') == 0
    with s3.requests() as log:
        push(s3, src, state_dir, RULES)
    assert set(log.ops()) == {'ListObjectsV2'}


def refuse_like_aws(direct, before=None):
    """A ``where`` predicate for ``s3.fail(status=412)`` that makes the proxy answer as AWS S3 does to a
    copy whose ``x-amz-copy-source-if-match`` is not the source's current ETag (CopyObject and
    UploadPartCopy, S3 API reference): moto and rclone serve s3 ignore that header. ``before(n)`` runs first,
    with the number of the matching copy request (1, 2, ...): the other writer of a race."""
    calls = []

    def where(req):
        calls.append(req)
        if before is not None:
            before(len(calls))
        wanted = req.headers.get('x-amz-copy-source-if-match')
        if not wanted:
            return False
        bucket, key = urllib.parse.unquote(req.headers['x-amz-copy-source'].split('?')[0].lstrip('/')).split('/', 1)
        return wanted.strip('"') != direct.head_object(Bucket=bucket, Key=key)['ETag'].strip('"')
    return where


def test_an_attribute_fix_never_adopts_another_writers_bytes(s3, tmp_path):
    """Another writer replaces the object between the listing and the fix's CopyObject: the copy is
    conditional on the listed ETag (refused as AWS refuses it), so the fix fails, the manifest keeps its
    record, and the next push sends the master's bytes again."""
    src, state = str(tmp_path / 'src'), str(tmp_path / 'state')
    write(src, 'a.html', b'master content')
    maps = [{'name': 'site', 's3': '%s/site' % s3.bucket, 'master': src}]
    sync('push', s3, maps, state_dir=state, lock_dir=state)
    direct = s3.direct_client()

    def other_writer(n):
        if n == 1:
            direct.put_object(Bucket=s3.bucket, Key='site/a.html', Body=b'OTHER CONTENT!')
    s3.fail(op='CopyObject', key='site/a.html', status=412, times=10, where=refuse_like_aws(direct, other_writer))
    try:
        r = sync('push', s3, maps, state_dir=state, lock_dir=state, attributes=ObjectAttributes(RULES))
    finally:
        s3.clear_faults()
    assert r['totals']['attributes_set'] == 0 and r['maps'][0]['status'] == 'failed', r['totals']
    again = sync('push', s3, maps, state_dir=state, lock_dir=state, attributes=ObjectAttributes(RULES))
    assert again['maps'][0]['status'] == 'ok' and again['totals']['updated'] == 1, again['totals']
    obj = direct.get_object(Bucket=s3.bucket, Key='site/a.html')
    assert obj['Body'].read() == b'master content' and obj.get('CacheControl') == 'max-age=77'


def test_a_multipart_attribute_fix_never_mixes_two_versions(moto_s3):
    """Above the CopyObject limit the fix copies ranges: an overwrite between two UploadPartCopy requests
    makes the next range fail its CopySourceIfMatch (refused as AWS refuses it); the copy is aborted and the
    other writer's object stays whole (limit lowered; moto only: rclone serve s3 has no UploadPartCopy)."""
    s3 = moto_s3
    old, new = b'A' * (MULTIPART_THRESHOLD + 1024), b'B' * (MULTIPART_THRESHOLD + 1024)
    client, direct = s3.client(), s3.direct_client()
    etag = direct.put_object(Bucket=s3.bucket, Key='site/big.html', Body=old)['ETag'].strip('"')

    def overwrite(n):
        if n == 2:
            direct.put_object(Bucket=s3.bucket, Key='site/big.html', Body=new)
    s3.fail(op='UploadPartCopy', key='site/big.html', status=412, times=1000, where=refuse_like_aws(direct, overwrite))
    try:
        with pytest.raises(StoreError):
            server_side_copy(client, s3.bucket, 'site/big.html', s3.bucket, 'site/big.html', len(old), limit=1024,
                             attrs=ObjectAttributes(RULES).resolve('big.html'), if_match=etag)
    finally:
        s3.clear_faults()
    assert direct.get_object(Bucket=s3.bucket, Key='site/big.html')['Body'].read() == new
    assert open_uploads(s3) == []


def _watch_map(s3, root, name):
    return validate_map({'name': name, 's3': '%s/%s' % (s3.bucket, name), 'master': str(root)}, 'master', 0, 't')[0]


def test_the_watcher_sweeps_the_uploads_it_left(s3, tmp_path):
    """A watcher pass whose multipart upload failed leaves it open (resumable); once the file is deleted,
    the next full pass aborts it and forgets it, as a push does."""
    root, state = tmp_path / 'master', str(tmp_path / 'state')
    write(root, 'keep.txt', b'k')
    write(root, 'big.bin', os.urandom(MULTIPART_THRESHOLD + 1024))
    m = _watch_map(s3, root, 'w')
    store = make_store(s3.client(), transfer_client='classic')
    options = SyncOptions(delete=True, state_dir=state, lock_dir=state)
    s3.fail(op='CompleteMultipartUpload', times=50, status=400)
    try:
        out = run_pass(m, store, options, s3.endpoint_url)
    finally:
        s3.clear_faults()
    assert 'big.bin' in out.failed
    assert [k for k, _upload in open_uploads(s3)] == ['w/big.bin']
    os.remove(str(root / 'big.bin'))
    run_pass(m, store, options, s3.endpoint_url)
    assert open_uploads(s3) == []
    assert not glob.glob(os.path.join(state, 'parts', 'up-*.json'))


def test_a_two_way_watch_with_an_emptied_master_deletes_nothing(s3, tmp_path):
    """Two-way mode with delete: every local file removed at once is an emptied folder, never propagated."""
    root, state = tmp_path / 'master', str(tmp_path / 'state')
    for n in 'abcd':
        write(root, n + '.txt', n.encode())
    m = _watch_map(s3, root, 'tw')
    store = make_store(s3.client(), transfer_client='classic')
    options = SyncOptions(delete=True, state_dir=state, lock_dir=state)
    out = run_two_way(m, store, options, s3.endpoint_url, replica='h1')
    assert out.error is None, out.error
    for n in 'abcd':
        os.remove(str(root / (n + '.txt')))
    out = run_two_way(m, store, options, s3.endpoint_url, replica='h1')
    keys = [o['Key'] for o in s3.direct_client().list_objects_v2(Bucket=s3.bucket, Prefix='tw/').get('Contents', ())]
    assert sorted(k for k in keys if k.endswith('.txt')) == ['tw/%s.txt' % n for n in 'abcd'], (keys, out)


def _leave_an_open_upload(s3, root, state, maps):
    s3.fail(op='CompleteMultipartUpload', times=50, status=400)
    try:
        first = sync('push', s3, maps, state_dir=state, lock_dir=state, transfer_client='classic')
    finally:
        s3.clear_faults()
    assert first['maps'][0]['status'] == 'failed'
    assert [k for k, _upload in open_uploads(s3)] == ['p/big.bin']


@pytest.mark.parametrize('denied', ['ListParts', 'AbortMultipartUpload'])
def test_a_denied_listparts_or_abort_never_blocks_a_file(s3, tmp_path, denied):
    """A credential allowed PutObject (Create, UploadPart, Complete) but not ListMultipartUploadParts or
    AbortMultipartUpload: an upload left in the ledger (and, for the abort, a file changed since) must not
    make every later push of the file fail. The upload is started again; the old one is left to the sweep's
    age rule."""
    root, state = tmp_path / 'master', str(tmp_path / 'state')
    data = os.urandom(MULTIPART_THRESHOLD + 1024)
    write(root, 'big.bin', data)
    maps = [{'name': 'p', 's3': '%s/p' % s3.bucket, 'master': str(root)}]
    _leave_an_open_upload(s3, root, state, maps)
    if denied == 'AbortMultipartUpload':
        data = os.urandom(MULTIPART_THRESHOLD + 2048)
        write(root, 'big.bin', data)  # changed: the recorded upload is stale and must be aborted first
    s3.fail(op=denied, times=10000, status=403)
    try:
        r = sync('push', s3, maps, state_dir=state, lock_dir=state, transfer_client='classic')
    finally:
        s3.clear_faults()
    assert r['maps'][0]['status'] == 'ok', r['maps'][0]
    assert s3.direct_client().get_object(Bucket=s3.bucket, Key='p/big.bin')['Body'].read() == data
