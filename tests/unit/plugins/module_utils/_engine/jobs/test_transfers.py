# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An upload whose source file is rewritten while it is sent (jobs/transfers.py): retried once, then failed
(the executor fails the path, counts the run as changed and records nothing for it).

The sides are stand-ins: the local side's ``stat_entry`` returns the stats a test scripts (one per
call), the S3 side's ``upload_file`` records the sizes it was asked to send.
"""

from __future__ import annotations

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.attributes import ObjectAttributes
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.transfers import (
    UPLOAD_ATTEMPTS, SourceChanged, _upload)
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.plan import CREATE, Action
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.tree import Entry, Tree


class Local:
    def __init__(self, stats):
        self.stats = list(stats)

    def path(self, relpath):
        return '/src/' + relpath

    def stat_entry(self, relpath):
        size, mtime, ctime = self.stats.pop(0)
        return Entry(relpath, size, mtime, None, ctime, 7)


class Remote:
    def __init__(self):
        self.sent = []

    def upload_file(self, relpath, path, size, perm=-1):
        self.sent.append((relpath, path, size))
        return 'e%d' % len(self.sent)

    def attributes_for(self, relpath, perm=-1):
        return ObjectAttributes().resolve(relpath)


ACTION = Action(CREATE, 'a.txt', 3, 'new')
LISTING = Tree()
LISTING.entries['a.txt'] = Entry('a.txt', 3, 1, None, 1, 7)


def test_a_file_stable_while_it_is_sent_is_recorded_with_the_stat_it_was_sent_with():
    local, remote = Local([(4, 2, 2), (4, 2, 2)]), Remote()  # changed since the listing, stable since
    source, dest = _upload(local, remote, LISTING)(ACTION)
    assert remote.sent == [('a.txt', '/src/a.txt', 4)]
    assert (source.size, source.mtime_ns, source.ctime_ns) == (4, 2, 2)
    assert (dest.size, dest.etag) == (4, 'e1')


@pytest.mark.parametrize('changed', [(3, 1, 5), (3, 5, 5), (9, 5, 5)], ids=['ctime', 'mtime', 'size'])
def test_a_file_rewritten_while_it_is_sent_is_sent_again(changed):
    local, remote = Local([(3, 1, 1), changed, (3, 6, 6), (3, 6, 6)]), Remote()
    source, dest = _upload(local, remote, LISTING)(ACTION)
    assert len(remote.sent) == 2 and (source.mtime_ns, dest.etag) == (6, 'e2')


def test_a_file_rewritten_on_every_attempt_fails_and_is_not_recorded():
    local, remote = Local([(3, 1, 1), (3, 2, 2), (3, 2, 2), (4, 3, 3)]), Remote()
    outcome = _upload(local, remote, LISTING)(ACTION)
    assert len(remote.sent) == UPLOAD_ATTEMPTS == 2
    assert outcome == SourceChanged("the file changed while it was uploaded (size, mtime, ctime differ before and "
                                    "after), on 2 attempts: the object may hold neither version and is not recorded "
                                    "as synced; the next run uploads it again")
