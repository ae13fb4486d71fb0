# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The worker of one map: dirty paths -> targeted passes; rescans.

**PRIVATE**: this module is internal to the s32s.sync collection.

Events (``events.py``) only put a path in the worker's inbox; the worker
moves the inbox to the queue, sends the paths that are ready
(``rules.is_ready``) and decides each one from the file's state at that
moment (``rules.action_for``): exists -> the targeted push plan uploads it
if it differs from S3; gone -> deleted only with ``delete`` and through the
safety gate; gone without ``delete`` -> dropped. Rescans (the full push plan)
run at start, every ``rescan_interval_s`` (+/- 10 % jitter), after a
watch error, when a directory appears, moves or goes (settled like a path),
on request, and after a problem of the whole map (backing off). One worker
per map: a slow map never holds another.
"""

from __future__ import annotations

import os
import random
import threading
import time
import typing as t

from ..config.maps import SyncMap
from ..config.options import SyncOptions
from ..paths import local_path
from ..sides.s3store import S3Store
from . import rules
from .passes import MAP_PROBLEM, REFUSED, Outcome, run_pass
from .queue import Queue, destination_of
from .renames import copy_renamed
from .two_way_pass import run_two_way

#: Most paths in one targeted pass (a stop request waits for one pass at most).
BATCH = 200
#: Longest sleep of an idle worker (seconds): the loop only reads the local queue.
IDLE_WAKE_S = 5.0
#: Log event of each kind of action a pass applied.
_DONE_EVENTS = {"create": "sent", "update": "sent", "upload": "sent", "delete": "deleted", "download": "received",
                "local_delete": "deleted_locally", "rename": "renamed"}


class MapWorker(threading.Thread):
    """The thread of map ``m``.

    :param stop: set by the service to end the thread after its current pass.
    :param log: a ``log.JsonLog``.
    :param ensure_watch: called before each rescan (re-arms a lost watch).
    :param two_way: the map syncs both ways (``two_way_pass.py``): every pass is
        a full two-way sync, asked for by local events (settled) and the timer.
    """

    def __init__(self, m: SyncMap, queue: Queue, store: S3Store, options: SyncOptions, endpoint: str,
                 rescan_interval_s: float, log: t.Callable[..., None], stop: threading.Event,
                 ensure_watch: t.Optional[t.Callable[["MapWorker"], None]] = None, two_way: bool = False) -> None:
        super().__init__(name=f"s32s-watch-{m.name}", daemon=True)
        self.map, self.queue, self.store, self.options, self.endpoint = m, queue, store, options, endpoint
        self.interval, self.log, self.stop, self.ensure_watch = rescan_interval_s, log, stop, ensure_watch
        self.two_way = two_way
        self.timing = queue.timing
        self.wake = threading.Event()
        self._inbox: dict[str, float] = {}
        self._inbox_lock = threading.Lock()
        self._rescan_first: t.Optional[float] = None
        self._rescan_last = 0.0
        self.rescan_now = True  # at start
        self.requested = False
        self.next_periodic = float("inf")
        self.backoff_until = 0.0
        self.map_failures = 0
        self.scans_started = 0
        self.last_finished = 0
        self.last_scan_ok = False

    def claim_destination(self) -> None:
        """Before the first pass: the map's counters are those of its current ``s3`` and endpoint
        (``Queue.claim``); a map pointed elsewhere since the last run starts new ones, logged."""
        previous = self.queue.claim(self.map.name, destination_of(self.endpoint, self.map.s3))
        if previous is not None:
            self.log("info", "destination_changed", map=self.map.name, s3=str(self.map.s3), previous=previous,
                     msg="the map sends to another destination: its counters start again")

    # -- called from other threads -------------------------------------------
    def mark(self, relpath: str, now: float) -> None:
        """An event on ``relpath`` (watchdog's thread)."""
        with self._inbox_lock:
            self._inbox[relpath] = now
        self.wake.set()

    def want_rescan(self, now: float, settle: bool = True) -> None:
        """Ask for a rescan: settled (a directory event) or as soon as possible (a watch error)."""
        if settle:
            if self._rescan_first is None:
                self._rescan_first = now
            self._rescan_last = now
        else:
            self.rescan_now = True
        self.wake.set()

    def request_rescan(self) -> None:
        """A rescan asked for on the command line: runs next, even while the map backs off."""
        self.requested = True
        self.wake.set()

    # -- the loop --------------------------------------------------------------
    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.step()
            except Exception as e:  # pylint: disable=broad-except  # never a dead or spinning thread
                self._map_problem(f"map '{self.map.name}': internal error: {type(e).__name__}: {e}")
            self.wake.wait(self._sleep_s())
            self.wake.clear()
        self.flush()  # the events seen so far stay on disk

    def flush(self) -> None:
        """Move the inbox into the queue (one transaction)."""
        with self._inbox_lock:
            inbox, self._inbox = self._inbox, {}
        self.queue.mark_many(self.map.name, inbox)

    def step(self) -> None:
        """One turn: flush, then a rescan if one is due, else one targeted pass of the ready paths."""
        self.flush()
        now = time.time()
        if self._rescan_due(now):
            self.rescan()
            return
        if now < self.backoff_until:
            return
        entries = self.queue.ready(self.map.name, now, BATCH)
        if entries:
            self.send(entries)

    def _rescan_due(self, now: float) -> bool:
        if self.requested:
            return True
        if now < self.backoff_until:
            return False
        if self.rescan_now or now >= self.next_periodic:
            return True
        first = self._rescan_first
        return first is not None and min(self._rescan_last + self.timing.settle_s,
                                         first + self.timing.settle_max_s) <= now

    def _sleep_s(self) -> float:
        now = time.time()
        times = [self.next_periodic, now + IDLE_WAKE_S]
        if self.rescan_now or self.requested:
            times.append(now)
        if self._rescan_first is not None:
            times.append(min(self._rescan_last + self.timing.settle_s, self._rescan_first + self.timing.settle_max_s))
        ready = self.queue.next_ready(self.map.name)
        if ready is not None:
            times.append(ready)
        when = min(times)
        if self.backoff_until > when and not self.requested:
            when = self.backoff_until
        return min(IDLE_WAKE_S, max(0.005, when - now))

    # -- passes ----------------------------------------------------------------
    def send(self, entries: t.Sequence[rules.Entry]) -> None:
        """One targeted pass of ``entries``: the existing paths, then (``delete``) the vanished ones."""
        taken_at = time.time()
        by_action: dict[str, list[str]] = {rules.SEND: [], rules.DELETE: [], rules.DROP: []}
        for entry in entries:
            by_action[rules.action_for(_exists(local_path(self.map.root, entry.relpath)),
                                       self.options.delete)].append(entry.relpath)
        if by_action[rules.DROP]:
            self.queue.update(self.map.name, lambda e: rules.after_success(e, taken_at), by_action[rules.DROP])
        gone = by_action[rules.DELETE] + by_action[rules.DROP]
        if by_action[rules.SEND] and gone and self.options.state_dir:
            for old, new in copy_renamed(self.map, self.store, self.options.state_dir, self.endpoint,
                                         by_action[rules.SEND], gone):
                self.log("info", "copied", map=self.map.name, path=new, source=old)
        for kind in (rules.SEND, rules.DELETE):
            batch = by_action[kind]
            if batch and not self.stop.is_set():
                outcome = run_pass(self.map, self.store, self.options, self.endpoint, only=set(batch))
                self._settle_pass(batch, outcome, taken_at)

    def _settle_pass(self, batch: t.Sequence[str], outcome: Outcome, taken_at: float) -> None:
        name, now, timing = self.map.name, time.time(), self.timing
        if outcome.problem == MAP_PROBLEM:
            self._map_problem(t.cast(str, outcome.error))
            return
        self.map_failures = 0
        failed = dict(outcome.failed)
        if outcome.problem == REFUSED:
            failed = {p: t.cast(str, outcome.error) for p in batch}
        self._log_done(outcome)

        def settle(entry: rules.Entry) -> t.Optional[rules.Entry]:
            if entry.relpath in failed:
                after = rules.after_failure(entry, now, failed[entry.relpath], timing, self.queue.rand())
                self.log("error" if after.dead else "warning", "dead_letter" if after.dead else "failed", map=name,
                         path=entry.relpath, attempts=after.attempts, msg=after.reason)
                return after
            if entry.relpath in outcome.held:
                return rules.after_blocked(entry, now, outcome.held[entry.relpath], timing)
            return rules.after_success(entry, taken_at)

        self.queue.update(name, settle, batch)
        self.queue.record(name, sent=outcome.sent, deleted=outcome.deleted, failed=len(failed), error=outcome.error)

    def rescan(self) -> bool:
        """One full pass of the map (the push plan over everything); returns whether it was clean."""
        self.rescan_now = self.requested = False
        self._rescan_first = None
        self.scans_started += 1
        index = self.scans_started
        started = time.time()
        if self.ensure_watch is not None:
            self.ensure_watch(self)
        self.log("info", "rescan", map=self.map.name)
        if self.two_way:
            outcome = run_two_way(self.map, self.store, self.options, self.endpoint)
        else:
            outcome = run_pass(self.map, self.store, self.options, self.endpoint)
        now = time.time()
        name = self.map.name
        ok = False
        if outcome.problem == MAP_PROBLEM:
            self._map_problem(t.cast(str, outcome.error), scanned=True, now=now)
            self.rescan_now = True  # again once the backoff is over
        elif outcome.problem == REFUSED:
            self.map_failures = 0
            self.queue.record(name, error=outcome.error, scanned=True, now=now)
            self.log("error", "refused", map=name, msg=outcome.error)
        else:
            self.map_failures = 0
            self._log_done(outcome)
            timing = self.timing
            self.queue.update(name, lambda e: rules.after_rescan(e, started, outcome.failed, set(outcome.held), now,
                                                                 timing, self.queue.rand()))
            ok = not outcome.error and not outcome.failed
            self.queue.record(name, sent=outcome.sent, deleted=outcome.deleted, failed=len(outcome.failed),
                              error=outcome.error, scanned=True, success=ok, now=now)
            if outcome.error:
                self.log("warning", "rescan_failed", map=name, msg=outcome.error)
        self.next_periodic = now + self.interval * random.uniform(0.9, 1.1)
        self.last_scan_ok = ok
        self.last_finished = index
        return ok

    def _map_problem(self, error: str, scanned: bool = False, now: t.Optional[float] = None) -> None:
        """The pass could not run (store, credentials, lock, watched directory): one failed pass, then back off."""
        self.map_failures += 1
        delay = rules.backoff(self.map_failures, self.timing, self.queue.rand())
        self.backoff_until = time.time() + delay
        self.queue.record(self.map.name, error=error, scanned=scanned, now=now)
        self.log("error", "map_problem", map=self.map.name, retry_in_s=round(delay, 3), msg=error)

    def _log_done(self, outcome: Outcome) -> None:
        for kind, relpath in outcome.done:
            self.log("info", _DONE_EVENTS.get(kind, kind), map=self.map.name, path=relpath)


def _exists(path: str) -> bool:
    try:
        os.lstat(path)
        return True
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True  # a path that cannot be stat'ed is not known to be gone: the plan reports it


__all__ = ["MapWorker", "BATCH"]
