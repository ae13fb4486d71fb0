# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The launcher template of the role s32s.sync.watch (roles/watch/templates/s32s-watch.j2), rendered as
the role renders it: the interpreter, the engine's path and the configuration's path."""

import os
import subprocess
import sys

from watchkit import ENGINE, render_launcher


def test_the_virtualenv_or_the_given_python_runs_it():
    venv = render_launcher('/opt/s32s-watch', python='/usr/bin/python3', virtualenv=True)
    assert venv.splitlines()[0] == '#!/opt/s32s-watch/venv/bin/python'
    plain = render_launcher('/opt/s32s-watch', python='/usr/bin/python3.9', virtualenv=False)
    assert plain.splitlines()[0] == '#!/usr/bin/python3.9'
    assert 'sys.path.insert(0, "/opt/s32s-watch/lib")' in plain
    assert 'config_path="/opt/s32s-watch/etc/config.json"' in plain
    compile(plain, 's32s-watch', 'exec')


def test_the_installed_layout_answers_status_without_boto3_or_watchdog(tmp_path):
    install = tmp_path / 'opt'
    os.makedirs(str(install / 'lib'))
    os.symlink(ENGINE, str(install / 'lib' / 's32s_engine'))
    launcher = install / 's32s-watch'
    launcher.write_text(render_launcher(str(install), python=sys.executable))
    (install / 'etc').mkdir()
    (install / 'etc' / 'config.json').write_text(
        '{"version": 1, "state_dir": "%s", "maps": [{"name": "a", "s3": "bkt/a", "master": "/srv/a"}]}'
        % (tmp_path / 'state'))
    blocker = tmp_path / 'block'  # makes "import boto3", "import botocore" and "import watchdog" fail
    blocker.mkdir()
    for name in ('boto3', 'botocore', 'watchdog'):
        (blocker / (name + '.py')).write_text('raise ImportError("blocked by the test")\n')
    env = dict(os.environ, PYTHONPATH=str(blocker))
    result = subprocess.run([sys.executable, str(launcher), 'status'], capture_output=True, text=True, env=env,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert '"queue_depth": 0' in result.stdout
    result = subprocess.run([sys.executable, str(launcher), 'bogus'], capture_output=True, text=True, env=env,
                            timeout=60, check=False)
    assert result.returncode == 2 and 'invalid choice' in result.stderr
