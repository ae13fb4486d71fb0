# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Worker pools: how the executor runs one function over many actions.

**PRIVATE**: this module is internal to the s32s.sync collection.

Two strategies with one ``run(fn, items)``:

* :class:`ThreadPool`: ``workers`` threads; what a long-lived process (a
  watcher) always uses;
* :class:`ForkedShards`: the items dealt out (largest first) to forked
  processes, each with its own S3 client and its shard on threads. botocore
  costs about a millisecond of CPU per request and the GIL keeps one process
  on one core, so a one-shot module run uses the other cores this way. Only
  a one-shot process may fork: never one that runs threads of its own
  between runs, nor one whose awscrt native threads are running.

A failure of one item is that item's error; a process that dies fails the
items of its shard, never the run.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import typing as t
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..errors import StoreError

#: A run forks only from this many items on (below, forking costs more than it saves).
PROCESS_MIN_FILES = 200
#: The most processes ``transfer_processes: 0`` (auto) picks.
PROCESS_AUTO_MAX = 4
#: Errors that fail one item (anything else is a bug and propagates).
ITEM_ERRORS = (StoreError, OSError, ValueError)

T = t.TypeVar("T")
Outcome = t.Tuple[t.Any, t.Any, str]  # (item, result, error message or '')

#: The job of a forked run, inherited by the children (never pickled).
_SHARD_JOB: t.Optional[tuple[t.Any, ...]] = None


class ThreadPool:
    """Run items on ``workers`` threads."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, fn: t.Callable[[T], t.Any], items: t.Sequence[T]) -> list[Outcome]:
        """``[(item, fn(item) or None, error)]`` in the order of ``items``."""
        out: list[Outcome] = []
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            futures = [(item, pool.submit(fn, item)) for item in items]
            for item, future in futures:
                try:
                    out.append((item, future.result(), ""))
                except ITEM_ERRORS as e:
                    out.append((item, None, getattr(e, "msg", None) or str(e)))
        return out


def _shard_main(index: int) -> list[tuple[int, t.Any, str]]:
    """Body of one forked process: renew the clients, run its shard on threads."""
    fn, shards, workers, renew = t.cast(tuple, _SHARD_JOB)
    renew()
    items = shards[index]
    positions = {id(item): i for i, item in enumerate(items)}
    return [(positions[id(item)], result, error) for item, result, error in ThreadPool(workers).run(fn, items)]


class ForkedShards:
    """Run items on ``processes`` forked processes of ``workers`` threads each.

    :param renew: called first in each child: makes new S3 clients (a client must not cross a fork).
    :param size: the weight of an item (bytes) to deal the big ones out first.
    """

    def __init__(self, processes: int, workers: int, renew: t.Callable[[], None],
                 size: t.Callable[[t.Any], int] = lambda item: 0) -> None:
        self.processes = processes
        self.workers = workers
        self.renew = renew
        self.size = size

    def run(self, fn: t.Callable[[T], t.Any], items: t.Sequence[T]) -> list[Outcome]:
        """``[(item, fn(item) or None, error)]``, shard after shard."""
        global _SHARD_JOB  # pylint: disable=global-statement
        ordered = sorted(items, key=lambda item: -self.size(item))
        shards = [ordered[i::self.processes] for i in range(self.processes)]
        _SHARD_JOB = (fn, shards, self.workers, self.renew)
        out: list[Outcome] = []
        try:
            with ProcessPoolExecutor(max_workers=self.processes,
                                     mp_context=multiprocessing.get_context("fork")) as pool:
                futures = [pool.submit(_shard_main, i) for i in range(self.processes)]
                for shard, future in zip(shards, futures):
                    try:
                        out.extend((shard[i], result, error) for i, result, error in future.result())
                    except BrokenProcessPool as e:
                        out.extend((item, None, f"transfer process died: {e}") for item in shard)
        finally:
            _SHARD_JOB = None
        return out


def process_count(wanted: int, items: int, can_fork: bool) -> int:
    """How many processes to run ``items`` items with.

    ``wanted`` 0 means auto: one per CPU, at most ``PROCESS_AUTO_MAX``, from
    ``PROCESS_MIN_FILES`` items on. ``can_fork`` false (a long-lived process,
    a store without a client factory, or awscrt, whose native threads
    already use every core and must not be forked) means 1.
    """
    if not can_fork or items < 2:
        return 1
    if wanted == 0:
        wanted = min(os.cpu_count() or 1, PROCESS_AUTO_MAX) if items >= PROCESS_MIN_FILES else 1
    return max(1, min(wanted, items))


def pool_for(s3_sides: t.Sequence[t.Any], items: int, transfer_processes: int, concurrency: int,
             allow_fork: bool) -> t.Union[ThreadPool, ForkedShards]:
    """Threads, or forked shards for a one-shot run with enough items.

    A run forks only when ``allow_fork`` (a one-shot process) and every S3
    side's store can make a new client (``client_factory``) and sends nothing
    through awscrt (``crt``). Each child renews the clients of ``s3_sides``.

    :param transfer_processes: the option (``0``: auto, see :func:`process_count`).
    :param concurrency: threads in all (divided among the processes).
    """
    can_fork = allow_fork and all(s.store.client_factory is not None and s.store.crt is None for s in s3_sides)
    processes = process_count(transfer_processes, items, can_fork)
    if processes == 1:
        return ThreadPool(concurrency)

    def renew() -> None:
        for side in s3_sides:
            side.renew_client()

    return ForkedShards(processes, max(1, math.ceil(concurrency / processes)), renew, size=lambda action: action.size)


__all__ = ["pool_for", "ThreadPool", "ForkedShards", "process_count", "PROCESS_MIN_FILES", "PROCESS_AUTO_MAX", "ITEM_ERRORS"]
