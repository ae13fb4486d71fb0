# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Requester-pays buckets (issue 15 point 12), through ansible-playbook, on both servers.

Neither moto nor ``rclone serve s3`` enforces requester-pays, so the test proxy does: every request
without ``x-amz-request-payer: requester`` is answered 403 AccessDenied, as S3 answers a
requester-pays bucket (S3 user guide, "Downloading objects from Requester Pays buckets").
Without ``request_payer`` each of the four modules fails with a message naming the option;
with it, every request they send carries the header (listings, GET, PUT, multipart, copies,
DeleteObjects, the two-way sync's lease and probes).
"""

import json
import os

from ansiblerun import run_playbook
from syncrun import local_files, put, write

MODULES = ('s32s.sync.s32s_push', 's32s.sync.s32s_pull', 's32s.sync.s32s_replicate', 's32s.sync.s32s_sync')


def tasks(s3, tmp_path, payer):
    conn = dict(s3.module_params(), state_dir=str(tmp_path / 'state'))
    if payer:
        conn['request_payer'] = 'requester'
    master, slave, shared = (str(tmp_path / n) for n in ('master', 'slave', 'shared'))
    args = {
        's32s.sync.s32s_push': dict(conn, s3='%s/site' % s3.bucket, src=master, max_delete='unlimited'),
        's32s.sync.s32s_pull': dict(conn, s3='%s/site' % s3.bucket, dest=slave),
        's32s.sync.s32s_replicate': dict(conn, src='%s/site' % s3.bucket, dest=[{'s3': '%s/mirror' % s3.bucket}],
                                         delete=True, max_delete='unlimited'),
        's32s.sync.s32s_sync': dict(conn, s3='%s/shared' % s3.bucket, path=shared, replica='box'),
    }
    return [{'name': '%s %s' % (module.rpartition('.')[2], 'payer' if payer else 'plain'), module: args[module],
             'ignore_errors': not payer} for module in MODULES]


def test_requester_pays_header_on_every_request_of_every_module(s3, ansible_env, tmp_path):
    master = tmp_path / 'master'
    write(master, 'index.html', b'<html/>')
    big = os.urandom(8 * 1024 * 1024 + 100)  # multipart
    write(master, 'big.bin', big)
    write(tmp_path / 'shared', 'notes.txt', b'two-way')
    put(s3, 'site/old.txt', b'gone after the push')  # a deletion
    put(s3, 'mirror/stale.txt', b'gone after the replication')
    s3.require_header('x-amz-request-payer', 'requester')
    play = [{'name': 'requester pays', 'hosts': 'localhost', 'gather_facts': False,
             'tasks': tasks(s3, tmp_path, payer=False) + tasks(s3, tmp_path, payer=True)}]
    with s3.requests() as log:
        rc, results, out, err = run_playbook(play, ansible_env, tmp_path)
    assert rc == 0, out[-3000:] + err[-2000:]
    by_task = {r['task']: r['result'] for r in results}
    for module in MODULES:
        name = module.rpartition('.')[2]
        plain, paid = by_task[name + ' plain'], by_task[name + ' payer']
        assert plain.get('failed'), (name, plain)
        assert 'request_payer: requester' in json.dumps(plain), (name, plain.get('msg'))
        assert not paid.get('failed'), (name, paid.get('msg'), paid)
        assert paid['changed'], name
    refused = [r for r in log.entries if r.status == 403]
    assert refused and all(r.headers.get('x-amz-request-payer') != 'requester' for r in refused)
    served = [r for r in log.entries if r.status != 403]
    assert all(r.headers.get('x-amz-request-payer') == 'requester' for r in served)
    ops = log.ops()
    for op in ('ListObjectsV2', 'PutObject', 'GetObject', 'CreateMultipartUpload', 'UploadPart',
               'CompleteMultipartUpload', 'CopyObject', 'DeleteObjects'):
        assert any(r.op == op for r in served), (op, ops)
    assert local_files(tmp_path / 'slave') == {'index.html': b'<html/>', 'big.bin': big}
