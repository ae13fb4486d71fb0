# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two-way sync (s32s_sync's engine) in tests: a *replica* is a local directory with its own state
directory; two replicas of one prefix stand for two hosts."""

from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import parse_s3_location
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.options import (
    FOLLOW_NEVER, SyncOptions, parse_budget)
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.two_way import SyncJob, run_sync
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.two_way_report import to_result
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.local import LocalSide
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3 import S3Side

from syncrun import bucket_objects, local_files, make_store

MUTATING = ('PUT', 'POST', 'DELETE')
TRASH = '.s32s-trash'


class Replica:
    """One host's side of the share: ``root`` and its own ``state``."""

    def __init__(self, s3, tmp_path, name, prefix='share'):
        self.s3, self.name, self.prefix = s3, name, prefix
        self.root = str(tmp_path / name / 'files')
        self.state = str(tmp_path / name / 'state')

    def job(self, *, ignore=None, max_delete='50%', client=None, allow_empty_source=False, **kw):
        opts = SyncOptions(max_delete=parse_budget(max_delete), follow_symlinks=FOLLOW_NEVER, state_dir=self.state,
                           concurrency=4, allow_empty_source=allow_empty_source)
        store = make_store(client or self.s3.client(), transfer_client='classic' if client is not None else None)
        return SyncJob(local=LocalSide(self.root, follow_symlinks=FOLLOW_NEVER, must_exist=False),
                       remote=S3Side(store, parse_s3_location(f'{self.s3.bucket}/{self.prefix}'),
                                     self.s3.endpoint_url),
                       ignore=IgnoreRules(ignore), options=opts, replica=self.name, label=f'sync {self.name}', **kw)

    def sync(self, check_mode=False, **kw):
        run = run_sync(self.job(**kw), check_mode=check_mode)
        return to_result(run, check_mode=check_mode, diff=True, list_files=True)

    def files(self):
        """relpath -> bytes, without the trash."""
        return {p: v for p, v in local_files(self.root).items() if not p.startswith(TRASH + '/')}

    def trash(self):
        """'<folder>/<relpath>' -> bytes of the local trash."""
        return {p.split('/', 1)[1]: v for p, v in local_files(self.root).items() if p.startswith(TRASH + '/')}


def remote(s3, prefix='share'):
    return {k[len(prefix) + 1:]: v for k, v in bucket_objects(s3, prefix + '/').items()
            if not k[len(prefix) + 1:].startswith(TRASH + '/')}


def remote_trash(s3, prefix='share'):
    """'<folder>/<relpath>' -> bytes of the S3 trash."""
    return {k.split('/', 2)[2]: v for k, v in bucket_objects(s3, f'{prefix}/{TRASH}/').items()}


def trashed(trash, relpath):
    """The contents a trash (``Replica.trash()`` or ``remote_trash()``) holds for ``relpath``, in any folder."""
    return sorted(v for k, v in trash.items() if k.split('/', 1)[1] == relpath)
