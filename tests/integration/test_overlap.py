# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two runs on one destination never both apply (issue 15 point 4): the host lock of push and pull.

The overlap is made certain, not left to timing: the test holds the destination's lock itself
(as a run in progress would), starts two pulls through ansible-playbook, waits until both module
processes have the lock file open (they are waiting for it), then lets go. One of them takes the
lock and applies; the other waits for it, lists what the first one left, and has nothing to do.
"""

import json
import os
import subprocess
import time

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import load_maps
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.push_pull import map_lock_path
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.lock import HostLock
from ansiblerun import openers, run_playbook
from syncrun import local_files, put

HANDLER = 'Note the change'
FILES = {'index.html': b'home', 'a/one.txt': b'one', 'a/b/two.txt': b'two two'}


def pull_play(s3, dest, state_dir, lock_timeout=60, pull_s3=None):
    role_vars = {'pull_s3': pull_s3 or '%s/site' % s3.bucket, 'pull_dest': str(dest), 'pull_state_dir': state_dir,
                 'pull_lock_timeout': lock_timeout, 'pull_endpoint_url': s3.endpoint_url,
                 'pull_access_key': s3.access_key, 'pull_secret_key': s3.secret_key, 'pull_region': s3.region,
                 'pull_addressing_style': 'path'}
    return [{'name': 'deploy', 'hosts': 'localhost', 'gather_facts': False,
             'roles': [{'role': 's32s.sync.pull', 'vars': role_vars}],
             'handlers': [{'name': HANDLER, 'ansible.builtin.debug': {'msg': 'changed'},
                           'listen': 's32s_pull changed'}]}]


def lock_of(s3, dest, state_dir):
    maps = load_maps([{'name': 'site', 's3': '%s/site' % s3.bucket, 'slave': str(dest)}], 'slave', 'test')[0]
    return map_lock_path('pull', maps[0], state_dir)


def start(play_path, env):
    env = dict(env, ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0')
    return subprocess.Popen(['ansible-playbook', play_path, '-i', 'localhost,', '-c', 'local'], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc):
    out, err = proc.communicate(timeout=300)
    data = json.loads(out[out.index('{'):])
    tasks = {t['task']['name']: t['hosts'].get('localhost') for p in data['plays'] for t in p['tasks']}
    return proc.returncode, tasks, out, err


def test_two_concurrent_pulls_of_one_map_apply_once(s3, ansible_env, tmp_path):
    for relpath, data in FILES.items():
        put(s3, 'site/' + relpath, data)
    dest, state_dir = tmp_path / 'www', str(tmp_path / 'state')
    play_path = str(tmp_path / 'deploy.yml')
    with open(play_path, 'w') as f:
        json.dump(pull_play(s3, dest, state_dir), f)
    lock = lock_of(s3, dest, state_dir)
    with s3.requests() as log:
        with HostLock(lock, 0, 'test'):
            procs = [start(play_path, ansible_env) for _run in range(2)]
            deadline = time.monotonic() + 120
            while len(openers(lock)) < 2:  # both modules are waiting for the lock
                assert all(p.poll() is None for p in procs), [finish(p) for p in procs if p.poll() is not None]
                assert time.monotonic() < deadline, 'the two pulls never reached the lock'
                time.sleep(0.1)
            assert not os.path.exists(str(dest)) and log.count(method='GET', op='GetObject') == 0
        results = [finish(p) for p in procs]
    for rc, _tasks, out, err in results:
        assert rc == 0, out[-3000:] + err[-2000:]
    pulls = [tasks['s32s.sync.pull : Pull the S32S maps from S3'] for _rc, tasks, _o, _e in results]
    assert sorted(r['changed'] for r in pulls) == [False, True]
    applied = next(r for r in pulls if r['changed'])
    waited = next(r for r in pulls if not r['changed'])
    assert applied['totals']['created'] == len(FILES)
    assert waited['totals']['created'] == 0 and waited['totals']['unchanged'] == len(FILES)
    # the handler ran once, after the run that applied
    assert [HANDLER in tasks for _rc, tasks, _o, _e in results].count(True) == 1
    # every object was downloaded once, by one of the two
    assert log.count(op='GetObject') == len(FILES)
    assert local_files(dest) == FILES


def test_a_pull_that_waits_too_long_fails_without_a_change_check_mode_takes_no_lock(s3, ansible_env, tmp_path):
    for relpath, data in FILES.items():
        put(s3, 'site/' + relpath, data)
    dest, state_dir = tmp_path / 'www', str(tmp_path / 'state')
    lock = lock_of(s3, dest, state_dir)
    with HostLock(lock, 0, 'test'):
        started = time.monotonic()
        rc, results, out, err = run_playbook(pull_play(s3, dest, state_dir, lock_timeout=1.5), ansible_env, tmp_path)
        assert rc != 0
        failed = next(r['result'] for r in results if r['task'] == 's32s.sync.pull : Pull the S32S maps from S3')
        assert failed['failed'] and not failed['changed']
        assert failed['msg'] == ("map '%s/site': another pull into this directory holds %s for more than "
                                 "lock_timeout=1.5 s; nothing was changed" % (s3.bucket, lock)), failed['msg']
        assert time.monotonic() - started >= 1.5
        assert not os.path.exists(str(dest))
        # check mode takes no lock: the preview runs while the lock is held
        rc, results, out, err = run_playbook(pull_play(s3, dest, state_dir, lock_timeout=0), ansible_env, tmp_path,
                                             check=True)
        assert rc == 0, out[-3000:] + err[-2000:]
        preview = next(r['result'] for r in results if r['task'] == 's32s.sync.pull : Pull the S32S maps from S3')
        assert preview['changed'] and preview['totals']['created'] == len(FILES)
        assert not os.path.exists(str(dest))
    # released: the same run now applies
    rc, results, out, err = run_playbook(pull_play(s3, dest, state_dir, lock_timeout=0), ansible_env, tmp_path)
    assert rc == 0, out[-3000:] + err[-2000:]
    assert local_files(dest) == FILES
