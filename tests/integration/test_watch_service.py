# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The s32s-watch service, installed as the role installs it and run as a process against a real
S3 server (issue 13 points 1, 2, 3, 5): events mark paths, sends are decided from the file at send
time, rescans catch what events miss, failures back off and park as dead letters.

Two services per server, module-wide, one map per scenario: ``deleting`` (``delete: true``) and
``keeping`` (``delete: false``). The ``deleting`` one runs under ``setpriv`` without the capabilities
that let root read any file, so that a file of mode 000 is really unreadable (as in
test_unreadable_source.py). Timings are small (settle 0.2 s, retries from 0.1 s); every wait polls.
"""

import json
import os
import shutil
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import validate_map
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.connection import make_store
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.passes import run_pass
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.renames import copy_renamed
from s3servers import SERVER_NAMES, S3Endpoint
from syncrun import bucket_objects, put, write
from watchkit import WatchHost, wait_for

SETPRIV = shutil.which('setpriv')
DROP = '-dac_override,-dac_read_search'
WITHOUT_DAC = (SETPRIV, '--inh-caps=' + DROP, '--bounding-set=' + DROP) if SETPRIV else ()

DELETING_MAPS = ('basic', 'rename', 'editor', 'burst', 'thirty', 'newdir', 'poison', 'missing', 'empty')
KEEPING_MAPS = ('keep', 'stopped', 'cli', 'denied')
PRESENT = {'missing': {'a.txt': b'a', 'b.txt': b'b'}, 'empty': {'a.txt': b'a', 'b.txt': b'b', 'c.txt': b'c'}}


@pytest.fixture(scope='module', params=SERVER_NAMES)
def server(request, s3_servers):
    endpoint = S3Endpoint(s3_servers.get(request.param))
    endpoint.bucket = endpoint.create_bucket()
    try:
        yield endpoint
    finally:
        endpoint.clear_faults()


def _service(server, base, names, delete, wrapper=()):
    maps = [{'name': n, 's3': '%s/%s/%s' % (server.bucket, 'del' if delete else 'keep', n),
             'master': str(base / 'masters' / n)} for n in names]
    for n in names:
        if n != 'missing':
            os.makedirs(str(base / 'masters' / n))
        for relpath, data in PRESENT.get(n, {}).items():
            put(server, '%s/%s/%s' % ('del' if delete else 'keep', n, relpath), data)
    host = WatchHost(base, server, maps, delete=delete)
    host.start(wrapper=wrapper)
    return host


@pytest.fixture(scope='module')
def deleting(server, tmp_path_factory):
    base = tmp_path_factory.mktemp('watch-deleting')
    host = _service(server, base, DELETING_MAPS, True, WITHOUT_DAC)
    try:
        yield host
    finally:
        assert host.stop() == 0, host.log_text()[-3000:]
        assert server.secret_key not in host.log_text()


@pytest.fixture(scope='module')
def keeping(server, tmp_path_factory):
    base = tmp_path_factory.mktemp('watch-keeping')
    host = _service(server, base, KEEPING_MAPS, False)
    try:
        yield host
    finally:
        assert host.stop() == 0, host.log_text()[-3000:]


def master(host, name):
    return next(m['master'] for m in host.config['maps'] if m['name'] == name)


def map_prefix(host, name):
    """The key prefix of the map ``name`` in the service's config (``prefix/``)."""
    return next(m['s3'] for m in host.config['maps'] if m['name'] == name).split('/', 1)[1] + '/'


def objects(host, name):
    """relpath -> bytes of the map's objects (read directly, not counted; listed again when an
    object goes between the listing and its read, as the service deletes)."""
    prefix = map_prefix(host, name)
    for _attempt in range(5):
        try:
            return {k[len(prefix):]: v for k, v in bucket_objects(host.s3, prefix).items()}
        except ClientError as e:
            if e.response['Error']['Code'] != 'NoSuchKey':
                raise
    raise AssertionError('the objects of %s kept changing' % name)


def map_count(log, host, name, op):
    """How many ``op`` requests of ``log`` went to the map's prefix: the service of a fixture serves
    several maps, and another test's map may still be sending while this one is counted."""
    prefix = map_prefix(host, name)
    return sum(1 for r in log.entries if r.op == op and r.key.startswith(prefix))


