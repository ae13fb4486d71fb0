# -*- coding: utf-8 -*-
# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Single-request transfers of small objects through the AWS Common Runtime (promise 8 of
``docs/safety.md``: the same checks as botocore's path).

**PRIVATE**: this module is internal to the s32s.sync collection.

botocore spends about 2.7 ms of CPU on a PutObject of a 1-16 KiB file and
2.3 ms on a GetObject (bench/micro.py); on a 2-core host that shares its
CPU with the server, that decides the time of a full push or pull of many
small files. Here botocore only presigns the request (endpoint resolution,
addressing style, credentials and SigV4 stay botocore's: about 0.3 ms) and
the request goes out through ``awscrt``'s S3 client (native event loop,
connection pool, retries with backoff): about 0.8 ms per PUT and 1 ms per
GET in all (bench/FINDINGS.md).

Only objects below the multipart threshold come here, one request each; the
caller keeps botocore/s3transfer for larger ones (multipart with our part
sizes, bounded memory). A PUT carries ``Content-MD5`` (the server checks the
bytes it stored); a GET's bytes are counted and hashed for the caller's
size and ETag checks. A presigned URL carries the signature and, with
temporary credentials, the session token: it is never logged nor put in an
error message.

``awscrt`` is optional (``pip install awscrt``, or ``boto3[crt]``); without
it ``HAS_AWSCRT`` is false and the caller uses botocore for everything.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import os
import re
import threading
import time
import typing as t
from urllib.parse import urlsplit

#: Whether awscrt is installed. It is imported on the first request only: the
#: import costs about 0.1 s of CPU, which a run with nothing to send never pays.
HAS_AWSCRT = importlib.util.find_spec("awscrt") is not None

#: Seconds a presigned URL stays valid; it is used within milliseconds.
PRESIGN_EXPIRES_S = 900
#: Seconds between two looks at a request that has not finished.
POLL_S = 1.0
#: The slowest transfer rate (bytes per second) a request is given time for: awscrt hands a
#: single-request answer over when it is complete, so progress cannot be watched; a request
#: is cancelled after connect + read timeout + size / this rate.
MIN_RATE_BPS = 256 * 1024
#: Seconds to wait for a cancelled request to end before leaving it behind.
CANCEL_WAIT_S = 2.0
_CODE_RE = re.compile(rb"<Code>([^<]{1,200})</Code>")
_MESSAGE_RE = re.compile(rb"<Message>([^<]{0,500})</Message>")


class CrtRequestError(Exception):
    """A request sent through awscrt failed.

    :ivar code: the S3 error code (``NoSuchKey``, ``SlowDown``...), else the
        HTTP status as text, else awscrt's error name
        (``AWS_IO_SOCKET_CONNECTION_REFUSED``...).
    :ivar message: the S3 error message or awscrt's description.
    :ivar status: the HTTP status, 0 when no response came.
    """

    def __init__(self, code: str, message: str, status: int = 0) -> None:
        super().__init__(f"{code}: {message}" if message and message != code else code)
        self.code, self.message, self.status = code, message, status


