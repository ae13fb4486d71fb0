# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3-to-S3 replication (issue 6) between two real servers at once: moto and rclone."""

import hashlib

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import S32SError
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import parse_s3_location
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions, parse_budget
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.replicate import Destination, replicate
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.report import to_result
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3copy import server_side_copy
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import S3Store

from syncrun import bucket_objects, put

MUTATING = ('PUT', 'POST', 'DELETE')


def run(src, dests, *, src_prefix='data', check_mode=False, keys=None, ignore=None, client_config=None, **opts):
    """Replicate s3://<src.bucket>/<src_prefix> to each (endpoint, prefix[, store]) of ``dests``."""
    if 'max_delete' in opts:
        opts['max_delete'] = parse_budget(opts['max_delete'])
    opts.setdefault('delete', False)  # the module's default for replication
    options = SyncOptions(**opts)
    src_store = S3Store(src.client())
    targets = []
    for i, (ep, prefix) in enumerate(dests):
        same = ep is src
        targets.append(Destination('d%d-%s' % (i, ep.name), src_store if same else S3Store(ep.client(**(client_config or {}))),
                                   parse_s3_location('%s/%s' % (ep.bucket, prefix)), ep.endpoint_url))
    runs = replicate(src_store, parse_s3_location('%s/%s' % (src.bucket, src_prefix)), src.endpoint_url, targets,
                     IgnoreRules(ignore), options, check_mode=check_mode, keys=keys)
    return to_result(runs, options, check_mode=check_mode, diff=True)


def seed(ep, objects, prefix='data/'):
    client = ep.direct_client()
    for rel, data in objects.items():
        client.put_object(Bucket=ep.bucket, Key=prefix + rel, Body=data, ContentType='text/x-demo',
                          CacheControl='max-age=60', Metadata={'origin': 'seed'})


OBJECTS = {'a.txt': b'alpha', 'dir/b.bin': b'\x00' * 1000, 'empty': b'', 'sp ace+%#.txt': b'odd'}


@pytest.mark.parametrize('direction', ['moto->rclone', 'rclone->moto'])
def test_cross_server_replication_is_complete_idempotent_and_carries_headers(moto_s3, rclone_s3, direction, tmp_path):
    src, dst = (moto_s3, rclone_s3) if direction == 'moto->rclone' else (rclone_s3, moto_s3)
    seed(src, OBJECTS)
    put(src, 'data-old/keep', b'sibling')
    result = run(src, [(dst, 'copy')], state_dir=str(tmp_path))
    assert result['changed'] and result['totals']['created'] == len(OBJECTS)
    assert bucket_objects(dst, 'copy/') == {'copy/' + k: v for k, v in OBJECTS.items()}
    head = dst.direct_client().head_object(Bucket=dst.bucket, Key='copy/a.txt')
    assert head['ContentType'] == 'text/x-demo' and head['CacheControl'] == 'max-age=60'
    assert {k.lower(): v for k, v in head['Metadata'].items()} == {'origin': 'seed'}
    with src.requests() as slog, dst.requests() as dlog:
        again = run(src, [(dst, 'copy')], state_dir=str(tmp_path))
    assert again['changed'] is False and again['totals']['unchanged'] == len(OBJECTS)
    assert slog.ops() == {'ListObjectsV2': 1} and dlog.ops() == {'ListObjectsV2': 1}


def test_more_than_1000_keys_and_a_changed_destination_object_is_fixed(moto_s3, rclone_s3, tmp_path):
    client = moto_s3.direct_client()
    for i in range(1005):
        client.put_object(Bucket=moto_s3.bucket, Key='data/k%04d' % i, Body=b'%d' % i)
    first = run(moto_s3, [(rclone_s3, 'data')], concurrency=16)
    assert first['totals']['created'] == 1005
    put(rclone_s3, 'data/k0007', b'X')  # same size as b'7', different content
    put(rclone_s3, 'data/k0008', b'tampered longer')
    fixed = run(moto_s3, [(rclone_s3, 'data')])
    assert fixed['totals']['updated'] == 2 and fixed['totals']['unchanged'] == 1003
    assert bucket_objects(rclone_s3, 'data/k000') == {'data/k%04d' % i: b'%d' % i for i in range(10)}


def test_same_server_copy_is_server_side(moto_s3):
    seed(moto_s3, OBJECTS)
    with moto_s3.requests() as log:
        result = run(moto_s3, [(moto_s3, 'mirror')])
    assert result['totals']['created'] == len(OBJECTS)
    assert log.count('GetObject') == 0 and log.count('PutObject') == 0
    assert log.count('CopyObject') == len(OBJECTS)
    assert bucket_objects(moto_s3, 'mirror/') == {'mirror/' + k: v for k, v in OBJECTS.items()}


def test_upload_part_copy_above_the_limit_sends_no_body(moto_s3):
    data = bytes(range(256)) * (48 * 1024)  # 12 MiB
    put(moto_s3, 'big/obj', data)
    client = moto_s3.client()
    with moto_s3.requests() as log:
        server_side_copy(client, moto_s3.bucket, 'big/obj', moto_s3.bucket, 'big2/obj', len(data), limit=1024)
    assert log.count('UploadPartCopy') == 2 and log.count('GetObject') == 0 and log.count('UploadPart') == 0
    got = moto_s3.direct_client().get_object(Bucket=moto_s3.bucket, Key='big2/obj')['Body'].read()
    assert hashlib.md5(got).digest() == hashlib.md5(data).digest()


