# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every EXAMPLES block of every module runs against a local server, so examples cannot rot (issue 5).

The example text is taken from the module file as it is; only the placeholders
(bucket names, hosts, paths) are replaced by the test's own.
"""

import ast
import glob
import json
import os
import pwd

import pytest
import yaml

from ansiblerun import fake_watch_install, run_playbook
from syncrun import put, write

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = sorted(glob.glob(os.path.join(REPO_ROOT, 'plugins', 'modules', '*.py')))


def examples_of(path):
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', '') == 'EXAMPLES':
            return node.value.value
    raise AssertionError('no EXAMPLES in %s' % path)


def test_every_module_has_examples():
    assert len(MODULES) >= 3
    for path in MODULES:
        assert yaml.safe_load(examples_of(path)), path


@pytest.mark.parametrize('module', [os.path.basename(p)[:-3] for p in MODULES])
def test_examples_run(module, moto_s3, rclone_s3, ansible_env, tmp_path):
    s3 = moto_s3
    master, slave = tmp_path / 'srv-www-site', tmp_path / 'var-www-html'
    write(master, 'index.html', b'<h1>example</h1>')
    maps_file = tmp_path / 'maps.json'
    maps = [{'name': 'PROJECT 1', 's3': '%s/www/site' % s3.bucket, 'master': str(master), 'slave': str(slave)}]
    maps_file.write_text(json.dumps(maps))
    put(s3, 'spam/foo/maps/map.json', json.dumps(maps))
    put(s3, 'www/site/index.html', b'<h1>example</h1>')
    put(s3, 'data/a.txt', b'a')
    status = {'running': True, 'pid': 4242, 'started_at': '2026-12-03T09:30:00.000Z', 'maps': [{
        'name': 'site', 'queue_depth': 0, 'last_scan': None, 'last_success': None, 'sent': 1, 'deleted': 0, 'failed': 0,
        'failed_passes': 0, 'dead_letters': [], 'last_error': None, 'last_error_at': None, 'failing_since': None,
        'counted_since': None, 'watching': True, 'watch_error': None, 'watch_retry_at': None}]}
    watch_installs = {p: fake_watch_install(str(tmp_path / p.strip('/').replace('/', '-')), json.dumps(status))
                      for p in ('/opt/s32s-watch', '/srv/s32s-watch')}
    owner = 'www-data' if _user_exists('www-data') else pwd.getpwuid(os.getuid()).pw_name
    text = examples_of(os.path.join(REPO_ROOT, 'plugins', 'modules', module + '.py'))
    for old, new in (('backup-bucket', rclone_s3.bucket), ('example-bucket-copy', s3.bucket + '-copy'),
                     ('example-bucket', s3.bucket), ('/srv/www/site', str(master)),
                     ('/var/www/html', str(slave)), ('/etc/s32s/maps.json', str(maps_file)),
                     ('https://s3.example.com', s3.endpoint_url), ('https://ceph.example.com', rclone_s3.endpoint_url),
                     ('www-data', owner)) + tuple(watch_installs.items()):
        text = text.replace(old, new)
    s3.create_bucket(s3.bucket + '-copy')
    tasks = yaml.safe_load(text)
    plays = [{
        'name': 'examples of %s' % module, 'hosts': 'localhost', 'gather_facts': False,
        'vars': {'ceph_access_key': rclone_s3.access_key, 'ceph_secret_key': rclone_s3.secret_key,
                 'event_keys': ['data/a.txt']},
        'module_defaults': {'group/s32s.sync.s32s': {
            'endpoint_url': s3.endpoint_url, 'access_key': s3.access_key, 'secret_key': s3.secret_key,
            'region': s3.region, 'state_dir': str(tmp_path / 'state')}},
        'tasks': tasks,
        'handlers': [{'name': 'changed', 'ansible.builtin.debug': {'msg': 'changed'}, 'listen': 's32s_pull changed'}],
    }]
    rc, results, out, err = run_playbook(plays, ansible_env, tmp_path)
    assert rc == 0, out[-4000:] + err[-2000:]
    ran = [r for r in results if r['task'] in {t['name'] for t in tasks}]
    assert len({r['task'] for r in ran}) == len(tasks)
    assert all(not r['result'].get('failed') for r in ran)


def _user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
