# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One unreadable source file does not refuse the whole run (issue 15 point 6).

The tests run as root, which reads any file whatever its mode. So the push runs under
``setpriv`` without the capabilities that let root ignore permissions (CAP_DAC_OVERRIDE,
CAP_DAC_READ_SEARCH): a file of mode 000 is then really unreadable (``Permission denied``),
as it is for any other user. The readable files land, the unreadable one is named, its existing
S3 copy survives, and the task fails (partial).
"""

import json
import os
import shutil
import subprocess

import pytest

from safetykit import all_objects
from syncrun import write

SETPRIV = shutil.which('setpriv')
DROP = '-dac_override,-dac_read_search'


def push_task(s3, master, state_dir):
    return [{'name': 'publish', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'push', 's32s.sync.s32s_push': {
            's3': '%s/site' % s3.bucket, 'src': str(master), 'state_dir': state_dir, 'max_delete': 'unlimited',
            'endpoint_url': s3.endpoint_url, 'access_key': s3.access_key, 'secret_key': s3.secret_key,
            'region': s3.region, 'addressing_style': 'path'}, 'ignore_errors': True}]}]


def run_without_dac(play, env, tmp_path):
    path = str(tmp_path / 'play.json')
    with open(path, 'w') as f:
        json.dump(play, f)
    cmd = [SETPRIV, '--inh-caps=' + DROP, '--bounding-set=' + DROP,
           'ansible-playbook', path, '-i', 'localhost,', '-c', 'local']
    env = dict(env, ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-tmp'), ANSIBLE_REMOTE_TEMP=str(tmp_path / 'ansible-rtmp'))
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    data = json.loads(proc.stdout[proc.stdout.index('{'):])
    return data['plays'][0]['tasks'][0]['hosts']['localhost'], proc


@pytest.mark.skipif(SETPRIV is None, reason='needs setpriv (util-linux) to drop the capabilities of root')
def test_one_unreadable_file_does_not_stop_the_others(s3, ansible_env, tmp_path):
    master, state = tmp_path / 'master', str(tmp_path / 'state')
    for name in ('a.txt', 'b.txt', 'c.txt', 'secret.txt'):
        write(master, name, name + ' v1')
    result, proc = run_without_dac(push_task(s3, master, state), ansible_env, tmp_path)
    assert result.get('changed') and not result.get('failed'), proc.stdout[-3000:]
    # now: a.txt edited (same size), d.txt new, c.txt gone, secret.txt edited and unreadable
    write(master, 'a.txt', 'a.txt v2')
    write(master, 'd.txt', 'd.txt v1')
    os.unlink(str(master / 'c.txt'))
    write(master, 'secret.txt', 'secret.txt v2')  # same size: only reading it tells
    os.chmod(str(master / 'secret.txt'), 0)
    result, proc = run_without_dac(push_task(s3, master, state), ansible_env, tmp_path)
    assert result['failed'] and result['changed'], result
    assert 'secret.txt' in result['msg'] and 'Permission denied' in result['msg'], result['msg']
    objects = all_objects(s3)
    assert objects['site/a.txt'] == b'a.txt v2' and objects['site/d.txt'] == b'd.txt v1'
    assert objects['site/secret.txt'] == b'secret.txt v1'      # its S3 copy survives
    assert objects['site/c.txt'] == b'c.txt v1'                # the deletions wait for a complete run
    # readable again: the next run completes the job
    os.chmod(str(master / 'secret.txt'), 0o644)
    result, proc = run_without_dac(push_task(s3, master, state), ansible_env, tmp_path)
    assert result['changed'] and not result.get('failed'), result
    assert all_objects(s3) == {'site/a.txt': b'a.txt v2', 'site/b.txt': b'b.txt v1', 'site/d.txt': b'd.txt v1',
                               'site/secret.txt': b'secret.txt v2'}
