# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/replicate.yml: every option of s32s.sync.s32s_replicate is a variable s32s_replicate_<option>,
omitted when not set and documented (the playbook's header, the README); and through ansible-playbook on
both servers, a source that needs its own addressing style, client configuration and ignore rules."""

import json
import os
import re
import subprocess

import yaml

from ansiblerun import REPO_ROOT, Runner, write
from syncrun import bucket_objects, put

PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'replicate.yml')
TASK = 'Replicate the source prefix to every destination'
MODULE = 's32s.sync.s32s_replicate'
REQUIRED = ('src', 'dest')


def module_options(ansible_env):
    """The options of the module, as ansible-doc documents them (its own and the AWS connection's)."""
    proc = subprocess.run(['ansible-doc', '--json', MODULE], env=ansible_env, capture_output=True, text=True,
                          timeout=120, check=True)
    return set(json.loads(proc.stdout)[MODULE]['doc']['options'])


def replicate_task():
    with open(PLAYBOOK, encoding='utf-8') as f:
        (play,) = yaml.safe_load(f)
    (task,) = [t for t in play['tasks'] if t['name'] == TASK]
    return task[MODULE]


def readme_section():
    """The README's section on replication (where replicate.yml is described)."""
    with open(os.path.join(REPO_ROOT, 'README.md'), encoding='utf-8') as f:
        text = f.read()
    return text.split('## Replicating between S3 stores', 1)[1].split('\n## ', 1)[0]


def test_every_module_option_is_a_variable_omitted_when_unset_and_documented(ansible_env):
    options = module_options(ansible_env)
    args = replicate_task()
    assert set(args) == options, (sorted(options - set(args)), sorted(set(args) - options))
    with open(PLAYBOOK, encoding='utf-8') as f:
        header = ''.join(line for line in f if line.startswith('#'))
    readme = readme_section()
    for option in sorted(options):
        variable = 's32s_replicate_' + option
        want = '{{ %s }}' % variable if option in REQUIRED else '{{ %s | default(omit) }}' % variable
        assert args[option] == want, (option, args[option])
        assert re.search(r'\b%s\b' % variable, header), '%s is not documented at the top of the playbook' % variable
        assert '`%s`' % variable in readme, '%s is not in the README where replicate.yml is described' % variable


def test_the_source_gets_its_own_connection_and_rules(s3, tmp_path, ansible_env):
    """The source needs path addressing, the client configuration of the test server and the
    ignore rules; the destination (same store, another prefix) inherits the connection."""
    tmp = str(tmp_path)
    for key, body in (('data/a.txt', b'a'), ('data/sub/c.txt', b'c'), ('data/draft.tmp', b'not replicated'),
                      ('copy/old.txt', b'gone from the source'), ('copy2/keep.txt', b'outside the destination')):
        put(s3, key, body)
    variables = {
        's32s_replicate_src': 's3://%s/data' % s3.bucket,
        's32s_replicate_dest': [{'name': 'copy', 's3': 's3://%s/copy' % s3.bucket}],
        's32s_replicate_endpoint_url': s3.endpoint_url, 's32s_replicate_access_key': s3.access_key,
        's32s_replicate_secret_key': s3.secret_key, 's32s_replicate_region': s3.region,
        's32s_replicate_addressing_style': 'path', 's32s_replicate_aws_config': s3.aws_config,
        's32s_replicate_validate_certs': False, 's32s_replicate_ignore': ['*.tmp'],
        's32s_replicate_concurrency': 2, 's32s_replicate_list_files': True, 's32s_replicate_delete': True,
        's32s_replicate_max_delete': 'unlimited', 's32s_replicate_state_dir': os.path.join(tmp, 'state')}
    inventory = os.path.join(tmp, 'inventory.json')
    write(inventory, json.dumps({'all': {'hosts': {'localhost': {
        'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}},
        'vars': variables}}))
    runner = Runner(ansible_env, tmp, secrets=[s3.secret_key])
    run = runner.run(inventory, 'replicate.yml')
    result = run.results(TASK)['localhost']
    assert result['changed'] is True
    (dest,) = result['destinations']
    assert sorted(bucket_objects(s3, 'copy')) == ['copy/a.txt', 'copy/sub/c.txt', 'copy2/keep.txt']
    assert bucket_objects(s3, 'data/')['data/draft.tmp'] == b'not replicated'
    assert os.path.isdir(os.path.join(tmp, 'state'))
    assert sorted(dest['files']['created']) == ['a.txt', 'sub/c.txt'] and dest['files']['deleted'] == ['old.txt']
    assert dest['ignored'] == 1 and dest['deleted'] == 1
    assert runner.run(inventory, 'replicate.yml').changed == {'localhost': 0}
