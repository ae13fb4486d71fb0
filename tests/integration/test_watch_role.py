# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/watch.yml, the role s32s.sync.watch and the module s32s.sync.s32s_watch_info through
ansible-playbook on localhost (connection local).

The role installs into temporary directories with ``watch_virtualenv: false`` (the interpreter of
these tests already has boto3 and watchdog, so nothing is downloaded) and ``watch_service_manager:
none`` (no systemd in a test). One install per module-scoped fixture: the first run, its check mode
before and after, the second run and a configuration change are one sequence on one host.
"""

import json
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import time

import pytest

from ansiblerun import REPO_ROOT, Run, Runner, fake_watch_install, run_playbook, task_result, write
from s3servers import SERVER_NAMES, S3Endpoint
from watchkit import refused_credentials, wait_for

PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'watch.yml')
HANDLER = 's32s.sync.watch : Restart s32s-watch'
OWN_HANDLER = 'Note the service change'
CONFIG_TASK = 's32s.sync.watch : Write the service configuration'
SECRET = 'watch-SECRET-never-printed-7f3a'
TOKEN = 'watch-TOKEN-never-printed-19c2'
USER = pwd.getpwuid(os.getuid()).pw_name


def role_vars(tmp, **extra):
    """Role variables for an install under ``tmp`` (absolute paths), one map."""
    out = {'watch_maps': [{'name': 'site', 's3': 'example-bucket/site', 'master': os.path.join(tmp, 'master'),
                           'ignore': ['*.tmp']}],
           'watch_install_dir': os.path.join(tmp, 'opt'), 'watch_state_dir': os.path.join(tmp, 'state'),
           'watch_virtualenv': False, 'watch_python': sys.executable, 'watch_service_manager': 'none',
           'watch_user': USER, 'watch_endpoint_url': 'http://127.0.0.1:9', 'watch_access_key': 'AKWATCH',
           'watch_secret_key': SECRET, 'watch_session_token': TOKEN, 'watch_addressing_style': 'path',
           'watch_check_store': False}  # no store behind this endpoint (test_the_check_... checks one)
    out.update(extra)
    return out


def inventory(tmp, **host_vars):
    path = os.path.join(tmp, 'inventory.json')
    write(path, json.dumps({'all': {
        'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
        'children': {'watch_hosts': {'hosts': {'box': host_vars}}}}}))
    return path


def playbook_with_handler(tmp):
    """playbooks/watch.yml plus a handler of ours on the role's topic (a no-op would be invisible)."""
    path = os.path.join(tmp, 'watch_with_handler.yml')
    with open(PLAYBOOK, encoding='utf-8') as f:
        text = f.read()
    text += ('  handlers:\n    - name: %s\n      ansible.builtin.debug:\n        msg: changed\n'
             '      listen: s32s_watch changed\n' % OWN_HANDLER)
    write(path, text)
    return path


def snapshot(*roots):
    """path -> (mode, size, mtime_ns, content) of every file, path -> (mode,) of every directory, under
    roots (missing roots: nothing). A directory's mtime changes with any replacement inside it."""
    out = {}
    for root in roots:
        for dirpath, dirs, files in os.walk(root):
            for name in dirs + files:
                path = os.path.join(dirpath, name)
                st = os.lstat(path)
                if stat.S_ISDIR(st.st_mode):
                    out[path] = (st.st_mode,)
                    continue
                with open(path, 'rb') as f:
                    out[path] = (st.st_mode, st.st_size, st.st_mtime_ns, f.read())
    return out


class Host:
    """One host ``box`` in group watch_hosts, its directories and a Runner that checks for leaks."""

    def __init__(self, tmp, ansible_env, **extra):
        self.tmp = tmp
        self.vars = role_vars(tmp, **extra)
        self.install_dir = self.vars['watch_install_dir']
        self.state_dir = self.vars['watch_state_dir']
        os.makedirs(self.vars['watch_maps'][0]['master'], exist_ok=True)
        self.runner = Runner(ansible_env, tmp, secrets=[SECRET, TOKEN])
        self.book = playbook_with_handler(tmp)

    def run(self, *args, fails=False, **extra):
        return self.runner.run(inventory(self.tmp, **dict(self.vars, **extra)), self.book, *args, fails=fails)

    def files(self):
        return snapshot(self.install_dir, self.state_dir)


