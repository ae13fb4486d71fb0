# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""watchdog's warnings ask every map for a rescan (plugins/module_utils/_engine/watch/service.py):
watchdog reports an inotify overflow only by a log warning, never by an event (watchdog #654)."""

from __future__ import annotations

import logging

from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.config import parse_config
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.service import Service, _WatchWarnings


class FakeWorker:
    def __init__(self):
        self.rescans = []

    def want_rescan(self, now, settle=True):
        self.rescans.append(settle)


def test_an_overflow_warning_of_watchdog_rescans_every_map():
    config = parse_config({"version": 1, "state_dir": "/tmp/s", "maps": [
        {"name": "a", "s3": "bkt/a", "master": "/a"}, {"name": "b", "s3": "bkt/b", "master": "/b"}]})
    records = []
    service = Service(config, lambda level, event, **fields: records.append((level, event, fields)))
    service.workers = [FakeWorker(), FakeWorker()]
    hook = _WatchWarnings(service)
    logger = logging.getLogger("watchdog")
    logger.addHandler(hook)
    try:
        inotify_log = logging.getLogger("watchdog.observers.inotify_c")
        inotify_log.warning("Inotify queue overflowed; filesystem events were lost")
        inotify_log.info("not a problem")
    finally:
        logger.removeHandler(hook)
    assert [w.rescans for w in service.workers] == [[False], [False]]  # at once, not settled
    assert records == [("warning", "watch_error", {"msg": "Inotify queue overflowed; filesystem events were lost"})]
