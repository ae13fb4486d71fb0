# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run options shared by every front door, validated once.

**PRIVATE**: this module is internal to the s32s.sync collection.
"""

from __future__ import annotations

import math
import re
import typing as t
from dataclasses import dataclass, field
from fractions import Fraction

from ..errors import ConfigError
from .attributes import ObjectAttributes

#: How a listing of a local side treats symlinks (``follow_symlinks``): follow
#: those whose target is inside the root, every one, or none.
FOLLOW_INSIDE_ROOT = "inside_root"
FOLLOW_ALWAYS = "always"
FOLLOW_NEVER = "never"
FOLLOW_CHOICES = (FOLLOW_INSIDE_ROOT, FOLLOW_ALWAYS, FOLLOW_NEVER)

#: Default deletion budget: at most half of the destination's files in one run.
DEFAULT_MAX_DELETE = "50%"
_BUDGET_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")


@dataclass(frozen=True)
class Budget:
    """A deletion budget: ``count`` deletions, or ``percent`` of the
    destination's files (rounded up), or no limit (both ``None``)."""

    count: t.Optional[int] = None
    percent: t.Optional[float] = None

    def limit(self, dest_files: int) -> t.Optional[int]:
        """Return the most deletions allowed for a destination of ``dest_files`` files (``None``: no limit)."""
        if self.count is not None:
            return self.count
        if self.percent is not None:
            # exact decimal arithmetic: in floats 4.4% of 1750 gave 78, not 77
            return math.ceil(Fraction(repr(self.percent)) * dest_files / 100)
        return None

    def __str__(self) -> str:
        if self.count is not None:
            return str(self.count)
        if self.percent is not None:
            return f"{self.percent:g}%"
        return "unlimited"


def parse_budget(value: t.Any) -> Budget:
    """Parse ``max_delete``: ``10`` (count), ``'25%'`` (percent of the
    destination), ``-1`` or ``'unlimited'`` (no limit).

    :raises ConfigError: anything else (a negative count other than ``-1``,
        a percentage above 100, text).
    """
    if isinstance(value, bool):
        raise ConfigError(f"max_delete must be a count, a percentage like '25%' or 'unlimited', got {value!r}")
    text = str(value).strip().lower()
    if text in ("unlimited", "-1"):
        return Budget()
    m = _BUDGET_RE.match(text)
    if not m:
        raise ConfigError(f"max_delete must be a count, a percentage like '25%' or 'unlimited', got {value!r}")
    number, pct = float(m.group(1)), m.group(2)
    if pct:
        if number > 100:
            raise ConfigError(f"max_delete percentage must be at most 100%, got {value!r}")
        return Budget(percent=number)
    if number != int(number):
        raise ConfigError(f"max_delete count must be a whole number, got {value!r}")
    return Budget(count=int(number))


#: Seconds after which an open multipart upload this host did not start is an orphan (24 h, ``sides/orphans.py``).
DEFAULT_ORPHAN_AGE_S = 24 * 3600.0


