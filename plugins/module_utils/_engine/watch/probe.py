# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``s32s-watch check``: can the service reach each map's destination with its credentials?

**PRIVATE**: this module is internal to the s32s.sync collection.

One ListObjectsV2 of at most one key under each map's prefix, with the
configuration's own connection (endpoint, keys or profile, CA bundle): it
proves that the endpoint answers, that the keys are known and the secret
right (``InvalidAccessKeyId``, ``SignatureDoesNotMatch``), that the bucket
exists and that the credentials may list the prefix, which every pass needs.
It writes nothing, so it cannot prove the right to upload or delete: the
first pass shows that (``status``: ``last_error``). The role
``s32s.sync.watch`` runs it before it writes a new configuration, so that
wrong credentials fail the play instead of a running service's every pass.
"""

from __future__ import annotations

import typing as t

from ..errors import StoreError
from .config import WatchConfig
from .connection import make_store

#: Attempts of the one request per map (a transient error is retried, a wrong key is not).
ATTEMPTS = 3


def check_maps(config: WatchConfig) -> list[dict[str, t.Any]]:
    """``[{"name", "s3", "ok", "error"}]``, one per map, in order; ``error`` is one line (never a
    credential, ``sides/s3store.py``) or ``None``.

    :raises ConfigError: the client cannot be made (boto3 missing, unknown profile...).
    """
    store = make_store(config.connection, max_attempts=ATTEMPTS)
    out = []
    for m in config.maps:
        error: t.Optional[str] = None
        try:
            store.list_one(m.s3.bucket, m.s3.list_prefix)
        except StoreError as e:
            error = e.msg
        out.append({"name": m.name, "s3": str(m.s3), "ok": error is None, "error": error})
    return out


__all__ = ["check_maps", "ATTEMPTS"]
