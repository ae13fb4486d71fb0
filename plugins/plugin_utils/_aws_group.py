# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``module_defaults`` for the s32s.sync modules (controller side): ``group/aws``, and an omitted
argument that falls through to ``module_defaults``.

**PRIVATE**: this module is internal to the s32s.sync collection.

ansible-core resolves ``group/aws`` to the action groups of amazon.aws and
community.aws only, so it never gives those defaults to another collection's
modules. The action plugins of the s32s.sync modules (``plugins/action/``) use
:class:`AwsGroupDefaultsAction` to apply them themselves, beneath what the task
already got from ansible-core: its own arguments, the module's own
``module_defaults`` entry and ``group/s32s.sync.s32s``. Only the AWS connection
options (``amazon.aws``'s ``aws_argument_spec()``: credentials, profile,
endpoint, region, certificates, ``aws_config``) are taken, the options every
module of the group accepts; anything else in ``group/aws`` is left out.

ansible-core drops a task argument whose value is ``omit`` together with what
``module_defaults`` gave that option ("omit == obliterate", ansible-core's
``ChainTemplar``), so a role that passes ``omit`` for a variable its user did not
set would also hide the play's ``module_defaults`` (``max_delete``, ``delete``,
credentials...) and the module's own default would apply. For the s32s.sync
modules an omitted argument is not set: the action applies the task's
``module_defaults`` of this collection (its own entry, then
``group/s32s.sync.s32s``, computed as ansible-core does) to every option the
task's arguments do not hold, then ``group/aws`` beneath both.
"""

from __future__ import annotations

import typing as t
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec

#: This collection's action group (meta/runtime.yml) as ansible-core names it once ``module_defaults`` is loaded.
OWN_GROUP = "group/s32s.sync.s32s"

#: The names ``group/aws`` may carry after ansible-core has loaded ``module_defaults``
#: (``aws`` becomes ``ansible.builtin.aws``, whose group extends the other two).
AWS_GROUPS = ("aws", "ansible.builtin.aws", "ansible.legacy.aws", "amazon.aws.aws", "community.aws.aws")


def option_names(spec: Mapping[str, Mapping[str, t.Any]]) -> dict[str, str]:
    """Every name of an argument spec, aliases included, mapped to its option's name."""
    names = {}
    for option, settings in spec.items():
        names[option] = option
        for alias in settings.get("aliases") or ():
            names[alias] = option
    return names


def aws_group_entries(module_defaults: t.Any) -> list[t.Any]:
    """The ``group/aws`` values of a task's ``module_defaults``, in the order ansible-core applies them.

    ``module_defaults`` is the task's list of dicts (outermost first: play, blocks,
    task) or a single dict; a later entry overrides an earlier one, option by option.
    A value is a dict or a template of one (not templated here).
    """
    if not module_defaults:
        return []
    if isinstance(module_defaults, Mapping):
        module_defaults = [module_defaults]
    return [defaults["group/" + group] for defaults in module_defaults if isinstance(defaults, Mapping)
            for group in AWS_GROUPS if "group/" + group in defaults]


def own_entries(module_defaults: t.Any, action: str) -> list[t.Any]:
    """The ``module_defaults`` values of this collection that ansible-core gives a task of ``action``,
    lowest first: ``group/s32s.sync.s32s``, then the entry of ``action`` (its fully qualified name).

    As ansible-core does (``module_common``), the entries of ``module_defaults`` (play, blocks, task)
    are merged key by key first, so a block's ``group/s32s.sync.s32s`` replaces the play's whole.
    A value is a dict or a template of one (not templated here).
    """
    if not module_defaults:
        return []
    if isinstance(module_defaults, Mapping):
        module_defaults = [module_defaults]
    merged: dict[str, t.Any] = {}
    for defaults in module_defaults:
        if isinstance(defaults, Mapping):
            merged.update(defaults)
    return [merged[key] for key in (OWN_GROUP, action) if key in merged]


def layer(entries: t.Iterable[Mapping[str, t.Any]], names: Mapping[str, str]) -> dict[str, t.Any]:
    """Merge dicts of options, a later one winning option by option: a name and its aliases
    (``names``; a name not there is its own option) are one option, kept under the last name set."""
    out: dict[str, t.Any] = {}
    for entry in entries:
        for name, value in entry.items():
            option = names.get(name, name)
            for other in [n for n in out if names.get(n, n) == option]:
                del out[other]
            out[name] = value
    return out


