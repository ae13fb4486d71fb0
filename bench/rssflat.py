# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 7: "RSS of a full push stays flat as file size grows".

Pushes (then pulls) a directory holding one file of 64, 256 and 512 MiB with
s32s_push / s32s_pull to an empty ``rclone serve s3``, and records the module
process's max RSS (``/usr/bin/time`` through the interpreter wrapper) and the task time.
"""

from __future__ import annotations

import os
import shutil
import typing as t

import tools
from datasets import MIB
from measure import run_job
from servers import make_server

SIZES_MIB = (64, 256, 512)


def _write(path: str, size: int) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        left = size
        while left:
            chunk = os.urandom(min(left, 8 * MIB))
            f.write(chunk)
            left -= len(chunk)


def measure(bench: t.Any) -> dict[str, t.Any]:
    from run import BUCKET, PREFIX  # pylint: disable=import-outside-toplevel

    work = os.path.join(bench.work, "rss")
    server = make_server("rclone", os.path.join(bench.work, "servers-rss"))
    rows = []
    try:
        for size in SIZES_MIB:
            shutil.rmtree(work, ignore_errors=True)
            src, dest, state = (os.path.join(work, d) for d in ("src", "dest", "state"))
            _write(os.path.join(src, "big", "blob.bin"), size * MIB)
            server.reset()
            server.client().create_bucket(Bucket=BUCKET)
            row: dict[str, t.Any] = {"size_mib": size}
            for direction, local in (("push", src), ("pull", dest)):
                job = tools.job(tools.OURS, direction, server, BUCKET, PREFIX, local, work, state)
                res = run_job(job, bench.tool_log, server.window(), server)
                row[direction] = {k: res.get(k) for k in ("wall_s", "task_s", "module_rss_mib", "module_cpu_s",
                                                          "rc", "ops")}
            ok = os.path.exists(os.path.join(dest, "big", "blob.bin")) and \
                os.path.getsize(os.path.join(dest, "big", "blob.bin")) == size * MIB
            row["correct"] = ok and row["push"]["rc"] == 0 and row["pull"]["rc"] == 0
            rows.append(row)
            bench.log_rss(row)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return {"rows": rows}
