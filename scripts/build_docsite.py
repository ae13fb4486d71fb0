# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the collection's docsite with antsibull-docs and Sphinx, offline, warnings as errors.

    python scripts/build_docsite.py DEST

DEST is emptied first.  The steps are those of the ``build.sh`` that
``antsibull-docs sphinx-init`` writes, with one change for a machine without
network access:

1. ``antsibull-docs sphinx-init --use-current --squash-hierarchy`` writes
   ``DEST/conf.py``, ``DEST/build.sh`` and ``DEST/rst/index.rst``;
2. ``antsibull-docs collection`` (the first command of ``build.sh``) writes the
   plugin, role and extra docs pages (``docs/docsite/``) to ``DEST/rst``;
3. Sphinx's intersphinx cannot download the Ansible docsite's inventory, so
   ``DEST/ansible_devel.inv`` is written instead: one entry per reference the
   pages make to a page of docs.ansible.com (other collections' plugins,
   ``common_return_values``, ...), with that page's address; ``conf.py`` is
   pointed at it (and at nothing else: the Python and Jinja inventories are
   not used by any page);
4. ``sphinx-build -M html rst build -c . -W --keep-going`` (the second command
   of ``build.sh``) writes the site to ``DEST/build/html``.

A reference to a label that is neither defined by the pages nor known in
step 3 stays unresolved, so Sphinx fails (``-W``).  The collection and its
dependencies are found through ``ANSIBLE_COLLECTIONS_PATH`` (``make collpath``).
Exit status: that of the first failing step, else 0.
"""

import os
import re
import shutil
import subprocess
import sys
import zlib

COLLECTION = 's32s.sync'
ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
INVENTORY = 'ansible_devel.inv'
#: Labels of the Ansible docsite (outside the collections) that generated pages refer to.
ANSIBLE_LABELS = {
    'common_return_values': ('reference_appendices/common_return_values.html', 'Return Values'),
    'ansible_configuration_settings': ('reference_appendices/config.html', 'Ansible Configuration Settings'),
}
PLUGIN_LABEL = re.compile(r'^ansible_collections\.(\w+)\.(\w+)\.(\w+)_(module|role|[a-z]+)$')
REF = re.compile(r':ref:`(?:[^`<]*<)?([^`<>]+)>?`')
LABEL_DEF = re.compile(r'^\.\. _([^:]+):\s*$', re.M)
CONF_OVERRIDE = '''

# Added by scripts/build_docsite.py: no network here, so the one inventory used is a local file
# listing the docs.ansible.com pages these docs link to.
intersphinx_mapping = {
    'ansible_devel': (%r, %r),
}
''' % (ANSIBLE_DOCS, '../' + INVENTORY)


def make_id(label):
    """The HTML id Sphinx gives a label (docutils ``make_id``, ASCII labels)."""
    return re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')


def external_labels(rst_dir):
    """Labels referenced by the pages under RST_DIR and defined by none of them."""
    used, defined = set(), set()
    for dirpath, _dirs, files in os.walk(rst_dir):
        for name in files:
            if name.endswith('.rst'):
                with open(os.path.join(dirpath, name), encoding='utf-8') as f:
                    text = f.read()
                used.update(label.strip() for label in REF.findall(text))
                defined.update(LABEL_DEF.findall(text))
    return sorted(used - defined)


def inventory_entries(labels):
    """(label, uri, title) for each label of LABELS whose docs.ansible.com page is known."""
    entries = []
    for label in labels:
        if label in ANSIBLE_LABELS:
            page, title = ANSIBLE_LABELS[label]
        else:
            m = PLUGIN_LABEL.match(label)
            if not m or '%s.%s' % m.group(1, 2) == COLLECTION:
                continue  # unknown, or a page of this collection that is missing: Sphinx reports it
            namespace, name, plugin, kind = m.groups()
            page = 'collections/%s/%s/%s_%s.html' % (namespace, name, plugin, kind)
            title = '%s.%s.%s %s' % (namespace, name, plugin, kind)
        entries.append((label, '%s#%s' % (page, make_id(label)), title))
    return entries


def write_inventory(path, entries):
    """Write a Sphinx (version 2) object inventory of std:label ENTRIES to PATH."""
    body = ''.join('%s std:label -1 %s %s\n' % entry for entry in entries)
    header = ('# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
              '# The remainder of this file is compressed using zlib.\n')
    with open(path, 'wb') as f:
        f.write(header.encode('utf-8') + zlib.compress(body.encode('utf-8')))


def run(cmd, cwd):
    print('+ ' + ' '.join(cmd), flush=True)
    return subprocess.run(cmd, cwd=cwd, check=False).returncode


def main(argv=None):
    """Command line entry point."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write('usage: build_docsite.py DEST\n')
        return 2
    dest = os.path.abspath(argv[0])
    bindir = os.path.dirname(sys.executable)
    if os.path.lexists(dest):
        shutil.rmtree(dest)
    os.makedirs(dest)
    os.chmod(dest, 0o700)  # antsibull-docs writes only into a directory no one else can write to

    rc = run([os.path.join(bindir, 'antsibull-docs'), 'sphinx-init', '--use-current', '--fail-on-error',
              '--squash-hierarchy', '--dest-dir', dest, '--project', COLLECTION, '--title', COLLECTION,
              '--copyright', '%s contributors' % COLLECTION, COLLECTION], cwd=dest)
    if rc:
        return rc
    with open(os.path.join(dest, 'conf.py'), 'a', encoding='utf-8') as f:
        f.write(CONF_OVERRIDE)

    rst = os.path.join(dest, 'rst')
    os.chmod(rst, 0o700)
    rc = run([os.path.join(bindir, 'antsibull-docs'), '--config-file', 'antsibull-docs.cfg', 'collection',
              '--cleanup', 'everything', '--fail-on-error', '--use-current', '--squash-hierarchy',
              '--dest-dir', 'rst', COLLECTION], cwd=dest)
    if rc:
        return rc

    entries = inventory_entries(external_labels(rst))
    write_inventory(os.path.join(dest, INVENTORY), entries)
    print('build_docsite: %s lists %d docs.ansible.com label(s): %s'
          % (INVENTORY, len(entries), ', '.join(e[0] for e in entries)))

    rc = run([os.path.join(bindir, 'sphinx-build'), '-M', 'html', 'rst', 'build', '-c', '.', '-W', '--keep-going'],
             cwd=dest)
    if rc:
        return rc
    print('build_docsite: %s' % os.path.join(dest, 'build', 'html', 'index.html'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
