# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The s32s-watch service as the role installs it, for tests: the engine copied to
``<install>/lib/s32s_engine``, the launcher rendered from ``roles/watch/templates/s32s-watch.j2``,
``<install>/etc/config.json`` (mode 0600); started as a subprocess, stopped with SIGTERM."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import jinja2

from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.status import status_of

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINE = os.path.join(REPO, 'plugins', 'module_utils', '_engine')
TEMPLATE = os.path.join(REPO, 'roles', 'watch', 'templates', 's32s-watch.j2')


def render_launcher(install_dir, python=sys.executable, virtualenv=False):
    """The launcher's text, rendered as the role renders it (Ansible's ``to_json`` filter)."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters['to_json'] = json.dumps
    env.filters['bool'] = bool
    with open(TEMPLATE, encoding='utf-8') as f:
        template = env.from_string(f.read())
    return template.render(watch_install_dir=install_dir, watch_virtualenv=virtualenv, watch_python=python)


def wait_for(predicate, timeout=20.0, interval=0.05, what='condition'):
    """Poll ``predicate`` until it returns a true value (returned) or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError('timed out after %gs waiting for %s (last: %r)' % (timeout, what, value))
        time.sleep(interval)


def refused_credentials(s3):
    """Connection keys the server refuses, and the words of the error: a wrong secret key where the
    server checks signatures (rclone: SignatureDoesNotMatch); where it does not (moto), an unknown
    access key that the proxy answers with 403 AccessDenied, as a server that checks it would (the
    fault lasts until the test's faults are cleared)."""
    if s3.enforces_auth:
        return {'secret_key': 'wrong-' + s3.secret_key}, 'SignatureDoesNotMatch: the secret key is wrong'
    s3.fail(status=403, times=10 ** 9,
            where=lambda req: 'Credential=AKREFUSED/' in req.headers.get('authorization', ''))
    return {'access_key': 'AKREFUSED'}, 'AccessDenied'


class WatchHost:
    """One installed service: ``install_dir``, ``state_dir``, a ``config`` dict, the running process."""

    def __init__(self, base, s3, maps, **config):
        self.base = str(base)
        self.s3 = s3
        self.install_dir = os.path.join(self.base, 'opt', 's32s-watch')
        self.state_dir = os.path.join(self.base, 'state')
        self.bin = os.path.join(self.install_dir, 'bin', 's32s-watch')
        self.config_path = os.path.join(self.install_dir, 'etc', 'config.json')
        self.log_path = os.path.join(self.base, 'watch.log')
        self.proc = None
        self._log = None
        self._before = {}
        shutil.copytree(ENGINE, os.path.join(self.install_dir, 'lib', 's32s_engine'),
                        ignore=shutil.ignore_patterns('__pycache__', '*.md'))
        os.makedirs(os.path.dirname(self.bin))
        with open(self.bin, 'w', encoding='utf-8') as f:
            f.write(render_launcher(self.install_dir))
        os.chmod(self.bin, 0o755)
        self.config = {'version': 1, 'state_dir': self.state_dir, 'settle_s': 0.2, 'settle_max_s': 5,
                       'rescan_interval_s': 3600, 'delete': False, 'max_delete': '50%', 'retry_base_s': 0.1,
                       'retry_max_s': 1, 'max_attempts': 3,
                       'connection': {'endpoint_url': s3.endpoint_url, 'access_key': s3.access_key,
                                      'secret_key': s3.secret_key, 'region': s3.region,
                                      'addressing_style': 'path', 'aws_config': s3.aws_config},
                       'maps': maps}
        self.config.update(config)
        self.write_config()

    def write_config(self):
        os.makedirs(os.path.dirname(self.config_path), exist_ok=True)
        fd = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(self.config, f)

    # -- the process ---------------------------------------------------------
    def start(self, wait_scanned=True, wrapper=()):
        """Start ``bin/s32s-watch run`` (behind ``wrapper``, e.g. setpriv); wait until every map
        finished its first rescan after this start."""
        before = {m['name']: m['last_scan'] for m in self.status()['maps']}
        self._log = open(self.log_path, 'ab')  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            list(wrapper) + [self.bin, 'run'], stdout=subprocess.DEVNULL, stderr=self._log, start_new_session=True)
        self._before = before
        if wait_scanned:
            wait_for(lambda: self.running_and_scanned(), what='the first rescan')  # pylint: disable=unnecessary-lambda
        return self

    def running_and_scanned(self):
        if self.proc.poll() is not None:
            raise AssertionError('s32s-watch run ended with rc %s:\n%s' % (self.proc.returncode, self.log_text()))
        return all(m['last_scan'] and m['last_scan'] != self._before.get(m['name'])
                   for m in self.status()['maps'])

    def stop(self, timeout=30):
        """SIGTERM, wait; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._log.close()
        self.proc = None
        return rc

    # -- the command line -------------------------------------------------------
    def cli(self, *args, timeout=120):
        return subprocess.run([self.bin] + list(args), capture_output=True, text=True, timeout=timeout, check=False)

    def status(self):
        """The status document, read in this process (the same code as ``status``; fast enough to poll)."""
        return status_of(self.config_path)

    def cli_status(self):
        """The status document printed by ``bin/s32s-watch status``."""
        result = self.cli('status')
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def map_status(self, name):
        return next(m for m in self.status()['maps'] if m['name'] == name)

    def log_text(self):
        with open(self.log_path, encoding='utf-8', errors='replace') as f:
            return f.read()

    def log_records(self):
        return [json.loads(line) for line in self.log_text().splitlines() if line.startswith('{')]
