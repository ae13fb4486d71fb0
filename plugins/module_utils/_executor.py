# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The executor: applies a checked plan with a bounded pool of workers.

**PRIVATE**: this module is internal to the s32s.sync collection.

Transfers run first, across files, on ``concurrency`` threads. Deletions run
after them and only when every transfer and the source listing of the map
succeeded (as rclone's "not deleting files as there were IO errors"; issue 4,
point 4). Downloads are written to ``.s32s-tmp-<16 hex>`` in the target
directory, checked (size, and MD5 where the ETag is one), then renamed into
place, so a reader sees the old file or the new one, never a partial one
(issue 4, point 6). No write or delete goes through a symlinked directory.
"""

from __future__ import annotations

import multiprocessing
import os
import stat
import time
import typing as t
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ._errors import StoreError
from ._etag import MULTIPART_THRESHOLD, is_md5_etag, multipart_etag, part_size_for
from ._maps import SyncMap
from ._options import SyncOptions
from ._paths import key_for, local_path, symlinked_parent
from ._plan import DELETE, Action, Plan, Record
from ._s3store import S3Store
from ._tree import Entry, Tree

#: Attempts for one download (a body read that breaks is not retried by botocore).
DOWNLOAD_ATTEMPTS = 3
#: First pause between download attempts, doubled each time (seconds).
BACKOFF_S = 0.5


class Applied:
    """What the executor did for one map.

    :ivar done: actions applied, in order of completion.
    :ivar failed: ``[(relpath, error)]``.
    :ivar records: relpath -> new manifest :class:`Record` of each file written.
    :ivar dirs_removed: relpaths of directories removed (pull).
    :ivar dirs_created: relpaths of directories created for S3 ``dir/`` markers (pull).
    :ivar deletes_blocked: why the deletions did not run, or ``''``.
    """

    def __init__(self) -> None:
        self.done: list[Action] = []
        self.failed: list[tuple[str, str]] = []
        self.records: dict[str, Record] = {}
        self.dirs_removed: list[str] = []
        self.dirs_created: list[str] = []
        self.deletes_blocked = ""


#: A map transfers with processes only from this many files on (below, forking costs more than it saves).
PROCESS_MIN_FILES = 200
#: The most transfer processes ``transfer_processes: 0`` (auto) picks.
PROCESS_AUTO_MAX = 4
#: The shards of a process run, inherited by the forked workers (never pickled).
_SHARD_JOB: t.Optional[tuple[t.Any, ...]] = None


def transfer_processes(wanted: int, files: int, store: S3Store) -> int:
    """How many processes to transfer ``files`` files with.

    ``wanted`` 0 means auto: one per CPU, at most ``PROCESS_AUTO_MAX``, from
    ``PROCESS_MIN_FILES`` files on. botocore costs about a millisecond of CPU
    per request and the GIL keeps one process on one core; processes use the
    other cores (issue 7). Without a client factory (a store made from a bare
    client) it is always 1; so it is when the store sends small objects
    through awscrt, whose native threads already use every core (and must
    not be forked).
    """
    if store.client_factory is None or files < 2 or store.crt is not None:
        return 1
    if wanted == 0:
        wanted = min(os.cpu_count() or 1, PROCESS_AUTO_MAX) if files >= PROCESS_MIN_FILES else 1
    return max(1, min(wanted, files))


def _collect(applied: Applied, action: Action, record: t.Optional[Record], error: str) -> None:
    if error:
        applied.failed.append((action.relpath, error))
        return
    applied.done.append(action)
    if record is not None:
        applied.records[action.relpath] = record


def _run_threads(fn: t.Callable[[Action], t.Optional[Record]], actions: t.Sequence[Action],
                 workers: int) -> list[tuple[Action, t.Optional[Record], str]]:
    out: list[tuple[Action, t.Optional[Record], str]] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [(action, pool.submit(fn, action)) for action in actions]
        for action, future in futures:
            try:
                out.append((action, future.result(), ""))
            except (StoreError, OSError, ValueError) as e:
                out.append((action, None, getattr(e, "msg", None) or str(e)))
    return out


def _shard_main(index: int) -> list[tuple[str, t.Optional[Record], str]]:
    """Body of one forked transfer process: its own client, its shard on threads."""
    fn, shards, store, workers = t.cast(tuple, _SHARD_JOB)
    store.client = store.client_factory()
    return [(a.relpath, rec, err) for a, rec, err in _run_threads(fn, shards[index], workers)]


def _run_pool(fn: t.Callable[[Action], t.Optional[Record]], actions: t.Sequence[Action], options: SyncOptions,
              store: S3Store, applied: Applied) -> None:
    """Run ``fn`` over ``actions`` on ``options.concurrency`` threads, spread over
    :func:`transfer_processes` forked processes when that is worth it. A process
    that dies fails the actions of its shard, never the run."""
    global _SHARD_JOB  # pylint: disable=global-statement
    processes = transfer_processes(options.transfer_processes, len(actions), store)
    if processes == 1:
        for action, record, error in _run_threads(fn, actions, options.concurrency):
            _collect(applied, action, record, error)
        return
    ordered = sorted(actions, key=lambda a: -a.size)  # deal the big files out first
    shards = [ordered[i::processes] for i in range(processes)]
    _SHARD_JOB = (fn, shards, store, max(1, -(-options.concurrency // processes)))
    try:
        with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_shard_main, i) for i in range(processes)]
            for shard, future in zip(shards, futures):
                by_path = {a.relpath: a for a in shard}
                try:
                    for relpath, record, error in future.result():
                        _collect(applied, by_path[relpath], record, error)
                except BrokenProcessPool as e:
                    for action in shard:
                        _collect(applied, action, None, f"transfer process died: {e}")
    finally:
        _SHARD_JOB = None


def _same_stat(entry: Entry, st: os.stat_result) -> bool:
    return (entry.size, entry.mtime_ns, entry.ctime_ns, entry.ino) == (
        st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


# -- push ------------------------------------------------------------------
def apply_push(plan: Plan, sync_map: SyncMap, src: Tree, store: S3Store, options: SyncOptions) -> Applied:
    """Upload the plan's transfers, then delete its keys in DeleteObjects batches.

    :returns: :class:`Applied`; per-file failures are in ``failed``.
    """
    applied = Applied()
    location = sync_map.s3
    real_root = os.path.realpath(sync_map.root)

    def upload(action: Action) -> t.Optional[Record]:
        entry = src.entries[action.relpath]
        path = local_path(real_root, action.relpath)
        etag = store.upload(location.bucket, key_for(location.prefix, action.relpath), path, entry.size)
        st = os.stat(path)
        if not _same_stat(entry, st):
            return None  # changed while uploading: the next run checks it again
        if etag is None and entry.size >= MULTIPART_THRESHOLD:
            etag = multipart_etag(path, part_size_for(entry.size))
        return Record(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, etag) if etag else None

    _run_pool(upload, plan.transfers, options, store, applied)
    deletes = plan.deletes
    if deletes and applied.failed:
        applied.deletes_blocked = f"{len(applied.failed)} transfer(s) failed"
        return applied
    if deletes:
        by_key = {key_for(location.prefix, a.relpath): a for a in deletes}
        try:
            failures = store.delete_keys(location.bucket, sorted(by_key))
        except StoreError as e:
            applied.failed.append((deletes[0].relpath, e.msg))
            return applied
        failed_keys = {k for k, _err in failures}
        applied.failed.extend((by_key[k].relpath if k in by_key else k, err) for k, err in failures)
        applied.done.extend(a for k, a in by_key.items() if k not in failed_keys)
    return applied


# -- pull ------------------------------------------------------------------
class _FdWriter:
    """Unbuffered ``write`` to a file descriptor, closed on exit (cheaper than
    ``os.fdopen``'s buffered file for chunks that arrive whole)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]
        return len(data)

    def __enter__(self) -> "_FdWriter":
        return self

    def __exit__(self, *_exc: t.Any) -> None:
        os.close(self.fd)


def _makedirs(real_root: str, relpath_dir: str, mode: t.Optional[int]) -> None:
    current = real_root
    for segment in relpath_dir.split("/") if relpath_dir else ():
        current = os.path.join(current, segment)
        try:
            os.mkdir(current, 0o777 if mode is None else mode)
            if mode is not None:
                os.chmod(current, mode)  # mkdir applies the umask
        except FileExistsError:
            st = os.lstat(current)
            if not stat.S_ISDIR(st.st_mode):
                raise OSError(f"{current} exists and is not a directory") from None


class _Ids(t.NamedTuple):
    uid: int
    gid: int


def resolve_ids(owner: t.Optional[str], group: t.Optional[str]) -> _Ids:
    """Resolve ``owner``/``group`` names (or numbers) to ids; ``-1`` keeps the current one.

    :raises KeyError: an unknown user or group name.
    """
    import grp
    import pwd

    uid = gid = -1
    if owner:
        uid = int(owner) if owner.isdigit() else pwd.getpwnam(owner).pw_uid
    if group:
        gid = int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
    return _Ids(uid, gid)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def apply_pull(plan: Plan, sync_map: SyncMap, src: Tree, dst: Tree, store: S3Store,
               options: SyncOptions) -> Applied:
    """Download the plan's transfers (temporary file, check, rename), then
    delete its local files and the directories left empty.

    :returns: :class:`Applied`; per-file failures are in ``failed``.
    """
    applied = Applied()
    location = sync_map.s3
    os.makedirs(sync_map.root, mode=0o777 if options.directory_mode is None else options.directory_mode,
                exist_ok=True)
    real_root = os.path.realpath(sync_map.root)
    ids = resolve_ids(options.owner, options.group)
    default_mode = 0o666 & ~_umask()

    # directories of this run already checked (no symlink on the way) and made: checked once, not per file
    ready_dirs: set[str] = set()

    def download(action: Action) -> Record:
        entry = src.entries[action.relpath]
        parent_rel = action.relpath.rpartition("/")[0]
        if parent_rel not in ready_dirs:
            bad = symlinked_parent(real_root, action.relpath)
            if bad:
                raise OSError(f"refusing to write through {bad!r}: it is a symlink or not a directory")
            _makedirs(real_root, parent_rel, options.directory_mode)
            ready_dirs.add(parent_rel)
        final = local_path(real_root, action.relpath)
        try:
            old = os.lstat(final)
        except FileNotFoundError:
            old = None
        if old is not None and stat.S_ISDIR(old.st_mode):
            raise OSError(f"a local directory is in the way of file {action.relpath!r}")
        mode = options.mode if options.mode is not None else (
            stat.S_IMODE(old.st_mode) if old is not None and stat.S_ISREG(old.st_mode) else default_mode)
        key = key_for(location.prefix, action.relpath)
        for attempt in range(DOWNLOAD_ATTEMPTS):
            tmp = os.path.join(os.path.dirname(final), f".s32s-tmp-{os.urandom(8).hex()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            try:
                with _FdWriter(fd) as f:
                    written, md5 = store.download(location.bucket, key, f, entry.size)
                if written != entry.size:
                    raise StoreError(f"downloading s3://{location.bucket}/{key}: got {written} bytes, "
                                     f"listed {entry.size}", code="SizeMismatch")
                if is_md5_etag(entry.etag or "") and md5 != entry.etag:
                    raise StoreError(f"downloading s3://{location.bucket}/{key}: MD5 {md5} differs from "
                                     f"ETag {entry.etag}", code="BadDigest")
                os.chmod(tmp, mode)
                if ids.uid != -1 or ids.gid != -1:
                    os.chown(tmp, ids.uid, ids.gid)
                os.utime(tmp, ns=(entry.mtime_ns, entry.mtime_ns))
                os.replace(tmp, final)
            except StoreError:
                _unlink_quietly(tmp)
                if attempt + 1 == DOWNLOAD_ATTEMPTS:
                    raise
                time.sleep(BACKOFF_S * 2 ** attempt)
                continue
            except BaseException:
                _unlink_quietly(tmp)
                raise
            st = os.lstat(final)
            return Record(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, entry.etag or "")
        raise AssertionError("unreachable")  # pragma: no cover

    _run_pool(download, plan.transfers, options, store, applied)
    for relpath in dst.temp_files:
        if not symlinked_parent(real_root, relpath):
            _unlink_quietly(local_path(real_root, relpath))
    deletes = plan.deletes
    if deletes and applied.failed:
        applied.deletes_blocked = f"{len(applied.failed)} transfer(s) failed"
        return applied
    for action in deletes:
        try:
            bad = symlinked_parent(real_root, action.relpath)
            if bad:
                raise OSError(f"refusing to delete through {bad!r}: it is a symlink or not a directory")
            path = local_path(real_root, action.relpath)
            if stat.S_ISDIR(os.lstat(path).st_mode):
                raise OSError("is a directory")
            os.unlink(path)
            applied.done.append(action)
        except FileNotFoundError:
            applied.done.append(action)
        except OSError as e:
            applied.failed.append((action.relpath, f"cannot delete: {e.strerror or e}"))
    if deletes and not applied.failed:
        applied.dirs_removed = _remove_empty_dirs(real_root, plan.dirs_to_remove)
    for relpath in plan.dirs_to_create:
        try:
            bad = symlinked_parent(real_root, relpath + "/x")
            if bad:
                raise OSError(f"refusing to create a directory through {bad!r}: it is a symlink or not a directory")
            _makedirs(real_root, relpath, options.directory_mode)
            applied.dirs_created.append(relpath)
        except OSError as e:
            applied.failed.append((relpath + "/", f"cannot create directory: {e.strerror or e}"))
    return applied


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _remove_empty_dirs(real_root: str, relpaths: t.Sequence[str]) -> list[str]:
    """rmdir (never recursive) the planned directories, deepest first; one that is not empty stays."""
    removed = []
    for relpath in relpaths:
        if symlinked_parent(real_root, relpath + "/x"):
            continue
        try:
            os.rmdir(local_path(real_root, relpath))
            removed.append(relpath)
        except OSError:
            pass  # not empty after all (written meanwhile): kept
    return removed


__all__ = ["Applied", "apply_push", "apply_pull", "resolve_ids", "DELETE"]
