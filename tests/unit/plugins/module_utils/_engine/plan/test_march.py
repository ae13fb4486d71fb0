# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The march (plugins/module_utils/_engine/plan/march.py), in the style of rclone's TestMatchListings.

Each case gives the listings (relpaths), an optional ``only`` and the
expected rows, each row written as its relpath and a presence pattern: one
character per listing, a letter where the listing has the relpath, ``-``
where its entry is ``None``. Every case also runs with the listings in
reverse order and checks that each row's entries are reversed too.
"""

from __future__ import annotations

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.march import Row, march

NFC, NFD = "caf\u00e9", "cafe\u0301"


def listing(index, paths):
    """relpath -> a value naming the listing and the relpath (so a row shows where it came from)."""
    return {p: (index, p) for p in paths}


def expected_rows(rows):
    """``[(relpath, pattern)]`` -> the :class:`Row` objects the march must yield."""
    return [Row(p, tuple(None if c == "-" else (i, p) for i, c in enumerate(pattern))) for p, pattern in rows]


# name: (listings as lists of relpaths, only, [(relpath, presence pattern)])
CASES = {
    "no listings at all": ([], None, []),
    "two empty listings": ([[], []], None, []),
    "first only": ([["a"], []], None, [("a", "L-")]),
    "second only": ([[], ["a"]], None, [("a", "-R")]),
    "in both listings: one row": ([["a"], ["a"]], None, [("a", "LR")]),
    "mixed": ([["a", "c"], ["b", "c"]], None, [("a", "L-"), ("b", "-R"), ("c", "LR")]),
    "one listing": ([["b", "a"]], None, [("a", "L"), ("b", "L")]),
    "case variants are different rows": (
        [["A.txt"], ["a.txt"]], None, [("A.txt", "L-"), ("a.txt", "-R")]),
    "case variants on both sides": (
        [["A.txt", "a.txt"], ["a.txt", "A.txt"]], None, [("A.txt", "LR"), ("a.txt", "LR")]),
    "NFC and NFD are different rows": ([[NFC], [NFD]], None, [(NFD, "-R"), (NFC, "L-")]),
    "NFC and NFD on both sides": ([[NFC, NFD], [NFD]], None, [(NFD, "LR"), (NFC, "L-")]),
    "a file where the other has a directory": ([["a"], ["a/b"]], None, [("a", "L-"), ("a/b", "-R")]),
    "a file and a directory of the same stem on both sides": (
        [["a", "a/b"], ["a/b", "a"]], None, [("a", "LR"), ("a/b", "LR")]),
    "code point order: 'B' < 'a' < 'a-b' < 'a.b' < 'a/b' < 'ab'": (
        [["ab", "a/b", "a"], ["a.b", "a-b", "B"]], None,
        [("B", "-R"), ("a", "L-"), ("a-b", "-R"), ("a.b", "-R"), ("a/b", "L-"), ("ab", "L-")]),
    "deeper paths sort by code point, not by depth": (
        [["a/b/c", "a/b"], ["a/b-c", "a/bc"]], None,
        [("a/b", "L-"), ("a/b-c", "-R"), ("a/b/c", "L-"), ("a/bc", "-R")]),
    "three listings": (
        [["a", "b", "e"], ["b", "c", "e"], ["a", "c", "d", "e"]], None,
        [("a", "L-B"), ("b", "LR-"), ("c", "-RB"), ("d", "--B"), ("e", "LRB")]),
    "three listings, one empty": ([["x"], [], ["x", "y"]], None, [("x", "L-B"), ("y", "--B")]),
    # --- only: a targeted walk ------------------------------------------------------
    "only: just those relpaths": (
        [["a", "b", "c"], ["b", "d"]], {"b", "d"}, [("b", "LR"), ("d", "-R")]),
    "only: a relpath no listing has gives no row": (
        [["a", "b"], ["b"]], {"b", "ghost"}, [("b", "LR")]),
    "only: nothing selected": ([["a"], ["a"]], set(), []),
    "only: exact names, not case variants": ([["A.txt"], ["A.txt"]], {"a.txt"}, []),
    "only: exact names, not normalisation variants": ([[NFD], [NFD]], {NFC}, []),
    "only: a directory name does not select what is below it": (
        [["a/b", "a/c"], ["a/b"]], {"a"}, []),
    "only: a file and a directory of the same stem": (
        [["a", "a/b"], ["a/b"]], {"a/b"}, [("a/b", "LR")]),
    "only with three listings": (
        [["a", "b"], ["b", "c"], ["c", "d"]], {"a", "c", "z"}, [("a", "L--"), ("c", "-RB")]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_match_listings(name):
    paths, only, rows = CASES[name]
    listings = [listing(i, p) for i, p in enumerate(paths)]
    got = list(march(*listings, only=only))
    assert got == expected_rows(rows)
    for row in got:
        assert isinstance(row, Row) and len(row.entries) == len(listings)
        relpath, entries = row                                      # rows unpack as (relpath, entries)
        assert relpath == row.relpath and entries == row.entries


@pytest.mark.parametrize("name", list(CASES))
def test_match_listings_swapped(name):
    paths, only, rows = CASES[name]
    listings = [listing(i, p) for i, p in enumerate(paths)]
    straight = list(march(*listings, only=only))
    swapped = list(march(*reversed(listings), only=only))
    assert [r.relpath for r in swapped] == [r.relpath for r in straight]
    assert [r.entries for r in swapped] == [tuple(reversed(r.entries)) for r in straight]
    # and the swapped march is the swapped table
    n = len(listings)
    assert swapped == [Row(p, tuple(None if c == "-" else (n - 1 - i, p) for i, c in enumerate(pattern[::-1])))
                       for p, pattern in rows]


def test_only_none_is_a_full_walk():
    a, b = listing(0, ["x", "y"]), listing(1, ["y", "z"])
    assert list(march(a, b, only=None)) == list(march(a, b))
    assert [r.relpath for r in march(a, b)] == ["x", "y", "z"]


def test_entries_are_the_listings_values():
    # the march passes the listings' own objects through, whatever they are
    left, right = {"a": object()}, {"a": object(), "b": object()}
    rows = list(march(left, right))
    assert rows[0].entries[0] is left["a"] and rows[0].entries[1] is right["a"]
    assert rows[1].entries == (None, right["b"])


def test_inputs_are_not_modified():
    left, right, only = listing(0, ["b", "a"]), listing(1, ["c"]), {"a", "c", "zz"}
    before = (dict(left), dict(right), set(only))
    assert [r.relpath for r in march(left, right, only=only)] == ["a", "c"]
    assert (left, right, only) == before