@pytest.fixture(scope='module')
def host(tmp_path_factory, ansible_env):
    """A host on which the role has not run yet (test_install_... installs it)."""
    return Host(str(tmp_path_factory.mktemp('watch-host')), ansible_env)


@pytest.fixture
def installed(host):
    """The same host, installed (by test_install_... when the tests run in order, else here)."""
    if not os.path.exists(os.path.join(host.install_dir, 'bin', 's32s-watch')):
        host.run()
    return host


def test_fresh_host_check_mode_changes_nothing(host):
    run = host.run('--check', '--diff')
    assert run.changed['box'] > 0  # it would install
    assert not os.path.exists(host.install_dir) and not os.path.exists(host.state_dir)
    # --diff never shows the configuration (it holds the credentials); Runner checked they did not leak
    assert 'diff' not in run.results(CONFIG_TASK)['box'] or not run.results(CONFIG_TASK)['box']['diff']


def test_install_writes_code_config_and_notifies(host):
    run = host.run()
    assert run.changed['box'] > 0
    assert run.handler_hosts(OWN_HANDLER) == {'box'}
    # the role's handler is notified too, and skipped: watch_service_manager none restarts nothing
    assert run.results(HANDLER)['box'].get('skipped') is True

    launcher = os.path.join(host.install_dir, 'bin', 's32s-watch')
    assert os.access(launcher, os.X_OK)
    with open(launcher, encoding='utf-8') as f:
        assert f.readline() == '#!%s\n' % sys.executable  # watch_virtualenv false: watch_python itself
    engine = os.path.join(host.install_dir, 'lib', 's32s_engine')
    source = os.path.join(REPO_ROOT, 'plugins', 'module_utils', '_engine')
    for rel in ('__init__.py', 'errors.py', os.path.join('plan', '__init__.py'), os.path.join('watch', 'README.md')):
        with open(os.path.join(engine, rel), 'rb') as got, open(os.path.join(source, rel), 'rb') as want:
            assert got.read() == want.read(), rel
    assert not [d for _p, dirs, _f in os.walk(engine) for d in dirs if d == '__pycache__']

    config_path = os.path.join(host.install_dir, 'etc', 'config.json')
    st = os.stat(config_path)
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.getuid()
    with open(config_path, encoding='utf-8') as f:
        config = json.load(f)
    assert config == {
        'version': 1, 'state_dir': host.state_dir, 'settle_s': 2.0, 'settle_max_s': 60.0,
        'rescan_interval_s': 3600.0, 'delete': False, 'max_delete': '50%', 'allow_empty_source': False,
        'max_attempts': 5,
        'retry_base_s': 2.0, 'retry_max_s': 300.0,
        'connection': {'endpoint_url': 'http://127.0.0.1:9', 'access_key': 'AKWATCH', 'secret_key': SECRET,
                       'session_token': TOKEN, 'region': None, 'profile': None, 'addressing_style': 'path',
                       'aws_config': None, 'validate_certs': True, 'aws_ca_bundle': None},
        'maps': host.vars['watch_maps']}
    assert stat.S_IMODE(os.stat(host.state_dir).st_mode) == 0o700
    # the playbook reads the status of the installed service with s32s_watch_info
    status = run.results('Read the status of the service')['box']
    assert [m['name'] for m in status['maps']] == ['site'] and status['changed'] is False


def test_second_run_changes_nothing_and_notifies_nothing(installed):
    host = installed
    before = host.files()
    run = host.run()
    assert run.changed == {'box': 0}
    assert run.handler_hosts(OWN_HANDLER) == set() and run.handler_hosts(HANDLER) == set()
    assert host.files() == before


def test_check_mode_on_an_installed_host_changes_nothing(installed):
    host = installed
    before = host.files()
    run = host.run('--check', '--diff')
    assert run.changed == {'box': 0}
    # a changed setting: check mode reports the configuration would change, and changes nothing
    run = host.run('--check', '--diff', watch_settle_s=0.5)
    assert run.results(CONFIG_TASK)['box']['changed'] is True
    assert host.files() == before