def proxy_configured(environ: t.Optional[t.Mapping[str, str]] = None) -> bool:
    """Whether an HTTP proxy is set in ``environ`` (default ``os.environ``): ``HTTP(S)_PROXY``,
    ``ALL_PROXY``, any case.

    The CRT path does not read them; with a proxy the caller stays on botocore, which does.
    """
    environ = os.environ if environ is None else environ
    return any(environ.get(name) or environ.get(name.lower()) for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"))


class CrtTransfers:
    """Small-object PUT and GET through awscrt, presigned by a boto3 S3 ``client``.

    :param client: the boto3 S3 client whose endpoint, addressing style and
        credentials the requests use; its config should name
        ``signature_version='s3v4'`` (unset, botocore presigns S3 requests
        with SigV2, which rclone and newer AWS buckets refuse).
    :param verify: ``False`` skips TLS certificate checks (amazon.aws's
        ``validate_certs: false``); a path is a CA bundle (``aws_ca_bundle``).
    :param max_attempts: attempts per request (awscrt retries 5xx, throttling
        and connection errors with exponential backoff); at least 2.
    :param read_timeout_s: with ``connect_timeout_s`` and the size at
        ``MIN_RATE_BPS``, the time a request is given before it is cancelled
        (botocore's ``read_timeout``).
    :param connect_timeout_s: TCP/TLS connect timeout.

    The native client is made on first use, in the process that uses it (a
    forked process makes its own: native threads do not survive a fork).
    Methods are thread-safe and block until their request is done.
    """

    def __init__(self, client: t.Any, *, verify: t.Union[bool, str, None] = True, max_attempts: int = 5,
                 read_timeout_s: float = 60.0, connect_timeout_s: float = 60.0) -> None:
        if not HAS_AWSCRT:
            raise RuntimeError("awscrt is not installed")
        self.client = client
        self.verify = verify
        self.max_attempts = max(2, max_attempts)
        self.read_timeout_s = read_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self._lock = threading.Lock()
        self._native: t.Any = None
        self._pid = 0

    # -- the native client -------------------------------------------------
    def _s3client(self, scheme: str) -> t.Any:
        with self._lock:
            if self._native is None or self._pid != os.getpid():
                from awscrt import io as crt_io  # pylint: disable=import-outside-toplevel
                from awscrt import s3 as crt_s3  # pylint: disable=import-outside-toplevel
                elg = crt_io.EventLoopGroup()
                bootstrap = crt_io.ClientBootstrap(elg, crt_io.DefaultHostResolver(elg))
                kwargs: dict[str, t.Any] = {}
                if scheme == "https":
                    tls = crt_io.TlsContextOptions()
                    if self.verify is False:
                        tls.verify_peer = False
                    elif isinstance(self.verify, str):
                        tls.override_default_trust_store_from_path(None, self.verify)
                    kwargs["tls_mode"] = crt_s3.S3RequestTlsMode.ENABLED
                    kwargs["tls_connection_options"] = crt_io.ClientTlsContext(tls).new_connection_options()
                else:
                    kwargs["tls_mode"] = crt_s3.S3RequestTlsMode.DISABLED
                self._native = crt_s3.S3Client(
                    bootstrap=bootstrap, region=self.client.meta.region_name or "us-east-1", signing_config=None,
                    retry_config=crt_s3.S3RetryConfig(max_retries=self.max_attempts - 1),
                    connect_timeout_ms=int(self.connect_timeout_s * 1000), **kwargs)
                self._pid = os.getpid()
            return self._native

    # -- requests ----------------------------------------------------------
    def put(self, bucket: str, key: str, data: bytes, content_type: str,
            metadata: t.Optional[t.Mapping[str, str]] = None) -> str:
        """PutObject of ``data`` (the whole object) with ``Content-MD5``;
        ``metadata`` (user metadata, ASCII) is sent as ``x-amz-meta-<key>`` headers.

        :returns: the ETag header as sent by the server (``''`` when none).
        :raises CrtRequestError: the request failed (after awscrt's retries).
        """
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        headers: dict[str, str] = {}
        meta = [(f"x-amz-meta-{k}", v) for k, v in sorted((metadata or {}).items())]
        self._send("put_object", "PutObject", bucket, key, "PUT",
                   [("Content-Length", str(len(data))), ("Content-MD5", md5), ("Content-Type", content_type)] + meta,
                   io.BytesIO(data), headers, len(data), presign={"Metadata": dict(metadata)} if metadata else None)
        return headers.get("etag", "")

    def get(self, bucket: str, key: str, fileobj: t.BinaryIO, size: int = 0,
            response_headers: t.Optional[dict[str, str]] = None) -> tuple[int, str]:
        """GetObject written into ``fileobj`` (awscrt hands the body over when
        the answer is complete: memory up to the object's size).

        :param size: the expected size in bytes (it sets the time allowed).
        :param response_headers: receives the response headers (lower-case names).
        :returns: ``(bytes written, MD5 hex of what was written)``.
        :raises CrtRequestError: the request failed (after awscrt's retries).
        :raises OSError: writing to ``fileobj`` failed (the request is cancelled).
        """
        md5 = hashlib.md5(usedforsecurity=False)
        state = {"written": 0}

        def on_body(chunk: bytes, offset: int) -> None:
            if offset != state["written"]:
                raise OSError(f"body chunk at offset {offset}, expected {state['written']}")
            fileobj.write(chunk)
            md5.update(chunk)
            state["written"] += len(chunk)

        self._send("get_object", "GetObject", bucket, key, "GET", [], None,
                   {} if response_headers is None else response_headers, size, on_body)
        return state["written"], md5.hexdigest()

    def _send(self, method_name: str, operation: str, bucket: str, key: str, verb: str,
              headers: list[tuple[str, str]], body: t.Optional[t.BinaryIO], response_headers: dict[str, str],
              size: int, on_body: t.Optional[t.Callable[..., None]] = None,
              presign: t.Optional[t.Mapping[str, t.Any]] = None) -> None:
        from awscrt import http as crt_http  # pylint: disable=import-outside-toplevel
        from awscrt import s3 as crt_s3  # pylint: disable=import-outside-toplevel

        url = urlsplit(self.client.generate_presigned_url(
            method_name, Params={"Bucket": bucket, "Key": key, **(presign or {})}, ExpiresIn=PRESIGN_EXPIRES_S))
        request = crt_http.HttpRequest(verb, f"{url.path}?{url.query}",
                                       crt_http.HttpHeaders([("Host", url.netloc)] + headers), body)
        done = threading.Event()
        outcome: dict[str, t.Any] = {"status": 0, "error": None, "callback_error": None, "meta": None,
                                     "abandoned": False}

        def on_headers(status_code: int, headers: t.Any, **_kwargs: t.Any) -> None:
            if not outcome["abandoned"]:
                outcome["status"] = status_code
                response_headers.update((k.lower(), v) for k, v in headers)

        def body_callback(chunk: bytes, offset: int = 0, **_kwargs: t.Any) -> None:
            if outcome["callback_error"] is not None or outcome["abandoned"]:
                return
            try:
                t.cast(t.Callable[..., None], on_body)(chunk, offset)
            except BaseException as e:  # pylint: disable=broad-exception-caught
                outcome["callback_error"] = e
                if outcome["meta"] is not None:
                    outcome["meta"].cancel()

        def on_done(error: t.Optional[BaseException] = None, **_kwargs: t.Any) -> None:
            outcome["error"] = error
            done.set()

        meta = outcome["meta"] = self._s3client(url.scheme).make_request(
            type=crt_s3.S3RequestType.DEFAULT, request=request, operation_name=operation,
            on_headers=on_headers, on_body=body_callback if on_body else None, on_done=on_done)
        if outcome["callback_error"] is not None:
            meta.cancel()  # the callback failed before make_request returned
        try:
            self._wait(meta, done, outcome, size)
        finally:
            outcome["meta"] = None  # no cycle request -> callbacks -> outcome -> request: freed at once
        callback_error: t.Optional[BaseException] = outcome["callback_error"]
        if callback_error is not None:
            raise callback_error
        error = outcome["error"]
        if error is not None:
            raise _request_error(error)
        if not 200 <= outcome["status"] < 300:
            raise CrtRequestError(str(outcome["status"]), "unexpected response", outcome["status"])

    def _wait(self, meta: t.Any, done: threading.Event, outcome: dict[str, t.Any], size: int) -> None:
        allowed = self.connect_timeout_s + self.read_timeout_s + size / MIN_RATE_BPS
        deadline = time.monotonic() + allowed
        while not done.wait(POLL_S):
            if time.monotonic() > deadline:
                outcome["abandoned"] = True  # late callbacks of a request left behind do nothing
                meta.cancel()
                done.wait(CANCEL_WAIT_S)
                raise CrtRequestError("ReadTimeout", f"no complete answer within {allowed:.0f} s")


def _request_error(error: BaseException) -> CrtRequestError:
    """A :class:`CrtRequestError` from awscrt's error (S3 error code from the XML body when there is one)."""
    status = int(getattr(error, "status_code", 0) or 0)
    body = getattr(error, "body", None) or b""
    code = _CODE_RE.search(body)
    message = _MESSAGE_RE.search(body)
    if code:
        return CrtRequestError(code.group(1).decode("utf-8", "replace"),
                               message.group(1).decode("utf-8", "replace") if message else "", status)
    if status:
        return CrtRequestError(str(status), "", status)
    if hasattr(error, "name") and hasattr(error, "message"):  # awscrt.exceptions.AwsCrtError
        return CrtRequestError(str(error.name), str(error.message))
    return CrtRequestError(type(error).__name__, str(error))


__all__ = ["HAS_AWSCRT", "CrtTransfers", "CrtRequestError", "proxy_configured", "PRESIGN_EXPIRES_S"]
