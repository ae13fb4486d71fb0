# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Attributes shared by the s32s.sync sync modules."""

    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the full plan, deletions included, without modifying anything.
    support: full
  diff_mode:
    description: Returns C(diff.prepared), one line per upload, download, update and delete, in check mode too.
    support: full
  idempotent:
    description: A second run with nothing changed reports C(changed=false) and sends no PUT, DELETE, HEAD or GET per object.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
  action_group:
    description:
      - Action is part of action_group(s), for convenient setting of module_defaults.
      - The AWS connection options of C(module_defaults) for C(group/aws) (or C(group/amazon.aws.aws), C(group/community.aws.aws))
        apply too, through this module's action plugin. The task's own arguments win over C(group/s32s.sync.s32s),
        which wins over C(group/aws), option by option.
    support: full
    membership:
      - s32s.sync.s32s
"""
