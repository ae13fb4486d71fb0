# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two-way sync (s32s_sync's engine) on both servers: replicas, conflicts, trash, gate, crash, readonly.

A *replica* is a local directory with its own state directory; two replicas
of one prefix stand for two hosts (``twowaykit.Replica``).
"""

import os
import threading
import time

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import S32SError, SafetyError

from syncrun import bucket_objects, local_files, put, write
from twowaykit import MUTATING, Replica, remote, remote_trash, trashed


def test_two_replicas_converge_and_a_second_run_lists_only(s3, tmp_path):
    a, b = Replica(s3, tmp_path, 'web1'), Replica(s3, tmp_path, 'web2')
    write(a.root, 'site/index.html', '<h1>a</h1>')
    write(a.root, 'notes.txt', 'from a')
    write(b.root, 'data/b.csv', '1,2')
    first_a = a.sync()
    assert first_a['uploaded'] == 2 and first_a['first_sync']
    first_b = b.sync()
    assert first_b['uploaded'] == 1 and first_b['downloaded'] == 2
    a.sync()
    expected = {'site/index.html': b'<h1>a</h1>', 'notes.txt': b'from a', 'data/b.csv': b'1,2'}
    assert a.files() == b.files() == remote(s3) == expected
    with s3.requests() as log:
        again = b.sync()
    assert again['changed'] is False and again['unchanged'] == 3
    assert log.ops() == {'ListObjectsV2': 1}


def test_edits_deletes_and_renames_travel_both_ways_with_trash(s3, tmp_path):
    a, b = Replica(s3, tmp_path, 'web1'), Replica(s3, tmp_path, 'web2')
    for i in range(4):
        write(a.root, f'f{i}.txt', f'v1 {i}')
    a.sync()
    b.sync()
    write(a.root, 'f0.txt', 'v2 edited on a')             # edit on a
    os.unlink(os.path.join(b.root, 'f1.txt'))              # delete on b
    os.rename(os.path.join(a.root, 'f2.txt'), os.path.join(a.root, 'moved.txt'))  # rename on a
    a.sync()
    with s3.requests() as log:
        rb = b.sync()
    assert rb['downloaded'] == 1 and rb['deleted_remote'] == 1 and rb['renamed_local'] == 1
    files_only = [r for r in log.entries if r.key != LEASE_KEY and '/.s32s-trash/' not in (r.key or '')]
    assert [r.op for r in files_only if r.op in ('PutObject', 'GetObject')] == ['GetObject']
    a.sync()
    expected = {'f0.txt': b'v2 edited on a', 'moved.txt': b'v1 2', 'f3.txt': b'v1 3'}
    assert a.files() == b.files() == remote(s3) == expected
    assert trashed(remote_trash(s3), 'f1.txt') == [b'v1 1']   # the remote copy b deleted is kept
    assert trashed(a.trash(), 'f1.txt') == [b'v1 1'] and trashed(b.trash(), 'f0.txt') == [b'v1 0']


def test_edit_on_both_sides_keeps_both_contents_on_every_replica(s3, tmp_path):
    a, b = Replica(s3, tmp_path, 'web1'), Replica(s3, tmp_path, 'web2')
    write(a.root, 'report.pdf', 'base')
    a.sync()
    b.sync()
    write(a.root, 'report.pdf', 'edit by a')
    write(b.root, 'report.pdf', 'edit by b, longer')
    a.sync()
    rb = b.sync()
    assert [c['path'] for c in rb['conflicts']] == ['report.pdf']
    a.sync()
    b.sync()
    files = a.files()
    assert files == b.files() == remote(s3)
    copies = [p for p in files if 'conflict' in p]
    assert len(copies) == 1 and copies[0].startswith('report.conflict-web2-') and copies[0].endswith('.pdf')
    assert files['report.pdf'] == b'edit by a' and files[copies[0]] == b'edit by b, longer'
    assert a.sync()['changed'] is False and b.sync()['changed'] is False


def test_first_sync_with_different_content_is_a_conflict_never_an_overwrite(s3, tmp_path):
    a = Replica(s3, tmp_path, 'web1')
    put(s3, 'share/same.txt', 'same')
    put(s3, 'share/x.txt', 'remote x')
    write(a.root, 'same.txt', 'same')
    write(a.root, 'x.txt', 'local x!')
    result = a.sync()
    assert result['first_sync'] and result['deleted_local'] == result['deleted_remote'] == 0
    assert [c['path'] for c in result['conflicts']] == ['x.txt']
    files = a.files()
    assert files['x.txt'] == b'remote x' and b'local x!' in files.values()
    assert remote(s3) == files


def test_edit_beats_delete_and_delete_on_both_sides_then_runs_go_on(s3, tmp_path):
    a, b = Replica(s3, tmp_path, 'web1'), Replica(s3, tmp_path, 'web2')
    write(a.root, 'keep.txt', 'k')
    write(a.root, 'both.txt', 'b')
    write(a.root, 'stay.txt', 's')  # a side left empty refuses deletions: see the unmounted-folder test
    a.sync()
    b.sync()
    write(a.root, 'keep.txt', 'edited')
    os.unlink(os.path.join(b.root, 'keep.txt'))
    os.unlink(os.path.join(a.root, 'both.txt'))
    os.unlink(os.path.join(b.root, 'both.txt'))
    b.sync()                          # b deletes keep.txt remotely (unchanged there) and both.txt
    ra = a.sync()                     # a's edit comes back: the edit wins
    assert ra['uploaded'] == 1
    b.sync()
    assert a.files() == b.files() == remote(s3) == {'keep.txt': b'edited', 'stay.txt': b's'}


def test_an_unmounted_or_emptied_folder_never_empties_the_bucket(s3, tmp_path):
    a = Replica(s3, tmp_path, 'web1')
    for i in range(5):
        write(a.root, f'f{i}', str(i))
    a.sync()
    os.rename(a.root, a.root + '.away')                   # missing
    with s3.requests() as log, pytest.raises(SafetyError, match='missing while the last sync had 5'):
        a.sync()
    assert not [r for r in log.entries if r.method in MUTATING]
    os.makedirs(a.root)                                     # empty
    with pytest.raises(SafetyError, match='is empty while the last sync had 5'):
        a.sync(max_delete='unlimited')
    assert len(remote(s3)) == 5


def test_an_emptied_prefix_never_empties_the_folder(s3, tmp_path):
    a = Replica(s3, tmp_path, 'web1')
    for i in range(5):
        write(a.root, f'f{i}', str(i))
    a.sync()
    client = s3.direct_client()
    for i in range(5):
        client.delete_object(Bucket=s3.bucket, Key=f'share/f{i}')
    with pytest.raises(SafetyError, match='the bucket is empty while the last sync had 5'):
        a.sync(max_delete='unlimited')
    assert len(a.files()) == 5


def test_budget_per_side_is_checked_before_any_change(s3, tmp_path):
    a = Replica(s3, tmp_path, 'web1')
    for i in range(10):
        write(a.root, f'f{i}', str(i))
    a.sync()
    for i in range(6):
        os.unlink(os.path.join(a.root, f'f{i}'))
    write(a.root, 'new', 'n')
    with s3.requests() as log, pytest.raises(SafetyError, match=r'6 deletion\(s\) of 10 file\(s\) in the S3 prefix'):
        a.sync()
    assert not [r for r in log.entries if r.method in MUTATING]


def test_a_refused_sync_carries_its_warnings(moto_s3, tmp_path):
    """The front door reports them with the failure (a skipped path may be why it failed)."""
    a = Replica(moto_s3, tmp_path, 'web1')
    for i in range(4):
        write(a.root, f'f{i}', str(i))
    a.sync()
    for i in range(3):
        os.unlink(os.path.join(a.root, f'f{i}'))
    os.mkfifo(os.path.join(a.root, 'pipe'))
    for check_mode in (True, False):
        with pytest.raises(SafetyError, match=r'3 deletion\(s\) of 4 file\(s\)') as info:
            a.sync(check_mode=check_mode)
        assert info.value.warnings == ["sync web1: skipped 'pipe': not a regular file (FIFO, socket or device)"]


def test_readonly_sends_no_mutating_request(s3, tmp_path):
    a, b = Replica(s3, tmp_path, 'web1'), Replica(s3, tmp_path, 'web2')
    write(a.root, 'shared.txt', 's')
    a.sync()
    b.sync()
    write(b.root, 'local-only.txt', 'mine')
    write(b.root, 'shared.txt', 'changed here')
    os.unlink(os.path.join(a.root, 'shared.txt'))
    write(a.root, 'fresh.txt', 'f')
    a.sync()                                               # deletes shared.txt remotely... no: b changed it
    with s3.requests() as log:
        rb = b.sync(readonly=True)
    assert not [r for r in log.entries if r.method in MUTATING]
    assert rb['pending'] >= 1 and rb['downloaded'] == 1
    assert b.files()['local-only.txt'] == b'mine' and b.files()['fresh.txt'] == b'f'


def test_check_mode_writes_nothing_anywhere(s3, tmp_path):
    a = Replica(s3, tmp_path, 'web1')
    write(a.root, 'x', 'x')
    put(s3, 'share/y', 'y')
    with s3.requests() as log:
        result = a.sync(check_mode=True)
    assert result['changed'] and result['uploaded'] == 1 and result['downloaded'] == 1
    assert 'upload' in result['diff']['prepared'] and 'download' in result['diff']['prepared']
    assert log.ops() == {'ListObjectsV2': 1}
    assert a.files() == {'x': b'x'} and not os.path.exists(a.state)


def test_a_run_that_dies_half_way_converges_on_the_next(s3, tmp_path):
    a = Replica(s3, tmp_path, 'web1')
    for i in range(20):
        write(a.root, f'f{i:02d}', f'content {i}')
    s3.fail(op='PutObject', times=100, status=500, after=10)
    result = a.sync()
    s3.clear_faults()
    assert result['status'] == 'failed' and 0 < result['uploaded'] < 20
    again = a.sync()
    assert again['status'] == 'ok' and again['uploaded'] + result['uploaded'] == 20
    assert remote(s3) == a.files() and not [p for p in local_files(a.root) if '.s32s-tmp-' in p]
    assert a.sync()['changed'] is False


def test_two_runs_of_one_replica_never_overlap(s3, tmp_path):
    a, b = Replica(s3, tmp_path, 'web1'), Replica(s3, tmp_path, 'web2')
    write(a.root, 'doc.txt', 'base')
    a.sync()
    b.sync()
    write(a.root, 'doc.txt', 'a edit')
    a.sync()
    write(b.root, 'doc.txt', 'b edit!')
    results, errors = [], []

    def go():
        try:
            results.append(b.sync())
        except S32SError as e:
            errors.append(e)

    threads = [threading.Thread(target=go), threading.Thread(target=go)]
    for th in threads:
        th.start()
        th.join(0.05)
    for th in threads:
        th.join()
    assert not errors and len(results) == 2
    copies = [p for p in b.files() if 'conflict' in p]
    assert len(copies) == 1, copies
    assert sum(len(r['conflicts']) for r in results) == 1


def test_ignored_paths_and_reserved_names_are_left_alone(s3, tmp_path):
    a = Replica(s3, tmp_path, 'web1')
    write(a.root, 'cache/x', 'x')
    write(a.root, 'kept', 'k')
    a.sync()
    os.unlink(os.path.join(a.root, 'cache/x'))
    result = a.sync(ignore=['cache'])                       # newly ignored: never deleted remotely
    assert result['deleted_remote'] == 0 and 'cache/x' in remote(s3)
    put(s3, 'share/.s32s-trash/old/z', 'z')
    put(s3, 'share/.s32s-sync/lease', 'l')
    assert a.sync(ignore=['cache'])['downloaded'] == 0


def test_hostile_keys_are_skipped_and_stay(moto_s3, tmp_path):
    # moto only: rclone serve s3 keeps objects as files and cannot hold a key with ../
    s3 = moto_s3
    a = Replica(s3, tmp_path, 'web1')
    put(s3, 'share/../escape', 'evil')
    put(s3, 'share/ok', 'ok')
    result = a.sync()
    assert a.files() == {'ok': b'ok'} and result['downloaded'] == 1
    assert not os.path.exists(os.path.join(os.path.dirname(a.root), 'escape'))


# -- the lease -----------------------------------------------------------------------------------------------
LEASE_KEY = 'share/.s32s-sync/lease'


def put_lease(s3, holder, expires_in):
    import json
    import time
    put(s3, LEASE_KEY, json.dumps({'holder': holder, 'expires': int(time.time() + expires_in)}))


def test_lease_on_a_store_that_honours_conditional_writes(moto_s3, tmp_path):
    s3 = moto_s3
    a = Replica(s3, tmp_path, 'web1')
    write(a.root, 'x', 'x')
    with s3.requests() as log:
        result = a.sync(lock='required')
    assert result['uploaded'] == 1 and not result['warnings']
    puts = [r for r in log.entries if r.key == LEASE_KEY and r.method == 'PUT']
    assert [r.status for r in puts] == [200, 412, 412]     # taken, then both probes refused
    assert log.count(method='DELETE', key=LEASE_KEY) == 1   # released
    assert LEASE_KEY not in bucket_objects(s3, 'share/')
    with s3.requests() as log:
        assert a.sync(lock='required')['changed'] is False
    assert log.ops() == {'ListObjectsV2': 1}                # a no-op takes no lease


def test_a_live_lease_of_another_replica_stops_the_run_naming_it(moto_s3, tmp_path):
    s3 = moto_s3
    a = Replica(s3, tmp_path, 'web1')
    write(a.root, 'x', 'x')
    put_lease(s3, 'web9:deadbeef', 120)
    with s3.requests() as log, pytest.raises(S32SError, match="held by 'web9:deadbeef'"):
        a.sync(lock_timeout=0.2)
    assert log.count(method='PUT') == 0 and log.count(method='DELETE') == 0
    put_lease(s3, 'web9:deadbeef', -5)                      # expired: taken over
    assert a.sync()['uploaded'] == 1
    assert LEASE_KEY not in bucket_objects(s3, 'share/')


def test_two_replicas_at_once_lose_no_update(moto_s3, tmp_path):
    s3 = moto_s3
    a, b = Replica(s3, tmp_path, 'web1'), Replica(s3, tmp_path, 'web2')
    write(a.root, 'doc.txt', 'base')
    a.sync()
    b.sync()
    write(a.root, 'doc.txt', 'edit by a')
    write(b.root, 'doc.txt', 'edit by b!')
    for i in range(30):
        write(a.root, f'a/{i}', f'a{i}')
        write(b.root, f'b/{i}', f'b{i}')
    errors = []

    def go(replica):
        try:
            replica.sync()
        except S32SError as e:
            errors.append(e)

    threads = [threading.Thread(target=go, args=(r,)) for r in (a, b)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    a.sync()
    b.sync()
    files = a.files()
    assert files == b.files() == remote(s3)
    assert len(files) == 62 and len([p for p in files if 'conflict' in p]) == 1
    assert {files['doc.txt'], files[[p for p in files if 'conflict' in p][0]]} == {b'edit by a', b'edit by b!'}


def test_without_conditional_writes_auto_warns_and_required_changes_nothing(rclone_s3, tmp_path):
    s3 = rclone_s3
    a = Replica(s3, tmp_path, 'web1')
    write(a.root, 'x', 'x')
    with s3.requests() as log, pytest.raises(S32SError, match='does not honour conditional writes'):
        a.sync(lock='required')
    assert 'share/x' not in bucket_objects(s3, 'share/')
    assert [r.method for r in log.entries if r.key == 'share/x'] == []
    assert LEASE_KEY not in bucket_objects(s3, 'share/')
    result = a.sync()
    assert result['uploaded'] == 1 and any('host lock only' in w for w in result['warnings'])
    assert LEASE_KEY not in bucket_objects(s3, 'share/')


# -- crashes ---------------------------------------------------------------------------------------------------
KILLED_RUN = r'''
import pathlib
import sys
sys.path[:0] = sys.argv[1].split(":")
from test_two_way import Replica

class Endpoint:
    endpoint_url, access_key, secret_key, region, bucket = sys.argv[2:7]
    def client(self):
        from s3servers import make_client
        return make_client(self.endpoint_url, self.access_key, self.secret_key, self.region)

Replica(Endpoint(), pathlib.Path(sys.argv[7]), "web1").sync()
'''


def test_a_killed_run_of_1500_files_converges_and_loses_nothing(s3, tmp_path):
    import signal
    import subprocess
    import sys
    import time
    a, b = Replica(s3, tmp_path, 'web1'), Replica(s3, tmp_path, 'web2')
    for i in range(1500):
        write(a.root, f'd{i % 7}/f{i:04d}.txt', f'file {i} ' * (1 + i % 5))
    write(b.root, 'd1/f0001.txt', 'b was here first')        # a conflict on a's first sync
    b.sync()
    here = os.path.dirname(os.path.abspath(__file__))
    paths = ':'.join([here, os.path.dirname(here)] + [p for p in sys.path if p.endswith('.collections')])
    with s3.requests() as log:
        proc = subprocess.Popen([sys.executable, '-c', KILLED_RUN, paths, s3.endpoint_url, s3.access_key,
                                 s3.secret_key, s3.region, s3.bucket, str(tmp_path)])
        deadline = time.monotonic() + 120
        while log.count(op='PutObject') < 100 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, 'the run ended before it could be killed'
    journals = [f for f in os.listdir(a.state) if f.endswith('.journal')]
    assert journals, 'the killed run left no journal'
    uploaded_before = len(remote(s3))
    assert 1 < uploaded_before < 1501
    again = a.sync(max_delete='unlimited')
    assert again['status'] == 'ok' and again['deleted_remote'] == again['deleted_local'] == 0
    b.sync()
    a.sync()
    files = a.files()
    assert files == b.files() == remote(s3) and len(files) == 1501
    assert {v for p, v in files.items() if p.startswith('d1/f0001')} == {b'file 1 file 1 ', b'b was here first'}
    assert not [p for p in local_files(a.root) if '.s32s-tmp-' in p]
    assert not [f for f in os.listdir(a.state) if f.endswith('.journal')]
    with s3.requests() as log:
        assert a.sync()['changed'] is False
    assert log.ops() == {'ListObjectsV2': 2}


def test_connections_cut_mid_run_then_a_rerun_converges(s3, tmp_path):
    a = Replica(s3, tmp_path, 'web1')
    put(s3, 'share/remote-1', 'r1')
    put(s3, 'share/remote-2', 'r2')
    for i in range(10):
        write(a.root, f'f{i}', f'{i}')
    s3.fail(method='PUT', times=200, status=None, after=3)   # every PUT after the third: the connection drops
    s3.fail(op='GetObject', times=200, status=None)
    broken = a.sync(lock='off')  # the lease's own requests are not what this test cuts
    s3.clear_faults()
    assert broken['status'] == 'failed' and broken['failed'] > 0
    fixed = a.sync()
    assert fixed['status'] == 'ok'
    assert a.files() == remote(s3) and len(a.files()) == 12
    assert a.sync()['changed'] is False


def test_an_object_changed_after_listing_is_never_overwritten_under_conditional_writes(moto_s3, tmp_path):
    from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs import two_way
    s3 = moto_s3
    a = Replica(s3, tmp_path, 'web1')
    write(a.root, 'doc.txt', 'v1')
    write(a.root, 'other.txt', 'o1')
    a.sync()
    write(a.root, 'doc.txt', 'v2 local')
    write(a.root, 'other.txt', 'o2 local')
    write(a.root, 'new.txt', 'n')
    run = two_way.SyncRun(a.job())
    two_way.plan_sync(run)
    put(s3, 'share/doc.txt', 'someone else, after our listing')
    put(s3, 'share/new.txt', 'created elsewhere meanwhile')
    from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.lease import Lease
    lease = Lease(s3.client(), run.job.remote.location, 'web1:test')
    assert lease.acquire()  # moto honours conditional writes: uploads are conditional under it
    try:
        two_way._apply(run, lease)  # pylint: disable=protected-access
    finally:
        lease.release()
    assert sorted(p for p, _why in run.applied.deferred) == ['doc.txt', 'new.txt']
    assert remote(s3)['doc.txt'] == b'someone else, after our listing'
    assert remote(s3)['new.txt'] == b'created elsewhere meanwhile'
    assert remote(s3)['other.txt'] == b'o2 local'
    again = a.sync()                        # both changed: conflicts, both contents kept
    assert sorted(c['path'] for c in again['conflicts']) == ['doc.txt', 'new.txt']
    values = set(a.files().values())
    assert {b'v2 local', b'someone else, after our listing', b'n', b'created elsewhere meanwhile'} <= values


def test_a_lost_base_is_a_union_then_syncs_again(s3, tmp_path):
    import shutil
    a, b = Replica(s3, tmp_path, 'web1'), Replica(s3, tmp_path, 'web2')
    for name in ('same', 'gone', 'edited'):
        write(a.root, name, name)
    a.sync()
    b.sync()
    os.unlink(os.path.join(b.root, 'gone'))
    b.sync()                                     # 'gone' is deleted on S3 (and kept in its trash)
    write(a.root, 'edited', 'edited by a')
    shutil.rmtree(a.state)                       # a loses its base
    lost = a.sync()
    assert lost['first_sync'] and lost['deleted_local'] == lost['deleted_remote'] == 0
    assert any('no base' in w for w in lost['warnings'])
    # without a base, 'gone' comes back (a union), 'edited' differs on both sides: a conflict
    assert remote(s3)['gone'] == b'gone' and [c['path'] for c in lost['conflicts']] == ['edited']
    b.sync()
    a.sync()
    assert a.files() == b.files() == remote(s3)
    assert a.sync()['changed'] is False and a.sync()['first_sync'] is False


def test_the_server_stopped_mid_run_then_a_rerun_converges(rclone_s3, tmp_path):
    # rclone only: its objects are files that survive a restart (moto keeps them in memory)
    s3 = rclone_s3
    a = Replica(s3, tmp_path, 'web1')
    for i in range(300):
        write(a.root, f'f{i:03d}', f'{i}')
    results = []
    client = s3.client(retries={'max_attempts': 1, 'mode': 'standard'}, connect_timeout=2, read_timeout=5)
    with s3.requests() as log:
        th = threading.Thread(target=lambda: results.append(a.sync(client=client, lock='off')))
        th.start()
        while log.count(op='PutObject') < 20 and th.is_alive():
            time.sleep(0.005)
        s3.stop()
        th.join(120)
    s3.start()
    assert not th.is_alive() and results and results[0]['status'] == 'failed'
    assert 0 < results[0]['uploaded'] < 300
    again = a.sync()
    assert again['status'] == 'ok' and a.files() == remote(s3) and len(remote(s3)) == 300
    assert a.sync()['changed'] is False


def test_trash_expiry_removes_old_trash_folders_and_nothing_else(s3, tmp_path):
    """Remote trash ages by the server's clock (LastModified against the listing's Date), whatever the
    folder's name says; local trash by this host's clock. Here the retention is 5 seconds."""
    a = Replica(s3, tmp_path, 'web1')
    write(a.root, 'a.txt', 'a')
    a.sync()
    untouchable = {
        'share/.s32s-trash/not-a-folder-name/x': 'kept',
        'share/.s32s-trashy/20200101T000000Z-web9-0a0b0c0d/x': 'a sibling name',
        'share-old/.s32s-trash/20200101T000000Z-web9-0a0b0c0d/x': 'a sibling prefix',
        'share/a.conflict-web9-20200101T000000Z.txt': 'a conflict copy',
    }
    for key, data in untouchable.items():
        put(s3, key, data)
    put(s3, 'share/.s32s-trash/20200101T000000Z-web9-0a0b0c0d/old.txt', 'expired')  # the only one to go
    put(s3, 'share/.s32s-trash/20991231T000000Z-web7-0a0b0c0d/x', 'named by a clock far ahead: kept')
    write(os.path.join(a.root, '.s32s-trash', '20200101T000000Z-web1-0a0b0c0d', 'x'), 'old local')
    time.sleep(6)
    write(os.path.join(a.root, '.s32s-trash', '20991231T000000Z-web1-0a0b0c0d', 'y'), 'young local')
    retention = 5 / 86400
    with s3.requests() as log:
        first = a.sync(trash_retention_days=retention)  # downloads the conflict copy: no remote write, no expiry there
    assert first['trash_expired'] == 1                    # the local side was written: its old folder goes
    assert not [r for r in log.entries if r.method == 'DELETE' or r.op == 'DeleteObjects']
    write(a.root, 'a.txt', 'edited')
    put(s3, 'share/.s32s-trash/20200101T000000Z-web8-0a0b0c0d/young.txt', 'named old, written now')
    result = a.sync(trash_retention_days=retention)
    assert result['trash_expired'] == 1
    left = bucket_objects(s3, '')
    assert 'share/.s32s-trash/20200101T000000Z-web9-0a0b0c0d/old.txt' not in left
    assert 'share/.s32s-trash/20200101T000000Z-web8-0a0b0c0d/young.txt' in left
    assert 'share/.s32s-trash/20991231T000000Z-web7-0a0b0c0d/x' in left
    for key in untouchable:
        assert key in left, key
    local_trash = os.listdir(os.path.join(a.root, '.s32s-trash'))
    assert '20991231T000000Z-web1-0a0b0c0d' in local_trash and '20200101T000000Z-web1-0a0b0c0d' not in local_trash


@pytest.mark.parametrize('seed', [1, 2, 3])
def test_random_interleaved_changes_on_two_replicas_converge_and_lose_nothing(s3, tmp_path, seed):
    """Rounds of random creates, edits, deletes and renames on two replicas, each followed by syncs
    in a random order; at the end every replica equals the bucket and every content a sync saw (a
    file present when a sync started) is at some path or in some trash (local or S3). Contents a
    user overwrote before any sync saw them are the user's own loss, not counted."""
    import random
    rng = random.Random(seed)
    reps = [Replica(s3, tmp_path, 'web1'), Replica(s3, tmp_path, 'web2')]
    seen = set()
    counter = [0]

    def new_content():
        counter[0] += 1
        return f'content {counter[0]} '.encode() * rng.randint(1, 4)

    def sync(r, **kw):
        seen.update(r.files().values())
        return r.sync(**kw)

    for r in reps:
        for i in range(6):
            write(r.root, f'{r.name}-{i}.txt', new_content())
    for _round in range(4):
        for r in reps:
            sync(r)
        for r in reps:
            names = sorted(r.files())
            for _op in range(4):
                op = rng.choice(['create', 'edit', 'delete', 'rename'])
                if op == 'create' or not names:
                    write(r.root, f'n{counter[0]}.txt', new_content())
                    continue
                victim = rng.choice(names)
                path = os.path.join(r.root, victim)
                if not os.path.exists(path):
                    continue
                if op == 'edit':
                    write(r.root, victim, new_content())
                elif op == 'delete':
                    os.unlink(path)
                else:
                    os.rename(path, os.path.join(r.root, f'renamed-{counter[0]}-{rng.randint(0, 999)}.txt'))
        for r in rng.sample(reps, 2):
            sync(r, max_delete='unlimited')
    for _settle in range(2):
        for r in reps:
            sync(r, max_delete='unlimited')
    assert reps[0].files() == reps[1].files() == remote(s3)
    kept = set(remote(s3).values()) | set(remote_trash(s3).values())
    for r in reps:
        kept |= set(r.files().values()) | set(r.trash().values())
    assert seen <= kept, f'{len(seen - kept)} content(s) lost'
    assert all(r.sync()['changed'] is False for r in reps)