def count_keys(host, name):
    """How many objects the map's prefix holds (one listing, not counted)."""
    prefix = map_prefix(host, name)
    pages = host.s3.direct_client().get_paginator('list_objects_v2').paginate(Bucket=host.s3.bucket, Prefix=prefix)
    return sum(len(page.get('Contents', ())) for page in pages)


def settled(host, name):
    """The map's queue is empty (no path waits) and it says so."""
    return host.map_status(name)['queue_depth'] == 0


def key(host, name, relpath):
    return next(m['s3'] for m in host.config['maps'] if m['name'] == name).split('/', 1)[1] + '/' + relpath


def test_create_modify_delete(deleting):
    root = master(deleting, 'basic')
    write(root, 'd/a.txt', 'version 1')
    wait_for(lambda: objects(deleting, 'basic') == {'d/a.txt': b'version 1'}, what='the new file in S3')
    write(root, 'd/a.txt', 'version 2')  # same size: the manifest's stat tells
    wait_for(lambda: objects(deleting, 'basic') == {'d/a.txt': b'version 2'}, what='the modified file')
    os.unlink(os.path.join(root, 'd', 'a.txt'))
    wait_for(lambda: objects(deleting, 'basic') == {}, what='the deletion')

    def counts():
        status = deleting.map_status('basic')
        return status['sent'], status['deleted'], status['failed'], status['dead_letters']

    wait_for(lambda: counts() == (2, 1, 0, []), what='the counters')


def test_rename_uploads_the_new_name_and_removes_the_old_with_delete(deleting):
    root = master(deleting, 'rename')
    write(root, 'old.txt', 'content')
    wait_for(lambda: objects(deleting, 'rename') == {'old.txt': b'content'})
    wait_for(lambda: settled(deleting, 'rename'))
    with deleting.s3.requests() as log:
        os.rename(os.path.join(root, 'old.txt'), os.path.join(root, 'new.txt'))
        wait_for(lambda: objects(deleting, 'rename') == {'new.txt': b'content'}, what='the rename')
        wait_for(lambda: settled(deleting, 'rename'))
    # the bytes were in the store already: copied there, not uploaded again
    assert log.count('CopyObject', key=key(deleting, 'rename', 'new.txt')) == 1
    assert map_count(log, deleting, 'rename', 'PutObject') == 0
    assert any(r['event'] == 'copied' and r['source'] == 'old.txt' for r in deleting.log_records())


def test_without_delete_deletions_and_renames_keep_the_objects(keeping):
    root = master(keeping, 'keep')
    write(root, 'a.txt', 'a')
    write(root, 'b.txt', 'b')
    wait_for(lambda: objects(keeping, 'keep') == {'a.txt': b'a', 'b.txt': b'b'})
    with keeping.s3.requests() as log:
        os.unlink(os.path.join(root, 'a.txt'))
        os.rename(os.path.join(root, 'b.txt'), os.path.join(root, 'c.txt'))
        wait_for(lambda: 'c.txt' in objects(keeping, 'keep'), what='the new name')
        wait_for(lambda: settled(keeping, 'keep'))
    assert objects(keeping, 'keep') == {'a.txt': b'a', 'b.txt': b'b', 'c.txt': b'b'}
    assert log.count('DeleteObjects') == log.count('DeleteObject') == 0
    assert map_count(log, keeping, 'keep', 'PutObject') == 0
    assert map_count(log, keeping, 'keep', 'CopyObject') == 1  # the rename, inside the store


def test_an_editor_save_is_one_upload_of_the_final_bytes_and_no_temp_key(deleting):
    root = master(deleting, 'editor')
    write(root, 'doc.txt', 'first draft')
    wait_for(lambda: objects(deleting, 'editor') == {'doc.txt': b'first draft'})
    with deleting.s3.requests() as log:
        temp = os.path.join(root, '.doc.txt.swx')
        with open(temp, 'w', encoding='utf-8') as f:  # vim, gedit...: write a temp, then rename it over
            f.write('final text, longer')
            f.flush()
            os.fsync(f.fileno())
        os.rename(temp, os.path.join(root, 'doc.txt'))
        wait_for(lambda: objects(deleting, 'editor') == {'doc.txt': b'final text, longer'})
        wait_for(lambda: settled(deleting, 'editor'))
    assert log.count('PutObject', key=key(deleting, 'editor', 'doc.txt')) == 1
    assert log.count('PutObject', key=key(deleting, 'editor', '.doc.txt.swx')) == 0


