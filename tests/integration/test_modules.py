# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The modules through ansible-playbook: module_defaults, bad input (issues 3 and 5)."""

import json
import os

import pytest

from ansiblerun import run_playbook, task_result
from syncrun import bucket_objects, local_files, put, write
from s3servers import free_port


def defaults(s3):
    return {'group/s32s.sync.s32s': {'endpoint_url': s3.endpoint_url, 'access_key': s3.access_key,
                                     'secret_key': s3.secret_key, 'region': s3.region,
                                     'addressing_style': 'path'}}


def play(s3, tasks, module_defaults=None):
    return [{'name': 'test', 'hosts': 'localhost', 'gather_facts': False,
             'module_defaults': defaults(s3) if module_defaults is None else module_defaults, 'tasks': tasks}]


def test_module_defaults_group_sets_endpoint_and_credentials_once(s3, ansible_env, tmp_path):
    master, slave = tmp_path / 'master', tmp_path / 'slave'
    write(master, 'index.html', b'hello')
    write(master, 'sub/page.html', b'page')
    maps = [{'name': 'site', 's3': '%s/site' % s3.bucket, 'master': str(master), 'slave': str(slave)}]
    state = str(tmp_path / 'state')
    tasks = [
        {'name': 'push', 's32s.sync.s32s_push': {'maps': maps, 'state_dir': state}},
        {'name': 'pull', 's32s.sync.s32s_pull': {'maps': maps, 'state_dir': state}},
        {'name': 'replicate',
         's32s.sync.s32s_replicate': {'src': '%s/site' % s3.bucket, 'dest': [{'s3': '%s/mirror' % s3.bucket}]}},
        {'name': 'push again', 's32s.sync.s32s_push': {'maps': maps, 'state_dir': state}},
        {'name': 'pull again', 's32s.sync.s32s_pull': {'maps': maps, 'state_dir': state}},
    ]
    rc, results, out, err = run_playbook(play(s3, tasks), ansible_env, tmp_path)
    assert rc == 0, out[-3000:] + err[-3000:]
    assert [task_result(results, n)['changed'] for n in ('push', 'pull', 'replicate', 'push again', 'pull again')] \
        == [True, True, True, False, False]
    assert local_files(slave) == {'index.html': b'hello', 'sub/page.html': b'page'}
    assert bucket_objects(s3, 'mirror/') == {'mirror/index.html': b'hello', 'mirror/sub/page.html': b'page'}
    assert s3.secret_key not in out + err


def _push(s3, ansible_env, tmp_path, args, module_defaults=None):
    rc, results, out, err = run_playbook(
        play(s3, [{'name': 'push', 's32s.sync.s32s_push': args}], module_defaults), ansible_env, tmp_path)
    result = task_result(results, 'push')
    return rc, result


BAD_MAPS = [
    ('no name', [{'s3': 'B/site', 'master': 'M'}], "field 'name' is required"),
    ('no s3', [{'name': 'site', 'master': 'M'}], "map 'site' in option 'maps': field 's3' is required"),
    ('no master', [{'name': 'site', 's3': 'B/site', 'slave': '/tmp/x'}], "field 'master' is required to push"),
    ('ignore string', [{'name': 'site', 's3': 'B/site', 'master': 'M', 'ignore': '*.bmp'}],
     "field 'ignore' must be a list"),
    ('name number', [{'name': 7, 's3': 'B/site', 'master': 'M'}], "field 'name' is required and must be"),
    ('files string', [{'name': 'site', 's3': 'B/site', 'master': 'M', 'files': 'a.txt'}],
     "field 'files' must be a non-empty list"),
    ('relative master', [{'name': 'site', 's3': 'B/site', 'master': 'rel/dir'}], "must be an absolute path"),
    ('dotdot prefix', [{'name': 'site', 's3': 'B/site/../x', 'master': 'M'}], "unsafe prefix"),
]


