# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live watches of the maps' ``master`` directories: armed, re-armed, retried, reported.

**PRIVATE**: this module is internal to the s32s.sync collection.

One watchdog observer holds one recursive watch per map. The observer is made
when the first watch is set up (making it opens the inotify instance: EMFILE
once ``fs.inotify.max_user_instances`` is reached). A watch that cannot be set
up (ENOSPC once ``fs.inotify.max_user_watches`` is exhausted, the directory
missing...) leaves the map working by rescans only. Then:

* the queue holds the state that ``status`` shows (``watching``,
  ``watch_error``, ``watch_retry_at``); ``watch_failed`` is logged once per
  reason, not at every attempt;
* the watch is tried again before every rescan and on a backoff of its own:
  ``retry_base_s`` doubling up to ``retry_max_s`` (the path retry timings,
  equal jitter, :func:`rules.backoff`); an attempt is one ``stat`` and one
  ``inotify_add_watch``: with the defaults, after eight attempts in its first
  4 to 8 minutes, one every 150 to 300 s;
* once it works the error is cleared, ``watch_restored`` is logged and the map
  rescans at once: what changed while it was not watched arrives now, not at
  the next periodic rescan.

The errno hints name the sysctls of inotify(7) ("/proc interfaces"). A failed
attempt closes what it left open (:func:`close_leaked`: watchdog 2 to 6 leak an
inotify instance, and a pipe, per failed recursive watch; retried, that would
exhaust ``fs.inotify.max_user_instances`` for every program of the user).
Attempts are serialised by a lock and only watchdog opens inotify instances,
so the new ones are the attempt's own.
"""

from __future__ import annotations

import errno
import os
import random
import threading
import time
import typing as t
from dataclasses import dataclass

from . import rules
from .events import make_handler
from .queue import Queue

#: errno of a failed watch -> the sysctl that bounds it (inotify(7)).
LIMITS = {errno.ENOSPC: "fs.inotify.max_user_watches", errno.EMFILE: "fs.inotify.max_user_instances"}


def inotify_fds() -> set[int]:
    """This process's descriptors that are inotify instances (``/proc/self/fd``; empty where there is none)."""
    found = set()
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return found
    for name in names:
        try:
            if os.readlink(f"/proc/self/fd/{name}") == "anon_inode:inotify":
                found.add(int(name))
        except (OSError, ValueError):
            pass  # the descriptor of the listing itself, gone
    return found


#: The descriptors a watchdog ``Inotify`` (before 7) opens in its constructor.
_INOTIFY_ATTRS = ("_inotify_fd", "_kill_r", "_kill_w")


def close_leaked(before: t.AbstractSet[int], error: BaseException) -> None:
    """Close what a failed watch attempt left open: the inotify instances opened since ``before``
    was taken, and the descriptors of any watchdog ``Inotify`` whose constructor ``error`` came
    from (found in its traceback). watchdog 2 to 6 open them in that constructor and never close
    them when a recursive watch fails part way: each retry would cost one of the user's
    ``fs.inotify.max_user_instances`` (and, from watchdog 4 or so, a pipe of the service)."""
    leaked = inotify_fds() - set(before)
    tb = error.__traceback__
    while tb is not None:
        frame, tb = tb.tb_frame, tb.tb_next
        obj = frame.f_locals.get("self")
        if frame.f_code.co_name == "__init__" and type(obj).__module__.startswith("watchdog.observers.inotify"):
            leaked.update(fd for fd in (getattr(obj, name, None) for name in _INOTIFY_ATTRS) if isinstance(fd, int))
    for fd in leaked:
        try:
            os.close(fd)
        except OSError:
            pass


def failure_reason(root: str, error: OSError) -> str:
    """``cannot watch <root>: <strerror>`` plus, for ENOSPC and EMFILE, ``(raise <sysctl>)``."""
    limit = LIMITS.get(error.errno or 0)
    return f"cannot watch {root}: {error.strerror or error}" + (f" (raise {limit})" if limit else "")


@dataclass
class _State:
    """One map's watch: watchdog's handle and the directory's ``(st_dev, st_ino)`` while watching,
    else the failures in a row, the error text and when it is tried again."""

    handle: t.Any = None
    identity: t.Optional[tuple[int, int]] = None
    failures: int = 0
    error: t.Optional[str] = None
    retry_at: t.Optional[float] = None