def test_a_config_change_notifies_and_touches_only_the_config(installed):
    host = installed
    before = host.files()
    run = host.run(watch_settle_s=0.5, watch_delete=True)
    assert run.results(CONFIG_TASK)['box']['changed'] is True
    assert run.handler_hosts(OWN_HANDLER) == {'box'}
    changed = {path for path in set(before) | set(host.files()) if before.get(path) != host.files().get(path)}
    assert changed == {os.path.join(host.install_dir, 'etc', 'config.json')}
    with open(os.path.join(host.install_dir, 'etc', 'config.json'), encoding='utf-8') as f:
        config = json.load(f)
    assert config['settle_s'] == 0.5 and config['delete'] is True
    host.vars.update(watch_settle_s=0.5, watch_delete=True)
    assert host.run().changed == {'box': 0}


def test_a_changed_or_stale_engine_file_is_put_right_and_notifies(installed):
    host = installed
    engine = os.path.join(host.install_dir, 'lib', 's32s_engine')
    with open(os.path.join(engine, 'errors.py'), 'a', encoding='utf-8') as f:
        f.write('# edited on the host\n')
    write(os.path.join(engine, 'plan', 'gone.py'), '# a module the collection no longer has\n')
    run = host.run()
    assert run.handler_hosts(OWN_HANDLER) == {'box'}
    assert not os.path.exists(os.path.join(engine, 'plan', 'gone.py'))
    with open(os.path.join(engine, 'errors.py'), 'rb') as got, \
            open(os.path.join(REPO_ROOT, 'plugins', 'module_utils', '_engine', 'errors.py'), 'rb') as want:
        assert got.read() == want.read()


def test_the_unit_file_passes_systemd_analyze_verify(installed, ansible_env):
    """The unit as the role renders it (tasks_from unit.yml: the same template task the systemd path
    runs), for root, another user and a two-way map, checked by systemd-analyze verify against the
    installed launcher."""
    analyze = shutil.which('systemd-analyze')
    if analyze is None:  # pragma: no cover - this machine has it
        pytest.skip('systemd-analyze is not installed')
    host = installed
    master = host.vars['watch_maps'][0]['master']
    two_way = [dict(host.vars['watch_maps'][0], mode='two-way')]
    cases = {'root': {'watch_user': 'root'}, 'daemon': {'watch_user': 'daemon'},
             'two-way': {'watch_user': 'root', 'watch_maps': two_way}}
    units = {}
    for case, extra in cases.items():
        unit_dir = os.path.join(host.tmp, 'units-' + case)
        os.makedirs(unit_dir, exist_ok=True)
        play = [{'name': 'render the unit', 'hosts': 'box', 'gather_facts': False, 'tasks': [
            {'name': 'unit', 'ansible.builtin.include_role': {'name': 's32s.sync.watch', 'tasks_from': 'unit.yml'},
             'vars': dict(host.vars, watch_systemd_unit_dir=unit_dir, **extra)}]}]
        rc, _results, out, err = run_playbook(play, ansible_env, host.tmp, '-i', inventory(host.tmp))
        assert rc == 0, out[-3000:] + err[-2000:]
        path = os.path.join(unit_dir, 's32s-watch.service')
        proc = subprocess.run([analyze, 'verify', path], capture_output=True, text=True, timeout=60, check=False)
        # verify exits 0 on unknown keys or bad values too; it only warns: nothing on stderr is accepted
        assert proc.returncode == 0 and proc.stderr.strip() == '', (case, proc.stderr)
        with open(path, encoding='utf-8') as f:
            units[case] = f.read()
    launcher = os.path.join(host.install_dir, 'bin', 's32s-watch')
    for line in ('ExecStart=%s run' % launcher, 'User=root', 'NoNewPrivileges=yes', 'ProtectSystem=strict',
                 'ReadWritePaths=%s' % host.state_dir, 'PrivateTmp=yes', 'Restart=on-failure', 'KillSignal=SIGTERM',
                 'TimeoutStopSec=30', 'CapabilityBoundingSet=CAP_DAC_READ_SEARCH', 'SystemCallFilter=@system-service'):
        assert '\n%s\n' % line in units['root'], line
    assert units['root'].count('ReadWritePaths=') == 1
    assert '\nUser=daemon\n' in units['daemon'] and '\nCapabilityBoundingSet=\n' in units['daemon']
    # a two-way map writes its master: that directory (only) becomes writable too
    assert '\nReadWritePaths=%s %s\n' % (host.state_dir, master) in units['two-way']
    assert '\nCapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_DAC_OVERRIDE CAP_CHOWN CAP_FOWNER\n' in units['two-way']