@pytest.mark.parametrize('case,maps,message', BAD_MAPS, ids=[c[0] for c in BAD_MAPS])
def test_invalid_maps_fail_with_one_line_naming_the_field_and_touch_nothing(
        moto_s3, ansible_env, tmp_path, case, maps, message):
    master = tmp_path / 'master'
    write(master, 'a.txt', b'a')
    put(moto_s3, 'site/keep', b'keep')
    maps = json.loads(json.dumps(maps).replace('"B/', '"%s/' % moto_s3.bucket).replace('"M"', json.dumps(str(master))))
    rc, result = _push(moto_s3, ansible_env, tmp_path, {'maps': maps})
    assert rc != 0 and result.get('failed') is True
    assert message in result['msg'] and '\n' not in result['msg'], result['msg']
    assert bucket_objects(moto_s3) == {'site/keep': b'keep'}


@pytest.mark.parametrize('option', ['ignore', 'files', 'names'])
def test_a_string_where_a_list_is_expected_is_an_error(moto_s3, ansible_env, tmp_path, option):
    master = tmp_path / 'master'
    write(master, 'a.txt', b'a')
    args = {'s3': '%s/site' % moto_s3.bucket, 'src': str(master), option: '*.bak,x'}
    if option == 'names':
        args = {'maps': [{'name': 'site', 's3': '%s/site' % moto_s3.bucket, 'master': str(master)}], 'names': 'site'}
    rc, result = _push(moto_s3, ansible_env, tmp_path, args)
    assert rc != 0 and 'must be a' in result['msg'] and option in result['msg'], result['msg']
    assert bucket_objects(moto_s3) == {}


def test_over_budget_is_refused_with_the_count_and_changes_nothing(s3, ansible_env, tmp_path):
    master = tmp_path / 'master'
    write(master, 'a.txt', b'a')
    put(s3, 'site/a.txt', b'a')
    put(s3, 'site/stale1', b'1')
    put(s3, 'site/stale2', b'2')
    maps = [{'name': 'site', 's3': '%s/site' % s3.bucket, 'master': str(master)}]
    rc, result = _push(s3, ansible_env, tmp_path, {'maps': maps, 'max_delete': '1'})
    assert rc != 0 and result['changed'] is False
    assert result['msg'].count('nothing was changed') == 1 and 'max_delete=1' in result['msg'], result['msg']
    assert result['maps'][0]['status'] == 'refused' and result['maps'][0]['would_delete'] == 2
    assert bucket_objects(s3, 'site/') == {'site/a.txt': b'a', 'site/stale1': b'1', 'site/stale2': b'2'}


def test_invalid_json_map_file(moto_s3, ansible_env, tmp_path):
    path = tmp_path / 'maps.json'
    path.write_text('[{"name": "site",, }]')
    rc, result = _push(moto_s3, ansible_env, tmp_path, {'maps_file': str(path)})
    assert rc != 0 and 'is not valid JSON' in result['msg'] and str(path) in result['msg']
    assert 'line 1' in result['msg']


def test_maps_from_s3_prefix_read_only_json_directly_under_it(moto_s3, ansible_env, tmp_path):
    master = tmp_path / 'master'
    write(master, 'a.txt', b'a')
    good = [{'name': 'site', 's3': '%s/site' % moto_s3.bucket, 'master': str(master)}]
    put(moto_s3, 'cfg/maps/site.json', json.dumps(good))
    put(moto_s3, 'cfg/maps-old/broken.json', '[not json')
    put(moto_s3, 'cfg/maps/sub/ignored.json', '[not json')
    put(moto_s3, 'cfg/maps/readme.txt', 'not a map')
    rc, result = _push(moto_s3, ansible_env, tmp_path, {'maps_s3_path': 's3://%s/cfg/maps' % moto_s3.bucket})
    assert rc == 0, result
    assert [m['name'] for m in result['maps']] == ['site'] and result['changed']
    assert bucket_objects(moto_s3, 'site/') == {'site/a.txt': b'a'}


def test_maps_s3_path_without_any_map_file_says_where_it_looked(s3, ansible_env, tmp_path):
    put(s3, 'cfg/maps/readme.txt', 'not a map')
    rc, result = _push(s3, ansible_env, tmp_path, {'maps_s3_path': '%s/cfg/maps' % s3.bucket})
    assert rc != 0 and result['changed'] is False
    assert result['msg'] == ("maps_s3_path '%s/cfg/maps': no map file at s3://%s/cfg/maps and no .json object "
                             "under s3://%s/cfg/maps/" % (s3.bucket, s3.bucket, s3.bucket)), result['msg']


