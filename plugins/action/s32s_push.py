# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of s32s.sync.s32s_push: applies the play's ``module_defaults: group/aws:``
beneath the task's arguments (see ``plugins/plugin_utils/_aws_group.py``)."""

from __future__ import annotations

from ansible_collections.s32s.sync.plugins.plugin_utils._aws_group import AwsGroupDefaultsAction


class ActionModule(AwsGroupDefaultsAction):
    """Runs s32s.sync.s32s_push with the play's group/aws defaults beneath its own arguments."""