def test_a_burst_of_2000_writes_to_one_file_is_a_handful_of_puts(deleting):
    path = os.path.join(master(deleting, 'burst'), 'hot.log')
    with deleting.s3.requests() as log:
        for i in range(2000):
            with open(path, 'w', encoding='utf-8') as f:
                f.write('write %04d' % i)
        wait_for(lambda: objects(deleting, 'burst') == {'hot.log': b'write 1999'}, what='the final bytes')
        wait_for(lambda: settled(deleting, 'burst'))
    puts = log.count('PutObject', key=key(deleting, 'burst', 'hot.log'))
    assert 1 <= puts <= 5, puts


def test_30_files_created_in_100_ms_all_arrive_once(deleting):
    root = master(deleting, 'thirty')
    with deleting.s3.requests() as log:
        start = time.monotonic()
        for i in range(30):
            write(root, 'f%02d.txt' % i, 'file %d' % i)
        assert time.monotonic() - start < 0.1
        wait_for(lambda: count_keys(deleting, 'thirty') == 30, what='30 objects')
        wait_for(lambda: settled(deleting, 'thirty'))
    assert objects(deleting, 'thirty') == {'f%02d.txt' % i: b'file %d' % i for i in range(30)}
    assert map_count(log, deleting, 'thirty', 'PutObject') == 30


def test_a_new_directory_of_50_files_moved_in_at_once(deleting, tmp_path):
    outside = tmp_path / 'outside'
    outside.mkdir()
    script = 'mkdir "$1/new" && for i in $(seq 1 50); do echo "file $i" > "$1/new/f$i.txt"; done && mv "$1/new" "$2/"'
    with deleting.s3.requests() as log:
        subprocess.run(['sh', '-c', script, 'sh', str(outside), master(deleting, 'newdir')], check=True)
        wait_for(lambda: count_keys(deleting, 'newdir') == 50, what='50 objects')
        wait_for(lambda: settled(deleting, 'newdir'))
    assert objects(deleting, 'newdir') == {'new/f%d.txt' % i: b'file %d\n' % i for i in range(1, 51)}
    assert map_count(log, deleting, 'newdir', 'PutObject') == 50


@pytest.mark.skipif(not SETPRIV, reason='needs setpriv (util-linux) to drop the capabilities of root')
def test_an_unreadable_file_is_a_dead_letter_and_the_others_flow(deleting):
    root = master(deleting, 'poison')
    write(root, 'secret.txt', 'secret')
    os.chmod(os.path.join(root, 'secret.txt'), 0)
    write(root, 'ok1.txt', 'one')
    write(root, 'ok2.txt', 'two')
    wait_for(lambda: objects(deleting, 'poison') == {'ok1.txt': b'one', 'ok2.txt': b'two'})
    write(root, 'ok3.txt', 'three')  # while secret.txt backs off
    wait_for(lambda: 'ok3.txt' in objects(deleting, 'poison'))
    dead = wait_for(lambda: deleting.map_status('poison')['dead_letters'], what='a dead letter')
    assert [d['path'] for d in dead] == ['secret.txt'] and 'Permission denied' in dead[0]['reason']
    assert deleting.map_status('poison')['failed'] == 3  # max_attempts, then no more attempts
    # fixed: the next rescan (asked on the command line, served by the running service) sends it
    os.chmod(os.path.join(root, 'secret.txt'), 0o644)
    result = deleting.cli('rescan', '--timeout', '60')
    doc = json.loads(result.stdout)
    assert doc['running'] is True
    poison = next(m for m in doc['maps'] if m['name'] == 'poison')
    assert poison['dead_letters'] == [] and poison['last_error'] is None and poison['last_success']
    # rc 1: the maps of the missing and the empty directory were refused again (and said why)
    assert result.returncode == 1 and {m['name'] for m in doc['maps'] if m['last_error']} == {'missing', 'empty'}
    assert objects(deleting, 'poison')['secret.txt'] == b'secret'