#: The options that name an identity: they come together from one source, never mixed across sources.
CREDENTIAL_OPTIONS = frozenset(("access_key", "secret_key", "session_token", "profile"))


def without_credentials_if_set(args: Mapping[str, t.Any], defaults: Mapping[str, t.Any],
                               names: Mapping[str, str]) -> dict[str, t.Any]:
    """``defaults`` without its credential options when ``args`` already hold one.

    A profile set on a task (or a role variable) with keys in ``module_defaults``, or keys on the task
    with a session token in ``module_defaults``, would otherwise reach the module mixed: amazon.aws then
    refuses a profile with keys, or signs with one identity's keys and another's token. The identity
    comes whole from the highest source that names one (task, then this collection's defaults, then
    ``group/aws``); other options still fall through one by one.
    """
    if not any(names.get(name, name) in CREDENTIAL_OPTIONS for name in args):
        return dict(defaults)
    return {name: value for name, value in defaults.items() if names.get(name, name) not in CREDENTIAL_OPTIONS}


def merge_beneath(task_args: Mapping[str, t.Any], defaults: Mapping[str, t.Any],
                  names: Mapping[str, str], *, any_option: bool = False) -> dict[str, t.Any]:
    """``task_args`` plus each entry of ``defaults`` that the task does not set itself.

    :param task_args: the arguments the task already has (its own, then its
        ``module_defaults`` from ansible-core); they always win.
    :param defaults: ``group/aws`` defaults, merged and templated.
    :param names: option name or alias -> option name (:func:`option_names`);
        an entry of ``defaults`` whose name is not here is left out, unless
        ``any_option`` (then it is its own option).
    :returns: a new dict. An option set in ``task_args`` under any of its names
        (an alias included) takes nothing from ``defaults``, so the module never
        gets one option twice from two sources.
    """
    given = {names.get(name, name) for name in task_args}
    merged = dict(task_args)
    for name, value in defaults.items():
        if (any_option or name in names) and names.get(name, name) not in given:
            merged[name] = value
            given.add(names.get(name, name))
    return merged


class AwsGroupDefaultsAction(ActionBase):
    """Runs the task's module with the play's ``group/aws`` defaults beneath its own arguments.

    Otherwise the same as ansible-core's ``normal`` action: check mode, diff,
    async, ``delegate_to`` and ``no_log`` behave as for a module without an
    action plugin.
    """

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        module_args = self._with_aws_group_defaults(task_vars or {})
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(module_args=module_args, task_vars=task_vars,
                                                         wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _with_aws_group_defaults(self, task_vars: Mapping[str, t.Any]) -> dict[str, t.Any]:
        """The task's arguments; beneath them this collection's ``module_defaults`` for the options
        they do not hold (an omitted one included), then ``group/aws`` (templated)."""
        names = option_names(aws_argument_spec())
        own = layer((self._as_dict(entry, OWN_GROUP) for entry in
                     own_entries(self._task.module_defaults, getattr(self._task, "resolved_action", None) or "")),
                    names)
        aws = layer((self._as_dict(entry, "group/aws") for entry in aws_group_entries(self._task.module_defaults)),
                    names)
        task_args = dict(self._task.args)
        with_own = merge_beneath(task_args, without_credentials_if_set(task_args, own, names), names, any_option=True)
        with_defaults = merge_beneath(with_own, without_credentials_if_set(with_own, aws, names), names)
        added = {name: value for name, value in with_defaults.items() if name not in task_args}
        if not added:
            return task_args
        # only what is used is templated, as ansible-core does with the defaults of a task.
        # ansible-core 2.19 drops omitted values from a templated dict; older ones leave the omit token.
        omit = task_vars.get("omit")
        task_args.update((name, value) for name, value in self._templar.template(added).items()
                         if omit is None or value != omit)
        return task_args

    def _as_dict(self, entry: t.Any, group: str) -> Mapping[str, t.Any]:
        """A ``module_defaults`` value as a dict (a template of one is templated, not its values)."""
        if not isinstance(entry, Mapping):  # a template of a dict
            entry = self._templar.template(entry)
        if not isinstance(entry, Mapping):
            raise AnsibleActionFail(f"module_defaults {group} must be a dictionary of module options")
        return entry