@dataclass
class SyncOptions:
    """Options of a run of any front door (the module's parameters, validated).

    Units: ``mode``/``directory_mode`` are permission bits (int) or ``None``;
    ``concurrency`` is a number of worker threads; ``list_files_max`` a count;
    ``lock_timeout`` seconds. ``lock_dir``: where push and pull take their host
    locks and keep their markers of unreported changes (the module's
    ``state_dir``, even without a manifest); ``None``: neither. ``ordered``:
    site-safe order, every create of a pair completes before its first update
    starts (``jobs/executor.py``). ``attributes``: what a push's uploads carry
    (``config/attributes.py``; the default: the Content-Type table only).
    ``orphan_upload_age_s``: a push aborts a multipart upload under a map's
    prefix that this host did not start once it is older than this
    (``sides/orphans.py``). ``preserve_mode``: push records each file's
    mode in its object's metadata, pull applies it when ``mode`` is not set
    (``sides/modes.py``). ``option_names``: how messages tell the user to set
    an option at this front door, option -> a format of ``{value}`` (the
    watch service names its configuration key and the role's variable);
    an option not listed is named as the modules name it (:meth:`setting`).
    """

    delete: bool = True
    max_delete: Budget = field(default_factory=lambda: parse_budget(DEFAULT_MAX_DELETE))
    allow_empty_source: bool = False
    allow_bare_bucket: bool = False
    follow_symlinks: str = FOLLOW_INSIDE_ROOT
    concurrency: int = 8
    transfer_processes: int = 0
    list_files: bool = False
    list_files_max: int = 1000
    owner: t.Optional[str] = None
    group: t.Optional[str] = None
    mode: t.Optional[int] = None
    directory_mode: t.Optional[int] = None
    state_dir: t.Optional[str] = None
    lock_dir: t.Optional[str] = None
    lock_timeout: float = 60.0
    ordered: bool = True
    preserve_mode: bool = True
    protected_keys: frozenset[tuple[str, str]] = frozenset()
    attributes: ObjectAttributes = field(default_factory=ObjectAttributes)
    orphan_upload_age_s: float = DEFAULT_ORPHAN_AGE_S
    option_names: t.Mapping[str, str] = field(default_factory=dict)

    def setting(self, option: str, value: str) -> str:
        """How a message asks for ``option`` set to ``value``: ``allow_empty_source=true``, or the
        front door's own words (``option_names``)."""
        return self.option_names.get(option, f"{option}={{value}}").format(value=value)

    def __post_init__(self) -> None:
        if self.follow_symlinks not in FOLLOW_CHOICES:
            raise ConfigError(f"follow_symlinks must be one of {list(FOLLOW_CHOICES)}, got {self.follow_symlinks!r}")
        if not 0 <= self.transfer_processes <= 64:
            raise ConfigError(f"transfer_processes must be between 0 (auto) and 64, got {self.transfer_processes}")
        if not 1 <= self.concurrency <= 128:
            raise ConfigError(f"concurrency must be between 1 and 128, got {self.concurrency}")
        if not self.lock_timeout >= 0:
            raise ConfigError(f"lock_timeout must be 0 or more seconds, got {self.lock_timeout}")
        if not self.orphan_upload_age_s >= 0:
            raise ConfigError(f"orphan_upload_age_s must be 0 or more seconds, got {self.orphan_upload_age_s}")


def _integer_mode_hint(value: int, name: str) -> str:
    """The message that refuses the integer ``value`` as a mode, with the quoted forms it may have meant."""
    readings = []
    if re.fullmatch(r"[0-7]{1,4}", str(value)):
        readings.append(f"use '{value:04d}' if you wrote {value}")
    if 0 <= value <= 0o7777:
        readings.append(f"'0{value:o}' if you wrote 0{value:o} (YAML 1.1 reads it as {value})")
    meant = " or ".join(readings) or "e.g. '0644'"
    return (f"{name} must be a quoted octal string, got the integer {value} (YAML reads an unquoted mode as a "
            f"number); quote it: {meant}")


def parse_mode(value: t.Any, name: str) -> t.Optional[int]:
    """Parse an octal permission string (``'0644'``, ``'644'``) into bits.

    Symbolic modes (``u+rw``) are refused with a clear error, and so is any
    integer (issue 15 point 2): YAML reads an unquoted ``644`` as the number
    644 (octal 1204: sticky bit, owner ``-w-``), and an unquoted ``0644`` as
    420 under YAML 1.1 (PyYAML, Ansible) but 644 under YAML 1.2, so a number
    cannot say which mode was meant. ``ansible.builtin.file`` takes a number
    as the bits and warns in its documentation of ``mode`` that a number
    written without a leading zero "will end up with a decimal number which
    will have unexpected results"; on a mirror of many hosts a wrong mode
    takes a site down, so this refuses and says to quote the mode.

    :raises ConfigError: not an octal string between 0 and 07777, or an integer.
    """
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        raise ConfigError(_integer_mode_hint(value, name))
    text = str(value).strip()
    if not re.fullmatch(r"0?o?[0-7]{1,4}", text):
        raise ConfigError(f"{name} must be an octal mode like '0644', got {value!r}")
    bits = int(text.replace("o", ""), 8)
    if not 0 <= bits <= 0o7777:
        raise ConfigError(f"{name} must be between 0000 and 7777, got {value!r}")
    return bits


__all__ = ["FOLLOW_INSIDE_ROOT", "FOLLOW_ALWAYS", "FOLLOW_NEVER", "FOLLOW_CHOICES", "Budget", "parse_budget", "SyncOptions", "parse_mode", "DEFAULT_MAX_DELETE",
           "DEFAULT_ORPHAN_AGE_S"]
