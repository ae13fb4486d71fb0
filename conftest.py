# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``import ansible_collections.s32s.sync...`` work under plain pytest.

Creates ``.collections/ansible_collections/s32s/sync`` (a relative symlink to the
repository root, the same one ``make collpath`` makes) and puts ``.collections``
first on sys.path.  amazon.aws/community.aws extracted there by ``make collpath``
become importable the same way.
"""

import os
import sys

_ROOT = os.path.dirname(os.path.abspath(__file__))
_COLL_ROOT = os.path.join(_ROOT, '.collections')
_LINK = os.path.join(_COLL_ROOT, 'ansible_collections', 's32s', 'sync')

if not os.path.lexists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    try:
        os.symlink(os.path.relpath(_ROOT, os.path.dirname(_LINK)), _LINK)
    except FileExistsError:  # created concurrently (pytest-xdist workers)
        pass
if _COLL_ROOT not in sys.path:
    sys.path.insert(0, _COLL_ROOT)
