# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The interface every side implements: one end of a sync.

**PRIVATE**: this module is internal to the s32s.sync collection.

As rclone's ``fs.Fs``: the runner, the executor and the report never ask
which way a run goes, only what each side can do. Today's sides are a local
directory (``local.py``) and an S3 prefix (``s3.py``); the transfer of one
file between two of them is chosen from the pair (``jobs/transfers.py``).
"""

from __future__ import annotations

import typing as t

from ..config.ignore import IgnoreRules
from .deletion import DeleteOutcome
from .tree import Tree


class Side(t.Protocol):
    """One end of a sync.

    :ivar is_local: a local directory (the manifest records its files' stat).
    :ivar has_dirs: it holds directories (plans may ``mkdir``/``rmdir`` on it).
    :ivar address: where it is, for the gate's scope (``S3Location`` or ``LocalRoot``).
    """

    is_local: bool
    has_dirs: bool

    @property
    def address(self) -> t.Any:
        """Where this side is (``S3Location`` or ``paths.LocalRoot``)."""

    def display(self, relpath: str) -> str:
        """How messages and diff lines name ``relpath`` on this side."""

    def reserved_name(self, relpath: str) -> t.Optional[str]:
        """Why this side cannot hold ``relpath`` (its own temporary names), or ``None``."""

    def list_all(self, ignore: IgnoreRules) -> Tree:
        """Everything under the side. :raises S32SError: it cannot be listed."""

    def list_selected(self, relpaths: t.Iterable[str], ignore: IgnoreRules) -> Tree:
        """Just ``relpaths`` (a targeted run). :raises S32SError: it cannot be listed."""

    def prepare_writes(self) -> None:
        """Check, before any change, that writes can be made as asked. :raises ConfigError: they cannot."""

    def begin_writes(self) -> None:
        """Prepare the first write of a run (a local root is created)."""

    def remove_temp_files(self, tree: Tree) -> None:
        """Remove leftovers of an interrupted run that ``tree`` listed."""

    def delete_many(self, relpaths: t.Sequence[str]) -> DeleteOutcome:
        """Delete in order, stopping after the first failed batch or file; never raises for one path."""

    def remove_dirs(self, relpaths: t.Sequence[str]) -> list[str]:
        """Remove the empty directories ``relpaths``, deepest first; returns those removed."""

    def make_dir(self, relpath: str) -> None:
        """Create the directory ``relpath``. :raises OSError: it cannot be created."""


__all__ = ["Side"]
