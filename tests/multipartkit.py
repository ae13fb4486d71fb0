# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A push killed in the middle of a multipart upload, for the resume tests: a 64 MiB file in 8 MiB parts,
pushed in a forked process (or through ansible-playbook); the test proxy lets parts 1-3 through and holds
the later ones, the test waits until the server lists three parts and kills the push with SIGKILL."""

import glob
import json
import multiprocessing
import os
import signal
import subprocess
import threading
import time

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


def playbook_push(s3, src, state_dir, env, tmp_path):
    """Start ``ansible-playbook`` with one s32s_push task in its own session; return ``kill()``, which
    SIGKILLs its process group and any process that still has the file open (the module)."""
    path = str(tmp_path / 'push.yml')
    with open(path, 'w', encoding='utf-8') as f:
        yaml.safe_dump(play(s3, src, state_dir), f)
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        ['ansible-playbook', path, '-i', 'localhost,', '-c', 'local'], env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill():
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        for pid in openers(os.path.join(src, 'big.bin')):
            os.kill(pid, signal.SIGKILL)
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
