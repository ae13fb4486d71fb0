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
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.runner import Pair, PairRun
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.local import LocalSide
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3 import S3Side
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import S3Store
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.unreported import is_marked, mark
from ansible_collections.s32s.sync.plugins.module_utils._glue_tail import finish, finish_without_controller


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


def test_finishing_without_a_controller_ignores_ctrl_c_and_hangup():
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM)}
    try:
        finish_without_controller()
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) == saved[signal.SIGTERM]  # SIGTERM still stops it
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