#: Role variables as ``-e key=value`` gives them (strings; INI inventories and AWX text fields too) -> the
#: value the configuration file must hold (a JSON number or boolean, never a string).
AS_TEXT = {'watch_settle_s': ('0.5', 0.5), 'watch_settle_max_s': ('30', 30.0),
           'watch_rescan_interval_s': ('600', 600.0), 'watch_max_attempts': ('3', 3),
           'watch_retry_base_s': ('1', 1.0), 'watch_retry_max_s': ('60', 60.0), 'watch_max_delete': ('10', '10'),
           'watch_delete': ('true', True), 'watch_allow_empty_source': ('true', True),
           'watch_validate_certs': ('false', False), 'watch_virtualenv': ('false', None),
           'watch_stop_timeout_s': ('20', None)}
CONFIG_KEY = {'watch_settle_s': 'settle_s', 'watch_settle_max_s': 'settle_max_s',
              'watch_rescan_interval_s': 'rescan_interval_s', 'watch_max_attempts': 'max_attempts',
              'watch_retry_base_s': 'retry_base_s', 'watch_retry_max_s': 'retry_max_s',
              'watch_max_delete': 'max_delete', 'watch_delete': 'delete',
              'watch_allow_empty_source': 'allow_empty_source'}


def test_numbers_and_booleans_given_as_text_are_converted(tmp_path, ansible_env):
    """``-e watch_rescan_interval_s=600`` (a string) passes the preflight comparisons, and the
    configuration holds numbers and booleans of the right JSON type; the unit gets the number too."""
    host = Host(str(tmp_path), ansible_env)
    args = []
    for name, (text, _want) in AS_TEXT.items():
        args += ['-e', '%s=%s' % (name, text)]
    host.run(*args)
    with open(os.path.join(host.install_dir, 'etc', 'config.json'), encoding='utf-8') as f:
        config = json.load(f)
    for name, key in CONFIG_KEY.items():
        want = AS_TEXT[name][1]
        assert config[key] == want and type(config[key]) is type(want), (key, config[key])
    assert config['connection']['validate_certs'] is False
    with open(os.path.join(host.install_dir, 'bin', 's32s-watch'), encoding='utf-8') as f:
        assert f.readline() == '#!%s\n' % sys.executable  # 'false' is false: watch_python itself, no venv
    assert not os.path.exists(os.path.join(host.install_dir, 'venv'))
    unit_dir = os.path.join(host.tmp, 'units')
    os.makedirs(unit_dir)
    play = [{'name': 'render the unit', 'hosts': 'box', 'gather_facts': False, 'tasks': [
        {'name': 'unit', 'ansible.builtin.include_role': {'name': 's32s.sync.watch', 'tasks_from': 'unit.yml'},
         'vars': dict(host.vars, watch_systemd_unit_dir=unit_dir)}]}]
    rc, _results, out, err = run_playbook(play, ansible_env, host.tmp, '-i', inventory(host.tmp),
                                          '-e', 'watch_stop_timeout_s=20')
    assert rc == 0, out[-3000:] + err[-2000:]
    with open(os.path.join(unit_dir, 's32s-watch.service'), encoding='utf-8') as f:
        assert '\nTimeoutStopSec=20\n' in f.read()
    # the same values as text again: nothing changes
    assert host.run(*args).changed == {'box': 0}


