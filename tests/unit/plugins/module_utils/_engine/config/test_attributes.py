# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Upload attributes (issue 14 point 5): the Content-Type table, the rules, their validation,
the fingerprint, and the two serialisations (botocore arguments, HTTP headers of the awscrt path)."""

from __future__ import annotations

import mimetypes
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.attributes import (
    AttributeSet, ObjectAttributes)
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.content_types import content_type_of
from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import ConfigError


@pytest.fixture
def empty_mimetypes(monkeypatch):
    """The host's mimetypes database emptied: no file read, nothing known."""
    monkeypatch.setattr(mimetypes, 'knownfiles', [])
    db = mimetypes.MimeTypes(filenames=(), strict=True)
    db.types_map = ({}, {})
    db.types_map_inv = ({}, {})
    db.encodings_map = {}
    db.suffix_map = {}
    monkeypatch.setattr(mimetypes, '_db', db)
    monkeypatch.setattr(mimetypes, 'inited', True)
    assert mimetypes.guess_type('a.woff2') == (None, None) and mimetypes.guess_type('a.html') == (None, None)


@pytest.mark.parametrize('name, expected', [
    ('a.woff2', ('font/woff2', None)), ('a.webp', ('image/webp', None)), ('a.avif', ('image/avif', None)),
    ('x/INDEX.HTML', ('text/html', None)), ('a.htm', ('text/html', None)), ('a.css', ('text/css', None)),
    ('a.js', ('text/javascript', None)), ('a.mjs', ('text/javascript', None)), ('a.json', ('application/json', None)),
    ('a.svg', ('image/svg+xml', None)), ('a.woff', ('font/woff', None)), ('a.wasm', ('application/wasm', None)),
    ('a.js.map', ('application/json', None)), ('a.txt', ('text/plain', None)), ('a.xml', ('application/xml', None)),
    ('a.ico', ('image/vnd.microsoft.icon', None)), ('a.png', ('image/png', None)), ('a.jpg', ('image/jpeg', None)),
    ('a.jpeg', ('image/jpeg', None)), ('a.gif', ('image/gif', None)), ('a.pdf', ('application/pdf', None)),
    ('a.mp4', ('video/mp4', None)), ('a.webm', ('video/webm', None)), ('a.mp3', ('audio/mpeg', None)),
    ('a.csv', ('text/csv', None)), ('a.zip', ('application/zip', None)),
    ('x.html.gz', ('text/html', 'gzip')), ('x.css.br', ('text/css', 'br')), ('x.svg.gz', ('image/svg+xml', 'gzip')),
    ('x.tar.gz', ('application/gzip', None)), ('x.tgz', ('application/gzip', None)),
    ('data.gz', ('application/gzip', None)), ('x.weird.gz', ('application/gzip', None)),
    ('data.br', ('application/octet-stream', None)), ('.gz', ('application/octet-stream', None)),
    ('Makefile', ('application/octet-stream', None)), ('.bashrc', ('application/octet-stream', None)),
    ('a.unknownext', ('application/octet-stream', None)),
])
def test_table_types_without_the_hosts_database(empty_mimetypes, name, expected):
    assert content_type_of(name) == expected
    assert ObjectAttributes().resolve(name) == AttributeSet(*expected)


def test_no_rule_gives_the_table_and_an_empty_fingerprint():
    attrs = ObjectAttributes().resolve('a/b.css')
    assert attrs == AttributeSet('text/css') and attrs.fingerprint == ''
    assert attrs.put_args() == {'ContentType': 'text/css'}


def test_first_matching_rule_applies_alone():
    rules = ObjectAttributes([{'pattern': 'assets/', 'cache_control': 'max-age=31536000'},
                              {'pattern': '*.html', 'cache_control': 'no-cache', 'metadata': {'a': '1'}}])
    assert rules.resolve('assets/x.html').cache_control == 'max-age=31536000'
    assert rules.resolve('assets/x.html').metadata == ()
    assert rules.resolve('index.html').cache_control == 'no-cache'
    assert rules.resolve('index.css').fingerprint == ''
    assert rules.resolve('assets/x.html').content_type == 'text/html'  # the table fills what the rule leaves


def test_a_rule_overrides_the_table_type_and_encoding():
    rules = ObjectAttributes([{'pattern': '*.gz', 'content_type': 'application/x-custom'}])
    attrs = rules.resolve('a.html.gz')
    assert (attrs.content_type, attrs.content_encoding) == ('application/x-custom', 'gzip')
    rules = ObjectAttributes([{'pattern': 'a.html', 'content_type': 'text/html'}])
    assert rules.resolve('a.html').fingerprint == ''  # the same set as the table's: nothing to record


