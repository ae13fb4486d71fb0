# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The push and pull jobs: S32S maps between local directories and S3.

**PRIVATE**: this module is internal to the s32s.sync collection.

A push makes each map's ``prefix/`` equal to its ``master`` directory; a
pull makes each ``slave`` directory equal to the map's ``prefix/``. Both
are the same job over :class:`runner.Pair` of a local side and an S3 side;
only the order of the sides differs. Every map is planned and gated before
the first change of the job.
"""

from __future__ import annotations

import typing as t

from ..config.maps import SyncMap
from ..config.options import SyncOptions
from ..sides.local import LocalSide, WriteOptions
from ..sides.s3 import S3Side
from ..sides.s3store import S3Store
from ..sides.tree import FOLLOW_NEVER
from ..state import manifest as _manifest
from .runner import Pair, PairRun, run_pairs

PUSH = "push"
PULL = "pull"


def map_pairs(direction: str, maps: t.Sequence[SyncMap], store: S3Store, options: SyncOptions,
              endpoint: str = "") -> list[Pair]:
    """One :class:`Pair` per map: local -> S3 for ``push``, S3 -> local for ``pull``.

    A pull's local side lists symlinks as entries (a link is replaced, never
    followed), takes a missing directory for an empty one, and writes with
    ``mode``, ``directory_mode``, ``owner`` and ``group``.
    """
    pairs = []
    for m in maps:
        remote = S3Side(store, m.s3, endpoint, options.concurrency)
        if direction == PUSH:
            src, dst = LocalSide(m.root, follow_symlinks=options.follow_symlinks), remote
        else:
            writes = WriteOptions(options.mode, options.directory_mode, options.owner, options.group)
            src, dst = remote, LocalSide(m.root, follow_symlinks=FOLLOW_NEVER, links_as_entries=True,
                                         must_exist=False, writes=writes)
        state_path = ""
        if options.state_dir:
            state_path = _manifest.manifest_path(options.state_dir, _manifest.LOCAL_S3, _manifest.local_identity(
                endpoint, m.s3.bucket, m.s3.prefix, m.root))
        pairs.append(Pair(m.name, f"map '{m.name}'", src, dst, ignore=m.ignore, files=m.files,
                          state_path=state_path, about={"map": m.name, "s3": str(m.s3), "root": m.root},
                          shown=(str(m.s3), m.root)))
    return pairs


def run_maps(direction: str, maps: t.Sequence[SyncMap], store: S3Store, options: SyncOptions, *,
             check_mode: bool, endpoint: str = "") -> list[PairRun]:
    """Plan every map, then (unless ``check_mode``) apply them in order.

    :param direction: ``'push'`` or ``'pull'``.
    :param endpoint: the endpoint URL (part of the state's identity).
    :returns: one :class:`PairRun` per map.
    :raises PlanningError: a map could not be planned; nothing was changed.
    :raises ConfigError: ``owner``/``group`` do not exist (before any change).
    """
    return run_pairs(map_pairs(direction, maps, store, options, endpoint), options, check_mode=check_mode)


__all__ = ["map_pairs", "run_maps", "PUSH", "PULL"]
