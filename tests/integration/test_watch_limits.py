# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A live watch the kernel refuses is shown, retried and restored (issue 13; watch/watches.py).

The service runs as the role installs it, in a user namespace of its own whose inotify watch limit
(``/proc/sys/user/max_inotify_watches``, a limit per user namespace since Linux 4.9) is 0: watchdog's
recursive watch of the ``master`` really fails with ENOSPC, as when ``fs.inotify.max_user_watches``
is exhausted, and no machine-wide sysctl is touched. The status says so (``watching`` false, the
reason naming the sysctl), rescans still bring the changes to S3, the failure is logged once although
retried about every second (``retry_max_s`` 1 s here); once the limit of that namespace is raised from
outside, the service's retry (not a rescan: the next periodic one is an hour away) arms the watch:
``watching`` true, the error cleared, the kernel holds a watch on the master's inode
(``/proc/PID/fdinfo``), what changed meanwhile is rescanned at once and events flow. On both servers.
"""

import os
import shutil
import subprocess

import pytest

from syncrun import bucket_objects, write
from watchkit import WatchHost, wait_for

UNSHARE, NSENTER = shutil.which('unshare'), shutil.which('nsenter')
LIMIT = '/proc/sys/user/max_inotify_watches'
#: Runs its command as root of a new user namespace with no inotify watch allowed.
IN_OWN_NAMESPACE = (UNSHARE, '--user', '--map-root-user', 'sh', '-c', 'echo 0 > %s && exec "$0" "$@"' % LIMIT)


def _namespaces_work():
    if not (UNSHARE and NSENTER):
        return False
    result = subprocess.run(IN_OWN_NAMESPACE + ('cat', LIMIT), capture_output=True, text=True, check=False)
    return result.returncode == 0 and result.stdout.strip() == '0'


pytestmark = pytest.mark.skipif(not _namespaces_work(),
                                reason='needs unshare/nsenter and user namespaces with their own inotify limits')


def set_limit(pid, watches):
    """Set the inotify watch limit of the user namespace of ``pid``."""
    subprocess.run([NSENTER, '-t', str(pid), '-U', '--preserve-credentials', 'sh', '-c',
                    'echo %d > %s' % (watches, LIMIT)], check=True)


def watched_inodes(pid):
    """The inodes the kernel watches for process ``pid`` (the ``inotify wd:N ino:<hex>`` lines of its fdinfo)."""
    inodes = set()
    fdinfo = '/proc/%d/fdinfo' % pid
    for fd in os.listdir(fdinfo):
        try:
            with open(os.path.join(fdinfo, fd), encoding='ascii', errors='replace') as f:
                lines = f.read().splitlines()
        except OSError:
            continue  # closed meanwhile
        inodes.update(int(line.split(' ino:')[1].split()[0], 16) for line in lines if line.startswith('inotify wd:'))
    return inodes


def test_a_watch_over_the_inotify_limit_is_shown_retried_and_restored(s3, tmp_path):
    root = tmp_path / 'site'
    write(root, 'a.txt', 'a')
    host = WatchHost(tmp_path, s3, [{'name': 'site', 's3': '%s/site' % s3.bucket, 'master': str(root)}])
    host.start(wrapper=IN_OWN_NAMESPACE)  # rescan_interval_s 3600: no periodic rescan during the test
    try:
        pid = host.proc.pid
        status = host.cli_status()['maps'][0]
        assert status['watching'] is False and status['watch_retry_at'], status
        assert status['watch_error'] == ('cannot watch %s: inotify watch limit reached (raise '
                                         'fs.inotify.max_user_watches); until it works, changes are picked up only '
                                         'by rescans (every 3600 s)' % root)
        assert os.stat(str(root)).st_ino not in watched_inodes(pid)
        assert bucket_objects(s3, 'site/') == {'site/a.txt': b'a'}  # the rescan at start
        write(root, 'b.txt', 'b')  # no event can tell: a rescan does
        result = host.cli('rescan', '--timeout', '60')
        assert result.returncode == 0, result.stderr
        assert bucket_objects(s3, 'site/') == {'site/a.txt': b'a', 'site/b.txt': b'b'}
        assert [r['map'] for r in host.log_records() if r['event'] == 'watch_failed'] == ['site']  # logged once
        write(root, 'c.txt', 'c')  # unseen until the watch works again

        set_limit(pid, 100000)  # as an operator raising fs.inotify.max_user_watches
        wait_for(lambda: host.map_status('site')['watching'], what='the watch, retried on its backoff')
        status = host.cli_status()['maps'][0]
        assert (status['watching'], status['watch_error'], status['watch_retry_at']) == (True, None, None)
        assert os.stat(str(root)).st_ino in watched_inodes(pid)
        assert 'watch_restored' in {r['event'] for r in host.log_records()}
        # the rescan at once after the watch works again brings what changed while it did not
        wait_for(lambda: 'site/c.txt' in bucket_objects(s3, 'site/'), what='c.txt after the watch came back')
        write(root, 'd.txt', 'd')  # an event of the live watch
        wait_for(lambda: 'site/d.txt' in bucket_objects(s3, 'site/'), what='d.txt sent on its event')
    finally:
        assert host.stop() == 0, host.log_text()[-3000:]
    assert host.map_status('site')['watching'] is False
