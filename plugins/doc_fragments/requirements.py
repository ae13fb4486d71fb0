# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """What the host that runs an s32s.sync module needs.

    Used instead of amazon.aws.boto3, whose floors (python >= 3.6, boto3 >= 1.34) are lower than what
    these modules work with. The versions are those of plugins/module_utils/_requirements.py, which
    the modules check before any work, and those that ``make compat`` proves (CONTRIBUTING.md).
    """

    DOCUMENTATION = r"""
options: {}
requirements:
  - python >= 3.9
  - boto3 >= 1.36.0
  - botocore >= 1.36.0
notes:
  - The host that runs the module (a slave, the master, or the control node for tasks delegated to it) needs
    Python 3.9 or later with boto3 and botocore 1.36 or later (the first whose client settings take
    C(request_checksum_calculation) and C(response_checksum_validation)). Below that the module fails before
    any change, with a message naming what is missing.
"""
