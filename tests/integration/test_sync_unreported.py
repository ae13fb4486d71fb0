# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""s32s_sync reports a change no run reported (issue 15 point 1), on both servers.

An engine run of the two-way sync that uploads one file and downloads another is never reported
(as when the module's result never reached Ansible); it leaves its markers in the state
directory. The module's next run has nothing to transfer, yet reports ``changed`` and
``changed_local`` (what the share role's handler follows) with ``changed_earlier``; a check in
between reports the same and keeps the markers; the run after reports no change.
"""

import os

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import parse_s3_location
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import FOLLOW_NEVER, SyncOptions
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.two_way import SyncJob, run_sync
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.two_way_report import to_result
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.local import LocalSide
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3 import S3Side
from ansiblerun import run_playbook
from syncrun import make_store, put, write


def test_unreported_two_way_change_is_reported_by_the_next_run(s3, ansible_env, tmp_path):
    root, state = str(tmp_path / 'files'), str(tmp_path / 'state')
    write(root, 'local.txt', b'from this host')
    put(s3, 'share/remote.txt', b'from another host')
    job = SyncJob(local=LocalSide(root, follow_symlinks=FOLLOW_NEVER, must_exist=False),
                  remote=S3Side(make_store(s3.client()), parse_s3_location('%s/share' % s3.bucket), s3.endpoint_url),
                  ignore=IgnoreRules(None), options=SyncOptions(follow_symlinks=FOLLOW_NEVER, state_dir=state),
                  replica='box', label='sync box', unreported=True)  # as the module's job
    unreported = to_result(run_sync(job, check_mode=False), check_mode=False, diff=False)
    assert unreported['changed'] and unreported['changed_local'] and not unreported['changed_earlier']
    assert os.path.exists(job.unreported_path()) and os.path.exists(job.unreported_path(local_only=True))

    args = dict(s3.module_params(), s3='%s/share' % s3.bucket, path=root, state_dir=state, replica='box')
    play = [{'name': 'share', 'hosts': 'localhost', 'gather_facts': False,
             'tasks': [{'name': 'check', 's32s.sync.s32s_sync': args, 'check_mode': True},
                       {'name': 'first', 's32s.sync.s32s_sync': args},
                       {'name': 'second', 's32s.sync.s32s_sync': args}]}]
    with s3.requests() as log:
        rc, results, out, err = run_playbook(play, ansible_env, tmp_path)
    assert rc == 0, out[-3000:] + err[-2000:]
    check, first, second = (next(r['result'] for r in results if r['task'] == name)
                            for name in ('check', 'first', 'second'))
    for result in (check, first):
        assert result['changed'] and result['changed_local'] and result['changed_earlier'], result
        assert result['uploaded'] == 0 and result['downloaded'] == 0, result
    assert not second['changed'] and not second['changed_local'] and not second['changed_earlier'], second
    assert log.count('PutObject', key='share/local.txt') == 0 and log.count('GetObject', key='share/remote.txt') == 0
    assert not os.path.exists(job.unreported_path()) and not os.path.exists(job.unreported_path(local_only=True))
