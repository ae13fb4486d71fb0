# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``module_defaults: group/aws:`` beneath the task's arguments (plugins/plugin_utils/_aws_group.py):
which entries are read, which options are taken, and that the task always wins."""

import pytest

from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec
from ansible_collections.s32s.sync.plugins.plugin_utils._aws_group import (
    AwsGroupDefaultsAction,
    aws_group_entries,
    merge_beneath,
    option_names,
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
    plugin = action({'s3': 'b/p'}, [{'group/s32s.sync.s32s': {'endpoint_url': 'E'}}])
    assert plugin._with_aws_group_defaults({}) == {'s3': 'b/p'}
    assert plugin._templar.templated == []


def test_a_group_aws_that_is_no_dictionary_fails():
    plugin = action({}, [{'group/aws': '{{ x }}'}], {'x': 'not a dict'})
    with pytest.raises(Exception, match='group/aws must be a dictionary'):
        plugin._with_aws_group_defaults({})
