# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The end of every s32s.sync module: engine outcome -> ``exit_json`` / ``fail_json``.

**PRIVATE**: this module is internal to the s32s.sync collection.

Takes an ``AnsibleAWSModule``-like object (``check_mode``, ``_diff``,
``warn()``, ``exit_json()``, ``fail_json()``) and imports nothing from Ansible.
Reporting a run is where its changes stop being unreported: the markers of
its pairs are removed just before ``exit_json``, and put back when the
result cannot be written (``state/unreported.py``).
"""

from __future__ import annotations

import os
import signal
import sys
import typing as t

from ._engine.config.options import SyncOptions
from ._engine.errors import S32SError
from ._engine.jobs.report import to_result
from ._engine.jobs.runner import PairRun, PlanningError, clear_unreported, restore_unreported

#: Most warnings passed to Ansible in one run (the report keeps the counts).
MAX_WARNINGS = 20


def warn_all(module: t.Any, warnings: t.Iterable[str]) -> None:
    """``module.warn()`` each warning, at most ``MAX_WARNINGS`` (never through
    the result key ``warnings``, which ansible-core 2.19 deprecates)."""
    for warning in list(warnings)[:MAX_WARNINGS]:
        module.warn(warning)


def fail_on_error(module: t.Any, error: S32SError, options: t.Optional[SyncOptions], *,
                  warnings: t.Sequence[str] = (), runs_key: str = "maps") -> None:
    """Fail the task for an error raised before any change: ``changed: false``,
    the message, its details and, for a refused plan, every pair's result.

    The warnings go with the failure as they go with a success (a mistyped map
    field often explains the failure): ``warnings`` (the job's: unknown map
    fields), then the error's own, then those of a refused plan's pairs."""
    found = list(warnings) + list(error.warnings)
    if isinstance(error, PlanningError):
        result = to_result(error.runs, options or SyncOptions(), check_mode=True, diff=False)
        warn_all(module, found + result.pop("warnings"))
        result["changed"] = False
        result[runs_key] = result.pop("maps")
        module.fail_json(msg=error.msg, **result)
    warn_all(module, found)
    module.fail_json(msg=error.msg, changed=False, **error.details)


def finish(module: t.Any, runs: t.Sequence[PairRun], options: SyncOptions, *, warnings: t.Sequence[str] = (),
           runs_key: str = "maps", noun: str = "map", extra: t.Optional[t.Mapping[str, t.Any]] = None) -> None:
    """Report ``runs`` and exit: warnings (at most ``MAX_WARNINGS``), then
    ``fail_json`` when a pair failed or was refused (with the whole result and
    ``changed`` as it is), else ``exit_json``."""
    result = to_result(runs, options, check_mode=bool(module.check_mode), diff=bool(module._diff))
    warn_all(module, list(warnings) + result.pop("warnings"))
    result[runs_key] = result.pop("maps")
    result.update(extra or {})
    bad = [r for r in runs if r.status in ("failed", "refused")]
    if bad:
        more = f" (and {len(bad) - 1} more {noun}(s))" if len(bad) > 1 else ""
        module.fail_json(msg=bad[0].error + more, **result)  # the markers stay: no handler is notified
    if module.check_mode:
        module.exit_json(**result)
    # the run is being reported: its changes are no longer unreported
    exit_reporting(module, result, lambda: clear_unreported(runs), restore_unreported)


def exit_reporting(module: t.Any, result: t.Mapping[str, t.Any], clear: t.Callable[[], t.Sequence[t.Any]],
                   restore: t.Callable[[t.Sequence[t.Any]], None]) -> None:
    """``exit_json(**result)`` with the markers of unreported changes removed first
    (``clear()`` returns what it removed); when the result cannot be delivered
    (the controller is gone), ``restore(removed)`` puts them back."""
    cleared = clear()
    delivered = False
    try:
        module.exit_json(**result)
    except SystemExit:
        delivered = _result_delivered()
        raise
    except OSError:  # writing the result failed: the controller is gone (a closed pipe or connection)
        _silence_stdout()
        raise SystemExit(1) from None
    finally:
        if cleared and not delivered:
            restore(cleared)


def _result_delivered() -> bool:
    """Flush the result written to stdout; ``False`` when it cannot be (the
    controller is gone: a closed pipe or connection)."""
    try:
        sys.stdout.flush()
        return True
    except (OSError, ValueError):
        _silence_stdout()
        return False


def _silence_stdout() -> None:
    """Send what is left of stdout to ``/dev/null``, so that the interpreter exits quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def finish_without_controller() -> None:
    """From the first change on, finish the run even when the controller is gone.

    Ctrl-C on ``ansible-playbook``, an AWX cancel (both ``SIGINT`` to the
    module's process group) and a closed terminal or SSH session (``SIGHUP``)
    no longer stop the module halfway: it completes the run, deletions and
    manifests included. Its result then cannot be delivered, so the markers
    of its changes stay and the next run reports them (``docs/safety.md``).

    It also leaves its process group for one of its own: on Ctrl-C,
    ansible-core's worker, when it has not exited by the time the controller
    cleans up, is terminated and passes ``SIGTERM`` to its whole process
    group (``WorkerProcess._term``), which held the module; whether the
    module finished then depended on that race. ``SIGTERM`` and ``SIGKILL``
    sent to the module itself (or to its systemd unit's cgroup) still stop it.

    In its own group it is a background job when Ansible gave it a terminal
    (ssh ``-tt``); ``SIGTTOU`` is ignored too, so that writing its result to
    a terminal with ``tostop`` set proceeds instead of stopping the module.
    """
    for name in ("SIGINT", "SIGHUP", "SIGTTOU"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        try:
            signal.signal(signum, signal.SIG_IGN)
        except (OSError, ValueError):  # not the main thread: nothing to change
            pass
    try:
        os.setpgid(0, 0)
    except OSError:  # a session leader cannot move: it keeps its group
        pass


__all__ = ["finish", "exit_reporting", "fail_on_error", "warn_all", "finish_without_controller", "MAX_WARNINGS"]
