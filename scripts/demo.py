# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``make demo``: the whole S32S flow through the real playbooks, on a local S3 server.

Run with the project's venv (``make demo`` does)::

    python scripts/demo.py [--keep]

Steps: start moto's S3 server in this process on 127.0.0.1 (a free port),
create a bucket, upload an S32S map file to ``demo-bucket/spam/foo/maps/map.json``,
create a sample site, publish it with ``playbooks/publish_site.yml`` (host
``master``), deploy it to two slave directories with ``playbooks/deploy_site.yml``
(hosts ``web1`` and ``web2``), change the master (edit, delete, add), publish,
show the ``--check --diff`` deletion preview, deploy again (the handler fires),
deploy once more (``changed=0``, no handler), and compare the slaves with the
master. Every host is ``ansible_connection: local``; the inventory, the site and
the manifests live in a temporary directory, removed at the end unless ``--keep``.

web1 reads the map file on S3, exactly as an S32S slave does. web2 stands for a
second machine: in real life it would read the same file and use the same
``slave`` directory, but both "machines" share this one, so web2 gets the same
map inline (``pull_maps``) with its own ``slave`` directory.

The demo's ``pull_restart_services`` is empty (restarting a real service
would need root and a service manager); the play's own handler on the
``s32s_pull changed`` topic prints which hosts changed, which shows that the
notification fires on a change and only then.

Exit status: 0 if every step did what it should, 1 otherwise (the S3 server is
stopped in every case).
"""

import argparse
import filecmp
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
BUCKET = 'demo-bucket'
MAPS_PREFIX = 'spam/foo/maps'
SITE_PREFIX = 'spam/foo/site'
ACCESS_KEY = 'demo-access-key'
SECRET_KEY = 'demo-secret-key-never-printed'
REGION = 'us-east-1'
IGNORE = ['*.bak', 'drafts*']
HANDLER_MSG = 'site changed on '
ANSI_RE = re.compile(r'\x1b\[[0-9;]*m')
RECAP_RE = re.compile(r'^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


class DemoError(Exception):
    """A step did not do what it should."""


def header(step, text):
    rule = '=' * 78
    print('\n%s\n  %s. %s\n%s' % (rule, step, text, rule), flush=True)


def note(text):
    print('  -> ' + text, flush=True)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def snapshot(root):
    """relpath -> (bytes, mtime_ns) of every file under root."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, 'rb') as f:
                out[os.path.relpath(path, root)] = (f.read(), os.stat(path).st_mtime_ns)
    return out


def start_server():
    """Start moto's threaded S3 server on a free port of 127.0.0.1; return (server, endpoint)."""
    from moto.server import ThreadedMotoServer  # pylint: disable=import-outside-toplevel
    logging.getLogger('werkzeug').setLevel(logging.ERROR)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, 'http://%s:%d' % (host, port)


def s3_client(endpoint):
    import boto3  # pylint: disable=import-outside-toplevel
    from botocore.config import Config  # pylint: disable=import-outside-toplevel
    return boto3.client('s3', endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, region_name=REGION,
                        config=Config(s3={'addressing_style': 'path'}))