def test_multipart_stream_copy_across_servers(moto_s3, rclone_s3, tmp_path):
    data = bytes(range(256)) * (40 * 1024 + 3)  # 10 MiB + 768 bytes: two parts
    put(moto_s3, 'data/big', data)
    result = run(moto_s3, [(rclone_s3, 'data')], state_dir=str(tmp_path))
    assert result['totals']['created'] == 1
    assert bucket_objects(rclone_s3, 'data/') == {'data/big': data}
    # moto lists a multipart ETag, rclone a plain MD5: the record of the copy proves them equal
    with moto_s3.requests() as slog, rclone_s3.requests() as dlog:
        again = run(moto_s3, [(rclone_s3, 'data')], state_dir=str(tmp_path))
    assert again['changed'] is False
    assert dlog.count('PutObject') == 0 and slog.count('GetObject') == 0


def test_one_destination_down_the_other_still_replicated(moto_s3, rclone_s3):
    seed(moto_s3, OBJECTS)
    rclone_s3.fail(op='ListObjectsV2', times=10, status=None)  # connection dropped: looks down
    result = run(moto_s3, [(rclone_s3, 'data'), (moto_s3, 'mirror')], client_config={'retries': {'max_attempts': 1}})
    status = {d['name']: d['status'] for d in result['maps']}
    assert status == {'d0-rclone': 'refused', 'd1-moto': 'ok'}
    assert bucket_objects(moto_s3, 'mirror/') == {'mirror/' + k: v for k, v in OBJECTS.items()}


def test_deletion_gate_scope_budget_and_empty_source(moto_s3, rclone_s3):
    seed(moto_s3, OBJECTS)
    run(moto_s3, [(rclone_s3, 'data')])
    put(rclone_s3, 'data/stale-1', b's')
    put(rclone_s3, 'data-old/sibling', b'sibling')
    put(rclone_s3, 'data.json', b'{}')
    kept = run(moto_s3, [(rclone_s3, 'data')])  # delete is off by default
    assert kept['totals']['deleted'] == 0
    with rclone_s3.requests() as log:
        over = run(moto_s3, [(rclone_s3, 'data')], delete=True, max_delete='0')
    assert over['maps'][0]['status'] == 'refused' and 'max_delete' in over['maps'][0]['msg']
    assert over['maps'][0]['would_delete'] == 1
    assert not [r for r in log.entries if r.method in MUTATING]
    done = run(moto_s3, [(rclone_s3, 'data')], delete=True)
    assert done['totals']['deleted'] == 1
    objects = bucket_objects(rclone_s3)
    assert 'data/stale-1' not in objects
    assert objects['data-old/sibling'] == b'sibling' and objects['data.json'] == b'{}'
    empty = run(moto_s3, [(rclone_s3, 'data')], src_prefix='nothing-here', delete=True)
    assert empty['maps'][0]['status'] == 'refused' and 'empty' in empty['maps'][0]['msg']
    assert set(bucket_objects(rclone_s3, 'data/')) == {'data/' + k for k in OBJECTS}


def test_targeted_run_copies_listed_keys_and_deletes_vanished_ones(moto_s3, rclone_s3):
    seed(moto_s3, OBJECTS)
    run(moto_s3, [(rclone_s3, 'data')])
    put(moto_s3, 'data/new.txt', b'new')
    put(moto_s3, 'data/other.txt', b'not announced')
    moto_s3.direct_client().delete_object(Bucket=moto_s3.bucket, Key='data/a.txt')
    with moto_s3.requests() as log:
        result = run(moto_s3, [(rclone_s3, 'data')], keys=['data/new.txt', 'data/a.txt'], delete=True)
    assert (result['totals']['created'], result['totals']['deleted']) == (1, 1)
    assert log.ops()['ListObjectsV2'] == 2
    objects = bucket_objects(rclone_s3, 'data/')
    assert objects['data/new.txt'] == b'new' and 'data/a.txt' not in objects and 'data/other.txt' not in objects
    with pytest.raises(S32SError, match='not under the source'):
        run(moto_s3, [(rclone_s3, 'data')], keys=['elsewhere/x'])


def test_check_mode_plans_and_changes_nothing(moto_s3, rclone_s3):
    seed(moto_s3, OBJECTS)
    with rclone_s3.requests() as log:
        result = run(moto_s3, [(rclone_s3, 'data')], check_mode=True)
    assert result['changed'] and result['totals']['created'] == len(OBJECTS)
    assert 'copy s3://%s/data/a.txt' % rclone_s3.bucket in result['diff']['prepared']
    assert not [r for r in log.entries if r.method in MUTATING]
    assert bucket_objects(rclone_s3) == {}


def test_overlapping_destination_is_refused(moto_s3):
    seed(moto_s3, OBJECTS)
    result = run(moto_s3, [(moto_s3, 'data/copy')])
    assert result['maps'][0]['status'] == 'refused' and 'overlaps' in result['maps'][0]['msg']
    assert set(bucket_objects(moto_s3)) == {'data/' + k for k in OBJECTS}