#: case -> (role variables over the valid ones, words the error must contain)
BAD_VARIABLES = {
    'no maps': ({'watch_maps': None}, ['watch_maps']),
    'unknown manager': ({'watch_service_manager': 'upstart'}, ['watch_service_manager', 'systemd', 'none']),
    'a slave key': ({'watch_maps': [{'name': 'a', 's3': 'b/c', 'master': '/srv/a', 'slave': '/x'}]}, ['slave']),
    'a map without s3': ({'watch_maps': [{'name': 'a', 'master': '/srv/a'}]}, ['s3']),
    'unknown mode': ({'watch_maps': [{'name': 'a', 's3': 'b/c', 'master': '/srv/a', 'mode': 'mirror'}]},
                     ['mode', 'push', 'two-way']),
    'not a bool': ({'watch_delete': 'perhaps'}, ['watch_delete']),
    'a string of rules': ({'watch_maps': [{'name': 'a', 's3': 'b/c', 'master': '/srv/a', 'ignore': '*.tmp'}]},
                          ['ignore', 'list']),
    'same name twice': ({'watch_maps': [{'name': 'a', 's3': 'b/c', 'master': '/srv/a'},
                                        {'name': 'a', 's3': 'b/d', 'master': '/srv/b'}]}, ['unique']),
    'relative master': ({'watch_maps': [{'name': 'a', 's3': 'b/c', 'master': 'srv/a'}]}, ['absolute', 'srv/a']),
    'bad budget': ({'watch_max_delete': 'lots'}, ['watch_max_delete']),
    'unknown user': ({'watch_user': 's32s-no-such-user'}, ['s32s-no-such-user', 'does not exist']),
    'python without the requirements': ({'watch_python': '/bin/true'}, ['watch_python', 'watch_virtualenv']),
}


def test_bad_variables_fail_clearly_before_any_change(tmp_path, ansible_env):
    """Every case in one playbook run (a block each, its error rescued): argument_specs and the
    preflight checks name the variable, and nothing is installed."""
    tmp = str(tmp_path)
    base = role_vars(tmp)
    tasks = []
    for case, (override, _words) in BAD_VARIABLES.items():
        case_vars = {k: v for k, v in dict(base, **override).items() if v is not None}
        tasks.append({'name': case, 'block': [
            {'name': 'role ' + case, 'ansible.builtin.include_role': {'name': 's32s.sync.watch'}, 'vars': case_vars},
            {'name': 'not reached ' + case, 'ansible.builtin.fail': {'msg': 'the role accepted ' + case}}],
            'rescue': [{'name': 'error ' + case, 'ansible.builtin.debug': {'var': 'ansible_failed_result.msg'}}]})
    rc, results, out, err = run_playbook([{'name': 'bad', 'hosts': 'box', 'gather_facts': False, 'tasks': tasks}],
                                         ansible_env, tmp, '-i', inventory(tmp))
    assert rc == 0, out[-4000:] + err[-2000:]
    assert SECRET not in out + err and TOKEN not in out + err
    for case, (_override, words) in BAD_VARIABLES.items():
        msg = str(task_result(results, 'error ' + case)['ansible_failed_result.msg'])
        for word in words:
            assert word in msg, (case, word, msg)
    assert not os.path.exists(base['watch_install_dir']) and not os.path.exists(base['watch_state_dir'])


def test_watch_info_returns_the_status_document_and_fails_clearly(tmp_path, ansible_env):
    tmp = str(tmp_path)
    document = {'running': True, 'maps': [{
        'name': 'site', 'queue_depth': 3, 'last_scan': '2026-12-03T09:30:00Z', 'last_success': None, 'sent': 7,
        'deleted': 1, 'failed': 2, 'dead_letters': [{'path': 'a/b.txt', 'reason': 'Permission denied'}],
        'last_error': None, 'watching': False, 'watch_retry_at': '2026-12-03T09:31:00Z',
        'watch_error': 'cannot watch /srv/site: inotify watch limit reached (raise fs.inotify.max_user_watches)'}]}
    good = fake_watch_install(os.path.join(tmp, 'good'), json.dumps(document))
    broken = fake_watch_install(os.path.join(tmp, 'broken'), 'not json')
    failing = fake_watch_install(os.path.join(tmp, 'failing'), 'state directory unusable', rc=3)
    cases = {'good': good, 'good in check mode': good, 'missing': os.path.join(tmp, 'nothing-here'),
             'broken': broken, 'failing': failing}
    tasks = [dict({'name': name, 's32s.sync.s32s_watch_info': {'install_dir': path}, 'ignore_errors': True},
                  **({'check_mode': True} if 'check' in name else {})) for name, path in cases.items()]
    rc, results, out, err = run_playbook([{'name': 'info', 'hosts': 'box', 'gather_facts': False, 'tasks': tasks}],
                                         ansible_env, tmp, '-i', inventory(tmp))
    assert rc == 0, out[-3000:] + err[-2000:]
    for name in ('good', 'good in check mode'):
        result = task_result(results, name)
        assert not result.get('failed') and result['changed'] is False
        assert {k: result[k] for k in document} == document
        assert result['command'] == [os.path.join(good, 'bin', 's32s-watch'), 'status']
    missing = task_result(results, 'missing')
    assert missing['failed'] and 'not installed' in missing['msg'] and 's32s.sync.watch' in missing['msg']
    broken = task_result(results, 'broken')
    assert broken['failed'] and 'not JSON' in broken['msg']
    failing = task_result(results, 'failing')
    assert failing['failed'] and 'rc=3' in failing['msg'] and 'state directory unusable' in failing['msg']


