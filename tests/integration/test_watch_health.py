# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the status says of a broken service, through the real service on both servers: refused
credentials show as a current failure (``last_error`` with ``failing_since``, ``failed_passes``)
in the document and in the summary of ``playbooks/watch.yml --tags watch_status``, together with
whether the service runs; counters belong to a map's destination and start again when its ``s3``
changes. Timings are small (settle 0.2 s, retries from 0.1 s); every wait polls."""

import json

import pytest

from ansiblerun import Runner
from s3servers import SERVER_NAMES, S3Endpoint
from syncrun import bucket_objects, write
from watchkit import WatchHost, refused_credentials, wait_for

SUMMARY = 'Show the status of every map'
SERVICE = 'Show whether the service runs'


@pytest.fixture(params=SERVER_NAMES)
def server(request, s3_servers):
    endpoint = S3Endpoint(s3_servers.get(request.param))
    endpoint.bucket = endpoint.create_bucket()
    try:
        yield endpoint
    finally:
        endpoint.clear_faults()


def one_map(server, tmp_path, prefix='site'):
    root = tmp_path / 'master'
    root.mkdir(exist_ok=True)
    return {'name': 'site', 's3': '%s/%s' % (server.bucket, prefix), 'master': str(root)}


def summary(host, ansible_env, tmp_path):
    """The messages of ``playbooks/watch.yml --tags watch_status`` for the host (task name -> list)."""
    inventory = tmp_path / 'inventory.json'
    inventory.write_text(json.dumps({'all': {
        'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
        'children': {'watch_hosts': {'hosts': {'box': {'watch_install_dir': host.install_dir,
                                                       'watch_maps': host.config['maps']}}}}}}))
    run = Runner(ansible_env, str(tmp_path), secrets=[host.s3.secret_key]).run(
        str(inventory), 'watch.yml', '--tags', 'watch_status')
    out = {}
    for task in (SERVICE, SUMMARY):
        result = run.results(task)['box']
        out[task] = [r['msg'] for r in result['results']] if 'results' in result else [result['msg']]
    return out


def test_refused_credentials_are_a_current_failure_in_status_and_summary(server, tmp_path, ansible_env):
    """The new user's trial: a wrong secret key. The status and the summary say the service runs
    and the map is FAILING since its first refused pass, with the reason; the failed passes (the
    rescan's listing, the targeted passes) are counted; once the key is right, a clean rescan
    clears the failure."""
    m = one_map(server, tmp_path)
    host = WatchHost(tmp_path / 'host', server, [m])
    wrong, reason = refused_credentials(server)
    host.config['connection'].update(wrong)
    host.write_config()
    try:
        host.start()  # its first rescan fails: the listing is refused
        write(m['master'], 'a.txt', 'a')  # a targeted pass is refused too, and retried (backing off)
        wait_for(lambda: host.map_status('site')['failed_passes'] >= 3, what='failed passes counted')
        doc = host.cli_status()
        site = doc['maps'][0]
        assert doc['running'] is True and doc['pid'] == host.proc.pid and doc['started_at']
        assert "listing s3://%s/site/" % server.bucket in site['last_error'] and reason in site['last_error']
        assert site['failing_since'] and site['failing_since'] <= site['last_error_at']
        assert site['last_scan'] and site['last_success'] is None and site['sent'] == 0 and site['failed'] == 0
        messages = summary(host, ansible_env, tmp_path)
        assert messages[SERVICE] == ['s32s-watch running (pid %d, since %s)' % (host.proc.pid, doc['started_at'])]
        [line] = messages[SUMMARY]
        # the rescan's listing of site/, or the targeted pass's of site/a.txt
        failing = "; FAILING since %s: map 'site': listing s3://%s/site/" % (site['failing_since'], server.bucket)
        assert failing in line, line
        assert reason in line and 'failed pass(es)' in line and 'NOT WATCHED' not in line, line
    finally:
        assert host.stop() == 0
    server.clear_faults()
    host.config['connection'].update(access_key=server.access_key, secret_key=server.secret_key)
    host.write_config()
    host.start()
    try:
        wait_for(lambda: host.map_status('site')['sent'] == 1, what='the upload with the right key')
        site = host.map_status('site')
        assert (site['last_error'], site['last_error_at'], site['failing_since']) == (None, None, None)
        assert site['last_success'] and site['failed_passes'] >= 3  # a counter: the failures stay counted
    finally:
        assert host.stop() == 0
    doc = host.cli_status()
    assert doc['running'] is False and doc['pid'] is None and doc['started_at'] is None
    messages = summary(host, ansible_env, tmp_path)
    assert messages[SERVICE][0].startswith('s32s-watch NOT RUNNING: nothing is sent until it runs again')
    assert 'FAILING' not in messages[SUMMARY][0] and 'NOT WATCHED: the service is stopped' in messages[SUMMARY][0]
    assert server.secret_key not in host.log_text()


def test_counters_start_again_when_a_map_points_elsewhere(server, tmp_path):
    """sent, last_scan and last_success belong to a map's destination: after its s3 changed, the
    status shows none of the old destination's counts (also before the service restarts), and the
    service counts the new destination from zero (it logs destination_changed)."""
    m = one_map(server, tmp_path, 'first')
    write(m['master'], 'a.txt', 'a')
    write(m['master'], 'b.txt', 'b')
    host = WatchHost(tmp_path / 'host', server, [m])
    host.start()
    try:
        wait_for(lambda: host.map_status('site')['sent'] == 2, what='two objects sent to the first prefix')
        first = host.map_status('site')
    finally:
        assert host.stop() == 0
    m['s3'] = '%s/second' % server.bucket
    host.write_config()
    moved = host.cli_status()['maps'][0]
    assert (moved['sent'], moved['last_scan'], moved['last_success'], moved['counted_since']) == (0, None, None, None)
    host.start()
    try:
        wait_for(lambda: host.map_status('site')['sent'] == 2, what='the two objects sent to the second prefix')
        site = host.map_status('site')
        assert bucket_objects(server, 'second/') == {'second/a.txt': b'a', 'second/b.txt': b'b'}
        assert site['counted_since'] > first['counted_since'] and site['last_success'] > first['last_success']
        assert site['sent'] == 2 and site['failed'] == site['failed_passes'] == 0
    finally:
        assert host.stop() == 0
    changed = [r for r in host.log_records() if r['event'] == 'destination_changed']
    assert [(r['map'], r['s3'], r['previous']) for r in changed] == [
        ('site', 's3://%s/second/' % server.bucket, '%s s3://%s/first/' % (server.endpoint_url, server.bucket))]
