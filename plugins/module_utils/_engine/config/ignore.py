# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S32S ``ignore`` rules.

**PRIVATE**: this module is internal to the s32s.sync collection.

A rule is matched against the path *relative to the map root*, with ``/``
separators and no leading ``/`` (the seed README: ``spam/dir/picture.jpg``,
not ``picture.jpg`` nor ``/spam/dir/picture.jpg``).

The seed defines three forms; ``*`` is the only wildcard:

==============  ==========================================  ==============
rule            matches a path that...                      origin
==============  ==========================================  ==============
``text*``       starts with ``text``                        S32S README
``*text``       ends with ``text``                          S32S README
``*text*``      contains ``text``                           S32S README
``a*b``         starts with ``a`` and ends with ``b``       our choice
``text``        is exactly ``text``                         our choice
==============  ==========================================  ==============

In general a rule is a pattern where each ``*`` stands for any run of
characters, ``/`` included, anchored at both ends. Our further choice: a rule
that matches a *directory* path ignores everything below it, so ``cache`` or
``*__pycache__`` ignore the whole directory. An ignored path is never read,
transferred or deleted, on either side. A trailing ``/`` is dropped
(``cache/`` is the directory ``cache``).
"""

from __future__ import annotations

import re
import typing as t

from ..errors import ConfigError


def rule_regex(rule: str) -> str:
    """The regular expression (no group; to be matched whole, with ``re.DOTALL``) of one rule."""
    if len(rule) > 1 and rule.endswith("/"):
        rule = rule[:-1]  # 'cache/' names the directory 'cache'
    return ".*".join(re.escape(part) for part in rule.split("*"))


class IgnoreRules:
    """A compiled list of S32S ignore rules.

    :param rules: list of rule strings; ``None`` means no rule.
    :param where: a label for error messages, e.g. ``map 'site' field 'ignore'``.
    :raises ConfigError: ``rules`` is not a list of non-empty strings (a
        string is refused: S32S would have read it as one rule per character).
    """

    def __init__(self, rules: t.Optional[t.Sequence[str]] = None, where: str = "ignore") -> None:
        if rules is None:
            rules = []
        if isinstance(rules, (str, bytes)) or not isinstance(rules, (list, tuple)):
            raise ConfigError(f"{where} must be a list of strings, got {type(rules).__name__}")
        self.rules: list[str] = []
        patterns: list[str] = []
        for rule in rules:
            if not isinstance(rule, str) or not rule or not rule.strip("*"):
                raise ConfigError(f"{where} holds an invalid rule {rule!r}: a rule is a non-empty string other than '*'")
            self.rules.append(rule)
            patterns.append(rule_regex(rule))
        self._regex = re.compile("|".join(f"(?:{p})" for p in patterns), re.DOTALL) if patterns else None

    def __bool__(self) -> bool:
        return bool(self.rules)

    def matches(self, relpath: str) -> bool:
        """Return whether ``relpath`` (``a/b/c``) or one of its parent
        directories (``a``, ``a/b``) matches a rule."""
        regex = self._regex
        if regex is None:
            return False
        if regex.fullmatch(relpath):
            return True
        pos = relpath.find("/")
        while pos != -1:
            if regex.fullmatch(relpath, 0, pos):
                return True
            pos = relpath.find("/", pos + 1)
        return False


__all__ = ["IgnoreRules", "rule_regex"]
