# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safety, issue 4 point 9: no secrets anywhere.

The real modules run through ``ansible-playbook -vvv --diff`` with the rclone credentials
(rclone only: it is the server that checks the secret, so a run that succeeds proves the
secret was really used; moto accepts anything).  The secret key must appear in no
stdout/stderr, no diff, no registered result, and no file the product writes (the state
directory with its manifests, the slave directory), in success, check mode and failure.
"""

import os
import subprocess

import yaml

from safetykit import all_objects, files_of, seed, snapshot
from syncrun import write


def run_play(tasks, env, tmp_path, s3, name):
    """ansible-playbook -vvv --diff on localhost, the connection options set once with
    ``module_defaults`` from variables (as a vault or inventory would hold them: ansible-core
    quotes the playbook's own lines around a failed task, so a secret typed into the
    playbook would be shown by Ansible itself).  Returns (rc, stdout, stderr)."""
    params = s3.module_params()
    defaults = {k: '{{ s3_%s }}' % k for k in ('endpoint_url', 'access_key', 'secret_key', 'region')}
    defaults['aws_config'] = params['aws_config']
    play = [{'hosts': 'localhost', 'gather_facts': False,
             'module_defaults': {'group/s32s.sync.s32s': defaults}, 'tasks': tasks}]
    path = tmp_path / ('%s.yml' % name)
    path.write_text(yaml.safe_dump(play))
    varfile = tmp_path / 'vars' / ('%s.yml' % name)  # outside every directory checked below
    varfile.parent.mkdir(exist_ok=True)
    varfile.write_text(yaml.safe_dump({'s3_%s' % k: params[k] for k in
                                       ('endpoint_url', 'access_key', 'secret_key', 'region')}))
    env = dict(env, ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0')
    proc = subprocess.run(['ansible-playbook', str(path), '-i', 'localhost,', '-c', 'local', '-vvv', '--diff',
                           '-e', '@%s' % varfile],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def files_containing(root, needle):
    """Files under ``root`` whose name or bytes contain ``needle`` (bytes)."""
    found = []
    for dirpath, dirs, files in os.walk(str(root)):
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            if needle in os.fsencode(name):
                found.append(path)
            elif os.path.isfile(path) and not os.path.islink(path):
                with open(path, 'rb') as f:
                    if needle in f.read():
                        found.append(path)
    return found


def test_secret_key_never_written_or_printed(rclone_s3, ansible_env, tmp_path):
    """Push, pull, a check-mode pull with diff, and the registered results dumped with
    ``debug``: the run works (the secret is used), and the secret is nowhere."""
    s3 = rclone_s3
    secret = s3.secret_key
    master, slave, state = tmp_path / 'master', tmp_path / 'slave', tmp_path / 'state'
    write(master, 'index.html', b'hello')
    write(master, 'css/site.css', b'body{}')
    write(slave, 'stale.txt', b'stale')
    write(slave, 'index.html', b'old')
    seed(s3, {'site/gone.txt': b'x', 'site/index.html': b'old'})
    maps = [{'name': 'site', 's3': '%s/site' % s3.bucket, 'master': str(master), 'slave': str(slave)}]
    common = {'maps': maps, 'state_dir': str(state), 'list_files': True}
    tasks = [
        {'name': 'push', 's32s.sync.s32s_push': common, 'register': 'pushed'},
        {'name': 'preview', 's32s.sync.s32s_pull': common, 'register': 'preview', 'check_mode': True},
        {'name': 'pull', 's32s.sync.s32s_pull': common, 'register': 'pulled'},
        {'name': 'results', 'ansible.builtin.debug': {'msg': '{{ [pushed, preview, pulled] | to_json }}'}},
    ]
    rc, out, err = run_play(tasks, ansible_env, tmp_path, s3, 'ok')
    assert rc == 0, out[-3000:] + err[-3000:]
    assert 'upload s3://%s/site/css/site.css' % s3.bucket in out  # the diff was shown
    assert 'delete %s' % (slave / 'stale.txt') in out
    assert all_objects(s3) == {'site/index.html': b'hello', 'site/css/site.css': b'body{}'}
    assert files_of(snapshot(slave)) == {'index.html': b'hello', 'css/site.css': b'body{}'}
    assert os.listdir(state), 'the manifests were written'
    assert secret not in out and secret not in err
    assert '"secret_key": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"' in out  # -vvv shows the masked args
    for root in (state, slave, master):
        assert files_containing(root, secret.encode()) == []


def test_secret_key_absent_from_failures(rclone_s3, ansible_env, tmp_path):
    """Failing runs: a wrong secret given as a task option (the server rejects it; its value
    contains the real secret, so neither may show) and a refused deletion.  The errors are
    reported, and no secret is printed or written.  (Ansible's own
    ``display_args_to_stdout`` setting, off by default, prints task options before any
    module runs; that is outside the modules' reach and not used here.)"""
    s3 = rclone_s3
    secret = s3.secret_key
    master, slave, state = tmp_path / 'master', tmp_path / 'slave', tmp_path / 'state'
    master.mkdir()
    write(slave, 'a.txt', b'a')
    seed(s3, {'site/a.txt': b'a', 'site/b.txt': b'b'})
    maps = [{'name': 'site', 's3': '%s/site' % s3.bucket, 'master': str(master), 'slave': str(slave)}]
    common = {'maps': maps, 'state_dir': str(state)}
    wrong = dict(common, secret_key='wrong-{{ s3_secret_key }}')
    tasks = [
        {'name': 'wrong secret', 's32s.sync.s32s_pull': wrong, 'register': 'r1', 'ignore_errors': True},
        {'name': 'empty source', 's32s.sync.s32s_push': common, 'register': 'r2', 'ignore_errors': True},
        {'name': 'results', 'ansible.builtin.debug': {'msg': '{{ [r1, r2] | to_json }}'}},
        {'name': 'all failed', 'ansible.builtin.assert': {'that': ['r1 is failed', 'r2 is failed']}},
    ]
    rc, out, err = run_play(tasks, ansible_env, tmp_path, s3, 'fail')
    assert rc == 0, out[-3000:] + err[-3000:]
    assert 'SignatureDoesNotMatch' in out and 'source is empty' in out
    assert '"secret_key": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"' in out
    assert secret not in out and secret not in err
    for root in (state, slave, master):
        assert files_containing(root, secret.encode()) == []
    assert all_objects(s3) == {'site/a.txt': b'a', 'site/b.txt': b'b'}
    assert files_of(snapshot(slave)) == {'a.txt': b'a'}