class Watches:
    """The watches of a running service.

    :param make_observer: makes a watchdog ``Observer`` (tests pass a fake one).
    :param worker: below, a ``worker.MapWorker`` (``map.name``, ``map.root``, ``want_rescan``).
    :param rescan_interval_s: only named in the error text (how often a rescan picks changes up).
    """

    def __init__(self, make_observer: t.Callable[[], t.Any], queue: Queue, timing: rules.Timing,
                 rescan_interval_s: float, log: t.Callable[..., None],
                 rand: t.Callable[[], float] = random.random) -> None:
        self.make_observer, self.queue, self.timing, self.log, self.rand = make_observer, queue, timing, log, rand
        self.interval = rescan_interval_s
        self.observer: t.Any = None
        self._states: dict[str, _State] = {}
        self._lock = threading.Lock()
        queue.forget_watches()  # rows of a service that was killed

    def ensure(self, worker: t.Any, rescanning: bool = False, now: t.Optional[float] = None) -> bool:
        """Watch the worker's ``master`` (again, when it failed, went, or is another directory now);
        returns whether it is watched. A watch that works again asks for a rescan unless ``rescanning``
        (the caller is about to rescan)."""
        now = time.time() if now is None else now
        name, root = worker.map.name, worker.map.root
        with self._lock:
            state = self._states.setdefault(name, _State())
            missing: t.Optional[OSError] = None
            try:
                st = os.stat(root)
                identity: t.Optional[tuple[int, int]] = (st.st_dev, st.st_ino)
            except OSError as e:
                identity, missing = None, e
            if state.handle is not None and state.identity == identity:
                return True
            self._unschedule(state)
            try:
                if missing is not None:
                    raise missing
                state.handle = self._schedule(worker)
            except OSError as e:
                self._failed(name, state, failure_reason(root, e), now)
                return False
            recovered = state.error is not None
            state.identity, state.failures, state.error, state.retry_at = identity, 0, None, None
            self.queue.record_watch(name, True)
        if recovered:
            self.log("info", "watch_restored", map=name, msg=f"watching {root} again")
            if not rescanning:
                worker.want_rescan(now, settle=False)  # what changed while it was not watched
        return True

    def retry_due(self, workers: t.Iterable[t.Any], now: t.Optional[float] = None) -> None:
        """Try again each failed watch whose backoff is over (the service's main loop calls it)."""
        now = time.time() if now is None else now
        for worker in workers:
            state = self._states.get(worker.map.name)
            if state is not None and state.retry_at is not None and state.retry_at <= now:
                self.ensure(worker, now=now)

    def close(self) -> None:
        """Stop the observer; the status shows no live watch any more."""
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(5)
        self.queue.forget_watches()

    def _schedule(self, worker: t.Any) -> t.Any:
        """watchdog's handle of a new recursive watch of the worker's ``master`` (the observer is made
        first when there is none). :raises OSError: the observer or the watch cannot be set up."""
        if self.observer is None:
            observer = self.make_observer()
            observer.start()
            self.observer = observer
        before = inotify_fds()  # after the observer's own instance (watchdog 7), which it keeps
        try:
            return self.observer.schedule(make_handler(worker), worker.map.root, recursive=True)
        except OSError as e:
            close_leaked(before, e)  # nothing holds them: no thread started, no handle returned
            raise

    def _unschedule(self, state: _State) -> None:
        if state.handle is not None:
            try:
                self.observer.unschedule(state.handle)
            except (KeyError, OSError):
                pass
        state.handle = state.identity = None

    def _failed(self, name: str, state: _State, reason: str, now: float) -> None:
        state.failures += 1
        delay = rules.backoff(state.failures, self.timing, self.rand())
        state.retry_at = now + delay
        text = f"{reason}; until it works, changes are picked up only by rescans (every {self.interval:g} s)"
        if text != state.error:
            self.log("error", "watch_failed", map=name, retry_in_s=round(delay, 3), msg=text)
        state.error = text
        self.queue.record_watch(name, False, text, state.retry_at)


__all__ = ["Watches", "failure_reason", "inotify_fds", "close_leaked", "LIMITS"]