def test_fingerprint_changes_with_any_attribute_and_is_stable():
    base = [{'pattern': '*', 'cache_control': 'max-age=1', 'tags': {'a': 'b'}}]
    fp = ObjectAttributes(base).resolve('x.txt').fingerprint
    assert len(fp) == 12 and fp == ObjectAttributes(base).resolve('x.txt').fingerprint
    assert ObjectAttributes([{'pattern': '*', 'cache_control': 'max-age=2', 'tags': {'a': 'b'}}]).resolve(
        'x.txt').fingerprint != fp
    assert ObjectAttributes(base, 'AES256').resolve('x.txt').fingerprint != fp
    assert ObjectAttributes(base).resolve('x.html').fingerprint != fp  # another type
    assert ObjectAttributes(None, 'aws:kms', 'k1').resolve('x').fingerprint != \
        ObjectAttributes(None, 'aws:kms', 'k2').resolve('x').fingerprint


def test_put_args_copy_args_and_tagging():
    attrs = ObjectAttributes([{'pattern': '*', 'cache_control': 'max-age=1', 'content_disposition': 'inline',
                               'content_encoding': 'br', 'metadata': {'Owner': 'web'}, 'storage_class': 'GLACIER_IR',
                               'tags': {'team': 'web site', 'k&=': 'v/+'}}], 'aws:kms', 'alias/k').resolve('a.txt')
    assert attrs.put_args() == {
        'ContentType': 'text/plain', 'ContentEncoding': 'br', 'CacheControl': 'max-age=1',
        'ContentDisposition': 'inline', 'StorageClass': 'GLACIER_IR', 'ServerSideEncryption': 'aws:kms',
        'SSEKMSKeyId': 'alias/k', 'Metadata': {'owner': 'web'}, 'Tagging': 'k%26%3D=v%2F%2B&team=web%20site'}
    copy = attrs.copy_args()
    assert copy['MetadataDirective'] == copy['TaggingDirective'] == 'REPLACE'
    assert AttributeSet('text/plain').copy_args()['Tagging'] == ''  # REPLACE with no tag removes the old ones


def test_headers_are_botocores_serialisation_of_put_args():
    """The awscrt path signs put_args() on the presigned URL and sends headers(): they must be the same."""
    attrs = ObjectAttributes([{'pattern': '*', 'cache_control': 'max-age=1', 'content_disposition': 'inline',
                               'content_encoding': 'gzip', 'metadata': {'owner': 'web', 'rev': '2'},
                               'storage_class': 'STANDARD_IA', 'tags': {'a': 'b c'}}], 'aws:kms', 'alias/k'
                             ).resolve('a.html')
    client = boto3.client('s3', region_name='us-east-1', aws_access_key_id='a', aws_secret_access_key='b',
                          config=Config(signature_version='s3v4', request_checksum_calculation='when_required'))
    seen = {}

    def capture(request, **_kw):
        seen.update({k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()})
        raise RuntimeError('stop before sending')

    client.meta.events.register('before-send.s3.PutObject', capture)
    with pytest.raises(RuntimeError):
        client.put_object(Bucket='b', Key='k', Body=b'', **attrs.put_args())
    ours = {k.lower(): v for k, v in attrs.headers()}
    assert ours == {k: v for k, v in seen.items() if k in ours}
    assert len(ours) == 10 and all(k in seen for k in ours)
    url = client.generate_presigned_url('put_object', Params={'Bucket': 'b', 'Key': 'k', **attrs.put_args()})
    signed = parse_qs(urlsplit(url).query)['X-Amz-SignedHeaders'][0].split(';')
    assert sorted(signed) == sorted(['host'] + list(ours))  # every header we send is signed, no other


def test_with_metadata_merges_product_metadata_over_the_rules():
    attrs = ObjectAttributes([{'pattern': '*', 'metadata': {'a': '1', 'mode': 'rule'}}]).resolve('x')
    merged = attrs.with_metadata({'Mode': '0644'})
    assert merged.metadata == (('a', '1'), ('mode', '0644')) and merged.fingerprint == attrs.fingerprint


def test_metadata_keeps_room_for_the_file_mode():
    """S3 takes 2 KB of user metadata; push adds ``mode`` (up to 9 bytes) to a rule's: a rule may use the rest."""
    ObjectAttributes([{'pattern': '*', 'metadata': {'a': 'x' * 2038}}])  # 2039 bytes + 9 for the mode: 2048
    with pytest.raises(ConfigError, match="S3 takes at most 2048, of which 9 are kept for the file's mode"):
        ObjectAttributes([{'pattern': '*', 'metadata': {'a': 'x' * 2039}}])
    attrs = ObjectAttributes([{'pattern': '*', 'metadata': {'a': 'x' * 2038}}]).resolve('x')
    merged = attrs.with_metadata({'mode': str(0o107777)})
    assert sum(len(k) + len(v) for k, v in merged.metadata) == 2048


