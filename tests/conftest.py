# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures: real S3 servers (see tests/s3servers.py) and an environment for ansible CLIs.

The test helpers (s3servers, ansiblerun, syncrun, safetykit) are plain modules in this directory,
imported by name; this file puts the directory on sys.path first. pytest loads it before any test
module below it, whether pytest runs from the root (pytest.ini) or through ``ansible-test units``
(which brings its own pytest configuration).
"""

import atexit
import os
import shutil
import sys
import tempfile

import pytest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from s3servers import SERVER_NAMES, S3Endpoint, ServerPool

REPO_ROOT = os.path.dirname(TESTS_DIR)

# No test writes into the home directory of whoever runs them (the modules' default state_dir
# ~/.cache/s32s.sync, ~/.ansible/tmp): HOME is a temporary directory for this process and every
# process it starts (ansible-playbook, the modules), removed at exit.
TEST_HOME = tempfile.mkdtemp(prefix='s32s-test-home-')
os.environ['HOME'] = TEST_HOME
# ansible-core expands the async job directory with the password database on one side and
# HOME on the other ("could not find job" when they differ): name it once for both.
os.environ['ANSIBLE_ASYNC_DIR'] = os.path.join(TEST_HOME, '.ansible_async')
atexit.register(shutil.rmtree, TEST_HOME, True)


@pytest.fixture(scope='session')
def s3_servers(tmp_path_factory):
    """Session-wide :class:`s3servers.ServerPool`; servers start on first use, stop at session end."""
    pool = ServerPool(tmp_path_factory.mktemp)
    try:
        yield pool
    finally:
        pool.close()


def _endpoint(pool, name):
    server = pool.get(name)
    endpoint = S3Endpoint(server)
    endpoint.bucket = endpoint.create_bucket()
    try:
        yield endpoint
    finally:
        server.proxy.clear_faults()


@pytest.fixture(params=SERVER_NAMES)
def s3(request, s3_servers):  # pylint: disable=redefined-outer-name
    """An :class:`s3servers.S3Endpoint` with a fresh bucket; the test runs once per server."""
    yield from _endpoint(s3_servers, request.param)


@pytest.fixture
def moto_s3(s3_servers):  # pylint: disable=redefined-outer-name
    """Like ``s3``, moto only (no auth, in-memory)."""
    yield from _endpoint(s3_servers, 'moto')


@pytest.fixture
def rclone_s3(s3_servers):  # pylint: disable=redefined-outer-name
    """Like ``s3``, rclone only (auth enforced, files in ``data_dir``)."""
    yield from _endpoint(s3_servers, 'rclone')


@pytest.fixture(scope='session')
def ansible_env():
    """os.environ plus what ansible-playbook needs to find this collection and the venv's boto3."""
    env = dict(os.environ)
    env['ANSIBLE_COLLECTIONS_PATH'] = os.path.join(REPO_ROOT, '.collections')
    env['ANSIBLE_PYTHON_INTERPRETER'] = sys.executable
    env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    return env