def test_two_runs_in_the_same_second_keep_both_trash_copies(s3, tmp_path):
    import datetime
    a = Replica(s3, tmp_path, 'web1')
    second = datetime.datetime(2026, 12, 3, 7, 0, 0, tzinfo=datetime.timezone.utc)
    write(a.root, 'x.txt', 'one')
    a.sync(clock=lambda: second)
    write(a.root, 'x.txt', 'two!')
    a.sync(clock=lambda: second)
    write(a.root, 'x.txt', 'three')
    a.sync(clock=lambda: second)               # the same second as the run before
    assert trashed(remote_trash(s3), 'x.txt') == [b'one', b'two!']


# -- review findings: races with the user, symlink swaps, shared state, lost lease -------------------------------
def test_a_local_edit_saved_during_the_run_is_never_overwritten(s3, tmp_path):
    from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs import two_way
    a, b = Replica(s3, tmp_path, 'web1'), Replica(s3, tmp_path, 'web2')
    write(a.root, 'doc.txt', 'v1')
    a.sync()
    b.sync()
    write(a.root, 'doc.txt', 'v2 from a')
    put(s3, 'share/new.txt', 'new remotely')
    a.sync()
    run = two_way.SyncRun(b.job(lock='off'))
    two_way.plan_sync(run)                                   # b plans: download doc.txt and new.txt
    tmp = os.path.join(b.root, 'doc.txt.swp')                # the user saves as editors do, meanwhile
    with open(tmp, 'w') as f:
        f.write('edit by the user of b')
    os.replace(tmp, os.path.join(b.root, 'doc.txt'))
    write(b.root, 'new.txt', 'made by the user of b')
    two_way._apply(run, None)  # pylint: disable=protected-access
    assert sorted(p for p, _why in run.applied.deferred) == ['doc.txt', 'new.txt']
    assert b.files()['doc.txt'] == b'edit by the user of b' and b.files()['new.txt'] == b'made by the user of b'
    b.sync()                                                 # now both changed: conflicts, both kept
    a.sync()
    b.sync()
    values = set(b.files().values())
    assert {b'edit by the user of b', b'v2 from a', b'made by the user of b', b'new remotely'} <= values
    assert a.files() == b.files() == remote(s3)


