# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An interrupted run does not lose its handler (issue 15 point 1), through ansible-playbook.

The interruption is made certain, not left to timing: the test proxy holds the module's first
transfer request (so the module is applying: past its plan, its marker written) while the test
presses Ctrl-C (SIGINT to the process group of ansible-playbook, as a terminal does; Ansible
passes it on to the module's process group) and also sends the module SIGINT and SIGHUP itself
(a closed terminal or SSH session), and SIGTERM to the process group the module started in (what
ansible-core's worker does when the controller terminates it on Ctrl-C). Then the request is let through. The module finishes its run
without its controller; its result has no reader. The next run has nothing to transfer, yet
reports ``changed`` and fires the handler (a check first shows the same and keeps the marker);
the run after that reports no change.
"""

import contextlib
import json
import os
import signal
import subprocess
import threading
import time

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import load_maps
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.push_pull import map_lock_path
from ansiblerun import openers, run_playbook
from syncrun import bucket_objects, local_files, put, write

HANDLER = 'Note the change'
FILES = {'index.html': b'home', 'a/one.txt': b'one', 'a/b/two.txt': b'two two'}
TASK = {'pull': 's32s.sync.pull : Pull the S32S maps from S3', 'push': 'Publish'}


def play(direction, s3, root, state_dir):
    if direction == 'pull':
        role_vars = {'pull_s3': '%s/site' % s3.bucket, 'pull_dest': root, 'pull_state_dir': state_dir,
                     'pull_endpoint_url': s3.endpoint_url, 'pull_access_key': s3.access_key,
                     'pull_secret_key': s3.secret_key, 'pull_region': s3.region, 'pull_addressing_style': 'path'}
        return [{'name': 'deploy', 'hosts': 'localhost', 'gather_facts': False,
                 'roles': [{'role': 's32s.sync.pull', 'vars': role_vars}],
                 'handlers': [{'name': HANDLER, 'ansible.builtin.debug': {'msg': 'changed'},
                               'listen': 's32s_pull changed'}]}]
    args = dict(s3.module_params(), s3='%s/site' % s3.bucket, src=root, state_dir=state_dir)
    return [{'name': 'publish', 'hosts': 'localhost', 'gather_facts': False,
             'tasks': [{'name': TASK['push'], 's32s.sync.s32s_push': args, 'notify': HANDLER}],
             'handlers': [{'name': HANDLER, 'ansible.builtin.debug': {'msg': 'changed'}}]}]


def lock_of(direction, s3, root, state_dir):
    side = 'master' if direction == 'push' else 'slave'
    m = load_maps([{'name': 'site', 's3': '%s/site' % s3.bucket, side: root}], side, 'test')[0][0]
    return map_lock_path(direction, m, state_dir, s3.endpoint_url if direction == 'push' else '')


def gone(pid):
    try:
        with open('/proc/%d/stat' % pid, encoding='utf-8') as f:
            return f.read().rsplit(')', 1)[1].split()[0] == 'Z'  # a zombie has finished
    except OSError:
        return True


def parent_of(pid):
    with open('/proc/%d/stat' % pid, encoding='utf-8') as f:
        return int(f.read().rsplit(')', 1)[1].split()[1])


def run(play_path, env, tmp_path, **kw):
    rc, results, out, err = run_playbook(play_path, env, tmp_path, **kw)
    assert rc == 0, out[-3000:] + err[-2000:]
    tasks = {r['task']: r['result'] for r in results}
    return tasks


@pytest.mark.parametrize('direction', ['pull', 'push'])
def test_a_run_interrupted_while_applying_finishes_and_the_next_run_notifies(s3, ansible_env, tmp_path, direction):
    root, state_dir = str(tmp_path / 'root'), str(tmp_path / 'state')
    if direction == 'pull':
        for relpath, data in FILES.items():
            put(s3, 'site/' + relpath, data)
    else:
        for relpath, data in FILES.items():
            write(root, relpath, data)
    play_path = str(tmp_path / 'play.yml')
    with open(play_path, 'w') as f:
        json.dump(play(direction, s3, root, state_dir), f)
    lock = lock_of(direction, s3, root, state_dir)
    reached, release = threading.Event(), threading.Event()

    def hold(_request):
        reached.set()
        release.wait(120)

    s3.on_request(hold, op='GetObject' if direction == 'pull' else 'PutObject')
    env = dict(ansible_env, ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0')
    proc = subprocess.Popen(['ansible-playbook', play_path, '-i', 'localhost,', '-c', 'local'], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert reached.wait(120), proc.communicate(timeout=60) if proc.poll() is not None else 'no transfer began'
        module = openers(lock)  # the module holds its destination's lock while it applies
        assert len(module) == 1, module
        module = module.pop()
        worker_group = os.getpgid(parent_of(module))  # the group of ansible-core's worker
        assert os.getpgid(module) == module != worker_group  # the module left it once it began to change
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C
        os.kill(module, signal.SIGINT)
        os.kill(module, signal.SIGHUP)
        with contextlib.suppress(ProcessLookupError):  # a worker terminated on Ctrl-C does this
            os.killpg(worker_group, signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode != 0, out[-3000:] + err[-2000:]
        assert not gone(module), 'the module stopped with its controller'
    finally:
        release.set()
    deadline = time.monotonic() + 120
    while not gone(module):
        assert time.monotonic() < deadline, 'the module never finished'
        time.sleep(0.1)
    # the module finished the run on its own
    if direction == 'pull':
        assert local_files(root) == FILES
    else:
        assert bucket_objects(s3, 'site/') == {'site/' + k: v for k, v in FILES.items()}

    with s3.requests() as log:
        tasks = run(play_path, env, tmp_path, check=True, diff=True)
        assert tasks[TASK[direction]]['changed'] is True and HANDLER in tasks
        tasks = run(play_path, env, tmp_path, diff=True)
    result = tasks[TASK[direction]]
    assert result['changed'] is True and result['maps'][0]['changed_earlier'] is True, result
    assert result['totals']['created'] == result['totals']['updated'] == result['totals']['deleted'] == 0
    assert result['totals']['unchanged'] == len(FILES)
    assert "[site] changed by an earlier run whose result was never reported" in result['diff']['prepared'].replace(
        "[%s/site]" % s3.bucket, '[site]')
    assert HANDLER in tasks
    assert log.count('PUT') == log.count('GetObject') == 0  # nothing transferred, only reported

    tasks = run(play_path, env, tmp_path)
    result = tasks[TASK[direction]]
    assert result['changed'] is False and result['maps'][0]['changed_earlier'] is False
    assert HANDLER not in tasks
