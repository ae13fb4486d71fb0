# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the safety tests (tests/integration/test_safety_*.py, issue 4).

Every safety test proves a negative: it records the whole neighbourhood of a
run (the bucket, the local directories around the root) and asserts what
happened to each file and key.  The helpers here make that short:

``snapshot(path)``      everything under a local path, symlinks not followed
``all_objects(s3)``     every key of the test bucket with its bytes
``seed(s3, objects)``   put many objects fast, bypassing the counting proxy
``mutations(log)``      the mutating requests (PUT, POST, DELETE) of a request log
``refused(...)``        ``pytest.raises(PlanningError, match=...)``
``FaultyTCPProxy``      a raw TCP proxy of our own that stalls, cuts or corrupts
                        the server's answers after a number of bytes
"""

import contextlib
import os
import socket
import stat
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.runner import PlanningError
from syncrun import bucket_objects

MUTATING = ('PUT', 'POST', 'DELETE')


def mutations(log):
    """The requests of ``log`` that could change the bucket."""
    return [r for r in log.entries if r.method in MUTATING]


def refused(match):
    """Expect the run to be refused before any change (the engine raises PlanningError)."""
    return pytest.raises(PlanningError, match=match)


def snapshot(path):
    """relpath -> description of everything under ``path`` (or of ``path`` itself when it
    is a file or link), never following symlinks: ``('file', bytes, mode)``,
    ``('link', target)``, ``('dir', mode)``, ``('fifo',)``, ``('socket',)``, ``('other',)``.
    """
    path = str(path)
    out = {}

    def describe(p):
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            return ('link', os.readlink(p))
        if stat.S_ISDIR(st.st_mode):
            return ('dir', stat.S_IMODE(st.st_mode))
        if stat.S_ISREG(st.st_mode):
            with open(p, 'rb') as f:
                return ('file', f.read(), stat.S_IMODE(st.st_mode))
        if stat.S_ISFIFO(st.st_mode):
            return ('fifo',)
        if stat.S_ISSOCK(st.st_mode):
            return ('socket',)
        return ('other',)

    if not os.path.lexists(path):
        return out
    out['.'] = describe(path)
    if out['.'][0] != 'dir':
        return out
    for dirpath, dirs, files in os.walk(path):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            out[os.path.relpath(p, path).replace(os.sep, '/')] = describe(p)
    return out


def files_of(snap):
    """relpath -> bytes of the regular files of a :func:`snapshot`."""
    return {k: v[1] for k, v in snap.items() if v[0] == 'file'}


def all_objects(s3):
    """key -> bytes of every object in the test bucket."""
    return bucket_objects(s3)


def seed(s3, objects, workers=16):
    """Put ``{key: bytes}`` through the direct endpoint (not counted, no faults), in parallel."""
    client = s3.direct_client(max_pool_connections=workers + 4)

    def put_one(item):
        client.put_object(Bucket=s3.bucket, Key=item[0], Body=item[1])

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(put_one, objects.items()))


def no_retry_client(s3, attempts=1, **config):
    """A client of the counting proxy with at most ``attempts`` attempts per request."""
    config.setdefault('connect_timeout', 2)
    config.setdefault('read_timeout', 10)
    return s3.client(retries={'mode': 'standard', 'total_max_attempts': attempts}, **config)


def module_like_client(s3):
    """A client with the modules' own configuration: ``_glue_client.client_config`` of the default
    option values (standard retries, ``max_attempts`` 5...), path-style addressing."""
    import boto3  # pylint: disable=import-outside-toplevel
    from botocore.config import Config  # pylint: disable=import-outside-toplevel
    from ansible_collections.s32s.sync.plugins.module_utils._argspec import (  # pylint: disable=import-outside-toplevel
        push_argument_spec)
    from ansible_collections.s32s.sync.plugins.module_utils._glue_client import (  # pylint: disable=import-outside-toplevel
        client_config)
    params = {k: v.get('default') for k, v in push_argument_spec().items()}
    config = client_config(params).merge(Config(s3={'addressing_style': 'path'}))
    return boto3.client('s3', endpoint_url=s3.endpoint_url, aws_access_key_id=s3.access_key,
                        aws_secret_access_key=s3.secret_key, region_name=s3.region, config=config)


def temp_files(root):
    """Relpaths of pull temporary files (``.s32s-tmp-*``) under ``root``."""
    return sorted(k for k in snapshot(root) if os.path.basename(k).startswith('.s32s-tmp-'))


class FaultyTCPProxy:
    """A TCP proxy 127.0.0.1:port -> the server's direct port, one thread pair per connection.

    ``mode``:
      * ``'pass'``: forward everything;
      * ``'cut'``: close both sides once a connection has sent ``after`` bytes of answers
        that belong to a GET of ``key`` (the body is cut short mid-transfer);
      * ``'stall'``: stop forwarding those answers after ``after`` bytes and hold the
        connection open (a download that hangs, until ``release()``);
      * ``'corrupt'``: replace every ``needle`` by ``replacement`` (same length) in answers.

    Requests are watched only to know whether the current answer is for a GET of ``key``
    (one request at a time per connection, as botocore does).
    """

    def __init__(self, backend_port, mode='pass', key=None, after=0, needle=b'', replacement=b''):
        self.backend_port = backend_port
        self.mode = mode
        self.key = key
        self.after = after
        self.needle = needle
        self.replacement = replacement
        self.stalled = threading.Event()
        self._release = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(('127.0.0.1', 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._conns = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint_url(self):
        return 'http://127.0.0.1:%d' % self.port

    def release(self):
        self._release.set()

    def close(self):
        self._closed = True
        self._release.set()
        with contextlib.suppress(OSError):
            self._sock.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _accept(self):
        while not self._closed:
            try:
                client, _addr = self._sock.accept()
            except OSError:
                return
            try:
                backend = socket.create_connection(('127.0.0.1', self.backend_port))
            except OSError:
                client.close()
                continue
            self._conns += [client, backend]
            state = {'watched': False, 'sent': 0}
            threading.Thread(target=self._upstream, args=(client, backend, state), daemon=True).start()
            threading.Thread(target=self._downstream, args=(backend, client, state), daemon=True).start()

    def _upstream(self, client, backend, state):
        target = None
        if self.key is not None:
            from urllib.parse import quote  # pylint: disable=import-outside-toplevel
            target = ('/' + quote(self.key, safe='/~')).encode()
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                if data[:4] == b'GET ' and target is not None:
                    line = data.split(b'\r\n', 1)[0]
                    path = line.split(b' ')[1].split(b'?')[0]
                    state['watched'] = path.endswith(target)
                    state['sent'] = 0
                elif data[:4] in (b'PUT ', b'HEAD', b'POST', b'DELE'):
                    state['watched'] = False
                backend.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            backend.shutdown(socket.SHUT_WR)

    def _downstream(self, backend, client, state):
        try:
            while True:
                data = backend.recv(65536)
                if not data:
                    break
                if self.mode == 'corrupt' and self.needle:
                    data = data.replace(self.needle, self.replacement)
                if self.mode in ('cut', 'stall') and state['watched']:
                    room = self.after - state['sent']
                    if len(data) > room:
                        client.sendall(data[:max(room, 0)])
                        state['sent'] += max(room, 0)
                        if self.mode == 'cut':
                            break
                        self.stalled.set()
                        self._release.wait()
                        break
                    state['sent'] += len(data)
                client.sendall(data)
        except OSError:
            pass
        for sock in (client, backend):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


def assert_site_safe_order(log, op, prefix, assets, pages, ordered):
    """The creates (``<prefix>z-asset-*``) and updates (``<prefix>a-page-*``) that ``op`` requests of
    ``log`` made: every create done before the first update starts when ``ordered`` (issue 15 point 11),
    else at least one overlap. :returns: the requests of ``op``."""
    transfers = [r for r in log.entries if r.op == op]
    creates = [r for r in transfers if r.key.startswith(prefix + 'z-asset-')]
    updates = [r for r in transfers if r.key.startswith(prefix + 'a-page-')]
    assert len(creates) == assets and len(updates) == pages, transfers
    assert all(r.done is not None for r in transfers)
    last_create_done = max(r.done for r in creates)
    first_update_start = min(r.start for r in updates)
    if ordered:
        assert last_create_done <= first_update_start, [(r.key, r.start, r.done) for r in transfers]
    else:
        assert first_update_start < last_create_done
    return transfers