# -- end to end: the role installs the service, the test runs it ------------------------------------

@pytest.fixture(scope='module', params=SERVER_NAMES)
def served(request, s3_servers, tmp_path_factory, ansible_env):
    """On each server: the role installs the service (one run), the test starts ``bin/s32s-watch run``
    in the background as a supervisor would (watch_service_manager none) and stops it with SIGTERM."""
    s3 = S3Endpoint(s3_servers.get(request.param))
    s3.bucket = s3.create_bucket()
    tmp = str(tmp_path_factory.mktemp('watch-served-' + request.param))
    host = Host(tmp, ansible_env, watch_maps=[{'name': 'site', 's3': '%s/site' % s3.bucket,
                                               'master': os.path.join(tmp, 'master')}],
                watch_endpoint_url=s3.endpoint_url, watch_access_key=s3.access_key, watch_secret_key=s3.secret_key,
                watch_session_token='', watch_region=s3.region, watch_aws_config=s3.aws_config,
                watch_settle_s=0.2, watch_settle_max_s=5, watch_retry_base_s=0.1, watch_retry_max_s=1,
                watch_delete=True, watch_check_store=True)
    host.runner.secrets.append(s3.secret_key)
    host.run()
    log = open(os.path.join(tmp, 'watch.log'), 'wb')  # pylint: disable=consider-using-with
    host.proc = subprocess.Popen(  # pylint: disable=consider-using-with
        [os.path.join(host.install_dir, 'bin', 's32s-watch'), 'run'], stdout=subprocess.DEVNULL, stderr=log,
        start_new_session=True)
    host.s3 = s3
    try:
        wait_for(lambda: host.proc.poll() is not None or cli_status(host)['maps'][0]['last_scan'],
                 timeout=60, what='the first rescan')
        assert host.proc.poll() is None, 'the service ended: rc %s' % host.proc.returncode
        yield host
    finally:
        if host.proc.poll() is None:
            host.proc.kill()
            host.proc.wait()
        log.close()
        s3.clear_faults()


def cli_status(host):
    """The document of ``bin/s32s-watch status`` (polled: faster than a playbook run)."""
    proc = subprocess.run([os.path.join(host.install_dir, 'bin', 's32s-watch'), 'status'], capture_output=True,
                          text=True, timeout=60, check=True)
    return json.loads(proc.stdout)


def watch_info(host):
    """The result of s32s.sync.s32s_watch_info on the host (one playbook run)."""
    play = [{'name': 'info', 'hosts': 'box', 'gather_facts': False, 'tasks': [
        {'name': 'info', 's32s.sync.s32s_watch_info': {'install_dir': host.install_dir}}]}]
    rc, results, out, err = run_playbook(play, host.runner.env, host.tmp, '-i', inventory(host.tmp))
    assert rc == 0, out[-3000:] + err[-2000:]
    return task_result(results, 'info')


def objects(s3, prefix):
    """relative key -> bytes of every object under prefix/."""
    client = s3.client()
    out = {}
    for page in client.get_paginator('list_objects_v2').paginate(Bucket=s3.bucket, Prefix=prefix + '/'):
        for obj in page.get('Contents', []):
            out[obj['Key'][len(prefix) + 1:]] = client.get_object(Bucket=s3.bucket, Key=obj['Key'])['Body'].read()
    return out


