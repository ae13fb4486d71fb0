# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The job runner's planning (plugins/module_utils/_engine/jobs/runner.py), without a server:
the source listings are given, the destination is a real local directory."""

import os

import botocore.session
import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import S3Location
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions
from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import ConfigError
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.runner import (
    Pair, PairRun, PlanningError, plan_pair, run_pairs)
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.local import LocalSide
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3 import S3Side
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import S3Store
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.tree import Entry, Tree

TEMP = '.s32s-tmp-0123456789abcdef'


def s3_side():
    client = botocore.session.get_session().create_client(
        's3', region_name='us-east-1', endpoint_url='http://127.0.0.1:9', aws_access_key_id='a',
        aws_secret_access_key='b')
    return S3Side(S3Store(client), S3Location('bkt', 'site'))


def listing(*relpaths):
    tree = Tree()
    for p in relpaths:
        tree.entries[p] = Entry(p, 1, 0, 'e%031d' % len(p))
    return tree


def test_a_shared_source_listing_is_not_changed_by_one_pair(tmp_path):
    """A source listed once for several pairs (replicate) stays as listed when one pair's
    destination refuses some of its names (a local side's temporary-file names)."""
    shared = listing('a.txt', 'sub/' + TEMP)
    src = s3_side()
    runs = [PairRun(Pair('m%d' % i, "map 'm%d'" % i, src, LocalSide(str(tmp_path / str(i)), must_exist=False,
                                                                    links_as_entries=True),
                         ignore=IgnoreRules(), src_tree=shared)) for i in range(2)]
    for run in runs:
        plan_pair(run, SyncOptions())
        assert [a.relpath for a in run.plan.transfers] == ['a.txt']
        assert run.src.skipped == [('sub/' + TEMP, "name reserved for pull's temporary files")]
    assert sorted(shared.entries) == ['a.txt', 'sub/' + TEMP] and shared.skipped == []


def test_two_local_sides_are_refused_before_any_listing(tmp_path):
    run = PairRun(Pair('m', "map 'm'", LocalSide(str(tmp_path)), LocalSide(str(tmp_path / 'd'), must_exist=False),
                       ignore=IgnoreRules()))
    with pytest.raises(ConfigError, match='no transfer from LocalSide to LocalSide'):
        plan_pair(run, SyncOptions())


def test_a_refusal_carries_the_note_of_its_pair(tmp_path):
    """A map with an unknown field (``fles``) says so where the user looks: in its refusal."""
    def refuse():
        raise ConfigError('3 deletion(s) exceed max_delete=50% (limit 2); nothing was changed')

    pair = Pair('conf', "map 'conf'", LocalSide(str(tmp_path)), s3_side(), ignore=IgnoreRules(), precheck=refuse,
                note="; note: this map has unknown field 'fles' ignored (a typo of 'files'?)")
    with pytest.raises(PlanningError) as info:
        run_pairs([pair], SyncOptions(), check_mode=True)
    assert info.value.msg == ("map 'conf': 3 deletion(s) exceed max_delete=50% (limit 2); nothing was changed; note: "
                              "this map has unknown field 'fles' ignored (a typo of 'files'?)")


def test_a_destination_link_that_cannot_be_read_refuses_the_map_naming_it(tmp_path, monkeypatch):
    """Not a bare ``[Errno ...]``: the map, the path, and that nothing was changed."""
    dest = tmp_path / 'dest'
    dest.mkdir()
    (dest / 'current').symlink_to('releases/1')
    real_lstat = os.lstat

    def lstat(path, *args, **kw):
        if os.path.basename(str(path)) == 'current':
            raise PermissionError(13, 'Permission denied')
        return real_lstat(path, *args, **kw)
    monkeypatch.setattr(os, 'lstat', lstat)
    pair = Pair('www', "map 'www'", s3_side(), LocalSide(str(dest), must_exist=False, links_as_entries=True),
                ignore=IgnoreRules(), src_tree=listing('a.txt'))
    with pytest.raises(PlanningError) as info:
        run_pairs([pair], SyncOptions(), check_mode=False)
    assert info.value.msg == ("map 'www': cannot read the symlink 'current' in %s: Permission denied; nothing was "
                              "changed" % dest)
    assert sorted(os.listdir(dest)) == ['current']
