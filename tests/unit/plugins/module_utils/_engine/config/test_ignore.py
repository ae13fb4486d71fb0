# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S32S ignore rules (plugins/module_utils/_ignore.py).

Sources of the expectations: the seed README's "Direttiva ignore" table and
note (rules match the path relative to the map root), and the choices the
module documents (no ``*`` = exact path, ``a*b``, a matching directory
ignores everything below, a string instead of a list is an error).
"""

from __future__ import annotations

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import ConfigError
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules


# (rule, relpath, ignored?)
CASES = [
    # --- the seed's three forms -------------------------------------------
    ("string*", "string", True),
    ("string*", "stringfile.txt", True),
    ("string*", "string/deep/file", True),
    ("string*", "a/string", False),
    ("string*", "xstring", False),
    ("string*", "strin", False),
    ("*string", "string", True),
    ("*string", "abc.string", True),
    ("*string", "dir/abcstring", True),
    ("*string", "stringx", False),
    ("*string*", "string", True),
    ("*string*", "a/b/xstringy/c", True),
    ("*string*", "strin/g", False),
    # --- seed note: the relpath, not the file name nor a leading '/' ------
    ("spam/dir/picture.jpg", "spam/dir/picture.jpg", True),
    ("picture.jpg", "spam/dir/picture.jpg", False),
    ("picture.jpg*", "spam/dir/picture.jpg", False),
    ("/spam/dir/picture.jpg", "spam/dir/picture.jpg", False),
    ("*picture.jpg", "spam/dir/picture.jpg", True),
    ("spam/*", "spam/dir/picture.jpg", True),
    # --- seed README example map: ["*__pycache__*", ".*", "*.bmp"] --------
    ("*__pycache__*", "pkg/__pycache__/mod.cpython-311.pyc", True),
    ("*__pycache__*", "pkg/pycache/mod.pyc", False),
    (".*", ".git/config", True),
    (".*", ".htaccess", True),
    (".*", "sub/.hidden", False),  # starts-with on the relpath, as the seed says
    ("*.bmp", "img/logo.bmp", True),
    ("*.bmp", "img/logo.bmpx", False),
    ("*.bmp", "img/logo.BMP", False),  # case-sensitive
    # --- our choice: no '*' is an exact path --------------------------------
    ("cache", "cache", True),
    ("cache", "cache2", False),
    ("cache", "xcache", False),
    ("cache", "sub/cache", False),
    ("cache", "sub/cache/f", False),
    ("a/b.txt", "a/b.txt", True),
    ("a/b.txt", "a/b.txt.bak", False),
    # --- our choice: a matching directory ignores everything below ----------
    ("cache", "cache/f", True),
    ("cache", "cache/deep/er/f", True),
    ("*__pycache__", "x/__pycache__/y.pyc", True),
    ("*__pycache__", "x/__pycache__", True),
    ("*.bmp", "dir.bmp/file.txt", True),   # consequence of the directory rule
    ("a/b", "a/b/c", True),
    ("a/b", "a/bc/d", False),
    ("a", "ab/c", False),
    # --- our choice: a '*' in the middle = starts with ... and ends with ... --
    ("a*b", "ab", True),
    ("a*b", "axxb", True),
    ("a*b", "a/x/b", True),               # '*' crosses '/'
    ("a*b", "ba", False),
    ("a*b", "abc", False),
    ("a*b", "ab/c", True),                # 'ab' is a directory that matches
    ("a*b", "xab", False),
    ("docs/*.tmp", "docs/x.tmp", True),
    ("docs/*.tmp", "docs/sub/x.tmp", True),
    ("docs/*.tmp", "other/docs/x.tmp", False),
    ("*a*b*", "xxaxxbxx", True),
    ("*a*b*", "xxbxxaxx", False),
    ("**x**", "x", True),                 # consecutive stars are one
    ("a**b", "ab", True),
    # --- no other wildcard: regex and glob characters are literal ----------
    ("a.c", "abc", False),
    ("a.c", "a.c", True),
    ("[ab]*", "a", False),
    ("[ab]*", "[ab]x", True),
    ("?x", "ax", False),
    ("?x", "?x", True),
    ("a+b", "aab", False),
    ("a+b", "a+b", True),
    ("(x)|y*", "y", False),
    ("(x)|y*", "(x)|yz", True),
    ("^a$", "a", False),
    ("\\d*", "1", False),
    ("\\d*", "\\d9", True),
    # --- anything, including a newline, is a run of characters ------------
    ("a*b", "a\nb", True),
    # --- unicode is compared code point by code point (no NFC/NFD folding) -
    ("caf\u00e9*", "caf\u00e9/x", True),
    ("caf\u00e9*", "cafe\u0301/x", False),
]


@pytest.mark.parametrize("rule, relpath, expected", CASES)
def test_single_rule(rule, relpath, expected):
    assert IgnoreRules([rule]).matches(relpath) is expected


@pytest.mark.parametrize("rule, relpath, expected", CASES)
def test_rule_among_others_that_do_not_match(rule, relpath, expected):
    # Alternatives must not leak: a rule that matches nothing changes nothing,
    # wherever it sits in the list.
    noise = ["zz-never-*", "*-never-zz", "never-exact"]
    assert IgnoreRules(noise + [rule]).matches(relpath) is expected
    assert IgnoreRules([rule] + noise).matches(relpath) is expected


def test_several_rules_any_matches():
    rules = IgnoreRules(["*__pycache__*", ".*", "*.bmp"])
    assert rules.matches("a/__pycache__/b")
    assert rules.matches(".env")
    assert rules.matches("x.bmp")
    assert not rules.matches("index.html")
    assert not rules.matches("sub/.env")


@pytest.mark.parametrize("rules", [None, [], ()])
def test_no_rules_match_nothing(rules):
    ignore = IgnoreRules(rules)
    assert not ignore
    assert ignore.rules == []
    for path in ("a", "a/b", ".x", "*"):
        assert not ignore.matches(path)


def test_truthiness_and_rules_kept_in_order():
    ignore = IgnoreRules(["b*", "a*"])
    assert ignore
    assert ignore.rules == ["b*", "a*"]


@pytest.mark.parametrize("bad", ["*.bmp", "", b"*.bmp", {"rule": "*.bmp"}, 3, True])
def test_a_non_list_is_an_error_not_one_rule_per_character(bad):
    with pytest.raises(ConfigError) as e:
        IgnoreRules(bad, "map 'site' field 'ignore'")
    assert "map 'site' field 'ignore'" in str(e.value)
    assert "list" in str(e.value)


def test_a_string_would_otherwise_have_ignored_by_character():
    # What S32S would have done with "*.bmp": one rule per character, so '*'
    # alone would match everything. We must refuse instead.
    with pytest.raises(ConfigError):
        IgnoreRules("*")


@pytest.mark.parametrize("bad", ["*", "**", "", None, 1, ["a*"]])
def test_invalid_rule_in_the_list(bad):
    with pytest.raises(ConfigError) as e:
        IgnoreRules(["ok*", bad], "map 'm' field 'ignore'")
    assert "map 'm' field 'ignore'" in str(e.value)
    assert repr(bad) in str(e.value)


def test_tuple_is_accepted_like_a_list():
    assert IgnoreRules(("*.bmp",)).matches("a.bmp")


def test_readme_dot_file_rules_top_level_and_every_depth():
    """README: ``.*`` ignores dot files at the top of the map only; ``*/.*`` at every depth."""
    top = IgnoreRules([".*"], "ignore")
    assert top.matches(".env") and not top.matches("img/.DS_Store")
    both = IgnoreRules([".*", "*/.*"], "ignore")
    assert all(both.matches(p) for p in (".env", ".git/config", "img/.DS_Store", "app/.cache/x"))
    assert not any(both.matches(p) for p in ("a.b/c", "x/y.z", "index.html"))
