# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run options (plugins/module_utils/_options.py): max_delete budgets, modes, limits (issue 4, point 3)."""

from __future__ import annotations

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import ConfigError
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import (
    DEFAULT_MAX_DELETE, Budget, SyncOptions, parse_budget, parse_mode)


@pytest.mark.parametrize("value, count, percent", [
    (10, 10, None),
    ("10", 10, None),
    (" 10 ", 10, None),
    (0, 0, None),
    ("0", 0, None),
    ("10.0", 10, None),
    (10.0, 10, None),
    ("25%", None, 25.0),
    ("25 %", None, 25.0),
    ("0%", None, 0.0),
    ("100%", None, 100.0),
    ("12.5%", None, 12.5),
    ("unlimited", None, None),
    ("UNLIMITED", None, None),
    (-1, None, None),
    ("-1", None, None),
])
def test_parse_budget(value, count, percent):
    budget = parse_budget(value)
    assert (budget.count, budget.percent) == (count, percent)


@pytest.mark.parametrize("value", [
    True, False, "", "abc", "-2", -2, "1.5", 2.5, "100.5%", "101%", "%", "10%%", "1e3", "-1%", "ten", "5 0",
    "none",   # reads as "delete none": must not silently mean "no limit"
    None,
])
def test_parse_budget_refuses(value):
    with pytest.raises(ConfigError) as e:
        parse_budget(value)
    assert "max_delete" in str(e.value)


def test_default_is_half_of_the_destination():
    assert DEFAULT_MAX_DELETE == "50%"
    assert SyncOptions().max_delete == Budget(percent=50.0)


# (budget, destination files, limit), computed by hand
@pytest.mark.parametrize("value, dest, limit", [
    (10, 0, 10),
    (10, 1000, 10),
    (0, 1000, 0),
    ("50%", 0, 0),
    ("50%", 1, 1),       # 0.5 rounded up
    ("50%", 2, 1),
    ("50%", 3, 2),       # 1.5 rounded up
    ("50%", 10, 5),
    ("10%", 9, 1),       # 0.9 rounded up
    ("10%", 10, 1),
    ("10%", 11, 2),      # 1.1 rounded up
    ("10%", 30, 3),      # not 4, though 30 * 0.1 is 3.0000000000000004 in floats
    ("0%", 1000, 0),
    ("100%", 7, 7),
    ("12.5%", 8, 1),
    ("12.5%", 9, 2),
    ("4.4%", 1750, 77),  # exactly 77
    ("0.1%", 1000, 1),
    ("0.1%", 1001, 2),
    ("unlimited", 10**9, None),
])
def test_limit(value, dest, limit):
    assert parse_budget(value).limit(dest) == limit


def test_percent_limits_are_exact_against_rational_arithmetic():
    # ceil(dest * p / 100) with p as the decimal the user wrote (tenths of a
    # percent), computed in integers: a float rounding error must never allow
    # one more deletion.
    wrong = []
    for tenths in range(0, 1001):
        text = f"{tenths / 10:g}%"
        budget = parse_budget(text)
        for dest in (0, 1, 2, 3, 7, 9, 11, 30, 99, 100, 101, 333, 875, 999, 1750, 2000):
            expected = -(-(tenths * dest) // 1000)
            if budget.limit(dest) != expected:
                wrong.append((text, dest, budget.limit(dest), expected))
    assert wrong == []


@pytest.mark.parametrize("value, text", [(10, "10"), ("25%", "25%"), ("12.5%", "12.5%"), ("unlimited", "unlimited")])
def test_budget_str(value, text):
    assert str(parse_budget(value)) == text


@pytest.mark.parametrize("value, bits", [
    (None, None),
    ("", None),
    ("0644", 0o644),
    ("644", 0o644),
    ("0o644", 0o644),
    ("0755", 0o755),
    ("2775", 0o2775),
    ("07777", 0o7777),
    ("0", 0),
])
def test_parse_mode(value, bits):
    assert parse_mode(value, "mode") == bits


@pytest.mark.parametrize("value, hint", [
    (644, "use '0644' if you wrote 644 or '01204' if you wrote 01204"),   # YAML 644 unquoted: octal 1204
    (420, "use '0420' if you wrote 420 or '0644' if you wrote 0644"),     # YAML 1.1 0644 unquoted: 420
    (493, "'0755' if you wrote 0755"),
    (0, "use '0000' if you wrote 0"),
])
def test_an_integer_mode_is_refused_with_a_hint_to_quote_it(value, hint):
    # issue 15 point 2: an integer cannot say which mode was meant (YAML 1.1 and 1.2 read 0644 differently)
    with pytest.raises(ConfigError) as e:
        parse_mode(value, "mode")
    assert "mode must be a quoted octal string" in str(e.value) and hint in str(e.value)


@pytest.mark.parametrize("value", ["u+rw", "rw-r--r--", "0888", "9", "17777", "0o", "-0644", -1, 0o10000, True, "0x1a4"])
def test_parse_mode_refuses(value):
    with pytest.raises(ConfigError) as e:
        parse_mode(value, "directory_mode")
    assert "directory_mode" in str(e.value)


def test_sync_options_defaults():
    opts = SyncOptions()
    assert opts.delete is True
    assert opts.allow_empty_source is False
    assert opts.allow_bare_bucket is False
    assert opts.follow_symlinks == "inside_root"
    assert opts.protected_keys == frozenset()


@pytest.mark.parametrize("concurrency", [0, -1, 129])
def test_concurrency_range(concurrency):
    with pytest.raises(ConfigError) as e:
        SyncOptions(concurrency=concurrency)
    assert "concurrency" in str(e.value)


@pytest.mark.parametrize("concurrency", [1, 128])
def test_concurrency_bounds_accepted(concurrency):
    assert SyncOptions(concurrency=concurrency).concurrency == concurrency


@pytest.mark.parametrize("follow", ["inside_root", "always", "never"])
def test_follow_symlinks_choices(follow):
    assert SyncOptions(follow_symlinks=follow).follow_symlinks == follow


@pytest.mark.parametrize("follow", ["yes", "", "Always", None])
def test_follow_symlinks_refused(follow):
    with pytest.raises(ConfigError) as e:
        SyncOptions(follow_symlinks=follow)
    assert "follow_symlinks" in str(e.value)
