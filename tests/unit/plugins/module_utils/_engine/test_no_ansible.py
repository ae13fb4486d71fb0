# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine imports nothing from Ansible: every module of ``_engine/`` imports
in a fresh interpreter where ``import ansible`` fails (a host may run the
engine as a plain package, without Ansible)."""

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))))
ENGINE = os.path.join(ROOT, 'plugins', 'module_utils', '_engine')
PACKAGE = 'ansible_collections.s32s.sync.plugins.module_utils._engine'


def engine_modules():
    out = []
    for dirpath, _dirs, files in os.walk(ENGINE):
        for name in sorted(files):
            if name.endswith('.py'):
                rel = os.path.relpath(os.path.join(dirpath, name), ENGINE)[:-3].replace(os.sep, '.')
                out.append(PACKAGE + ('' if rel == '__init__' else '.' + rel.replace('.__init__', '')))
    return sorted(out)


SCRIPT = '''
import sys
sys.modules["ansible"] = None          # any "import ansible..." now raises ImportError
sys.path.insert(0, sys.argv[1])
import importlib
for name in sys.argv[2:]:
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if m == "ansible" or m.startswith("ansible."))
assert leaked == ["ansible"], leaked
print(len(sys.argv) - 2)
'''


def test_the_engine_has_modules_in_every_layer():
    layers = {m[len(PACKAGE) + 1:].split('.')[0] for m in engine_modules() if m != PACKAGE}
    assert {'config', 'sides', 'plan', 'state', 'jobs', 'errors', 'paths'} <= layers


def test_every_engine_module_imports_without_ansible():
    modules = engine_modules()
    proc = subprocess.run([sys.executable, '-c', SCRIPT, os.path.join(ROOT, '.collections')] + modules,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(len(modules))


def test_the_guard_catches_an_ansible_import(tmp_path):
    """The same check fails for a module that imports Ansible (so it can fail at all)."""
    pkg = tmp_path / 'probe'
    pkg.mkdir()
    (pkg / '__init__.py').write_text('')
    (pkg / 'bad.py').write_text('from ansible.module_utils.basic import AnsibleModule\n')
    proc = subprocess.run([sys.executable, '-c', SCRIPT, str(tmp_path), 'probe.bad'],
                          capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "No module named 'ansible" in proc.stderr


def test_the_engine_runs_as_a_plain_package(tmp_path):
    """A copy of ``_engine/`` under another name imports on its own (relative imports only):
    how a host runs it outside Ansible."""
    shutil.copytree(ENGINE, str(tmp_path / 's32s_engine'), ignore=shutil.ignore_patterns('__pycache__'))
    modules = [m.replace(PACKAGE, 's32s_engine') for m in engine_modules()]
    proc = subprocess.run([sys.executable, '-c', SCRIPT, str(tmp_path)] + modules,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(len(modules))
