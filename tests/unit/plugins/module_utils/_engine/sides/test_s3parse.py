# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fast S3 timestamp parser gives exactly botocore's result (plugins/module_utils/_engine/sides/s3parse.py)."""

from __future__ import annotations

import pytest
from botocore.utils import parse_timestamp as botocore_parse

from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3parse import parse_timestamp

CASES = [
    "2026-11-29T18:13:22.000Z",      # AWS and moto listings
    "2026-11-29T18:13:22.123Z",
    "2026-11-29T18:13:22Z",          # no fraction
    "2026-11-29T18:13:22.123456Z",
    "Sun, 29 Nov 2026 18:13:22 GMT",  # HEAD/GET Last-Modified header: botocore's parser
    "2026-11-29T18:13:22+02:00",     # not Z: botocore's parser
    1764440002,                       # epoch seconds: botocore's parser
]


@pytest.mark.parametrize("value", CASES)
def test_same_instant_as_botocore(value):
    ours, theirs = parse_timestamp(value), botocore_parse(value)
    assert ours.utcoffset() is not None
    assert ours.timestamp() == theirs.timestamp()


def test_garbage_is_botocore_error():
    with pytest.raises(ValueError):
        parse_timestamp("not a date Z")


# --- listing entries: the same dicts as botocore's generic parser -------------------------------

import boto3  # noqa: E402
import botocore.handlers  # noqa: E402
import botocore.session  # noqa: E402
from botocore import parsers  # noqa: E402

from ansible_collections.s32s.sync.plugins.module_utils._engine.sides import s3parse as _s3parse  # noqa: E402

NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def _page(contents: str, truncated: bool = False) -> bytes:
    token = "<NextContinuationToken>tok/en==</NextContinuationToken>" if truncated else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{NS}">'
            f"<Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>"
            f"<EncodingType>url</EncodingType><IsTruncated>{'true' if truncated else 'false'}</IsTruncated>"
            f"{token}{contents}</ListBucketResult>").encode()


ENTRY = ("<Contents><Key>p/a%20b.txt</Key><LastModified>2026-11-29T18:13:22.123Z</LastModified>"
         "<ETag>&quot;9e107d9d372bb6826bd81d3542a419d6&quot;</ETag><Size>43</Size>"
         "<StorageClass>STANDARD</StorageClass>{extra}</Contents>")
PAGES = {
    "plain": _page(ENTRY.format(extra="") * 2),
    "truncated": _page(ENTRY.format(extra=""), truncated=True),
    "checksums": _page(ENTRY.format(extra="<ChecksumAlgorithm>CRC32</ChecksumAlgorithm>"
                                          "<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm>"
                                          "<ChecksumType>FULL_OBJECT</ChecksumType>")),
    "owner (botocore's parser)": _page(ENTRY.format(
        extra="<Owner><ID>abc</ID><DisplayName>me</DisplayName></Owner>")),
    "restore status (botocore's parser)": _page(ENTRY.format(
        extra="<RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress></RestoreStatus>")),
    "unknown element (botocore's parser)": _page(ENTRY.format(extra="<Future>x</Future>")),
    "multipart etag, no storage class": _page(
        "<Contents><Key>p/big</Key><LastModified>2026-01-02T03:04:05Z</LastModified>"
        "<ETag>\"0123456789abcdef0123456789abcdef-12\"</ETag><Size>100663296</Size></Contents>"),
    "empty": _page(""),
}


@pytest.fixture(scope="module")
def listing_shape():
    model = botocore.session.get_session().get_service_model("s3")
    return model.operation_model("ListObjectsV2").output_shape


@pytest.mark.parametrize("name", sorted(PAGES))
def test_fast_parser_gives_botocores_result(name, listing_shape):
    response = {"body": PAGES[name], "headers": {}, "status_code": 200}
    theirs = parsers.RestXMLParser().parse(dict(response), listing_shape)
    ours = _s3parse.FastRestXMLParser(timestamp_parser=parse_timestamp).parse(dict(response), listing_shape)
    assert ours == theirs
    if name != "empty":
        assert ours["Contents"][0]["Size"] in (43, 100663296)


