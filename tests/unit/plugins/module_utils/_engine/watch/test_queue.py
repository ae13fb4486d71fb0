# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher's SQLite queue and the status read from it (watch/queue.py, watch/status.py)."""

from __future__ import annotations

import os
import stat
import time

from ansible_collections.s32s.sync.plugins.module_utils._engine.watch import lockfile, rules
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.queue import Queue, queue_path
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.rules import Timing
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.status import read_status, status_of

T = Timing(settle_s=1.0, settle_max_s=10.0)


def test_two_thousand_events_on_one_path_are_one_row(tmp_path):
    queue = Queue(str(tmp_path), T)
    for i in range(2000):
        queue.mark_many("m", {"f.txt": 100.0 + i * 0.001})
    [entry] = queue.entries("m")
    assert entry.first_event == 100.0 and entry.last_event == 100.0 + 1.999


def test_the_queue_survives_a_restart_and_is_private(tmp_path):
    queue = Queue(str(tmp_path), T)
    queue.mark_many("m", {"a": 1.0, "b": 2.0})
    queue.mark_many("other", {"a": 1.0})
    queue.close()
    assert stat.S_IMODE(os.stat(queue_path(str(tmp_path))).st_mode) == 0o600
    again = Queue(str(tmp_path), T)
    assert [e.relpath for e in again.entries("m")] == ["a", "b"]
    assert [e.relpath for e in again.entries("other")] == ["a"]


def test_ready_takes_the_settled_oldest_first_up_to_a_limit(tmp_path):
    queue = Queue(str(tmp_path), T)
    queue.mark_many("m", {"late": 5.0, "early": 1.0, "mid": 3.0})
    assert [e.relpath for e in queue.ready("m", 4.5, 10)] == ["early", "mid"]
    assert [e.relpath for e in queue.ready("m", 100.0, 2)] == ["early", "mid"]
    assert queue.next_ready("m") == 2.0


def test_status_before_the_first_run_and_after_some_work(tmp_path):
    state = str(tmp_path)
    empty = read_status(state, ["site"])
    assert empty == {"running": False, "maps": [{"name": "site", "queue_depth": 0, "last_scan": None,
                                                 "last_success": None, "sent": 0, "deleted": 0, "failed": 0,
                                                 "dead_letters": [], "last_error": None, "watching": False,
                                                 "watch_error": None, "watch_retry_at": None}]}
    queue = Queue(state, T)
    queue.mark_many("site", {"a": 1.0, "bad": 1.0})
    queue.update("site", lambda e: rules.after_failure(e, 2.0, "cannot be read: Permission denied",
                                                       Timing(max_attempts=1), 0.0), ["bad"])
    queue.record("site", sent=3, deleted=1, failed=1, scanned=True, success=True, now=1764754200.25)
    queue.record("site", error="map 'site': boom")
    doc = read_status(state, ["site", "never"])
    site, never = doc["maps"]
    assert site["queue_depth"] == 1 and (site["sent"], site["deleted"], site["failed"]) == (3, 1, 1)
    assert site["dead_letters"] == [{"path": "bad", "reason": "cannot be read: Permission denied"}]
    assert site["last_scan"] == site["last_success"] == "2025-12-03T09:30:00.250Z"
    assert site["last_error"] == "map 'site': boom"
    assert never["queue_depth"] == 0 and never["last_scan"] is None


def test_status_says_whether_the_service_runs(tmp_path):
    state = str(tmp_path)
    lock = lockfile.ServiceLock(state, lockfile.SERVICE)
    assert lock.try_acquire()
    try:
        assert read_status(state, ["m"])["running"] is True
        assert lockfile.holder(state) == (os.getpid(), lockfile.SERVICE)
        assert not lockfile.ServiceLock(state, lockfile.ONE_SHOT).try_acquire()
    finally:
        lock.release()
    assert read_status(state, ["m"])["running"] is False and lockfile.holder(state) is None


def test_rescan_requests_wait_then_carry_their_outcome(tmp_path):
    queue = Queue(str(tmp_path), T)
    first, second = queue.request(), queue.request()
    assert queue.pending_requests() == [first, second]
    queue.finish_request(first, True)
    queue.finish_request(second, False)
    assert queue.pending_requests() == [] and queue.request_outcome(first) is True
    assert queue.request_outcome(second) is False and queue.request_outcome(999) is None
    assert time.time() > 0


def test_status_of_a_configuration_file(tmp_path):
    config = tmp_path / "config.json"
    config.write_text('{"version": 1, "state_dir": "%s", "maps": [{"name": "a", "s3": "bkt/a", "master": "/a"}]}'
                      % (tmp_path / "state"))
    (tmp_path / "state").mkdir()
    Queue(str(tmp_path / "state"), T).record("a", sent=2)
    assert [(m["name"], m["sent"]) for m in status_of(str(config))["maps"]] == [("a", 2)]
