# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Measuring launcher: ``python -I -S launch.py OUT.json ARGV...`` runs ARGV and writes
its wall seconds and rusage (max RSS of the largest process of its tree, CPU) to OUT.json.

Why a launcher: a child's ``ru_maxrss`` starts at the RSS of the process it was
forked from, so a tool started directly by the benchmark (which holds datasets in
memory) would inherit the benchmark's RSS.  This process stays small (~10 MiB).
"""

import json
import os
import subprocess
import sys
import time


def main():
    out, argv = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    proc = subprocess.Popen(argv)
    _pid, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"wall_s": wall, "rc": code, "maxrss_kib": ru.ru_maxrss, "user_s": ru.ru_utime,
                   "sys_s": ru.ru_stime}, f)
    return code if 0 <= code < 256 else 1


if __name__ == "__main__":
    sys.exit(main())
