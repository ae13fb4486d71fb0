# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fast S3 timestamp parser gives exactly botocore's result (plugins/module_utils/_s3store.py)."""

from __future__ import annotations

import pytest
from botocore.utils import parse_timestamp as botocore_parse

from ansible_collections.s32s.sync.plugins.module_utils._s3store import parse_timestamp

CASES = [
    "2026-11-29T18:13:22.000Z",      # AWS and moto listings
    "2026-11-29T18:13:22.123Z",
    "2026-11-29T18:13:22Z",          # no fraction
    "2026-11-29T18:13:22.123456Z",
    "Sun, 29 Nov 2026 18:13:22 GMT",  # HEAD/GET Last-Modified header: botocore's parser
    "2026-11-29T18:13:22+02:00",     # not Z: botocore's parser
    1764440002,                       # epoch seconds: botocore's parser
]


@pytest.mark.parametrize("value", CASES)
def test_same_instant_as_botocore(value):
    ours, theirs = parse_timestamp(value), botocore_parse(value)
    assert ours.utcoffset() is not None
    assert ours.timestamp() == theirs.timestamp()


def test_garbage_is_botocore_error():
    with pytest.raises(ValueError):
        parse_timestamp("not a date Z")