def test_a_missing_or_empty_master_deletes_nothing_and_says_why(deleting):
    missing, empty = deleting.map_status('missing'), deleting.map_status('empty')
    assert 'does not exist (unmounted?)' in missing['last_error'] and missing['last_success'] is None
    assert 'the source is empty' in empty['last_error'] and empty['last_success'] is None
    assert missing['watching'] is False and empty['watching'] is True and empty['watch_error'] is None
    assert missing['watch_error'].startswith('cannot watch %s: No such file or directory;' % master(deleting, 'missing'))
    assert objects(deleting, 'missing') == PRESENT['missing']
    assert objects(deleting, 'empty') == PRESENT['empty']
    assert 'map_problem' in {r['event'] for r in deleting.log_records() if r.get('map') == 'missing'}


def test_a_master_that_comes_back_is_watched_and_synced(deleting, tmp_path):
    staged = tmp_path / 'mounted'  # appears at once, as a mount would
    for relpath, data in PRESENT['missing'].items():
        write(staged, relpath, data)
    write(staged, 'c.txt', 'new while away')
    os.rename(str(staged), master(deleting, 'missing'))
    wait_for(lambda: objects(deleting, 'missing') == dict(PRESENT['missing'], **{'c.txt': b'new while away'}),
             what='the rescan after the directory came back')
    write(master(deleting, 'missing'), 'd.txt', 'watched again')  # an event: the watch is armed again
    wait_for(lambda: 'd.txt' in objects(deleting, 'missing'), what='an event of the re-armed watch')
    wait_for(lambda: deleting.map_status('missing')['last_error'] is None, what='the error cleared')
    assert deleting.map_status('missing')['watching'] is True and deleting.map_status('missing')['watch_error'] is None


def test_refused_credentials_are_reported_and_retried_without_spinning(keeping):
    root = master(keeping, 'denied')
    keeping.s3.fail(op='ListObjectsV2', status=403, times=100000)  # as a revoked key would be answered
    try:
        with keeping.s3.requests() as log:
            write(root, 'a.txt', 'a')
            error = wait_for(lambda: keeping.map_status('denied')['last_error'], what='the error in status')
            time.sleep(3)
        assert 'AccessDenied' in error and 'a.txt' in error
        # backing off (0.1 s doubling to 1 s here): a handful of attempts in 3 s, not a spin
        assert 2 <= log.count('ListObjectsV2') <= 12, log.ops()
        assert keeping.map_status('denied')['dead_letters'] == []  # a problem of the map, not of the path
    finally:
        keeping.s3.clear_faults()
    wait_for(lambda: objects(keeping, 'denied') == {'a.txt': b'a'}, what='the upload once the key works')
    wait_for(lambda: keeping.map_status('denied')['last_error'] is None, what='the error cleared')


def test_changes_made_while_stopped_are_caught_at_start(keeping):
    root = master(keeping, 'stopped')
    write(root, 'a.txt', 'a v1')
    write(root, 'gone.txt', 'gone')
    wait_for(lambda: objects(keeping, 'stopped') == {'a.txt': b'a v1', 'gone.txt': b'gone'})
    wait_for(lambda: settled(keeping, 'stopped'))
    assert keeping.stop() == 0
    write(root, 'a.txt', 'a v2')
    write(root, 'sub/b.txt', 'b')
    os.unlink(os.path.join(root, 'gone.txt'))
    keeping.start()  # returns after the first rescan
    assert objects(keeping, 'stopped') == {'a.txt': b'a v2', 'sub/b.txt': b'b', 'gone.txt': b'gone'}


def test_the_command_line(keeping, tmp_path):
    doc = keeping.cli_status()
    assert doc['running'] is True and [m['name'] for m in doc['maps']] == list(KEEPING_MAPS)
    assert set(doc) == {'running', 'pid', 'started_at', 'maps'} and doc['pid'] == keeping.proc.pid
    assert set(doc['maps'][0]) == {'name', 'queue_depth', 'last_scan', 'last_success', 'sent', 'deleted', 'failed',
                                   'failed_passes', 'dead_letters', 'last_error', 'last_error_at', 'failing_since',
                                   'counted_since', 'watching', 'watch_error', 'watch_retry_at'}
    assert all(m['watching'] is True and m['watch_error'] is None for m in doc['maps'])
    second = keeping.cli('run', timeout=60)
    assert second.returncode == 5 and 'another s32s-watch service runs' in second.stderr
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps(dict(keeping.config, delete='False')))
    result = keeping.cli('--config', str(bad), 'status')
    assert result.returncode == 2 and "'delete' must be true or false" in result.stderr
    # idle: no request at all between rescans
    wait_for(lambda: all(m['queue_depth'] == 0 for m in keeping.status()['maps']))
    with keeping.s3.requests() as log:
        time.sleep(3)
    assert len(log) == 0, log
    assert keeping.s3.secret_key not in keeping.log_text()


