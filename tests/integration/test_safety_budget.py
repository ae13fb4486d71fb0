# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safety, issue 4 point 3: the deletion budget ``max_delete`` is checked against the whole
plan before the first mutating request.  A run over budget changes nothing at all (not
even its uploads, nor the other maps) and says how many deletions it would have made.

``max_delete``: a count (``5``), a percentage of the destination's files (``'50%'``,
rounded up; the default), or ``'unlimited'`` / ``-1``.
"""

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import ConfigError
from safetykit import all_objects, files_of, mutations, refused, seed, snapshot
from syncrun import sync, write

TEN = {'site/f%d.txt' % i: b'%d' % i for i in range(10)}
SIBLINGS = {'site-old/a.txt': b'old', 'site.json': b'{}'}


def master_keeping(tmp_path, n, extra=None):
    """A master holding the first ``n`` of the ten files (plus ``extra``)."""
    master = tmp_path / 'master'
    master.mkdir(parents=True)
    for i in range(n):
        write(master, 'f%d.txt' % i, b'%d' % i)
    for rel, data in (extra or {}).items():
        write(master, rel, data)
    return master


def push_map(s3, master, name='site', prefix='site'):
    return [dict(name=name, s3='%s/%s' % (s3.bucket, prefix), master=str(master))]


def slave_of_ten(tmp_path):
    slave = tmp_path / 'slave'
    for i in range(10):
        write(slave, 'f%d.txt' % i, b'%d' % i)
    return slave


def pull_map(s3, slave):
    return [dict(name='site', s3='%s/site' % s3.bucket, slave=str(slave))]


def test_count_over_budget_changes_nothing(s3, tmp_path):
    """6 deletions with ``max_delete: 5``: refused before the first request that changes
    anything (the new file is not uploaded either); the message gives the count."""
    master = master_keeping(tmp_path, 4, {'new.txt': b'new'})
    seed(s3, dict(SIBLINGS, **TEN))
    with s3.requests() as log, refused(r"6 deletion\(s\) of 10 destination file\(s\) exceed max_delete=5 "
                                       r"\(limit 5\); nothing was changed"):
        sync('push', s3, push_map(s3, master), max_delete=5)
    assert mutations(log) == []
    assert all_objects(s3) == dict(SIBLINGS, **TEN)


def test_count_at_budget_runs(s3, tmp_path):
    """Exactly ``max_delete`` deletions are allowed, and only those keys go."""
    master = master_keeping(tmp_path, 4)
    seed(s3, dict(SIBLINGS, **TEN))
    result = sync('push', s3, push_map(s3, master), max_delete=6)
    assert result['totals']['deleted'] == 6
    assert all_objects(s3) == dict(SIBLINGS, **{'site/f%d.txt' % i: b'%d' % i for i in range(4)})


def test_default_budget_is_half_of_destination(s3, tmp_path):
    """Default ``50%``: 6 of 10 refused (limit 5); 5 of 10 allowed."""
    seed(s3, dict(SIBLINGS, **TEN))
    with refused(r'6 deletion\(s\) of 10 .* max_delete=50% \(limit 5\)'):
        sync('push', s3, push_map(s3, master_keeping(tmp_path, 4)))
    assert all_objects(s3) == dict(SIBLINGS, **TEN)
    write(tmp_path / 'master', 'f4.txt', b'4')
    result = sync('push', s3, push_map(s3, tmp_path / 'master'))
    assert result['totals']['deleted'] == 5
    assert all_objects(s3) == dict(SIBLINGS, **{'site/f%d.txt' % i: b'%d' % i for i in range(5)})


def test_percent_budget_on_pull(s3, tmp_path):
    """``30%`` of a 10-file slave directory is 3: 4 local deletions are refused (the slave is
    untouched, the new file is not downloaded), and ``40%`` lets exactly those 4 go."""
    seed(s3, dict(SIBLINGS, **{k: v for k, v in TEN.items() if k not in
                               ('site/f6.txt', 'site/f7.txt', 'site/f8.txt', 'site/f9.txt')},
                  **{'site/new.txt': b'new'}))
    slave = slave_of_ten(tmp_path)
    before = snapshot(slave)
    with refused(r'4 deletion\(s\) of 10 .* max_delete=30% \(limit 3\)'):
        sync('pull', s3, pull_map(s3, slave), max_delete='30%')
    assert snapshot(slave) == before
    result = sync('pull', s3, pull_map(s3, slave), max_delete='40%')
    assert (result['totals']['created'], result['totals']['deleted']) == (1, 4)
    assert files_of(snapshot(slave)) == dict({'f%d.txt' % i: b'%d' % i for i in range(6)}, **{'new.txt': b'new'})


@pytest.mark.parametrize('unlimited', ['unlimited', -1, '-1'])
def test_unlimited_budget(s3, tmp_path, unlimited):
    """``unlimited`` (or ``-1``): 9 deletions of 10 go, and nothing beside the prefix."""
    seed(s3, dict(SIBLINGS, **TEN))
    result = sync('push', s3, push_map(s3, master_keeping(tmp_path, 1)), max_delete=unlimited)
    assert result['totals']['deleted'] == 9
    assert all_objects(s3) == dict(SIBLINGS, **{'site/f0.txt': b'0'})


def test_zero_budget_allows_transfers_only(s3, tmp_path):
    """``max_delete: 0`` refuses any deletion; a run without deletions still uploads."""
    seed(s3, TEN)
    with refused(r'1 deletion\(s\) .* max_delete=0'):
        sync('push', s3, push_map(s3, master_keeping(tmp_path, 9)), max_delete=0)
    assert all_objects(s3) == TEN
    write(tmp_path / 'master', 'f9.txt', b'9')
    write(tmp_path / 'master', 'new.txt', b'new')
    result = sync('push', s3, push_map(s3, tmp_path / 'master'), max_delete=0)
    assert (result['totals']['created'], result['totals']['deleted']) == (1, 0)


def test_one_map_over_budget_stops_every_map(s3, tmp_path):
    """Two maps, ``alpha`` fine (an upload, a deletion) and ``beta`` over budget: the run is
    refused before its first mutation, so ``alpha`` changes nothing either."""
    alpha = master_keeping(tmp_path / 'a', 0, {'a1': b'new', 'a2': b'2'})
    beta = master_keeping(tmp_path / 'b', 1)
    seed(s3, dict(TEN, **{'alpha/a2': b'2', 'alpha/a3': b'3', 'alpha/a4': b'4'}))
    maps = push_map(s3, alpha, 'alpha', 'alpha') + push_map(s3, beta, 'beta', 'site')
    with s3.requests() as log, refused(r"map 'beta': 9 deletion\(s\)"):
        sync('push', s3, maps, max_delete='50%')
    assert mutations(log) == []
    assert all_objects(s3) == dict(TEN, **{'alpha/a2': b'2', 'alpha/a3': b'3', 'alpha/a4': b'4'})


def test_check_mode_over_budget_is_refused_too(s3, tmp_path):
    """Check mode runs the same gate: a preview of a run that would be refused says so."""
    seed(s3, TEN)
    with s3.requests() as log, refused('exceed max_delete=5'):
        sync('push', s3, push_map(s3, master_keeping(tmp_path, 2)), max_delete=5, check_mode=True)
    assert mutations(log) == []


def test_budget_counts_only_files_in_scope(s3, tmp_path):
    """The percentage is of the destination's files in scope: ignored and sibling keys do not
    inflate it (20 ignored logs beside 4 files: 3 deletions are 75%, over 50%)."""
    seed(s3, dict({'site/log%02d.log' % i: b'l' for i in range(20)},
                  **{'site/f%d.txt' % i: b'%d' % i for i in range(4)},
                  **{'site-old/%d' % i: b'o' for i in range(20)}))
    maps = [dict(push_map(s3, master_keeping(tmp_path, 1))[0], ignore=['*.log'])]
    with refused(r'3 deletion\(s\) of 4 destination file\(s\) exceed max_delete=50% \(limit 2\)'):
        sync('push', s3, maps)


@pytest.mark.parametrize('bad', ['none', 'lots', '150%', -2, '2.5', True])
def test_invalid_budget_is_an_error(bad):
    """A budget that is not a count, a percentage or unlimited is an error, never 'no limit'
    (``none`` reads as 'delete none')."""
    from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import parse_budget
    with pytest.raises(ConfigError, match='max_delete'):
        parse_budget(bad)
