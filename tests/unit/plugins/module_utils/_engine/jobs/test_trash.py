# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The trash of two-way sync and its expiry (plugins/module_utils/_engine/jobs/trash.py)."""

from __future__ import annotations

import datetime
import os

from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.trash import (
    expire_local, expired, folder_name)

NOW = datetime.datetime(2026, 12, 3, 12, 0, 0, tzinfo=datetime.timezone.utc)


def test_folder_names_hold_the_time_and_a_clean_replica_name():
    assert folder_name("20261203T120000Z", "web 1/x", "0a1b2c3d") == "20261203T120000Z-web_1_x-0a1b2c3d"


def test_only_old_folders_of_the_right_form_expire():
    names = ["20261101T000000Z-web1", "20261130T000000Z-web1", "20261102T115959Z-web2",
             "notes", "20261101T000000Z", "2026-11-01-web1", "20261101T000000Z-"]
    assert expired(names, NOW, 30) == ["20261101T000000Z-web1", "20261102T115959Z-web2"]
    assert expired(names, NOW, 0) == [] and expired(names, NOW, -1) == []


def test_local_expiry_removes_old_folders_only_and_never_follows_a_symlink(tmp_path):
    root = tmp_path / "root"
    trash = root / ".s32s-trash"
    for name in ("20261001T000000Z-web1", "20261202T000000Z-web1", "keep-me"):
        (trash / name / "d").mkdir(parents=True)
        (trash / name / "d" / "f").write_text(name)
    outside = tmp_path / "outside" / "20261001T000000Z-evil"
    outside.mkdir(parents=True)
    (outside / "precious").write_text("x")
    os.symlink(str(outside), str(trash / "20261002T000000Z-link"))
    removed = expire_local(str(root), NOW, 30)
    assert removed == ["20261001T000000Z-web1"]
    assert sorted(os.listdir(trash)) == ["20261002T000000Z-link", "20261202T000000Z-web1", "keep-me"]
    assert (outside / "precious").read_text() == "x"


def test_a_symlinked_trash_directory_is_not_walked(tmp_path):
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    (elsewhere / "20261001T000000Z-web1").mkdir(parents=True)
    root.mkdir()
    os.symlink(str(elsewhere), str(root / ".s32s-trash"))
    assert expire_local(str(root), NOW, 30) == []
    assert (elsewhere / "20261001T000000Z-web1").is_dir()
