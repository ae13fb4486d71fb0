# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S32S map files: parsing and validation.

**PRIVATE**: this module is internal to the s32s.sync collection.

A map file is a JSON array of objects (seed ``000``, "Creare un file di
mappatura"): ``name`` (required), ``description``, ``s3`` (required,
``bucket/prefix`` or ``s3://bucket/prefix``), ``master`` (required to push),
``slave`` (required to pull), ``ignore`` (list of rules), ``files`` (list of
paths relative to the map root). Existing S32S files work unchanged; unknown
fields are reported as warnings and otherwise ignored.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import typing as t
from dataclasses import dataclass, field

from ..errors import ConfigError
from .ignore import IgnoreRules
from ..paths import unsafe_reason

KNOWN_FIELDS = ("name", "description", "s3", "master", "slave", "ignore", "files")
_BUCKET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$")


@dataclass(frozen=True)
class S3Location:
    """An S3 location: ``bucket`` and ``prefix`` (``''`` or ``a/b``, no slash at either end).

    The location always means ``prefix/``: ``site`` never includes ``site-old/``
    nor ``site.json`` (promise 1 of ``docs/safety.md``).
    """

    bucket: str
    prefix: str

    @property
    def list_prefix(self) -> str:
        """The ``Prefix`` to list: ``'a/b/'``, or ``''`` for a bare bucket."""
        return self.prefix + "/" if self.prefix else ""

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.list_prefix}"


@dataclass
class SyncMap:
    """One validated S32S map.

    ``root`` is the absolute local directory of the side being run (``master``
    for push, ``slave`` for pull); ``files`` is ``None`` for a directory map;
    ``unknown_fields``: the fields of the map object that were ignored (sorted).
    """

    name: str
    s3: S3Location
    root: str
    description: str = ""
    ignore: IgnoreRules = field(default_factory=IgnoreRules)
    files: t.Optional[list[str]] = None
    unknown_fields: tuple[str, ...] = ()

    @property
    def unknown_note(self) -> str:
        """What a refusal of this map adds when the map had unknown fields (a
        typo such as ``fles`` turns a ``files`` map into a directory map), else ``''``."""
        if not self.unknown_fields:
            return ""
        return "; note: this map has " + ", ".join(unknown_field(k) for k in self.unknown_fields)


def unknown_field(key: str) -> str:
    """``unknown field 'fles' ignored (a typo of 'files'?)``: the closest known field, when one is close."""
    close = difflib.get_close_matches(key, KNOWN_FIELDS, n=1, cutoff=0.6)
    return f"unknown field '{key}' ignored" + (f" (a typo of '{close[0]}'?)" if close else "")


def parse_s3_location(value: t.Any, where: str = "s3") -> S3Location:
    """Parse ``bucket[/prefix]`` or ``s3://bucket[/prefix]`` into an :class:`S3Location`.

    :raises ConfigError: not a string, no bucket, an invalid bucket name, or
        a prefix with unsafe segments (``..``, ``//``, control characters).
    """
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a non-empty string like 'bucket/prefix', got {value!r}")
    text = value.strip()
    if text.lower().startswith("s3://"):
        text = text[5:]
    bucket, _sep, prefix = text.partition("/")
    prefix = prefix.strip("/")
    if not _BUCKET_RE.match(bucket):
        raise ConfigError(f"{where} has an invalid bucket name {bucket!r} (from {value!r})")
    if prefix:
        reason = unsafe_reason(prefix)
        if reason:
            raise ConfigError(f"{where} has an unsafe prefix {prefix!r}: {reason}")
    return S3Location(bucket, prefix)


def parse_maps_json(text: t.Union[str, bytes], source: str) -> list[dict[str, t.Any]]:
    """Decode the JSON text of a map file; ``source`` names it in errors.

    :raises ConfigError: invalid JSON (with line and column) or not an array.
    """
    try:
        data = json.loads(text)
    except ValueError as e:
        raise ConfigError(f"map file {source} is not valid JSON: {e}") from None
    if not isinstance(data, list):
        raise ConfigError(f"map file {source} must hold a JSON array of maps, got {type(data).__name__}")
    return data


def _opt_str(raw: dict[str, t.Any], key: str, where: str) -> t.Optional[str]:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where} field '{key}' must be a string, got {type(value).__name__}")
    return value


