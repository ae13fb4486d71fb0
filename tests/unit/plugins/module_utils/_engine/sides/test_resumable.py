# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decision rules of resumable uploads and of the orphan sweep (sides/resumable.py, sides/orphans.py)."""

from __future__ import annotations

import hashlib

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import S3Location
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.orphans import (
    OpenUpload, foreign_is_old, ledger_verdict, sweep_due)
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.resumable import (
    FileIdentity, ListedPart, UploadRecord, part_is_kept, part_ranges, stale_reason)
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.parts import PartLedger

IDENT = FileIdentity("big.bin", 64, 1, 2, 3, 4)
REC = UploadRecord("b", "site/big.bin", "u1", 8, IDENT, "/m/big.bin", 10.0)


def test_part_ranges_cover_the_file_once():
    assert part_ranges(20, 8) == [(1, 0, 8), (2, 8, 8), (3, 16, 4)]
    assert part_ranges(16, 8) == [(1, 0, 8), (2, 8, 8)]
    assert part_ranges(0, 8) == []


def test_a_listed_part_is_kept_only_with_the_same_size_and_md5():
    md5 = hashlib.md5(b"abc").hexdigest()
    assert part_is_kept(ListedPart(3, md5), 3, md5)
    assert not part_is_kept(None, 3, md5)                       # missing: sent
    assert not part_is_kept(ListedPart(4, md5), 3, md5)         # other size: sent again
    assert not part_is_kept(ListedPart(3, "0" * 32), 3, md5)    # other bytes: sent again
    assert not part_is_kept(ListedPart(3, "kms-like"), 3, md5)  # not an MD5: sent again


def test_a_recorded_upload_resumes_only_for_the_same_identity_and_part_size():
    assert stale_reason(REC, IDENT, 8) == ""
    assert stale_reason(REC, IDENT, 16) == "the part size changed (8 -> 16 bytes)"
    assert stale_reason(REC, IDENT._replace(mtime_ns=9), 8) == "the file changed (mtime)"
    assert stale_reason(REC, IDENT._replace(ino=7, dev=8), 8) == "the file changed (inode, device)"
    assert stale_reason(REC, IDENT._replace(ctime_ns=5), 8) == "the file changed (ctime)"


def test_ledger_verdicts():
    assert ledger_verdict(REC, IDENT, live=False, settled=False) == "forget"
    assert ledger_verdict(REC, None, live=True, settled=False) == "abort: the file is gone"
    assert ledger_verdict(REC, IDENT._replace(size=65), live=True, settled=False) == "abort: the file changed (size)"
    assert ledger_verdict(REC, IDENT, live=True, settled=True) == "abort: the object is already in sync"
    assert ledger_verdict(REC, IDENT, live=True, settled=False) == "keep"


def test_a_foreign_upload_is_old_only_by_both_clocks():
    up = OpenUpload("pre/a", "u", initiated=1000.0)
    assert foreign_is_old(up, first_seen=1000.0, now=2000.0, server_now=2000.0, max_age_s=1000)
    # a server with a wrong Initiated (moto: 2010) cannot make a just-seen upload old
    assert not foreign_is_old(OpenUpload("pre/a", "u", 0.0), first_seen=1999.0, now=2000.0, server_now=2000.0,
                              max_age_s=1000)
    # a host whose clock runs ahead cannot either: the server says it is young
    assert not foreign_is_old(up, first_seen=0.0, now=99999.0, server_now=1500.0, max_age_s=1000)
    # without a server Date, this host's clock stands for the server's
    assert foreign_is_old(up, first_seen=0.0, now=2000.0, server_now=None, max_age_s=1000)


def test_a_sweep_lists_uploads_only_when_something_calls_for_it(tmp_path):
    ledger, where = PartLedger(str(tmp_path)), S3Location("b", "site")
    assert sweep_due(ledger, where, now=1000.0, interval_s=3600, max_age_s=86400)       # never listed
    ledger.save_sightings("b", "site/", {}, 1000.0)
    assert not sweep_due(ledger, where, now=1100.0, interval_s=3600, max_age_s=86400)   # a no-op run: no request
    assert sweep_due(ledger, where, now=4600.0, interval_s=3600, max_age_s=86400)       # an hour later
    assert sweep_due(ledger, where, now=900.0, interval_s=3600, max_age_s=86400)        # the clock went back
    ledger.save_sightings("b", "site/", {"u": 1000.0}, 1000.0)
    assert not sweep_due(ledger, where, now=1100.0, interval_s=3600, max_age_s=200)  # a foreign upload, young
    assert sweep_due(ledger, where, now=1100.0, interval_s=3600, max_age_s=100)      # ... comes of age
    ledger.save_sightings("b", "site/", {}, 1000.0)
    ledger.put(REC._replace(key="site/big.bin"))                                       # our own open upload
    assert sweep_due(ledger, where, now=1100.0, interval_s=3600, max_age_s=86400)
