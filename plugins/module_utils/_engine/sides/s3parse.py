# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cheaper parsing of S3 listings inside botocore (``bench/FINDINGS.md``).

**PRIVATE**: this module is internal to the s32s.sync collection.

A no-op push or pull is one ListObjectsV2 page per 1,000 keys, and on a
loaded 2-core machine botocore spends about 50 us of CPU per listed key
parsing them (bench/FINDINGS.md). Three changes, each giving exactly
botocore's parsed result (tests/unit/plugins/module_utils/test__s3parse.py):

* timestamps: ``datetime.fromisoformat`` for the ISO 8601 form of listings
  instead of dateutil (botocore's parser for anything else);
* the ``Object`` entries of a ListObjects(V2) page are turned into dicts
  directly when they hold only the plain elements S3 documents for them
  (Key, LastModified, ETag, Size, StorageClass, ChecksumAlgorithm,
  ChecksumType); any other element (``Owner``, ``RestoreStatus``, something
  new) hands the entry to botocore's generic parser;
* botocore parses every 200 response of S3 a second time to find an
  ``<Error>`` root (S3 sends those for CopyObject, UploadPartCopy and
  CompleteMultipartUpload); for ListObjectsV2 pages we look at the first
  element's name only and run botocore's check when it is ``Error``.

Every hook goes through botocore objects that are not public API; where one
is missing (another botocore version), that hook is left out: only speed is
at stake, never a result.
"""

from __future__ import annotations

import re
import typing as t
from datetime import datetime

try:
    from botocore import handlers as botocore_handlers
    from botocore import parsers as botocore_parsers
    from botocore.utils import parse_timestamp as botocore_parse_timestamp
except ImportError:  # pragma: no cover - checked by the module (AnsibleAWSModule)
    botocore_handlers = botocore_parsers = botocore_parse_timestamp = None  # type: ignore[assignment]

#: Elements of an S3 ``Object`` (ListObjects/ListObjectsV2 ``Contents``) parsed
#: directly: name -> conversion (S3 API reference, ``Object`` data type).
_PLAIN_TEXT = ("Key", "ETag", "StorageClass", "ChecksumType")
#: The first element of a response body (after the XML declaration, comments
#: and whitespace): its name tells an ``<Error>`` document from a result.
_FIRST_ELEMENT_RE = re.compile(rb"<([A-Za-z_][\w.:-]*)")
#: Operations whose 200 responses skip botocore's second full parse.
_LISTING_OPERATIONS = frozenset({"ListObjectsV2", "ListObjects"})


def parse_timestamp(value: t.Any) -> t.Any:
    """Parse an S3 timestamp into an aware ``datetime``: ISO 8601 (listings) with
    ``datetime.fromisoformat``, anything else (HTTP dates of HEAD/GET headers,
    epochs) with botocore's own parser.

    botocore's default goes through dateutil for every ``LastModified`` of a
    listing; this is about 2.5 times cheaper per listed key (measured on
    ListObjectsV2 pages of 1,000 keys), with the same instant.

    :raises ValueError: ``value`` is no timestamp (botocore's error).
    """
    if isinstance(value, str) and value.endswith("Z"):
        try:
            return datetime.fromisoformat(value[:-1] + "+00:00")
        except ValueError:
            pass
    return botocore_parse_timestamp(value)


def parse_object_node(node: t.Any, timestamp_parser: t.Callable[[str], t.Any]) -> t.Optional[dict[str, t.Any]]:
    """The dict botocore makes of one ``<Contents>`` element of a listing, or
    ``None`` when the element holds anything beyond the plain ones (then the
    caller lets botocore parse it).

    :param node: an ``xml.etree.ElementTree.Element``.
    :param timestamp_parser: turns ``LastModified`` text into a ``datetime``.
    :returns: ``{"Key": str, "LastModified": datetime, "ETag": str, "Size": int,
        "StorageClass": str, ...}`` with the elements present.
    """
    parsed: dict[str, t.Any] = {}
    for child in node:
        if len(child):
            return None
        tag = child.tag.rpartition("}")[2]
        text = child.text or ""
        if tag in _PLAIN_TEXT:
            parsed[tag] = text
        elif tag == "Size":
            parsed[tag] = int(text)
        elif tag == "LastModified":
            parsed[tag] = timestamp_parser(text)
        elif tag == "ChecksumAlgorithm":  # a flattened list of strings
            parsed.setdefault(tag, []).append(text)
        else:
            return None
    return parsed


if botocore_parsers is not None:
    class FastRestXMLParser(botocore_parsers.RestXMLParser):  # type: ignore[name-defined,misc]
        """botocore's REST-XML parser with :func:`parse_object_node` for listing entries."""

        def _handle_structure(self, shape: t.Any, node: t.Any) -> t.Any:
            if shape.name == "Object":
                parsed = parse_object_node(node, self._timestamp_parser)
                if parsed is not None:
                    return parsed
            return super()._handle_structure(shape, node)
else:  # pragma: no cover
    FastRestXMLParser = None  # type: ignore[assignment,misc]


def looks_like_error_document(body: bytes) -> bool:
    """Whether the first element of ``body`` is ``<Error>`` (an S3 error sent with status 200)."""
    match = _FIRST_ELEMENT_RE.search(body, 0, 4096)
    while match is not None and match.group(1).startswith(b"?"):
        match = _FIRST_ELEMENT_RE.search(body, match.end(), 4096)
    return match is not None and match.group(1) == b"Error"


def _make_200_error_handler(original: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    def handle_200_error(operation_model: t.Any, response_dict: t.Any, **kwargs: t.Any) -> t.Any:
        if getattr(operation_model, "name", None) in _LISTING_OPERATIONS and response_dict:
            body = response_dict.get("body")
            if isinstance(body, (bytes, bytearray)) and not looks_like_error_document(bytes(body)):
                return None
        return original(operation_model=operation_model, response_dict=response_dict, **kwargs)
    return handle_200_error


def use_fast_parsing(client: t.Any) -> None:
    """Install the three hooks of this module on ``client`` (a boto3 S3 client).

    * ``set_parser_defaults(timestamp_parser=...)`` on the endpoint's
      ``ResponseParserFactory`` (that factory's documented hook);
    * REST-XML parsers made by that factory become :class:`FastRestXMLParser`;
    * botocore's ``_handle_200_error`` on ``before-parse.s3.*`` is replaced,
      for this client only, by a wrapper that skips its full parse for
      listing pages that do not start with ``<Error>``.
    """
    if getattr(client, "_s32s_fast_parsing", False):
        return
    client._s32s_fast_parsing = True  # pylint: disable=protected-access
    factory = getattr(getattr(client, "_endpoint", None), "_response_parser_factory", None)
    if factory is not None and hasattr(factory, "set_parser_defaults"):
        factory.set_parser_defaults(timestamp_parser=parse_timestamp)
    if factory is not None and FastRestXMLParser is not None and not getattr(factory, "_s32s_fast", False):
        create_parser = factory.create_parser

        def create_fast_parser(protocol_name: str) -> t.Any:
            parser = create_parser(protocol_name)
            if type(parser) is botocore_parsers.RestXMLParser:  # pylint: disable=unidiomatic-typecheck
                parser.__class__ = FastRestXMLParser
            return parser

        factory.create_parser = create_fast_parser
        factory._s32s_fast = True  # pylint: disable=protected-access
    original = getattr(botocore_handlers, "_handle_200_error", None)
    events = getattr(getattr(client, "meta", None), "events", None)
    if original is not None and events is not None:
        events.unregister("before-parse.s3.*", original)
        events.register_first("before-parse.s3.*", _make_200_error_handler(original))


__all__ = ["parse_timestamp", "parse_object_node", "looks_like_error_document", "use_fast_parsing",
           "FastRestXMLParser"]
