# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service: the lock of the state directory, one worker per map, the watches, signals, requests.

**PRIVATE**: this module is internal to the s32s.sync collection.

``run`` holds ``service.lock`` for its life, starts a :class:`worker.MapWorker`
per map (each rescans first: changes made while stopped are caught at
start) and a recursive watch of every ``master`` (``watches.py``: a watch
that cannot be set up is reported in ``status`` and retried). SIGTERM and SIGINT end
it gracefully: the workers finish their current pass and write their inbox
to the queue. SIGUSR1 wakes it to read the rescan requests the command line
wrote to the queue. watchdog drops inotify overflows without an event
(watchdog #654), so its warnings (overflow, a lost watch) ask every map
for a rescan, as Syncthing rescans on overflow.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import typing as t

from ..config.options import SyncOptions
from ..errors import ConfigError
from . import lockfile
from .config import OPTION_NAMES, WatchConfig
from .connection import CONCURRENCY, make_store
from .exitcodes import RC_CONFIG, RC_OK, RC_RUNNING, RC_STATE
from .queue import Queue
from .watches import Watches
from .worker import MapWorker

#: How often the main thread looks for rescan requests without a signal (seconds).
REQUEST_POLL_S = 0.5


def sync_options(config: WatchConfig) -> SyncOptions:
    """The push options of every pass: ``delete``, ``max_delete``, ``allow_empty_source``, manifests and locks
    in ``state_dir``; the gate's messages name the keys of the configuration and the role's variables."""
    return SyncOptions(delete=config.delete, max_delete=config.max_delete, allow_empty_source=config.allow_empty_source,
                       state_dir=config.state_dir, lock_dir=config.state_dir, concurrency=CONCURRENCY,
                       lock_timeout=10.0, option_names=OPTION_NAMES)


def prepare_state_dir(path: str) -> None:
    """Create the state directory (mode 0700) when missing. :raises OSError: it cannot be made."""
    os.makedirs(path, mode=0o700, exist_ok=True)


class _WatchWarnings(logging.Handler):
    """watchdog's warnings and errors (overflow, lost watch) -> a rescan of every map."""

    def __init__(self, service: "Service") -> None:
        super().__init__(logging.WARNING)
        self.service = service

    def emit(self, record: logging.LogRecord) -> None:
        self.service.watch_error(record.getMessage())


class Service:
    """The service on one configuration; ``log`` is a ``log.JsonLog``."""

    def __init__(self, config: WatchConfig, log: t.Callable[..., None]) -> None:
        self.config = config
        self.log = log
        self.stop = threading.Event()
        self.poke = threading.Event()
        self.workers: list[MapWorker] = []
        self.watches: t.Optional[Watches] = None

    def _workers(self, queue: Queue) -> list[MapWorker]:
        store = make_store(self.config.connection)
        options = sync_options(self.config)
        endpoint = self.config.connection.get("endpoint_url") or ""
        workers = [MapWorker(m, queue, store, options, endpoint, self.config.rescan_interval_s, self.log, self.stop,
                             self.ensure_watch, two_way=m.name in self.config.two_way) for m in self.config.maps]
        for worker in workers:
            worker.claim_destination()
        return workers

    # -- run -----------------------------------------------------------------
    def run(self) -> int:
        """The service until SIGTERM/SIGINT; returns an exit code (README.md)."""
        try:
            from watchdog.observers import Observer  # pylint: disable=import-outside-toplevel
        except ImportError:
            self.log("error", "config", msg="the Python package watchdog is required by 's32s-watch run'")
            return RC_CONFIG
        lock = lockfile.ServiceLock(self.config.state_dir, lockfile.SERVICE)
        try:
            prepare_state_dir(self.config.state_dir)
            if not lock.acquire(timeout=3600, while_held_by=lockfile.ONE_SHOT):
                self.log("error", "already_running", msg=f"another s32s-watch service runs on {self.config.state_dir} "
                         f"(pid {(lockfile.holder(self.config.state_dir) or (0,))[0]})")
                return RC_RUNNING
            queue = Queue(self.config.state_dir, self.config.timing)
        except OSError as e:
            self.log("error", "state_dir",
                     msg=f"cannot use the state directory {self.config.state_dir}: {e.strerror or e}")
            return RC_STATE
        try:
            self.workers = self._workers(queue)
        except ConfigError as e:
            lock.release()
            self.log("error", "config", msg=e.msg)
            return RC_CONFIG
        handlers = self._signals()
        watch_log = logging.getLogger("watchdog")
        hook = _WatchWarnings(self)
        watch_log.addHandler(hook)
        watch_log.propagate = False  # its warnings become records of our log (watch_error), not plain text
        self.watches = Watches(Observer, queue, self.config.timing, self.config.rescan_interval_s, self.log)
        self.log("info", "start", pid=os.getpid(), maps=[m.name for m in self.config.maps],
                 delete=self.config.delete, settle_s=self.config.timing.settle_s,
                 rescan_interval_s=self.config.rescan_interval_s)
        try:
            for worker in self.workers:
                self.watches.ensure(worker)
                worker.start()
            self._serve_requests(queue)
        finally:
            self.stop.set()
            for worker in self.workers:
                worker.wake.set()
            for worker in self.workers:
                worker.join()
            self.watches.close()
            watch_log.removeHandler(hook)
            watch_log.propagate = True
            for sig, old in handlers.items():
                signal.signal(sig, old)
            queue.close()
            lock.release()
            self.log("info", "stop", pid=os.getpid())
        return RC_OK

    def _signals(self) -> dict[int, t.Any]:
        def stop(_sig: int, _frame: t.Any) -> None:
            self.stop.set()
            self.poke.set()

        def poke(_sig: int, _frame: t.Any) -> None:
            self.poke.set()

        old = {}
        for sig, fn in ((signal.SIGTERM, stop), (signal.SIGINT, stop), (signal.SIGUSR1, poke)):
            old[sig] = signal.signal(sig, fn)
        return old

    def _serve_requests(self, queue: Queue) -> None:
        """Until stopped: retry the failed watches that are due; hand each rescan request to every
        worker, finish it when they all rescanned."""
        waiting: dict[int, dict[str, int]] = {}
        while not self.stop.is_set():
            self.poke.wait(REQUEST_POLL_S)
            self.poke.clear()
            if self.watches is not None:
                self.watches.retry_due(self.workers)
            for request_id in queue.pending_requests():
                if request_id not in waiting:
                    waiting[request_id] = {w.map.name: w.scans_started for w in self.workers}
                    for worker in self.workers:
                        worker.request_rescan()
                    self.log("info", "rescan_requested", request=request_id)
            for request_id, started in list(waiting.items()):
                if all(w.last_finished > started[w.map.name] for w in self.workers):
                    queue.finish_request(request_id, all(w.last_scan_ok for w in self.workers))
                    del waiting[request_id]

    # -- watches -----------------------------------------------------------------
    def ensure_watch(self, worker: MapWorker) -> None:
        """Before a rescan of ``worker``: watch its ``master`` (again) when it is not watched
        (``watches.py``); nothing without a running service."""
        if self.watches is not None:
            self.watches.ensure(worker, rescanning=True)

    def watch_error(self, message: str) -> None:
        """watchdog warned (an overflow, a lost watch): every map rescans soon."""
        self.log("warning", "watch_error", msg=message)
        now = time.time()
        for worker in self.workers:
            worker.want_rescan(now, settle=False)

    # -- one pass ------------------------------------------------------------------
    def rescan_once(self, queue: Queue) -> bool:
        """One full pass of every map, in this thread (``rescan`` without a service); returns whether all were clean."""
        self.workers = self._workers(queue)
        ok = True
        for worker in self.workers:
            worker.flush()
            ok = worker.rescan() and ok
        return ok


__all__ = ["Service", "sync_options", "prepare_state_dir"]
