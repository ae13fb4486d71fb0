# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors of the s32s.sync engine.

**PRIVATE**: this module is internal to the s32s.sync collection.

The engine never calls Ansible: it raises one of these, and the module glue
turns it into ``fail_json(msg=str(error), **error.details)``.

Hierarchy::

    S32SError                 base; ``details`` is a JSON-safe dict
    ├── ConfigError           invalid maps, options or local paths (before any change)
    ├── SafetyError           the safety gate refused the plan (before any change)
    ├── StoreError            an S3 request failed (listing, reading a map, ...)
    └── TransferError         a transfer failed; carries what was done so far
"""

from __future__ import annotations

import typing as t


class S32SError(Exception):
    """Base of every engine error.

    :param msg: one line, naming the map and the field or key concerned.
    :param details: JSON-safe extra facts for the task result.
    :ivar warnings: warnings of the run it stopped (unknown map fields, skipped
        paths...); the front door reports them with the failure.
    """

    def __init__(self, msg: str, **details: t.Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.details: dict[str, t.Any] = details
        self.warnings: list[str] = []


class ConfigError(S32SError):
    """Invalid maps, options or local paths; raised before any change."""


class SafetyError(S32SError):
    """The safety gate refused a plan; raised before any mutating request."""


class StoreError(S32SError):
    """An S3 request failed.

    :param code: the S3 error code (``NoSuchBucket``, ``AccessDenied``,
        ``EndpointConnectionError``...) or a botocore exception name.
    """

    def __init__(self, msg: str, code: str = "", **details: t.Any) -> None:
        super().__init__(msg, code=code, **details)
        self.code = code


class TransferError(S32SError):
    """A transfer failed; ``details`` holds what the run did before."""


__all__ = ["S32SError", "ConfigError", "SafetyError", "StoreError", "TransferError"]
