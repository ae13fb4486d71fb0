# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``make compat``: the claimed floors and the newest releases, each in its own virtualenvs.

For each entry of the matrix (``low``: the floors the docs claim; ``new``: the newest releases)::

    .venv-compat-<core>        controller: ansible-core <core> on Python <controller>
    .venv-compat-<core>-host   managed host: Python <host> with boto3/botocore <sdk> (or the latest)
    .venv-compat-below-<...>   a host below the floors (an older Python and boto3/botocore 1.35.99)

then, on that controller,

1. ``ansible-test sanity --venv`` on a copy of the collection outside the work tree (amazon.aws
   beside it), with every Python ansible-test supports for modules from 3.9 up (tests/config.yml) that
   exists here on PATH as ``python3.X``: compile and import run on each of them, the other tests on the
   controller's Python. ``--test NAME`` (repeatable) runs a subset.
2. ``tests/integration/test_compat_smoke.py`` with the development venv's pytest and moto, that
   entry's ``ansible-playbook`` and managed-host interpreter: push, pull, a second run that changes
   nothing, an update; and the below-floor host failing with a message naming the requirements.

Interpreters are found as ``$PYENV_ROOT/versions/X.Y.*/bin/pythonX.Y`` or ``pythonX.Y`` on PATH (a
pyenv shim that does not run is skipped); a missing one is an error, never a silent skip, since the
docs claim what this proves. Virtualenvs are cached (rebuilt when their spec changes).

    python scripts/compat.py [--entry low|new ...] [--test SANITY_TEST ...] [--skip-sanity] [--skip-smoke]
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEV_BIN = os.path.dirname(sys.executable)
PYENV_ROOT = os.environ.get('PYENV_ROOT') or os.path.expanduser('~/.pyenv')
TMPBASE = os.environ.get('TMPDIR') or '/tmp'
TEST_CACHE = os.path.expanduser('~/.ansible/test/cache')
MIN_MODULE_PYTHON = (3, 9)

#: name -> (ansible-core, controller Python, host Python, boto3/botocore on the host (None: latest),
#:          below-floor host: (Python, boto3/botocore))
MATRIX = {
    'low': (os.environ.get('COMPAT_LOW_CORE', '2.17.0'), '3.10', '3.9', '1.36.0', ('3.8', '1.35.99')),
    'new': (os.environ.get('COMPAT_NEW_CORE', '2.21.5'), '3.13', '3.13', None, ('3.9', '1.35.99')),
}


def log(msg):
    print('compat: %s' % msg, flush=True)


