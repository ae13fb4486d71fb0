# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The outcome of deleting many paths on one side.

**PRIVATE**: this module is internal to the s32s.sync collection.

Every side deletes in order and stops after the first batch (S3,
``DeleteObjects`` of 1,000 keys) or file (local) with a failure: a path is
``deleted``, ``failed`` (with the server's or the system's error), or ``not
attempted`` because something failed before it. No batch or file after a
failure is deleted (promise 8 of ``docs/safety.md``).
"""

from __future__ import annotations

import typing as t


class DeleteOutcome:
    """Per-path outcome of one ``delete_many`` call.

    :ivar deleted: relpaths deleted (or already gone), in order.
    :ivar failed: ``[(relpath, error)]``; the error names the code (``AccessDenied: ...``).
    :ivar not_attempted: relpaths left alone after a failure.
    """

    def __init__(self) -> None:
        self.deleted: list[str] = []
        self.failed: list[tuple[str, str]] = []
        self.not_attempted: list[str] = []

    def stop_after(self, relpaths: t.Sequence[str]) -> "DeleteOutcome":
        """Mark ``relpaths`` not attempted (the rest of a run after a failure); returns ``self``."""
        self.not_attempted.extend(relpaths)
        return self


__all__ = ["DeleteOutcome"]
