# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark callback: per task and host, the time from the task's start to its result.

Enabled with ``ANSIBLE_CALLBACKS_ENABLED=s32s_bench_timer``; writes JSON to the file
named by ``S32S_BENCH_TIMES`` at the end of the playbook:
``[{"task", "host", "start", "end", "seconds", "status", "changed", "totals"}]``.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: s32s_bench_timer
type: aggregate
short_description: Task times per host for the s32s.sync benchmark
description: Writes each task's start and end time per host as JSON to $S32S_BENCH_TIMES.
requirements: [enable in configuration]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "s32s_bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._start = {}
        self._records = []

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start[task._uuid] = time.time()

    def _record(self, result, status):
        task = result._task
        end = time.time()
        start = self._start.get(task._uuid, end)
        res = result._result or {}
        self._records.append({"task": task.get_name(), "host": result._host.get_name(), "start": start,
                              "end": end, "seconds": end - start, "status": status,
                              "changed": bool(res.get("changed")), "totals": res.get("totals"),
                              "msg": str(res.get("msg", ""))[:500]})

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("S32S_BENCH_TIMES")
        if path:
            with open(path, "w", encoding="utf-8") as f:
                json.dump(self._records, f)
