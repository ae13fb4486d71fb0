# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A file's mode in an object's metadata (sides/modes.py; issue 15 point 3)."""

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.modes import (
    NONE, applied_mode, mode_from_headers, mode_from_metadata, mode_metadata)


def test_push_writes_s3fs_decimal_st_mode():
    assert mode_metadata(0o755) == {"mode": "33261"}
    assert mode_metadata(0o644) == {"mode": "33188"}
    assert mode_metadata(-1) == {}


@pytest.mark.parametrize("metadata, bits", [
    ({"mode": "33261"}, 0o755),            # s3fs: decimal st_mode
    ({"Mode": "33188"}, 0o644),            # rclone answers with a capital
    ({"mode": "0100664"}, 0o664),          # rclone --metadata: octal, leading zero
    ({"mode": "420"}, 0o644),              # decimal permission bits only
    ({"mode": "35309"}, 0o4755),           # setuid kept here; pull drops it (applied_mode)
    ({}, NONE), (None, NONE), ({"mode": ""}, NONE), ({"mode": "x"}, NONE), ({"mode": "089"}, NONE),
    ({"mode": str(0o40755)}, NONE),        # a directory's mode is not a file's
    ({"mode": str(0o120777)}, NONE),       # nor a symlink's
    ({"mode": "99999999"}, NONE),
])
def test_reading_a_mode(metadata, bits):
    assert mode_from_metadata(metadata) == bits


def test_headers_and_the_bits_pull_applies():
    assert mode_from_headers({"X-Amz-Meta-Mode": "33261", "content-type": "x"}) == 0o755
    assert mode_from_headers({"etag": "x"}) == NONE
    assert applied_mode(0o4755) == 0o755 and applied_mode(0o2775) == 0o775 and applied_mode(NONE) is None