def find_python(version):
    """The path of a working ``pythonX.Y``; SystemExit naming it when there is none."""
    candidates = sorted(glob.glob(os.path.join(PYENV_ROOT, 'versions', version + '.*', 'bin', 'python' + version)),
                        key=lambda p: [int(x) if x.isdigit() else 0 for x in p.split(os.sep)[-3].split('.')])[::-1]
    on_path = shutil.which('python' + version)
    if on_path:
        candidates.append(on_path)
    for path in candidates:
        try:
            out = subprocess.run([path, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
                                 capture_output=True, text=True, timeout=30, check=False)
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.strip() == version:
            return path
    raise SystemExit('compat: Python %s is needed and was not found (looked in %s/versions and on PATH)'
                     % (version, PYENV_ROOT))


def run(cmd, **kwargs):
    log('$ ' + ' '.join(cmd))
    subprocess.run(cmd, check=True, **kwargs)


def ensure_venv(path, python_version, packages):
    """A virtualenv at ``path`` (Python ``python_version``) holding ``packages``; reused while its spec holds."""
    spec = '%s %s\n' % (python_version, ' '.join(packages))
    stamp = os.path.join(path, '.s32s-compat-spec')
    if os.path.isfile(stamp) and open(stamp).read() == spec:
        return os.path.join(path, 'bin', 'python')
    if os.path.lexists(path):
        shutil.rmtree(path)
    run([find_python(python_version), '-m', 'venv', path])
    py = os.path.join(path, 'bin', 'python')
    run([py, '-m', 'pip', 'install', '-q', '-U', 'pip'])
    run([py, '-m', 'pip', 'install', '-q'] + packages)
    with open(stamp, 'w') as f:
        f.write(spec)
    return py


def pip_bootstrap(controller_py):
    """ansible-test bootstraps pip from an unreachable host: cache the shim and wheel of its pip version."""
    code = ('import inspect, re; from ansible_test._internal.python_requirements import get_venv_packages as g; '
            'print(re.search(r"pip=.([0-9.]+)", inspect.getsource(g)).group(1))')
    pip_version = subprocess.run([controller_py, '-c', code], capture_output=True, text=True,
                                 check=True).stdout.strip()
    shim = os.path.join(TEST_CACHE, 'get_pip_%s.py' % pip_version.replace('.', '_'))
    if not glob.glob(os.path.join(TEST_CACHE, 'pip-%s-*.whl' % pip_version)):
        os.makedirs(TEST_CACHE, exist_ok=True)
        run([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', '-d', TEST_CACHE, 'pip==' + pip_version])
    shutil.copy(os.path.join(ROOT, 'scripts', 'get_pip_shim.py'), shim)


def module_pythons(controller_py):
    """Python versions ansible-test supports for modules, from MIN_MODULE_PYTHON up."""
    code = ('from ansible_test._util.target.common.constants import CONTROLLER_PYTHON_VERSIONS as c, '
            'REMOTE_ONLY_PYTHON_VERSIONS as r; print(" ".join(r + c))')
    versions = subprocess.run([controller_py, '-c', code], capture_output=True, text=True, check=True).stdout.split()
    return [v for v in versions if tuple(int(x) for x in v.split('.')) >= MIN_MODULE_PYTHON]


def sanity(name, core, controller_py, tests, required):
    pip_bootstrap(controller_py)
    # outside the work tree (ansible-test skips everything in a copy inside it), one per checkout and entry
    base = os.path.join(TMPBASE, 's32s-sync-compat-%s-%s' % (name, zlib.crc32(ROOT.encode())))
    coll = os.path.join(base, 'ansible_collections', 's32s', 'sync')
    if os.path.lexists(base):
        shutil.rmtree(base)
    run([sys.executable, os.path.join(ROOT, 'scripts', 'stage_collection.py'), coll])
    os.makedirs(os.path.join(base, 'ansible_collections', 'amazon'))
    os.symlink(os.path.join(ROOT, '.collections', 'ansible_collections', 'amazon', 'aws'),
               os.path.join(base, 'ansible_collections', 'amazon', 'aws'))
    # pythonX.Y for each module Python: ansible-test looks them up on PATH (pyenv shims do not run)
    pybin = os.path.join(base, 'pythons')
    os.makedirs(pybin)
    found = []
    for version in module_pythons(controller_py):
        try:
            path = find_python(version)
        except SystemExit:
            if version in required:
                raise
            log('WARNING: Python %s not found: compile and import do not run on it' % version)
            continue
        os.symlink(path, os.path.join(pybin, 'python' + version))
        found.append(version)
    env = dict(os.environ, PATH=os.pathsep.join([pybin, os.path.dirname(controller_py), os.environ['PATH']]))
    env.pop('ANSIBLE_COLLECTIONS_PATH', None)
    cmd = [os.path.join(os.path.dirname(controller_py), 'ansible-test'), 'sanity', '--venv', '--color', 'no']
    for test in tests:
        cmd += ['--test', test]
    log('sanity on ansible-core %s: controller %s, module Pythons %s' % (core, controller_py, ' '.join(found)))
    try:
        run(cmd, cwd=coll, env=env)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def smoke(controller_py, host_py, below_py, pytest_args):
    env = dict(os.environ, S32S_COMPAT_ANSIBLE_BIN=os.path.dirname(controller_py), S32S_COMPAT_HOST_PYTHON=host_py,
               S32S_COMPAT_OLD_PYTHON=below_py)
    run([sys.executable, '-m', 'pytest', '-q', '-rs', '-p', 'no:randomly', '-s',
         os.path.join(ROOT, 'tests', 'integration', 'test_compat_smoke.py')] + pytest_args, cwd=ROOT, env=env)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--entry', action='append', choices=sorted(MATRIX), help='default: all')
    parser.add_argument('--test', action='append', default=[], help='ansible-test sanity --test (default: all)')
    parser.add_argument('--skip-sanity', action='store_true')
    parser.add_argument('--skip-smoke', action='store_true')
    parser.add_argument('pytest_args', nargs='*')
    args = parser.parse_args(argv)
    timings = []
    for name in args.entry or ['low', 'new']:
        core, controller, host, sdk, (below, below_sdk) = MATRIX[name]
        started = time.monotonic()
        controller_py = ensure_venv(os.path.join(ROOT, '.venv-compat-%s' % core), controller,
                                    ['ansible-core==%s' % core])
        sdk_pins = ['boto3==%s' % sdk, 'botocore==%s' % sdk] if sdk else ['boto3', 'botocore']
        host_py = ensure_venv(os.path.join(ROOT, '.venv-compat-%s-host' % core), host, sdk_pins)
        below_py = ensure_venv(os.path.join(ROOT, '.venv-compat-below-py%s-sdk%s' % (below, below_sdk)), below,
                               ['boto3==%s' % below_sdk, 'botocore==%s' % below_sdk])
        versions = subprocess.run([host_py, '-c', 'import sys, boto3, botocore; print(sys.version.split()[0], '
                                   'boto3.__version__, botocore.__version__)'],
                                  capture_output=True, text=True, check=True).stdout.split()
        label = 'ansible-core %s (controller Python %s) x host Python %s, boto3 %s, botocore %s' % (
            core, controller, *versions)
        log('== %s: %s' % (name, label))
        steps = []
        if not args.skip_sanity:
            t0 = time.monotonic()
            sanity(name, core, controller_py, args.test, (controller, host))
            steps.append('sanity %.0f s' % (time.monotonic() - t0))
        if not args.skip_smoke:
            t0 = time.monotonic()
            smoke(controller_py, host_py, below_py, args.pytest_args)
            steps.append('smoke %.0f s' % (time.monotonic() - t0))
        total = time.monotonic() - started
        timings.append('%s: %s: passed (%s; %.0f s in all)' % (name, label, ', '.join(steps), total))
    for line in timings:
        log(line)
    return 0


if __name__ == '__main__':
    sys.exit(main())
