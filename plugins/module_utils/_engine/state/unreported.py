# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unreported changes: "this pair was changed, and no run has reported it yet".

**PRIVATE**: this module is internal to the s32s.sync collection.

A run writes a small marker file in ``state_dir`` before the first change of
a pair (a map of push or pull) and the front door removes it when it
reports the run (just before the module writes its result). A run whose
result never reached its caller (Ctrl-C, a cancelled AWX job, a dropped SSH
connection, a killed process) leaves the marker, and the next run of the
same pair reports ``changed`` for it, so that handlers still fire.

Unlike the manifest (a cache), a marker is a fact: losing it loses a
notification, so it is written before the change it announces, atomically
(temporary file, ``fsync``, rename). Its content (JSON: the pair's
descriptive strings and the time it was written) is for humans.
"""

from __future__ import annotations

import hashlib
import os
import time
import typing as t

from .atomic import write_json


def marker_path(state_dir: str, direction: str, identity: t.Sequence[str]) -> str:
    """The marker of one pair and direction: ``<state_dir>/<direction>-<32 hex>.unreported``.

    :param direction: ``push`` or ``pull`` (a push and a pull of the same pair
        notify different handlers, so they have different markers).
    :param identity: the strings that name the pair (endpoint, bucket, prefix,
        the real path of the local root).
    """
    ident = "\0".join(("unreported", direction) + tuple(identity))
    digest = hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return os.path.join(os.path.expanduser(state_dir), f"{direction}-{digest}.unreported")


def is_marked(path: str) -> bool:
    """Whether an earlier run left the marker ``path`` (an unreported change)."""
    return os.path.lexists(path)


def mark(path: str, about: t.Mapping[str, str]) -> None:
    """Write the marker ``path`` (mode 0600, its directory 0700) and make it durable.

    :raises OSError: the state directory cannot be created or written.
    """
    write_json(path, {"about": dict(about), "since": int(time.time())}, prefix=".unreported-", durable=True)


def clear(path: str) -> bool:
    """Remove the marker ``path``.

    :returns: whether there was one (gone already: ``False``).
    :raises OSError: it exists but cannot be removed.
    """
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False


__all__ = ["marker_path", "is_marked", "mark", "clear"]
