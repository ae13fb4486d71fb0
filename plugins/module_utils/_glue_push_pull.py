# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module glue of ``s32s_push`` and ``s32s_pull``: parameters -> maps, options and
store -> the push or pull job.

**PRIVATE**: this module is internal to the s32s.sync collection.

It takes an ``AnsibleAWSModule``-like object (``params``, ``client()``) and
imports nothing from Ansible, so the engine stays testable on its own. The
module's ``main()`` holds the error boundary and the tail (``_glue_tail.py``).
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ._engine.config.attributes import ObjectAttributes
from ._engine.config.maps import SyncMap, load_maps, parse_maps_json, parse_s3_location
from ._engine.config.options import SyncOptions, parse_budget, parse_mode
from ._engine.errors import ConfigError, S32SError, StoreError
from ._engine.jobs.push_pull import PULL, PUSH, run_maps
from ._engine.jobs.runner import PairRun
from ._engine.sides.s3store import S3Store
from ._glue_client import client_config, make_crt


def _inline_single_map(params: t.Mapping[str, t.Any], side: str, root_option: str) -> list[dict[str, t.Any]]:
    if not params.get(root_option):
        raise ConfigError(f"option '{root_option}' is required with option 's3'")
    raw: dict[str, t.Any] = {"name": params["s3"], "s3": params["s3"], side: params[root_option]}
    if params.get("ignore") is not None:
        raw["ignore"] = params["ignore"]
    if params.get("files") is not None:
        raw["files"] = params["files"]
    return [raw]


def read_maps(params: t.Mapping[str, t.Any], store: S3Store, side: str,
              root_option: str) -> tuple[list[t.Any], str, set[tuple[str, str]]]:
    """Return ``(raw maps, source label, map file keys)`` from the one map source given.

    ``maps_s3_path`` is one ``.json`` object, or every ``.json`` object
    directly under ``prefix/`` (so ``maps-old/`` is never read). The map
    files' keys are returned so that no deletion can remove them.

    :raises ConfigError: unreadable or invalid map file, none found.
    :raises StoreError: an S3 request failed.
    """
    if params.get("s3"):
        return _inline_single_map(params, side, root_option), "option 's3'", set()
    if params.get("maps") is not None:
        return params["maps"], "option 'maps'", set()
    if params.get("maps_file"):
        path = params["maps_file"]
        try:
            with open(path, "rb") as f:
                return parse_maps_json(f.read(), path), path, set()
        except OSError as e:
            raise ConfigError(f"cannot read maps_file {path}: {e.strerror}") from None
    location = parse_s3_location(params["maps_s3_path"], "maps_s3_path")
    keys: list[str] = []
    if location.prefix and not location.prefix.endswith(".json"):
        keys = [k for k in store.list_keys(location.bucket, location.list_prefix) if k.endswith(".json")]
    if not keys:
        if not location.prefix:
            raise ConfigError(f"maps_s3_path {params['maps_s3_path']!r} holds no .json map file")
        keys = [location.prefix]
    raw: list[t.Any] = []
    for key in keys:
        source = f"s3://{location.bucket}/{key}"
        try:
            data = store.get_bytes(location.bucket, key)
        except StoreError as e:
            if e.code != "NoSuchKey":
                raise
            raise ConfigError(f"maps_s3_path {params['maps_s3_path']!r}: no map file at {source} and no .json object "
                              f"under s3://{location.bucket}/{location.list_prefix}", code="NoSuchKey") from None
        raw.extend(parse_maps_json(data, source))
    label = f"s3://{location.bucket}/{keys[0]}" if len(keys) == 1 else f"s3://{location.bucket}/{location.list_prefix}"
    return raw, label, {(location.bucket, k) for k in keys}


def build_options(params: t.Mapping[str, t.Any], protected: set[tuple[str, str]]) -> SyncOptions:
    """Validate the run options from the module parameters.

    :raises ConfigError: a bad ``max_delete``, mode, concurrency...
    """
    return SyncOptions(
        delete=params["delete"],
        max_delete=parse_budget(params["max_delete"]),
        allow_empty_source=params["allow_empty_source"],
        allow_bare_bucket=params["allow_bare_bucket"],
        follow_symlinks=params.get("follow_symlinks") or "inside_root",
        concurrency=params["concurrency"],
        transfer_processes=params.get("transfer_processes") or 0,
        list_files=params["list_files"],
        owner=params.get("owner"),
        group=params.get("group"),
        mode=parse_mode(params.get("mode"), "mode"),
        directory_mode=parse_mode(params.get("directory_mode"), "directory_mode"),
        state_dir=params["state_dir"] if params["use_manifest"] else None,
        lock_dir=params["state_dir"],
        lock_timeout=params.get("lock_timeout", 60.0),
        ordered=params.get("ordered", True),
        preserve_mode=params.get("preserve_mode", True),
        protected_keys=frozenset(protected),
        attributes=ObjectAttributes(params.get("object_attributes"), params.get("sse"), params.get("sse_kms_key_id")),
    )


@dataclass
class MapsJob:
    """A push or pull as the module asked for it.

    :ivar direction: ``push`` or ``pull``.
    :ivar store: the S3 transport (its ``crt`` says which client sends small objects).
    :ivar maps: the selected, validated maps.
    :ivar options: the run options.
    :ivar warnings: warnings of the map files (unknown fields...).
    :ivar endpoint: the endpoint URL (``''``: AWS).
    """

    direction: str
    store: S3Store
    maps: list[SyncMap]
    options: SyncOptions
    warnings: list[str]
    endpoint: str

    @classmethod
    def from_module(cls, module: t.Any, direction: str) -> "MapsJob":
        """Read the maps and validate the options of ``s32s_push`` (``direction='push'``) or ``s32s_pull``.

        :raises ConfigError: invalid maps or options. :raises StoreError: a map file cannot be read.
        """
        params = module.params
        side, root_option = ("master", "src") if direction == PUSH else ("slave", "dest")
        config = client_config(params)
        client = module.client("s3", config=config)
        store = S3Store(client, client_factory=lambda: module.client("s3", config=config),
                        crt=make_crt(params, client), request_payer=params.get("request_payer") or "")
        raw, source, protected = read_maps(params, store, side, root_option)
        maps, warnings = load_maps(raw, side, source, params.get("names"))
        try:
            options = build_options(params, protected)
        except S32SError as e:
            e.warnings[:0] = warnings  # reported with the failure
            raise
        return cls(direction, store, maps, options, warnings, params.get("endpoint_url") or "")

    @property
    def transfer_client(self) -> str:
        """``crt`` or ``classic``: what sends objects below the multipart threshold."""
        return "crt" if self.store.crt is not None else "classic"

    def run(self, check_mode: bool,
            before_changes: t.Optional[t.Callable[[], None]] = None) -> list[PairRun]:
        """Plan every map, then apply them unless ``check_mode``.

        :param before_changes: called once before the first change (``runner.run_pairs``).
        :raises PlanningError: a map could not be planned; nothing was changed.
        """
        return run_maps(self.direction, self.maps, self.store, self.options, check_mode=check_mode,
                        endpoint=self.endpoint, before_changes=before_changes)


__all__ = ["MapsJob", "read_maps", "build_options", "PUSH", "PULL"]