def _root(raw: dict[str, t.Any], side: str, where: str) -> str:
    value = _opt_str(raw, side, where)
    if not value or not value.strip():
        raise ConfigError(f"{where} field '{side}' is required to {'push' if side == 'master' else 'pull'}")
    path = os.path.expanduser(value.strip())
    if not os.path.isabs(path):
        raise ConfigError(f"{where} field '{side}' must be an absolute path, got {value!r}")
    return os.path.normpath(path)


def _files(raw: dict[str, t.Any], where: str) -> t.Optional[list[str]]:
    if "files" not in raw or raw["files"] is None:
        return None
    value = raw["files"]
    if isinstance(value, str) or not isinstance(value, list) or not value:
        raise ConfigError(f"{where} field 'files' must be a non-empty list of relative paths")
    files = []
    for item in value:
        if not isinstance(item, str):
            raise ConfigError(f"{where} field 'files' holds a {type(item).__name__}, not a path")
        relpath = item.strip()
        while relpath.startswith("./"):
            relpath = relpath[2:]
        reason = unsafe_reason(relpath)
        if reason:
            raise ConfigError(f"{where} field 'files' holds an unsafe path {item!r}: {reason}")
        files.append(relpath)
    return sorted(set(files))


def validate_map(raw: t.Any, side: str, index: int, source: str) -> tuple[SyncMap, list[str]]:
    """Validate one raw map object for ``side`` (``'master'`` or ``'slave'``).

    :returns: the :class:`SyncMap` and a list of warnings (unknown fields).
    :raises ConfigError: a message naming the map (or its index) and the field.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"map #{index} in {source} must be an object, got {type(raw).__name__}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"map #{index} in {source}: field 'name' is required and must be a non-empty string")
    where = f"map '{name}' in {source}:"
    description = _opt_str(raw, "description", where) or ""
    if "s3" not in raw:
        raise ConfigError(f"{where} field 's3' is required")
    location = parse_s3_location(raw["s3"], f"{where} field 's3'")
    ignore = IgnoreRules(raw.get("ignore"), f"{where} field 'ignore'")
    unknown = tuple(sorted(str(k) for k in raw if k not in KNOWN_FIELDS))
    sync_map = SyncMap(name=name, s3=location, root=_root(raw, side, where), description=description,
                       ignore=ignore, files=_files(raw, where), unknown_fields=unknown)
    return sync_map, [f"{where} {unknown_field(key)}" for key in unknown]


def load_maps(raw_maps: t.Any, side: str, source: str,
              names: t.Optional[t.Sequence[str]] = None) -> tuple[list[SyncMap], list[str]]:
    """Validate every map, then keep those named in ``names`` (all when ``None``
    or empty), sorted by name as S32S does.

    Every map is validated, selected or not, so that a broken map file fails
    before any change.

    :param raw_maps: the decoded JSON array (or the ``maps`` option).
    :param side: ``'master'`` (push) or ``'slave'`` (pull).
    :returns: ``(maps, warnings)``.
    :raises ConfigError: invalid maps, duplicate names, unknown ``names``.
    """
    if not isinstance(raw_maps, list):
        raise ConfigError(f"maps from {source} must be a list of map objects, got {type(raw_maps).__name__}")
    if not raw_maps:
        raise ConfigError(f"maps from {source} is an empty list")
    maps: list[SyncMap] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_maps):
        sync_map, warn = validate_map(raw, side, index, source)
        if sync_map.name in seen:
            raise ConfigError(f"map '{sync_map.name}' appears twice in {source}")
        seen.add(sync_map.name)
        maps.append(sync_map)
        warnings.extend(warn)
    if names is not None and (isinstance(names, str) or not isinstance(names, (list, tuple))
                              or not all(isinstance(n, str) for n in names)):
        raise ConfigError(f"names must be a list of map names, got {names!r}")
    if names:
        unknown = sorted(set(names) - seen)
        if unknown:
            raise ConfigError(f"names {unknown} match no map in {source} (maps: {sorted(seen)})")
        maps = [m for m in maps if m.name in set(names)]
    maps.sort(key=lambda m: m.name)
    return maps, warnings


__all__ = ["S3Location", "SyncMap", "parse_s3_location", "parse_maps_json", "validate_map", "load_maps",
           "unknown_field"]
