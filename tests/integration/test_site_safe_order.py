# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Site-safe order (issue 15 point 11), seen in the order the server gets the requests, on both servers.

A release swaps old assets for new ones (``z-asset-NN.222.js`` created, ``z-asset-00.111.js`` deleted)
and edits the pages that load them (``a-page-NN.html`` updated). The pages sort first, so the plan
(in path order) lists every update before any create. With ``ordered`` (the default), the answer to
the last create's request is sent before the first update's request arrives, and the deletion comes
after every transfer; with ``ordered: false`` the updates start first (the pool takes the plan in
order), which is what the default prevents.
"""

import os

import pytest

from ansiblerun import run_playbook
from safetykit import assert_site_safe_order
from syncrun import put, write

PAGES = 6
ASSETS = 6
TRANSFER = {'push': 'PutObject', 'pull': 'GetObject'}


def page(n, release):
    return ('<html><script src="z-asset-%02d.%s.js"></script></html>' % (n, release)).encode()


def run(direction, s3, ansible_env, tmp_path, root, state_dir, **options):
    args = dict(s3.module_params(), s3='%s/site' % s3.bucket, state_dir=state_dir, concurrency=4, max_delete='unlimited',
                **options)
    args['src' if direction == 'push' else 'dest'] = root
    module = 's32s.sync.s32s_push' if direction == 'push' else 's32s.sync.s32s_pull'
    play = [{'name': direction, 'hosts': 'localhost', 'gather_facts': False,
             'tasks': [{'name': 'sync', module: args}]}]
    rc, results, out, err = run_playbook(play, ansible_env, tmp_path)
    assert rc == 0, out[-3000:] + err[-2000:]
    return next(r['result'] for r in results if r['task'] == 'sync')


def release(direction, s3, root, number):
    """Write release ``number`` (1: old, 2: new) to the source side."""
    files = {'a-page-%02d.html' % n: page(n, '%d%d%d' % ((number,) * 3)) for n in range(PAGES)}
    if number == 1:
        files['z-asset-00.111.js'] = b'old'
    else:
        files.update({'z-asset-%02d.222.js' % n: b'new %d' % n for n in range(ASSETS)})
    for relpath, data in files.items():
        if direction == 'push':
            write(root, relpath, data)
        else:
            put(s3, 'site/' + relpath, data)
    if number == 2:
        if direction == 'push':
            os.unlink(os.path.join(root, 'z-asset-00.111.js'))
        else:
            s3.direct_client().delete_object(Bucket=s3.bucket, Key='site/z-asset-00.111.js')


@pytest.mark.parametrize('direction', ['push', 'pull'])
@pytest.mark.parametrize('ordered', [True, False], ids=['ordered', 'unordered'])
def test_every_create_completes_before_the_first_update_starts(s3, ansible_env, tmp_path, direction, ordered):
    root, state_dir = str(tmp_path / 'root'), str(tmp_path / 'state')
    release(direction, s3, root, 1)
    run(direction, s3, ansible_env, tmp_path, root, state_dir)
    release(direction, s3, root, 2)
    options = {} if ordered else {'ordered': False}
    with s3.requests() as log:
        result = run(direction, s3, ansible_env, tmp_path, root, state_dir, **options)
    totals = result['totals']
    assert (totals['created'], totals['updated'], totals['deleted']) == (ASSETS, PAGES, 1), totals
    transfers = assert_site_safe_order(log, TRANSFER[direction], 'site/', ASSETS, PAGES, ordered)
    if direction == 'push':
        deletes = [r for r in log.entries if r.op == 'DeleteObjects']
        assert len(deletes) == 1 and deletes[0].start >= max(r.done for r in transfers)