def test_parse_object_node_declines_nested_elements():
    import xml.etree.ElementTree as ET
    node = ET.fromstring("<Contents><Key>k</Key><Owner><ID>1</ID></Owner></Contents>")
    assert _s3parse.parse_object_node(node, parse_timestamp) is None
    node = ET.fromstring("<Contents><Key>k</Key><Size>7</Size></Contents>")
    assert _s3parse.parse_object_node(node, parse_timestamp) == {"Key": "k", "Size": 7}


@pytest.mark.parametrize("body,expected", [
    (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code></Error>', True),
    (b"\n\n  <Error><Code>SlowDown</Code></Error>", True),
    (b'<?xml version="1.0"?><!-- c --><Error/>', True),
    (PAGES["plain"], False),
    (b"<ErrorResponse><Error/></ErrorResponse>", False),
    (b"", False),
    (b"not xml", False),
])
def test_looks_like_error_document(body, expected):
    assert _s3parse.looks_like_error_document(body) is expected


def _client():
    return boto3.client("s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:1",
                        aws_access_key_id="AK", aws_secret_access_key="SK")


@pytest.mark.parametrize("operation,body,status", [
    ("ListObjectsV2", PAGES["plain"], 200),                                        # skipped: no second parse
    ("ListObjectsV2", b"<?xml version='1.0'?><Error><Code>InternalError</Code></Error>", 500),
    ("CopyObject", b"<?xml version='1.0'?><Error><Code>InternalError</Code></Error>", 500),
    ("CompleteMultipartUpload", b"<Error><Code>SlowDown</Code></Error>", 500),
    ("CopyObject", b"<CopyObjectResult><ETag>x</ETag></CopyObjectResult>", 200),
])
def test_200_error_still_found_after_hooks(operation, body, status):
    """An ``<Error>`` document sent with status 200 still becomes a 500 (and so is retried),
    for listings too; botocore's own check is what decides (issue 7 only skips its parse
    of ordinary listing pages)."""
    client = _client()
    _s3parse.use_fast_parsing(client)
    _s3parse.use_fast_parsing(client)  # idempotent: one wrapper, not two
    op = client.meta.service_model.operation_model(operation)
    response = {"body": body, "headers": {}, "status_code": 200}
    client.meta.events.emit(f"before-parse.s3.{operation}", operation_model=op, response_dict=response,
                            customized_response_dict={})
    assert response["status_code"] == status


def test_hooks_installed_on_the_client(monkeypatch):
    client = _client()
    _s3parse.use_fast_parsing(client)
    factory = client._endpoint._response_parser_factory  # pylint: disable=protected-access
    assert isinstance(factory.create_parser("rest-xml"), _s3parse.FastRestXMLParser)
    assert not isinstance(factory.create_parser("json"), _s3parse.FastRestXMLParser)
    checked = []
    original = botocore.handlers._looks_like_special_case_error  # pylint: disable=protected-access
    monkeypatch.setattr(botocore.handlers, "_looks_like_special_case_error",
                        lambda *a, **kw: checked.append(1) or original(*a, **kw))
    for operation, body in (("ListObjectsV2", PAGES["plain"]), ("CopyObject", b"<CopyObjectResult/>")):
        op = client.meta.service_model.operation_model(operation)
        client.meta.events.emit(f"before-parse.s3.{operation}", operation_model=op,
                                response_dict={"body": body, "headers": {}, "status_code": 200},
                                customized_response_dict={})
    assert checked == [1]  # the copy was checked, the listing page was not parsed twice


def test_fast_parser_takes_the_fast_path(listing_shape, monkeypatch):
    calls = []
    original = _s3parse.parse_object_node
    monkeypatch.setattr(_s3parse, "parse_object_node", lambda *a: calls.append(1) or original(*a))
    response = {"body": PAGES["plain"], "headers": {}, "status_code": 200}
    _s3parse.FastRestXMLParser(timestamp_parser=parse_timestamp).parse(response, listing_shape)
    assert len(calls) == 2
