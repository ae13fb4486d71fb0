# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The executor: applies a checked plan to its destination side.

**PRIVATE**: this module is internal to the s32s.sync collection.

One executor for every pair of sides. Transfers run first, on a worker pool
(``pools.py``), each chosen from the pair of sides (``transfers.py``). With
``ordered`` (the default, "site-safe order"), every create completes before
the first update starts, so a page updated to name a new file is never served
before that file exists; a create that fails keeps the updates from running
(they are ``not_run``, as the deletions then are). Without it, creates and
updates run together, in plan order.
Deletions run after them and only when every transfer succeeded and the
source was read completely (no file of ``plan.unreadable`` either) (as rclone's "not deleting files as there were IO
errors"; promise 4 of ``docs/safety.md``); they go through the side's one
delete path, in order, and stop after the first batch (S3) or file (local)
with a failure: a partly failed batch is reported exactly, path by path
(promise 8). Empty directories are removed only when every deletion
succeeded; ``mkdir`` actions run last, whatever the deletions did.
``attributes`` actions (an object in sync whose attributes or recorded mode
differ, ``plan/object_fixes.py``) run on the pool after the transfers, as one
server-side copy each; a failed one blocks
the deletions as a failed transfer does.

One exception to "deletions last": a type change. The deletions in the way
of a transfer (a file ``app`` where ``app/x.txt`` goes, the files and
directories of ``conf/`` where the file ``conf`` goes; ``plan.clearing``)
run before every transfer; if one of them fails, nothing else runs.
"""

from __future__ import annotations

import typing as t

from ..plan.plan import ATTRIBUTES, CREATE, DELETE, MKDIR, RMDIR, UPDATE, Action, Plan
from ..sides.modes import mode_carried_by
from ..sides.tree import Entry, Tree
from .pools import ThreadPool
from .transfers import SourceChanged, Written, transfer_for


class Applied:
    """What the executor did for one plan.

    :ivar done: actions applied (files and directories), in order of completion.
    :ivar failed: ``[(relpath, error)]``; a directory's relpath ends with ``/``.
    :ivar written: relpath -> ``(source entry, destination entry)`` of each
        transfer whose result is proven (the state's new records).
    :ivar not_run: the deletions not run (blocked, or after a failed deletion).
    :ivar deletes_blocked: why the deletions did not run at all, or ``''``.
    :ivar unproven: relpaths of failed transfers that still replaced their
        destination (a source rewritten while it was uploaded): the run changed them.
    :ivar updates_blocked: why the updates did not run (a create failed, in
        site-safe order), or ``''``.
    """

    def __init__(self) -> None:
        self.done: list[Action] = []
        self.failed: list[tuple[str, str]] = []
        self.written: dict[str, tuple[Entry, Entry]] = {}
        self.not_run: list[Action] = []
        self.deletes_blocked = ""
        self.unproven: list[str] = []
        self.updates_blocked = ""

    def of_kind(self, kind: str) -> list[Action]:
        """The actions of one kind that were applied."""
        return [a for a in self.done if a.kind == kind]


def apply_plan(plan: Plan, src: t.Any, dst: t.Any, src_tree: Tree, dst_tree: Tree, pool: t.Any = None, *,
               ordered: bool = True) -> Applied:
    """Apply ``plan`` (already passed by the gate) from side ``src`` to side ``dst``.

    :param src_tree: the source listing the plan was made from (sizes, ETags, mtimes).
    :param dst_tree: the destination listing (leftover temporary files to remove).
    :param pool: a worker pool (``pools.py``); default 8 threads.
    :param ordered: every create completes before the first update starts.
    :returns: :class:`Applied`; per-path failures are in ``failed``, never raised.
    """
    applied = Applied()
    pool = pool or ThreadPool(8)
    transfers = plan.transfers
    dst.begin_writes()
    first = [] if plan.unreadable else plan.in_the_way
    if first and not _clear_the_way(first, dst, applied):
        applied.deletes_blocked = "a deletion in the way of a transfer failed"
        applied.not_run.extend(a for a in plan.deletes if a not in first)
        return applied
    if transfers:
        transfer = transfer_for(src, dst, src_tree)
        creates = [a for a in transfers if a.kind == CREATE]
        updates = [a for a in transfers if a.kind == UPDATE]
        batches = [creates, updates] if ordered and creates and updates else [transfers]
        for batch in batches:
            if batch is updates and applied.failed:
                applied.updates_blocked = f"{len(applied.failed)} new file(s) failed (site-safe order)"
                applied.not_run.extend(updates)
                break
            _transfer(pool, transfer.run, batch, applied)
    fixes = plan.of_kind(ATTRIBUTES)
    if fixes:
        _transfer(pool, _fix_attributes(dst, src_tree, dst_tree), fixes, applied)
    dst.remove_temp_files(dst_tree)
    deletes = [a for a in plan.deletes if a not in first]
    dirs_to_remove = [a.relpath for a in plan.of_kind(RMDIR) if a not in first]
    if deletes and (applied.failed or plan.unreadable):
        applied.deletes_blocked = (f"{len(applied.failed)} transfer(s) failed" if applied.failed else
                                   f"{len(plan.unreadable)} source file(s) could not be read")
        applied.not_run.extend(deletes)
        return applied
    if deletes:
        outcome = _delete(dst, deletes, applied)
        if not outcome.failed and dirs_to_remove:
            removed = dst.remove_dirs(dirs_to_remove)
            applied.done.extend(Action(RMDIR, d, 0, "empty directory") for d in removed)
    for action in plan.of_kind(MKDIR):
        try:
            dst.make_dir(action.relpath)
            applied.done.append(action)
        except OSError as e:
            applied.failed.append((action.relpath + "/", f"cannot create directory: {e.strerror or e}"))
    return applied


def _fix_attributes(dst: t.Any, src_tree: Tree, dst_tree: Tree) -> t.Callable[[Action], Written]:
    """Give an object in sync the attributes its rules want and the mode of its file
    (``attributes`` actions, ``plan/object_fixes.py``): ONE copy carries both
    (``S3Side.attributes_for``). The source entry and the object's ETag and mode
    afterwards are the new record. The copy is conditional on the ETag the listing
    showed, so an object another writer replaced meanwhile is never adopted (the
    action fails; the next run plans again)."""
    def fix(action: Action) -> Written:
        listed = dst_tree.entries.get(action.relpath)
        source = src_tree.entries[action.relpath]
        attrs = dst.attributes_for(action.relpath, source.perm)
        etag = dst.fix_attributes(action.relpath, action.size, attrs,
                                  if_match=listed.etag if listed is not None else None)
        if not etag:
            return None
        return source, Entry(action.relpath, action.size, 0, etag, perm=mode_carried_by(attrs))
    return fix


def _delete(dst: t.Any, deletes: t.Sequence[Action], applied: Applied) -> t.Any:
    """Delete ``deletes`` through the side's one delete path; record each path's outcome in ``applied``."""
    by_path = {a.relpath: a for a in deletes}
    outcome = dst.delete_many([a.relpath for a in deletes])
    applied.done.extend(by_path[p] for p in outcome.deleted)
    applied.failed.extend(outcome.failed)
    applied.not_run.extend(by_path[p] for p in outcome.not_attempted)
    return outcome


def _transfer(pool: t.Any, run: t.Callable[[Action], Written], actions: t.Sequence[Action], applied: Applied) -> None:
    """Run ``actions`` on ``pool``, each through ``run``; record what each did in ``applied``."""
    results: list[tuple[Action, Written, str]] = pool.run(run, actions)
    for action, written, error in results:
        if isinstance(written, SourceChanged):
            applied.unproven.append(action.relpath)
            error = written.error
        if error:
            applied.failed.append((action.relpath, error))
            continue
        applied.done.append(action)
        if written is not None:
            applied.written[action.relpath] = written


def _clear_the_way(first: t.Sequence[Action], dst: t.Any, applied: Applied) -> bool:
    """Delete what is in the way of a transfer (a type change, ``plan.clearing``):
    the files through the side's delete path (never a directory, never through
    a symlink; a link is unlinked, not followed), then the directories left
    empty. A directory that is not empty stays (its transfer then fails).

    :returns: whether every deletion succeeded (else nothing else runs).
    """
    deletes = [a for a in first if a.kind == DELETE]
    if deletes:
        outcome = _delete(dst, deletes, applied)
        if outcome.failed:
            return False
    rmdirs = {a.relpath: a for a in first if a.kind == RMDIR}
    if rmdirs:
        applied.done.extend(rmdirs[d] for d in dst.remove_dirs(list(rmdirs)))
    return True


__all__ = ["Applied", "apply_plan", "DELETE"]
