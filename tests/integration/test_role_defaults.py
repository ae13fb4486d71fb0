# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles push, pull and share leave every option the user did not set to the play's
``module_defaults`` (``group/s32s.sync.s32s``, ``group/aws``) and then to the module's default,
and their messages say what happened. One ansible-playbook run per test, on both servers: each
case is a host of its own (``ansible_connection: local``, its own directories) in a play with the
``module_defaults`` of the case; plays that expect a refusal ignore errors so the run goes on."""

import json
import os

from ansiblerun import run_playbook, write

PULL = 'Pull the S32S maps from S3'
PUSH = 'Push the S32S maps to S3'
SHARE = 'Sync the directory with S3, both ways'

#: What the roles passed before they left unset options to module_defaults: the effective options of a
#: run with no role variable and no module_defaults must stay these (the modules' documented defaults).
OLD_ROLE_DEFAULTS = {
    'delete': True, 'max_delete': '50%', 'allow_bare_bucket': False, 'concurrency': 8, 'lock_timeout': 60,
    'validate_certs': True, 'request_checksum_calculation': 'when_required',
    'response_checksum_validation': 'when_required', 'max_attempts': 5, 'list_files': False,
}
OLD_PUSH_PULL = dict(OLD_ROLE_DEFAULTS, allow_empty_source=False, preserve_mode=True, ordered=True,
                     preferred_transfer_client='auto', use_manifest=True)
OLD_DEFAULTS = {
    'pull': OLD_PUSH_PULL,
    'push': dict(OLD_PUSH_PULL, follow_symlinks='inside_root'),
    'share': dict(OLD_ROLE_DEFAULTS, conflict='keep_both', readonly=False, trash=True, trash_retention_days=30,
                  lock='auto', lease_duration=300),
}


def failures(results):
    """(host, task) of every failed result (the plays ignore errors: each must be one a test expects)."""
    return {(r['host'], r['task'].split(' : ')[-1]) for r in results if r['result'].get('failed')}


def results_of(results, task, host):
    """The results of every run of the role task ``task`` on ``host``, in run order."""
    return [r['result'] for r in results if r['host'] == host and r['task'].split(' : ')[-1] == task]


def inventory(tmp, hosts):
    """An inventory file of local hosts: ``hosts`` maps a name to its host variables."""
    path = os.path.join(tmp, 'inventory.json')
    write(path, json.dumps({'all': {
        'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
        'hosts': hosts}}))
    return path


def connection(s3):
    return {'endpoint_url': s3.endpoint_url, 'access_key': s3.access_key, 'secret_key': s3.secret_key,
            'region': s3.region}


def play(hosts, role, defaults, *, check=False, role_vars=None, post_tasks=None):
    """A play of ``role`` on ``hosts`` with ``module_defaults`` ``defaults``; failures are ignored (and
    asserted by the test), so that a refused case does not end the run."""
    out = {'name': '%s on %s' % (role, ', '.join(hosts)), 'hosts': ':'.join(hosts), 'gather_facts': False,
           'ignore_errors': True, 'module_defaults': defaults,
           'roles': [{'role': 's32s.sync.' + role, 'vars': role_vars or {}}]}
    if check:  # check_mode: false would override --check
        out.update(check_mode=True, diff=True)
    if post_tasks:
        out['post_tasks'] = post_tasks
    return out


def test_module_defaults_reach_the_roles(s3, tmp_path, ansible_env):
    """``delete: false`` and ``max_delete: 0`` in ``group/s32s.sync.s32s`` reach the module through each
    role, ``-e pull_max_delete=`` is not set, and a run that sets nothing plans what it planned before."""
    tmp = str(tmp_path)
    client = s3.client()
    b = s3.bucket
    for key in ('pull/a.txt', 'pull/b.txt', 'push/a.txt', 'push/extra.html', 'pull-over/a.txt'):
        client.put_object(Bucket=b, Key=key, Body=b'same\n')
    hosts = {}
    for name in ('pull_default', 'pull_nodel', 'pull_max0'):       # S3 {a, b}, local {a, b, extra}
        dest = os.path.join(tmp, name)
        for rel in ('a.txt', 'b.txt', 'extra.html'):
            write(os.path.join(dest, rel), 'same\n')
        hosts[name] = {'pull_s3': b + '/pull', 'pull_dest': dest}
    over = os.path.join(tmp, 'pull_over')                           # S3 {a}, local {a, x1, x2, x3}
    for rel in ('a.txt', 'x1', 'x2', 'x3'):
        write(os.path.join(over, rel), 'same\n')
    hosts['pull_over'] = {'pull_s3': b + '/pull-over', 'pull_dest': over}
    for name in ('push_default', 'push_nodel', 'push_max0'):       # local {a}, S3 {a, extra}
        write(os.path.join(tmp, name, 'a.txt'), 'same\n')
        hosts[name] = {'push_s3': b + '/push', 'push_src': os.path.join(tmp, name)}
    for name in ('share_default', 'share_nodel', 'share_max0'):    # S3 {a, b, gone} then gone deleted locally
        for rel in ('a.txt', 'b.txt', 'gone.txt'):
            client.put_object(Bucket=b, Key='%s/%s' % (name, rel), Body=b'same\n')
        hosts[name] = {'share_s3': '%s/%s' % (b, name), 'share_path': os.path.join(tmp, name, 'files'),
                       'share_replica': name}
    state = os.path.join(tmp, 'state-{{ inventory_hostname }}')
    group = dict(connection(s3), addressing_style='path', state_dir=state)

    def s32s(**options):
        return {'group/s32s.sync.s32s': dict(group, **options)}

    # push: the connection through group/aws (the action plugins apply it), the rest through group/s32s
    aws = {'group/aws': connection(s3), 'group/s32s.sync.s32s': {'addressing_style': 'path', 'state_dir': state}}
    plays = [
        play(['pull_default', 'pull_over'], 'pull', s32s(), check=True),
        play(['pull_nodel'], 'pull', s32s(delete=False), check=True),
        play(['pull_max0'], 'pull', s32s(max_delete=0), check=True),
        play(['push_default'], 'push', aws, check=True),
        play(['push_nodel'], 'push', {**aws, 'group/s32s.sync.s32s': dict(aws['group/s32s.sync.s32s'],
                                                                          delete=False)}, check=True),
        play(['push_max0'], 'push', {**aws, 'group/s32s.sync.s32s': dict(aws['group/s32s.sync.s32s'],
                                                                         max_delete='0')}, check=True),
        # share: a first sync gives each host its base, then gone.txt is deleted locally
        play(['share_default', 'share_nodel', 'share_max0'], 'share', s32s(),
             post_tasks=[{'name': 'Delete gone.txt', 'ansible.builtin.file': {
                 'path': '{{ share_path }}/gone.txt', 'state': 'absent'}}]),
        play(['share_default'], 'share', s32s(), check=True),
        play(['share_nodel'], 'share', s32s(delete=False), check=True),
        play(['share_max0'], 'share', s32s(max_delete='0'), check=True),
    ]
    rc, results, out, err = run_playbook(plays, ansible_env, tmp_path, '-i', inventory(tmp, hosts),
                                         extra_vars={'pull_max_delete': ''})
    assert s3.secret_key not in out + err
    assert failures(results) == {
        ('pull_over', PULL), ('pull_max0', PULL), ('push_max0', PUSH), ('share_max0', SHARE),
        # share's messages after a refused run (the ignored error goes on to them)
        ('share_max0', 'Report the local change'), ('share_max0', 'Show what the sync did')}, \
        sorted(failures(results))

    def module(task, host, nth=-1):
        found = results_of(results, task, host)
        assert found, (host, task, out[-4000:], err[-2000:])
        return found[nth]

    # pull: nothing set (pull_max_delete empty): the old plan; group/s32s.sync.s32s's delete and max_delete win
    default = module(PULL, 'pull_default')
    assert not default.get('failed'), default.get('msg')
    assert '/pull] delete %s (' % os.path.join(tmp, 'pull_default', 'extra.html') in default['diff']['prepared']
    over = module(PULL, 'pull_over')
    assert over.get('failed') and 'exceed max_delete=' in over['msg'] and '(limit 2)' in over['msg'], over
    nodel = module(PULL, 'pull_nodel')
    assert not nodel.get('failed') and nodel['totals']['deleted'] == 0, nodel
    assert 'delete' not in nodel['diff']['prepared']
    max0 = module(PULL, 'pull_max0')
    assert max0.get('failed') and 'exceed max_delete=' in max0['msg'] and '(limit 0)' in max0['msg'], max0

    # push: the same through group/aws for the connection
    default = module(PUSH, 'push_default')
    assert not default.get('failed'), default
    assert 'delete s3://%s/push/extra.html' % b in default['diff']['prepared']
    nodel = module(PUSH, 'push_nodel')
    assert not nodel.get('failed') and nodel['totals']['deleted'] == 0 and 'delete' not in nodel['diff']['prepared']
    max0 = module(PUSH, 'push_max0')
    assert max0.get('failed') and 'exceed max_delete=' in max0['msg'] and '(limit 0)' in max0['msg'], max0

    # share: the local deletion of gone.txt goes to S3, or (delete: false) gone.txt comes back
    assert all(not module(SHARE, h, 0).get('failed') for h in ('share_default', 'share_nodel', 'share_max0'))
    default = module(SHARE, 'share_default')
    assert not default.get('failed') and default['deleted_remote'] == 1, default
    assert 'delete remote s3://%s/share_default/gone.txt' % b in default['diff']['prepared']
    nodel = module(SHARE, 'share_nodel')
    assert not nodel.get('failed') and nodel['deleted_remote'] == 0 and nodel['downloaded'] == 1, nodel
    max0 = module(SHARE, 'share_max0')
    assert max0.get('failed') and 'exceed max_delete=' in max0['msg'] and '(limit 0)' in max0['msg'], max0

    # what reached each module when nothing was set: the old role defaults, state_dir from module_defaults
    for role, task, host in (('pull', PULL, 'pull_default'), ('push', PUSH, 'push_default'),
                             ('share', SHARE, 'share_default')):
        args = module(task, host)['invocation']['module_args']
        assert {k: args[k] for k in OLD_DEFAULTS[role]} == OLD_DEFAULTS[role], (role, args)
        assert args['state_dir'] == os.path.join(tmp, 'state-' + host) and args['addressing_style'] == 'path'


def test_role_messages_say_what_happened(s3, tmp_path, ansible_env):
    """pull counts the modes it fixed; a bad pull_mode is named as the role variable; share says what
    it did or would do, on which side, and nothing that did not happen."""
    tmp = str(tmp_path)
    b = s3.bucket
    s3.client().put_object(Bucket=b, Key='msg/a.txt', Body=b'a\n')
    root = {h: os.path.join(tmp, h, 'files') for h in ('sh1', 'sh2')}
    for rel in ('a.txt', 'b.txt', 'c.txt'):
        write(os.path.join(root['sh1'], rel), rel)
    os.makedirs(root['sh2'])
    hosts = {'pull_msg': {'pull_s3': b + '/msg', 'pull_dest': os.path.join(tmp, 'pull_msg')},
             'pull_badmode': {'pull_s3': b + '/msg', 'pull_dest': os.path.join(tmp, 'pull_badmode'),
                              'pull_mode': 644, 'pull_directory_mode': 'rwx'},
             'sh1': {'share_s3': b + '/team', 'share_path': root['sh1'], 'share_replica': 'sh1'},
             'sh2': {'share_s3': b + '/team', 'share_path': root['sh2'], 'share_replica': 'sh2'}}
    defaults = {'group/s32s.sync.s32s': dict(connection(s3), addressing_style='path',
                                             state_dir=os.path.join(tmp, 'state-{{ inventory_hostname }}'))}
    # ansible_check_mode, which the messages read, is --check only (not the check_mode keyword): three runs
    runs = [
        ([play(['pull_msg', 'pull_badmode'], 'pull', defaults)], ()),
        ([play(['pull_msg'], 'pull', defaults, role_vars={'pull_mode': '0600'}),
          play(['sh1'], 'share', defaults)], ('--check', '--diff')),
        ([play(['pull_msg'], 'pull', defaults, role_vars={'pull_mode': '0600'}),
          play(['sh1'], 'share', defaults),
          play(['sh1', 'sh2'], 'share', defaults, post_tasks=[{
              'name': 'Delete c.txt',
              'ansible.builtin.file': {'path': os.path.join(root['sh1'], 'c.txt'), 'state': 'absent'},
              'when': "inventory_hostname == 'sh1'"}]),
          play(['sh1'], 'share', defaults)], ()),
    ]
    results, out, err = [], '', ''
    for plays, args in runs:
        _rc, found, run_out, run_err = run_playbook(plays, ansible_env, tmp_path, '-i', inventory(tmp, hosts), *args)
        results, out, err = results + found, out + run_out, err + run_err
    assert s3.secret_key not in out + err
    assert failures(results) == {('pull_badmode', 'The modes are quoted octal strings'), ('pull_badmode', PULL),
                                 ('pull_badmode', 'Show what the pull did')}, sorted(failures(results))

    def msgs(task, host):
        found = results_of(results, task, host)
        assert found, (host, task, out[-4000:], err[-2000:])
        return [(r.get('msg'), bool(r.get('changed'))) for r in found]

    # pull: the first run downloads; a new pull_mode fixes the file already in sync (changed, counted)
    shown = msgs('Show what the pull did', 'pull_msg')
    assert len(shown) == 3 and shown[0][0].startswith('downloaded 1 new and 0 changed file(s), deleted 0, fixed')
    assert 'would download 0 new and 0 changed file(s), would delete 0, would fix the mode or owner of 1 path(s) ' \
           'already in sync;' in shown[1][0]
    assert 'downloaded 0 new and 0 changed file(s), deleted 0, fixed the mode or owner of 1 path(s) ' \
           'already in sync;' in shown[2][0]
    assert [r['changed'] for r in results_of(results, PULL, 'pull_msg')] == [True, True, True]
    # a bad mode is refused before the module runs, by the names of the role's variables
    [(refused, _unused)] = msgs('The modes are quoted octal strings', 'pull_badmode')
    assert refused.startswith("pull_mode must be a quoted octal mode like '0644'") and 'got 644;' in refused
    assert 'pull_directory_mode must be a quoted octal mode' in refused and refused.endswith('got "rwx"')
    # (the play ignores errors, so the module ran too and refused the mode as well: nothing written)
    assert [bool(r.get('failed')) for r in results_of(results, PULL, 'pull_badmode')] == [True]
    assert not os.path.exists(os.path.join(tmp, 'pull_badmode'))

    # share on sh1: its three files go up (check mode: would), nothing changes locally, no handler topic
    local, summary = msgs('Report the local change', 'sh1'), msgs('Show what the sync did', 'sh1')
    assert local[0] == ('no local change in %s; would upload 3 in S3' % root['sh1'], False)
    assert summary[0][0] == 'would upload 3 in S3; 0 conflict(s), 0 unchanged'
    assert local[1] == ('no local change in %s; uploaded 3 in S3' % root['sh1'], False)
    assert summary[1][0] == 'uploaded 3 in S3; 0 conflict(s), 0 unchanged'
    # then nothing to do on sh1, three downloads on sh2 (a local change: changed)
    assert local[2] == ('no local change in %s' % root['sh1'], False)
    assert summary[2][0] == 'nothing changed; 0 conflict(s), 3 unchanged'
    assert msgs('Report the local change', 'sh2') == [('downloaded 3 in %s' % root['sh2'], True)]
    # c.txt deleted on sh1: the deletion goes to S3
    assert local[3] == ('no local change in %s; deleted 1 in S3' % root['sh1'], False)
    assert summary[3][0] == 'deleted 1 in S3; 0 conflict(s), 2 unchanged'
