# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing a state file atomically: a temporary file in the same directory, then a rename.

**PRIVATE**: this module is internal to the s32s.sync collection.
"""

from __future__ import annotations

import json
import os
import tempfile
import typing as t


def write_json(path: str, data: t.Any, *, prefix: str, durable: bool = False) -> None:
    """Write ``data`` as compact JSON to ``path`` (mode 0600, its directory made 0700):
    a reader sees the old file or the new one, never a part.

    :param prefix: the temporary file's name prefix (``.manifest-``).
    :param durable: fsync the file and its directory before returning.
    :raises OSError: the directory cannot be created or written.
    """
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, separators=(",", ":"))
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        try:
            dir_fd = os.open(directory, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)


__all__ = ["write_json"]
