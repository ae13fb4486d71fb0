# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Install like a user (issue 5, point 6).

``ansible-galaxy collection build`` makes the tarball (into tests/output/dist), which must
hold the collection and nothing of the development tree; amazon.aws (from .collections,
where ``make collpath`` put it) and then the tarball are installed ``--offline`` into a
fresh collections path; ``s32s.sync.publish_site`` and ``s32s.sync.deploy_site`` then run
FROM THAT INSTALLED COPY (``ANSIBLE_COLLECTIONS_PATH`` = the fresh directory only, cwd
outside the repository) against moto, and the slave must equal the master.
"""

import json
import os
import re
import subprocess
import tarfile

import pytest
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIST = os.path.join(REPO_ROOT, 'tests', 'output', 'dist')
AMAZON_AWS = os.path.join(REPO_ROOT, '.collections', 'ansible_collections', 'amazon', 'aws')

# Top-level names (or path prefixes) that must never be in the tarball.
JUNK = ('.venv', 'venv', '.collections', 'collections', '.ansible', '.git', '.gitignore', '.pytest_cache',
        '.ci', 'tests/output', 'bench', 'scripts', 'Makefile', 'conftest.py', 'pytest.ini',
        'requirements-dev.txt', '.ansible-lint', 'changelogs/fragments', 'changelogs/.plugin-cache.yaml')
# What a user needs: the modules and their shared code, the roles, the playbooks, the docs.
REQUIRED = ('MANIFEST.json', 'FILES.json', 'README.md', 'LICENSE', 'CHANGELOG.rst', 'changelogs/changelog.yaml',
            'meta/runtime.yml', 'meta/execution-environment.yml', 'requirements.txt', 'bindep.txt',
            'plugins/modules/s32s_push.py', 'plugins/modules/s32s_pull.py', 'plugins/modules/s32s_replicate.py',
            'plugins/doc_fragments/common.py', 'roles/pull/meta/argument_specs.yml',
            'roles/push/meta/argument_specs.yml', 'roles/pull/handlers/main.yml',
            'roles/pull/README.md', 'roles/push/README.md',
            'playbooks/deploy_site.yml', 'playbooks/publish_site.yml', 'playbooks/replicate.yml',
            # the role s32s.sync.watch copies the engine from the installed collection onto its hosts
            'roles/watch/README.md', 'roles/watch/files/pack_engine.py', 'roles/watch/templates/s32s-watch.j2',
            'plugins/module_utils/_engine/watch/cli.py', 'plugins/modules/s32s_watch_info.py', 'playbooks/watch.yml')


def galaxy_yml():
    with open(os.path.join(REPO_ROOT, 'galaxy.yml')) as f:
        return yaml.safe_load(f)


def cli(env, *args, cwd=None, timeout=300):
    exe = os.path.join(os.path.dirname(env['ANSIBLE_PYTHON_INTERPRETER']), args[0])
    proc = subprocess.run([exe] + list(args[1:]), env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, '%s: rc=%d\n%s\n%s' % (' '.join(args), proc.returncode, proc.stdout[-5000:],
                                                        proc.stderr[-3000:])
    return proc.stdout


def recap(stdout):
    """host -> {ok, changed, failed, ...} from the default callback's PLAY RECAP."""
    out = {}
    for host, stats in re.findall(r'^(\S+)\s+:\s+(ok=.*)$', stdout, re.M):
        out[host] = {k: int(v) for k, v in re.findall(r'(\w+)=(\d+)', stats)}
    return out


def files_of(root):
    out = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, 'rb') as f:
                out[os.path.relpath(path, root)] = f.read()
    return out


def test_galaxy_yml_is_complete():
    meta = galaxy_yml()
    assert meta['namespace'] == 's32s' and meta['name'] == 'sync'
    assert meta['dependencies'].get('amazon.aws'), meta.get('dependencies')
    assert meta['license'] and meta['tags'] and meta['readme'] == 'README.md'
    # ansible-lint galaxy[tags]: one of these is required
    assert set(meta['tags']) & {'application', 'cloud', 'database', 'eda', 'infrastructure', 'linux', 'monitoring',
                                'networking', 'security', 'storage', 'tools', 'windows'}
    # no invented or empty URLs: a field is present only when what it names exists
    for key in ('repository', 'documentation', 'homepage', 'issues'):
        if key in meta:
            assert meta[key] and 'example.' not in meta[key], (key, meta[key])
    ignored = set(meta['build_ignore'])
    for name in ('.venv', '.collections', 'tests/output', 'bench', '.git'):
        assert name in ignored, name


def test_execution_environment_metadata():
    """meta/execution-environment.yml (ansible-builder, version 1) names files that exist and name boto3/botocore."""
    with open(os.path.join(REPO_ROOT, 'meta', 'execution-environment.yml')) as f:
        ee = yaml.safe_load(f)
    assert ee['version'] == 1
    deps = ee['dependencies']
    with open(os.path.join(REPO_ROOT, deps['python'])) as f:
        python = [line.split('#')[0].strip() for line in f if line.split('#')[0].strip()]
    assert {re.split(r'[<>=!~ ]', req)[0] for req in python} == {'boto3', 'botocore'}, python
    with open(os.path.join(REPO_ROOT, deps['system'])) as f:
        assert [line for line in f if line.strip() and not line.startswith('#')]