def test_rescan_without_a_running_service_is_one_pass(server, tmp_path):
    root = tmp_path / 'master'
    write(root, 'x.txt', 'x')
    host = WatchHost(tmp_path, server, [{'name': 'once', 's3': '%s/once' % server.bucket, 'master': str(root)}])
    result = host.cli('rescan')
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc['running'] is False and doc['maps'][0]['sent'] == 1 and doc['maps'][0]['last_success']
    assert bucket_objects(server, 'once/') == {'once/x.txt': b'x'}
    shutil.rmtree(str(root))
    result = host.cli('rescan')
    assert result.returncode == 1 and 'does not exist' in json.loads(result.stdout)['maps'][0]['last_error']


def test_two_way_maps_keep_a_shared_folder_in_step_on_two_hosts(server, tmp_path):
    """Issue 13 point 6 (the filecloudsync monitor case): two services, two folders, one prefix;
    a change on one host reaches the other by its rescan timer (1 s here)."""
    prefix = '%s/shared' % server.bucket
    hosts = []
    for name in ('web1', 'web2'):
        root = tmp_path / name / 'folder'
        root.mkdir(parents=True)
        hosts.append(WatchHost(tmp_path / name, server, [{'name': 'shared', 's3': prefix, 'master': str(root),
                                                          'mode': 'two-way'}], delete=True, rescan_interval_s=1))
    web1, web2 = hosts
    roots = [master(h, 'shared') for h in hosts]
    try:
        for host in hosts:
            host.start()
        write(roots[0], 'keep.txt', 'a folder emptied is never propagated: keep one file')
        write(roots[0], 'docs/a.txt', 'from web1')
        wait_for(lambda: _read(roots[1], 'docs/a.txt') == b'from web1', what='web1 -> web2')
        write(roots[1], 'docs/a.txt', 'edited on web2')
        wait_for(lambda: _read(roots[0], 'docs/a.txt') == b'edited on web2', what='web2 -> web1')
        os.unlink(os.path.join(roots[1], 'docs', 'a.txt'))
        wait_for(lambda: _read(roots[0], 'docs/a.txt') is None, what='the deletion reaching web1')
        assert bucket_objects(server, 'shared/docs/') == {}
        assert any(r['event'] == 'deleted_locally' for r in web1.log_records())
        assert web1.map_status('shared')['last_error'] is None and web2.map_status('shared')['sent'] >= 1
    finally:
        for host in hosts:
            assert host.stop() == 0, host.log_text()[-2000:]


def _read(root, relpath):
    try:
        with open(os.path.join(root, *relpath.split('/')), 'rb') as f:
            return f.read()
    except FileNotFoundError:
        return None


def test_a_rename_copy_never_replaces_a_key_nor_copies_other_bytes(server, tmp_path):
    """watch/renames.py on its own: the copy is made only to a free key and from the object the manifest
    recorded; anything else is left to the pass (an upload)."""
    root, state = tmp_path / 'master', str(tmp_path / 'state')
    write(root, 'a.txt', 'recorded bytes')
    m = validate_map({'name': 'r', 's3': '%s/renames' % server.bucket, 'master': str(root)}, 'master', 0, 't')[0]
    host = WatchHost(tmp_path / 'host', server, [])
    store = make_store(host.config['connection'])
    options = SyncOptions(delete=False, state_dir=state, lock_dir=state)
    assert run_pass(m, store, options, server.endpoint_url).sent == 1  # the manifest records a.txt
    os.rename(str(root / 'a.txt'), str(root / 'b.txt'))
    put(server, 'renames/b.txt', 'someone else')  # the new key exists: never replaced by a copy
    assert copy_renamed(m, store, state, server.endpoint_url, ['b.txt'], ['a.txt']) == []
    assert bucket_objects(server, 'renames/b.txt') == {'renames/b.txt': b'someone else'}
    server.direct_client().delete_object(Bucket=server.bucket, Key='renames/b.txt')
    put(server, 'renames/a.txt', 'changed by someone')  # not the object the record names
    assert copy_renamed(m, store, state, server.endpoint_url, ['b.txt'], ['a.txt']) == []
    assert 'renames/b.txt' not in bucket_objects(server, 'renames/')
