# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An emptied side of a two-way share (docs/safety.md, promise 11), on both servers: the host is stuck
(every run refuses, changes nothing, downloads nothing) until the operator takes one of the two ways
out the message names: ``delete=false`` restores the emptied side, ``allow_empty_source=true`` (within
``max_delete``) propagates its deletions. Nothing outside the prefix or the directory is touched.
Through the role share too (``share_delete``, ``share_allow_empty_source``)."""

import json
import os
import shutil

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import SafetyError

from ansiblerun import contents, run_playbook, task_result, write as write_text
from syncrun import bucket_objects, put, write
from twowaykit import MUTATING, Replica, remote, remote_trash, trashed

FILES = {'a.txt': b'a', 'sub/b.txt': b'b', 'sub/deep/c.txt': b'c'}
#: Keys beside the prefix ``share/``: a sibling prefix, a key that only starts with it, another prefix.
OUTSIDE = {'share2/a.txt': b'sibling prefix', 'share.txt': b'starts with the prefix', 'other/a.txt': b'other'}


def shared(s3, tmp_path):
    """Two hosts in step on FILES, and the keys outside the prefix."""
    a, b = Replica(s3, tmp_path, 'web1'), Replica(s3, tmp_path, 'web2')
    for relpath, data in FILES.items():
        write(a.root, relpath, data)
    a.sync()
    b.sync()
    for key, data in OUTSIDE.items():
        put(s3, key, data)
    assert a.files() == b.files() == remote(s3) == FILES
    return a, b


def empty(root):
    """Remove everything in ``root`` but the directory itself (and the trash)."""
    for name in os.listdir(root):
        if name != '.s32s-trash':
            path = os.path.join(root, name)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def outside(s3):
    return {k: v for k, v in bucket_objects(s3).items() if not k.startswith('share/')}


def stuck(replica, s3, what):
    """Two runs in a row: each refuses, names both ways out, and sends no mutating request."""
    for _attempt in range(2):
        with s3.requests() as log, pytest.raises(SafetyError) as err:
            replica.sync()
        assert not [r for r in log.entries if r.method in MUTATING]
        msg = str(err.value)
        assert what + ' is empty while the last sync had 3 path(s); refusing 3 deletion(s)' in msg, msg
        assert 'sync once with delete=false to ' in msg and 'sync once with allow_empty_source=true' in msg, msg
        assert 'max_delete=unlimited' in msg, msg  # 3 of 3 exceed the default 50%: the advice says so
    return msg


def test_an_emptied_folder_is_stuck_then_restored_from_s3_with_delete_false(s3, tmp_path):
    a, b = shared(s3, tmp_path)
    empty(b.root)
    msg = stuck(b, s3, 'the local directory')
    assert 'to download them again from the S3 prefix' in msg
    assert b.files() == {} and remote(s3) == FILES
    restored = b.sync(delete=False)
    assert restored['downloaded'] == 3 and restored['deleted_remote'] == 0 and restored['uploaded'] == 0
    assert b.files() == remote(s3) == a.files() == FILES
    assert b.sync()['changed'] is False  # stuck no more: later runs are normal
    write(a.root, 'new.txt', b'n')
    a.sync()
    assert b.sync()['downloaded'] == 1
    assert outside(s3) == OUTSIDE


def test_an_emptied_folder_propagates_with_allow_empty_source_within_the_budget(s3, tmp_path):
    a, b = shared(s3, tmp_path)
    empty(b.root)
    stuck(b, s3, 'the local directory')
    budget = r'3 deletion\(s\) of 3 file\(s\) in the S3 prefix exceed max_delete=50%'
    with s3.requests() as log, pytest.raises(SafetyError, match=budget):
        b.sync(allow_empty_source=True)  # the budget still applies
    assert not [r for r in log.entries if r.method in MUTATING]
    done = b.sync(allow_empty_source=True, max_delete='unlimited')
    assert done['deleted_remote'] == 3 and done['downloaded'] == 0
    assert remote(s3) == {} and sorted(trashed(remote_trash(s3), p)[0] for p in FILES) == sorted(FILES.values())
    assert outside(s3) == OUTSIDE
    # the other host now sees an emptied prefix: stuck the same way until it is told too
    msg = stuck(a, s3, 'the bucket')
    assert 'to upload them again from the local directory' in msg
    done = a.sync(allow_empty_source=True, max_delete='unlimited')
    assert done['deleted_local'] == 3 and a.files() == {}
    assert sorted(trashed(a.trash(), p)[0] for p in FILES) == sorted(FILES.values())
    assert a.sync()['changed'] is False and b.sync()['changed'] is False
    assert outside(s3) == OUTSIDE


def test_an_emptied_prefix_is_restored_from_the_folder_with_delete_false(s3, tmp_path):
    a, b = shared(s3, tmp_path)
    client = s3.direct_client()
    for relpath in FILES:
        client.delete_object(Bucket=s3.bucket, Key='share/' + relpath)
    msg = stuck(a, s3, 'the bucket')
    assert 'to upload them again from the local directory' in msg and a.files() == FILES
    restored = a.sync(delete=False)
    assert restored['uploaded'] == 3 and restored['deleted_local'] == 0
    assert remote(s3) == FILES and b.sync()['changed'] is False and b.files() == FILES
    assert outside(s3) == OUTSIDE


# -- through the role share ------------------------------------------------------------------------------------

SHARE_TASK = 's32s.sync.share : Sync the directory with S3, both ways'


def test_the_role_names_its_variables_and_takes_both_ways_out(s3, tmp_path, ansible_env):
    tmp = str(tmp_path)
    root = os.path.join(tmp, 'h1', 'files')
    host = {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}',
            'share_path': root, 'share_s3': '%s/team' % s3.bucket, 'share_replica': 'h1',
            'share_state_dir': os.path.join(tmp, 'h1', 'state'), 'share_endpoint_url': s3.endpoint_url,
            'share_access_key': s3.access_key, 'share_secret_key': s3.secret_key, 'share_region': s3.region,
            'share_addressing_style': 'path'}
    inventory = os.path.join(tmp, 'inventory.json')
    write_text(inventory, json.dumps({'all': {'children': {'share_hosts': {'hosts': {'h1': host}}}}}))
    book = os.path.join(os.path.dirname(__file__), '..', '..', 'playbooks', 'share.yml')

    def run(*extra):
        rc, results, out, err = run_playbook(book, ansible_env, tmp, '-i', inventory, *extra)
        assert s3.secret_key not in out + err
        return rc, task_result(results, SHARE_TASK), out + err

    for relpath, data in FILES.items():
        write(root, relpath, data)
    assert run()[0] == 0
    put(s3, 'team2/x', b'sibling')
    empty(root)
    rc, result, out = run()
    assert rc != 0 and result['failed'], out[-3000:]
    assert ('sync once with delete=false (role s32s.sync.share: share_delete) to download them again'
            in result['msg']), result['msg']
    assert ('allow_empty_source=true (role s32s.sync.share: share_allow_empty_source) and max_delete=unlimited '
            '(role s32s.sync.share: share_max_delete)') in result['msg'], result['msg']
    rc, result, out = run('-e', 'share_delete=false')  # text, as -e gives it
    assert rc == 0 and result['downloaded'] == 3, out[-3000:]
    assert {k: v for k, v in contents(root).items() if not k.startswith('.s32s-trash/')} == FILES
    empty(root)
    rc, result, out = run('-e', 'share_allow_empty_source=true', '-e', 'share_max_delete=unlimited')
    assert rc == 0 and result['deleted_remote'] == 3, out[-3000:]
    assert not [k for k in bucket_objects(s3, 'team/') if not k.startswith('team/.s32s-trash/')]
    assert bucket_objects(s3, 'team2/') == {'team2/x': b'sibling'}
