# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher's queue rules, as pure functions of an :class:`Entry` and the time.

**PRIVATE**: this module is internal to the s32s.sync collection.

An event only marks a path dirty (one entry per ``(map, relpath)``, however
many events); what to do is decided when the path is sent, from the file's
state then (:func:`action_for`): skynet queued actions, so send, delete, send
left the file missing in S3 (issue 13), and ``mc mirror --watch`` deleted
files that existed again by then. A path is sent once quiet for ``settle``
seconds, or ``settle_max`` seconds after its first event (a file that never
stops changing is still sent). A failure backs off exponentially with jitter;
after ``max_attempts`` the path is a dead letter, retried by the next rescan;
no path waits for another (skynet retried one poison item forever).

Times are seconds since the epoch (floats).
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, replace

SEND = "send"
DELETE = "delete"
DROP = "drop"


@dataclass(frozen=True)
class Entry:
    """One dirty path of a map.

    :ivar first_event: time of the first event since the path was last sent (the ceiling counts from it).
    :ivar last_event: time of the latest event (the settle time counts from it).
    :ivar due: earliest time of the next attempt (``0``: no backoff).
    :ivar attempts: failed attempts since the last success.
    :ivar dead: a dead letter: no more attempts until a rescan or a new event.
    :ivar reason: the last failure, one line.
    """

    map: str
    relpath: str
    first_event: float
    last_event: float
    due: float = 0.0
    attempts: int = 0
    dead: bool = False
    reason: str = ""


@dataclass(frozen=True)
class Timing:
    """The queue's timings in seconds (config keys of the same names) and ``max_attempts``."""

    settle_s: float = 2.0
    settle_max_s: float = 60.0
    retry_base_s: float = 2.0
    retry_max_s: float = 300.0
    max_attempts: int = 5


def mark(entry: t.Optional[Entry], map_name: str, relpath: str, now: float) -> Entry:
    """The entry after an event on the path at ``now``.

    A new path starts settling; a waiting one settles again (its ceiling still
    counts from its first event, its backoff stays); a dead letter changed, so
    it gets a fresh set of attempts.
    """
    if entry is None or entry.dead:
        return Entry(map_name, relpath, now, now)
    return replace(entry, last_event=max(entry.last_event, now))


def ready_at(entry: Entry, timing: Timing) -> t.Optional[float]:
    """When the entry may be sent: quiet for ``settle_s`` or ``settle_max_s``
    after its first event, whichever comes first, and not before ``due``;
    ``None`` for a dead letter."""
    if entry.dead:
        return None
    settled = min(entry.last_event + timing.settle_s, entry.first_event + timing.settle_max_s)
    return max(entry.due, settled)


def is_ready(entry: Entry, now: float, timing: Timing) -> bool:
    """Whether :func:`ready_at` has come."""
    when = ready_at(entry, timing)
    return when is not None and when <= now


def action_for(exists: bool, delete: bool) -> str:
    """What sending a path does, from the file's state at send time: ``send``
    (it exists: the push plan uploads it if it differs from S3, else nothing),
    ``delete`` (it is gone and deletions are on: through the safety gate) or
    ``drop`` (gone, deletions off: the object stays)."""
    if exists:
        return SEND
    return DELETE if delete else DROP


def backoff(attempts: int, timing: Timing, rand: float) -> float:
    """Seconds before attempt ``attempts + 1``: ``retry_base_s * 2**(attempts-1)``,
    at most ``retry_max_s``, times a jitter factor in ``[0.5, 1)`` from ``rand``
    in ``[0, 1)`` ("equal jitter": never zero, so a failing path never spins)."""
    delay = min(timing.retry_max_s, timing.retry_base_s * (2 ** max(0, attempts - 1)))
    return delay * (0.5 + 0.5 * rand)


def after_success(entry: Entry, taken_at: float) -> t.Optional[Entry]:
    """The entry after a pass that took it at ``taken_at`` handled it: gone,
    unless an event came meanwhile (then it waits again, its ceiling counted
    from ``taken_at``)."""
    if entry.last_event <= taken_at:
        return None
    return replace(entry, first_event=taken_at, due=0.0, attempts=0, dead=False, reason="")


def after_failure(entry: Entry, now: float, reason: str, timing: Timing, rand: float) -> Entry:
    """The entry after a failed attempt: backs off, or becomes a dead letter
    after ``max_attempts`` attempts."""
    attempts = entry.attempts + 1
    if attempts >= timing.max_attempts:
        return replace(entry, attempts=attempts, dead=True, reason=reason, due=0.0)
    return replace(entry, attempts=attempts, reason=reason, due=now + backoff(attempts, timing, rand))


def after_blocked(entry: Entry, now: float, reason: str, timing: Timing) -> Entry:
    """The entry after a pass that could not try it (the map's pass was refused
    or another path's failure held its deletion): tried again after
    ``retry_base_s``, no attempt counted."""
    return replace(entry, due=now + timing.retry_base_s, reason=reason)


def after_rescan(entry: Entry, started_at: float, failed: t.Mapping[str, str], held: t.AbstractSet[str],
                 now: float, timing: Timing, rand: float) -> t.Optional[Entry]:
    """The entry after a full rescan that started at ``started_at`` completed.

    :param failed: relpath -> reason, the paths the rescan failed on (a dead
        letter stays dead with the new reason, another path counts an attempt).
    :param held: paths the rescan did not try (deletions held by a failure).
    :returns: ``None`` when the rescan handled the path (sent, deleted or
        proven unchanged) and no event came since it started.
    """
    if entry.relpath in failed:
        reason = failed[entry.relpath]
        if entry.dead:
            return replace(entry, attempts=entry.attempts + 1, reason=reason)
        return after_failure(entry, now, reason, timing, rand)
    if entry.relpath in held or entry.last_event > started_at:
        return entry
    return None


__all__ = ["Entry", "Timing", "mark", "ready_at", "is_ready", "action_for", "backoff", "after_success",
           "after_failure", "after_blocked", "after_rescan", "SEND", "DELETE", "DROP"]
