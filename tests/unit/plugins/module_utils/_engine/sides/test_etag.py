# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ETags (plugins/module_utils/_etag.py).

Expected values are computed here by hand (md5 of the concatenated part
md5s, "-N"), following the S3 user guide's "Checking object integrity", and
the part-size policy is compared with s3transfer's own ChunksizeAdjuster.
"""

from __future__ import annotations

import functools
import hashlib

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.etag import (
    MULTIPART_THRESHOLD, PART_SIZE, is_md5_etag, local_matches_etag, multipart_etag, normalize_etag,
    part_size_for)

MiB = 1024 * 1024
GiB = 1024 * MiB
SIZES = [0, 1, 8 * MiB, 8 * MiB + 1]


@functools.lru_cache(maxsize=None)
def content(size):
    # not one repeated byte, so that a part boundary in the wrong place changes the digests
    block = bytes(range(256)) * 4096 + b"s32s"          # 1 MiB + 4 bytes: not aligned to parts
    out = (block * (size // len(block) + 1))[:size]
    assert len(out) == size
    return out


def md5(data):
    return hashlib.md5(data).hexdigest()


def by_hand(data, part):
    """The S3 multipart ETag of ``data`` uploaded in ``part``-byte parts."""
    view = memoryview(data)
    parts = [view[i:i + part] for i in range(0, len(data), part)]
    return hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + f"-{len(parts)}"


@functools.lru_cache(maxsize=None)
def expected(size, part):
    """``by_hand`` of the test content of ``size`` bytes (cached: hashing 12 MiB takes time)."""
    return by_hand(content(size), part)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("etag")
    out = {}
    for size in SIZES:
        data = content(size)
        path = d / f"f{size}"
        path.write_bytes(data)
        out[size] = (str(path), data)
    return out


def test_constants():
    assert MULTIPART_THRESHOLD == 8 * MiB
    assert PART_SIZE == 8 * MiB


def test_by_hand_helper_is_right_on_a_known_value():
    # 2 parts of 1 byte 'a' and 'b': md5(md5('a') + md5('b'))
    expected = hashlib.md5(bytes.fromhex("0cc175b9c0f1b6a831c399e269772661")
                           + bytes.fromhex("92eb5ffee6ae2fec3ad71c777531578f")).hexdigest() + "-2"
    assert by_hand(b"ab", 1) == expected


# --- plain MD5 ETags ---------------------------------------------------------------

@pytest.mark.parametrize("size", SIZES)
def test_md5_etag_matches(files, size):
    path, data = files[size]
    assert local_matches_etag(path, size, md5(data)) is True


@pytest.mark.parametrize("size", SIZES)
def test_md5_etag_of_other_content_does_not_match(files, size):
    path, data = files[size]
    assert local_matches_etag(path, size, md5(data + b"!")) is False


def test_empty_file_has_the_md5_of_nothing(files):
    # community.aws s3_sync re-uploads empty files every run; we must match.
    path = files[0][0]
    assert local_matches_etag(path, 0, "d41d8cd98f00b204e9800998ecf8427e") is True


# --- multipart ETags -----------------------------------------------------------------

@pytest.mark.parametrize("size", [1, 8 * MiB, 8 * MiB + 1])
@pytest.mark.parametrize("part", [8 * MiB, 5 * MiB])
def test_multipart_etag_by_hand(files, size, part):
    path, data = files[size]
    assert multipart_etag(path, part) == expected(size, part)


@pytest.mark.parametrize("size, parts", [(1, 1), (8 * MiB, 1), (8 * MiB + 1, 2)])
def test_multipart_etag_part_counts(files, size, parts):
    path = files[size][0]
    assert multipart_etag(path, 8 * MiB).endswith(f"-{parts}")


def test_exactly_8_mib_is_one_part(files):
    # the threshold size: s3transfer uploads it as multipart with a single
    # part, so its ETag is md5(md5(data))-1, not md5(data)
    path, data = files[8 * MiB]
    one_part = hashlib.md5(hashlib.md5(data).digest()).hexdigest() + "-1"
    assert multipart_etag(path, part_size_for(8 * MiB)) == one_part
    assert local_matches_etag(path, 8 * MiB, one_part) is True
    assert local_matches_etag(path, 8 * MiB, md5(data)) is True


@pytest.mark.parametrize("size", [1, 8 * MiB + 1])  # 8 MiB: test_exactly_8_mib_is_one_part
def test_local_matches_our_own_multipart_etag(files, size):
    path, data = files[size]
    assert local_matches_etag(path, size, expected(size, part_size_for(size))) is True


@pytest.mark.parametrize("size", [8 * MiB, 8 * MiB + 1])
def test_local_matches_a_5_mib_part_etag_of_another_tool(files, size):
    # rclone uploads in 5 MiB parts
    path, data = files[size]
    etag = expected(size, 5 * MiB)
    assert etag != expected(size, 8 * MiB)
    assert local_matches_etag(path, size, etag) is True


def test_file_of_exactly_two_5_mib_parts(tmp_path):
    # no empty third part: 10 MiB in 5 MiB parts is "-2"
    size = 10 * MiB
    data = content(size)
    path = tmp_path / "f"
    path.write_bytes(data)
    etag = by_hand(data, 5 * MiB)
    assert etag.endswith("-2")
    assert multipart_etag(str(path), 5 * MiB) == etag
    assert local_matches_etag(str(path), size, etag) is True


@pytest.mark.parametrize("size", [8 * MiB + 1])
def test_multipart_etag_of_other_content_does_not_match(files, size):
    path, data = files[size]
    changed = data[:-1] + bytes([data[-1] ^ 1])
    for part in (5 * MiB, 8 * MiB):
        assert local_matches_etag(path, size, by_hand(changed, part)) is False


def test_multipart_etag_with_an_unknown_part_size_does_not_match(files):
    path, data = files[8 * MiB + 1]
    etag = by_hand(data, 3 * MiB)                  # 3 parts of 3 MiB: not a size we try
    assert local_matches_etag(path, 8 * MiB + 1, etag) is False


def test_multipart_etag_with_a_wrong_part_count_does_not_match(files):
    size = 8 * MiB + 1
    path = files[size][0]
    digest = expected(size, 5 * MiB).split("-")[0]
    assert local_matches_etag(path, size, f"{digest}-2") is True
    assert local_matches_etag(path, size, f"{digest}-3") is False
    assert local_matches_etag(path, size, f"{digest}-1") is False


@pytest.mark.parametrize("etag", [
    "", "abc", "0" * 31, "0" * 33, "z" * 32, "0" * 32 + "-", "0" * 32 + "-x",
    "8f0e8d5a2c7b6f0e9a1c4c1b1b9b4a3e-0x1",
])
def test_not_an_md5_based_etag_never_matches(files, etag):
    path = files[1][0]
    assert local_matches_etag(path, 1, etag) is False


def test_sse_kms_like_etag_never_matches(files):
    # 32 hex digits that are not the MD5 of the content
    path, data = files[1]
    assert local_matches_etag(path, 1, md5(b"not the content")) is False


def test_unreadable_file_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        local_matches_etag(str(tmp_path / "missing"), 1, "0" * 32)
    with pytest.raises(OSError):
        multipart_etag(str(tmp_path / "missing"), 8 * MiB)


# --- part sizes --------------------------------------------------------------------

@pytest.mark.parametrize("size, part", [
    (0, 8 * MiB),
    (1, 8 * MiB),
    (8 * MiB, 8 * MiB),
    (10000 * 8 * MiB, 8 * MiB),               # exactly 10,000 parts
    (10000 * 8 * MiB + 1, 16 * MiB),          # one byte more: doubled
    (10000 * 16 * MiB, 16 * MiB),
    (10000 * 16 * MiB + 1, 32 * MiB),
    (100 * GiB, 16 * MiB),
    (1024 * GiB, 128 * MiB),
    (5 * 1024 * GiB, 1024 * MiB),             # the 5 TiB object limit
])
def test_part_size_for(size, part):
    assert part_size_for(size) == part


@pytest.mark.parametrize("size", [0, 1, 8 * MiB, 80 * GiB, 80 * GiB + 1, 200 * GiB, 1024 * GiB + 7, 5 * 1024 * GiB])
def test_part_size_agrees_with_s3transfer(size):
    s3transfer_utils = pytest.importorskip("s3transfer.utils")
    adjusted = s3transfer_utils.ChunksizeAdjuster().adjust_chunksize(PART_SIZE, size)
    assert part_size_for(size) == adjusted


@pytest.mark.parametrize("size", [1, 10**6, 10**9, 10**12, 5 * 1024 * GiB])
def test_part_size_gives_at_most_10000_parts(size):
    part = part_size_for(size)
    assert -(-size // part) <= 10000
    assert part == PART_SIZE or -(-size // (part // 2)) > 10000     # the smallest doubling that fits


# --- normalisation ---------------------------------------------------------------------

@pytest.mark.parametrize("raw, normal", [
    ('"D41D8CD98F00B204E9800998ECF8427E"', "d41d8cd98f00b204e9800998ecf8427e"),
    ("d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427e"),
    (' "abc-2" ', "abc-2"),
    (None, ""),
    ("", ""),
])
def test_normalize_etag(raw, normal):
    assert normalize_etag(raw) == normal


@pytest.mark.parametrize("etag, plain", [
    ("d41d8cd98f00b204e9800998ecf8427e", True),
    ("D41D8CD98F00B204E9800998ECF8427E", False),    # normalise first
    ("d41d8cd98f00b204e9800998ecf8427e-1", False),
    ("", False),
])
def test_is_md5_etag(etag, plain):
    assert is_md5_etag(etag) is plain
