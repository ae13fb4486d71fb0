# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""botocore handlers of every S3 client (sides/s3hooks.py), SSE ETag rule (sides/etag.py) and the
errors that name requester-pays and SSE-C (sides/s3store.py).

The handlers are called here as botocore calls them (the same keyword arguments); a real boto3
client (no request sent: botocore's Stubber answers) shows that they are registered where
botocore emits PutObject, UploadPart and every other operation. The servers see them in
tests/integration/test_sse_integrity.py and test_requester_pays.py.
"""

from __future__ import annotations

import base64
import hashlib
import io

import boto3
import pytest
from botocore.config import Config

from ansible_collections.s32s.sync.plugins.module_utils._engine.sides import s3hooks
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.etag import etag_is_content_md5
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import (
    SSE_C_REFUSED, S3Store, coded_error)

DATA = b'hello world'
MD5 = hashlib.md5(DATA).hexdigest()
MD5_B64 = base64.b64encode(hashlib.md5(DATA).digest()).decode()


class _Response:
    def __init__(self, status):
        self.status_code = status


@pytest.mark.parametrize('sse, sse_c, plain', [
    (None, None, True), ('', None, True), ('AES256', None, True), ('aws:kms', None, False),
    ('aws:kms:dsse', None, False), (None, 'AES256', False), ('AES256', 'AES256', False)])
def test_etag_is_content_md5_follows_the_s3_reference(sse, sse_c, plain):
    assert etag_is_content_md5(sse, sse_c) is plain


@pytest.mark.parametrize('body', [DATA, bytearray(DATA), io.BytesIO(DATA)])
def test_body_md5_of_bytes_and_files_rewinds(body):
    assert s3hooks.body_md5(body).hex() == MD5
    if isinstance(body, io.BytesIO):
        assert body.tell() == 0


def test_body_md5_of_a_file_read_from_its_position():
    f = io.BytesIO(b'xx' + DATA)
    f.seek(2)
    assert s3hooks.body_md5(f).hex() == MD5 and f.tell() == 2


def test_body_md5_of_nothing_and_of_a_stream():
    assert s3hooks.body_md5(None).hex() == hashlib.md5(b'').hexdigest()
    assert s3hooks.body_md5(iter([DATA])) is None


def test_content_md5_is_added_and_remembered():
    params, context = {'body': DATA, 'headers': {}, 'context': {}}, {}
    s3hooks.add_content_md5(params=params, context=context)
    assert params['headers']['Content-MD5'] == MD5_B64 and context['s32s_md5'] == MD5


def test_flexible_checksum_replaces_content_md5_but_the_etag_is_still_checked():
    params = {'body': DATA, 'headers': {}, 'context': {'checksum': {'request_algorithm': {'algorithm': 'crc32'}}}}
    context = {}
    s3hooks.add_content_md5(params=params, context=context)
    assert 'Content-MD5' not in params['headers'] and context['s32s_md5'] == MD5


def test_a_content_md5_given_by_the_caller_is_kept():
    params = {'body': DATA, 'headers': {'content-md5': 'given'}, 'context': {}}
    s3hooks.add_content_md5(params=params, context={})
    assert params['headers'] == {'content-md5': 'given'}


@pytest.mark.parametrize('parsed, status, raises', [
    ({'ETag': '"%s"' % MD5}, 200, False),
    ({'ETag': '"%s"' % ('0' * 32)}, 200, True),
    ({'ETag': '"%s"' % ('0' * 32), 'ServerSideEncryption': 'AES256'}, 200, True),
    ({'ETag': '"%s"' % ('0' * 32), 'ServerSideEncryption': 'aws:kms'}, 200, False),
    ({'ETag': '"%s"' % ('0' * 32), 'SSECustomerAlgorithm': 'AES256'}, 200, False),
    ({'ETag': '"%s-2"' % ('0' * 32)}, 200, False),
    ({'ETag': '"%s"' % ('0' * 32)}, 400, False),
    ({}, 200, False)])
def test_etag_of_the_answer_must_be_the_md5_sent_where_it_is_one(parsed, status, raises):
    context = {'s32s_md5': MD5}
    if raises:
        with pytest.raises(s3hooks.ETagMismatch, match='other bytes'):
            s3hooks.check_etag(http_response=_Response(status), parsed=parsed, context=context)
    else:
        s3hooks.check_etag(http_response=_Response(status), parsed=parsed, context=context)


def _client():
    return boto3.client('s3', region_name='us-east-1', aws_access_key_id='k', aws_secret_access_key='s',
                        endpoint_url='http://127.0.0.1:9', config=Config(request_checksum_calculation='when_required'))


def _capture(client):
    """Headers of the requests ``client`` would send (each stopped just before sending)."""
    seen = []

    def capture(request, **_kwargs):
        seen.append({k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()})
        raise RuntimeError('stop before sending')
    client.meta.events.register('before-send.s3', capture)
    return seen


def test_store_installs_the_handlers_on_every_client_it_gets():
    store = S3Store(_client(), request_payer='requester')
    renewed = _client()
    store.client = renewed  # as a forked transfer process renews it
    seen = _capture(renewed)
    with pytest.raises(RuntimeError):
        renewed.put_object(Bucket='b', Key='k', Body=io.BytesIO(DATA))
    assert seen[0]['Content-MD5'] == MD5_B64 and seen[0]['x-amz-request-payer'] == 'requester'


def test_request_payer_header_and_content_md5_reach_the_signed_request():
    client = _client()
    s3hooks.install(client, 'requester')
    seen = _capture(client)
    with pytest.raises(RuntimeError):
        client.put_object(Bucket='b', Key='k', Body=DATA)
    with pytest.raises(RuntimeError):
        client.list_objects_v2(Bucket='b')
    put, listing = seen
    assert put['Content-MD5'] == MD5_B64 and put['x-amz-request-payer'] == 'requester'
    assert 'content-md5;' in put['Authorization'] and 'x-amz-request-payer' in put['Authorization']  # signed
    assert listing['x-amz-request-payer'] == 'requester' and 'Content-MD5' not in listing


def test_without_request_payer_no_header():
    client = _client()
    s3hooks.install(client)
    seen = _capture(client)
    with pytest.raises(RuntimeError):
        client.list_objects_v2(Bucket='b')
    assert 'x-amz-request-payer' not in seen[0]


def test_access_denied_names_the_requester_pays_option():
    for code in ('AccessDenied', '403'):
        assert 'request_payer: requester' in coded_error('listing', 'b', 'p/', code, None).msg


def test_sse_c_refusal_gets_its_own_code_and_message():
    err = coded_error('downloading', 'b', 'k', 'InvalidRequest', 'The object was stored using a form of Server Side '
                      'Encryption. The correct parameters must be provided to retrieve the object.')
    assert err.code == SSE_C_REFUSED and 'SSE-C' in err.msg and 'customer-provided key' in err.msg
    other = coded_error('downloading', 'b', 'k', 'InvalidRequest', 'something else')
    assert other.code == 'InvalidRequest'
