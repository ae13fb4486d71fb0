# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/share.yml and the role s32s.sync.share through ansible-playbook, on both servers:
two hosts share a prefix, --check --diff previews both sides, the handler fires only on local changes."""

import json
import os

from ansiblerun import Runner, contents, write

TASK = 's32s.sync.share : Sync the directory with S3, both ways'
HANDLER = 'Note the local change'
HOSTS = ('h1', 'h2')


def inventory(s3, tmp):
    conn = {'share_endpoint_url': s3.endpoint_url, 'share_access_key': s3.access_key,
            'share_secret_key': s3.secret_key, 'share_region': s3.region, 'share_addressing_style': 'path'}
    inv = {'all': {
        'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
        'children': {'share_hosts': {
            'hosts': {h: {'share_path': os.path.join(tmp, h, 'files'), 'share_replica': h,
                          'share_state_dir': os.path.join(tmp, h, 'state')} for h in HOSTS},
            'vars': dict(conn, share_s3=f'{s3.bucket}/team')}}}}
    path = os.path.join(tmp, 'inventory.yml')
    write(path, json.dumps(inv))
    return path


def playbook(tmp):
    """share.yml plus a handler of ours on the role's topic."""
    path = os.path.join(tmp, 'share_with_handler.yml')
    with open(os.path.join(os.path.dirname(__file__), '..', '..', 'playbooks', 'share.yml'), encoding='utf-8') as f:
        text = f.read()
    text += ('  handlers:\n    - name: %s\n      ansible.builtin.debug:\n        msg: changed\n'
             '      listen: s32s_sync changed\n' % HANDLER)
    write(path, text)
    return path


def test_share_two_hosts_preview_handler_and_noop(s3, tmp_path, ansible_env):
    tmp = str(tmp_path)
    runner = Runner(ansible_env, tmp, secrets=[s3.secret_key])
    inv, book = inventory(s3, tmp), playbook(tmp)
    root = {h: os.path.join(tmp, h, 'files') for h in HOSTS}
    write(os.path.join(root['h1'], 'a.txt'), 'from h1\n')
    write(os.path.join(root['h2'], 'b.txt'), 'from h2\n')

    # The hosts run the task in parallel: each uploads its own file, and gets the other's file in this
    # run or, when it listed first, in the next one.
    first = runner.run(inv, book)
    runner.run(inv, book)
    assert contents(root['h1']) == contents(root['h2']) == {'a.txt': b'from h1\n', 'b.txt': b'from h2\n'}
    assert first.changed['h1'] >= 1 and first.changed['h2'] >= 1
    noop = runner.run(inv, book)
    assert noop.changed == {'h1': 0, 'h2': 0} and noop.handler_hosts(HANDLER) == set()

    # an edit on h1 only: --check --diff shows the upload on h1 and changes nothing
    write(os.path.join(root['h1'], 'a.txt'), 'edited on h1\n')
    preview = runner.run(inv, book, '--check', '--diff')
    prepared = preview.results(TASK)['h1']['diff']['prepared']
    assert 'upload s3://%s/team/a.txt (changed locally' % s3.bucket in prepared
    assert contents(root['h2'])['a.txt'] == b'from h1\n'

    # the real run on h1 uploads: the bucket changed, h1's files did not, so no handler on h1
    up = runner.run(inv, book, limit='h1')
    assert up.results(TASK)['h1']['uploaded'] == 1 and up.handler_hosts(HANDLER) == set()
    # h2 downloads it: its files changed, the handler fires there
    down = runner.run(inv, book, limit='h2')
    assert down.results(TASK)['h2']['downloaded'] == 1 and down.handler_hosts(HANDLER) == {'h2'}
    assert contents(root['h2'])['a.txt'] == b'edited on h1\n'
