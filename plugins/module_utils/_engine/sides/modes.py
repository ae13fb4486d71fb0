# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A file's permission bits in an object's user metadata (issue 15, point 3).

**PRIVATE**: this module is internal to the s32s.sync collection.

Push writes the user metadata key ``mode`` (the header ``x-amz-meta-mode``)
as s3fs-fuse does: the decimal ``st_mode`` of a regular file, file type bits
included (``33261`` for ``-rwxr-xr-x``, ``33188`` for ``-rw-r--r--``); see
the s3fs-fuse FAQ and its issue 492 ("x-amz-meta-mode is file mode by
decimal"). A bucket written by this product then shows the right modes
through an s3fs mount. rclone (``--metadata``) writes the same key in octal
with a leading zero (``0100664``, ``backend/local/metadata.go``): reading
accepts both (a value starting with ``0`` is octal, else decimal), so objects
pushed by ``rclone -M`` keep their modes too.

Pull applies only the permission bits ``0o777`` of a mode read from metadata:
setuid, setgid and sticky bits are never restored from an object (anyone who
can write the bucket could otherwise plant a setuid program on every slave;
rclone made the same choice, GHSA-945v-v9p3-v5xw). The ``mode`` option of
pull may set them, and wins over the metadata.
"""

from __future__ import annotations

import stat
import typing as t

#: The user metadata key (``x-amz-meta-mode``).
MODE_KEY = "mode"
#: ``Entry.perm`` / ``Record.mode``: not known (never read, or not recorded).
UNKNOWN = -1
#: ``Entry.perm`` / ``Record.mode``: the object was read and carries no usable mode.
NONE = -2
#: The bits of a mode read from metadata that pull applies.
APPLIED_BITS = 0o777


def mode_metadata(perm: int) -> dict[str, str]:
    """The user metadata that records ``perm`` (permission bits of a regular file):
    ``{"mode": "<decimal st_mode>"}``, s3fs's format; ``{}`` for an unknown mode."""
    if perm < 0:
        return {}
    return {MODE_KEY: str(stat.S_IFREG | (perm & 0o7777))}


def mode_from_metadata(metadata: t.Optional[t.Mapping[str, str]]) -> int:
    """The permission bits (``0o7777``) of the ``mode`` key of an object's user
    metadata (key case ignored), or :data:`NONE` when there is none, it does not
    parse, or it names something other than a regular file."""
    value = None
    for key, text in (metadata or {}).items():
        if key.lower() == MODE_KEY:
            value = str(text).strip()
    if not value or not value.isdigit():
        return NONE
    try:
        number = int(value, 8) if value.startswith("0") else int(value)
    except ValueError:  # an 8 or 9 in an octal value
        return NONE
    file_type = stat.S_IFMT(number)
    if file_type not in (0, stat.S_IFREG) or number > 0o177777:
        return NONE
    return number & 0o7777


def applied_mode(perm: int) -> t.Optional[int]:
    """The bits pull sets for a mode read from metadata (``None``: none to set)."""
    return perm & APPLIED_BITS if perm >= 0 else None


def mode_carried_by(attrs: t.Any) -> int:
    """The permission bits an object uploaded or copied with the attribute set
    ``attrs`` (``config.attributes.AttributeSet``) carries: :func:`mode_from_metadata`
    of its user metadata (:data:`NONE`: none)."""
    return mode_from_metadata(dict(attrs.metadata))


def mode_from_headers(headers: t.Mapping[str, str]) -> int:
    """:func:`mode_from_metadata` of raw HTTP response headers (``x-amz-meta-mode``)."""
    prefix = "x-amz-meta-"
    return mode_from_metadata({k.lower()[len(prefix):]: v for k, v in headers.items()
                               if k.lower().startswith(prefix)})


__all__ = ["MODE_KEY", "UNKNOWN", "NONE", "APPLIED_BITS", "mode_metadata", "mode_from_metadata", "applied_mode",
           "mode_from_headers", "mode_carried_by"]
