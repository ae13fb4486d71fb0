# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher's deletions keep to their scope (issue 13; skynet's ``_delete`` removed every key starting
with ``a/b``, so ``a/bc`` went too): a local deletion removes exactly its own key, never a key that only
starts with it, never a key of a sibling prefix (``w`` vs ``w2``), never an ignored key; the targeted
pass (an event) and the full pass (a rescan) alike, on both servers."""

import os

import pytest

from syncrun import bucket_objects, make_store, put, write

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import validate_map
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.passes import run_pass


@pytest.mark.parametrize('targeted', [True, False], ids=['event', 'rescan'])
def test_a_watched_deletion_removes_its_own_key_only(s3, tmp_path, targeted):
    root, state = tmp_path / 'master', str(tmp_path / 'state')
    for relpath in ('a/b', 'a/bc', 'a/b.d/x', 'keep.txt'):
        write(root, relpath, relpath.encode())
    m = validate_map({'name': 'w', 's3': '%s/w' % s3.bucket, 'master': str(root), 'ignore': ['*.log']},
                     'master', 0, 't')[0]
    store = make_store(s3.client(), transfer_client='classic')
    options = SyncOptions(delete=True, state_dir=state, lock_dir=state)
    assert run_pass(m, store, options, s3.endpoint_url).error is None
    put(s3, 'w2/a/b', b'sibling prefix')
    put(s3, 'w/x.log', b'ignored by the map')
    os.remove(str(root / 'a' / 'b'))
    out = run_pass(m, store, options, s3.endpoint_url, only={'a/b'} if targeted else None)
    assert out.error is None and out.deleted == 1, (out.error, out.deleted)
    assert sorted(bucket_objects(s3, 'w')) == ['w/a/b.d/x', 'w/a/bc', 'w/keep.txt', 'w/x.log', 'w2/a/b']
