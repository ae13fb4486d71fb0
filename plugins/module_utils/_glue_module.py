# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module object of the S3 modules: ``AnsibleAWSModule`` without its deprecated result key.

**PRIVATE**: this module is internal to the s32s.sync collection.

``AnsibleAWSModule.warn`` (amazon.aws 10.x) passes each warning to
``AnsibleModule.warn``, which already puts it into the result, and also keeps
it in ``_warnings``; on ansible-core 2.19 and later its ``exit_json`` and
``fail_json`` then pass that list again as ``warnings=``, which ansible-core
2.19 deprecates ("Passing 'warnings' to 'exit_json' or 'fail_json' is
deprecated", removal in 2.23): one deprecation warning beside every warning.
:class:`S32SModule` empties that second copy before exiting; every warning
still reaches the result once, through ``AnsibleModule.warn``.
"""

from __future__ import annotations

import typing as t

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


class S32SModule(AnsibleAWSModule):
    """``AnsibleAWSModule`` whose ``exit_json``/``fail_json`` never pass ``warnings=``."""

    def _drop_second_copy(self) -> None:
        if isinstance(getattr(self, "_warnings", None), list):
            self._warnings = []

    def exit_json(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        self._drop_second_copy()
        super().exit_json(*args, **kwargs)

    def fail_json(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        self._drop_second_copy()
        super().fail_json(*args, **kwargs)


__all__ = ["S32SModule"]