def test_a_symlink_swapped_in_after_the_listing_is_never_uploaded(s3, tmp_path):
    from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs import two_way
    a = Replica(s3, tmp_path, 'web1')
    secret = tmp_path / 'secret'
    secret.write_text('S3CR3T!!')
    write(a.root, 'x.txt', 'harmless')                      # same size as the secret
    run = two_way.SyncRun(a.job(lock='off'))
    two_way.plan_sync(run)
    os.unlink(os.path.join(a.root, 'x.txt'))
    os.symlink(str(secret), os.path.join(a.root, 'x.txt'))
    two_way._apply(run, None)  # pylint: disable=protected-access
    assert b'S3CR3T!!' not in bucket_objects(s3, '').values()
    assert [p for p, _why in run.applied.deferred] == ['x.txt']


def test_a_state_dir_shared_by_two_hosts_keeps_one_base_per_host(s3, tmp_path, monkeypatch):
    """Two hosts with the same path and prefix and one state_dir (an NFS home) never share a base."""
    from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs import two_way
    a = Replica(s3, tmp_path, 'web1')
    monkeypatch.setattr(two_way, 'host_id', lambda: 'machine-a')
    on_a = a.job().base_path
    monkeypatch.setattr(two_way, 'host_id', lambda: 'machine-b')
    on_b = a.job().base_path
    assert on_a != on_b and os.path.dirname(on_a) == os.path.dirname(on_b)


