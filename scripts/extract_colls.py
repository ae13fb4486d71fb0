# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Extract Ansible collections (amazon.aws, community.aws, ...) from the ``ansible`` wheel.

Galaxy is unreachable on the development machines, but PyPI is not, and the
community ``ansible`` wheel bundles the collections.  Usage::

    python scripts/extract_colls.py --dest .collections [--wheel FILE.whl | --ansible-version 12.3.0] \
        amazon/aws community/aws

Without ``--wheel`` the wheel is fetched with ``python -m pip download --no-deps``
into a temporary directory (removed afterwards).  Each requested collection is
written to ``DEST/ansible_collections/NS/NAME`` (an existing copy is replaced).
Exit status: 0 on success, 1 if a collection is missing from the wheel.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

PREFIX = 'ansible_collections/'


def download_wheel(version, dest_dir):
    """Download ansible==VERSION (no dependencies) into DEST_DIR and return the wheel path."""
    subprocess.check_call([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps',
                           '-d', dest_dir, 'ansible==%s' % version])
    wheels = glob.glob(os.path.join(dest_dir, 'ansible-%s-*.whl' % version))
    if not wheels:
        raise RuntimeError('pip download produced no ansible-%s wheel in %s' % (version, dest_dir))
    return wheels[0]


def extract(wheel, dest, collections):
    """Extract COLLECTIONS (``ns/name`` strings) from WHEEL into DEST/ansible_collections.

    Returns a dict ``{'ns/name': number_of_files}``.  Raises ValueError for a
    malformed name, KeyError if a collection is not in the wheel.
    """
    counts = {}
    dest = os.path.abspath(dest)
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        for coll in collections:
            parts = coll.strip('/').split('/')
            if len(parts) != 2 or not all(p.isidentifier() for p in parts):
                raise ValueError('collection must look like ns/name, got %r' % coll)
            prefix = PREFIX + '/'.join(parts) + '/'
            members = [n for n in names if n.startswith(prefix) and not n.endswith('/')]
            if not members:
                raise KeyError('%s not found in %s' % (coll, wheel))
            target = os.path.join(dest, 'ansible_collections', *parts)
            for member in members:
                path = os.path.abspath(os.path.join(dest, member))
                if not path.startswith(target + os.sep):
                    raise ValueError('unsafe path in wheel: %r' % member)
            if os.path.lexists(target):
                shutil.rmtree(target)
            zf.extractall(dest, members)
            counts['/'.join(parts)] = len(members)
    return counts


def main(argv=None):
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--dest', required=True, help='collections root (gets ansible_collections/NS/NAME)')
    parser.add_argument('--wheel', help='an already downloaded ansible wheel')
    parser.add_argument('--ansible-version', default='12.3.0', help='ansible wheel to download (default %(default)s)')
    parser.add_argument('collections', nargs='+', metavar='NS/NAME')
    args = parser.parse_args(argv)
    tmp = None
    try:
        wheel = args.wheel
        if not wheel:
            tmp = tempfile.mkdtemp(prefix='s32s-ansible-wheel-')
            wheel = download_wheel(args.ansible_version, tmp)
        try:
            counts = extract(wheel, args.dest, args.collections)
        except (KeyError, ValueError) as exc:
            sys.stderr.write('extract_colls: %s\n' % exc)
            return 1
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    for coll, count in sorted(counts.items()):
        print('extracted %s: %d files -> %s' % (coll, count, os.path.join(args.dest, 'ansible_collections', coll)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
