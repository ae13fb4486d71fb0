# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``module_defaults: group/aws:`` beneath the task's arguments (plugins/plugin_utils/_aws_group.py):
which entries are read, which options are taken, and that the task always wins."""

import pytest

from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec
from ansible_collections.s32s.sync.plugins.plugin_utils._aws_group import (
    AwsGroupDefaultsAction,
    aws_group_entries,
    layer,
    merge_beneath,
    option_names,
    own_entries,
)

NAMES = option_names(aws_argument_spec())


def test_option_names_are_the_connection_options_of_every_amazon_aws_module():
    assert NAMES['aws_access_key_id'] == NAMES['aws_access_key'] == NAMES['access_key'] == 'access_key'
    assert NAMES['aws_secret_access_key'] == 'secret_key'
    assert NAMES['aws_endpoint_url'] == 'endpoint_url' and NAMES['aws_region'] == 'region'
    assert {'session_token', 'profile', 'validate_certs', 'aws_ca_bundle', 'aws_config'} <= set(NAMES.values())
    # none of the sync options is an AWS connection option
    assert not {'addressing_style', 'state_dir', 's3', 'src', 'dest', 'delete', 'mode', 'max_attempts'} & set(NAMES)


def test_entries_of_every_spelling_in_the_order_ansible_core_applies_them():
    play = {'group/ansible.builtin.aws': {'region': 'play'}, 'group/s32s.sync.s32s': {'region': 'ours'}}
    block = {'group/amazon.aws.aws': {'region': 'block'}, 's32s.sync.s32s_pull': {'region': 'pull'}}
    task = {'group/community.aws.aws': {'region': 'task'}, 'group/aws': '{{ aws_defaults }}'}
    assert aws_group_entries([play, block, task]) == [{'region': 'play'}, {'region': 'block'},
                                                      '{{ aws_defaults }}', {'region': 'task'}]
    assert aws_group_entries(play) == [{'region': 'play'}]
    assert aws_group_entries(None) == aws_group_entries([]) == aws_group_entries([{'group/s32s.sync.s32s': {}}]) == []


MERGE_CASES = [
    # (task args, group/aws defaults, module args)
    pytest.param({}, {'access_key': 'A', 'region': 'r'}, {'access_key': 'A', 'region': 'r'}, id='empty task'),
    pytest.param({'access_key': 'T'}, {'access_key': 'A', 'region': 'r'}, {'access_key': 'T', 'region': 'r'},
                 id='task wins, option by option'),
    pytest.param({'access_key': 'T'}, {'aws_access_key_id': 'A'}, {'access_key': 'T'},
                 id='task option beats a default under an alias'),
    pytest.param({'aws_secret_access_key': 'T'}, {'secret_key': 'A', 'aws_secret_key': 'B'},
                 {'aws_secret_access_key': 'T'}, id='task alias beats the default under any name'),
    pytest.param({'s3': 'b/p'}, {'aws_endpoint_url': 'E', 'wait': True, 'addressing_style': 'path', 's3': 'x'},
                 {'s3': 'b/p', 'aws_endpoint_url': 'E'}, id='only connection options are taken'),
    pytest.param({'endpoint_url': None}, {'endpoint_url': 'E'}, {'endpoint_url': None},
                 id='a task argument set to null is still set'),
]


@pytest.mark.parametrize('task_args, defaults, expected', MERGE_CASES)
def test_merge_beneath(task_args, defaults, expected):
    before = dict(task_args)
    assert merge_beneath(task_args, defaults, NAMES) == expected
    assert task_args == before  # a new dict
    assert merge_beneath(task_args, {}, NAMES) == task_args


class Task:
    def __init__(self, args, module_defaults):
        self.args = args
        self.module_defaults = module_defaults
        self.resolved_action = 's32s.sync.s32s_pull'


class Templar:
    """Renders '{{ name }}' from variables, recursively; leaves anything else as it is."""

    def __init__(self, variables):
        self.variables = variables
        self.templated = []

    def template(self, value):
        self.templated.append(value)
        if isinstance(value, dict):
            return {k: self.template(v) for k, v in value.items()}
        if isinstance(value, str) and value.startswith('{{ '):
            return self.variables[value[3:-3]]
        return value


def action(args, module_defaults, variables=None):
    plugin = AwsGroupDefaultsAction.__new__(AwsGroupDefaultsAction)
    plugin._task = Task(args, module_defaults)
    plugin._templar = Templar(variables or {})
    return plugin


def test_the_action_templates_only_what_it_adds_and_drops_omitted_values():
    variables = {'aws_defaults': {'aws_region': '{{ region }}', 'profile': '{{ omit }}', 'wait': '{{ undefined }}'},
                 'region': 'eu-west-3', 'omit': '__omit_place_holder__x', 'key': 'AK'}
    plugin = action({'access_key': 'T', 's3': 'b/p'},
                    [{'group/ansible.builtin.aws': {'access_key': '{{ undefined }}', 'endpoint_url': 'E'}},
                     {'group/aws': '{{ aws_defaults }}'}], variables)
    assert plugin._with_aws_group_defaults(variables) == {'access_key': 'T', 's3': 'b/p', 'endpoint_url': 'E',
                                                          'aws_region': 'eu-west-3'}
    assert plugin._task.args == {'access_key': 'T', 's3': 'b/p'}


def test_the_action_passes_the_task_unchanged_without_group_aws():
    # ansible-core already gave the task what group/s32s.sync.s32s sets (nothing was omitted)
    plugin = action({'s3': 'b/p', 'endpoint_url': 'E'}, [{'group/s32s.sync.s32s': {'endpoint_url': 'E'}}])
    assert plugin._with_aws_group_defaults({}) == {'s3': 'b/p', 'endpoint_url': 'E'}
    assert plugin._templar.templated == []


def test_own_entries_as_ansible_core_merges_them():
    play = {'group/s32s.sync.s32s': {'delete': False, 'region': 'play'}, 'group/aws': {'region': 'aws'}}
    block = {'s32s.sync.s32s_pull': {'max_delete': '0'}, 's32s.sync.s32s_push': {'max_delete': '9'}}
    task = {'group/s32s.sync.s32s': '{{ ours }}'}
    assert own_entries([play, block], 's32s.sync.s32s_pull') == [{'delete': False, 'region': 'play'},
                                                                 {'max_delete': '0'}]
    # a later group/s32s.sync.s32s replaces the earlier one as a whole, as in ansible-core
    assert own_entries([play, block, task], 's32s.sync.s32s_push') == ['{{ ours }}', {'max_delete': '9'}]
    assert own_entries(None, 's32s.sync.s32s_pull') == own_entries([{'group/aws': {}}], 'x') == []


def test_layer_keeps_one_name_per_option_the_last_set():
    assert layer([{'aws_access_key_id': 'G', 'delete': False}, {'access_key': 'M'}], NAMES) == {
        'delete': False, 'access_key': 'M'}


def test_an_omitted_argument_falls_through_to_module_defaults():
    """A role passes omit for what its user did not set; ansible-core then drops the option and its
    module_defaults too: the action gives the module the module's entry, else our group, else group/aws."""
    variables = {'ours': {'delete': False, 'max_delete': '{{ budget }}', 'aws_access_key_id': 'OURS',
                          'region': 'ours'},
                 'budget': '0', 'omit': '__omit_place_holder__x'}
    defaults = [{'group/aws': {'access_key': 'AWS', 'region': 'aws', 'profile': 'p'},
                 'group/s32s.sync.s32s': '{{ ours }}',
                 's32s.sync.s32s_pull': {'region': 'pull', 'concurrency': 2},
                 's32s.sync.s32s_push': {'lock_timeout': 1}}]
    plugin = action({'s3': 'b/p', 'concurrency': 4}, defaults, variables)
    assert plugin._with_aws_group_defaults(variables) == {
        's3': 'b/p', 'concurrency': 4, 'delete': False, 'max_delete': '0', 'aws_access_key_id': 'OURS',
        'region': 'pull'}  # no profile from group/aws beside our group's key: an identity is never mixed


