# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service's configuration file (``config.json``, README.md): loading and strict validation.

**PRIVATE**: this module is internal to the s32s.sync collection.

Types are checked strictly: skynet read ``complete_sync = False`` from its
config as the string ``"False"``, which is true, and deleted (issue 13).
Unknown keys are errors too, so a typo never turns an option off silently.
The maps are S32S map objects, validated by ``config/maps.py``.
"""

from __future__ import annotations

import json
import os
import typing as t
from dataclasses import dataclass, field

from ..config.maps import SyncMap, validate_map
from ..config.options import Budget, parse_budget
from ..errors import ConfigError
from .rules import Timing

VERSION = 1
CONNECTION_KEYS = ("endpoint_url", "access_key", "secret_key", "session_token", "region", "profile",
                   "addressing_style", "aws_config", "validate_certs", "aws_ca_bundle")
MAP_KEYS = ("name", "description", "s3", "master", "ignore", "mode")
PUSH_MODE = "push"
TWO_WAY_MODE = "two-way"
_TOP_KEYS = ("version", "state_dir", "settle_s", "settle_max_s", "rescan_interval_s", "delete", "max_delete",
             "allow_empty_source", "retry_base_s", "retry_max_s", "max_attempts", "connection", "maps")
#: How the safety gate's messages name the options of the service: the key of this file and the variable
#: of the role s32s.sync.watch that writes it (``SyncOptions.option_names``).
OPTION_NAMES = {key: f"{key}: {{value}} in the service configuration (role s32s.sync.watch: watch_{key})"
                for key in ("delete", "max_delete", "allow_empty_source")}


@dataclass
class WatchConfig:
    """A validated configuration; times in seconds."""

    state_dir: str
    maps: list[SyncMap]
    timing: Timing
    rescan_interval_s: float = 3600.0
    delete: bool = False
    max_delete: Budget = field(default_factory=lambda: parse_budget("50%"))
    #: Deletions from an empty watched directory (a full pass) are allowed (the budget still applies).
    allow_empty_source: bool = False
    connection: dict[str, t.Any] = field(default_factory=dict)
    source: str = "config"
    #: Names of the maps in two-way mode (``mode: two-way``); the others push.
    two_way: frozenset[str] = frozenset()


def _number(raw: t.Mapping[str, t.Any], key: str, default: float, where: str, minimum: float = 0.0,
            strict: bool = False) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}: '{key}' must be a number of seconds, got {value!r}")
    if value < minimum or (strict and value == minimum):
        bound = "more than" if strict else "at least"
        raise ConfigError(f"{where}: '{key}' must be {bound} {minimum:g}, got {value!r}")
    return float(value)


def _flag(raw: t.Mapping[str, t.Any], key: str, where: str) -> bool:
    """A JSON boolean (default false); a string such as ``"False"`` is an error, not a truth."""
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: '{key}' must be true or false (a JSON boolean), got {value!r}")
    return value


def _connection(raw: t.Any, where: str) -> dict[str, t.Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'connection' must be an object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(CONNECTION_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) in 'connection': {unknown} (known: {list(CONNECTION_KEYS)})")
    conn = {k: v for k, v in raw.items() if v is not None}
    for key, value in conn.items():
        if key == "aws_config":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: 'connection.aws_config' must be an object")
        elif key == "validate_certs":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: 'connection.validate_certs' must be true or false, got {value!r}")
        elif not isinstance(value, str):
            raise ConfigError(f"{where}: 'connection.{key}' must be a string, got {type(value).__name__}")
    style = conn.get("addressing_style", "auto")
    if style not in ("auto", "path", "virtual"):
        raise ConfigError(f"{where}: 'connection.addressing_style' must be auto, path or virtual, got {style!r}")
    return conn


def _maps(raw: t.Any, where: str) -> tuple[list[SyncMap], frozenset[str]]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: 'maps' must be a non-empty list of map objects")
    maps: list[SyncMap] = []
    two_way: set[str] = set()
    for index, item in enumerate(raw):
        if isinstance(item, dict):
            unknown = sorted(set(item) - set(MAP_KEYS))
            if unknown:
                raise ConfigError(f"{where}: map #{index} has unknown key(s) {unknown} (known: {list(MAP_KEYS)})")
            mode = item.get("mode", PUSH_MODE)
            if mode not in (PUSH_MODE, TWO_WAY_MODE):
                raise ConfigError(f"{where}: map #{index}: 'mode' must be 'push' or 'two-way', got {mode!r}")
            item = {k: v for k, v in item.items() if k != "mode"}
        else:
            mode = PUSH_MODE
        sync_map, _warnings = validate_map(item, "master", index, where)
        if any(m.name == sync_map.name for m in maps):
            raise ConfigError(f"{where}: map '{sync_map.name}' appears twice")
        maps.append(sync_map)
        if mode == TWO_WAY_MODE:
            two_way.add(sync_map.name)
    return maps, frozenset(two_way)


def parse_config(raw: t.Any, source: str = "config") -> WatchConfig:
    """Validate a decoded configuration object.

    :raises ConfigError: one line naming ``source`` and the key.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: must hold a JSON object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(_TOP_KEYS))
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {unknown} (known: {list(_TOP_KEYS)})")
    if raw.get("version") != VERSION or isinstance(raw.get("version"), bool):
        raise ConfigError(f"{source}: 'version' must be {VERSION}, got {raw.get('version')!r}")
    state_dir = raw.get("state_dir")
    if not isinstance(state_dir, str) or not os.path.isabs(state_dir):
        raise ConfigError(f"{source}: 'state_dir' must be an absolute path, got {state_dir!r}")
    delete = _flag(raw, "delete", source)
    allow_empty_source = _flag(raw, "allow_empty_source", source)
    settle = _number(raw, "settle_s", 2.0, source)
    settle_max = _number(raw, "settle_max_s", max(60.0, settle), source)
    if settle_max < settle:
        raise ConfigError(f"{source}: 'settle_max_s' ({settle_max:g}) must be at least 'settle_s' ({settle:g})")
    attempts = raw.get("max_attempts", 5)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ConfigError(f"{source}: 'max_attempts' must be a whole number of at least 1, got {attempts!r}")
    timing = Timing(settle_s=settle, settle_max_s=settle_max,
                    retry_base_s=_number(raw, "retry_base_s", 2.0, source, strict=True),
                    retry_max_s=_number(raw, "retry_max_s", 300.0, source, strict=True), max_attempts=attempts)
    try:
        budget = parse_budget(raw.get("max_delete", "50%"))
    except ConfigError as e:
        raise ConfigError(f"{source}: {e.msg}") from None
    maps, two_way = _maps(raw.get("maps"), source)
    return WatchConfig(state_dir=os.path.normpath(state_dir), maps=maps, two_way=two_way, timing=timing,
                       rescan_interval_s=_number(raw, "rescan_interval_s", 3600.0, source, strict=True),
                       delete=delete, max_delete=budget, allow_empty_source=allow_empty_source,
                       connection=_connection(raw.get("connection"), source), source=source)


def load_config(path: str) -> WatchConfig:
    """Read and validate the configuration file at ``path``.

    :raises ConfigError: unreadable, not JSON, or invalid.
    """
    try:
        with open(path, "rb") as f:
            text = f.read()
    except OSError as e:
        raise ConfigError(f"cannot read the configuration {path}: {e.strerror}") from None
    try:
        raw = json.loads(text)
    except ValueError as e:
        raise ConfigError(f"{path} is not valid JSON: {e}") from None
    return parse_config(raw, path)


__all__ = ["WatchConfig", "parse_config", "load_config", "CONNECTION_KEYS", "VERSION", "OPTION_NAMES"]
