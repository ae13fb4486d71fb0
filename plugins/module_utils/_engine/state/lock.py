# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host locks: one run at a time per destination on this host.

**PRIVATE**: this module is internal to the s32s.sync collection.

A lock is an exclusive ``flock`` on a file in ``state_dir``, named from a
digest of what it locks (:func:`lock_path`). The kernel drops it when the
process ends, however it ends, so a killed run never leaves a stale lock.
Two-way sync locks a replica (its base); push locks an S3 prefix, pull a
local directory.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
import typing as t

from ..errors import S32SError

#: Seconds between two attempts to take a lock another run holds.
POLL_S = 0.05


class LockTimeout(S32SError):
    """Another run holds the lock for longer than the timeout; nothing was changed."""


def lock_path(state_dir: str, kind: str, identity: t.Sequence[str]) -> str:
    """The lock file of what ``identity`` names: ``<state_dir>/<kind>-<32 hex>.lock``.

    :param kind: what is locked (``push``: an S3 prefix, ``pull``: a local directory).
    :param identity: the strings that name it (endpoint, bucket, prefix; or the real path of a directory).
    """
    ident = "\0".join((kind,) + tuple(identity))
    digest = hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return os.path.join(os.path.expanduser(state_dir), f"{kind}-{digest}.lock")


class HostLock:
    """An exclusive ``flock`` on ``path`` (created with its directory, modes 0600 and 0700).

    :param timeout: seconds to wait for another holder (``0``: one attempt).
    :param label: how the message names the run (``map 'site'``).
    :param what: who holds it, in the message (``another run of this replica``).
    :raises LockTimeout: (entering) still held by another run after ``timeout`` seconds.
    :raises OSError: the lock file cannot be created.
    """

    def __init__(self, path: str, timeout: float, label: str, what: str = "another run of this replica") -> None:
        self.path, self.timeout, self.label, self.what = path, timeout, label, what
        self.fd = -1
        self.waited = 0.0

    def __enter__(self) -> "HostLock":
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        start = time.monotonic()
        deadline = start + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.waited = time.monotonic() - start
                return self
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(self.fd)
                    self.fd = -1
                    raise LockTimeout(f"{self.label}: {self.what} holds {self.path} for more than "
                                      f"lock_timeout={self.timeout:g} s; nothing was changed") from None
                time.sleep(POLL_S)

    def __exit__(self, *_exc: t.Any) -> None:
        if self.fd != -1:
            os.close(self.fd)
            self.fd = -1


__all__ = ["HostLock", "LockTimeout", "lock_path", "POLL_S"]