def test_the_installed_service_sends_changes_and_stops_on_sigterm(served):
    master = served.vars['watch_maps'][0]['master']
    s3 = served.s3
    write(os.path.join(master, 'index.html'), 'v1\n')
    write(os.path.join(master, 'old.txt'), 'to be deleted\n')
    wait_for(lambda: objects(s3, 'site') == {'index.html': b'v1\n', 'old.txt': b'to be deleted\n'},
             what='the new files in S3')
    write(os.path.join(master, 'index.html'), 'v2, longer\n')
    os.remove(os.path.join(master, 'old.txt'))
    wait_for(lambda: objects(s3, 'site') == {'index.html': b'v2, longer\n'}, what='the edit and the deletion in S3')

    info = watch_info(served)
    assert info['running'] is True and info['changed'] is False
    (site,) = info['maps']
    assert site['name'] == 'site' and site['sent'] == 3 and site['deleted'] == 1 and site['failed'] == 0
    assert site['dead_letters'] == [] and site['last_scan']
    assert site['watching'] is True and site['watch_error'] is None and site['watch_retry_at'] is None

    started = time.monotonic()
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=30) == 0
    stopped_s = time.monotonic() - started
    assert stopped_s < 10, stopped_s
    stopped = watch_info(served)
    assert stopped['running'] is False and stopped['maps'][0]['watching'] is False
    with open(os.path.join(served.tmp, 'watch.log'), encoding='utf-8') as f:
        log = f.read()
    assert s3.secret_key not in log


# -- the check of the connection before the configuration is written ---------------------------------

@pytest.fixture(params=SERVER_NAMES)
def store(request, s3_servers):
    s3 = S3Endpoint(s3_servers.get(request.param))
    s3.bucket = s3.create_bucket()
    try:
        yield s3
    finally:
        s3.clear_faults()


CHECK_TASK = "s32s.sync.watch : The service can list every map's destination"


def test_the_check_fails_the_play_on_refused_credentials_or_a_missing_bucket(store, tmp_path, ansible_env):
    """One ListObjectsV2 per map before the configuration is written (on a fresh host right after the
    code is installed, else before any change); refused credentials or a missing bucket fail the play
    (in check mode too) with the map and the reason, leave the installed host as it was, and show no
    credential (the Runner checks every output)."""
    tmp = str(tmp_path)
    maps = [{'name': 'site', 's3': '%s/site' % store.bucket, 'master': os.path.join(tmp, 'master')}]
    host = Host(tmp, ansible_env, watch_maps=maps, watch_endpoint_url=store.endpoint_url,
                watch_access_key=store.access_key, watch_secret_key=store.secret_key, watch_session_token='',
                watch_region=store.region, watch_aws_config=store.aws_config, watch_check_store=True)
    host.runner.secrets.append(store.secret_key)
    with store.requests() as log:
        run = host.run()
    assert not run.results(CHECK_TASK)['box'].get('skipped') and not run.results(CHECK_TASK)['box'].get('failed')
    assert log.count('ListObjectsV2') == len(log) == 1, log.ops()  # the check: one request, nothing written
    config_path = os.path.join(host.install_dir, 'etc', 'config.json')
    with open(config_path, 'rb') as f:
        config = f.read()

    missing = maps + [{'name': 'other', 's3': 'no-such-bucket-%s/x' % store.bucket, 'master': maps[0]['master']}]
    proc = host.run('--check', fails=True, watch_maps=missing)  # check mode checks too
    failure = proc.stdout.split('the configuration was not changed')[1].split('Check watch_access_key')[0]
    assert "map 'other': listing s3://no-such-bucket-%s/x/ failed: NoSuchBucket" % store.bucket in failure, failure
    assert "map 'site'" not in failure

    wrong, reason = refused_credentials(store)
    proc = host.run(fails=True, **{'watch_' + k: v for k, v in wrong.items()})
    assert "map 'site': listing s3://%s/site/ failed: " % store.bucket in proc.stdout, proc.stdout[-3000:]
    assert reason in proc.stdout
    # checked with the installed service before any change: neither code nor configuration was touched
    # (no restart left pending), and the play stopped there
    assert not {CONFIG_TASK, 's32s.sync.watch : Install the engine'} & set(task_names_of(proc.stdout))
    with open(config_path, 'rb') as f:
        assert f.read() == config


def task_names(run):
    """The names of the tasks a Runner run reported (skipped ones too)."""
    return [task['task']['name'] for play in run.data['plays'] for task in play['tasks']]


def task_names_of(stdout):
    """The names of the tasks in the json callback output of a failed run."""
    return task_names(Run(json.loads(stdout[stdout.index('{'):])))
