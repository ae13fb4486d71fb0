# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the build helpers in scripts/ (no network, no servers)."""

import importlib.util
import json
import os
import io
import subprocess
import tarfile
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


def _tarball(path, manifest, files):
    with tarfile.open(path, 'w:gz') as tar:
        for name, data in [('MANIFEST.json', json.dumps(manifest).encode())] + list(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_galaxy_import_stand_in_repository_changes_only_the_manifest(tmp_path):
    galaxy_import = load('galaxy_import')
    src, dest = str(tmp_path / 'ns-name-1.0.0.tar.gz'), str(tmp_path / 'copy.tar.gz')
    _tarball(src, {'collection_info': {'repository': None, 'name': 'name'}}, {'FILES.json': b'{}', 'a/b.py': b'x'})
    galaxy_import.with_repository(src, dest, 'stand-in')
    assert galaxy_import.read_manifest(dest)['collection_info'] == {'repository': 'stand-in', 'name': 'name'}
    with tarfile.open(dest) as tar:
        assert tar.getnames() == ['MANIFEST.json', 'FILES.json', 'a/b.py']
        assert tar.extractfile('a/b.py').read() == b'x'


def test_galaxy_import_links_each_dependency(tmp_path):
    galaxy_import = load('galaxy_import')
    colls = tmp_path / 'colls'
    (colls / 'ansible_collections' / 'amazon' / 'aws').mkdir(parents=True)
    (colls / 'ansible_collections' / 'amazon' / 'aws' / 'MANIFEST.json').write_text('{}')
    manifest = {'collection_info': {'dependencies': {'amazon.aws': '>=10.0.0'}}}
    root = galaxy_import.link_dependencies(manifest, str(colls), str(tmp_path / 'work'))
    link = os.path.join(root, 'ansible_collections', 'amazon', 'aws')
    assert os.path.realpath(link) == os.path.realpath(str(colls / 'ansible_collections' / 'amazon' / 'aws'))
    manifest['collection_info']['dependencies']['community.aws'] = '*'
    with pytest.raises(ValueError, match='community.aws'):
        galaxy_import.link_dependencies(manifest, str(colls), str(tmp_path / 'work2'))


def test_md2rst_pages_in_the_repository_are_current():
    """docs/docsite/rst/*.rst are generated from docs/*.md: edit the Markdown, then run make docs."""
    pytest.importorskip('markdown_it')
    md2rst = load('md2rst')
    root = os.path.dirname(SCRIPTS)
    for rel, content in md2rst.generate(root).items():
        with open(os.path.join(root, rel), encoding='utf-8') as f:
            assert f.read() == content, '%s is stale: run make docs' % rel


MD_SAMPLE = '''# Title with `code`

A paragraph with `listen`s, **bold `x`**, *it*, a_b and a [site](https://example.com/x),
[the promises](safety.md) and [a file](../playbooks/deploy_site.yml).

## Section

- item one
  - nested `a`
- item two

1. first
2. second

| a | b |
|---|---|
| `x` | y \\| z |

```yaml
key: value
```
'''


def test_md2rst_converts_the_supported_markdown():
    pytest.importorskip('markdown_it')
    md2rst = load('md2rst')
    rst = md2rst.Converter('docs/migrating-from-s32s.md').convert(MD_SAMPLE)
    lines = rst.splitlines()
    assert '.. _ansible_collections.s32s.sync.docsite.migrating_from_s32s:' in lines
    assert lines[lines.index('Title with ``code``') + 1] == '=' * len('Title with ``code``')
    assert lines[lines.index('Section') + 1] == '-------'
    assert ('A paragraph with ``listen``\\ s, **bold x**, *it*, a\\_b and a `site <https://example.com/x>`__, '
            ':ref:`the promises <ansible_collections.s32s.sync.docsite.safety>` and '
            'a file (``playbooks/deploy_site.yml``).') in lines
    assert '- item one' in lines and '  - nested ``a``' in lines
    assert '1. first' in lines and '2. second' in lines
    assert '   * - ``x``' in lines and '     - y \\| z' in lines
    assert '.. code-block:: yaml' in lines and '   key: value' in lines
    with pytest.raises(md2rst.ConversionError):
        md2rst.Converter('docs/safety.md').convert('<div>html</div>\n')


def test_build_docsite_inventory_points_at_the_ansible_docsite(tmp_path):
    inventory = importlib.import_module('sphinx.util.inventory')  # requirements-dev.txt installs Sphinx
    build_docsite = load('build_docsite')
    rst = tmp_path / 'rst'
    rst.mkdir()
    (rst / 'a.rst').write_text('.. _local_label:\n\nSee :ref:`local_label`, :ref:`here <common_return_values>`,\n'
                               ':ref:`ansible.builtin.copy <ansible_collections.ansible.builtin.copy_module>`,\n'
                               ':ref:`ansible_collections.s32s.sync.missing_module` and :ref:`no_such_label`.\n')
    labels = build_docsite.external_labels(str(rst))
    assert labels == ['ansible_collections.ansible.builtin.copy_module', 'ansible_collections.s32s.sync.missing_module',
                      'common_return_values', 'no_such_label']
    entries = build_docsite.inventory_entries(labels)
    assert [e[0] for e in entries] == ['ansible_collections.ansible.builtin.copy_module', 'common_return_values']
    path = tmp_path / 'x.inv'
    build_docsite.write_inventory(str(path), entries)
    with open(path, 'rb') as f:
        loaded = inventory.InventoryFile.load(f, build_docsite.ANSIBLE_DOCS, lambda base, uri: base + uri)
    data = getattr(loaded, 'data', loaded)
    uri = data['std:label']['ansible_collections.ansible.builtin.copy_module']
    uri = getattr(uri, 'uri', None) or uri[2]
    assert uri == (build_docsite.ANSIBLE_DOCS + 'collections/ansible/builtin/copy_module.html'
                   '#ansible-collections-ansible-builtin-copy-module')
