# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy the collection into a real ``.../ansible_collections/s32s/sync`` tree for ansible-test.

ansible-test refuses a symlinked collection path, and a copy inside the git work
tree makes it skip every target, so ``make sanity`` copies the tree to a
directory outside the repository::

    python scripts/stage_collection.py DEST

DEST is emptied first.  The files copied are those git would consider part of
the project (tracked plus untracked-but-not-ignored, as listed by
``git ls-files -co --exclude-standard``); outside a git checkout a fixed list of
ignored directories is skipped instead.  Symlinks are copied as symlinks.
"""

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP_DIRS = {'.git', '.venv', 'venv', '.collections', 'collections', '.ansible',
             '.pytest_cache', '__pycache__', 'output'}


def list_files(root):
    """Return the project's files as paths relative to ROOT."""
    try:
        out = subprocess.run(['git', '-C', root, 'ls-files', '-z', '-co', '--exclude-standard'],
                             check=True, capture_output=True).stdout
        return sorted({p for p in out.decode('utf-8', 'surrogateescape').split('\0') if p})
    except (OSError, subprocess.CalledProcessError):
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            files.extend(os.path.relpath(os.path.join(dirpath, f), root) for f in filenames)
        return sorted(files)


def stage(root, dest):
    """Copy ROOT's project files to DEST; return the number of files copied."""
    dest = os.path.abspath(dest)
    if (dest + os.sep).startswith(os.path.realpath(root) + os.sep):
        raise ValueError('destination %s must be outside the work tree %s' % (dest, root))
    if os.path.lexists(dest):
        shutil.rmtree(dest)
    os.makedirs(dest)
    count = 0
    for rel in list_files(root):
        src = os.path.join(root, rel)
        if not os.path.lexists(src):
            continue  # tracked but deleted in the work tree
        dst = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
        count += 1
    return count


def main(argv=None):
    """Command line entry point."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write('usage: stage_collection.py DEST\n')
        return 2
    try:
        count = stage(ROOT, argv[0])
    except ValueError as exc:
        sys.stderr.write('stage_collection: %s\n' % exc)
        return 1
    print('staged %d files in %s' % (count, argv[0]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
