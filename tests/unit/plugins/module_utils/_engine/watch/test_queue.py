# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher's SQLite queue and the status read from it (watch/queue.py, watch/status.py)."""

from __future__ import annotations

import calendar
import os
import stat
import time

from ansible_collections.s32s.sync.plugins.module_utils._engine.watch import lockfile, rules
import sqlite3

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import S3Location
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.queue import Queue, destination_of, queue_path
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
    assert empty == {"running": False, "pid": None, "started_at": None, "maps": [{
        "name": "site", "queue_depth": 0, "last_scan": None, "last_success": None, "sent": 0, "deleted": 0,
        "failed": 0, "failed_passes": 0, "dead_letters": [], "last_error": None, "last_error_at": None,
        "failing_since": None, "counted_since": None, "watching": False, "watch_error": None,
        "watch_retry_at": None}]}
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
        doc = read_status(state, ["m"])
        assert doc["running"] is True and doc["pid"] == os.getpid()
        assert abs(time.time() - calendar.timegm(time.strptime(doc["started_at"][:19], "%Y-%m-%dT%H:%M:%S"))) < 5
        assert lockfile.holder(state) == (os.getpid(), lockfile.SERVICE)
        assert not lockfile.ServiceLock(state, lockfile.ONE_SHOT).try_acquire()
    finally:
        lock.release()
    stopped = read_status(state, ["m"])
    assert stopped["running"] is False and stopped["pid"] is None and stopped["started_at"] is None
    assert lockfile.holder(state) is None


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


def _map(state, name="site", destination=None):
    return read_status(state, [name], {name: destination} if destination else None)["maps"][0]


def test_a_failure_is_timed_counted_and_current_until_a_clean_pass(tmp_path):
    """last_error with its time, failing_since (the first failure of the current run), failed_passes;
    a clean targeted pass clears the failure of a targeted pass, not that of a rescan."""
    state = str(tmp_path)
    queue = Queue(state, T)
    queue.record("site", error="listing s3://b/site/ failed: SignatureDoesNotMatch: the secret key is wrong",
                 scanned=True, now=1000.0)
    queue.record("site", error="listing s3://b/site/ failed: again", now=1010.0)
    site = _map(state)
    assert site["failed_passes"] == 2 and site["failed"] == 0  # passes, not attempts of a path
    assert site["last_error"] == "listing s3://b/site/ failed: again"
    assert site["last_error_at"] == "1970-01-01T00:16:50.000Z" and site["failing_since"] == "1970-01-01T00:16:40.000Z"
    assert site["last_scan"] == "1970-01-01T00:16:40.000Z" and site["last_success"] is None
    queue.record("site", sent=1, now=1020.0)  # a clean targeted pass after a failed one: cleared
    assert _map(state)["last_error"] is None and _map(state)["failing_since"] is None
    queue.record("site", error="the source is empty", scanned=True, now=1030.0)
    queue.record("site", sent=1, now=1040.0)  # a clean targeted pass proves nothing of the whole map
    site = _map(state)
    assert site["last_error"] == "the source is empty" and site["failing_since"] == "1970-01-01T00:17:10.000Z"
    queue.record("site", scanned=True, success=True, now=1050.0)
    site = _map(state)
    assert (site["last_error"], site["last_error_at"], site["failing_since"]) == (None, None, None)
    assert site["failed_passes"] == 3 and site["sent"] == 2 and site["last_success"] == "1970-01-01T00:17:30.000Z"


def test_counters_belong_to_the_destination_of_the_map(tmp_path):
    """A map pointed at another bucket or prefix (or endpoint) starts new counters; the status
    never shows the old destination's counts as the new one's, even before the service restarts."""
    state = str(tmp_path)
    old, new = destination_of("", S3Location("bkt", "site")), destination_of("", S3Location("other", "site"))
    assert old == "s3://bkt/site/" and destination_of("http://h:9", S3Location("b", "")) == "http://h:9 s3://b/"
    queue = Queue(state, T)
    assert queue.claim("site", old, now=100.0) is None
    queue.record("site", sent=4, deleted=1, failed=2, scanned=True, success=True, now=200.0)
    queue.record("site", error="boom", now=300.0)
    assert queue.claim("site", old, now=400.0) is None  # the same destination: kept
    assert _map(state, destination=old)["sent"] == 4 and _map(state, destination=old)["counted_since"]
    assert _map(state, destination=new)["sent"] == 0  # the config changed, the service not restarted yet
    assert _map(state, destination=new)["last_error"] is None and _map(state, destination=new)["last_success"] is None
    assert queue.claim("site", new, now=500.0) == old
    site = _map(state, destination=new)
    assert (site["sent"], site["deleted"], site["failed"], site["failed_passes"]) == (0, 0, 0, 0)
    assert (site["last_scan"], site["last_success"], site["last_error"]) == (None, None, None)
    assert site["counted_since"] == "1970-01-01T00:08:20.000Z"


def test_a_queue_of_an_older_service_is_read_and_upgraded(tmp_path):
    """maps without the new columns: status reads it (defaults), a service adds them and keeps
    the counters, claiming them for its destination."""
    state = str(tmp_path)
    db = sqlite3.connect(queue_path(state))
    db.executescript("CREATE TABLE dirty (map TEXT NOT NULL, relpath TEXT NOT NULL, first_event REAL NOT NULL, "
                     "last_event REAL NOT NULL, due REAL NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, "
                     "dead INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '', PRIMARY KEY (map, relpath));"
                     "CREATE TABLE maps (name TEXT PRIMARY KEY, last_scan REAL, last_success REAL, "
                     "sent INTEGER NOT NULL DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0, "
                     "failed INTEGER NOT NULL DEFAULT 0, last_error TEXT);"
                     "INSERT INTO maps (name, sent, last_error) VALUES ('site', 7, 'old error');")
    db.commit()
    db.close()
    site = _map(state, destination="s3://b/site/")
    assert site["sent"] == 7 and site["last_error"] == "old error" and site["failed_passes"] == 0
    queue = Queue(state, T)
    assert queue.claim("site", "s3://b/site/") is None
    queue.record("site", error="new error", now=10.0)
    site = _map(state, destination="s3://b/site/")
    assert site["sent"] == 7 and site["failed_passes"] == 1 and site["failing_since"] == "1970-01-01T00:00:10.000Z"
