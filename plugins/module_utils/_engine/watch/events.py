# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""watchdog events -> dirty paths and rescan requests of a map's worker.

**PRIVATE**: this module is internal to the s32s.sync collection.

An event never says what to do (``rules.py``): a file event marks its
path(s) dirty (both ends of a move); a directory that appears, moves or
goes asks for a settled rescan (its files may have arrived before its watch
did); an event on the watched directory itself (deleted, unmounted) asks for
one at once. Reads (``opened``, ``closed_no_write``) and the directories'
own modifications are not changes. In a two-way map every event asks for a
settled pass (a two-way pass is a full sync), except in the names the pass
writes itself (trash, lock). watchdog is imported here only, and only
by ``run`` (``status`` works without it).
"""

from __future__ import annotations

import os
import time
import typing as t

#: The event types that may change a path's content or existence.
CHANGES = ("created", "modified", "deleted", "moved", "closed", "attrib")
#: The directory event types that ask for a rescan.
DIR_CHANGES = ("created", "deleted", "moved")
#: Top-level names a two-way pass writes itself (its trash, its lock): not changes of the user.
OWN_NAMES = (".s32s-trash", ".s32s-sync")


def relpath_in(root: str, path: t.Union[str, bytes]) -> t.Optional[str]:
    """``path`` relative to ``root`` with ``/`` separators; ``''`` for ``root``
    itself; ``None`` outside it."""
    text = os.fsdecode(path)
    if not text:
        return None
    rel = os.path.relpath(text, root)
    if rel == ".":
        return ""
    if rel == ".." or rel.startswith(".." + os.sep):
        return None
    return rel.replace(os.sep, "/")


def route(worker: t.Any, event_type: str, is_directory: bool, paths: t.Sequence[t.Union[str, bytes]],
          now: float) -> None:
    """Pass one event to ``worker`` (a ``worker.MapWorker``), by the rules above."""
    if event_type not in CHANGES:
        return
    root = worker.map.root
    for path in paths:
        rel = relpath_in(root, path)
        if rel is None:
            continue
        if rel == "":
            if event_type in DIR_CHANGES:
                worker.want_rescan(now, settle=False)
        elif getattr(worker, "two_way", False):  # every pass is a full sync: no path to mark
            if rel.split("/", 1)[0] not in OWN_NAMES and not worker.map.ignore.matches(rel) \
                    and (not is_directory or event_type in DIR_CHANGES):
                worker.want_rescan(now)
        elif is_directory:
            if event_type in DIR_CHANGES:
                worker.want_rescan(now)
        elif not worker.map.ignore.matches(rel):
            worker.mark(rel, now)


def make_handler(worker: t.Any) -> t.Any:
    """A ``watchdog`` event handler feeding ``worker``. :raises ImportError: no watchdog."""
    from watchdog.events import FileSystemEventHandler  # pylint: disable=import-outside-toplevel

    class Handler(FileSystemEventHandler):  # type: ignore[misc]
        """Routes every event of the watched directory (:func:`route`)."""

        def dispatch(self, event: t.Any) -> None:
            paths = [event.src_path]
            if getattr(event, "dest_path", ""):
                paths.append(event.dest_path)
            route(worker, event.event_type, event.is_directory, paths, time.time())

    return Handler()


__all__ = ["make_handler", "route", "relpath_in", "CHANGES"]
