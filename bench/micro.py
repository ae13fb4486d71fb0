# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client CPU per request of plain boto3, with the options our engine could take.

On 2 cores shared with the server, a full transfer is decided by the client's CPU per
request (issue 7).  This measures, in one process against a fresh ``rclone serve s3``,
the CPU seconds (``time.process_time``) and wall seconds of:

* PutObject of small files with a file object as body (what ``_s3store.upload`` does:
  botocore then adds ``Expect: 100-continue``, one more round trip per PUT) against
  the same bytes read first (no ``Expect``), on 4, 8 and 16 threads;
* GetObject of the same objects, default against an identity timestamp parser;
* ListObjectsV2 of the keys, default against (a) an identity timestamp parser (what
  the AWS CLI sets for ``s3 sync``) and (b) the same plus the ``before-parse``
  handler that parses every 200 response a first time to look for an embedded error
  (``_handle_200_error``) unregistered;
* and what the engine of the measured commit does: PUT and GET through awscrt with
  requests presigned by botocore (``_crt.CrtTransfers``, when awscrt is installed),
  and listings with its parser hooks (``_s3parse.use_fast_parsing``).
"""

from __future__ import annotations

import os
import random
import statistics
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor

import sys

import tools
from servers import make_server

BUCKET = "micro"


def _client(server: t.Any, identity_timestamps: bool = False, no_200_check: bool = False,
            pool: int = 32) -> t.Any:
    import botocore.session
    from botocore.config import Config

    session = botocore.session.get_session()
    if identity_timestamps:
        session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=lambda v: v)
    client = session.create_client(
        "s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key, region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                      response_checksum_validation="when_required", max_pool_connections=pool))
    if no_200_check:
        from botocore.handlers import _handle_200_error  # pylint: disable=import-outside-toplevel

        client.meta.events.unregister("before-parse.s3.*", _handle_200_error)
    return client


class _Discard:
    def write(self, data: bytes) -> int:
        return len(data)


def _ours(server: t.Any) -> t.Optional[tuple[t.Any, t.Any]]:
    """``(CrtTransfers, client with the listing hooks)`` of the measured commit; ``None`` without awscrt."""
    if tools.COLLECTIONS not in sys.path:
        sys.path.insert(0, tools.COLLECTIONS)
    try:
        from ansible_collections.s32s.sync.plugins.module_utils._engine.sides import crt as _crt
        from ansible_collections.s32s.sync.plugins.module_utils._engine.sides import s3parse as _s3parse
    except ImportError:
        return None
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key, region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                      request_checksum_calculation="when_required", response_checksum_validation="when_required"))
    _s3parse.use_fast_parsing(client)
    if not _crt.HAS_AWSCRT:
        return None
    return _crt.CrtTransfers(client), client


def _files(root: str, n: int) -> list[tuple[str, str]]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        rel = f"d{i % 20:02d}/f{i:05d}.bin"
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(rng.randbytes(rng.randint(1024, 16384)))
        out.append((rel, path))
    return out


def _timed(fn: t.Callable[[], t.Any]) -> tuple[float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - w0


def measure(workdir: str, n: int = 2000, repeats: int = 3) -> dict[str, t.Any]:
    server = make_server("rclone", os.path.join(workdir, "servers-micro"))
    server.reset()
    files = _files(os.path.join(workdir, "micro-files"), n)
    rows = []
    try:
        base = _client(server)
        base.create_bucket(Bucket=BUCKET)

        def put_file(client: t.Any, item: tuple[str, str]) -> None:
            with open(item[1], "rb") as f:
                client.put_object(Bucket=BUCKET, Key=item[0], Body=f, ContentLength=os.path.getsize(item[1]))

        def put_bytes(client: t.Any, item: tuple[str, str]) -> None:
            with open(item[1], "rb") as f:
                data = f.read()
            client.put_object(Bucket=BUCKET, Key=item[0], Body=data)

        def get(client: t.Any, item: tuple[str, str]) -> None:
            body = client.get_object(Bucket=BUCKET, Key=item[0])["Body"]
            body.read()
            body.close()

        def pool_run(fn: t.Callable, client: t.Any, threads: int) -> None:
            with ThreadPoolExecutor(threads) as ex:
                list(ex.map(lambda it: fn(client, it), files))

        def lister(client: t.Any) -> None:
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
                for obj in page.get("Contents", ()):
                    lm = obj["LastModified"]
                    if isinstance(lm, str):
                        from datetime import datetime  # pylint: disable=import-outside-toplevel

                        datetime.fromisoformat(lm.replace("Z", "+00:00"))

        cases: list[tuple[str, str, t.Callable[[], None], int]] = []
        for threads in (4, 8, 16):
            cases.append(("PutObject", f"file body (Expect: 100-continue), {threads} threads",
                          lambda th=threads: pool_run(put_file, base, th), n))
            cases.append(("PutObject", f"bytes body (no Expect), {threads} threads",
                          lambda th=threads: pool_run(put_bytes, base, th), n))
        fast_ts = _client(server, identity_timestamps=True)
        both = _client(server, identity_timestamps=True, no_200_check=True)
        for client in (base, fast_ts, both):  # warm up: endpoint resolution, paginator and shapes loaded once
            client.list_objects_v2(Bucket=BUCKET, MaxKeys=1)
            client.head_bucket(Bucket=BUCKET)
        ours = _ours(server)
        if ours is not None:
            crt, ours_client = ours

            def put_crt(_client: t.Any, item: tuple[str, str]) -> None:
                with open(item[1], "rb") as f:
                    crt.put(BUCKET, item[0], f.read(), {"ContentType": "application/octet-stream"},
                            [("Content-Type", "application/octet-stream")])

            def get_crt(_client: t.Any, item: tuple[str, str]) -> None:
                crt.get(BUCKET, item[0], _Discard())

            cases.append(("PutObject", "ours: awscrt, presigned by botocore, 8 threads",
                          lambda: pool_run(put_crt, None, 8), n))
            cases.append(("GetObject", "ours: awscrt, presigned by botocore, 8 threads",
                          lambda: pool_run(get_crt, None, 8), n))
            ours_client.list_objects_v2(Bucket=BUCKET, MaxKeys=1)
            cases.append(("ListObjectsV2", "ours: _s3parse hooks", lambda: lister(ours_client), n))
        cases += [
            ("GetObject", "default, 8 threads", lambda: pool_run(get, base, 8), n),
            ("GetObject", "identity timestamp parser, 8 threads", lambda: pool_run(get, fast_ts, 8), n),
            ("ListObjectsV2", f"default ({-(-n // 1000)} pages)", lambda: lister(base), n),
            ("ListObjectsV2", "identity timestamp parser + fromisoformat", lambda: lister(fast_ts), n),
            ("ListObjectsV2", "same, and no _handle_200_error pre-parse", lambda: lister(both), n),
        ]
        for op, variant, fn, count in cases:
            samples = [_timed(fn) for _unused in range(repeats)]
            cpu = statistics.median(s[0] for s in samples)
            wall = statistics.median(s[1] for s in samples)
            rows.append({"op": op, "variant": variant, "requests": count, "cpu_s": cpu, "wall_s": wall,
                         "cpu_ms_per_object": 1000 * cpu / count})
    finally:
        server.stop()
    return {"description": __doc__.split("\n\n", 1)[1].replace("\n", " "), "objects": n, "repeats": repeats,
            "rows": rows}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(measure(sys.argv[1] if len(sys.argv) > 1 else "/tmp/s32s-micro"), indent=1))
