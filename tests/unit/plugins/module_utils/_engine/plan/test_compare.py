# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The comparators (plugins/module_utils/_engine/plan/compare.py): tables of verdicts and records.

A comparator only ever sees two entries of the same size (the plan settles
the rest). :class:`ReplicaComparator` compares two S3 objects by ETag and by
the record of this product's last copy; :class:`ManifestComparator` compares
a local file and an S3 object by manifest record, then by the content
checks, and must be told which side is local.
"""

from __future__ import annotations

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.compare import (
    ADOPTED, DIFFERS, EQUAL, VERIFY, ManifestComparator, ReplicaComparator, Verdict)
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.tree import Entry
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.records import Record, ReplicaRecord

MD5_A = "9e107d9d372bb6826bd81d3542a419d6"
MD5_B = "e4d909c290d0fb1ca068ffaddf22cbd0"
MD5_C = "d41d8cd98f00b204e9800998ecf8427e"
MULTI_2 = "5f363e0e58a95f06cbe9bbc662c5dfb6-2"
MULTI_3 = "0ab7d4d2fe1d6cf5a5a5f1b5a4d0c6e1-3"
MULTI_2B = "7c2a1fca5fcb6f2ea3e9b5a5c2f4b8d1-2"

# --- ReplicaComparator ------------------------------------------------------------------------

EQUAL_V = Verdict(EQUAL)
CONTENT = Verdict(DIFFERS, "content differs")
NOT_COMPARABLE = Verdict(DIFFERS, "ETags not comparable")

# name: (source ETag, destination ETag, records, expected verdict)
REPLICA_CASES = {
    "equal MD5 ETags": (MD5_A, MD5_A, {}, EQUAL_V),
    "equal multipart ETags": (MULTI_2, MULTI_2, {}, EQUAL_V),
    "equal ETags, whatever an old record says": (MD5_A, MD5_A, {"k": ReplicaRecord(MD5_B, MD5_C)}, EQUAL_V),
    "record of exactly this pair: MD5 to multipart": (MD5_A, MULTI_2, {"k": ReplicaRecord(MD5_A, MULTI_2)}, EQUAL_V),
    "record of exactly this pair: multipart to MD5": (MULTI_3, MD5_B, {"k": ReplicaRecord(MULTI_3, MD5_B)}, EQUAL_V),
    "record of exactly this pair: other part sizes": (
        MULTI_3, MULTI_2, {"k": ReplicaRecord(MULTI_3, MULTI_2)}, EQUAL_V),
    "record of exactly this pair: a store whose ETags are not MD5s": (
        MD5_A, MD5_B, {"k": ReplicaRecord(MD5_A, MD5_B)}, EQUAL_V),
    "record for another destination ETag: not comparable": (
        MD5_A, MULTI_3, {"k": ReplicaRecord(MD5_A, MULTI_2)}, NOT_COMPARABLE),
    "record for another source ETag: not comparable": (
        MD5_B, MULTI_2, {"k": ReplicaRecord(MD5_A, MULTI_2)}, NOT_COMPARABLE),
    "record for another pair of MD5s: content differs": (
        MD5_A, MD5_C, {"k": ReplicaRecord(MD5_A, MD5_B)}, CONTENT),
    "record with the ETags the other way round": (
        MULTI_2, MD5_A, {"k": ReplicaRecord(MD5_A, MULTI_2)}, NOT_COMPARABLE),
    "record of another relpath": (MD5_A, MULTI_2, {"other": ReplicaRecord(MD5_A, MULTI_2)}, NOT_COMPARABLE),
    "different MD5s: content differs": (MD5_A, MD5_B, {}, CONTENT),
    "different multipart ETags: content differs": (MULTI_2, MULTI_2B, {}, CONTENT),
    "multipart ETags of other part counts: content differs": (MULTI_2, MULTI_3, {}, CONTENT),
    "MD5 against multipart: not comparable": (MD5_A, MULTI_2, {}, NOT_COMPARABLE),
    "multipart against MD5: not comparable": (MULTI_2, MD5_A, {}, NOT_COMPARABLE),
    "empty ETags on both sides are not equal": ("", "", {}, NOT_COMPARABLE),
    "missing ETags on both sides are not equal": (None, None, {}, NOT_COMPARABLE),
    "empty source ETag": ("", MD5_A, {}, NOT_COMPARABLE),
    "empty destination ETag": (MD5_A, "", {}, NOT_COMPARABLE),
    "missing destination ETag": (MULTI_2, None, {}, NOT_COMPARABLE),
}


def obj(etag, size=10, relpath="k"):
    return Entry(relpath, size, 5_555_000, etag)


@pytest.mark.parametrize("name", list(REPLICA_CASES))
def test_replica_compare(name):
    s_etag, d_etag, records, expected = REPLICA_CASES[name]
    cmp = ReplicaComparator(records)
    assert cmp.compare("k", obj(s_etag), obj(d_etag)) == expected


def test_replica_compare_reads_no_size_nor_time():
    # the plan compares sizes; the comparator trusts ETags and records only
    cmp = ReplicaComparator({})
    assert cmp.compare("k", Entry("k", 3, 1, MD5_A), Entry("k", 3, 999, MD5_A)) == EQUAL_V
    assert cmp.compare("k", Entry("k", 3, 1, MD5_A), Entry("k", 3, 1, MD5_B)) == CONTENT


@pytest.mark.parametrize("s_etag, d_etag", [(MD5_A, MULTI_2), (MULTI_3, MULTI_2), (MD5_A, MD5_B), (MD5_A, MD5_A)])
def test_replica_record_makes_the_pair_equal(s_etag, d_etag):
    src, dst = obj(s_etag), obj(d_etag)
    record = ReplicaComparator({}).record("k", src, dst)
    assert record == ReplicaRecord(s_etag, d_etag) and isinstance(record, ReplicaRecord)
    assert record.src_etag == s_etag and record.dst_etag == d_etag
    later = ReplicaComparator({"k": record})
    assert later.compare("k", src, dst) == EQUAL_V
    # once either side changes, the record says nothing
    assert later.compare("k", src, obj(MULTI_2B)).kind == DIFFERS
    assert later.compare("k", obj(MD5_C), dst).kind == DIFFERS


def test_replica_record_ignores_old_records():
    old = {"k": ReplicaRecord(MD5_B, MD5_C)}
    assert ReplicaComparator(old).record("k", obj(MD5_A), obj(MULTI_2)) == ReplicaRecord(MD5_A, MULTI_2)


def test_replica_record_needs_both_etags():
    """A record of an empty ETag would vouch for any later pair without one: none is made."""
    assert ReplicaComparator({}).record("k", obj(None), obj(MD5_A)) is None
    assert ReplicaComparator({}).record("k", obj(MD5_A), obj(None)) is None
    assert ReplicaComparator({}).record("k", obj(MD5_A), obj(MD5_B)) == ReplicaRecord(MD5_A, MD5_B)


# --- ManifestComparator -----------------------------------------------------------------------

LOCAL = Entry("f", 4, 1_000, None, 2_000, 3_000)
REMOTE = Entry("f", 4, 5_555_000, MD5_A)
VOUCHING = Record(4, 1_000, 2_000, 3_000, MD5_A)
STALE = {
    "size": VOUCHING._replace(size=5),
    "mtime": VOUCHING._replace(mtime_ns=999),          # an mtime put back by a tool
    "ctime": VOUCHING._replace(ctime_ns=2_001),        # a same-size edit, mtime restored
    "ino": VOUCHING._replace(ino=3_001),               # the file replaced by a rename
    "etag": VOUCHING._replace(etag=MD5_B),             # the object rewritten by someone else
}

# name: (records, checked, expected verdict)
MANIFEST_CASES = {
    "record vouches": ({"f": VOUCHING}, None, Verdict(EQUAL)),
    "record vouches, whatever the content check says": ({"f": VOUCHING}, {"f": False}, Verdict(EQUAL)),
    "record vouches, check says equal: no adoption": ({"f": VOUCHING}, {"f": True}, Verdict(EQUAL)),
    **{f"record stale: {field}": ({"f": rec}, None, Verdict(VERIFY)) for field, rec in STALE.items()},
    **{f"record stale: {field}, check says equal": ({"f": rec}, {"f": True}, Verdict(ADOPTED))
       for field, rec in STALE.items()},
    **{f"record stale: {field}, check says different": ({"f": rec}, {"f": False}, CONTENT)
       for field, rec in STALE.items()},
    "no record, checked equal: adopted": ({}, {"f": True}, Verdict(ADOPTED)),
    "no record, checked different": ({}, {"f": False}, CONTENT),
    "nothing known: verify": ({}, None, Verdict(VERIFY)),
    "nothing known, empty checks: verify": ({}, {}, Verdict(VERIFY)),
    "record of another relpath: verify": ({"g": VOUCHING}, None, Verdict(VERIFY)),
    "check of another relpath: verify": ({}, {"g": True}, Verdict(VERIFY)),
}


@pytest.mark.parametrize("local_is_source", [True, False], ids=["push", "pull"])
@pytest.mark.parametrize("name", list(MANIFEST_CASES))
def test_manifest_compare(name, local_is_source):
    records, checked, expected = MANIFEST_CASES[name]
    cmp = ManifestComparator(records, checked, local_is_source=local_is_source)
    src, dst = (LOCAL, REMOTE) if local_is_source else (REMOTE, LOCAL)
    assert cmp.compare("f", src, dst) == expected


@pytest.mark.parametrize("local_is_source", [True, False], ids=["push", "pull"])
def test_manifest_local_side_picks_the_entries(local_is_source):
    # the entries given the other way round: the record describes neither
    cmp = ManifestComparator({"f": VOUCHING}, local_is_source=local_is_source)
    src, dst = (LOCAL, REMOTE) if local_is_source else (REMOTE, LOCAL)
    assert cmp.compare("f", src, dst) == Verdict(EQUAL)
    assert cmp.compare("f", dst, src) == Verdict(VERIFY)
    assert cmp.record("f", dst, src) is None                      # "local" has no ETag
    wrong = ManifestComparator({"f": VOUCHING}, local_is_source=not local_is_source)
    assert wrong.compare("f", src, dst) == Verdict(VERIFY)


@pytest.mark.parametrize("local_is_source", [True, False], ids=["push", "pull"])
def test_manifest_record_keeps_an_old_vouching_record(local_is_source):
    old = Record(*VOUCHING)                                        # an equal copy, but another object
    cmp = ManifestComparator({"f": old}, local_is_source=local_is_source)
    src, dst = (LOCAL, REMOTE) if local_is_source else (REMOTE, LOCAL)
    assert cmp.record("f", src, dst) is old


@pytest.mark.parametrize("local_is_source", [True, False], ids=["push", "pull"])
@pytest.mark.parametrize("old", [None] + list(STALE), ids=lambda v: f"old={v}")
def test_manifest_record_makes_a_new_one(local_is_source, old):
    records = {} if old is None else {"f": STALE[old]}
    local = Entry("f", 7, 11, None, 22, 33)
    remote = Entry("f", 7, 5_555_000, MULTI_2)
    src, dst = (local, remote) if local_is_source else (remote, local)
    cmp = ManifestComparator(records, {"f": True}, local_is_source=local_is_source)
    record = cmp.record("f", src, dst)
    assert record == Record(7, 11, 22, 33, MULTI_2) and isinstance(record, Record)
    # the new record vouches for the pair from now on, without a content check
    assert ManifestComparator({"f": record}, local_is_source=local_is_source).compare("f", src, dst) == Verdict(EQUAL)


@pytest.mark.parametrize("local_is_source", [True, False], ids=["push", "pull"])
@pytest.mark.parametrize("etag", [None, ""])
def test_manifest_record_needs_an_etag(local_is_source, etag):
    remote = Entry("f", 4, 5_555_000, etag)
    src, dst = (LOCAL, remote) if local_is_source else (remote, LOCAL)
    assert ManifestComparator({}, {"f": True}, local_is_source=local_is_source).record("f", src, dst) is None
    stale = {"f": VOUCHING._replace(mtime_ns=1)}
    assert ManifestComparator(stale, local_is_source=local_is_source).record("f", src, dst) is None


def test_manifest_inputs_are_not_modified():
    records, checked = {"f": STALE["ctime"]}, {"f": True}
    cmp = ManifestComparator(records, checked, local_is_source=True)
    assert cmp.compare("f", LOCAL, REMOTE) == Verdict(ADOPTED)
    assert cmp.record("f", LOCAL, REMOTE) == VOUCHING
    assert records == {"f": STALE["ctime"]} and checked == {"f": True}
