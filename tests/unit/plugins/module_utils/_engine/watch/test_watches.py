# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A watch that cannot be set up is shown in the status, retried on a backoff and cleared once it
works (plugins/module_utils/_engine/watch/watches.py). Only watchdog's observer is faked (its
``schedule`` raises as watchdog raises when the kernel says ENOSPC or EMFILE); the queue and the
status are the real ones."""

from __future__ import annotations

import ctypes
import errno
import os
import sys
import types

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.watch import lockfile
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.log import iso
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.queue import Queue
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.rules import Timing
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.status import read_status
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.watches import Watches, failure_reason, \
    inotify_fds

TIMING = Timing(retry_base_s=1.0, retry_max_s=4.0)
ENOSPC = OSError(errno.ENOSPC, "inotify watch limit reached")  # what watchdog raises (inotify_c.py)
RESCANS_ONLY = "; until it works, changes are picked up only by rescans (every 3600 s)"


class FakeObserver:
    """watchdog's Observer: ``schedule`` raises ``errors`` first, one per call, then works."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.started = self.stopped = False
        self.scheduled = []

    def start(self):
        self.started = True

    def schedule(self, handler, path, recursive=False):
        assert recursive and hasattr(handler, "dispatch")
        self.scheduled.append(path)
        if self.errors:
            raise self.errors.pop(0)
        return ("watch", path)

    def unschedule(self, handle):
        pass

    def stop(self):
        self.stopped = True

    def join(self, timeout=None):
        pass


class FakeWorker:
    def __init__(self, root, name="site"):
        self.map = types.SimpleNamespace(name=name, root=str(root))
        self.rescans = []

    def want_rescan(self, now, settle=True):
        self.rescans.append(settle)


@pytest.fixture
def service(tmp_path):
    """The state directory as a running service holds it: its lock, its queue; records of its log."""
    state = str(tmp_path / "state")
    os.mkdir(state)
    lock = lockfile.ServiceLock(state, lockfile.SERVICE)
    assert lock.try_acquire()
    queue = Queue(state, TIMING)
    records = []
    yield types.SimpleNamespace(state=state, queue=queue, records=records, lock=lock,
                                log=lambda level, event, **fields: records.append((level, event, fields)),
                                status=lambda name="site": read_status(state, [name])["maps"][0])
    queue.close()
    lock.release()


def watches_of(service, make_observer):
    return Watches(make_observer, service.queue, TIMING, 3600, service.log, rand=lambda: 0.0)


def test_enospc_is_shown_retried_on_a_backoff_and_cleared_when_the_watch_works(service, tmp_path):
    worker = FakeWorker(tmp_path)
    observer = FakeObserver(ENOSPC, ENOSPC)
    watches = watches_of(service, lambda: observer)
    assert watches.ensure(worker, now=100.0) is False
    error = "cannot watch %s: inotify watch limit reached (raise fs.inotify.max_user_watches)%s" % (tmp_path,
                                                                                                    RESCANS_ONLY)
    status = service.status()
    assert (status["watching"], status["watch_error"]) == (False, error)
    assert status["watch_retry_at"] == iso(100.5)  # retry_base_s 1 s, equal jitter at its low end
    assert [r[1] for r in service.records] == ["watch_failed"] and service.records[0][2]["msg"] == error

    watches.retry_due([worker], now=100.4)  # not yet
    assert len(observer.scheduled) == 1
    watches.retry_due([worker], now=100.5)  # fails again: the backoff doubles, the log does not repeat
    assert len(observer.scheduled) == 2 and service.status()["watch_retry_at"] == iso(101.5)
    assert [r[1] for r in service.records] == ["watch_failed"]

    watches.retry_due([worker], now=101.5)  # the limit was raised meanwhile
    status = service.status()
    assert (status["watching"], status["watch_error"], status["watch_retry_at"]) == (True, None, None)
    assert [r[1] for r in service.records] == ["watch_failed", "watch_restored"]
    assert worker.rescans == [False]  # at once: what changed while it was not watched
    watches.retry_due([worker], now=200.0)
    assert watches.ensure(worker, rescanning=True) is True and len(observer.scheduled) == 3  # nothing to redo
    watches.close()
    assert observer.stopped and service.status()["watching"] is False


