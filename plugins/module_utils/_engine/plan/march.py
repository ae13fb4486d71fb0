# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The march: one sorted walk over several listings.

**PRIVATE**: this module is internal to the s32s.sync collection.

As rclone's ``fs/march``, every plan walks its listings in lock step and sees
one row per relpath with the entry of each listing, or ``None`` where a
listing does not have it: two listings for one-way runs (source,
destination), three for two-way (local, remote, base).

Names are compared as they are, code point by code point (which is S3's
UTF-8 byte order): ``A`` and ``a``, or the NFC and NFD spellings of ``é``,
are different keys in S3 and different names on a Linux file system, so they
are different rows. A file ``a`` on one side and a directory ``a/`` on the
other are rows ``a`` and ``a/...`` of their own; the plan deletes the stale
one before the transfers (a type change, ``plan.clearing``).
"""

from __future__ import annotations

import typing as t

T = t.TypeVar("T")


class Row(t.NamedTuple):
    """One relpath of the march and its entry in each listing (``None``: absent)."""

    relpath: str
    entries: tuple[t.Any, ...]


def march(*listings: t.Mapping[str, T], only: t.Optional[t.AbstractSet[str]] = None) -> t.Iterator[Row]:
    """Yield a :class:`Row` per relpath of any listing, in code point order.

    :param listings: relpath -> entry, one mapping per side.
    :param only: a targeted walk: just these relpaths (those no listing has give no row).
    """
    names: set[str] = set()
    for listing in listings:
        names.update(listing)
    if only is not None:
        names &= only
    if len(listings) == 2:  # the one-way case, once per path of every run: no inner generator
        get_a, get_b = listings[0].get, listings[1].get
        for relpath in sorted(names):
            yield Row(relpath, (get_a(relpath), get_b(relpath)))
        return
    for relpath in sorted(names):
        yield Row(relpath, tuple([listing.get(relpath) for listing in listings]))


__all__ = ["Row", "march"]
