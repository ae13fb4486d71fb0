# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Smoke test of the claimed floors and of the newest releases (issue 14, point 3): push, pull, and a
second run of both that changes nothing, through ``ansible-playbook`` against moto.

Under ``make integration`` it runs with the development venv. ``make compat`` runs this file again for
each entry of its matrix, with
``S32S_COMPAT_ANSIBLE_BIN``    the bin directory of that entry's controller venv (its ansible-core);
``S32S_COMPAT_HOST_PYTHON``    the interpreter of that entry's managed-host venv (its Python, boto3, botocore);
``S32S_COMPAT_OLD_PYTHON``     an interpreter below the floors (boto3/botocore 1.35.99 on Python 3.8 with the
                               lowest ansible-core, on Python 3.9 with the newest, which refuses 3.8 itself):
                               the module must fail with a message naming each requirement it misses.
The S3 server (moto) always comes from the development venv (tests/s3servers.py).
"""

import os
import subprocess

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._requirements import problems
from ansiblerun import run_playbook, task_result
from syncrun import bucket_objects, local_files, write

ANSIBLE_BIN = os.environ.get('S32S_COMPAT_ANSIBLE_BIN')
HOST_PYTHON = os.environ.get('S32S_COMPAT_HOST_PYTHON')
OLD_PYTHON = os.environ.get('S32S_COMPAT_OLD_PYTHON')


def compat_env(ansible_env, interpreter=None):
    env = dict(ansible_env)
    if ANSIBLE_BIN:
        env['PATH'] = ANSIBLE_BIN + os.pathsep + env['PATH']
    env['ANSIBLE_PYTHON_INTERPRETER'] = interpreter or HOST_PYTHON or env['ANSIBLE_PYTHON_INTERPRETER']
    return env


def play(s3, tasks):
    conn = {'endpoint_url': s3.endpoint_url, 'access_key': s3.access_key, 'secret_key': s3.secret_key,
            'region': s3.region, 'addressing_style': 'path'}
    return [{'name': 'smoke', 'hosts': 'localhost', 'gather_facts': False,
             'module_defaults': {'group/s32s.sync.s32s': conn}, 'tasks': tasks}]


def host_versions(env):
    code = 'import sys, boto3, botocore; print(sys.version.split()[0], boto3.__version__, botocore.__version__)'
    out = subprocess.run([env['ANSIBLE_PYTHON_INTERPRETER'], '-c', code], capture_output=True, text=True,
                         check=True).stdout.split()
    return dict(zip(('python', 'boto3', 'botocore'), out))


def test_push_pull_and_a_second_run_that_changes_nothing(moto_s3, ansible_env, tmp_path):
    s3 = moto_s3
    env = compat_env(ansible_env)
    master, slave, state = tmp_path / 'master', tmp_path / 'slave', str(tmp_path / 'state')
    write(master, 'index.html', b'<h1>smoke</h1>\n')
    write(master, 'css/site.css', b'body {}\n')
    write(master, 'big.bin', os.urandom(9 * 1024 * 1024))  # multipart (8 MiB parts), the MD5 of each part
    maps = [{'name': 'site', 's3': '%s/site' % s3.bucket, 'master': str(master), 'slave': str(slave)}]
    tasks = [{'name': name, 's32s.sync.s32s_%s' % verb: {'maps': maps, 'state_dir': state}}
             for name, verb in (('push', 'push'), ('pull', 'pull'), ('push again', 'push'), ('pull again', 'pull'))]
    rc, results, out, err = run_playbook(play(s3, tasks), env, tmp_path)
    assert rc == 0, out[-4000:] + err[-3000:]
    assert [task_result(results, n)['changed'] for n in ('push', 'pull', 'push again', 'pull again')] \
        == [True, True, False, False]
    assert local_files(slave) == local_files(master)
    assert set(bucket_objects(s3, 'site/')) == {'site/index.html', 'site/css/site.css', 'site/big.bin'}

    # an update travels too
    write(master, 'index.html', b'<h1>smoke 2</h1>\n')
    rc, results, out, err = run_playbook(play(s3, tasks[:2]), env, tmp_path)
    assert rc == 0, out[-4000:] + err[-3000:]
    assert [task_result(results, n)['changed'] for n in ('push', 'pull')] == [True, True]
    assert local_files(slave) == local_files(master)
    print('smoke passed: ansible-playbook %s, host %s' % (
        subprocess.run(['ansible-playbook', '--version'], env=env, capture_output=True, text=True,
                       check=False).stdout.splitlines()[0], host_versions(env)))


@pytest.mark.skipif(not OLD_PYTHON, reason='S32S_COMPAT_OLD_PYTHON (a host below the floors) is set by make compat')
def test_a_host_below_the_floors_fails_naming_them(moto_s3, ansible_env, tmp_path):
    s3 = moto_s3
    env = compat_env(ansible_env, OLD_PYTHON)
    versions = host_versions(env)
    master = tmp_path / 'master'
    write(master, 'index.html', b'x')
    maps = [{'name': 'site', 's3': '%s/site' % s3.bucket, 'master': str(master)}]
    rc, results, out, err = run_playbook(
        play(s3, [{'name': 'push', 's32s.sync.s32s_push': {'maps': maps, 'state_dir': str(tmp_path / 'st')}}]),
        env, tmp_path)
    result = task_result(results, 'push')
    assert rc != 0 and result.get('failed') is True, out[-3000:]
    msg = result['msg']
    missing = problems(versions)
    assert missing, versions  # the interpreter make compat gives is below at least one floor
    assert msg.startswith('s32s.sync needs %s on the host' % ', '.join(missing)), msg
    # a fail_json, not a crash: no module_stderr, no Python traceback (ansible-core 2.21 puts
    # exception: '(traceback unavailable)' on every failed result)
    assert 'module_stderr' not in result and 'Traceback' not in str(result.get('exception')) + out + err, result
    assert bucket_objects(s3) == {}
