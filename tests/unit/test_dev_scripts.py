# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the build helpers in scripts/ (no network, no servers)."""

import importlib.util
import json
import os
import subprocess
import zipfile

import pytest

SCRIPTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'scripts')


def load(name):
    spec = importlib.util.spec_from_file_location('s32s_scripts_' + name, os.path.join(SCRIPTS, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fake_wheel(tmp_path):
    path = tmp_path / 'ansible-0.0.0-py3-none-any.whl'
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr('ansible_collections/amazon/aws/MANIFEST.json', json.dumps({'collection_info': {}}))
        zf.writestr('ansible_collections/amazon/aws/plugins/modules/s3_object.py', '# module\n')
        zf.writestr('ansible_collections/amazon/awsx/MANIFEST.json', '{}')
        zf.writestr('ansible_collections/community/aws/MANIFEST.json', '{}')
        zf.writestr('ansible-0.0.0.dist-info/METADATA', 'Name: ansible\n')
    return str(path)


def test_extract_selected_collections(tmp_path, fake_wheel):
    extract_colls = load('extract_colls')
    dest = tmp_path / 'colls'
    stale = dest / 'ansible_collections' / 'amazon' / 'aws' / 'stale.txt'
    stale.parent.mkdir(parents=True)
    stale.write_text('old')
    assert extract_colls.main(['--wheel', fake_wheel, '--dest', str(dest), 'amazon/aws']) == 0
    root = dest / 'ansible_collections'
    assert (root / 'amazon' / 'aws' / 'plugins' / 'modules' / 's3_object.py').is_file()
    assert not stale.exists()
    assert not (root / 'amazon' / 'awsx').exists()
    assert not (root / 'community').exists()
    assert extract_colls.extract(fake_wheel, str(dest), ['community/aws']) == {'community/aws': 1}


def test_extract_missing_or_bad_name(tmp_path, fake_wheel):
    extract_colls = load('extract_colls')
    assert extract_colls.main(['--wheel', fake_wheel, '--dest', str(tmp_path), 'no/such']) == 1
    assert extract_colls.main(['--wheel', fake_wheel, '--dest', str(tmp_path), '../evil']) == 1


def test_stage_collection_copies_project_files_only(tmp_path):
    stage_collection = load('stage_collection')
    src = tmp_path / 'src'
    (src / 'plugins' / 'modules').mkdir(parents=True)
    (src / 'plugins' / 'modules' / 'm.py').write_text('# m\n')
    (src / '.gitignore').write_text('ignored/\n')
    (src / 'ignored').mkdir()
    (src / 'ignored' / 'junk').write_text('x')
    (src / 'link').symlink_to('plugins')
    subprocess.run(['git', 'init', '-q', str(src)], check=True)
    dest = tmp_path / 'out' / 'ansible_collections' / 'ns' / 'name'
    assert stage_collection.stage(str(src), str(dest)) == 3
    assert (dest / 'plugins' / 'modules' / 'm.py').read_text() == '# m\n'
    assert os.readlink(dest / 'link') == 'plugins'
    assert not (dest / 'ignored').exists()
    with pytest.raises(ValueError):
        stage_collection.stage(str(src), str(src / 'inside'))
