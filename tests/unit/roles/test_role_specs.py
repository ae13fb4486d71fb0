# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' defaults, argument specs, tasks and the modules' argument specs agree.

Defaults are written twice (defaults/main.yml for Ansible, meta/argument_specs.yml
for validation and ansible-doc), as in prometheus-community's roles: these tests
keep the copies equal, and check that every role variable reaches the module
option of the same name. A variable whose option has a module default is null
(not set) and omitted then, so that the play's module_defaults and then the
module's own default apply; its argument spec names that default.
"""

import os
import re

import pytest
import yaml

from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec
from ansible_collections.s32s.sync.plugins.module_utils._argspec import (
    pull_argument_spec, push_argument_spec, sync_argument_spec)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = {'pull': pull_argument_spec, 'push': push_argument_spec, 'share': sync_argument_spec}
#: The module each role runs.
MODULES = {'pull': 's32s.sync.s32s_pull', 'push': 's32s.sync.s32s_push', 'share': 's32s.sync.s32s_sync'}
#: Every role with meta/argument_specs.yml and defaults/main.yml (watch runs no module: it installs a service).
SPEC_ROLES = sorted(ROLES) + ['watch']
#: Role variables that are not module options.
ROLE_ONLY = {'pull': {'restart_services'}, 'push': set(), 'share': {'restart_services'}}
#: Registered results (outputs, not inputs).
OUTPUTS = {'pull_result', 'push_result', 'share_result', 'watch_status'}
#: Tags (same naming scheme).
TAGS = {'pull_preflight', 'pull_sync', 'push_preflight', 'push_sync', 'share_preflight', 'share_sync',
        'watch_preflight', 'watch_install', 'watch_configure', 'watch_run', 'watch_status'}
#: Inventory groups the playbooks run on (same naming scheme).
GROUPS = {'share_hosts', 'watch_hosts'}
TYPES = {'str': str, 'path': str, 'raw': (str, int), 'bool': bool, 'int': int, 'float': (int, float), 'list': list,
         'dict': dict}


def load(role, *parts):
    with open(os.path.join(ROOT, 'roles', role, *parts), encoding='utf-8') as f:
        return yaml.safe_load(f)


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding='utf-8') as f:
        return f.read()


def options(role):
    return load(role, 'meta', 'argument_specs.yml')['argument_specs']['main']['options']


def module_spec(role):
    spec = aws_argument_spec()
    spec.update(ROLES[role]())
    return spec


@pytest.mark.parametrize('role', SPEC_ROLES)
def test_every_default_is_in_argument_specs_with_the_same_value(role):
    defaults = load(role, 'defaults', 'main.yml')
    opts = options(role)
    assert defaults, 'empty defaults'
    for name, value in defaults.items():
        assert name.startswith('%s_' % role), name
        assert name in opts, '%s is in defaults/main.yml but not in meta/argument_specs.yml' % name
        if value is None:  # not set: no default in the spec either (ansible-doc shows null)
            assert opts[name].get('default') is None, name
            continue
        assert 'default' in opts[name], '%s has no default in meta/argument_specs.yml' % name
        assert opts[name]['default'] == value, name
        assert type(opts[name]['default']) is type(value), name  # True != 1, '' != []
        assert isinstance(value, TYPES[opts[name]['type']]), (name, opts[name]['type'], value)


@pytest.mark.parametrize('role', SPEC_ROLES)
def test_every_argument_spec_option_has_a_default(role):
    defaults = load(role, 'defaults', 'main.yml')
    for name, spec in options(role).items():
        assert name in defaults or spec.get('required'), '%s has no default in defaults/main.yml' % name
        assert spec.get('description'), '%s is not documented' % name
        if 'choices' in spec:
            assert spec.get('default') in spec['choices'], name


@pytest.mark.parametrize('role', SPEC_ROLES)
def test_secrets_are_no_log(role):
    opts = options(role)
    for name in ('secret_key', 'session_token'):
        assert opts['%s_%s' % (role, name)].get('no_log') is True
        if role in ROLES:
            assert module_spec(role)[name].get('no_log') is True


@pytest.mark.parametrize('role', sorted(ROLES))
def test_role_variables_are_module_options_with_the_module_defaults(role):
    spec = module_spec(role)
    prefix = '%s_' % role
    for name, value in load(role, 'defaults', 'main.yml').items():
        option = name[len(prefix):]
        if option in ROLE_ONLY[role]:
            continue
        assert option in spec, '%s: the module has no option %r' % (name, option)
        module_default = spec[option].get('default')
        if module_default is not None:
            # not set, so that module_defaults apply; the spec says which default applies then
            assert value is None, '%s: role default %r hides module_defaults' % (name, value)
            shown = (str(module_default).lower() if isinstance(module_default, bool) else
                     '%g' % module_default if isinstance(module_default, float) else str(module_default))
            assert ('module default V(%s).' % shown) in options(role)[name]['description'][-1], name
            if 'choices' in spec[option]:
                assert set(options(role)[name]['choices']) == set(spec[option]['choices']) | {'', None}, name
        else:  # no module default: the role's "not set" value is empty and omitted
            assert value in ('', [], {}), '%s: %r although the module has no default' % (name, value)


@pytest.mark.parametrize('role', sorted(ROLES))
def test_the_task_passes_every_variable_to_its_option(role):
    tasks = load(role, 'tasks', 'main.yml')
    module = MODULES[role]
    (task,) = [t for t in tasks if module in t]
    args = task[module]
    prefix = '%s_' % role
    defaults = load(role, 'defaults', 'main.yml')
    passed = set()
    for option, expr in args.items():
        (var,) = set(re.findall(r'\b(%s\w+)' % prefix, expr))
        assert var == prefix + option, (option, expr)
        if var in defaults and defaults[var] in ('', [], {}):
            assert 'default(omit, true)' in expr, '%s: an empty value must be omitted' % option
        if var in defaults and defaults[var] is None:  # null or '' is not set; false, 0 are values
            assert expr in ("{{ omit if %s in [none, ''] else %s }}" % (var, var),
                            "{{ omit if %s in [none, ''] else %s | string }}" % (var, var)), expr
        passed.add(var)
    expected = {v for v in defaults if v[len(prefix):] not in ROLE_ONLY[role]}
    expected |= {name for name, spec in options(role).items() if spec.get('required')}
    assert passed == expected
    assert task['register'] == '%s_result' % role


@pytest.mark.parametrize('path', [
    'roles/pull/tasks/main.yml', 'roles/pull/tasks/preflight.yml', 'roles/pull/handlers/main.yml',
    'roles/push/tasks/main.yml', 'roles/push/tasks/preflight.yml', 'roles/share/tasks/main.yml',
    'roles/share/handlers/main.yml', 'roles/watch/tasks/main.yml', 'roles/watch/tasks/preflight.yml',
    'roles/watch/tasks/install.yml', 'roles/watch/tasks/configure.yml',
    'roles/watch/tasks/unit.yml', 'roles/watch/handlers/main.yml', 'roles/watch/vars/main.yml',
    'roles/watch/templates/s32s-watch.service.j2', 'playbooks/deploy_site.yml', 'playbooks/publish_site.yml',
    'playbooks/share.yml', 'playbooks/watch.yml', 'playbooks/inventory/example.yml'])
def test_every_variable_used_exists(path):
    known = OUTPUTS | TAGS | GROUPS
    for role in SPEC_ROLES:
        known.update(options(role))
    used = set(re.findall(r'(?<![\w.])((?:pull|push|share|watch)_\w+)', read(path)))
    if path.startswith('roles/'):
        assert used, 'no role variable found: the pattern is wrong'
    assert used - known == set()


@pytest.mark.parametrize('role,module,topic', [('pull', 's32s.sync.s32s_pull', 's32s_pull'),
                                               ('share', 'ansible.builtin.debug', 's32s_sync')])
def test_handlers_restart_on_their_topic_only_and_the_public_topic_is_always_defined(role, module, topic):
    """The task notifies "<topic> changed" (for every handler that listens to it; the role defines it
    with a no-op handler, since notifying a topic nobody listens to is an error) and, only when there
    are services, the role's own restart topic: no skipped handler line on a change otherwise."""
    restart, noop = load(role, 'handlers', 'main.yml')
    assert restart['listen'] == '%s restart services' % topic
    assert restart['ansible.builtin.service'] == {'name': '{{ item }}', 'state': 'restarted'}
    assert restart['loop'] == '{{ %s_restart_services }}' % role
    assert restart['when'] == 'not ansible_check_mode'
    assert noop['listen'] == '%s changed' % topic and noop['ansible.builtin.meta'] == 'noop'
    tasks = load(role, 'tasks', 'main.yml')
    tasks = [t for block in tasks for t in block.get('block', [block])]
    (task,) = [t for t in tasks if module in t and 'notify' in t]
    assert task['notify'] == ("{{ ['%s changed'] + (['%s restart services'] "
                              "if %s_restart_services | length > 0 else []) }}" % (topic, topic, role))


@pytest.mark.parametrize('role', SPEC_ROLES)
def test_the_readme_names_only_real_variables_and_every_group(role):
    """roles/<role>/README.md (the Galaxy importer requires one) points at the argument specs and does not drift."""
    text = read('roles', role, 'README.md')
    assert text.startswith('# s32s.sync.%s\n' % role)
    assert 'meta/argument_specs.yml' in text
    for section in ('## Variables', '## Example play', '## Handlers'):
        assert section in text, section
    defaults = load(role, 'defaults', 'main.yml')
    named = set(re.findall(r'(?<![\w.])(%s_\w+)' % role, text))
    assert named - set(options(role)) - OUTPUTS - TAGS - GROUPS == set()
    # every variable of the role appears in the summary table
    assert set(defaults) - named == set()
    for block in re.findall(r'```yaml\n(.*?)```', text, re.S):
        for play in yaml.safe_load(block):
            for entry in play['roles']:
                assert entry['role'] == 's32s.sync.%s' % role
                assert set(entry['vars']) <= set(options(role)), entry['vars']
