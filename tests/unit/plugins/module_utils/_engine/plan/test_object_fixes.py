# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Object fixes in the plan (attributes and recorded mode, one action each) and the fingerprints the manifest
keeps (plan/object_fixes.py, issue 14.5, issue 15 point 3)."""

from __future__ import annotations

import json

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.attributes import ObjectAttributes
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.object_fixes import (
    applied_after, with_attribute_fixes)
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.plan import ATTRIBUTES, CREATE, Action, Plan
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.tree import Entry, Tree
from ansible_collections.s32s.sync.plugins.module_utils._engine.state import manifest as _manifest
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.records import Record

RULES = ObjectAttributes([{'pattern': '*.html', 'cache_control': 'no-cache'}])
FP = RULES.resolve('a.html').fingerprint


def tree(*names):
    out = Tree()
    for n in names:
        out.entries[n] = Entry(n, 3, 1, 'e')
    return out


def test_unchanged_paths_whose_fingerprint_differs_get_one_fix_each():
    plan = Plan(actions=(Action(CREATE, 'new.html', 3, 'new'),), unchanged=('a.html', 'b.html', 'c.css', 'd.html'))
    fixed = with_attribute_fixes(plan, tree('new.html', 'a.html', 'b.html', 'c.css', 'd.html'),
                                 {'a.html': FP, 'c.css': 'oldoldoldold'}, RULES.resolve)
    assert fixed.actions[0] == plan.actions[0]
    got = [(a.kind, a.relpath) for a in fixed.actions[1:]]
    assert got == [(ATTRIBUTES, 'b.html'), (ATTRIBUTES, 'c.css'), (ATTRIBUTES, 'd.html')]
    assert 'default -> %s' % FP in fixed.actions[1].reason and 'cache-control no-cache' in fixed.actions[1].reason
    assert 'oldoldoldold -> default' in fixed.actions[2].reason


def test_no_rules_and_an_old_manifest_cost_nothing():
    plan = Plan(unchanged=('a.html', 'b.css'))
    assert with_attribute_fixes(plan, tree('a.html', 'b.css'), {}, ObjectAttributes().resolve) is plan


def test_an_adopted_path_has_no_fingerprint():
    plan = Plan(unchanged=('a.html',), adopted=('a.html',))
    fixed = with_attribute_fixes(plan, tree('a.html'), {'a.html': FP}, RULES.resolve)
    assert [a.kind for a in fixed.actions] == [ATTRIBUTES]


def local_tree(*perms):
    out = Tree()
    for name, perm in perms:
        out.entries[name] = Entry(name, 3, 1, None, 0, 1, perm, 0, 0)
    return out


def test_push_fixes_objects_whose_carried_mode_is_not_the_file_s():
    plan = Plan(unchanged=('a', 'd/b', 'c'))
    src = local_tree(('a', 0o640), ('d/b', 0o644), ('c', 0o600))
    fixed = with_attribute_fixes(plan, src, {}, None, {'a': 0o644, 'd/b': 0o644, 'c': -2})
    assert [(a.kind, a.relpath, a.reason) for a in fixed.actions] == [
        (ATTRIBUTES, 'a', 'mode metadata 0644 -> 0640'), (ATTRIBUTES, 'c', 'mode metadata none -> 0600')]
    # not known (left out, or -1): no fix planned; modes not recorded: nothing to compare
    assert with_attribute_fixes(plan, src, {}, None, {'d/b': -1}) is plan
    assert with_attribute_fixes(plan, src, {}, None, None) is plan


def test_one_action_carries_a_mode_change_and_an_attribute_change():
    """A CopyObject REPLACE rewrites all metadata: a path whose fingerprint and mode both differ gets ONE fix."""
    plan = Plan(unchanged=('a.html', 'b.html'))
    src = local_tree(('a.html', 0o755), ('b.html', 0o644))
    fixed = with_attribute_fixes(plan, src, {'b.html': FP}, RULES.resolve, {'a.html': 0o644, 'b.html': 0o644})
    assert [(a.kind, a.relpath) for a in fixed.actions] == [(ATTRIBUTES, 'a.html')]
    reason = fixed.actions[0].reason
    assert reason.startswith('mode metadata 0644 -> 0755; attributes default -> %s: ' % FP), reason
    assert 'cache-control no-cache' in reason


def test_applied_after_keeps_recorded_paths_and_takes_the_written_ones():
    plan = Plan(unchanged=('keep.html', 'fixed.html', 'adopted.html'), adopted=('adopted.html',))
    records = dict.fromkeys(('keep.html', 'fixed.html', 'adopted.html', 'up.html', 'up.css'), Record(1, 2, 3, 4, 'e'))
    old = {'keep.html': 'k', 'fixed.html': 'f', 'adopted.html': 'a', 'gone.html': 'g', 'failed.html': 'x'}

    def fp_of(relpath):
        return RULES.resolve(relpath).fingerprint

    after = applied_after(plan, records, old, ['fixed.html', 'up.html', 'up.css'], fp_of)
    assert after == {'keep.html': 'k', 'fixed.html': FP, 'up.html': FP}
    # a pull (no fingerprint function): what it downloaded says nothing of the object's attributes
    assert applied_after(plan, records, old, ['keep.html'], None) == {'fixed.html': 'f'}


def test_manifest_keeps_fingerprints_and_loads_older_files_without_them(tmp_path):
    path = str(tmp_path / 'm.json')
    records = {'a': Record(3, 1, 2, 4, 'e'), 'b': Record(3, 1, 2, 5, 'f')}
    _manifest.save(path, _manifest.LOCAL_S3, records, {}, 2, {'a': 'abcdefabcdef', 'gone': 'x'})
    state = _manifest.load(path, _manifest.LOCAL_S3)
    assert state.records == records and state.attrs == {'a': 'abcdefabcdef'}
    _manifest.save(path, _manifest.LOCAL_S3, records, {}, 2)
    with open(path, encoding='utf-8') as f:
        assert 'attrs' not in json.load(f)  # nothing to record: the file has the older shape
    state = _manifest.load(path, _manifest.LOCAL_S3)
    assert state.records == records and state.attrs == {}
    with open(path, encoding='utf-8') as f:
        data = json.load(f)
    data['attrs'] = ['not', 'a', 'dict']
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(data, f)
    assert _manifest.load(path, _manifest.LOCAL_S3).records == records
