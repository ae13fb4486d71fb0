# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers to run the engine (push/pull) against a test server and inspect both sides."""

import os

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import load_maps
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import SyncOptions, parse_budget
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.report import to_result
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.push_pull import run_maps
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.crt import HAS_AWSCRT
from ansible_collections.s32s.sync.plugins.module_utils._glue_client import make_crt
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import S3Store

#: Which client sends small objects in engine-level runs: ``crt`` (awscrt; the default where it is
#: installed, as in the modules' ``preferred_transfer_client: auto``) or ``classic`` (botocore).
#: ``make integration`` runs the transfer tests a second time with ``S32S_TEST_TRANSFER_CLIENT=classic``.
TRANSFER_CLIENT = os.environ.get('S32S_TEST_TRANSFER_CLIENT') or ('crt' if HAS_AWSCRT else 'classic')
assert TRANSFER_CLIENT in ('crt', 'classic'), TRANSFER_CLIENT


def make_store(client, client_factory=None, transfer_client=None):
    """An S3Store on ``client`` with the small-object sender of ``transfer_client`` (default TRANSFER_CLIENT)."""
    wanted = transfer_client or TRANSFER_CLIENT
    crt = make_crt({'preferred_transfer_client': wanted,
                    'max_attempts': (client.meta.config.retries or {}).get('max_attempts')}, client)
    return S3Store(client, client_factory=client_factory, crt=crt)


def sync(direction, s3, maps, *, check_mode=False, client=None, names=None, transfer_client=None, **options):
    """Run push or pull of ``maps`` (raw S32S dicts) against ``s3``; return the task-style result.

    ``options`` are SyncOptions fields; ``max_delete`` may be given as text. Raises the engine's errors.
    A ``client`` given by the test (with botocore hooks that inject faults) sends everything itself
    (classic) unless ``transfer_client`` says otherwise; without one, small objects go through
    TRANSFER_CLIENT.
    """
    if 'max_delete' in options:
        options['max_delete'] = parse_budget(options['max_delete'])
    opts = SyncOptions(**options)
    side = 'master' if direction == 'push' else 'slave'
    loaded = load_maps(maps, side, 'test', names)[0]
    store = make_store(client or s3.client(), s3.client if opts.transfer_processes > 1 else None,
                       transfer_client or ('classic' if client is not None else None))
    runs = run_maps(direction, loaded, store, opts, check_mode=check_mode,
                    endpoint=s3.endpoint_url)
    return to_result(runs, opts, check_mode=check_mode, diff=True)


def write(root, relpath, data=b'x'):
    """Create ``root/relpath`` with ``data`` (bytes or str), making parents."""
    path = os.path.join(str(root), *relpath.split('/'))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return path


def local_files(root):
    """relpath -> bytes of every regular file under ``root`` (symlinks not followed)."""
    out = {}
    for dirpath, _dirs, files in os.walk(str(root)):
        for name in files:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                continue
            with open(path, 'rb') as f:
                out[os.path.relpath(path, str(root)).replace(os.sep, '/')] = f.read()
    return out


def bucket_objects(s3, prefix=''):
    """key -> bytes of every object in the test bucket under ``prefix`` (read directly, not counted)."""
    client = s3.direct_client()
    out = {}
    for page in client.get_paginator('list_objects_v2').paginate(Bucket=s3.bucket, Prefix=prefix):
        for obj in page.get('Contents', ()):
            out[obj['Key']] = client.get_object(Bucket=s3.bucket, Key=obj['Key'])['Body'].read()
    return out


def put(s3, key, data=b'x'):
    """Put one object directly (not counted)."""
    s3.direct_client().put_object(Bucket=s3.bucket, Key=key, Body=data.encode() if isinstance(data, str) else data)
