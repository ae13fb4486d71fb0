# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service's structured log: one JSON object per line on stderr.

**PRIVATE**: this module is internal to the s32s.sync collection.

Each record has ``ts`` (ISO 8601 UTC), ``level`` (``info``, ``warning``,
``error``), ``event`` (a fixed word: ``start``, ``sent``, ``rescan``...) and
the fields of the event. Callers never pass credentials; the engine's error
messages hold none (``sides/s3store.py``).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import typing as t


def iso(ts: t.Optional[float]) -> t.Optional[str]:
    """Seconds since the epoch as ISO 8601 UTC with a ``Z`` (``None`` stays ``None``)."""
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int((ts % 1) * 1000):03d}Z"


class JsonLog:
    """Writes records to ``stream`` (default ``sys.stderr``), one line each, thread-safe."""

    def __init__(self, stream: t.Optional[t.TextIO] = None) -> None:
        self.stream = stream
        self._lock = threading.Lock()

    def __call__(self, level: str, event: str, **fields: t.Any) -> None:
        record = {"ts": iso(time.time()), "level": level, "event": event}
        record.update({k: v for k, v in fields.items() if v is not None})
        line = json.dumps(record, default=str, ensure_ascii=False)
        with self._lock:
            stream = self.stream or sys.stderr
            try:
                stream.write(line + "\n")
                stream.flush()
            except (OSError, ValueError):
                pass  # a closed stderr never stops the service


__all__ = ["JsonLog", "iso"]
