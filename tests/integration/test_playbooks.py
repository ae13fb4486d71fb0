# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End to end: ``ansible-playbook`` runs publish_site.yml and deploy_site.yml (the
roles s32s.sync.push / s32s.sync.pull) against a real S3 server, moto and rclone.

The inventory has a master (group ``s32s_master``) and two web slaves (group
``web_slaves``), all ``ansible_connection: local`` with their own directories:
web1 reads the S32S map file on S3, web2 gets the same map inline with its own
``slave`` directory (two "machines" on one host). Results come from the json
stdout callback; S3 requests are counted by the harness proxy (tests/s3servers.py).
"""

import json
import os

import pytest

from ansiblerun import Runner, contents, tree, write

MAPS = 'spam/foo/maps'
SITE = 'spam/foo/site'
IGNORE = ['*.bak', 'drafts*']
HANDLER = 'Report the site change'
RESTART = 's32s.sync.pull : Restart the services of pull_restart_services'
WEB = ('web1', 'web2')


def bucket_state(s3, prefix=''):
    """key -> ETag of every object under prefix."""
    client = s3.client()
    out = {}
    for page in client.get_paginator('list_objects_v2').paginate(Bucket=s3.bucket, Prefix=prefix):
        for obj in page.get('Contents', []):
            out[obj['Key']] = obj['ETag'].strip('"')
    return out


class World:
    """A master site, two slave directories, the map file on S3 and an inventory."""

    def __init__(self, s3, tmp_path, ansible_env):
        self.s3 = s3
        self.tmp = str(tmp_path)
        self.master = os.path.join(self.tmp, 'master', 'site')
        self.slaves = {h: os.path.join(self.tmp, h, 'site') for h in WEB}
        self.runner = Runner(ansible_env, self.tmp, secrets=[s3.secret_key])
        self.site_map = {'name': 'site', 'description': 'the web site', 's3': '%s/%s' % (s3.bucket, SITE),
                         'master': self.master, 'slave': self.slaves['web1'], 'ignore': IGNORE}

    def make_site(self):
        write(os.path.join(self.master, 'index.html'), '<h1>home</h1>\n')
        write(os.path.join(self.master, 'about.html'), 'about v1\n')
        write(os.path.join(self.master, 'css', 'style.css'), 'body {}\n')
        write(os.path.join(self.master, 'img', 'logo.svg'), '<svg/>\n')
        write(os.path.join(self.master, 'index.html.bak'), 'ignored\n')
        write(os.path.join(self.master, 'drafts', 'next.html'), 'ignored\n')

    def expected(self):
        return {rel: data for rel, data in contents(self.master).items()
                if not rel.endswith('.bak') and not rel.startswith('drafts')}

    def upload_maps(self, maps):
        self.s3.client().put_object(Bucket=self.s3.bucket, Key=MAPS + '/map.json', Body=json.dumps(maps).encode())

    def inventory(self, web2_maps=None, master_vars=None, slave_vars=None):
        conn = {'endpoint_url': self.s3.endpoint_url, 'access_key': self.s3.access_key,
                'secret_key': self.s3.secret_key, 'region': self.s3.region, 'addressing_style': 'path'}
        maps_s3_path = '%s/%s' % (self.s3.bucket, MAPS)
        web2_maps = web2_maps if web2_maps is not None else [dict(self.site_map, slave=self.slaves['web2'])]
        master = dict({'push_' + k: v for k, v in conn.items()}, push_maps_s3_path=maps_s3_path,
                      push_state_dir=os.path.join(self.tmp, 'state', 'master'), **(master_vars or {}))
        slaves = dict({'pull_' + k: v for k, v in conn.items()},
                      pull_state_dir=os.path.join(self.tmp, 'state', '{{ inventory_hostname }}'),
                      **(slave_vars or {}))
        inventory = {'all': {
            'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
            'children': {
                's32s_master': {'hosts': {'master': {}}, 'vars': master},
                'web_slaves': {'hosts': {'web1': {'pull_maps_s3_path': maps_s3_path},
                                         'web2': {'pull_maps': web2_maps}},
                               'vars': slaves}}}}
        path = os.path.join(self.tmp, 'inventory.yml')
        write(path, json.dumps(inventory, indent=1))
        return path


@pytest.fixture
def world(s3, tmp_path, ansible_env):
    return World(s3, tmp_path, ansible_env)


def test_publish_deploy_preview_handler_and_noop(world, s3):
    world.make_site()
    world.upload_maps([world.site_map])
    inv = world.inventory()
    run = world.runner.run

    # publish: the master's site, ignored files excepted, lands under spam/foo/site/
    first = run(inv, 'publish_site.yml')
    assert first.changed == {'master': 1}
    keys = sorted(k[len(SITE) + 1:] for k in bucket_state(s3, SITE + '/'))
    assert keys == sorted(world.expected())
    with s3.requests() as log:
        assert run(inv, 'publish_site.yml').changed == {'master': 0}
    assert log.count('PUT') == log.count('DELETE') == log.count('DeleteObjects') == log.count('HEAD') == 0

    # deploy to both slaves: changed, the handler fires on each
    deploy = run(inv, 'deploy_site.yml')
    assert deploy.changed == {'web1': 1, 'web2': 1}
    assert deploy.handler_hosts(HANDLER) == set(WEB)
    # no pull_restart_services: the role's restart handler is not notified at all (no "skipping" line)
    assert deploy.handler_hosts(RESTART) == set()
    for slave in world.slaves.values():
        assert contents(slave) == world.expected()

    # a second deploy is a no-op: changed=0, no handler, only listings and the map file read
    with s3.requests() as log:
        again = run(inv, 'deploy_site.yml')
    assert again.changed == {'web1': 0, 'web2': 0}
    assert again.handler_hosts(HANDLER) == set() and again.handler_hosts(RESTART) == set()
    assert set(log.ops()) <= {'ListObjectsV2', 'GetObject'}, log.ops()
    assert log.count('GetObject') == log.count('GetObject', key=MAPS + '/map.json') == 1  # web1's map file

    # change the master: a same-size edit, a deletion, an addition
    write(os.path.join(world.master, 'about.html'), 'about v2\n')
    os.unlink(os.path.join(world.master, 'img', 'logo.svg'))
    write(os.path.join(world.master, 'news.html'), 'news\n')

    # publish --check --diff: the plan is shown, the bucket is untouched
    before = bucket_state(s3)
    with s3.requests() as log:
        preview = run(inv, 'publish_site.yml', '--check', '--diff')
    assert preview.changed == {'master': 1}
    prepared = preview.diff('master')
    assert 'delete s3://%s/%s/img/logo.svg' % (s3.bucket, SITE) in prepared
    assert 'update s3://%s/%s/about.html' % (s3.bucket, SITE) in prepared
    assert 'upload s3://%s/%s/news.html' % (s3.bucket, SITE) in prepared
    assert bucket_state(s3) == before
    assert log.count('PUT') == log.count('DELETE') == log.count('POST') == 0
    assert run(inv, 'publish_site.yml').changed == {'master': 1}

    # deploy --check --diff is the deletion preview: nothing changes on disk, no service restarted
    disk = {h: tree(d) for h, d in world.slaves.items()}
    preview = run(inv, 'deploy_site.yml', '--check', '--diff',
                  extra_vars={'pull_restart_services': ['s32s-test-no-such-service']})
    assert preview.changed == {'web1': 1, 'web2': 1}
    for host, slave in world.slaves.items():
        prepared = preview.diff(host)
        assert '[site] delete %s' % os.path.join(slave, 'img', 'logo.svg') in prepared
        assert '[site] update %s' % os.path.join(slave, 'about.html') in prepared
        assert '[site] download %s' % os.path.join(slave, 'news.html') in prepared
        assert tree(slave) == disk[host]
    # the restart handler is notified but skipped in check mode (the service does not exist)
    assert preview.handler_hosts(RESTART) == set(WEB)
    assert all(r.get('skipped') for r in preview.results(RESTART).values())

    # deploy: the handler fires, the slaves equal the master
    deploy = run(inv, 'deploy_site.yml')
    assert deploy.changed == {'web1': 1, 'web2': 1}
    assert deploy.handler_hosts(HANDLER) == set(WEB)
    for slave in world.slaves.values():
        assert contents(slave) == world.expected()
        assert not os.path.exists(os.path.join(slave, 'img'))  # the emptied directory went too

    # and once more: changed=0, no handler
    again = run(inv, 'deploy_site.yml')
    assert again.changed == {'web1': 0, 'web2': 0}
    assert again.handler_hosts(HANDLER) == set()


def test_names_selects_maps(world, s3):
    docs_master = os.path.join(world.tmp, 'master', 'docs')
    docs_slave = os.path.join(world.tmp, 'web1', 'docs')
    write(os.path.join(docs_master, 'guide.txt'), 'guide\n')
    world.make_site()
    docs_map = {'name': 'docs', 's3': '%s/spam/foo/docs' % s3.bucket, 'master': docs_master, 'slave': docs_slave}
    world.upload_maps([world.site_map, docs_map])
    inv = world.inventory(master_vars={'push_names': ['docs']}, slave_vars={'pull_names': ['docs']},
                          web2_maps=[docs_map])

    publish = world.runner.run(inv, 'publish_site.yml')
    assert publish.changed == {'master': 1}
    assert [m['name'] for m in publish.module_result('master')['maps']] == ['docs']
    assert sorted(k for k in bucket_state(s3, 'spam/foo/') if not k.startswith(MAPS)) == ['spam/foo/docs/guide.txt']

    deploy = world.runner.run(inv, 'deploy_site.yml', limit='web1')
    assert deploy.changed == {'web1': 1}
    assert [m['name'] for m in deploy.module_result('web1')['maps']] == ['docs']
    assert contents(docs_slave) == {'guide.txt': b'guide\n'}
    assert not os.path.exists(world.slaves['web1'])


def test_files_map_keeps_other_files(world, s3):
    master = os.path.join(world.tmp, 'master', 'conf')
    slave = os.path.join(world.tmp, 'web1', 'conf')
    for rel in ('a.conf', 'sub/b.conf', 'extra.conf'):
        write(os.path.join(master, rel), 'new %s\n' % rel)
    write(os.path.join(slave, 'a.conf'), 'old a.conf\n')
    write(os.path.join(slave, 'keep.txt'), 'local file\n')
    files_map = {'name': 'conf', 's3': '%s/spam/foo/conf' % s3.bucket, 'master': master, 'slave': slave,
                 'files': ['a.conf', 'sub/b.conf']}
    world.upload_maps([files_map])
    inv = world.inventory()

    assert world.runner.run(inv, 'publish_site.yml').changed == {'master': 1}
    assert sorted(bucket_state(s3, 'spam/foo/conf/')) == ['spam/foo/conf/a.conf', 'spam/foo/conf/sub/b.conf']

    deploy = world.runner.run(inv, 'deploy_site.yml', '--diff', limit='web1')
    assert deploy.changed == {'web1': 1}
    assert 'delete' not in deploy.diff('web1')
    assert contents(slave) == {'a.conf': b'new a.conf\n', 'sub/b.conf': b'new sub/b.conf\n',
                               'keep.txt': b'local file\n'}
    assert world.runner.run(inv, 'deploy_site.yml', limit='web1').changed == {'web1': 0}