@pytest.fixture(scope='module')
def tarball(ansible_env):
    """Build the collection into tests/output/dist; return the tarball's path."""
    meta = galaxy_yml()
    path = os.path.join(DIST, '%s-%s-%s.tar.gz' % (meta['namespace'], meta['name'], meta['version']))
    if os.path.exists(path):
        os.unlink(path)
    os.makedirs(DIST, exist_ok=True)
    cli(ansible_env, 'ansible-galaxy', 'collection', 'build', '--force', '--output-path', DIST, REPO_ROOT)
    assert os.path.isfile(path)
    return path


def test_tarball_holds_the_collection_and_no_junk(tarball):
    with tarfile.open(tarball) as tar:
        names = [m.name.rstrip('/') for m in tar.getmembers()]
        manifest = json.load(tar.extractfile('MANIFEST.json'))
    junk = [n for n in names for j in JUNK if n == j or n.startswith(j + '/')]
    junk += [n for n in names if '__pycache__' in n.split('/') or n.endswith(('.pyc', '.tar.gz'))]
    assert not junk, junk
    missing = [n for n in REQUIRED if n not in names]
    assert not missing, missing
    info = manifest['collection_info']
    assert info['dependencies'] == galaxy_yml()['dependencies']
    assert info['license'] and info['tags']


def test_install_offline_and_run_the_playbooks_from_the_installed_copy(tarball, moto_s3, ansible_env, tmp_path):
    s3 = moto_s3
    colls = str(tmp_path / 'collections')
    env = dict(ansible_env, ANSIBLE_COLLECTIONS_PATH=colls, ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0',
               ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-tmp'))
    work = str(tmp_path / 'work')
    os.makedirs(work)

    # amazon.aws first (galaxy.yml's dependency, from a directory: Galaxy is unreachable), then the tarball
    cli(env, 'ansible-galaxy', 'collection', 'install', '--offline', AMAZON_AWS, '-p', colls, cwd=work)
    cli(env, 'ansible-galaxy', 'collection', 'install', '--offline', tarball, '-p', colls, cwd=work)
    installed = os.path.join(colls, 'ansible_collections', 's32s', 'sync')
    assert os.path.isfile(os.path.join(installed, 'playbooks', 'deploy_site.yml'))
    assert not os.path.islink(installed)
    listing = json.loads(cli(env, 'ansible-galaxy', 'collection', 'list', '--format', 'json', cwd=work))
    fresh = os.path.join(colls, 'ansible_collections')
    assert set(listing.get(fresh, {})) == {'amazon.aws', 's32s.sync'}, listing
    assert [path for path, found in listing.items() if 's32s.sync' in found] == [fresh], listing

    # a master site, the S32S map file on S3, an inventory for both playbooks
    master, slave = os.path.join(work, 'master'), os.path.join(work, 'slave')
    site = {'index.html': b'<h1>installed</h1>\n', 'css/style.css': b'body {}\n', 'notes.bak': b'ignored\n'}
    for rel, data in site.items():
        os.makedirs(os.path.dirname(os.path.join(master, rel)), exist_ok=True)
        with open(os.path.join(master, rel), 'wb') as f:
            f.write(data)
    maps = [{'name': 'site', 's3': '%s/spam/foo/site' % s3.bucket, 'master': master, 'slave': slave,
             'ignore': ['*.bak']}]
    s3.client().put_object(Bucket=s3.bucket, Key='spam/foo/maps/map.json', Body=json.dumps(maps).encode())
    conn = {'maps_s3_path': '%s/spam/foo/maps' % s3.bucket, 'endpoint_url': s3.endpoint_url,
            'access_key': s3.access_key, 'secret_key': s3.secret_key, 'region': s3.region,
            'addressing_style': 'path'}
    inventory = {'all': {
        'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
        'children': {
            's32s_master': {'hosts': {'master': {}},
                            'vars': dict({'push_' + k: v for k, v in conn.items()},
                                         push_state_dir=os.path.join(work, 'state-master'))},
            'web_slaves': {'hosts': {'web1': {}},
                           'vars': dict({'pull_' + k: v for k, v in conn.items()},
                                        pull_state_dir=os.path.join(work, 'state-web1'))}}}}
    inv = os.path.join(work, 'inventory.yml')
    with open(inv, 'w') as f:
        json.dump(inventory, f)

    # the playbooks by FQCN: they can only come from the installed copy
    out = cli(env, 'ansible-playbook', '-i', inv, 's32s.sync.publish_site', cwd=work)
    assert recap(out)['master']['changed'] == 1, out[-3000:]
    out = cli(env, 'ansible-playbook', '-i', inv, 's32s.sync.deploy_site', cwd=work)
    stats = recap(out)
    assert stats['web1']['changed'] >= 1 and stats['web1']['failed'] == 0, out[-3000:]
    assert 'site changed on web1' in out  # deploy_site.yml's handler on the role's topic
    assert files_of(slave) == {rel: data for rel, data in site.items() if not rel.endswith('.bak')}
    assert s3.secret_key not in out