@pytest.mark.parametrize('rules, sse, key_id, message', [
    ('*.html', None, None, 'must be a list of rules'),
    (['*.html'], None, None, "object_attributes[0] must be a dict with a 'pattern'"),
    ([{'cache_control': 'x'}], None, None, "object_attributes[0] has no 'pattern'"),
    ([{'pattern': 3}], None, None, 'object_attributes[0].pattern must be a string'),
    ([{'pattern': ''}], None, None, 'object_attributes[0].pattern holds an invalid rule'),
    ([{'pattern': 'a', 'cache': 'x'}], None, None, "unknown key(s) ['cache']"),
    ([{'pattern': 'a', 'content_type': 5}], None, None, 'object_attributes[0].content_type must be a non-empty'),
    ([{'pattern': 'a', 'cache_control': 'a\nb'}], None, None, 'cache_control must be a non-empty string'),
    ([{'pattern': 'a', 'content_disposition': 'caf\u00e9'}], None, None, 'printable ASCII'),
    ([{'pattern': 'a', 'storage_class': 'standard'}], None, None, 'storage_class must be one of'),
    ([{'pattern': 'a', 'metadata': ['x']}], None, None, 'metadata must be a dict'),
    ([{'pattern': 'a', 'metadata': {'a b': 'x'}}], None, None, "invalid key 'a b'"),
    ([{'pattern': 'a', 'metadata': {'a': 'caf\u00e9'}}], None, None, 'printable ASCII'),
    ([{'pattern': 'a', 'metadata': {'a': {'b': 1}}}], None, None, 'metadata.a must be a string'),
    ([{'pattern': 'a', 'metadata': {'A': '1', 'a': '2'}}], None, None, "has the key 'a' twice"),
    ([{'pattern': 'a', 'metadata': {'a': 'x' * 2048}}], None, None, 'S3 takes at most 2048'),
    ([{'pattern': 'a', 'tags': {str(i): 'v' for i in range(11)}}], None, None, 'has 11 tags; S3 takes at most 10'),
    ([{'pattern': 'a', 'tags': {'k' * 129: 'v'}}], None, None, '1 to 128 characters'),
    ([{'pattern': 'a', 'tags': {'': 'v'}}], None, None, '1 to 128 characters'),
    ([{'pattern': 'a', 'tags': {'k': 'v' * 257}}], None, None, 'longer than 256 characters'),
    ([{'pattern': 'a', 'tags': {'aws:x': 'v'}}], None, None, "the prefix 'aws:' is reserved"),
    ([{'pattern': 'a', 'tags': {'k': None}}], None, None, 'tags.k must be a string'),
    (None, 'aes256', None, "sse must be one of ['AES256', 'aws:kms']"),
    (None, 'AES256', 'alias/k', 'sse_kms_key_id needs sse: aws:kms'),
    (None, None, 'alias/k', 'sse_kms_key_id needs sse: aws:kms'),
])
def test_invalid_rules_are_refused_with_the_rule_and_key(rules, sse, key_id, message):
    with pytest.raises(ConfigError) as e:
        ObjectAttributes(rules, sse, key_id)
    assert message in e.value.msg


def test_limits_are_inclusive():
    attrs = ObjectAttributes([{'pattern': 'a', 'tags': {('k%d' % i).ljust(128, 'x'): 'v' * 256 for i in range(10)}}])
    assert len(attrs.resolve('a').tags) == 10
    assert ObjectAttributes(None, 'aws:kms').resolve('a').sse_kms_key_id is None  # the bucket's default KMS key


def test_first_rule_wins_across_parent_directories():
    """A later rule matching the file does not win over an earlier one matching a parent directory."""
    rules = ObjectAttributes([{'pattern': 'a/b/', 'cache_control': 'first'}, {'pattern': '*.html', 'cache_control': 'second'},
                              {'pattern': '*', 'cache_control': 'last'}])
    assert [rules.rule_index(p) for p in ('a/b/c/x.html', 'a/x.html', 'a/b', 'z.css', 'a/bb/x.css')] == [0, 1, 0, 2, 2]
    assert rules.resolve('a/b/c/x.html').cache_control == 'first'
    assert rules.resolve('a/x.html') is rules.resolve('b/y.html')  # one set per (rule, type, encoding)
    assert not ObjectAttributes() and ObjectAttributes(None, 'AES256') and ObjectAttributes([{'pattern': 'x'}])
