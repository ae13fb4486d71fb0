# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A local directory as one end of a sync.

**PRIVATE**: this module is internal to the s32s.sync collection.

:class:`LocalSide` lists a directory (``local_list.py``), writes files
atomically (a ``.s32s-tmp-<16 hex>`` file in the target directory, checked,
then renamed into place: a reader sees the old file or the new one, never a
partial one; promise 6 of ``docs/safety.md``), deletes files, and makes and
removes directories. No write or delete goes through a symlinked directory
(promise 2).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import typing as t

from ..config.ignore import IgnoreRules
from ..errors import ConfigError, StoreError
from ..paths import LocalRoot, local_path, symlinked_parent
from .deletion import DeleteOutcome
from .etag import is_md5_etag
from .local_list import list_selected_local, walk_dest_local, walk_local
from .tree import FOLLOW_INSIDE_ROOT, TEMP_NAME_RE, Entry, Tree, local_entry


class WriteOptions(t.NamedTuple):
    """How files and directories are written: permission bits (``None``:
    the mode the source gives, else keep the old file's mode, else 0666 less
    the umask), owner and group names or numbers (``None``: unchanged);
    ``source_modes``: apply a mode the source gives (an object's metadata,
    ``modes.py``) when ``mode`` is ``None``."""

    mode: t.Optional[int] = None
    directory_mode: t.Optional[int] = None
    owner: t.Optional[str] = None
    group: t.Optional[str] = None
    source_modes: bool = True


class Ids(t.NamedTuple):
    """Numeric owner and group; ``-1`` keeps the current one."""

    uid: int
    gid: int


def resolve_ids(owner: t.Optional[str], group: t.Optional[str]) -> Ids:
    """Resolve ``owner``/``group`` names (or numbers) to ids (``-1``: keep).

    :raises ConfigError: naming only what does not exist on this host (the
        owner, the group, or both).
    """
    import grp  # pylint: disable=import-outside-toplevel
    import pwd  # pylint: disable=import-outside-toplevel

    uid = gid = -1
    missing = []
    try:
        if owner:
            uid = int(owner) if owner.isdigit() else pwd.getpwnam(owner).pw_uid
    except KeyError:
        missing.append(f"owner {owner!r}")
    try:
        if group:
            gid = int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
    except KeyError:
        missing.append(f"group {group!r}")
    if missing:
        verb = "does not exist" if len(missing) == 1 else "do not exist"
        raise ConfigError(f"{' and '.join(missing)} {verb} on this host")
    return Ids(uid, gid)


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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _link_or_copy(old: str, new: str, shown: str) -> None:
    """Make ``new`` hold the bytes of ``old``: a hard link, else (no hard links
    on this file system) a copy into a new file; never replaces anything.

    :raises OSError: ``new`` exists (the message names ``shown``), or neither works.
    """
    try:
        os.link(old, new)
    except FileExistsError:
        raise OSError(f"{shown!r} exists already") from None
    except OSError:
        try:
            with open(old, "rb") as src, open(new, "xb") as dst:
                shutil.copyfileobj(src, dst)
        except FileExistsError:
            raise OSError(f"{shown!r} exists already") from None
        shutil.copystat(old, new)


class ChangedSinceListed(OSError):
    """The path is no longer what the listing saw (a user wrote it meanwhile): not touched."""


#: ``expect`` of :meth:`LocalSide.write_atomic`: the path must not exist (a new file).
ABSENT = "absent"


