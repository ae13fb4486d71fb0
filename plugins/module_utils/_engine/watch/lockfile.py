# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``state_dir/service.lock``: who runs on a state directory (the service, or a one-shot rescan).

**PRIVATE**: this module is internal to the s32s.sync collection.

The holder keeps an exclusive ``flock`` on the file for its whole life and
writes ``<pid> <role>`` into it; the kernel releases the lock when the
process ends, however it ends, so a stale pid file never blocks a start.
"""

from __future__ import annotations

import fcntl
import os
import time
import typing as t

FILE_NAME = "service.lock"
SERVICE = "service"
ONE_SHOT = "rescan"


def lock_file(state_dir: str) -> str:
    """The lock file of a state directory."""
    return os.path.join(state_dir, FILE_NAME)


class ServiceLock:
    """The lock of ``state_dir``, for a holder of ``role`` (:data:`SERVICE` or :data:`ONE_SHOT`)."""

    def __init__(self, state_dir: str, role: str) -> None:
        self.path = lock_file(state_dir)
        self.role = role
        self.fd = -1

    def try_acquire(self) -> bool:
        """Take the lock if it is free. :raises OSError: the file cannot be created."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {self.role}\n".encode())
        self.fd = fd
        return True

    def acquire(self, timeout: float, while_held_by: t.Optional[str] = None) -> bool:
        """Take the lock, waiting up to ``timeout`` seconds; with ``while_held_by``,
        wait only while the holder has that role (else give up at once)."""
        deadline = time.monotonic() + timeout
        while not self.try_acquire():
            held = holder(os.path.dirname(self.path))
            if time.monotonic() >= deadline or (while_held_by and held and held[1] != while_held_by):
                return False
            time.sleep(0.1)
        return True

    def release(self) -> None:
        """Let the lock go."""
        if self.fd != -1:
            os.close(self.fd)
            self.fd = -1


def holder(state_dir: str) -> t.Optional[tuple[int, str]]:
    """``(pid, role)`` of the process holding the lock of ``state_dir``, or ``None`` when free.

    :raises OSError: the file exists but cannot be opened.
    """
    try:
        fd = os.open(lock_file(state_dir), os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        except BlockingIOError:
            pass
        text = os.read(fd, 200).decode(errors="replace").split()
        pid = int(text[0]) if text and text[0].isdigit() else 0
        return pid, (text[1] if len(text) > 1 else SERVICE)
    finally:
        os.close(fd)


__all__ = ["ServiceLock", "holder", "lock_file", "SERVICE", "ONE_SHOT"]
