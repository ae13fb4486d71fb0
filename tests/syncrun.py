# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers to run the engine (push/pull) against a test server and inspect both sides."""

import os

from ansible_collections.s32s.sync.plugins.module_utils._maps import load_maps
from ansible_collections.s32s.sync.plugins.module_utils._options import SyncOptions, parse_budget
from ansible_collections.s32s.sync.plugins.module_utils._report import to_result
from ansible_collections.s32s.sync.plugins.module_utils._runner import run_maps
from ansible_collections.s32s.sync.plugins.module_utils._s3store import S3Store


def sync(direction, s3, maps, *, check_mode=False, client=None, names=None, **options):
    """Run push or pull of ``maps`` (raw S32S dicts) against ``s3``; return the task-style result.

    ``options`` are SyncOptions fields; ``max_delete`` may be given as text. Raises the engine's errors.
    """
    if 'max_delete' in options:
        options['max_delete'] = parse_budget(options['max_delete'])
    opts = SyncOptions(**options)
    side = 'master' if direction == 'push' else 'slave'
    loaded = load_maps(maps, side, 'test', names)[0]
    store = S3Store(client or s3.client(), client_factory=s3.client if opts.transfer_processes > 1 else None)
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