def same_stat(st: os.stat_result, entry: Entry) -> bool:
    """Whether ``st`` (an lstat) is still the file ``entry`` listed (size, mtime, ctime, inode)."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) == (entry.size, entry.mtime_ns, entry.ctime_ns,
                                                                       entry.ino)


class LocalSide:
    """The directory ``root``.

    :param root: absolute directory (a symlink to a directory is fine).
    :param follow_symlinks: how a listing treats symlinks (``tree.FOLLOW_CHOICES``).
    :param links_as_entries: list symlinks as entries of their own, never
        followed (a destination: a link is replaced or unlinked, never its target).
    :param must_exist: a missing ``root`` is an error (else an empty listing).
    :param writes: modes and ownership of what this side writes.
    """

    is_local = True
    #: A directory holds directories: ``mkdir`` for markers, ``rmdir`` for emptied ones.
    has_dirs = True

    def __init__(self, root: str, *, follow_symlinks: str = FOLLOW_INSIDE_ROOT, links_as_entries: bool = False,
                 must_exist: bool = True, writes: WriteOptions = WriteOptions()) -> None:
        self.root = root
        self.follow_symlinks = follow_symlinks
        self.links_as_entries = links_as_entries
        self.must_exist = must_exist
        self.writes = writes
        self._ids: t.Optional[Ids] = None
        self._real_root: t.Optional[str] = None
        self._default_mode = 0o666
        self._ready_dirs: set[str] = set()
        #: ``begin_writes`` created ``root`` (it did not exist).
        self.created_root = False

    @property
    def address(self) -> LocalRoot:
        """Where this side is, for the gate's scope."""
        return LocalRoot(self.root)

    @property
    def real_root(self) -> str:
        """``root`` with symlinks resolved, once per listing and once before the
        writes of a run (not per file)."""
        if self._real_root is None:
            self._real_root = os.path.realpath(self.root)
        return self._real_root

    def path(self, relpath: str) -> str:
        """The local path of a safe ``relpath`` under the real root."""
        return local_path(self.real_root, relpath)

    def display(self, relpath: str) -> str:
        """The path of ``relpath`` under ``root`` as given (diff lines, messages)."""
        return local_path(self.root, relpath)

    def reserved_name(self, relpath: str) -> t.Optional[str]:
        """Why this side cannot hold ``relpath``: the names of its own temporary files."""
        if TEMP_NAME_RE.match(relpath.rpartition("/")[2]):
            return "name reserved for pull's temporary files"
        return None

    # -- listing -----------------------------------------------------------
    def list_all(self, ignore: IgnoreRules) -> Tree:
        """Every regular file under ``root`` (and symlinks, with ``links_as_entries``).

        Leftover temporary files are listed in ``temp_files`` (and, on a side
        that is read from, reported as skipped).

        :raises ConfigError: ``root`` is missing (when it must exist) or not a directory.
        """
        self._real_root = None
        if self.links_as_entries:
            return walk_dest_local(self.root, ignore)
        tree = walk_local(self.root, ignore, self.follow_symlinks, must_exist=self.must_exist)
        tree.skipped.extend((p, "name reserved for pull's temporary files") for p in tree.temp_files)
        return tree

    def list_selected(self, relpaths: t.Iterable[str], ignore: IgnoreRules) -> Tree:
        """Just ``relpaths`` (a targeted run), by the rules of :meth:`list_all`
        (``local_list.list_selected_local``)."""
        self._real_root = None
        return list_selected_local(self.root, relpaths, ignore, self.follow_symlinks, self.links_as_entries)

    # -- writing -----------------------------------------------------------
    def prepare_writes(self) -> None:
        """Resolve ``owner``/``group`` before any change.

        :raises ConfigError: the owner or group does not exist on this host (``resolve_ids``).
        """
        self._ids = resolve_ids(self.writes.owner, self.writes.group)

    @property
    def ids(self) -> Ids:
        """The owner and group ids to set (``-1``: keep), once :meth:`prepare_writes` resolved them."""
        return self._ids or Ids(-1, -1)

    def begin_writes(self) -> None:
        """Create ``root`` with its missing parents (``directory_mode``; as ``mkdir -p``)
        before the first write of a run; ``created_root`` says whether it did."""
        if self._ids is None:
            self.prepare_writes()
        mode = self.writes.directory_mode
        self.created_root = self.created_root or not os.path.isdir(self.root)
        os.makedirs(self.root, mode=0o777 if mode is None else mode, exist_ok=True)
        self._real_root = None  # resolved again now that it exists
        self._default_mode = 0o666 & ~_umask()
        self._ready_dirs = set()

    def _makedirs(self, relpath_dir: str) -> None:
        mode = self.writes.directory_mode
        current = self.real_root
        for segment in relpath_dir.split("/") if relpath_dir else ():
            current = os.path.join(current, segment)
            try:
                os.mkdir(current, 0o777 if mode is None else mode)
                ids = self.ids
                if ids.uid != -1 or ids.gid != -1:
                    os.chown(current, ids.uid, ids.gid)
                if mode is not None:
                    os.chmod(current, mode)  # mkdir applies the umask
            except FileExistsError:
                if not stat.S_ISDIR(os.lstat(current).st_mode):
                    raise OSError(f"{current} exists and is not a directory") from None

    def _parent_ready(self, relpath: str) -> None:
        """Check (no symlink on the way) and make the parent directory of ``relpath``, once per run."""
        parent_rel = relpath.rpartition("/")[0]
        if parent_rel in self._ready_dirs:
            return
        bad = symlinked_parent(self.real_root, relpath)
        if bad:
            raise OSError(f"refusing to write through {bad!r}: it is a symlink or not a directory")
        self._makedirs(parent_rel)
        self._ready_dirs.add(parent_rel)

    def write_atomic(self, relpath: str, entry: Entry, fill: t.Callable[[t.BinaryIO], tuple[int, str]],
                     what: str = "", expect: t.Union[None, str, Entry] = None, keep: str = "",
                     source_mode: t.Optional[t.Callable[[], t.Optional[int]]] = None) -> Entry:
        """Write ``relpath`` with the bytes ``fill`` writes into a temporary file.

        ``fill(fileobj)`` returns ``(bytes written, MD5 hex)``; the file is
        kept only when the count is ``entry.size`` and, where ``entry.etag`` is
        a plain MD5, the MD5 matches (``fill`` returns ``''`` for an object
        whose ETag is no MD5 of its content: SSE-KMS, SSE-C; only the size is
        checked then). Then mode, owner and mtime
        (``entry.mtime_ns``) are set and the file is renamed into place.
        ``what`` names the transfer in messages (``downloading s3://b/k``).

        Two-way sync passes ``expect``: :data:`ABSENT` (nothing may be at the
        path: the file is linked into place, never replacing one made
        meanwhile) or the listed :class:`Entry` (the path must still be that
        file); and ``keep``: a trash relpath where the replaced file is linked
        first. Both are checked just before the rename, after the transfer.

        ``source_mode()``, asked after ``fill`` (a download learns the object's
        metadata with its body), gives the mode the source carries (``None``:
        none); it is used when ``writes.mode`` is not set and ``writes.source_modes``.

        :returns: the new file's entry (from ``lstat``).
        :raises StoreError: ``fill`` failed, or the size or MD5 does not match
            (the temporary file is removed; nothing else changed).
        :raises OSError: the file cannot be written, or a directory or a
            symlinked parent is in the way.
        :raises ChangedSinceListed: ``expect`` does not hold (nothing changed).
        """
        self._parent_ready(relpath)
        final = self.path(relpath)
        try:
            old = os.lstat(final)
        except FileNotFoundError:
            old = None
        if old is not None and stat.S_ISDIR(old.st_mode):
            raise OSError(f"a local directory is in the way of file {relpath!r}")
        mode = self.writes.mode if self.writes.mode is not None else (
            stat.S_IMODE(old.st_mode) if old is not None and stat.S_ISREG(old.st_mode) else self._default_mode)
        ids = self.ids
        tmp = os.path.join(os.path.dirname(final), f".s32s-tmp-{os.urandom(8).hex()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            with _FdWriter(fd) as f:
                written, md5 = fill(t.cast(t.BinaryIO, f))
            if written != entry.size:
                raise StoreError(f"{what or 'writing ' + final}: got {written} bytes, listed {entry.size}",
                                 code="SizeMismatch")
            if md5 and is_md5_etag(entry.etag or "") and md5 != entry.etag:
                raise StoreError(f"{what or 'writing ' + final}: MD5 {md5} differs from ETag {entry.etag}",
                                 code="BadDigest")
            if self.writes.mode is None and self.writes.source_modes and source_mode is not None:
                given = source_mode()
                mode = mode if given is None else given
            if ids.uid != -1 or ids.gid != -1:
                os.chown(tmp, ids.uid, ids.gid)  # before chmod: a chown clears setuid and setgid bits
            os.chmod(tmp, mode)
            os.utime(tmp, ns=(entry.mtime_ns, entry.mtime_ns))
            self._into_place(relpath, tmp, final, expect, keep)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        st = os.lstat(final)
        return local_entry(relpath, st)

    def _into_place(self, relpath: str, tmp: str, final: str, expect: t.Union[None, str, Entry], keep: str) -> None:
        if expect is None:
            os.replace(tmp, final)
            return
        try:
            now: t.Optional[os.stat_result] = os.lstat(final)
        except FileNotFoundError:
            now = None
        if expect == ABSENT:
            if now is not None:
                raise ChangedSinceListed(f"{relpath!r} was created meanwhile; the next run plans it again")
            try:
                os.link(tmp, final)  # never replaces what a user just made
            except FileExistsError:
                raise ChangedSinceListed(f"{relpath!r} was created meanwhile; the next run plans it again") from None
            os.unlink(tmp)
            return
        if now is None or not same_stat(now, t.cast(Entry, expect)):
            raise ChangedSinceListed(f"{relpath!r} changed since it was listed; the next run plans it again")
        if keep:
            self.keep_copy(relpath, keep)
        os.replace(tmp, final)

    def check_unchanged(self, relpath: str, entry: Entry) -> None:
        """:raises ChangedSinceListed: ``relpath`` is no longer the file ``entry`` listed."""
        try:
            now = os.lstat(self.path(relpath))
        except FileNotFoundError:
            raise ChangedSinceListed(f"{relpath!r} is gone since it was listed") from None
        if not same_stat(now, entry):
            raise ChangedSinceListed(f"{relpath!r} changed since it was listed; the next run plans it again")

    @contextlib.contextmanager
    def stable_path(self, relpath: str, entry: Entry) -> t.Iterator[str]:
        """A path to read ``relpath`` from that stays the listed file for the
        whole upload: the file is opened without following a symlink (nor a
        symlinked parent) and checked against ``entry``; the path given is
        ``/proc/self/fd/N`` where it exists (a swap of the name meanwhile is
        not followed).

        :raises ChangedSinceListed: it is not the listed regular file any more.
        :raises OSError: it cannot be opened.
        """
        fd = self._open_no_follow(relpath, os.O_RDONLY, "read")
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or not same_stat(st, entry):
                raise ChangedSinceListed(f"{relpath!r} changed since it was listed; the next run plans it again")
            proc = f"/proc/self/fd/{fd}"
            yield proc if os.path.exists(proc) else self.path(relpath)
        finally:
            os.close(fd)

    def stat_entry(self, relpath: str) -> Entry:
        """The entry of ``relpath`` now (following symlinks, as a listing of a source does).

        :raises OSError: it cannot be stat'ed.
        """
        st = os.stat(self.path(relpath))
        return local_entry(relpath, st)

    def remove_temp_files(self, tree: Tree) -> None:
        """Unlink the leftover temporary files of an interrupted run that ``tree`` listed."""
        for relpath in tree.temp_files:
            if not symlinked_parent(self.real_root, relpath):
                _unlink_quietly(self.path(relpath))

    def fix_mode_and_owner(self, relpath: str, directory: bool, mode: t.Optional[int], uid: int, gid: int,
                           ino: int = 0) -> os.stat_result:
        """Set the mode (``None``: keep) and owner/group ids (``-1``: keep) of the
        file or directory ``relpath``, never through a symlink: no symlinked
        parent on the way, and the path itself is opened with ``O_NOFOLLOW``
        (``O_PATH`` where there is one, so no read permission is needed) and
        changed through that descriptor; it must be a regular file (with the
        listed inode ``ino`` when given) or a directory. Owner first, then mode
        (a chown clears setuid/setgid bits).

        :returns: the stat after the change.
        :raises ChangedSinceListed: the path is a symlink now, or not what was listed.
        :raises OSError: it cannot be opened or changed.
        """
        if not relpath:
            raise OSError("the root directory is not changed")
        by_proc = bool(getattr(os, "O_PATH", 0)) and os.path.isdir("/proc/self/fd")
        fd = self._open_no_follow(relpath, os.O_PATH if by_proc else os.O_RDONLY | os.O_NONBLOCK, "change attributes")
        try:
            st = os.fstat(fd)
            kind_ok = stat.S_ISDIR(st.st_mode) if directory else stat.S_ISREG(st.st_mode)
            if not kind_ok or (ino and st.st_ino != ino):
                raise ChangedSinceListed(f"{relpath!r} changed since it was listed; the next run plans it again")
            proc = f"/proc/self/fd/{fd}"  # an O_PATH descriptor is changed through /proc
            if (uid != -1 and uid != st.st_uid) or (gid != -1 and gid != st.st_gid):
                if by_proc:
                    os.chown(proc, uid, gid)
                else:
                    os.fchown(fd, uid, gid)
            if mode is not None:
                if by_proc:
                    os.chmod(proc, mode)
                else:
                    os.fchmod(fd, mode)
            return os.fstat(fd)
        finally:
            os.close(fd)

    # -- deleting and directories ------------------------------------------
    def delete_many(self, relpaths: t.Sequence[str]) -> DeleteOutcome:
        """Unlink ``relpaths`` in order (a symlink itself, never its target; never a
        directory, never through a symlinked parent); stop at the first failure.
        A path already gone counts as deleted."""
        outcome = DeleteOutcome()
        real_root = self.real_root
        for index, relpath in enumerate(relpaths):
            try:
                bad = symlinked_parent(real_root, relpath)
                if bad:
                    raise OSError(f"refusing to delete through {bad!r}: it is a symlink or not a directory")
                path = local_path(real_root, relpath)
                if stat.S_ISDIR(os.lstat(path).st_mode):
                    raise OSError("is a directory")
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as e:
                outcome.failed.append((relpath, f"cannot delete: {e.strerror or e}"))
                return outcome.stop_after(relpaths[index + 1:])
            outcome.deleted.append(relpath)
        return outcome

    def remove_dirs(self, relpaths: t.Sequence[str]) -> list[str]:
        """rmdir (never recursive) ``relpaths`` in order, deepest first; one that is not empty stays.

        :returns: the relpaths removed.
        """
        removed = []
        for relpath in relpaths:
            if symlinked_parent(self.real_root, relpath + "/x"):
                continue
            try:
                os.rmdir(self.path(relpath))
                removed.append(relpath)
            except OSError:
                pass  # not empty after all (written meanwhile): kept
        return removed

    # -- two-way sync: moving, and keeping what is replaced --------------------
    def _no_symlink_on_the_way(self, relpath: str, doing: str) -> None:
        bad = symlinked_parent(self.real_root, relpath)
        if bad:
            raise OSError(f"refusing to {doing} through {bad!r}: it is a symlink or not a directory")

    def _open_no_follow(self, relpath: str, flags: int, doing: str) -> int:
        """Open ``relpath`` with ``flags`` and ``O_NOFOLLOW``, no symlinked parent on the way.

        :returns: the descriptor (the caller closes it).
        :raises ChangedSinceListed: the path is a symlink now.
        :raises OSError: a symlinked parent, or it cannot be opened.
        """
        self._no_symlink_on_the_way(relpath, doing)
        try:
            return os.open(self.path(relpath), flags | getattr(os, "O_NOFOLLOW", 0))
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise ChangedSinceListed(f"{relpath!r} is a symlink now; refusing to {doing} through it") from None
            raise

    def move(self, relpath: str, to: str) -> Entry:
        """Rename the file ``relpath`` to ``to`` (made with its parents), never
        replacing anything at ``to`` (a link, then an unlink of the old name).

        :returns: the entry of ``to`` (same inode, size and mtime).
        :raises OSError: ``to`` exists, ``relpath`` is not a regular file, or a
            symlinked parent is in the way of either.
        """
        self._no_symlink_on_the_way(relpath, "move")
        self._parent_ready(to)
        old, new = self.path(relpath), self.path(to)
        if not stat.S_ISREG(os.lstat(old).st_mode):
            raise OSError(f"{relpath!r} is not a regular file")
        _link_or_copy(old, new, to)
        os.unlink(old)
        return self.stat_entry(to)

    def keep_copy(self, relpath: str, to: str) -> None:
        """Keep the current bytes of ``relpath`` at ``to`` (a trash path) before
        they are replaced: a hard link (the replacement is a new inode, so the
        link keeps the old bytes), else a copy. A missing ``relpath`` is no error.
        Nothing at ``to`` is ever replaced.

        :raises OSError: the copy cannot be made, or ``to`` exists (nothing was replaced yet).
        """
        self._no_symlink_on_the_way(relpath, "keep a copy")
        old = self.path(relpath)
        try:
            st = os.lstat(old)
        except FileNotFoundError:
            return
        if not stat.S_ISREG(st.st_mode):
            return  # a symlink: what it points to is not ours to keep, and is not replaced
        self._parent_ready(to)
        _link_or_copy(old, self.path(to), to)

    def make_dir(self, relpath: str) -> None:
        """Create the directory ``relpath`` and its parents (``directory_mode``).

        :raises OSError: a symlinked parent or a file is in the way.
        """
        bad = symlinked_parent(self.real_root, relpath + "/x")
        if bad:
            raise OSError(f"refusing to create a directory through {bad!r}: it is a symlink or not a directory")
        self._makedirs(relpath)


__all__ = ["LocalSide", "WriteOptions", "resolve_ids", "Ids", "ChangedSinceListed", "ABSENT", "same_stat"]