def test_missing_local_directory(moto_s3, ansible_env, tmp_path):
    put(moto_s3, 'site/keep', b'keep')
    maps = [{'name': 'site', 's3': '%s/site' % moto_s3.bucket, 'master': str(tmp_path / 'unmounted')}]
    rc, result = _push(moto_s3, ansible_env, tmp_path, {'maps': maps})
    assert rc != 0 and 'does not exist' in result['msg'] and "map" in result['msg']
    assert bucket_objects(moto_s3) == {'site/keep': b'keep'}


def test_missing_bucket(s3, ansible_env, tmp_path):
    master = tmp_path / 'master'
    write(master, 'a.txt', b'a')
    maps = [{'name': 'site', 's3': 'no-such-bucket-s32s/site', 'master': str(master)}]
    rc, result = _push(s3, ansible_env, tmp_path, {'maps': maps})
    assert rc != 0 and 'NoSuchBucket' in result['msg'] and 'no-such-bucket-s32s' in result['msg'], result['msg']


def test_wrong_credentials(rclone_s3, ansible_env, tmp_path):
    master = tmp_path / 'master'
    write(master, 'a.txt', b'a')
    maps = [{'name': 'site', 's3': '%s/site' % rclone_s3.bucket, 'master': str(master)}]
    md = defaults(rclone_s3)
    md['group/s32s.sync.s32s']['secret_key'] = 'wrong-secret-s32s-test'
    rc, result = _push(rclone_s3, ansible_env, tmp_path, {'maps': maps}, module_defaults=md)
    assert rc != 0 and ('SignatureDoesNotMatch' in result['msg'] or 'access denied' in result['msg']), result['msg']
    assert 'wrong-secret-s32s-test' not in json.dumps(result)
    assert bucket_objects(rclone_s3) == {}


def test_unreachable_endpoint(moto_s3, ansible_env, tmp_path):
    master = tmp_path / 'master'
    write(master, 'a.txt', b'a')
    maps = [{'name': 'site', 's3': 'bucket/site', 'master': str(master)}]
    md = defaults(moto_s3)
    md['group/s32s.sync.s32s']['endpoint_url'] = 'http://127.0.0.1:%d' % free_port()
    rc, result = _push(moto_s3, ansible_env, tmp_path, {'maps': maps, 'max_attempts': 2}, module_defaults=md)
    assert rc != 0 and 'EndpointConnectionError' in result['msg'] and '\n' not in result['msg'], result['msg']
    assert os.listdir(master) == ['a.txt']


@pytest.mark.parametrize('wanted,expected', [('auto', 'crt'), ('crt', 'crt'), ('classic', 'classic')])
def test_preferred_transfer_client(s3, ansible_env, tmp_path, wanted, expected):
    """awscrt is installed here (requirements-dev.txt): ``auto`` picks it; the files arrive either way."""
    master = tmp_path / 'master'
    write(master, 'a.txt', b'a')
    write(master, 'd/b.txt', b'bb')
    maps = [{'name': 'site', 's3': '%s/site' % s3.bucket, 'master': str(master)}]
    rc, result = _push(s3, ansible_env, tmp_path, {'maps': maps, 'preferred_transfer_client': wanted})
    assert rc == 0 and result['transfer_client'] == expected, result
    assert bucket_objects(s3, 'site/') == {'site/a.txt': b'a', 'site/d/b.txt': b'bb'}


def test_auto_stays_classic_behind_a_proxy(s3, ansible_env, tmp_path):
    """awscrt would not use the proxy of HTTPS_PROXY/HTTP_PROXY: ``auto`` keeps botocore, which does
    (NO_PROXY lets botocore reach the test server directly)."""
    master = tmp_path / 'master'
    write(master, 'a.txt', b'a')
    maps = [{'name': 'site', 's3': '%s/site' % s3.bucket, 'master': str(master)}]
    env = dict(ansible_env, HTTP_PROXY='http://127.0.0.1:9', NO_PROXY='127.0.0.1,localhost')
    rc, result = _push(s3, env, tmp_path, {'maps': maps})
    assert rc == 0 and result['transfer_client'] == 'classic', result
