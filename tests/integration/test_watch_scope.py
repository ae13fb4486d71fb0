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
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.config import parse_config
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.passes import REFUSED, run_pass
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.service import sync_options
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.two_way_pass import run_two_way


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


@pytest.mark.parametrize('targeted', [True, False], ids=['event', 'rescan'])
def test_an_emptied_master_deletes_only_with_allow_empty_source_and_only_its_prefix(s3, tmp_path, targeted):
    """An emptied watched directory: refused (its advice names the configuration key and the role's
    variable, and the budget it also needs), then, with ``allow_empty_source`` and the budget, its
    own keys go and nothing else: not the sibling prefix, not an ignored key."""
    root, state = tmp_path / 'master', str(tmp_path / 'state')
    for relpath in ('a/b', 'c.txt', 'd.txt'):
        write(root, relpath, relpath.encode())
    raw = {'version': 1, 'state_dir': state, 'delete': True,
           'maps': [{'name': 'w', 's3': '%s/w' % s3.bucket, 'master': str(root), 'ignore': ['*.log']}]}
    config = parse_config(raw)
    store = make_store(s3.client(), transfer_client='classic')
    assert run_pass(config.maps[0], store, sync_options(config), s3.endpoint_url).error is None
    put(s3, 'w2/a/b', b'sibling prefix')
    put(s3, 'w/x.log', b'ignored by the map')
    for relpath in ('a/b', 'c.txt', 'd.txt'):
        os.remove(str(root / relpath))
    os.rmdir(str(root / 'a'))
    only = {'a/b', 'c.txt', 'd.txt'} if targeted else None
    out = run_pass(config.maps[0], store, sync_options(config), s3.endpoint_url, only=only)
    assert out.deleted == 0 and out.problem, out
    if not targeted:  # the full pass is refused by the gate, with the advice
        assert ('set allow_empty_source: true in the service configuration (role s32s.sync.watch: '
                'watch_allow_empty_source) and max_delete: unlimited in the service configuration (role '
                's32s.sync.watch: watch_max_delete) if this is intended') in out.error, out.error
    assert len(bucket_objects(s3, 'w/')) == 4
    allowed = parse_config(dict(raw, allow_empty_source=True, max_delete='unlimited'))
    out = run_pass(allowed.maps[0], store, sync_options(allowed), s3.endpoint_url, only=only)
    assert out.error is None and out.deleted == 3, (out.error, out.deleted)
    assert sorted(bucket_objects(s3, '')) == ['w/x.log', 'w2/a/b']


def test_an_emptied_two_way_master_names_the_role_variables_and_propagates_only_when_allowed(s3, tmp_path):
    """A two-way map (the job of s32s_sync): an emptied master is refused with both ways out in the
    service's words; with allow_empty_source and the budget its deletions reach the prefix, and only it."""
    root, state = tmp_path / 'master', str(tmp_path / 'state')
    for relpath in ('a.txt', 'sub/b.txt', 'c.txt'):
        write(root, relpath, relpath.encode())
    raw = {'version': 1, 'state_dir': state, 'delete': True,
           'maps': [{'name': 'w', 's3': '%s/w' % s3.bucket, 'master': str(root), 'mode': 'two-way'}]}
    config = parse_config(raw)
    store = make_store(s3.client(), transfer_client='classic')
    assert run_two_way(config.maps[0], store, sync_options(config), s3.endpoint_url, replica='h1').error is None
    put(s3, 'w2/a.txt', b'sibling prefix')
    for relpath in ('a.txt', 'sub/b.txt', 'c.txt'):
        os.remove(str(root / relpath))
    out = run_two_way(config.maps[0], store, sync_options(config), s3.endpoint_url, replica='h1')
    assert out.problem == REFUSED and out.deleted == 0, out
    assert ('sync once with delete: false in the service configuration (role s32s.sync.watch: watch_delete) to '
            'download them again') in out.error, out.error
    assert 'allow_empty_source: true in the service configuration (role s32s.sync.watch: watch_allow_empty_source)' \
        in out.error, out.error
    allowed = parse_config(dict(raw, allow_empty_source=True, max_delete='unlimited'))
    out = run_two_way(allowed.maps[0], store, sync_options(allowed), s3.endpoint_url, replica='h1')
    assert out.error is None and out.deleted == 3, (out.error, out.deleted)
    assert [k for k in bucket_objects(s3, '') if '/.s32s-trash/' not in k] == ['w2/a.txt']
