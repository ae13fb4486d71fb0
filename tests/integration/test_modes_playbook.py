# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Modes through ansible-playbook as a user runs it (issue 15, points 2 and 3)."""

import os
import stat

from ansiblerun import run_playbook, task_result
from syncrun import write


def perm(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


def play(s3, tasks):
    conn = {'endpoint_url': s3.endpoint_url, 'access_key': s3.access_key, 'secret_key': s3.secret_key,
            'region': s3.region, 'addressing_style': 'path'}
    return [{'name': 'test', 'hosts': 'localhost', 'gather_facts': False,
             'module_defaults': {'group/s32s.sync.s32s': conn}, 'tasks': tasks}]


def _run(s3, env, tmp_path, module, args, diff=False, check=False):
    rc, results, _out, _err = run_playbook(play(s3, [{'name': 'task', module: args}]), env, tmp_path, diff=diff,
                                           check=check)
    return rc, task_result(results, 'task')


def test_pull_mode_0640_to_0644_on_an_in_sync_tree_then_a_noop(s3, ansible_env, tmp_path):
    master, slave, state = tmp_path / 'master', tmp_path / 'slave', str(tmp_path / 'state')
    write(master, 'index.html', 'hi')
    write(master, 'run.sh', '#!/bin/sh\n')
    os.chmod(str(master / 'run.sh'), 0o755)
    maps = [{'name': 'site', 's3': '%s/site' % s3.bucket, 'master': str(master), 'slave': str(slave)}]
    rc, _pushed = _run(s3, ansible_env, tmp_path, 's32s.sync.s32s_push', {'maps': maps, 'state_dir': state})
    assert rc == 0
    pull = {'maps': maps, 'state_dir': state + '-slave'}
    rc, first = _run(s3, ansible_env, tmp_path, 's32s.sync.s32s_pull', pull)
    assert rc == 0 and perm(slave / 'run.sh') == 0o755  # the script's mode came with it (point 3)
    rc, _pulled = _run(s3, ansible_env, tmp_path, 's32s.sync.s32s_pull', dict(pull, mode='0640'))
    assert rc == 0 and perm(slave / 'index.html') == perm(slave / 'run.sh') == 0o640
    rc, fixed = _run(s3, ansible_env, tmp_path, 's32s.sync.s32s_pull', dict(pull, mode='0644'), diff=True)
    assert rc == 0 and fixed['changed'] is True and fixed['totals']['attributes_fixed'] == 2
    assert '[site] fix %s (mode 0640 -> 0644)' % (slave / 'run.sh') in fixed['diff']['prepared']
    assert perm(slave / 'index.html') == perm(slave / 'run.sh') == 0o644
    rc, again = _run(s3, ansible_env, tmp_path, 's32s.sync.s32s_pull', dict(pull, mode='0644'), diff=True)
    assert rc == 0 and again['changed'] is False and again['totals']['attributes_fixed'] == 0


def test_an_integer_mode_is_refused_with_a_hint_to_quote_it(s3, ansible_env, tmp_path):
    slave = tmp_path / 'slave'
    maps = [{'name': 'site', 's3': '%s/site' % s3.bucket, 'master': str(tmp_path), 'slave': str(slave)}]
    for option, value, hint in (('mode', 644, "use '0644' if you wrote 644"),
                                ('directory_mode', 493, "'0755' if you wrote 0755")):
        rc, result = _run(s3, ansible_env, tmp_path, 's32s.sync.s32s_pull',
                          {'maps': maps, 'state_dir': str(tmp_path / 'state'), option: value})
        assert rc != 0 and result['changed'] is False
        assert '%s must be a quoted octal string' % option in result['msg'] and hint in result['msg'], result['msg']
    assert not slave.exists()
