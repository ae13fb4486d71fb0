# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Site-safe order in the executor (jobs/executor.py): creates, then updates, then deletions.

The pool is a stand-in that records the batches it is given and fails the paths a test names
(it never calls the transfer, so no request is sent); the sides are real (a push: local to S3 on a
botocore client of a dummy endpoint) because the executor picks the transfer from them.
"""

from __future__ import annotations

import botocore.session
import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import S3Location
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.executor import apply_plan
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.report import to_result
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.runner import Pair, PairRun, finish_pair
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.plan import CREATE, DELETE, UPDATE, Action, Plan
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.local import LocalSide
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3 import S3Side
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import S3Store
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.tree import Tree


class Pool:
    def __init__(self, failing=()):
        self.batches = []
        self.failing = set(failing)

    def run(self, _fn, items):
        self.batches.append([a.relpath for a in items])
        return [(a, None, 'boom' if a.relpath in self.failing else '') for a in items]


# plan order is relpath order: the updates sort before the creates here
PLAN = Plan(actions=(Action(UPDATE, 'a-index.html', 5, 'content differs'), Action(CREATE, 'b-main.222.js', 3, 'new'),
                     Action(DELETE, 'c-main.111.js', 3, 'not in source'), Action(UPDATE, 'd-page.html', 4, 'size'),
                     Action(CREATE, 'e-style.222.css', 2, 'new')))


@pytest.fixture
def sides(tmp_path):
    client = botocore.session.get_session().create_client(
        's3', region_name='us-east-1', endpoint_url='http://127.0.0.1:1', aws_access_key_id='AK',
        aws_secret_access_key='SK')
    return LocalSide(str(tmp_path)), S3Side(S3Store(client), S3Location('bkt', 'site'), '')


def test_ordered_runs_two_batches_unordered_one(sides):
    src, dst = sides
    deleted = []

    def delete_many(relpaths):
        deleted.append(list(relpaths))
        outcome = type('Outcome', (), {})()
        outcome.deleted, outcome.failed, outcome.not_attempted = list(relpaths), [], []
        return outcome

    dst.delete_many = delete_many
    pool = Pool()
    applied = apply_plan(PLAN, src, dst, Tree(), Tree(), pool)
    assert pool.batches == [['b-main.222.js', 'e-style.222.css'], ['a-index.html', 'd-page.html']]
    assert deleted == [['c-main.111.js']]  # after every transfer
    assert [a.relpath for a in applied.done] == ['b-main.222.js', 'e-style.222.css', 'a-index.html', 'd-page.html',
                                                 'c-main.111.js']
    pool = Pool()
    apply_plan(PLAN, src, dst, Tree(), Tree(), pool, ordered=False)
    assert pool.batches == [['a-index.html', 'b-main.222.js', 'd-page.html', 'e-style.222.css']]


def test_a_failed_create_keeps_the_updates_and_deletions_from_running(sides):
    src, dst = sides
    dst.delete_many = lambda relpaths: pytest.fail('a deletion ran after a failed transfer')
    pool = Pool(failing=['e-style.222.css'])
    applied = apply_plan(PLAN, src, dst, Tree(), Tree(), pool)
    assert pool.batches == [['b-main.222.js', 'e-style.222.css']]
    assert applied.failed == [('e-style.222.css', 'boom')]
    assert [a.relpath for a in applied.not_run] == ['a-index.html', 'd-page.html', 'c-main.111.js']
    run = PairRun(Pair('site', "map 'site'", src, dst, ignore=IgnoreRules(), shown=('s3://bkt/site/', '/m')))
    run.plan, run.applied = PLAN, applied
    finish_pair(run)
    assert run.error == ("map 'site': 1 action(s) failed, first 'e-style.222.css': boom; 2 update(s) not run "
                         "(site-safe order); 1 deletion(s) not run")
    lines = to_result([run], SyncOptions(), check_mode=False, diff=True)['diff']['prepared'].splitlines()
    assert lines[-3:] == [
        "[site] NOT RUN update s3://bkt/site/a-index.html (content differs, 5 bytes) [1 new file(s) failed "
        "(site-safe order)]",
        "[site] NOT RUN update s3://bkt/site/d-page.html (size, 4 bytes) [1 new file(s) failed (site-safe order)]",
        "[site] NOT RUN delete s3://bkt/site/c-main.111.js (not in source, 3 bytes) [1 transfer(s) failed]"]
    # without site-safe order the updates run beside the failed create (the deletions still do not)
    pool = Pool(failing=['e-style.222.css'])
    applied = apply_plan(PLAN, src, dst, Tree(), Tree(), pool, ordered=False)
    assert [a.relpath for a in applied.done] == ['a-index.html', 'b-main.222.js', 'd-page.html']
    assert [a.relpath for a in applied.not_run] == ['c-main.111.js']
