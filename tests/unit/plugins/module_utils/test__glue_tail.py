# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The end of a push or pull (_glue_tail.py): when a run's changes stop being "unreported".

The marker of a pair (state/unreported.py) is removed just before ``exit_json``, and put back when
the result cannot be written (the controller is gone); check mode and failed runs keep it.
"""

from __future__ import annotations

import io
import os
import signal
import sys

import botocore.session
import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import S3Location
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.executor import Applied
from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import ConfigError
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.runner import Pair, PairRun, PlanningError
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.local import LocalSide
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3 import S3Side
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import S3Store
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.unreported import is_marked, mark
from ansible_collections.s32s.sync.plugins.module_utils._glue_tail import (
    MAX_WARNINGS, fail_on_error, finish, finish_without_controller)


class FakeModule:
    """What finish() uses of AnsibleAWSModule; exit_json prints like the real one, then "exits"."""

    def __init__(self, check_mode=False):
        self.check_mode = check_mode
        self._diff = False
        self.result = None
        self.warnings = []

    def warn(self, msg):
        self.warnings.append(msg)

    def exit_json(self, **result):
        self.result = result
        print('{"changed": %s}' % str(result['changed']).lower())
        raise SystemExit(0)

    def fail_json(self, **result):
        self.result = result
        raise SystemExit(1)


class BrokenStdout(io.StringIO):
    """A stdout whose reader is gone: a write (``unbuffered``) or else the flush fails as a closed pipe does."""

    def __init__(self, unbuffered):
        super().__init__()
        self.unbuffered = unbuffered

    def write(self, text):
        if self.unbuffered:
            raise BrokenPipeError(32, 'Broken pipe')
        return super().write(text)

    def flush(self):
        raise BrokenPipeError(32, 'Broken pipe')

    def fileno(self):
        raise io.UnsupportedOperation('fileno')


def make_run(tmp_path, status='ok', inherited=True):
    client = botocore.session.get_session().create_client(
        's3', region_name='us-east-1', endpoint_url='http://127.0.0.1:1', aws_access_key_id='AK',
        aws_secret_access_key='SK')
    marker = str(tmp_path / 'state' / 'pull-x.unreported')
    pair = Pair('site', "map 'site'", S3Side(S3Store(client), S3Location('bkt', 'site'), ''),
                LocalSide(str(tmp_path / 'www')), ignore=IgnoreRules(), shown=('s3://bkt/site/', '/www'),
                unreported_path=marker)
    run = PairRun(pair)
    run.status = status
    run.error = "map 'site': 1 action(s) failed" if status == 'failed' else ''
    run.applied = Applied()
    if inherited:
        mark(marker, {'map': 'site'})
        run.changed_earlier = True
    return run, marker


def test_a_reported_run_clears_its_marker_and_reports_changed(tmp_path):
    run, marker = make_run(tmp_path)
    module = FakeModule()
    with pytest.raises(SystemExit, match='0'):
        finish(module, [run], SyncOptions())
    assert module.result['changed'] is True and module.result['maps'][0]['changed_earlier'] is True
    assert not is_marked(marker)


@pytest.mark.parametrize('unbuffered', [False, True])
def test_a_result_that_cannot_be_written_puts_the_marker_back(tmp_path, monkeypatch, unbuffered):
    run, marker = make_run(tmp_path)
    monkeypatch.setattr(sys, 'stdout', BrokenStdout(unbuffered))
    with pytest.raises(SystemExit):
        finish(FakeModule(), [run], SyncOptions())
    assert is_marked(marker)


def test_check_mode_and_a_failed_run_keep_the_marker(tmp_path):
    run, marker = make_run(tmp_path)
    module = FakeModule(check_mode=True)
    with pytest.raises(SystemExit, match='0'):
        finish(module, [run], SyncOptions())
    assert module.result['changed'] is True and is_marked(marker)
    run, marker = make_run(tmp_path, status='failed')
    module = FakeModule()
    with pytest.raises(SystemExit, match='1'):
        finish(module, [run], SyncOptions())
    assert is_marked(marker)  # Ansible notifies no handler of a failed task: the next run reports it


def test_a_run_without_an_earlier_change_reports_no_change(tmp_path):
    run, marker = make_run(tmp_path, inherited=False)
    module = FakeModule()
    with pytest.raises(SystemExit, match='0'):
        finish(module, [run], SyncOptions())
    assert module.result['changed'] is False and module.result['maps'][0]['changed_earlier'] is False
    assert not os.path.exists(marker)


def in_child(fn):
    """Run ``fn()`` in a forked child (it changes signals and the process group); return its text."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read_fd)
            os.write(write_fd, fn().encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, 'rb') as f:
        out = f.read().decode()
    os.waitpid(pid, 0)
    return out


