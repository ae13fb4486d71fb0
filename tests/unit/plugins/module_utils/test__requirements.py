# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The floors of the host that runs a module (``_requirements``): a host below them gets a
``fail_json`` naming what it misses, before any work, never a traceback; the floors written in the
docs, requirements.txt and meta/runtime.yml are the ones the code checks."""

import importlib
import json
import os
import sys
import types

import pytest
import yaml

from ansible_collections.s32s.sync.plugins.module_utils import _requirements as req

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
GOOD = {'python': '3.9.0', 'boto3': '1.36.0', 'botocore': '1.36.0'}


class Failed(Exception):
    pass


class FakeModule:
    def fail_json(self, **kwargs):
        raise Failed(kwargs)


@pytest.mark.parametrize('found,wanted,ok', [
    ('1.36.0', '1.36.0', True), ('1.36', '1.36.0', True), ('1.36.1', '1.36.0', True), ('1.44.8', '1.36.0', True),
    ('1.35.99', '1.36.0', False), ('1.4.0', '1.36.0', False), ('2.0.0', '1.36.0', True),
    ('1.36.0rc1', '1.36.0', True), ('1.35.99.dev3', '1.36.0', False), ('3.8.18', '3.9', False), ('3.10.0', '3.9', True),
])
def test_versions_compare_as_numbers(found, wanted, ok):
    assert req._at_least(found, wanted) is ok  # pylint: disable=protected-access


def test_the_floors_themselves_pass():
    assert not req.problems(GOOD)
    assert not req.problems({'python': '3.13.0', 'boto3': '1.44.8', 'botocore': '1.44.8'})


@pytest.mark.parametrize('versions,named', [
    (dict(GOOD, python='3.8.18'), ['Python >= 3.9 (found 3.8.18)']),
    (dict(GOOD, boto3='1.35.99'), ['boto3 >= 1.36.0 (found 1.35.99)']),
    (dict(GOOD, botocore='1.35.99'), ['botocore >= 1.36.0 (found 1.35.99)']),
    (dict(GOOD, boto3=None, botocore=None), ['boto3 >= 1.36.0 (not installed)', 'botocore >= 1.36.0 (not installed)']),
    ({'python': '3.7.16', 'boto3': '1.34.0', 'botocore': '1.34.0'},
     ['Python >= 3.9 (found 3.7.16)', 'boto3 >= 1.36.0 (found 1.34.0)', 'botocore >= 1.36.0 (found 1.34.0)']),
])
def test_check_host_fails_naming_every_missing_requirement(versions, named):
    with pytest.raises(Failed) as failed:
        req.check_host(FakeModule(), versions)
    result = failed.value.args[0]
    assert result['changed'] is False
    assert result['msg'].startswith('s32s.sync needs %s on the host that runs the module' % ', '.join(named))
    assert '\n' not in result['msg']
    assert (result['python_version'], result['boto3_version'], result['botocore_version']) == \
        (versions['python'], versions['boto3'], versions['botocore'])


def test_check_host_returns_on_a_good_host():
    assert req.check_host(FakeModule(), GOOD) is None


def test_installed_versions_reads_this_interpreter_and_the_imported_sdk(monkeypatch):
    monkeypatch.setitem(sys.modules, 'boto3', types.SimpleNamespace(__version__='1.35.99'))
    monkeypatch.setitem(sys.modules, 'botocore', types.SimpleNamespace(__version__='1.36.2'))
    versions = req.installed_versions()
    assert versions == {'python': '%d.%d.%d' % sys.version_info[:3], 'boto3': '1.35.99', 'botocore': '1.36.2'}
    with pytest.raises(Failed, match=r'boto3 >= 1\.36\.0 \(found 1\.35\.99\)'):
        req.check_host(FakeModule())


def test_installed_versions_reports_a_missing_sdk(monkeypatch):
    monkeypatch.setitem(sys.modules, 'boto3', None)  # import boto3 -> ImportError
    assert req.installed_versions()['boto3'] is None


@pytest.mark.parametrize('name', ['s32s_push', 's32s_pull', 's32s_replicate', 's32s_sync'])
def test_every_module_checks_the_host_before_any_work(name, monkeypatch, capsys, tmp_path):
    """The module's main() on a host whose boto3 is 1.35: one fail_json naming boto3 >= 1.36.0, nothing else ran."""
    patch_module_args = pytest.importorskip('ansible.module_utils.testing').patch_module_args
    module = importlib.import_module('ansible_collections.s32s.sync.plugins.modules.%s' % name)
    monkeypatch.setattr(req, 'installed_versions', lambda: dict(GOOD, boto3='1.35.99'))
    args = {'s3': 'bucket/prefix', 'src': str(tmp_path)} if name == 's32s_push' else \
        {'s3': 'bucket/prefix', 'dest': str(tmp_path)} if name == 's32s_pull' else \
        {'src': 'bucket/a', 'dest': [{'s3': 'bucket/b'}]} if name == 's32s_replicate' else \
        {'s3': 'bucket/prefix', 'path': str(tmp_path)}
    with patch_module_args(dict(args, endpoint_url='http://127.0.0.1:9', access_key='unit-test-key', secret_key='unit-test-secret')):
        with pytest.raises(SystemExit) as exited:
            module.main()
    assert exited.value.code == 1
    result = json.loads(capsys.readouterr().out)
    assert result['failed'] is True and result['changed'] is False
    assert 'boto3 >= 1.36.0 (found 1.35.99)' in result['msg'], result['msg']
    assert result['boto3_version'] == '1.35.99'
    assert 'exception' not in result and 'Traceback' not in result['msg']


def _fragment_requirements():
    from ansible_collections.s32s.sync.plugins.doc_fragments.requirements import ModuleDocFragment
    return yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['requirements']


def test_the_documented_floors_are_the_checked_ones():
    python = '%d.%d' % req.MIN_PYTHON
    assert _fragment_requirements() == ['python >= %s' % python, 'boto3 >= %s' % req.MIN_BOTO3,
                                        'botocore >= %s' % req.MIN_BOTOCORE]
    with open(os.path.join(REPO_ROOT, 'requirements.txt')) as f:
        pins = [line.split('#')[0].strip() for line in f if line.split('#')[0].strip()]
    assert pins == ['boto3>=%s' % req.MIN_BOTO3, 'botocore>=%s' % req.MIN_BOTOCORE]
    with open(os.path.join(REPO_ROOT, 'tests', 'config.yml')) as f:
        assert yaml.safe_load(f)['modules']['python_requires'] == '>=%s' % python


def test_every_module_uses_the_requirements_fragment_not_amazon_aws_boto3():
    for name in ('s32s_push', 's32s_pull', 's32s_replicate', 's32s_sync'):
        module = importlib.import_module('ansible_collections.s32s.sync.plugins.modules.%s' % name)
        doc = yaml.safe_load(module.DOCUMENTATION)
        assert 's32s.sync.requirements' in doc['extends_documentation_fragment'], name
        assert 'amazon.aws.boto3' not in doc['extends_documentation_fragment'], name
        assert 'check_host(module)' in open(module.__file__).read(), name