def test_emfile_when_the_observer_is_made_names_the_instances_limit(service, tmp_path):
    worker = FakeWorker(tmp_path)
    made = []

    def make_observer():
        if not made:
            made.append(None)
            raise OSError(errno.EMFILE, "inotify instance limit reached")
        made.append(FakeObserver())
        return made[-1]

    watches = watches_of(service, make_observer)
    assert watches.ensure(worker, now=10.0) is False
    assert service.status()["watch_error"].startswith(
        "cannot watch %s: inotify instance limit reached (raise fs.inotify.max_user_instances);" % tmp_path)
    assert watches.ensure(worker, rescanning=True, now=10.1) is True  # before a rescan: no extra one asked
    assert made[1].started and worker.rescans == [] and service.status()["watching"] is True


def test_a_missing_master_is_not_watched_until_it_appears(service, tmp_path):
    root = tmp_path / "mnt"
    worker = FakeWorker(root)
    observer = FakeObserver()
    watches = watches_of(service, lambda: observer)
    assert watches.ensure(worker, now=1.0) is False and observer.scheduled == []
    assert service.status()["watch_error"] == "cannot watch %s: No such file or directory%s" % (root, RESCANS_ONLY)
    root.mkdir()
    watches.retry_due([worker], now=2.0)
    assert service.status()["watching"] is True and worker.rescans == [False]
    root.rmdir()  # unmounted while watched: seen at the next rescan
    assert watches.ensure(worker, rescanning=True, now=3.0) is False and service.status()["watching"] is False


def test_a_stopped_service_shows_no_live_watch(service, tmp_path):
    watches_of(service, FakeObserver).ensure(FakeWorker(tmp_path))
    assert service.status()["watching"] is True
    service.lock.release()  # as if it was killed: its row stays
    status = read_status(service.state, ["site"])["maps"][0]
    assert (status["watching"], status["watch_error"], status["watch_retry_at"]) == (False, None, None)


def test_a_failure_without_a_known_limit_has_no_hint():
    assert failure_reason("/srv/site", OSError(errno.ENOTDIR, "Not a directory")) == \
        "cannot watch /srv/site: Not a directory"
    assert failure_reason("/srv/site", OSError(errno.ENOSPC, "No space left on device")) == \
        "cannot watch /srv/site: No space left on device (raise fs.inotify.max_user_watches)"


def _inotify_init():
    fd = ctypes.CDLL(None, use_errno=True).inotify_init()
    assert fd >= 0, os.strerror(ctypes.get_errno())
    return fd


def open_files():
    """What each descriptor of this process is (``anon_inode:inotify``, ``pipe:[N]``...)."""
    out = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            out[int(name)] = os.readlink("/proc/self/fd/%s" % name)
        except OSError:
            pass
    return out


class FakeInotify:
    """watchdog 2 to 6's ``Inotify``: its constructor opens an inotify instance and a pipe, then a
    recursive watch fails part way and nothing ever closes them."""

    def __init__(self, bystander):
        self._inotify_fd = _inotify_init()
        self._kill_r, self._kill_w = os.pipe()
        self._event_mask = bystander  # an int that is no descriptor of this object: left alone
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


FakeInotify.__module__ = "watchdog.observers.inotify_c"


class LeakingObserver(FakeObserver):
    """Opens an inotify instance with the observer and keeps it (watchdog 7); its first ``schedule``
    leaks an instance nothing refers to, and a ``FakeInotify``."""

    def __init__(self, bystander):
        super().__init__()
        self.own = _inotify_init()
        self.bystander = bystander
        self.leaked = {}

    def schedule(self, handler, path, recursive=False):
        if not self.leaked:
            before = open_files()
            _inotify_init()
            try:
                FakeInotify(self.bystander)
            finally:
                self.leaked = {fd: what for fd, what in open_files().items() if before.get(fd) != what}
        return super().schedule(handler, path, recursive)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify")
def test_a_failed_attempt_closes_what_it_leaked_but_not_the_observers_own(service, tmp_path):
    bystander = os.open(os.devnull, os.O_RDONLY)
    observer = LeakingObserver(bystander)
    watches = watches_of(service, lambda: observer)
    try:
        assert watches.ensure(FakeWorker(tmp_path), now=1.0) is False
        kinds = sorted(what.split(":")[0] for what in observer.leaked.values())
        assert kinds == ["anon_inode", "anon_inode", "pipe", "pipe"]  # two instances, both ends of a pipe
        open_now = open_files()
        assert all(open_now.get(fd) != what for fd, what in observer.leaked.items()), open_now
        assert observer.own in inotify_fds() and open_now[bystander] == os.devnull
        assert watches.ensure(FakeWorker(tmp_path), now=2.0) is True
        assert observer.own in inotify_fds()
    finally:
        os.close(observer.own)
        os.close(bystander)
