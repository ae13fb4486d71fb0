# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Choosing and configuring the awscrt sender (plugins/module_utils/_engine/sides/crt.py,
_glue_client.make_crt), and the refusal to fork a run that uses it (jobs/pools.py ``pool_for``).

Requests through awscrt are tested against moto and rclone in tests/integration/test_transfer_client.py.
"""

from __future__ import annotations

import os

import boto3
import pytest
from botocore.config import Config

from ansible_collections.s32s.sync.plugins.module_utils import _glue_client as _glue
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.ignore import IgnoreRules
from ansible_collections.s32s.sync.plugins.module_utils._engine.config.maps import S3Location
from ansible_collections.s32s.sync.plugins.module_utils._engine.errors import ConfigError
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs import runner as _runner
from ansible_collections.s32s.sync.plugins.module_utils._engine.jobs.pools import (
    PROCESS_AUTO_MAX, PROCESS_MIN_FILES, ForkedShards, ThreadPool, pool_for, process_count)
from ansible_collections.s32s.sync.plugins.module_utils._engine.plan.plan import CREATE, Action, Plan
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides import crt as _crt
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.local import LocalSide
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3 import S3Side
from ansible_collections.s32s.sync.plugins.module_utils._engine.sides.s3store import S3Store


def _client(endpoint="http://127.0.0.1:1", **config):
    return boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="AK",
                        aws_secret_access_key="SK", config=Config(signature_version="s3v4", **config))


def _params(**kw):
    return dict({"preferred_transfer_client": "auto", "max_attempts": 5, "validate_certs": True,
                 "aws_ca_bundle": None}, **kw)


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch):
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy",
                 "AWS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def test_classic_is_never_crt():
    assert _glue.make_crt(_params(preferred_transfer_client="classic"), _client()) is None


@pytest.mark.skipif(not _crt.HAS_AWSCRT, reason="needs awscrt (in requirements-dev.txt)")
def test_auto_and_crt_with_awscrt():
    for wanted in ("auto", "crt"):
        crt = _glue.make_crt(_params(preferred_transfer_client=wanted), _client())
        assert isinstance(crt, _crt.CrtTransfers) and crt.verify is True


def test_without_awscrt_auto_is_classic_and_crt_is_an_error(monkeypatch):
    monkeypatch.setattr(_glue, "HAS_AWSCRT", False)
    assert _glue.make_crt(_params(), _client()) is None
    with pytest.raises(ConfigError, match="needs the Python package awscrt"):
        _glue.make_crt(_params(preferred_transfer_client="crt"), _client())


@pytest.mark.skipif(not _crt.HAS_AWSCRT, reason="needs awscrt (in requirements-dev.txt)")
@pytest.mark.parametrize("env", ["HTTPS_PROXY", "http_proxy", "ALL_PROXY"])
def test_auto_is_classic_behind_a_proxy(monkeypatch, env):
    monkeypatch.setenv(env, "http://proxy.example:3128")
    assert _glue.make_crt(_params(), _client()) is None
    assert isinstance(_glue.make_crt(_params(preferred_transfer_client="crt"), _client()), _crt.CrtTransfers)


@pytest.mark.skipif(not _crt.HAS_AWSCRT, reason="needs awscrt (in requirements-dev.txt)")
def test_auto_is_classic_with_aws_config_proxies():
    client = _client(proxies={"https": "http://proxy.example:3128"})
    assert _glue.make_crt(_params(), client) is None


@pytest.mark.skipif(not _crt.HAS_AWSCRT, reason="needs awscrt (in requirements-dev.txt)")
def test_tls_and_timeouts_follow_the_module_and_client(monkeypatch, tmp_path):
    client = _client("https://s3.example", read_timeout=7, connect_timeout=3)
    crt = _glue.make_crt(_params(validate_certs=False, max_attempts=4), client)
    assert crt.verify is False and crt.read_timeout_s == 7 and crt.connect_timeout_s == 3
    assert crt.max_attempts == 4
    bundle = tmp_path / "ca.pem"
    assert _glue.make_crt(_params(aws_ca_bundle=str(bundle)), client).verify == str(bundle)
    monkeypatch.setenv("AWS_CA_BUNDLE", "/etc/ssl/other.pem")
    assert _glue.make_crt(_params(), client).verify == "/etc/ssl/other.pem"


def test_proxy_configured():
    assert not _crt.proxy_configured({})
    assert _crt.proxy_configured({"https_proxy": "http://p:1"})
    assert not _crt.proxy_configured({"HTTPS_PROXY": ""})


class _S3Error(Exception):
    def __init__(self, status_code, body):
        super().__init__("s3 error")
        self.status_code, self.body = status_code, body


@pytest.mark.parametrize("error,code,status", [
    (_S3Error(404, b"<?xml version='1.0'?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>"),
     "NoSuchKey", 404),
    (_S3Error(503, b"<Error><Code>SlowDown</Code></Error>"), "SlowDown", 503),
    (_S3Error(500, b""), "500", 500),
    (ValueError("boom"), "ValueError", 0),
])
def test_request_error_codes(error, code, status):
    e = _crt._request_error(error)  # pylint: disable=protected-access
    assert (e.code, e.status) == (code, status)


def _run(*stores, files=500):
    """A planned run of ``files`` uploads (one store) or copies (two stores: source, destination)."""
    sides = [S3Side(store, S3Location(f"bkt{i}", "p")) for i, store in enumerate(stores)]
    src, dst = (LocalSide("/srv/site"), sides[0]) if len(sides) == 1 else sides
    run = _runner.PairRun(_runner.Pair("m", "map 'm'", src, dst, ignore=IgnoreRules()))
    run.plan = Plan(actions=tuple(Action(CREATE, f"f{i:04d}", 10, "new") for i in range(files)))
    return run


def _processes(run, wanted, allow_fork=True):
    """How many processes the runner would transfer ``run``'s plan on (1: threads)."""
    s3_sides = [s for s in (run.pair.src, run.pair.dst) if isinstance(s, S3Side)]
    pool = pool_for(s3_sides, len(run.plan.transfers), wanted, 8, allow_fork)
    if isinstance(pool, ThreadPool):
        assert pool.workers == 8
        return 1
    assert isinstance(pool, ForkedShards)
    assert pool.workers == -(-8 // pool.processes)           # the threads are shared out, not multiplied
    return pool.processes


@pytest.mark.skipif(not _crt.HAS_AWSCRT, reason="needs awscrt (in requirements-dev.txt)")
def test_no_transfer_processes_with_awscrt():
    """awscrt's native threads use every core and must not be forked: threads only, whatever was asked."""
    client = _client()
    with_crt = S3Store(client, client_factory=_client, crt=_crt.CrtTransfers(client))
    without = S3Store(client, client_factory=_client)
    assert [_processes(_run(with_crt), w) for w in (0, 1, 4)] == [1, 1, 1]
    assert [_processes(_run(without), w) for w in (1, 4)] == [1, 4]
    # replicate: awscrt on either store keeps the whole run on threads
    assert [_processes(_run(with_crt, without), w) for w in (1, 4)] == [1, 1]
    assert [_processes(_run(without, with_crt), w) for w in (1, 4)] == [1, 1]
    assert [_processes(_run(without, without), w) for w in (1, 4)] == [1, 4]


def test_transfer_processes_follow_wanted_without_awscrt():
    client = _client()
    store = S3Store(client, client_factory=_client)
    auto = min(os.cpu_count() or 1, PROCESS_AUTO_MAX)
    assert [_processes(_run(store), w) for w in (0, 1, 2, 4, 7)] == [auto, 1, 2, 4, 7]
    assert _processes(_run(store, files=3), 7) == 3                 # never more processes than files
    assert _processes(_run(store, files=1), 4) == 1
    assert _processes(_run(store, files=PROCESS_MIN_FILES - 1), 0) == 1   # auto forks only for many files
    assert _processes(_run(store), 4, allow_fork=False) == 1        # a long-lived process never forks
    assert _processes(_run(S3Store(client)), 4) == 1                 # no client factory: no new client after a fork


def test_fake_crt_is_enough_to_keep_threads():
    # the decision is "store.crt is not None", whatever awscrt is installed or not
    client = _client()
    store = S3Store(client, client_factory=_client, crt=object())
    assert [_processes(_run(store), w) for w in (0, 1, 4)] == [1, 1, 1]


def test_process_count():
    assert [process_count(w, 500, False) for w in (0, 1, 4)] == [1, 1, 1]
    assert [process_count(w, 500, True) for w in (1, 4, 64)] == [1, 4, 64]
    assert process_count(0, 500, True) == min(os.cpu_count() or 1, PROCESS_AUTO_MAX)
    assert process_count(0, PROCESS_MIN_FILES - 1, True) == 1
    assert process_count(8, 5, True) == 5 and process_count(8, 1, True) == 1
