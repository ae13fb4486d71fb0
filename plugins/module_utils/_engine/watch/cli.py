# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The command line ``s32s-watch``: ``run``, ``status``, ``rescan``, ``check`` (README.md: exit codes).

**PRIVATE**: this module is internal to the s32s.sync collection.

The launcher the role installs calls :func:`main` with the path of the
installed configuration. Errors are one line on stderr (a JSON record for
``run``, whose stderr is the service's log), never a credential.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import sys
import time
import typing as t

from ..errors import ConfigError
from . import lockfile
from .config import WatchConfig, load_config, parse_config
from .log import JsonLog
from .exitcodes import RC_CONFIG, RC_FAILED, RC_OK, RC_RUNNING, RC_STATE, RC_TIMEOUT
from .queue import Queue
from .status import map_destinations, read_status


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> t.NoReturn:
        self.print_usage(sys.stderr)
        self.exit(RC_CONFIG, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="s32s-watch", description="Keep directories in S3, continuously (s32s.sync).")
    parser.add_argument("--config", help="the configuration file (default: the installed one; '-': read it from stdin)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("run", help="run the service in the foreground until SIGTERM")
    sub.add_parser("status", help="print the status document (JSON)")
    rescan = sub.add_parser("rescan", help="reconcile every map now")
    rescan.add_argument("--timeout", type=float, default=600.0,
                        help="seconds to wait for the running service (default 600)")
    sub.add_parser("check", help="list one key of each map's prefix with the configured credentials (JSON)")
    return parser


def _say(message: str) -> None:
    sys.stderr.write(f"s32s-watch: {message}\n")


def _status(config: WatchConfig) -> dict[str, t.Any]:
    return read_status(config.state_dir, [m.name for m in config.maps], map_destinations(config))


def _print_status(config: WatchConfig) -> int:
    try:
        doc = _status(config)
    except (OSError, sqlite3.Error) as e:
        _say(f"cannot read the state directory {config.state_dir}: {getattr(e, 'strerror', None) or e}")
        return RC_STATE
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    return RC_OK


def _rescan(config: WatchConfig, timeout: float) -> int:
    from .service import Service, prepare_state_dir  # pylint: disable=import-outside-toplevel  # boto3: not for status
    try:
        prepare_state_dir(config.state_dir)
        held = lockfile.holder(config.state_dir)
        if held and held[1] == lockfile.SERVICE:
            return _rescan_by_service(config, held[0], timeout)
        lock = lockfile.ServiceLock(config.state_dir, lockfile.ONE_SHOT)
        if not lock.acquire(timeout, while_held_by=lockfile.ONE_SHOT):
            held = lockfile.holder(config.state_dir)
            if held and held[1] == lockfile.SERVICE:
                return _rescan_by_service(config, held[0], timeout)
            _say(f"another rescan held {config.state_dir} for more than {timeout:g} s")
            return RC_TIMEOUT
        queue = Queue(config.state_dir, config.timing)
    except (OSError, sqlite3.Error) as e:
        _say(f"cannot use the state directory {config.state_dir}: {getattr(e, 'strerror', None) or e}")
        return RC_STATE
    try:
        ok = Service(config, JsonLog()).rescan_once(queue)
    except ConfigError as e:
        _say(e.msg)
        return RC_CONFIG
    finally:
        queue.close()
        lock.release()
    rc = _print_status(config)
    return rc if rc != RC_OK else (RC_OK if ok else RC_FAILED)


def _rescan_by_service(config: WatchConfig, pid: int, timeout: float) -> int:
    """Ask the running service (a request row, then SIGUSR1) and wait for its answer."""
    queue = Queue(config.state_dir, config.timing)
    try:
        request_id = queue.request()
        if pid:
            try:
                os.kill(pid, signal.SIGUSR1)
            except OSError:
                pass  # another user's process: the service polls its requests anyway
        deadline = time.monotonic() + timeout
        while True:
            outcome = queue.request_outcome(request_id)
            if outcome is not None:
                break
            if time.monotonic() >= deadline:
                _say(f"the running service (pid {pid}) did not finish the rescan within {timeout:g} s")
                return RC_TIMEOUT
            time.sleep(0.1)
    finally:
        queue.close()
    rc = _print_status(config)
    return rc if rc != RC_OK else (RC_OK if outcome else RC_FAILED)


def _check(config: WatchConfig) -> int:
    """One listing of at most one key per map (``probe.py``); prints ``{"ok", "maps"}``."""
    from .probe import check_maps  # pylint: disable=import-outside-toplevel  # boto3: not for status
    try:
        maps = check_maps(config)
    except ConfigError as e:
        _say(e.msg)
        return RC_FAILED  # the check ran: 2 stays "usage" (an older s32s-watch without ``check``)
    ok = all(m["ok"] for m in maps)
    sys.stdout.write(json.dumps({"ok": ok, "maps": maps}, indent=2) + "\n")
    return RC_OK if ok else RC_FAILED


def _load(path: str) -> WatchConfig:
    """The configuration at ``path``, or read from stdin for ``-`` (the role's check of a
    configuration it has not written yet). :raises ConfigError: unreadable or invalid."""
    if path != "-":
        return load_config(path)
    try:
        raw = json.loads(sys.stdin.read())
    except ValueError as e:
        raise ConfigError(f"the configuration on stdin is not valid JSON: {e}") from None
    return parse_config(raw, "the configuration on stdin")


def main(argv: t.Optional[t.Sequence[str]] = None, config_path: t.Optional[str] = None) -> int:
    """Run one command; returns its exit code (README.md)."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    path = args.config or config_path
    if not path:
        _say("no configuration file: use --config PATH")
        return RC_CONFIG
    try:
        config = _load(path)
    except ConfigError as e:
        if args.command == "run":
            JsonLog()("error", "config", msg=e.msg)
        else:
            _say(e.msg)
        # ``check`` judges a configuration: an invalid one fails it (1); 2 stays "usage", which an
        # older s32s-watch without ``check`` answers, so the role can tell the two apart.
        return RC_FAILED if args.command == "check" else RC_CONFIG
    if args.command == "status":
        return _print_status(config)
    if args.command == "rescan":
        return _rescan(config, args.timeout)
    if args.command == "check":
        return _check(config)
    from .service import Service  # pylint: disable=import-outside-toplevel
    log = JsonLog()
    try:
        return Service(config, log).run()
    except Exception as e:  # pylint: disable=broad-except  # one record, not a traceback, for the journal
        log("error", "fatal", msg=f"{type(e).__name__}: {e}")
        return RC_FAILED


__all__ = ["main", "RC_OK", "RC_FAILED", "RC_CONFIG", "RC_STATE", "RC_TIMEOUT", "RC_RUNNING"]