def test_finishing_without_a_controller_ignores_ctrl_c_and_hangup_and_leaves_the_group():
    def probe():
        before = os.getpgrp()
        finish_without_controller()
        ignored = [signal.getsignal(s) == signal.SIG_IGN for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTTOU)]
        return repr((ignored, signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, before != os.getpid(),
                     os.getpgrp() == os.getpid()))

    assert in_child(probe) == repr(([True, True, True], True, True, True))  # SIGTERM still stops it


def test_without_a_controller_a_result_written_to_a_tostop_terminal_does_not_stop_the_module():
    """ssh -tt gives the module a terminal; in its own group it is a background job there, and a write
    to a terminal with ``tostop`` set would stop it (SIGTTOU) unless ignored."""
    import pty  # pylint: disable=import-outside-toplevel
    import termios  # pylint: disable=import-outside-toplevel

    pid, master = pty.fork()
    if pid == 0:  # pragma: no cover - the child: a session leader with the terminal, like sshd's shell
        attrs = termios.tcgetattr(0)
        attrs[3] |= termios.TOSTOP
        termios.tcsetattr(0, termios.TCSANOW, attrs)
        module = os.fork()
        if module == 0:  # the module: in the shell's (foreground) group, until it leaves it
            finish_without_controller()
            os.write(1, b'{"changed": true}\n')
            os._exit(0)
        _pid, status = os.waitpid(module, os.WUNTRACED)
        os.write(1, b'stopped\n' if os.WIFSTOPPED(status) else b'exited\n')
        if os.WIFSTOPPED(status):
            os.kill(module, signal.SIGKILL)
        os._exit(0)
    out = b''
    while True:
        try:
            chunk = os.read(master, 1024)
        except OSError:  # EIO: the terminal's last holder is gone
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    os.close(master)
    assert b'{"changed": true}' in out and out.rstrip().endswith(b'exited'), out


# --- a failed run carries its warnings ------------------------------------------------

def test_a_refused_plan_carries_the_job_and_map_warnings(tmp_path):
    """The warning that explains the refusal (a mistyped map field) goes with it, as with a success."""
    run, _marker = make_run(tmp_path, status='refused', inherited=False)
    run.error = "map 'site': 3 deletion(s) exceed max_delete=50% (limit 2); nothing was changed"
    run.warnings.append("map 'site': a warning of the run")
    run.src.skipped.append(('fifo', 'not a regular file (FIFO, socket or device)'))
    module = FakeModule()
    with pytest.raises(SystemExit, match='1'):
        fail_on_error(module, PlanningError(run.error, [run]), SyncOptions(),
                      warnings=["map 'site' in option 'maps': unknown field 'fles' ignored"])
    assert module.warnings == ["map 'site' in option 'maps': unknown field 'fles' ignored",
                               "map 'site': a warning of the run",
                               "map 'site': skipped 'fifo': not a regular file (FIFO, socket or device)"]
    assert 'warnings' not in module.result and module.result['changed'] is False
    assert module.result['maps'][0]['status'] == 'refused'


def test_an_error_carries_its_own_warnings_and_at_most_max_warnings():
    error = ConfigError("option 'mode' is invalid")
    error.warnings.extend('w%d' % i for i in range(MAX_WARNINGS + 5))
    module = FakeModule()
    with pytest.raises(SystemExit, match='1'):
        fail_on_error(module, error, None, warnings=['job'])
    assert module.warnings == ['job'] + ['w%d' % i for i in range(MAX_WARNINGS - 1)]
    assert module.result == {'msg': "option 'mode' is invalid", 'changed': False}
