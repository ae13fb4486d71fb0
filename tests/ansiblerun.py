# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run playbooks with ansible-playbook and the json callback: per-task results, a Runner for the
collection's playbooks, and small file helpers."""

import json
import os
import subprocess

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def openers(path):
    """PIDs of the processes (other than this one) that have ``path`` open."""
    pids = set()
    for pid in os.listdir('/proc'):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            fds = os.listdir('/proc/%s/fd' % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink('/proc/%s/fd/%s' % (pid, fd)) == path:
                    pids.add(int(pid))
                    break
            except OSError:
                pass
    return pids


def task_result(results, name):
    """The result of the (last) task called ``name``."""
    found = [r['result'] for r in results if r['task'] == name]
    assert found, 'no task %r in %r' % (name, [r['task'] for r in results])
    return found[-1]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def fake_watch_install(root, stdout, rc=0):
    """An install dir of the s32s-watch service whose ``bin/s32s-watch status`` prints ``stdout`` and exits with
    ``rc`` (any other command: rc 2), for tests of s32s_watch_info alone; returns ``root``."""
    launcher = os.path.join(root, 'bin', 's32s-watch')
    write(launcher, '#!/bin/sh\n[ "$1" = status ] || exit 2\ncat <<\'EOF\'\n%s\nEOF\nexit %d\n' % (stdout, rc))
    os.chmod(launcher, 0o755)
    return root


def tree(root):
    """relpath -> (content, mtime_ns) of every file under root ({} if it does not exist)."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, 'rb') as f:
                out[os.path.relpath(path, root)] = (f.read(), os.stat(path).st_mtime_ns)
    return out


def contents(root):
    return {rel: data for rel, (data, _mtime) in tree(root).items()}


class Run:
    """One ansible-playbook run, read from the ansible.posix.json stdout callback."""

    def __init__(self, data):
        self.data = data
        #: host -> number of changed tasks (PLAY RECAP's changed=)
        self.changed = {host: stats['changed'] for host, stats in data['stats'].items()}

    def results(self, task_name):
        """host -> result of the task or handler called task_name (role tasks: 'role : name')."""
        out = {}
        for play in self.data['plays']:
            for task in play['tasks']:
                if task['task']['name'] == task_name:
                    out.update(task['hosts'])
        return out

    def handler_hosts(self, name):
        """Hosts on which the handler ``name`` ran (skipped included), empty if it was not notified."""
        return set(self.results(name))

    def module_result(self, host):
        found = [r[host] for r in (self.results('s32s.sync.pull : Pull the S32S maps from S3'),
                                   self.results('s32s.sync.push : Push the S32S maps to S3')) if host in r]
        assert len(found) == 1, (host, found)
        return found[0]

    def diff(self, host):
        """diff.prepared of the push/pull task on host."""
        return self.module_result(host)['diff']['prepared']


class Runner:
    """Runs the collection's playbooks with an inventory; checks success and that no secret leaks."""

    def __init__(self, env, workdir, secrets=()):
        self.env = dict(env, ANSIBLE_STDOUT_CALLBACK='ansible.posix.json', ANSIBLE_NOCOLOR='1',
                        ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_LOCAL_TEMP=os.path.join(workdir, 'ansible-tmp'))
        self.secrets = [s for s in secrets if s]

    def run(self, inventory, playbook, *args, extra_vars=None, limit=None, fails=False):
        """Run the playbook; it must succeed (``fails``: it must fail; the process is returned)."""
        cmd = [os.path.join(os.path.dirname(self.env.get('ANSIBLE_PYTHON_INTERPRETER', 'python')), 'ansible-playbook'),
               '-i', inventory, os.path.join(REPO_ROOT, 'playbooks', playbook)] + list(args)
        if extra_vars:
            cmd += ['-e', json.dumps(extra_vars)]
        if limit:
            cmd += ['--limit', limit]
        proc = subprocess.run(cmd, env=self.env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
                              check=False)
        for secret in self.secrets:
            assert secret not in proc.stdout + proc.stderr, 'a secret leaked into the output of %s' % playbook
        if fails:
            assert proc.returncode != 0, proc.stdout[-6000:]
            return proc
        assert proc.returncode == 0, 'rc=%d\n%s\n%s' % (proc.returncode, proc.stdout[-6000:], proc.stderr[-3000:])
        run = Run(json.loads(proc.stdout[proc.stdout.index('{'):]))
        assert all(not s['failures'] and not s['unreachable'] for s in run.data['stats'].values()), run.data['stats']
        return run
