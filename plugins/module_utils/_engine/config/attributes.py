# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Upload attributes: the ``object_attributes`` rules, ``sse`` and ``sse_kms_key_id`` (issue 14).

**PRIVATE**: this module is internal to the s32s.sync collection.

A rule is a dict with a ``pattern`` (the syntax of ``ignore`` rules,
``config/ignore.py``, matched on the relative path; a pattern that matches a
directory covers everything below it; ``*`` alone, which ``ignore`` refuses,
matches every path here) and any of ``content_type``,
``cache_control``, ``content_encoding``, ``content_disposition``,
``metadata`` (dict), ``storage_class``, ``tags`` (dict). The first rule
that matches a path applies, alone (rules are not merged); what it leaves
unset comes from the Content-Type table (``content_types.py``: type, and
the encoding of ``.gz``/``.br`` pre-compressed files). ``sse`` applies to
every object of the run.

:class:`AttributeSet` is what one object gets; its ``fingerprint`` (12 hex
characters, ``''`` for an object with nothing beyond the table's type) is
what the manifest records, so that a run compares attributes without a
request per object. Limits are those of the S3 API reference (PutObject,
PutObjectTagging, "Working with object metadata").
"""

from __future__ import annotations

import hashlib
import json
import re
import typing as t
from dataclasses import dataclass, replace
from urllib.parse import quote, urlencode

from ..errors import ConfigError
from .content_types import content_type_of
from .ignore import IgnoreRules, rule_regex

#: Storage classes PutObject takes (S3 API reference, x-amz-storage-class).
STORAGE_CLASSES = ("STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
                   "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS", "SNOW", "EXPRESS_ONEZONE")
#: Server-side encryption choices (``x-amz-server-side-encryption``).
SSE_CHOICES = ("AES256", "aws:kms")
#: Keys of one ``object_attributes`` rule.
RULE_KEYS = ("pattern", "content_type", "cache_control", "content_encoding", "content_disposition", "metadata",
             "storage_class", "tags")
#: S3 object tag limits: tags per object, key and value lengths (characters).
MAX_TAGS, MAX_TAG_KEY, MAX_TAG_VALUE = 10, 128, 256
#: User metadata: at most this many bytes of keys and values together (S3: 2 KB).
MAX_METADATA_BYTES = 2048
#: Bytes of it kept for the file's mode that push adds (``preserve_mode``, ``sides/modes.py``): the key
#: ``mode`` and the decimal ``st_mode`` of a regular file (at most ``str(0o107777)``, 5 digits).
MODE_METADATA_BYTES = len("mode") + len(str(0o107777))
_HEADER_VALUE_RE = re.compile(r"^[\x20-\x7e]+$")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


@dataclass(frozen=True)
class AttributeSet:
    """The attributes one object is uploaded with.

    ``metadata`` and ``tags`` are sorted ``(key, value)`` tuples (metadata
    keys lower case, as S3 returns them); ``fingerprint`` is ``''`` when the
    set is what the table alone gives.
    """

    content_type: str
    content_encoding: t.Optional[str] = None
    cache_control: t.Optional[str] = None
    content_disposition: t.Optional[str] = None
    metadata: tuple[tuple[str, str], ...] = ()
    storage_class: t.Optional[str] = None
    tags: tuple[tuple[str, str], ...] = ()
    sse: t.Optional[str] = None
    sse_kms_key_id: t.Optional[str] = None
    fingerprint: str = ""

    @property
    def tagging(self) -> str:
        """The tag set as the ``x-amz-tagging`` header wants it (URL query encoding), ``''`` for none."""
        return urlencode(self.tags, quote_via=quote, safe="")

    def put_args(self) -> dict[str, t.Any]:
        """The botocore arguments of PutObject and CreateMultipartUpload (and s3transfer's ``ExtraArgs``)."""
        args: dict[str, t.Any] = {"ContentType": self.content_type}
        for name, value in (("ContentEncoding", self.content_encoding), ("CacheControl", self.cache_control),
                            ("ContentDisposition", self.content_disposition), ("StorageClass", self.storage_class),
                            ("ServerSideEncryption", self.sse), ("SSEKMSKeyId", self.sse_kms_key_id)):
            if value:
                args[name] = value
        if self.metadata:
            args["Metadata"] = dict(self.metadata)
        if self.tags:
            args["Tagging"] = self.tagging
        return args

    def copy_args(self) -> dict[str, t.Any]:
        """The botocore arguments of a CopyObject that sets exactly these attributes
        (``MetadataDirective``/``TaggingDirective`` ``REPLACE``: an empty tag set removes the tags)."""
        args = self.put_args()
        args["MetadataDirective"] = "REPLACE"
        args["TaggingDirective"] = "REPLACE"
        args.setdefault("Tagging", "")
        return args

    def headers(self) -> list[tuple[str, str]]:
        """The HTTP request headers of :meth:`put_args` (a PutObject sent through awscrt);
        botocore's S3 serialisation of the same arguments, so that a presigned URL that
        signed :meth:`put_args` matches them."""
        names = {"ContentType": "Content-Type", "ContentEncoding": "Content-Encoding",
                 "CacheControl": "Cache-Control", "ContentDisposition": "Content-Disposition",
                 "StorageClass": "x-amz-storage-class", "ServerSideEncryption": "x-amz-server-side-encryption",
                 "SSEKMSKeyId": "x-amz-server-side-encryption-aws-kms-key-id", "Tagging": "x-amz-tagging"}
        out = []
        for name, value in self.put_args().items():
            if name == "Metadata":
                out.extend((f"x-amz-meta-{k}", v) for k, v in value.items())
            else:
                out.append((names[name], value))
        return out

    def with_metadata(self, extra: t.Mapping[str, str]) -> "AttributeSet":
        """This set with ``extra`` user metadata added (its keys win): where product
        metadata (a file mode, issue 15) meets the rules' metadata. The fingerprint stays."""
        merged = dict(self.metadata)
        merged.update((k.lower(), v) for k, v in extra.items())
        return replace(self, metadata=tuple(sorted(merged.items())))

    def describe(self) -> str:
        """A short, human description of this set (``--diff`` lines)."""
        parts = [f"type {self.content_type}"]
        for label, value in (("encoding", self.content_encoding), ("cache-control", self.cache_control),
                             ("disposition", self.content_disposition), ("storage class", self.storage_class),
                             ("sse", self.sse)):
            if value:
                parts.append(f"{label} {value}")
        if self.metadata:
            parts.append("metadata " + ",".join(pair[0] for pair in self.metadata))
        if self.tags:
            parts.append("tags " + ",".join(pair[0] for pair in self.tags))
        return "; ".join(parts)


def _text(value: t.Any, where: str, limit: int = 1024) -> str:
    if not isinstance(value, str) or not _HEADER_VALUE_RE.match(value) or len(value) > limit:
        raise ConfigError(f"{where} must be a non-empty string of printable ASCII characters (at most {limit}), "
                          f"got {value!r}")
    return value


def _metadata(value: t.Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a dict of strings, got {type(value).__name__}")
    out: dict[str, str] = {}
    for key, val in value.items():
        if not isinstance(key, str) or not _TOKEN_RE.match(key):
            raise ConfigError(f"{where} has an invalid key {key!r}: letters, digits and !#$%&'*+.^_`|~- only")
        if isinstance(val, bool) or not isinstance(val, (str, int, float)):
            raise ConfigError(f"{where}.{key} must be a string, got {type(val).__name__}")
        text = str(val)
        if text and not _HEADER_VALUE_RE.match(text):
            raise ConfigError(f"{where}.{key} must be printable ASCII (S3 user metadata), got {text!r}")
        if key.lower() in out:
            raise ConfigError(f"{where} has the key {key!r} twice (S3 keeps metadata keys in lower case)")
        out[key.lower()] = text
    size = sum(len(k) + len(v) for k, v in out.items() if k != "mode")
    if size > MAX_METADATA_BYTES - MODE_METADATA_BYTES:
        raise ConfigError(f"{where} holds {size} bytes of keys and values; S3 takes at most {MAX_METADATA_BYTES}, "
                          f"of which {MODE_METADATA_BYTES} are kept for the file's mode (key 'mode')")
    return tuple(sorted(out.items()))


def _tags(value: t.Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a dict of strings, got {type(value).__name__}")
    if len(value) > MAX_TAGS:
        raise ConfigError(f"{where} has {len(value)} tags; S3 takes at most {MAX_TAGS} per object")
    out = []
    for key, val in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_TAG_KEY:
            raise ConfigError(f"{where} has an invalid key {key!r}: 1 to {MAX_TAG_KEY} characters")
        if key.lower().startswith("aws:"):
            raise ConfigError(f"{where} has the key {key!r}: the prefix 'aws:' is reserved by AWS")
        if isinstance(val, bool) or not isinstance(val, (str, int, float)):
            raise ConfigError(f"{where}.{key} must be a string, got {type(val).__name__}")
        if len(str(val)) > MAX_TAG_VALUE:
            raise ConfigError(f"{where}.{key} is longer than {MAX_TAG_VALUE} characters")
        out.append((key, str(val)))
    return tuple(sorted(out))


class _Rule(t.NamedTuple):
    regex: str
    fields: dict[str, t.Any]


def parse_rule(raw: t.Any, where: str) -> _Rule:
    """Validate one rule. :raises ConfigError: not a dict, unknown key, a bad value."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a dict with a 'pattern', got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(RULE_KEYS))
    if unknown:
        raise ConfigError(f"{where} has unknown key(s) {unknown}; known: {list(RULE_KEYS)}")
    if "pattern" not in raw:
        raise ConfigError(f"{where} has no 'pattern'")
    pattern = raw["pattern"]
    if not isinstance(pattern, str):
        raise ConfigError(f"{where}.pattern must be a string (the syntax of 'ignore' rules), got "
                          f"{type(pattern).__name__}")
    if pattern.strip("*") or not pattern:
        IgnoreRules([pattern], f"{where}.pattern")  # validated as an ignore rule
        regex = rule_regex(pattern)
    else:
        regex = ".*"  # '*' alone: every path (an ignore rule refuses it, a rule of attributes may say it)
    fields: dict[str, t.Any] = {}
    for key in ("content_type", "cache_control", "content_encoding", "content_disposition"):
        if raw.get(key) is not None:
            fields[key] = _text(raw[key], f"{where}.{key}")
    if raw.get("storage_class") is not None:
        if raw["storage_class"] not in STORAGE_CLASSES:
            raise ConfigError(f"{where}.storage_class must be one of {list(STORAGE_CLASSES)}, "
                              f"got {raw['storage_class']!r}")
        fields["storage_class"] = raw["storage_class"]
    if raw.get("metadata") is not None:
        fields["metadata"] = _metadata(raw["metadata"], f"{where}.metadata")
    if raw.get("tags") is not None:
        fields["tags"] = _tags(raw["tags"], f"{where}.tags")
    return _Rule(regex, fields)


class ObjectAttributes:
    """Resolves the :class:`AttributeSet` of a relpath from the rules and ``sse``.

    :param rules: the ``object_attributes`` list (``None``: none).
    :param sse: ``AES256``, ``aws:kms`` or ``None``.
    :param sse_kms_key_id: a KMS key id, alias or ARN; only with ``sse: aws:kms``.
    :param where: the option's name for error messages.
    :raises ConfigError: any invalid rule or value, before any request.
    """

    def __init__(self, rules: t.Optional[t.Sequence[t.Any]] = None, sse: t.Optional[str] = None,
                 sse_kms_key_id: t.Optional[str] = None, where: str = "object_attributes") -> None:
        if rules is None:
            rules = []
        if not isinstance(rules, (list, tuple)):
            raise ConfigError(f"{where} must be a list of rules, got {type(rules).__name__}")
        self.rules = [parse_rule(r, f"{where}[{i}]") for i, r in enumerate(rules)]
        if sse is not None and sse not in SSE_CHOICES:
            raise ConfigError(f"sse must be one of {list(SSE_CHOICES)}, got {sse!r}")
        if sse_kms_key_id is not None:
            if sse != "aws:kms":
                raise ConfigError("sse_kms_key_id needs sse: aws:kms")
            _text(sse_kms_key_id, "sse_kms_key_id", 2048)
        self.sse = sse
        self.sse_kms_key_id = sse_kms_key_id
        # one alternation, a group per rule: a whole match's lastindex is the first rule that matches
        self._regex = re.compile("|".join(f"({r.regex})" for r in self.rules), re.DOTALL) if self.rules else None
        self._sets: dict[tuple[t.Optional[int], str, t.Optional[str]], AttributeSet] = {}

    def rule_index(self, relpath: str) -> t.Optional[int]:
        """The index of the first rule that matches ``relpath`` or one of its parent directories, or ``None``."""
        regex = self._regex
        if regex is None:
            return None
        m = regex.fullmatch(relpath)
        best = m.lastindex - 1 if m and m.lastindex else None
        pos = relpath.find("/")
        while pos != -1 and best != 0:
            m = regex.fullmatch(relpath, 0, pos)
            if m and m.lastindex and (best is None or m.lastindex - 1 < best):
                best = m.lastindex - 1
            pos = relpath.find("/", pos + 1)
        return best

    def __bool__(self) -> bool:
        """Whether anything beyond the Content-Type table is asked (a rule or ``sse``)."""
        return bool(self.rules) or self.sse is not None

    @property
    def kms(self) -> bool:
        """Uploads are encrypted with KMS: their ETags are not MD5s of the content."""
        return self.sse == "aws:kms"

    def resolve(self, relpath: str) -> AttributeSet:
        """The attribute set of ``relpath`` (first matching rule, then the table, then ``sse``).

        Sets are made once per (rule, type, encoding) and shared: a run resolves every path it lists.
        """
        index = self.rule_index(relpath)
        content_type, encoding = content_type_of(relpath)
        key = (index, content_type, encoding)
        attrs = self._sets.get(key)
        if attrs is None:
            attrs = self._sets[key] = self._make(index, content_type, encoding)
        return attrs

    def _make(self, index: t.Optional[int], content_type: str, encoding: t.Optional[str]) -> AttributeSet:
        base = AttributeSet(content_type, encoding)
        fields = self.rules[index].fields if index is not None else {}
        if not fields and self.sse is None:
            return base
        attrs = replace(base, sse=self.sse, sse_kms_key_id=self.sse_kms_key_id, **fields)
        if attrs == base:
            return base
        return replace(attrs, fingerprint=fingerprint(attrs))


def fingerprint(attrs: AttributeSet) -> str:
    """12 hex characters of SHA-256 over every attribute of ``attrs`` (its own fingerprint aside)."""
    data = [attrs.content_type, attrs.content_encoding, attrs.cache_control, attrs.content_disposition,
            list(attrs.metadata), attrs.storage_class, list(attrs.tags), attrs.sse, attrs.sse_kms_key_id]
    return hashlib.sha256(json.dumps(data, separators=(",", ":")).encode()).hexdigest()[:12]


__all__ = ["AttributeSet", "ObjectAttributes", "fingerprint", "parse_rule", "STORAGE_CLASSES", "SSE_CHOICES",
           "RULE_KEYS", "MAX_TAGS", "MAX_TAG_KEY", "MAX_TAG_VALUE"]
