# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""s32s_replicate keeps the site-safe order (issue 15 point 11) and reports an unreported change
(point 1), on both servers.

Order: as tests/integration/test_site_safe_order.py for push and pull, with server-side copies
(CopyObject) from ``site/`` to ``mirror/`` in one bucket: the pages sort first, so without
``ordered`` their updates start before the new assets exist on the destination.

Unreported change: an engine run that copies and is never reported (the module's result never
reached Ansible) leaves its marker; the module's next run has nothing to copy yet reports
``changed`` with the destination's ``changed_earlier``, and the run after it reports no change.
"""

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import parse_s3_location
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions, parse_budget
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.replicate import Destination, replicate
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.report import to_result
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import S3Store
from ansiblerun import run_playbook
from safetykit import assert_site_safe_order
from syncrun import bucket_objects, put

PAGES = 6
ASSETS = 6


def release(s3, number):
    """Write release ``number`` (1: old, 2: new) under ``site/``."""
    client = s3.direct_client()
    for n in range(PAGES):
        put(s3, 'site/a-page-%02d.html' % n, b'<html>release %d of page %02d</html>' % (number, n))
    if number == 1:
        put(s3, 'site/z-asset-00.111.js', b'old')
    else:
        for n in range(ASSETS):
            put(s3, 'site/z-asset-%02d.222.js' % n, b'new %d' % n)
        client.delete_object(Bucket=s3.bucket, Key='site/z-asset-00.111.js')


def replicate_engine(s3, state_dir, **opts):
    """Replicate site/ to mirror/ through the engine alone: nothing reports the run."""
    options = SyncOptions(delete=True, max_delete=parse_budget('unlimited'), concurrency=4, state_dir=state_dir,
                          lock_dir=state_dir, **opts)
    store = S3Store(s3.client())
    runs = replicate(store, parse_s3_location('%s/site' % s3.bucket), s3.endpoint_url,
                     [Destination('mirror', store, parse_s3_location('%s/mirror' % s3.bucket), s3.endpoint_url)],
                     IgnoreRules(None), options, check_mode=False)
    return to_result(runs, options, check_mode=False, diff=True)


@pytest.mark.parametrize('ordered', [True, False], ids=['ordered', 'unordered'])
def test_replicate_creates_complete_before_the_first_update_starts(s3, tmp_path, ordered):
    state_dir = str(tmp_path / 'state')
    release(s3, 1)
    assert replicate_engine(s3, state_dir)['changed']
    release(s3, 2)
    with s3.requests() as log:
        result = replicate_engine(s3, state_dir, ordered=ordered)
    totals = result['totals']
    assert (totals['created'], totals['updated'], totals['deleted']) == (ASSETS, PAGES, 1), totals
    copies = assert_site_safe_order(log, 'CopyObject', 'mirror/', ASSETS, PAGES, ordered)
    deletes = [r for r in log.entries if r.op == 'DeleteObjects']
    assert len(deletes) == 1 and deletes[0].start >= max(r.done for r in copies)
    assert set(bucket_objects(s3, 'mirror/')) == {k.replace('site/', 'mirror/', 1) for k in bucket_objects(s3, 'site/')}


def test_unreported_replication_is_reported_by_the_next_run(s3, ansible_env, tmp_path):
    state_dir = str(tmp_path / 'state')
    release(s3, 1)
    assert replicate_engine(s3, state_dir)['changed']  # changed, never reported
    args = dict(s3.module_params(), src='%s/site' % s3.bucket, state_dir=state_dir,
                dest=[{'s3': '%s/mirror' % s3.bucket, 'name': 'mirror'}])
    play = [{'name': 'replicate', 'hosts': 'localhost', 'gather_facts': False,
             'tasks': [{'name': 'first', 's32s.sync.s32s_replicate': args, 'register': 'first'},
                       {'name': 'second', 's32s.sync.s32s_replicate': args}]}]
    with s3.requests() as log:
        rc, results, out, err = run_playbook(play, ansible_env, tmp_path)
    assert rc == 0, out[-3000:] + err[-2000:]
    first, second = (next(r['result'] for r in results if r['task'] == name) for name in ('first', 'second'))
    assert first['changed'] and first['destinations'][0]['changed_earlier'], first
    assert first['totals']['created'] == 0 and first['totals']['updated'] == 0
    assert not second['changed'] and not second['destinations'][0]['changed_earlier'], second
    assert log.count('CopyObject') == 0
