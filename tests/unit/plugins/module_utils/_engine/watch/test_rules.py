# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher's queue rules as a table (plugins/module_utils/_engine/watch/rules.py and queue.py)."""

from __future__ import annotations

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.watch import rules
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.queue import Queue
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.rules import Entry, Timing

T = Timing(settle_s=2.0, settle_max_s=60.0, retry_base_s=2.0, retry_max_s=300.0, max_attempts=5)


def replay(events, start=None):
    """Fold (relpath, time) events into {relpath: Entry}, as the queue does."""
    table = dict(start or {})
    for relpath, when in events:
        table[relpath] = rules.mark(table.get(relpath), "m", relpath, when)
    return table


@pytest.mark.parametrize("exists, delete, expected", [
    (True, False, rules.SEND), (True, True, rules.SEND),
    (False, True, rules.DELETE), (False, False, rules.DROP),
])
def test_the_action_is_decided_from_the_state_at_send_time(exists, delete, expected):
    assert rules.action_for(exists, delete) == expected


def test_send_delete_send_is_one_entry_that_sends_the_final_state():
    # skynet queued send, delete, send as actions and ran the delete last: the file was missing in S3
    table = replay([("a.txt", 0.0), ("a.txt", 0.1), ("a.txt", 0.2)])  # created, deleted, created again
    assert list(table) == ["a.txt"]
    entry = table["a.txt"]
    assert (entry.first_event, entry.last_event) == (0.0, 0.2)
    assert rules.action_for(exists=True, delete=True) == rules.SEND  # the file is there at send time


def test_a_storm_of_2000_writes_is_one_entry_sent_after_it_settles():
    table = replay([("big.log", i * 0.001) for i in range(2000)])
    assert len(table) == 1
    entry = table["big.log"]
    assert entry.last_event == pytest.approx(1.999)
    assert rules.ready_at(entry, T) == pytest.approx(1.999 + 2.0)
    assert not rules.is_ready(entry, 3.9, T) and rules.is_ready(entry, 4.0, T)


def test_a_path_that_never_settles_is_sent_at_the_ceiling():
    table = replay([("live.db", i * 0.5) for i in range(120)])  # every 0.5 s, never quiet for 2 s
    entry = table["live.db"]
    assert rules.ready_at(entry, T) == 60.0  # first event + settle_max_s
    # taken at 60 s, written again during the pass: it waits again, the ceiling counted from the pass
    during = rules.mark(entry, "m", "live.db", 60.2)
    again = rules.after_success(during, taken_at=60.0)
    again = replay([("live.db", 60.0 + i * 0.5) for i in range(1, 130)], {"live.db": again})["live.db"]
    assert again.first_event == 60.0 and rules.ready_at(again, T) == 120.0


def test_a_handled_entry_is_gone_unless_an_event_came_during_the_pass():
    entry = replay([("a", 1.0)])["a"]
    assert rules.after_success(entry, taken_at=3.0) is None
    assert rules.after_success(rules.mark(entry, "m", "a", 3.5), taken_at=3.0) is not None


@pytest.mark.parametrize("attempts, rand, expected", [
    (1, 0.0, 1.0), (1, 0.999999, 2.0), (2, 0.0, 2.0), (3, 0.0, 4.0), (4, 0.5, 12.0),
    (8, 0.0, 128.0), (9, 0.0, 150.0), (20, 0.999999, 300.0),
])
def test_backoff_doubles_with_jitter_and_a_cap(attempts, rand, expected):
    assert rules.backoff(attempts, T, rand) == pytest.approx(expected, rel=1e-5)


def test_backoff_is_never_zero():
    assert all(rules.backoff(n, T, 0.0) > 0 for n in range(1, 30))


def test_failures_back_off_then_make_a_dead_letter():
    entry = Entry("m", "bad", 0.0, 0.0)
    now = 10.0
    for attempt in range(1, T.max_attempts):
        entry = rules.after_failure(entry, now, "Permission denied", T, 0.0)
        assert not entry.dead and entry.attempts == attempt
        assert entry.due == pytest.approx(now + rules.backoff(attempt, T, 0.0))
        assert not rules.is_ready(entry, now, T) and rules.is_ready(entry, entry.due, T)
        now = entry.due
    entry = rules.after_failure(entry, now, "Permission denied", T, 0.0)
    assert entry.dead and entry.reason == "Permission denied" and rules.ready_at(entry, T) is None


def test_a_blocked_entry_waits_without_counting_an_attempt():
    entry = rules.after_blocked(Entry("m", "x", 0.0, 0.0, attempts=2), 5.0, "deletions held", T)
    assert entry.attempts == 2 and entry.due == 7.0 and not entry.dead


def test_a_new_event_revives_a_dead_letter():
    dead = Entry("m", "bad", 0.0, 0.0, attempts=5, dead=True, reason="EACCES")
    revived = rules.mark(dead, "m", "bad", 50.0)
    assert not revived.dead and revived.attempts == 0 and revived.first_event == 50.0


@pytest.mark.parametrize("entry, failed, held, expected", [
    # a dead letter the rescan handled (sent, deleted or proven unchanged) is gone
    (Entry("m", "p", 1.0, 1.0, attempts=5, dead=True, reason="x"), {}, set(), None),
    # ... one it failed on again stays dead, with the new reason
    (Entry("m", "p", 1.0, 1.0, attempts=5, dead=True, reason="x"), {"p": "y"}, set(),
     Entry("m", "p", 1.0, 1.0, attempts=6, dead=True, reason="y")),
    # a waiting path the rescan handled is gone
    (Entry("m", "p", 1.0, 1.0), {}, set(), None),
    # a path changed after the rescan started waits for its own pass
    (Entry("m", "p", 1.0, 20.0), {}, set(), Entry("m", "p", 1.0, 20.0)),
    # a deletion the rescan held stays
    (Entry("m", "p", 1.0, 1.0), {}, {"p"}, Entry("m", "p", 1.0, 1.0)),
])
def test_a_rescan_retries_dead_letters_and_settles_what_it_handled(entry, failed, held, expected):
    assert rules.after_rescan(entry, 10.0, failed, held, 30.0, T, 0.0) == expected


def test_a_poison_path_goes_dead_without_blocking_the_others(tmp_path):
    """The queue as the worker drives it: every pass takes what is ready; 'poison' always fails."""
    timing = Timing(settle_s=0.0, settle_max_s=0.0, retry_base_s=1.0, retry_max_s=4.0, max_attempts=4)
    queue = Queue(str(tmp_path), timing, rand=lambda: 0.0)
    queue.mark_many("m", {"poison": 0.0, "a": 0.0})
    now, sent = 0.0, []
    for _turn in range(50):
        ready = queue.ready("m", now, 100)
        for entry in ready:
            if entry.relpath == "poison":
                queue.update("m", lambda e: rules.after_failure(e, now, "EACCES", timing, 0.0), ["poison"])
            else:
                sent.append((entry.relpath, now))
                queue.update("m", lambda e: rules.after_success(e, now), [entry.relpath])
        if now == 2.0:
            queue.mark_many("m", {"b": 2.0})  # a new path while poison backs off
        now += 0.5
    assert sent == [("a", 0.0), ("b", 2.5)]  # each sent at the first pass after its event
    [poison] = queue.entries("m")
    assert poison.dead and poison.attempts == 4 and poison.reason == "EACCES"
    assert queue.ready("m", 1e9, 100) == [] and queue.next_ready("m") is None