@pytest.mark.parametrize('task_args, defaults, expected', [
    # a profile on the task (a role's push_profile), keys in our group: the profile alone
    ({'profile': 'good'}, [{'group/s32s.sync.s32s': {'access_key': 'AK', 'secret_key': 'SK', 'delete': False}}],
     {'profile': 'good', 'delete': False}),
    # keys on the task, a session token in our group or group/aws: the keys alone
    ({'aws_access_key_id': 'AK', 'secret_key': 'SK'},
     [{'group/s32s.sync.s32s': {'session_token': 'OTHER'}, 'group/aws': {'aws_session_token': 'X', 'region': 'r'}}],
     {'aws_access_key_id': 'AK', 'secret_key': 'SK', 'region': 'r'}),
    # nothing on the task: the identity of our group, none of group/aws's
    ({}, [{'group/s32s.sync.s32s': {'profile': 'ours'}, 'group/aws': {'access_key': 'A', 'secret_key': 'S'}}],
     {'profile': 'ours'}),
    # no identity above: group/aws gives its whole identity
    ({}, [{'group/aws': {'access_key': 'A', 'secret_key': 'S', 'session_token': 'T'}}],
     {'access_key': 'A', 'secret_key': 'S', 'session_token': 'T'}),
])
def test_an_identity_comes_whole_from_one_source(task_args, defaults, expected):
    assert action(task_args, defaults)._with_aws_group_defaults({}) == expected


def test_a_group_aws_that_is_no_dictionary_fails():
    plugin = action({}, [{'group/aws': '{{ x }}'}], {'x': 'not a dict'})
    with pytest.raises(Exception, match='group/aws must be a dictionary'):
        plugin._with_aws_group_defaults({})
