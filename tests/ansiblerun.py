# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a playbook with ansible-playbook and the json callback; return per-task results."""

import json
import os
import subprocess

import yaml


def run_playbook(path_or_plays, env, tmp_path, *args, extra_vars=None, check=False, diff=False, timeout=300):
    """Run ``ansible-playbook`` on a playbook file or a list of plays (written to ``tmp_path``).

    :returns: ``(rc, results, stdout, stderr)``; ``results`` is a list of
        ``{task, host, result}`` in run order (from ``ANSIBLE_STDOUT_CALLBACK=json``).
    """
    if not isinstance(path_or_plays, str):
        path = os.path.join(str(tmp_path), 'play-%d.yml' % len(os.listdir(str(tmp_path))))
        with open(path, 'w') as f:
            yaml.safe_dump(path_or_plays, f)
    else:
        path = path_or_plays
    cmd = ['ansible-playbook', path, '-i', 'localhost,', '-c', 'local']
    if extra_vars:
        cmd += ['-e', json.dumps(extra_vars)]
    if check:
        cmd.append('--check')
    if diff:
        cmd.append('--diff')
    cmd += list(args)
    env = dict(env, ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0')
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    results = []
    try:
        data = json.loads(proc.stdout[proc.stdout.index('{'):])
    except ValueError:
        data = {'plays': []}
    for play in data.get('plays', []):
        for task in play.get('tasks', []):
            for host, result in task.get('hosts', {}).items():
                results.append({'task': task['task']['name'], 'host': host, 'result': result})
    return proc.returncode, results, proc.stdout, proc.stderr


def task_result(results, name):
    """The result of the (last) task called ``name``."""
    found = [r['result'] for r in results if r['task'] == name]
    assert found, 'no task %r in %r' % (name, [r['task'] for r in results])
    return found[-1]
