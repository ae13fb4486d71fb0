# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resumable multipart uploads (issue 13 point 4) and no orphaned upload (issue 15 point 10), on both servers.

A 64 MiB file goes up in 8 MiB parts (the part-size policy of ``etag.part_size_for``). The push runs in a
forked process; the test proxy lets parts 1-3 through and holds every later part, the test waits until the
server lists three parts and kills the process with SIGKILL, then the held parts are dropped (never forwarded).
The next push resumes (only the five missing parts are sent), aborts the stale upload when the file changed,
or aborts the orphan when the file is gone. The same through ansible-playbook (the module killed with its
controller), where the task's result reports the resumed upload. The sweep of foreign uploads keeps to the
map's prefix and bucket.
"""

import glob
import hashlib
import os
import time

from ansiblerun import run_playbook, task_result
# big is a fixture
from multipartkit import (KEPT, KEY, PART, SIZE, big, kill_after_parts, manifest_etag, open_uploads,  # noqa: F401  # pylint: disable=unused-import
                          play, playbook_push, push)
from syncrun import write

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import S3Location
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.etag import multipart_etag
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.orphans import sweep_orphans
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.parts import PartLedger


def test_a_killed_push_resumes_sending_only_the_missing_parts(s3, big):
    src, path, state_dir = big
    upload_id = kill_after_parts(s3, src, state_dir)
    assert glob.glob(os.path.join(state_dir, 'parts', 'up-*.json'))  # the ledger survived the kill
    with s3.requests() as log:
        result = push(s3, src, state_dir)
    assert result['maps'][0]['status'] == 'ok' and result['totals']['created'] == 1
    assert log.count('UploadPart') == SIZE // PART - KEPT  # 5: only the missing parts
    assert log.count('ListParts') == 1 and log.count('CreateMultipartUpload') == 0
    assert log.count('CompleteMultipartUpload') == 1 and log.count('AbortMultipartUpload') == 0
    assert result['maps'][0]['multipart'] == {
        'resumed': [{'key': KEY, 'parts_reused': KEPT, 'parts_sent': SIZE // PART - KEPT}], 'aborted': []}
    with open(path, 'rb') as f:
        data = f.read()
    body = s3.direct_client().get_object(Bucket=s3.bucket, Key=KEY)['Body'].read()
    assert hashlib.md5(body).digest() == hashlib.md5(data).digest() and len(body) == SIZE
    etag = multipart_etag(path, PART)
    assert etag.endswith('-8') and manifest_etag(state_dir) == etag
    head = s3.direct_client().head_object(Bucket=s3.bucket, Key=KEY)['ETag'].strip('"')
    assert head in (etag, hashlib.md5(data).hexdigest())  # rclone's HEAD gives the whole-content MD5
    assert open_uploads(s3) == [] and upload_id
    assert not glob.glob(os.path.join(state_dir, 'parts', 'up-*.json'))


def test_a_push_killed_with_its_playbook_resumes_and_reports_it(s3, big, ansible_env, tmp_path):
    src, path, state_dir = big
    kill_after_parts(s3, src, state_dir, playbook_push, ansible_env, tmp_path)
    with s3.requests() as log:
        rc, results, out, err = run_playbook(play(s3, src, state_dir), ansible_env, tmp_path)
    assert rc == 0, (out + err)[-3000:]
    result = task_result(results, 'Publish')
    assert result['changed'] and result['maps'][0]['multipart'] == {
        'resumed': [{'key': KEY, 'parts_reused': KEPT, 'parts_sent': SIZE // PART - KEPT}], 'aborted': []}
    assert log.count('UploadPart') == SIZE // PART - KEPT and log.count('CreateMultipartUpload') == 0
    assert manifest_etag(state_dir) == multipart_etag(path, PART)
    assert open_uploads(s3) == []


def test_a_file_changed_between_runs_aborts_its_stale_upload(s3, big):
    src, path, state_dir = big
    upload_id = kill_after_parts(s3, src, state_dir)
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # same size, new mtime
    with s3.requests() as log:
        result = push(s3, src, state_dir)
    assert result['maps'][0]['status'] == 'ok'
    assert log.count('AbortMultipartUpload') == 1 and log.count('CreateMultipartUpload') == 1
    assert log.count('UploadPart') == SIZE // PART and log.count('ListParts') == 0
    [aborted] = result['maps'][0]['multipart']['aborted']
    assert aborted['key'] == KEY and aborted['reason'].startswith('the file changed (mtime')
    assert result['maps'][0]['multipart']['resumed'] == []
    assert open_uploads(s3) == []
    assert upload_id not in [u for _k, u in open_uploads(s3)]
    assert manifest_etag(state_dir) == multipart_etag(path, PART)


def test_a_run_after_a_kill_with_the_file_deleted_aborts_the_orphan(s3, big):
    src, path, state_dir = big
    kill_after_parts(s3, src, state_dir)
    os.unlink(path)
    write(src, 'small.txt', b'still here')
    with s3.requests() as log:
        result = push(s3, src, state_dir)
    assert result['maps'][0]['status'] == 'ok' and result['totals']['created'] == 1
    assert log.count('AbortMultipartUpload') == 1 and log.count('UploadPart') == 0
    assert result['maps'][0]['multipart']['aborted'] == [{'key': KEY, 'reason': 'the file is gone'}]
    assert open_uploads(s3) == []
    assert not glob.glob(os.path.join(state_dir, 'parts', 'up-*.json'))


def test_the_sweep_keeps_to_its_prefix_and_bucket_and_spares_young_uploads(s3, tmp_path):
    direct = s3.direct_client()
    other = s3.bucket + '-other'
    direct.create_bucket(Bucket=other)
    mine = direct.create_multipart_upload(Bucket=s3.bucket, Key='pre/left.bin')['UploadId']
    sibling = direct.create_multipart_upload(Bucket=s3.bucket, Key='prefix/x.bin')['UploadId']
    beside = direct.create_multipart_upload(Bucket=s3.bucket, Key='pre.bin')['UploadId']
    elsewhere = direct.create_multipart_upload(Bucket=other, Key='pre/left.bin')['UploadId']
    ledger = PartLedger(str(tmp_path / 'state'), s3.endpoint_url)
    client, location = s3.client(), S3Location(s3.bucket, 'pre')
    now = time.time()
    # within the limit (by this host's clock: first seen now), nothing is aborted, whatever Initiated says
    assert sweep_orphans(client, location, ledger, 3600, now=now) == []
    assert sweep_orphans(client, location, ledger, 3600, now=now + 3599) == []
    assert sorted(u for _k, u in open_uploads(s3)) == sorted([mine, sibling, beside])
    # older than the limit by both clocks (the server's Date has 1 s resolution): aborted, in scope only
    assert sweep_orphans(client, location, ledger, 1.0) == []  # first seen just now
    time.sleep(2.1)
    with s3.requests() as log:
        aborted = sweep_orphans(client, location, ledger, 1.0)
    assert [(a['key'], a['upload_id']) for a in aborted] == [('pre/left.bin', mine)]
    assert log.count('AbortMultipartUpload') == 1
    assert sorted(open_uploads(s3)) == sorted([('prefix/x.bin', sibling), ('pre.bin', beside)])
    assert open_uploads(s3, other) == [('pre/left.bin', elsewhere)]
    assert ledger.sightings(s3.bucket, 'pre/') == {}
