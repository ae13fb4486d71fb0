# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A push killed in the middle of a multipart upload, for the resume tests: a 64 MiB file in 8 MiB parts,
pushed in a forked process (or through ansible-playbook); the test proxy lets parts 1-3 through and holds
the later ones, the test waits until the server lists three parts and kills the push with SIGKILL."""

import contextlib
import glob
import json
import multiprocessing
import os
import signal
import subprocess
import threading
import time
import uuid

import pytest
import yaml

from ansiblerun import openers
from syncrun import sync, write

MIB = 1024 * 1024
SIZE = 64 * MIB
PART = 8 * MIB
KEPT = 3  # parts that reach the server before the kill
KEY = 'site/big.bin'


def maps(s3, src):
    return [{'name': 'big', 's3': '%s/site' % s3.bucket, 'master': src}]


def push(s3, src, state_dir):
    return sync('push', s3, maps(s3, src), state_dir=state_dir, lock_dir=state_dir, transfer_client='classic')


def open_uploads(s3, bucket=None):
    try:
        listed = s3.direct_client().list_multipart_uploads(Bucket=bucket or s3.bucket)
    except s3.direct_client().exceptions.NoSuchUpload:  # rclone: a bucket that never had an upload
        return []
    return [(u['Key'], u['UploadId']) for u in listed.get('Uploads', ())]


def forked_push(s3, src, state_dir):
    """Start the push in a forked process; return ``kill()``."""
    child = multiprocessing.get_context('fork').Process(target=push, args=(s3, src, state_dir))
    child.start()

    def kill():
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        assert child.exitcode == -signal.SIGKILL
    return kill


def marked(mark):
    """PIDs of the processes whose environment holds ``S32S_TEST_MARK=<mark>``."""
    needle = ('S32S_TEST_MARK=%s' % mark).encode()
    pids = set()
    for pid in os.listdir('/proc'):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                with open('/proc/%s/environ' % pid, 'rb') as f:
                    if needle in f.read().split(b'\0'):
                        pids.add(int(pid))
            except OSError:
                pass
    return pids


def playbook_push(s3, src, state_dir, env, tmp_path):
    """Start ``ansible-playbook`` with one s32s_push task in its own session; return ``kill()``, which
    SIGKILLs its process group and every process that inherited this run's mark in its environment (the
    module, wherever its process group is), until none is left."""
    path = str(tmp_path / 'push.yml')
    with open(path, 'w', encoding='utf-8') as f:
        yaml.safe_dump(play(s3, src, state_dir), f)
    mark = uuid.uuid4().hex
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        ['ansible-playbook', path, '-i', 'localhost,', '-c', 'local'], env=dict(env, S32S_TEST_MARK=mark),
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill():
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while marked(mark) and time.monotonic() < deadline:
            for pid in marked(mark):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        assert not marked(mark) and not openers(os.path.join(src, 'big.bin'))
    return kill


def play(s3, src, state_dir):
    args = dict(s3.module_params(), s3='%s/site' % s3.bucket, src=src, state_dir=state_dir)
    return [{'name': 'publish', 'hosts': 'localhost', 'gather_facts': False,
             'tasks': [{'name': 'Publish', 's32s.sync.s32s_push': args}]}]


def kill_after_parts(s3, src, state_dir, start=forked_push, *args):
    """Start a push, SIGKILL it once the server holds KEPT parts; return the upload id."""
    release = threading.Event()

    def hold(request):
        if int(request.query['partNumber'][0]) > KEPT:
            release.wait(60)
            raise ConnectionAbortedError('part held by the test, then dropped')  # never forwarded

    s3.on_request(hold, op='UploadPart', key=KEY, times=1000)
    kill = start(s3, src, state_dir, *args)
    direct = s3.direct_client()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            uploads = open_uploads(s3)
            if uploads:
                parts = direct.list_parts(Bucket=s3.bucket, Key=KEY, UploadId=uploads[0][1]).get('Parts', ())
                if len(parts) == KEPT:
                    break
            time.sleep(0.05)
        else:
            pytest.fail('the killed push never had %d parts on the server' % KEPT)
        kill()
    finally:
        release.set()
    s3.wait_idle()  # the held parts of the killed push are dropped and logged before the caller counts
    s3.clear_faults()
    [(key, upload_id)] = open_uploads(s3)
    assert key == KEY
    assert len(direct.list_parts(Bucket=s3.bucket, Key=KEY, UploadId=upload_id)['Parts']) == KEPT
    return upload_id


@pytest.fixture
def big(tmp_path):
    src = str(tmp_path / 'master')
    data = os.urandom(SIZE)
    path = write(src, 'big.bin', data)
    return src, path, str(tmp_path / 'state')


def manifest_etag(state_dir):
    [path] = glob.glob(os.path.join(state_dir, 'local-s3-*.json'))
    with open(path, encoding='utf-8') as f:
        data = json.load(f)
    return data['records']['big.bin'][data['fields'].index('etag')]
