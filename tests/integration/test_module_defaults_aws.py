# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``module_defaults``: ``group/aws`` (as amazon.aws and community.aws playbooks set it) and
``group/s32s.sync.s32s`` both reach every s32s.sync module; when both are set, our group wins,
and the task's own arguments win over both, option by option (plugins/plugin_utils/_aws_group.py).

Both servers: rclone checks the credentials, so a run that succeeds there proves that the right
ones were used; on moto the endpoint tells (a wrong one is a closed port). The module's
``invocation.module_args`` shows where each option came from.
"""

import json
import os

import pytest

from ansiblerun import run_playbook, task_result
from s3servers import free_port
from syncrun import bucket_objects, local_files, write

MASKED = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'


def amazon_style(s3):
    """The connection options as amazon.aws users write them in ``group/aws`` (aliases)."""
    return {'aws_endpoint_url': s3.endpoint_url, 'aws_access_key_id': s3.access_key,
            'aws_secret_access_key': s3.secret_key, 'aws_region': s3.region, 'aws_config': s3.aws_config}


def inventory(tmp_path):
    """One host ``box`` on the local connection (so that ``delegate_to: localhost`` goes elsewhere)."""
    path = os.path.join(str(tmp_path), 'inventory.json')
    with open(path, 'w') as f:
        json.dump({'all': {'hosts': {'box': {'ansible_connection': 'local',
                                             'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}}, f)
    return path


def run(plays, ansible_env, tmp_path, *secrets):
    rc, results, out, err = run_playbook(plays, ansible_env, tmp_path, '-i', inventory(tmp_path))
    assert rc == 0, out[-4000:] + err[-3000:]
    for secret in secrets:
        assert secret not in out + err, 'a secret leaked'
    return results


def module_args(results, name):
    return task_result(results, name)['invocation']['module_args']


@pytest.mark.parametrize('group', ['aws', 's32s.sync.s32s'])
def test_one_group_gives_every_module_endpoint_and_credentials(s3, ansible_env, tmp_path, group):
    """Endpoint and credentials only in ``group/<group>``; every module, with check mode and
    diff, async and delegate_to, gets them; the secret is never printed."""
    master, slave, shared = tmp_path / 'master', tmp_path / 'slave', tmp_path / 'shared'
    write(master, 'index.html', b'hello')
    write(master, 'sub/page.html', b'page')
    shared.mkdir()
    maps = [{'name': 'site', 's3': '%s/site' % s3.bucket, 'master': str(master), 'slave': str(slave)}]
    state = str(tmp_path / 'state')
    tasks = [
        {'name': 'preview', 's32s.sync.s32s_push': {'maps': maps, 'state_dir': state},
         'check_mode': True, 'diff': True},
        {'name': 'push', 's32s.sync.s32s_push': {'maps': maps, 'state_dir': state}},
        {'name': 'pull', 's32s.sync.s32s_pull': {'maps': maps, 'state_dir': state}, 'async': 120, 'poll': 1},
        {'name': 'replicate',
         's32s.sync.s32s_replicate': {'src': '%s/site' % s3.bucket, 'dest': [{'s3': '%s/mirror' % s3.bucket}]}},
        {'name': 'two-way', 's32s.sync.s32s_sync': {'path': str(shared), 's3': '%s/mirror' % s3.bucket,
                                                    'state_dir': state}},
        {'name': 'pull again', 's32s.sync.s32s_pull': {'maps': maps, 'state_dir': state},
         'delegate_to': 'localhost'},
    ]
    defaults = amazon_style(s3) if group == 'aws' else s3.module_params()
    results = run([{'name': 'test', 'hosts': 'box', 'gather_facts': False,
                    'module_defaults': {'group/' + group: defaults}, 'tasks': tasks}],
                  ansible_env, tmp_path, s3.secret_key)

    preview = task_result(results, 'preview')
    assert preview['changed'] and 'upload s3://%s/site/index.html' % s3.bucket in preview['diff']['prepared']
    assert [task_result(results, n)['changed'] for n in ('push', 'pull', 'replicate', 'two-way', 'pull again')] \
        == [True, True, True, True, False]
    assert task_result(results, 'pull').get('finished') == 1  # it ran as an async job
    assert local_files(slave) == local_files(shared) == {'index.html': b'hello', 'sub/page.html': b'page'}
    assert bucket_objects(s3, 'mirror/') == {'mirror/index.html': b'hello', 'mirror/sub/page.html': b'page'}
    assert module_args(results, 'push')['secret_key'] == MASKED


@pytest.mark.parametrize('group', ['amazon.aws.aws', 'community.aws.aws'])
def test_the_fully_qualified_aws_groups_reach_our_modules_too(moto_s3, ansible_env, tmp_path, group):
    write(tmp_path / 'master', 'a.txt', b'a')
    task = {'name': 'push', 's32s.sync.s32s_push': {'s3': '%s/p' % moto_s3.bucket, 'src': str(tmp_path / 'master'),
                                                    'state_dir': str(tmp_path / 'state')}}
    run([{'name': 'test', 'hosts': 'box', 'gather_facts': False,
          'module_defaults': {'group/' + group: amazon_style(moto_s3)}, 'tasks': [task]}], ansible_env, tmp_path)
    assert bucket_objects(moto_s3, 'p/') == {'p/a.txt': b'a'}


def test_our_group_beats_group_aws_and_task_arguments_beat_both(s3, ansible_env, tmp_path):
    """Option by option: what our group sets beats ``group/aws`` (whatever alias either uses),
    what it leaves unset comes from ``group/aws``; a task's own argument beats both groups."""
    master, slave = tmp_path / 'master', tmp_path / 'slave'
    write(master, 'index.html', b'hello')
    site = '%s/site' % s3.bucket
    dead = 'http://127.0.0.1:%d' % free_port()
    wrong_aws = {'aws_endpoint_url': dead, 'aws_access_key_id': 'AKWRONGAWSGROUP',
                 'aws_secret_access_key': 'wrong-secret-of-group-aws', 'region': 'eu-west-3',
                 'aws_config': s3.aws_config}
    ours = {'endpoint_url': s3.endpoint_url, 'access_key': s3.access_key, 'secret_key': s3.secret_key,
            'max_attempts': 2}
    ours_wrong = {'endpoint_url': 'http://127.0.0.1:%d' % free_port(), 'access_key': 'AKWRONGOURGROUP',
                  'secret_key': 'wrong-secret-of-our-group', 'max_attempts': 2}
    state = str(tmp_path / 'state')
    plays = [
        {'name': 'our group beats group/aws', 'hosts': 'box', 'gather_facts': False,
         'module_defaults': {'group/aws': wrong_aws, 'group/s32s.sync.s32s': ours},
         'tasks': [{'name': 'push', 's32s.sync.s32s_push': {'s3': site, 'src': str(master), 'state_dir': state}}]},
        {'name': 'task arguments beat both', 'hosts': 'box', 'gather_facts': False,
         'module_defaults': {'group/aws': wrong_aws, 'group/s32s.sync.s32s': ours_wrong},
         'tasks': [{'name': 'pull', 's32s.sync.s32s_pull': {
             's3': site, 'dest': str(slave), 'state_dir': state, 'endpoint_url': s3.endpoint_url,
             'access_key': s3.access_key, 'secret_key': s3.secret_key}}]},
    ]
    results = run(plays, ansible_env, tmp_path,
                  s3.secret_key, 'wrong-secret-of-group-aws', 'wrong-secret-of-our-group')
    assert task_result(results, 'push')['changed'] and task_result(results, 'pull')['changed']
    assert bucket_objects(s3, 'site/') == {'site/index.html': b'hello'}
    assert local_files(slave) == {'index.html': b'hello'}

    push = module_args(results, 'push')
    assert (push['endpoint_url'], push['access_key'], push['secret_key']) == (s3.endpoint_url, s3.access_key, MASKED)
    assert push['region'] == 'eu-west-3' and push['aws_config'] == s3.aws_config  # unset in ours: from group/aws
    assert push['max_attempts'] == 2
    pull = module_args(results, 'pull')
    assert (pull['endpoint_url'], pull['access_key']) == (s3.endpoint_url, s3.access_key)
    assert pull['region'] == 'eu-west-3'
