# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The part ledger of resumable multipart uploads (plugins/module_utils/_engine/state/parts.py)."""

from __future__ import annotations

import os
import stat

from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.resumable import FileIdentity, UploadRecord
from ansible_collections.s32s.sync.plugins.module_utils._engine.state.parts import PartLedger

IDENT = FileIdentity("big.bin", 64, 1, 2, 3, 4)


def record(key="site/big.bin", bucket="b", upload_id="u1", part_size=8):
    return UploadRecord(bucket, key, upload_id, part_size, IDENT, "/m/big.bin", 10.0)


def test_put_get_drop_round_trip_with_private_files(tmp_path):
    ledger = PartLedger(str(tmp_path / "state"), "http://e")
    assert ledger.get("b", "site/big.bin") is None
    ledger.put(record())
    assert ledger.get("b", "site/big.bin") == record()
    [name] = os.listdir(tmp_path / "state" / "parts")
    assert name.startswith("up-") and stat.S_IMODE(os.stat(tmp_path / "state" / "parts" / name).st_mode) == 0o600
    ledger.drop("b", "site/big.bin")
    ledger.drop("b", "site/big.bin")  # no error when absent
    assert ledger.get("b", "site/big.bin") is None


def test_the_key_is_the_destination_and_the_endpoint(tmp_path):
    ledger = PartLedger(str(tmp_path), "http://e")
    ledger.put(record())
    assert PartLedger(str(tmp_path), "http://other").get("b", "site/big.bin") is None
    assert ledger.get("other-bucket", "site/big.bin") is None
    ledger.put(record(upload_id="u2"))  # one upload per key: the newer replaces
    assert ledger.get("b", "site/big.bin").upload_id == "u2"


def test_records_under_keep_to_bucket_and_prefix(tmp_path):
    ledger = PartLedger(str(tmp_path), "")
    for bucket, key in (("b", "pre/a"), ("b", "prefix/a"), ("b", "pre.json"), ("c", "pre/a")):
        ledger.put(record(key, bucket))
    assert [(r.bucket, r.key) for r in ledger.records_under("b", "pre/")] == [("b", "pre/a")]
    assert len(ledger.records_under("b", "")) == 3


def test_a_corrupt_or_foreign_entry_reads_as_absent(tmp_path):
    ledger = PartLedger(str(tmp_path), "")
    ledger.put(record())
    [name] = os.listdir(tmp_path / "parts")
    path = tmp_path / "parts" / name
    path.write_text('{"version": 1, "endpoint": ""', encoding="utf-8")
    assert ledger.get("b", "site/big.bin") is None and ledger.records_under("b", "") == []
    path.write_text('{"version": 99}', encoding="utf-8")
    assert ledger.get("b", "site/big.bin") is None


def test_sightings_and_the_last_sweep_round_trip_per_prefix(tmp_path):
    ledger = PartLedger(str(tmp_path), "")
    assert ledger.sightings("b", "pre/") == {} and ledger.last_swept("b", "pre/") is None
    ledger.save_sightings("b", "pre/", {"u1": 5.0}, 7.0)
    assert ledger.sightings("b", "pre/") == {"u1": 5.0} and ledger.sightings("b", "prefix/") == {}
    assert ledger.last_swept("b", "pre/") == 7.0 and ledger.last_swept("b", "prefix/") is None
    ledger.save_sightings("b", "pre/", {}, 9.0)
    assert ledger.sightings("b", "pre/") == {} and ledger.last_swept("b", "pre/") == 9.0


def test_events_are_kept_for_the_report(tmp_path):
    ledger = PartLedger(str(tmp_path), "")
    ledger.note({"event": "aborted", "key": "k", "reason": "r"})
    assert ledger.events == [{"event": "aborted", "key": "k", "reason": "r"}]


def test_events_of_a_forked_transfer_process_reach_the_parent(tmp_path):
    ledger = PartLedger(str(tmp_path), "")
    ledger.note({"event": "aborted", "key": "a", "reason": "r"})
    pid = os.fork()
    if pid == 0:  # the child notes into its file and leaves at once
        try:
            ledger.note({"event": "resumed", "key": "b", "parts_reused": 1, "parts_sent": 2})
        finally:
            os._exit(0)  # pylint: disable=protected-access
    os.waitpid(pid, 0)
    assert PartLedger(str(tmp_path), "").take_events() == []  # another map's ledger takes none of them
    assert ledger.events == [{"event": "aborted", "key": "a", "reason": "r"}]
    assert ledger.take_events() == [{"event": "aborted", "key": "a", "reason": "r"},
                                    {"event": "resumed", "key": "b", "parts_reused": 1, "parts_sent": 2}]
    assert [n for n in os.listdir(tmp_path / "parts") if n.startswith("events-")] == []
