# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The floor of any Ansible task on this machine: a one-task play of
``ansible.builtin.ping`` run the way the benchmark runs ours (same ansible-core,
interpreter wrapper, callback, local connection, no facts).

No Ansible module can have a task time below this, nor a whole
``ansible-playbook`` run below its wall time: it is the yardstick for the
targets that compare our task with a peer's whole process (P2, G2).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
import typing as t

import tools
from measure import base_env


def measure(workdir: str, runs: int = 5) -> dict[str, t.Any]:
    """``{"runs": n, "task_s": median, "wall_s": median, "task_all": [...], "wall_all": [...]}`` (seconds)."""
    work = os.path.join(workdir, "floor")
    os.makedirs(work, exist_ok=True)
    play = [{"name": "floor", "hosts": "all", "connection": "local", "gather_facts": False,
             "tasks": [{"name": "ping", "ansible.builtin.ping": {}}]}]
    path = os.path.join(work, "ping.yml")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(play, f)
    times = os.path.join(work, "ping.times.json")
    env = base_env()
    env.update(tools.ansible_env(work))
    env["S32S_BENCH_TIMES"] = times
    tasks, walls = [], []
    for _run in range(runs):
        if os.path.exists(times):
            os.unlink(times)
        start = time.perf_counter()
        subprocess.run([os.path.join(tools.BIN, "ansible-playbook"), "-i", "localhost,", path], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls.append(round(time.perf_counter() - start, 3))
        with open(times, encoding="utf-8") as f:
            tasks.append(round(json.load(f)[0]["seconds"], 3))
    return {"runs": runs, "task_s": statistics.median(tasks), "wall_s": statistics.median(walls),
            "task_all": tasks, "wall_all": walls, "description": " ".join(__doc__.split("\n\n", maxsplit=1)[0].split())}