def make_site(master):
    write(os.path.join(master, 'index.html'), '<h1>S32S demo</h1>\n<a href="about.html">about</a>\n')
    write(os.path.join(master, 'about.html'), '<p>version v1 of the about page</p>\n')
    write(os.path.join(master, 'css', 'style.css'), 'body { font-family: sans-serif; }\n')
    write(os.path.join(master, 'img', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    write(os.path.join(master, 'index.html.bak'), 'an editor backup: ignored by "*.bak"\n')
    write(os.path.join(master, 'drafts', 'next.html'), 'work in progress: ignored by "drafts*"\n')


def make_inventory(work, endpoint, site_map):
    """Write the demo inventory (JSON is YAML) and return its path."""
    conn = {'endpoint_url': endpoint, 'access_key': ACCESS_KEY, 'secret_key': SECRET_KEY,
            'region': REGION, 'addressing_style': 'path'}
    maps_s3_path = '%s/%s' % (BUCKET, MAPS_PREFIX)
    web2_map = dict(site_map, slave=os.path.join(work, 'web2', 'site'))
    inventory = {'all': {
        'vars': {'ansible_connection': 'local',
                 'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
        'children': {
            's32s_master': {'hosts': {'master': {}}, 'vars': dict(
                {'push_' + k: v for k, v in conn.items()},
                push_maps_s3_path=maps_s3_path,
                push_state_dir=os.path.join(work, 'state', 'master'))},
            'web_slaves': {
                'hosts': {'web1': {'pull_maps_s3_path': maps_s3_path},
                          'web2': {'pull_maps': [web2_map]}},
                'vars': dict(
                    {'pull_' + k: v for k, v in conn.items()},
                    pull_state_dir=os.path.join(work, 'state', '{{ inventory_hostname }}'),
                    pull_restart_services=[])},
        }}}
    path = os.path.join(work, 'inventory.yml')
    write(path, json.dumps(inventory, indent=2) + '\n')
    return path


def ansible_env():
    env = dict(os.environ)
    colls = os.path.join(ROOT, '.collections')
    if not os.path.isdir(os.path.join(colls, 'ansible_collections', 'amazon', 'aws')):
        raise DemoError('amazon.aws is missing from %s: run "make collpath" (or "make demo")' % colls)
    env['ANSIBLE_COLLECTIONS_PATH'] = os.pathsep.join(
        p for p in (colls, os.environ.get('ANSIBLE_COLLECTIONS_PATH', '')) if p)
    env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    env['ANSIBLE_RETRY_FILES_ENABLED'] = 'false'
    if sys.stdout.isatty():
        env['ANSIBLE_FORCE_COLOR'] = '1'
    else:
        env['ANSIBLE_NOCOLOR'] = '1'
    return env


def playbook(env, inventory, name, *args):
    """Run one playbook, echo its output, return (output, {host: changed}); raise on failure."""
    cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', inventory, os.path.join('playbooks', name)] + list(args)
    print('$ ansible-playbook -i inventory.yml playbooks/%s %s' % (name, ' '.join(args)), flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors='replace')
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(ANSI_RE.sub('', line))
    proc.wait()
    out = ''.join(lines)
    if SECRET_KEY in out:
        raise DemoError('the secret key appeared in the output of %s' % name)
    recap = {m.group(1): int(m.group(3)) for m in RECAP_RE.finditer(out)}
    failed = {m.group(1) for m in RECAP_RE.finditer(out) if int(m.group(4)) or int(m.group(5))}
    if proc.returncode != 0 or failed or not recap:
        raise DemoError('%s failed (exit status %d, failed hosts: %s)' % (name, proc.returncode, sorted(failed)))
    note('%s finished in %.1f s; changed tasks per host: %s' % (name, time.monotonic() - started, recap))
    return out, recap


def expect_changed(recap, hosts, changed):
    for host in hosts:
        if (recap.get(host, 0) > 0) != changed:
            raise DemoError('%s: expected %s, PLAY RECAP says changed=%s'
                            % (host, 'a change' if changed else 'changed=0', recap.get(host)))


def expect_handler(out, hosts, fired):
    for host in hosts:
        if (HANDLER_MSG + host in out) != fired:
            raise DemoError('the s32s_pull changed handler %s on %s' % ('did not fire' if fired else 'fired', host))
    if not fired and 'RUNNING HANDLER' in out:
        raise DemoError('a handler ran although nothing changed')
    note('handler on "s32s_pull changed": %s' % ('fired on ' + ', '.join(hosts) if fired else 'not fired'))


def compare_trees(master, slave):
    """Raise unless slave holds exactly master's files minus the ignored ones, with the same bytes."""
    expected = {rel for rel in snapshot(master)
                if not rel.endswith('.bak') and not rel.startswith('drafts')}
    got = set(snapshot(slave))
    if expected != got:
        raise DemoError('%s differs from the master: missing %s, extra %s'
                        % (slave, sorted(expected - got), sorted(got - expected)))
    _match, mismatch, errors = filecmp.cmpfiles(master, slave, sorted(expected), shallow=False)
    if mismatch or errors:
        raise DemoError('%s: different content in %s' % (slave, sorted(mismatch + errors)))


def run(work):
    env = ansible_env()
    master = os.path.join(work, 'master', 'site')
    slaves = {h: os.path.join(work, h, 'site') for h in ('web1', 'web2')}
    web = sorted(slaves)

    header(1, 'Start an S3 server (moto) on 127.0.0.1')
    server, endpoint = start_server()
    try:
        note('endpoint %s' % endpoint)
        client = s3_client(endpoint)
        client.create_bucket(Bucket=BUCKET)

        header(2, 'Upload an S32S map file to s3://%s/%s/map.json' % (BUCKET, MAPS_PREFIX))
        site_map = {'name': 'site', 'description': 'The demo web site',
                    's3': '%s/%s' % (BUCKET, SITE_PREFIX), 'master': master,
                    'slave': slaves['web1'], 'ignore': IGNORE}
        body = json.dumps([site_map], indent=2)
        client.put_object(Bucket=BUCKET, Key=MAPS_PREFIX + '/map.json', Body=body.encode())
        print(body)
        make_site(master)
        inventory = make_inventory(work, endpoint, site_map)
        note('sample site in %s; inventory: master, web1, web2 (all ansible_connection: local)' % master)

        header(3, 'Publish the site from the master (publish_site.yml)')
        _out, recap = playbook(env, inventory, 'publish_site.yml')
        expect_changed(recap, ['master'], True)

        header(4, 'Deploy it to web1 and web2 (deploy_site.yml)')
        out, recap = playbook(env, inventory, 'deploy_site.yml')
        expect_changed(recap, web, True)
        expect_handler(out, web, True)
        for slave in slaves.values():
            compare_trees(master, slave)

        header(5, 'Change the master (edit about.html, delete img/logo.svg, add news.html) and publish')
        write(os.path.join(master, 'about.html'), '<p>version v2 of the about page</p>\n')  # same size
        os.unlink(os.path.join(master, 'img', 'logo.svg'))
        write(os.path.join(master, 'news.html'), '<p>S32S now runs on Ansible</p>\n')
        _out, recap = playbook(env, inventory, 'publish_site.yml')
        expect_changed(recap, ['master'], True)

        header(6, 'Deletion preview: deploy_site.yml --check --diff (changes nothing)')
        before = {h: snapshot(d) for h, d in slaves.items()}
        out, recap = playbook(env, inventory, 'deploy_site.yml', '--check', '--diff')
        for host, slave in slaves.items():
            line = '[site] delete %s' % os.path.join(slave, 'img', 'logo.svg')
            if line not in out:
                raise DemoError('the preview does not list the deletion on %s (%r)' % (host, line))
            if snapshot(slave) != before[host]:
                raise DemoError('check mode changed files in %s' % slave)
        note('the preview lists the deletion of img/logo.svg on both slaves; their files are untouched')

        header(7, 'Deploy for real: the handler fires')
        out, recap = playbook(env, inventory, 'deploy_site.yml', '--diff')
        expect_changed(recap, web, True)
        expect_handler(out, web, True)

        header(8, 'Deploy once more: changed=0, no handler')
        out, recap = playbook(env, inventory, 'deploy_site.yml')
        expect_changed(recap, web, False)
        expect_handler(out, web, False)

        header(9, 'Verify: each slave equals the master (ignored files excepted)')
        for host, slave in slaves.items():
            compare_trees(master, slave)
            note('%s: %d files, identical to the master' % (host, len(snapshot(slave))))
    finally:
        server.stop()
        note('S3 server stopped')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--keep', action='store_true', help='keep the temporary directory')
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix='s32s-demo-')
    started = time.monotonic()
    try:
        run(work)
    except DemoError as e:
        print('\nDEMO FAILED: %s' % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('\nDEMO INTERRUPTED', file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print('kept %s' % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print('\nDEMO OK in %.1f s: published, deployed to 2 slaves, previewed the deletion, '
          'redeployed with the handler, then changed=0.' % (time.monotonic() - started))
    return 0


if __name__ == '__main__':
    sys.exit(main())