def test_the_state_dir_inside_the_synced_directory_is_never_synced(s3, tmp_path):
    a = Replica(s3, tmp_path, 'web1')
    a.state = os.path.join(a.root, '.cache', 's32s.sync')
    write(a.root, 'x', 'x')
    a.sync()
    a.sync()
    assert list(remote(s3)) == ['x']
    assert a.sync()['changed'] is False


def test_type_changes_converge_in_two_way(s3, tmp_path):
    a, b = Replica(s3, tmp_path, 'web1'), Replica(s3, tmp_path, 'web2')
    write(a.root, 'd', 'a file')
    write(a.root, 'e/x', 'a file in a directory')
    write(a.root, 'keep', 'k')
    a.sync()
    b.sync()
    os.unlink(os.path.join(a.root, 'd'))
    write(a.root, 'd/x', 'now a directory')
    os.unlink(os.path.join(a.root, 'e/x'))
    os.rmdir(os.path.join(a.root, 'e'))
    write(a.root, 'e', 'now a file')
    a.sync()
    result = b.sync()
    assert result['status'] == 'ok', result['errors']
    assert a.files() == b.files() == remote(s3) == {'d/x': b'now a directory', 'e': b'now a file', 'keep': b'k'}
    assert b.sync()['changed'] is False


def test_one_stuck_path_does_not_stall_the_others(s3, tmp_path):
    a = Replica(s3, tmp_path, 'web1')
    long_stem = '\u6587' * 80                                # 240 bytes: its conflict copy must be shortened
    write(a.root, f'{long_stem}.txt', 'base')
    write(a.root, 'old.txt', 'o')
    a.sync()
    write(a.root, f'{long_stem}.txt', 'local edit')
    put(s3, f'share/{long_stem}.txt', 'remote edit')
    os.unlink(os.path.join(a.root, 'old.txt'))
    write(a.root, 'new.txt', 'n')
    result = a.sync()
    assert result['status'] == 'ok' and result['deleted_remote'] == 1 and len(result['conflicts']) == 1
    assert 'new.txt' in remote(s3) and 'old.txt' not in remote(s3)


