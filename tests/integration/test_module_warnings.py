# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Warnings through ansible-playbook: a failed run carries them as a successful one does, and
none comes with ansible-core's deprecation of ``warnings`` passed to ``exit_json``/``fail_json``."""

import os
import subprocess

import yaml

from ansiblerun import run_playbook, task_result
from syncrun import local_files, put, write

TYPO = "unknown field 'fles' ignored (a typo of 'files'?)"


def play(s3, tasks):
    return [{'name': 'test', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks,
             'module_defaults': {'group/s32s.sync.s32s': {
                 'endpoint_url': s3.endpoint_url, 'access_key': s3.access_key, 'secret_key': s3.secret_key,
                 'region': s3.region, 'addressing_style': 'path'}}}]


def _conf_map(s3, side, root, name='conf'):
    """A files map whose ``files`` is mistyped ``fles``: it becomes a directory map."""
    return [{'name': name, 's3': '%s/conf' % s3.bucket, side: str(root), 'fles': ['site.conf']}]


def test_a_refused_pull_carries_the_warning_that_explains_it(s3, ansible_env, tmp_path):
    """The typo turns the map into a directory map whose deletions exceed max_delete: the refusal
    says so and the warning comes with it (before, it appeared only when the run succeeded)."""
    dest = tmp_path / 'dest'
    for name in ('a.conf', 'b.conf', 'c.conf'):
        write(dest, name, b'keep')
    put(s3, 'conf/site.conf', b'new')
    tasks = [{'name': 'pull', 's32s.sync.s32s_pull': {'maps': _conf_map(s3, 'slave', dest), 'max_delete': '50%'}}]
    rc, results, _out, _err = run_playbook(play(s3, tasks), ansible_env, tmp_path)
    result = task_result(results, 'pull')
    assert rc != 0 and result['failed'] and result['changed'] is False
    assert 'exceed max_delete=50%' in result['msg'] and result['msg'].endswith('; note: this map has ' + TYPO)
    assert any(w.endswith(TYPO) for w in result['warnings']), result
    assert not result.get('deprecations'), result['deprecations']
    assert local_files(dest) == {'a.conf': b'keep', 'b.conf': b'keep', 'c.conf': b'keep'}


def test_an_invalid_option_after_the_maps_carries_their_warnings(moto_s3, ansible_env, tmp_path):
    """An option refused after the maps were read (``mode``) still reports the maps' warnings."""
    dest = tmp_path / 'dest'
    put(moto_s3, 'conf/site.conf', b'x')
    tasks = [{'name': 'pull', 's32s.sync.s32s_pull': {'maps': _conf_map(moto_s3, 'slave', dest), 'mode': 'rwx'}}]
    rc, results, _out, _err = run_playbook(play(moto_s3, tasks), ansible_env, tmp_path)
    result = task_result(results, 'pull')
    assert rc != 0 and 'mode' in result['msg'], result['msg']
    assert any(w.endswith(TYPO) for w in result['warnings']), result
    assert not dest.exists()


def _playbook_output(plays, env, tmp_path):
    """stdout + stderr of ansible-playbook with the default callback and deprecation warnings enabled."""
    path = os.path.join(str(tmp_path), 'play.yml')
    with open(path, 'w') as f:
        yaml.safe_dump(plays, f)
    env = dict(env, ANSIBLE_DEPRECATION_WARNINGS='true', ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0',
               ANSIBLE_STDOUT_CALLBACK='default')
    proc = subprocess.run(['ansible-playbook', path, '-i', 'localhost,', '-c', 'local'], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_a_warning_prints_no_deprecation_warning(moto_s3, ansible_env, tmp_path):
    """amazon.aws 10.x passes the warnings again as ``warnings=`` to ``exit_json``/``fail_json``,
    which ansible-core 2.19 deprecates: one ``[DEPRECATION WARNING]`` beside every warning.
    A successful run and a failed one print their warnings, and no deprecation."""
    master = tmp_path / 'master'
    write(master, 'site.conf', b'x')
    ok = {'name': 'push', 's32s.sync.s32s_push': {'maps': _conf_map(moto_s3, 'master', master)}}
    bad = {'name': 'pull with a bad mode', 'ignore_errors': True,
           's32s.sync.s32s_pull': {'maps': _conf_map(moto_s3, 'slave', str(tmp_path / 'dest'), 'pulled'),
                                   'mode': 'rwx'}}
    rc, output = _playbook_output(play(moto_s3, [ok, bad]), ansible_env, tmp_path)
    assert rc == 0, output
    assert "map 'conf' in option 'maps': " + TYPO in output, output
    assert "map 'pulled' in option 'maps': " + TYPO in output, output
    assert 'DEPRECATION' not in output and 'deprecated' not in output, output
