# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documentation renders where Ansible users look (issue 5, point 3).

``ansible-doc s32s.sync.<module>`` and ``ansible-doc -t role s32s.sync.<role>`` run as a user
would run them (text output, the collection found through ``ANSIBLE_COLLECTIONS_PATH``): rc 0,
no warning, the key options listed, the check/diff/idempotency attributes and the ``seealso``
links to amazon.aws.s3_object and community.aws.s3_sync present.
"""

import os
import re
import subprocess

import pytest

# module -> options a user looks for first
MODULE_OPTIONS = {
    's32s_push': {'maps_s3_path', 'maps_file', 'maps', 's3', 'src', 'names', 'ignore', 'files', 'delete',
                  'max_delete', 'allow_empty_source', 'state_dir', 'follow_symlinks', 'endpoint_url',
                  'access_key', 'secret_key', 'region', 'addressing_style', 'object_attributes', 'sse',
                  'sse_kms_key_id'},
    's32s_pull': {'maps_s3_path', 'maps_file', 'maps', 's3', 'dest', 'names', 'ignore', 'files', 'delete',
                  'max_delete', 'allow_empty_source', 'state_dir', 'owner', 'group', 'mode', 'directory_mode',
                  'endpoint_url', 'access_key', 'secret_key', 'region', 'addressing_style'},
    's32s_replicate': {'src', 'dest', 'keys', 'delete', 'max_delete', 'endpoint_url', 'access_key', 'secret_key',
                       'region'},
}
# role -> variables a user looks for first
ROLE_OPTIONS = {
    'push': {'push_maps_s3_path', 'push_maps', 'push_names', 'push_max_delete', 'push_endpoint_url',
             'push_object_attributes', 'push_sse', 'push_sse_kms_key_id',
             'push_access_key', 'push_secret_key', 'push_state_dir'},
    'pull': {'pull_maps_s3_path', 'pull_maps', 'pull_names', 'pull_max_delete', 'pull_owner', 'pull_mode',
             'pull_restart_services', 'pull_endpoint_url', 'pull_access_key', 'pull_secret_key',
             'pull_state_dir'},
    'watch': {'watch_maps', 'watch_delete', 'watch_max_delete', 'watch_endpoint_url', 'watch_secret_key',
              'watch_install_dir', 'watch_state_dir', 'watch_virtualenv', 'watch_service_manager', 'watch_user'},
}
HEADER = re.compile(r'^([A-Z][A-Z ]+[A-Z])(?: \(.*\))?:', re.M)


def ansible_doc(env, *args):
    exe = os.path.join(os.path.dirname(env['ANSIBLE_PYTHON_INTERPRETER']), 'ansible-doc')
    proc = subprocess.run([exe] + list(args), env=dict(env, ANSIBLE_NOCOLOR='1', ANSIBLE_DEPRECATION_WARNINGS='1'),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, 'ansible-doc %s: rc=%d\n%s' % (' '.join(args), proc.returncode, proc.stderr[-3000:])
    assert '[WARNING]' not in proc.stderr and '[ERROR]' not in proc.stderr, proc.stderr
    return proc.stdout


def sections(text):
    """Upper-case section title (OPTIONS, ATTRIBUTES, SEE ALSO, ...) -> its text."""
    marks = [(m.start(), m.group(1)) for m in HEADER.finditer(text)]
    return {name: text[start:(marks[i + 1][0] if i + 1 < len(marks) else len(text))]
            for i, (start, name) in enumerate(marks)}


def option_names(text):
    """Names of the options listed as '- name' or '= name' (required) at the start of a line."""
    return set(re.findall(r'^[-=] (\w+)', text, re.M))


@pytest.mark.parametrize('module', sorted(MODULE_OPTIONS))
def test_module_doc_renders(module, ansible_env):
    text = ansible_doc(ansible_env, 's32s.sync.' + module)
    assert text.startswith('> MODULE s32s.sync.%s ' % module), text[:200]
    parts = sections(text)
    for name in ('OPTIONS', 'ATTRIBUTES', 'SEE ALSO', 'REQUIREMENTS', 'AUTHOR', 'EXAMPLES', 'RETURN VALUES'):
        assert name in parts, (name, sorted(parts))
    missing = MODULE_OPTIONS[module] - option_names(parts['OPTIONS'])
    assert not missing, missing
    for attribute in ('check_mode', 'diff_mode', 'idempotent'):
        assert re.search(r'`%s:`\s+description: .+?\s+support: full' % attribute, parts['ATTRIBUTES'], re.S), attribute
    assert 's32s.sync.s32s' in parts['ATTRIBUTES']  # the action group of module_defaults
    for target in ('Module amazon.aws.s3_object', 'Module community.aws.s3_sync'):
        assert target in parts['SEE ALSO'], parts['SEE ALSO']
    assert 'changed' in option_names(parts['RETURN VALUES'])
    assert 'boto3' in parts['REQUIREMENTS']


@pytest.mark.parametrize('role', sorted(ROLE_OPTIONS))
def test_role_doc_renders(role, ansible_env):
    text = ansible_doc(ansible_env, '-t', 'role', 's32s.sync.' + role)
    assert text.startswith('> ROLE: *s32s.sync.%s*' % role), text[:200]
    assert 'ENTRY POINT: *main* - ' in text
    assert 's32s.sync.s32s_' + role in text  # the description names the module it runs
    missing = ROLE_OPTIONS[role] - option_names(text)
    assert not missing, missing
    if role == 'pull':
        assert 's32s_pull changed' in text  # the handler topic users can listen to
