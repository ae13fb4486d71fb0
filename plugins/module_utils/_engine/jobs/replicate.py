# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replicate job: one S3 source, several independent S3 destinations.

**PRIVATE**: this module is internal to the s32s.sync collection.

The source is listed once; each destination is a :class:`runner.Pair` of two
S3 sides, planned with the ETag comparator, gated and applied on its own: a
destination that fails is reported and does not stop the others (the s3s3
tool this replaces stopped at the first error). A targeted run (``keys``) lists and plans
just those keys. Each destination keeps its marker of unreported changes
(``state/unreported.py``) in the ``state_dir``, as a map of push or pull.
"""

from __future__ import annotations

import typing as t

from ..config.ignore import IgnoreRules
from ..config.maps import S3Location
from ..config.options import SyncOptions
from ..errors import S32SError
from ..paths import unsafe_reason
from ..sides.s3 import S3Side
from ..sides.s3store import S3Store
from ..state import manifest as _manifest
from ..state.unreported import marker_path
from .runner import Pair, PairRun, run_pairs


class Destination(t.NamedTuple):
    """One replication target: ``label`` names it in results; ``store`` is the
    source's own store when it is the same endpoint with the same credentials
    (copies are then server-side); ``endpoint`` is part of the state's identity."""

    label: str
    store: S3Store
    location: S3Location
    endpoint: str


def overlaps(endpoint_a: str, a: S3Location, endpoint_b: str, b: S3Location) -> bool:
    """Whether two locations of one endpoint share keys (one ``prefix/`` contains the other)."""
    if endpoint_a != endpoint_b or a.bucket != b.bucket:
        return False
    return a.list_prefix.startswith(b.list_prefix) or b.list_prefix.startswith(a.list_prefix)


def keys_to_relpaths(keys: t.Sequence[str], location: S3Location) -> list[str]:
    """Turn the full source keys of a targeted run into relpaths under ``prefix/``.

    :raises S32SError: a key outside the source prefix, or unsafe.
    """
    out = []
    for key in keys:
        if not key.startswith(location.list_prefix):
            raise S32SError(f"key {key!r} is not under the source {location}")
        relpath = key[len(location.list_prefix):]
        reason = unsafe_reason(relpath)
        if reason:
            raise S32SError(f"key {key!r} is unsafe: {reason}")
        out.append(relpath)
    return sorted(set(out))


def replicate(src_store: S3Store, src_loc: S3Location, src_endpoint: str, dests: t.Sequence[Destination],
              ignore: IgnoreRules, options: SyncOptions, *, check_mode: bool,
              keys: t.Optional[t.Sequence[str]] = None) -> list[PairRun]:
    """Replicate ``src_loc`` to every destination, each on its own.

    :param keys: full source keys of a targeted run, or ``None`` for a full run.
    :returns: one :class:`PairRun` per destination (status ``ok``, ``planned``,
        ``failed`` or ``refused`` with ``error``).
    :raises S32SError: the source could not be listed or ``keys`` are invalid
        (nothing was changed anywhere).
    """
    only = set(keys_to_relpaths(keys, src_loc)) if keys is not None else None
    src = S3Side(src_store, src_loc, src_endpoint, options.concurrency)
    src_tree = src.list_all(ignore) if only is None else src.list_selected(sorted(only), ignore)
    pairs = []
    for dest in dests:
        label = f"destination '{dest.label}'"

        def precheck(dest: Destination = dest, label: str = label) -> None:
            if overlaps(src_endpoint, src_loc, dest.endpoint, dest.location):
                raise S32SError(f"{label}: {dest.location} overlaps the source {src_loc}")

        state_path = ""
        if options.state_dir:
            state_path = _manifest.manifest_path(options.state_dir, _manifest.S3_S3, (
                src_endpoint, src_loc.bucket, src_loc.prefix, dest.endpoint, dest.location.bucket,
                dest.location.prefix))
        identity = (src_endpoint, src_loc.bucket, src_loc.prefix, dest.endpoint, dest.location.bucket,
                    dest.location.prefix)
        unreported_path = marker_path(options.lock_dir, "replicate", identity) if options.lock_dir else ""
        dst = S3Side(dest.store, dest.location, dest.endpoint, options.concurrency)
        pairs.append(Pair(dest.label, label, src, dst, ignore=ignore, only=only, state_path=state_path,
                          about={"src": str(src_loc), "dest": str(dest.location)},
                          shown=(str(dest.location), ""), src_tree=src_tree, precheck=precheck,
                          unreported_path=unreported_path))
    return run_pairs(pairs, options, check_mode=check_mode, independent=True)


__all__ = ["Destination", "replicate", "keys_to_relpaths", "overlaps"]
