# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exit codes of ``s32s-watch`` (README.md).

**PRIVATE**: this module is internal to the s32s.sync collection.
"""

#: Done (``run``: stopped by SIGTERM/SIGINT; ``rescan``: every map reconciled).
RC_OK = 0
#: ``rescan`` finished but a map failed or was refused; ``run``: a fatal error after start.
RC_FAILED = 1
#: Usage or configuration error.
RC_CONFIG = 2
#: The state directory cannot be used.
RC_STATE = 3
#: ``rescan``: the running service did not finish the request within ``--timeout``.
RC_TIMEOUT = 4
#: ``run``: another service already runs on this state directory.
RC_RUNNING = 5

__all__ = ["RC_OK", "RC_FAILED", "RC_CONFIG", "RC_STATE", "RC_TIMEOUT", "RC_RUNNING"]
