# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3 operation name of an HTTP request line, with the project's own classifier
(``tests/s3servers.py``: ``classify``).  Requests are path-style (``/bucket/key``).
A CopyObject cannot be told from a PutObject here (the ``x-amz-copy-source``
header is not in the request line); no tool of the benchmark copies objects.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import parse_qs, unquote, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
from s3servers import classify  # noqa: E402  pylint: disable=wrong-import-position


def classify_line(method: str, target: str) -> str:
    """``classify_line('GET', '/b/k?x=1')`` -> ``'GetObject'``; ``/moto-api/...`` -> ``'MotoApi'``."""
    parts = urlsplit(target)
    if parts.path.startswith("/moto-api"):
        return "MotoApi"
    bucket, _sep, key = parts.path.lstrip("/").partition("/")
    query = parse_qs(parts.query, keep_blank_values=True)
    return classify(method, unquote(bucket), unquote(key), query)
