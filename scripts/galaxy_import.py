# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the Galaxy importer (``galaxy-importer`` from PyPI) on a built collection tarball.

Galaxy runs the same importer on every upload; passing it here means Galaxy's
checks (metadata, role READMEs, docs, changelog, ansible-lint) pass too::

    python scripts/galaxy_import.py --workdir DIR --collections .collections TARBALL

The importer is configured for a machine without Docker and network (written
to ``WORKDIR/galaxy-importer.cfg``): no ``ansible-test`` (it needs a container),
``ansible-doc`` and ``ansible-lint --offline`` from this interpreter's bin
directory, the required tags and the changelog checked.  Its result JSON goes
to ``WORKDIR/importer_result.json``.

The importer points ``ANSIBLE_COLLECTIONS_PATH`` at its own extracted copy
only, so the collection's dependencies (amazon.aws, whose doc fragments
``ansible-doc`` needs) must be importable from ``sys.path``, as they are where
the ``ansible`` package is installed: each dependency of MANIFEST.json is
linked from ``--collections`` (a collections root) into
``WORKDIR/deps/ansible_collections``, which goes on ``PYTHONPATH``.

The importer requires ``repository`` in galaxy.yml.  This collection has no
public repository yet and galaxy.yml names none (an invented URL would be
published); then the importer checks a copy of the tarball whose
MANIFEST.json carries ``STAND_IN_REPOSITORY``, and a NOTE says so.  Galaxy
itself refuses the upload until galaxy.yml names the real repository.

Exit status: 0 when the importer finished and logged no ERROR or WARNING line,
1 otherwise (every line of its output is printed).
"""

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

CONFIG = """[galaxy-importer]
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
CHECK_CHANGELOG = True
CHECK_REQUIRED_TAGS = True
RUN_FLAKE8 = False
LOG_LEVEL_MAIN = INFO
ANSIBLE_LOCAL_TMP = {tmp}
"""
STAND_IN_REPOSITORY = '(none yet: galaxy.yml names no repository)'
BAD_LINE = re.compile(r'^(ERROR|WARNING|CRITICAL)\b')
DONE = 'Importer processing completed successfully'


def read_manifest(tarball):
    """Return the parsed MANIFEST.json of TARBALL."""
    with tarfile.open(tarball) as tar:
        return json.load(tar.extractfile('MANIFEST.json'))


def with_repository(tarball, dest, repository):
    """Copy TARBALL to DEST with ``collection_info.repository`` set to REPOSITORY in MANIFEST.json.

    Every other member is copied unchanged (FILES.json does not list MANIFEST.json).
    """
    with tarfile.open(tarball) as src, tarfile.open(dest, 'w:gz') as out:
        for member in src.getmembers():
            data = src.extractfile(member) if member.isfile() else None
            if member.name == 'MANIFEST.json':
                manifest = json.load(data)
                manifest['collection_info']['repository'] = repository
                raw = json.dumps(manifest, indent=4, sort_keys=True).encode('utf-8')
                member.size = len(raw)
                data = io.BytesIO(raw)
            out.addfile(member, data)


def link_dependencies(manifest, collections, workdir):
    """Link each dependency of MANIFEST from COLLECTIONS into WORKDIR/deps; return that root.

    Raises ValueError when a dependency is not under COLLECTIONS.
    """
    root = os.path.join(workdir, 'deps')
    for fqcn in sorted(manifest['collection_info'].get('dependencies') or {}):
        namespace, name = fqcn.split('.')
        src = os.path.join(os.path.abspath(collections), 'ansible_collections', namespace, name)
        if not os.path.isfile(os.path.join(src, 'MANIFEST.json')):
            raise ValueError('dependency %s not found in %s' % (fqcn, collections))
        dest = os.path.join(root, 'ansible_collections', namespace, name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        os.symlink(src, dest)
    return root


def run_importer(tarball, workdir, deps):
    """Run the importer on TARBALL in WORKDIR with DEPS on PYTHONPATH; return (returncode, output lines)."""
    tmp = os.path.join(workdir, 'ansible-tmp')
    os.makedirs(tmp, exist_ok=True)
    cfg = os.path.join(workdir, 'galaxy-importer.cfg')
    with open(cfg, 'w', encoding='utf-8') as f:
        f.write(CONFIG.format(tmp=tmp))
    env = dict(os.environ, GALAXY_IMPORTER_CONFIG=cfg, PYTHONPATH=deps,
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
    proc = subprocess.run([sys.executable, '-m', 'galaxy_importer.main', os.path.abspath(tarball)],
                          cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    return proc.returncode, proc.stdout.splitlines()


def main(argv=None):
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('tarball')
    parser.add_argument('--workdir', required=True, help='emptied first; gets the config, result and logs')
    parser.add_argument('--collections', required=True, help='collections root holding the dependencies')
    args = parser.parse_args(argv)

    workdir = os.path.abspath(args.workdir)
    if os.path.exists(workdir):
        shutil.rmtree(workdir)
    os.makedirs(workdir)
    tarball = args.tarball
    manifest = read_manifest(tarball)
    try:
        deps = link_dependencies(manifest, args.collections, workdir)
    except ValueError as exc:
        sys.stderr.write('galaxy_import: %s\n' % exc)
        return 1
    if not manifest['collection_info'].get('repository'):
        tarball = os.path.join(workdir, os.path.basename(args.tarball))
        with_repository(args.tarball, tarball, STAND_IN_REPOSITORY)
        print('NOTE: galaxy.yml names no repository; checking a copy with repository %r '
              '(Galaxy refuses an upload without a repository)' % STAND_IN_REPOSITORY)

    returncode, lines = run_importer(tarball, workdir, deps)
    for line in lines:
        print(line)
    bad = [line for line in lines if BAD_LINE.match(line)]
    if returncode != 0 or bad or DONE not in lines:
        sys.stderr.write('galaxy_import: FAILED (rc=%d, %d ERROR/WARNING line(s))\n' % (returncode, len(bad)))
        return 1
    with open(os.path.join(workdir, 'importer_result.json'), encoding='utf-8') as f:
        result = json.load(f)
    kinds = {}
    for item in result.get('contents', []):
        kinds[item['content_type']] = kinds.get(item['content_type'], 0) + 1
    print('galaxy_import: OK (%s)' % ', '.join('%d %s' % (n, kind) for kind, n in sorted(kinds.items())))
    return 0


if __name__ == '__main__':
    sys.exit(main())