def test_leftover_temporary_files_are_removed(s3, tmp_path):
    a = Replica(s3, tmp_path, 'web1')
    write(a.root, 'x', 'x')
    write(a.root, 'd/.s32s-tmp-0123456789abcdef', 'half a download')
    a.sync()
    assert not [p for p in local_files(a.root) if '.s32s-tmp-' in p]


def test_under_a_lease_big_uploads_and_deletions_are_conditional_too(moto_s3, tmp_path):
    from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs import two_way
    from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.lease import Lease
    s3 = moto_s3
    a = Replica(s3, tmp_path, 'web1')
    big = os.urandom(9 * 1024 * 1024)                       # above the multipart threshold
    write(a.root, 'big.bin', big)
    write(a.root, 'gone.txt', 'g')
    a.sync()
    write(a.root, 'big.bin', os.urandom(9 * 1024 * 1024))   # an edit to upload
    os.unlink(os.path.join(a.root, 'gone.txt'))             # a deletion to make
    run = two_way.SyncRun(a.job())
    two_way.plan_sync(run)
    other_big = os.urandom(9 * 1024 * 1024)
    put(s3, 'share/big.bin', other_big)                      # both changed elsewhere after the listing
    put(s3, 'share/gone.txt', 'edited elsewhere')
    lease = Lease(s3.client(), run.job.remote.location, 'web1:test')
    assert lease.acquire()
    try:
        with s3.requests() as log:
            two_way._apply(run, lease)  # pylint: disable=protected-access
    finally:
        lease.release()
    # The deletion is refused by If-Match. CompleteMultipartUpload carries If-Match too; AWS S3 honours it,
    # moto does not (the object is replaced): the version it replaced is then in the trash, never lost.
    assert [p for p, _why in run.applied.deferred][-1] == 'gone.txt'
    assert log.count(op='CompleteMultipartUpload') == 1
    complete = [r for r in log.entries if r.op == 'CompleteMultipartUpload'][0]
    assert complete.status in (200, 412)
    assert bucket_objects(s3, 'share/')['share/gone.txt'] == b'edited elsewhere'
    if complete.status == 200:
        assert trashed(remote_trash(s3), 'big.bin') == [other_big]
    else:
        assert bucket_objects(s3, 'share/')['share/big.bin'] == other_big
