# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exit codes of ``s32s-watch check`` (README.md): the role tells a failed check (1) from a command
an older s32s-watch does not know (2), so an invalid configuration fails the play before any change."""

import io
import sys

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.watch import cli
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.exitcodes import RC_CONFIG, RC_FAILED


@pytest.mark.parametrize('stdin, words', [
    ('{not json', 'not valid JSON'),
    ('{"version": 1, "state_dir": "/tmp/x", "maps": "no list"}', 'maps'),
])
def test_check_of_an_invalid_configuration_fails_it(monkeypatch, capsys, stdin, words):
    monkeypatch.setattr(sys, 'stdin', io.StringIO(stdin))
    assert cli.main(['--config', '-', 'check']) == RC_FAILED
    assert words in capsys.readouterr().err


def test_status_of_an_invalid_configuration_and_an_unknown_command_are_usage_errors(monkeypatch):
    monkeypatch.setattr(sys, 'stdin', io.StringIO('{not json'))
    assert cli.main(['--config', '-', 'status']) == RC_CONFIG
    with pytest.raises(SystemExit) as raised:  # what an s32s-watch older than ``check`` answers
        cli.main(['--config', '-', 'frobnicate'])
    assert raised.value.code == RC_CONFIG
