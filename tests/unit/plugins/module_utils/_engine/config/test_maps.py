# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S32S map files (plugins/module_utils/_maps.py).

The schema comes from the seed README ("Creare un file di mappatura") and
issue 3 ("Map objects keep the S32S schema unchanged").
"""

from __future__ import annotations

import copy
import os

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import ConfigError
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import (
    S3Location, load_maps, parse_maps_json, parse_s3_location, validate_map)

# Verbatim from ../shared/seeds/000_*.txt, "Esempio 'map.json'" (the tab included).
SEED_MAP_JSON = """[
    {
      "name": "PROJECT 1",
      "description": "OPTIONAL PROJECT 1 DESCRIPTION",
      "master": "c:/path/dir/master/1",
      "s3": "bucketname/backup/dir1",
      "slave": "/path/slave/dir1",
      "ignore": ["*__pycache__*", ".*", "*.bmp" ]
    },
    {
      "name": "PROJECT 2",
      "description": "OPTIONAL PROJECT 2 DESCRIPTION",
      "master": "c:/path/dir/master/2",
      "s3": "bucketname/dir/dir/dir",
      "slave": "/path/slave/dir2",
\t  "files": ["filename_1", "filename_2"]
    }
]
"""

SRC = "map.json"


def one(**fields):
    base = {"name": "site", "s3": "bkt/site", "master": "/srv/master", "slave": "/srv/slave"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not ...}


# --- the seed README example ------------------------------------------------

def test_seed_example_pulls_unchanged():
    raw = parse_maps_json(SEED_MAP_JSON, SRC)
    maps, warnings = load_maps(raw, "slave", SRC)
    assert warnings == []
    assert [m.name for m in maps] == ["PROJECT 1", "PROJECT 2"]
    p1, p2 = maps
    assert p1.s3 == S3Location("bucketname", "backup/dir1")
    assert p1.root == "/path/slave/dir1"
    assert p1.description == "OPTIONAL PROJECT 1 DESCRIPTION"
    assert p1.files is None
    assert p1.ignore.rules == ["*__pycache__*", ".*", "*.bmp"]
    assert p1.ignore.matches("a/__pycache__/b.pyc")
    assert p1.ignore.matches(".git/HEAD")
    assert p1.ignore.matches("logo.bmp")
    assert not p1.ignore.matches("index.html")
    assert p2.s3 == S3Location("bucketname", "dir/dir/dir")
    assert p2.root == "/path/slave/dir2"
    assert p2.files == ["filename_1", "filename_2"]
    assert not p2.ignore


def test_seed_example_push_refuses_windows_master_paths():
    # 'c:/path/...' is not an absolute path on the POSIX hosts we run on.
    raw = parse_maps_json(SEED_MAP_JSON, SRC)
    with pytest.raises(ConfigError) as e:
        load_maps(raw, "master", SRC)
    msg = str(e.value)
    assert "PROJECT 1" in msg and "'master'" in msg and "absolute" in msg and "c:/path/dir/master/1" in msg


def test_seed_example_pushes_with_posix_master_paths():
    raw = parse_maps_json(SEED_MAP_JSON.replace("c:/path", "/path"), SRC)
    maps = load_maps(raw, "master", SRC)[0]
    assert [m.root for m in maps] == ["/path/dir/master/1", "/path/dir/master/2"]


def test_seed_example_as_bytes():
    raw = parse_maps_json(SEED_MAP_JSON.encode("utf-8"), SRC)
    assert len(raw) == 2


# --- JSON -------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "[", "[{]", "{'name': 1}", "[1,]", "\u00ff"])
def test_invalid_json(text):
    with pytest.raises(ConfigError) as e:
        parse_maps_json(text, "s3://b/maps/bad.json")
    assert "s3://b/maps/bad.json" in str(e.value)
    assert "JSON" in str(e.value)


def test_invalid_json_says_where():
    with pytest.raises(ConfigError) as e:
        parse_maps_json('[\n  {"name": "a",}\n]', SRC)
    assert "line 2" in str(e.value)


@pytest.mark.parametrize("text, kind", [('{"name": "a"}', "dict"), ('"x"', "str"), ("3", "int"), ("null", "NoneType")])
def test_json_must_be_an_array(text, kind):
    with pytest.raises(ConfigError) as e:
        parse_maps_json(text, SRC)
    assert "array" in str(e.value) and kind in str(e.value)


# --- required fields ----------------------------------------------------------

@pytest.mark.parametrize("name", [..., None, "", "   ", 3, ["a"]])
def test_name_required(name):
    with pytest.raises(ConfigError) as e:
        load_maps([one(), one(name=name)], "master", SRC)
    msg = str(e.value)
    assert "map #1" in msg and "'name'" in msg and SRC in msg


def test_s3_required():
    with pytest.raises(ConfigError) as e:
        load_maps([one(s3=...)], "master", SRC)
    assert "map 'site'" in str(e.value) and "'s3'" in str(e.value) and "required" in str(e.value)


@pytest.mark.parametrize("side, other, verb", [("master", "slave", "push"), ("slave", "master", "pull")])
@pytest.mark.parametrize("value", [..., None, "", "  "])
def test_root_of_the_side_required(side, other, verb, value):
    raw = one(**{side: value})
    with pytest.raises(ConfigError) as e:
        load_maps([raw], side, SRC)
    msg = str(e.value)
    assert "map 'site'" in msg and f"'{side}'" in msg and verb in msg
    # the other side's root is not needed
    ok = one(**{other: ...})
    maps = load_maps([ok], side, SRC)[0]
    assert maps[0].root == ok[side]


@pytest.mark.parametrize("value", ["relative/dir", "c:/x", "C:\\x", "./x", "x"])
def test_root_must_be_absolute(value):
    with pytest.raises(ConfigError) as e:
        load_maps([one(master=value)], "master", SRC)
    assert "absolute" in str(e.value) and repr(value) in str(e.value)


def test_root_normalised_and_home_expanded():
    maps = load_maps([one(slave=" /srv//slave/./x/../y/ ")], "slave", SRC)[0]
    assert maps[0].root == "/srv/slave/y"
    maps = load_maps([one(slave="~/site")], "slave", SRC)[0]
    assert maps[0].root == os.path.join(os.path.expanduser("~"), "site")
    assert os.path.isabs(maps[0].root)


# --- wrong types ----------------------------------------------------------------

@pytest.mark.parametrize("field, value, words", [
    ("description", 3, "'description'"),
    ("description", ["x"], "'description'"),
    ("s3", 3, "'s3'"),
    ("s3", ["bkt/site"], "'s3'"),
    ("s3", None, "'s3'"),
    ("s3", "", "'s3'"),
    ("master", ["/srv"], "'master'"),
    ("master", 1, "'master'"),
    ("master", {"path": "/srv"}, "'master'"),
    ("ignore", "*.bmp", "'ignore'"),
    ("ignore", {"a": 1}, "'ignore'"),
    ("ignore", ["*.bmp", 3], "'ignore'"),
    ("ignore", ["*"], "'ignore'"),
    ("files", "a.txt", "'files'"),
    ("files", [], "'files'"),
    ("files", {"a": 1}, "'files'"),
    ("files", ["a", 3], "'files'"),
    ("files", ["a", None], "'files'"),
])
def test_wrong_types_name_the_map_and_the_field(field, value, words):
    with pytest.raises(ConfigError) as e:
        load_maps([one(**{field: value})], "master", SRC)
    assert "map 'site'" in str(e.value) and words in str(e.value)


@pytest.mark.parametrize("raw", ["site", 3, None, ["name", "site"]])
def test_a_map_must_be_an_object(raw):
    with pytest.raises(ConfigError) as e:
        load_maps([one(), raw], "master", SRC)
    assert "map #1" in str(e.value) and "object" in str(e.value)


@pytest.mark.parametrize("raw", [None, {"name": "x"}, "[]", 3])
def test_maps_must_be_a_list(raw):
    with pytest.raises(ConfigError) as e:
        load_maps(raw, "master", "the 'maps' option")
    assert "the 'maps' option" in str(e.value) and "list" in str(e.value)


def test_empty_list_is_an_error():
    with pytest.raises(ConfigError) as e:
        load_maps([], "master", SRC)
    assert "empty" in str(e.value)


def test_null_optional_fields_are_absent():
    maps = load_maps([one(description=None, ignore=None, files=None)], "master", SRC)[0]
    assert maps[0].description == "" and not maps[0].ignore and maps[0].files is None


def test_unknown_fields_warn_and_are_ignored():
    maps, warnings = load_maps([one(owner="apache", delete=False)], "master", SRC)
    assert len(maps) == 1
    assert len(warnings) == 2
    assert any("'owner'" in w and "map 'site'" in w for w in warnings)
    assert any("'delete'" in w for w in warnings)


def test_an_unknown_field_close_to_a_known_one_is_named_as_a_typo():
    """``fles`` (a typo of ``files``) silently turns a files map into a directory map: the warning
    and the note a refusal of the map carries (``unknown_note``) say so."""
    maps, warnings = load_maps([one(fles=["site.conf"], zzz=1)], "master", SRC)
    assert maps[0].files is None and maps[0].unknown_fields == ("fles", "zzz")
    assert warnings == [f"map 'site' in {SRC}: unknown field 'fles' ignored (a typo of 'files'?)",
                        f"map 'site' in {SRC}: unknown field 'zzz' ignored"]
    assert maps[0].unknown_note == ("; note: this map has unknown field 'fles' ignored (a typo of 'files'?), "
                                    "unknown field 'zzz' ignored")
    assert load_maps([one()], "master", SRC)[0][0].unknown_note == ""


# --- names, duplicates, order ---------------------------------------------------

def test_sorted_by_name_as_s32s_does():
    raws = [one(name=n, s3=f"bkt/{n}") for n in ("web", "Assets", "api", "docs")]
    maps = load_maps(raws, "master", SRC)[0]
    assert [m.name for m in maps] == ["Assets", "api", "docs", "web"]


def test_duplicate_names():
    with pytest.raises(ConfigError) as e:
        load_maps([one(), one(s3="bkt/other")], "master", SRC)
    assert "'site'" in str(e.value) and "twice" in str(e.value)


def test_names_select():
    raws = [one(name=n, s3=f"bkt/{n}") for n in ("c", "a", "b")]
    maps = load_maps(raws, "master", SRC, names=["c", "a"])[0]
    assert [m.name for m in maps] == ["a", "c"]
    maps = load_maps(raws, "master", SRC, names=[])[0]
    assert [m.name for m in maps] == ["a", "b", "c"]
    maps = load_maps(raws, "master", SRC, names=None)[0]
    assert len(maps) == 3


def test_unknown_names():
    raws = [one(name=n, s3=f"bkt/{n}") for n in ("a", "b")]
    with pytest.raises(ConfigError) as e:
        load_maps(raws, "master", SRC, names=["a", "zz", "yy"])
    msg = str(e.value)
    assert "zz" in msg and "yy" in msg
    assert "'a'" in msg and "'b'" in msg      # the maps that do exist are listed


def test_every_map_is_validated_even_when_not_selected():
    raws = [one(name="good"), one(name="broken", s3="bkt/x/../y")]
    with pytest.raises(ConfigError) as e:
        load_maps(raws, "master", SRC, names=["good"])
    assert "broken" in str(e.value)


def test_input_is_not_modified():
    raws = [one(ignore=["a*"], files=["./b", "a"])]
    before = copy.deepcopy(raws)
    load_maps(raws, "master", SRC)
    assert raws == before


# --- s3 locations ----------------------------------------------------------------

@pytest.mark.parametrize("value, bucket, prefix, list_prefix", [
    ("bucketname/backup/dir1", "bucketname", "backup/dir1", "backup/dir1/"),
    ("s3://bucketname/backup/dir1", "bucketname", "backup/dir1", "backup/dir1/"),
    ("S3://bucketname/backup/dir1/", "bucketname", "backup/dir1", "backup/dir1/"),
    ("bkt/site/", "bkt", "site", "site/"),
    ("  bkt/site  ", "bkt", "site", "site/"),
    ("bkt", "bkt", "", ""),
    ("bkt/", "bkt", "", ""),
    ("s3://bkt", "bkt", "", ""),
    ("s3://bkt/", "bkt", "", ""),
    ("my.bucket-1/a b/c+d", "my.bucket-1", "a b/c+d", "a b/c+d/"),
])
def test_parse_s3_location(value, bucket, prefix, list_prefix):
    loc = parse_s3_location(value)
    assert (loc.bucket, loc.prefix, loc.list_prefix) == (bucket, prefix, list_prefix)
    assert str(loc) == f"s3://{bucket}/{list_prefix}"


def test_listing_prefix_excludes_siblings():
    # issue 4, point 1: 'site' never includes 'site-old/' nor 'site.json'
    loc = parse_s3_location("bkt/site")
    for sibling in ("site-old/index.html", "site.json", "site", "sites/x"):
        assert not sibling.startswith(loc.list_prefix)
    assert "site/index.html".startswith(loc.list_prefix)


@pytest.mark.parametrize("value, words", [
    ("bkt/a/../b", "unsafe"),
    ("bkt/../x", "unsafe"),
    ("bkt/a/..", "unsafe"),
    ("bkt/a//b", "unsafe"),
    ("bkt/./a", "unsafe"),
    ("bkt/a\\b", "unsafe"),
    ("bkt/a\x00b", "unsafe"),
    ("bkt/a\nb", "unsafe"),
    ("", "non-empty"),
    ("   ", "non-empty"),
    (None, "non-empty"),
    (3, "non-empty"),
    ("/prefix", "bucket"),
    ("s3://", "bucket"),
    ("s3:///prefix", "bucket"),
    ("b", "bucket"),
    ("bu cket/x", "bucket"),
    ("-bkt/x", "bucket"),
    ("bkt\\x/y", "bucket"),
])
def test_bad_s3_locations(value, words):
    with pytest.raises(ConfigError) as e:
        parse_s3_location(value, "map 'm' field 's3'")
    assert "map 'm' field 's3'" in str(e.value) and words in str(e.value)


def test_unsafe_prefix_in_a_map_names_the_map():
    with pytest.raises(ConfigError) as e:
        load_maps([one(s3="s3://bkt/site/../../etc")], "slave", SRC)
    assert "map 'site'" in str(e.value) and "'s3'" in str(e.value)


# --- files ---------------------------------------------------------------------

def test_files_normalised_deduplicated_sorted():
    maps = load_maps([one(files=["b/c.txt", "./a", "a", "././z", " y "])], "master", SRC)[0]
    assert maps[0].files == ["a", "b/c.txt", "y", "z"]


@pytest.mark.parametrize("bad", ["../etc/passwd", "/etc/passwd", "a//b", "a/../../b", "", ".", "a\\b", "a\x00", "dir/"])
def test_files_must_be_safe_relative_paths(bad):
    with pytest.raises(ConfigError) as e:
        load_maps([one(files=["ok", bad])], "master", SRC)
    assert "map 'site'" in str(e.value) and "'files'" in str(e.value) and repr(bad) in str(e.value)


# --- validate_map directly ----------------------------------------------------------

def test_validate_map_index_in_messages():
    with pytest.raises(ConfigError) as e:
        validate_map({"s3": "bkt/x"}, "master", 7, "inline maps")
    assert "map #7 in inline maps" in str(e.value)


def test_validate_map_result():
    sync_map, warnings = validate_map(one(ignore=["*.tmp"], description="d"), "slave", 0, SRC)
    assert warnings == []
    assert (sync_map.name, sync_map.root, sync_map.description) == ("site", "/srv/slave", "d")
    assert sync_map.s3 == S3Location("bkt", "site")
    assert sync_map.ignore.matches("x.tmp")
