# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service's configuration file (plugins/module_utils/_engine/watch/config.py): strict types."""

from __future__ import annotations

import json

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import ConfigError
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.config import load_config, parse_config
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.rules import Timing
from ansible_collections.s32s.sync.plugins.module_utils._engine.watch.service import sync_options


def raw(**changes):
    base = {"version": 1, "state_dir": "/var/lib/s32s-watch",
            "maps": [{"name": "site", "s3": "bucket/site", "master": "/srv/site", "ignore": ["*.tmp"]}]}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def test_defaults_follow_the_role():
    config = parse_config(raw())
    assert config.delete is False and str(config.max_delete) == "50%" and config.allow_empty_source is False
    assert (config.timing.settle_s, config.timing.settle_max_s, config.rescan_interval_s) == (2.0, 60.0, 3600.0)
    assert config.timing.max_attempts == 5 and config.connection == {}
    [m] = config.maps
    assert (m.name, m.root, m.s3.bucket, m.s3.prefix) == ("site", "/srv/site", "bucket", "site")
    assert m.ignore.matches("a/b.tmp")


def test_every_documented_key_is_taken():
    config = parse_config(raw(settle_s=0.5, settle_max_s=30, rescan_interval_s=600, delete=True, max_delete=10,
                              allow_empty_source=True, retry_base_s=1, retry_max_s=60, max_attempts=3,
                              connection={"endpoint_url": "http://s3.local:9000", "access_key": "AK",
                                          "secret_key": "SK", "session_token": None, "region": "eu-west-1",
                                          "profile": None, "addressing_style": "path",
                                          "aws_config": {"retries": {"max_attempts": 3}},
                                          "validate_certs": False, "aws_ca_bundle": None},
                              maps=[{"name": "a", "s3": "bkt/a", "master": "/a", "mode": "push", "description": "x"}]))
    assert config.delete is True and str(config.max_delete) == "10" and config.allow_empty_source is True
    assert config.timing == Timing(0.5, 30.0, 1.0, 60.0, 3)
    assert config.connection["validate_certs"] is False and "profile" not in config.connection


@pytest.mark.parametrize("changes, message", [
    ({"delete": "False"}, "'delete' must be true or false"),  # skynet's complete_sync = "False" deleted
    ({"delete": 0}, "'delete' must be true or false"),
    ({"allow_empty_source": "true"}, "'allow_empty_source' must be true or false"),
    ({"version": 2}, "'version' must be 1"),
    ({"version": ...}, "'version' must be 1"),
    ({"state_dir": "relative/state"}, "'state_dir' must be an absolute path"),
    ({"settle_s": "2"}, "'settle_s' must be a number"),
    ({"settle_s": -1}, "'settle_s' must be at least 0"),
    ({"settle_s": 5, "settle_max_s": 1}, "'settle_max_s' (1) must be at least 'settle_s' (5)"),
    ({"rescan_interval_s": 0}, "'rescan_interval_s' must be more than 0"),
    ({"max_attempts": 0}, "'max_attempts' must be a whole number"),
    ({"max_delete": "lots"}, "max_delete must be a count"),
    ({"delte": True}, "unknown key(s) ['delte']"),
    ({"connection": {"secret": "x"}}, "unknown key(s) in 'connection'"),
    ({"connection": {"validate_certs": "no"}}, "'connection.validate_certs' must be true or false"),
    ({"connection": {"addressing_style": "dns"}}, "must be auto, path or virtual"),
    ({"maps": []}, "'maps' must be a non-empty list"),
    ({"maps": [{"name": "a", "s3": "bkt/a", "master": "rel"}]}, "must be an absolute path"),
    ({"maps": [{"name": "a", "s3": "bkt/a"}]}, "field 'master' is required"),
    ({"maps": [{"name": "a", "s3": "bkt/a", "master": "/a", "slave": "/b"}]}, "unknown key(s) ['slave']"),
    ({"maps": [{"name": "a", "s3": "bkt/a", "master": "/a", "mode": "pull"}]}, "'mode' must be 'push' or 'two-way'"),
    ({"maps": [{"name": "a", "s3": "bkt/a", "master": "/a"}, {"name": "a", "s3": "bkt/c", "master": "/c"}]},
     "map 'a' appears twice"),
])
def test_invalid_values_are_clear_errors(changes, message):
    with pytest.raises(ConfigError) as err:
        parse_config(raw(**changes), "/opt/s32s-watch/etc/config.json")
    assert message in err.value.msg and "/opt/s32s-watch/etc/config.json" in err.value.msg


def test_a_map_may_sync_both_ways():
    config = parse_config(raw(maps=[{"name": "shared", "s3": "bkt/shared", "master": "/srv/shared", "mode": "two-way"},
                                    {"name": "site", "s3": "bkt/site", "master": "/srv/site"}]))
    assert config.two_way == {"shared"}


def test_a_file_that_is_not_json_names_the_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="config.json is not valid JSON"):
        load_config(str(path))
    with pytest.raises(ConfigError, match="cannot read the configuration"):
        load_config(str(tmp_path / "missing.json"))
    path.write_text(json.dumps(raw()))
    assert load_config(str(path)).maps[0].name == "site"


def test_the_passes_get_allow_empty_source_and_messages_name_the_key_and_the_role_variable():
    """The service's options carry the key, and the gate's advice names what the operator can set: the key of
    this file and the role's variable (the watcher said "set allow_empty_source=true", which the role lacked)."""
    options = sync_options(parse_config(raw(allow_empty_source=True, delete=True)))
    assert options.allow_empty_source is True and options.delete is True
    hint = sync_options(parse_config(raw())).setting("allow_empty_source", "true")
    assert hint == ("allow_empty_source: true in the service configuration "
                    "(role s32s.sync.watch: watch_allow_empty_source)")
