# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate the docsite's extra docs (reStructuredText) from the Markdown guides in docs/.

The Markdown files are the source: GitHub and Galaxy show them, code and tests
cite them.  antsibull-docs takes extra docs only as ``.rst`` under
``docs/docsite/rst/``, so this script writes one generated file per guide of
``GUIDES`` there (committed, so the tarball carries them for any docsite
build)::

    python scripts/md2rst.py            # (re)write docs/docsite/rst/*.rst
    python scripts/md2rst.py --check    # exit 1 if any of them is stale

Supported Markdown (CommonMark plus tables): headings, paragraphs, bullet and
ordered lists (nested), fenced code, tables, inline code, bold, italics, and
links.  A link to another guide becomes a ``:ref:`` to its label; a link to any
other file of the repository becomes its path as inline code (the docsite has
no such page).  Anything else (HTML, images, block quotes) is an error, so
nothing is silently dropped.
"""

import argparse
import os
import posixpath
import sys
import unicodedata

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RST_DIR = os.path.join('docs', 'docsite', 'rst')
LABEL_PREFIX = 'ansible_collections.s32s.sync.docsite.'
#: Markdown source (relative to the repository root) -> name of the generated page.
GUIDES = {
    'docs/safety.md': 'safety',
    'docs/migrating-from-s32s.md': 'migrating_from_s32s',
}
UNDERLINES = {1: '=', 2: '-', 3: '~', 4: '^'}
# reStructuredText inline markup rules: what may precede a start-string / follow an end-string.
BEFORE_START = set(' \n-:/\'"<([{')
AFTER_END = set(' \n-.,:;!?\\/\'")]}>')
SPECIAL = '\\*`|_'


class ConversionError(ValueError):
    """The Markdown uses something this converter does not support."""


def escape(text):
    """Backslash-escape the characters that start reStructuredText inline markup."""
    return ''.join('\\' + c if c in SPECIAL else c for c in text)


def _is_punct(char):
    return unicodedata.category(char)[0] in 'PZ'


def join_inline(pieces):
    """Concatenate (text, is_markup) pieces, separating markup from adjacent word characters.

    reStructuredText needs whitespace or punctuation around inline markup; an
    escaped space (``\\ ``, rendered as nothing) is inserted where there is none.
    """
    out = ''
    prev_markup = False
    for text, markup in pieces:
        if not text:
            continue
        if out:
            last, first = out[-1], text[0]
            if markup and last not in BEFORE_START and not _is_punct(last):
                out += '\\ '
            elif prev_markup and first not in AFTER_END and not _is_punct(first):
                out += '\\ '
        out += text
        prev_markup = markup
    return out


class Converter:
    """Render one Markdown document (SOURCE, relative to the repository root) as reStructuredText."""

    def __init__(self, source):
        self.source = source

    def _plain(self, node):
        """The text of an inline subtree without markup (for markup nested in markup)."""
        if node.type in ('text', 'code_inline'):
            return node.content
        if node.type == 'softbreak':
            return ' '
        return ''.join(self._plain(child) for child in node.children)

    def _link(self, node):
        href = node.attrs.get('href', '')
        text = self._plain(node)
        if href.startswith(('http://', 'https://')):
            return '`%s <%s>`__' % (escape(text), href), True
        target = posixpath.normpath(posixpath.join(posixpath.dirname(self.source), href.split('#')[0]))
        if target in GUIDES:
            return ':ref:`%s <%s%s>`' % (escape(text), LABEL_PREFIX, GUIDES[target]), True
        if text == href or text == target:
            return '``%s``' % target, True
        return '%s (``%s``)' % (escape(text), target), True

    def inline(self, node):
        """Render the children of an inline node."""
        pieces = []
        for child in node.children:
            if child.type == 'text':
                pieces.append((escape(child.content), False))
            elif child.type == 'softbreak':
                pieces.append((' ', False))
            elif child.type == 'code_inline':
                code = child.content
                if '``' in code or code != code.strip():
                    raise ConversionError('%s: inline code %r cannot be written in reStructuredText' % (self.source, code))
                pieces.append(('``%s``' % code, True))
            elif child.type in ('strong', 'em'):
                mark = '**' if child.type == 'strong' else '*'
                pieces.append(('%s%s%s' % (mark, escape(self._plain(child).strip()), mark), True))
            elif child.type == 'link':
                pieces.append(self._link(child))
            else:
                raise ConversionError('%s: unsupported inline Markdown %r' % (self.source, child.type))
        return join_inline(pieces)

    def block(self, node, level_offset):
        """Render a block node as a list of lines (no trailing blank line)."""
        kind = node.type
        if kind == 'heading':
            level = int(node.tag[1:]) + level_offset
            if level not in UNDERLINES:
                raise ConversionError('%s: heading level %d is too deep' % (self.source, level))
            title = self.inline(node.children[0])
            return [title, UNDERLINES[level] * len(title)]
        if kind == 'paragraph':
            return [self.inline(node.children[0])]
        if kind in ('bullet_list', 'ordered_list'):
            lines = []
            start = int(node.attrs.get('start', 1))
            for number, item in enumerate(node.children, start):
                marker = '- ' if kind == 'bullet_list' else '%d. ' % number
                body = self.blocks(item.children, level_offset)
                if lines:
                    lines.append('')
                for i, line in enumerate(body):
                    lines.append((marker if i == 0 else ' ' * len(marker) if line else '') + line)
            return lines
        if kind in ('fence', 'code_block'):
            language = node.info.split()[0] if node.info and node.info.strip() else 'text'
            code = ['   ' + line if line else '' for line in node.content.rstrip('\n').split('\n')]
            return ['.. code-block:: %s' % language, ''] + code
        if kind == 'table':
            return self.table(node)
        if kind == 'hr':
            return ['----']
        raise ConversionError('%s: unsupported Markdown block %r' % (self.source, kind))

    def table(self, node):
        """A Markdown table as a list-table (the first row is the header)."""
        lines = ['.. list-table::', '   :header-rows: 1', '']
        for section in node.children:  # thead, tbody
            for row in section.children:
                for i, cell in enumerate(row.children):
                    text = self.inline(cell.children[0]) if cell.children else ''
                    lines.append(('   * - ' if i == 0 else '     - ') + text)
        return lines

    def blocks(self, nodes, level_offset):
        """Render block nodes separated by blank lines."""
        lines = []
        for node in nodes:
            if lines:
                lines.append('')
            lines.extend(self.block(node, level_offset))
        return lines

    def convert(self, text):
        """Return the reStructuredText page for the Markdown TEXT."""
        tree = SyntaxTreeNode(MarkdownIt('commonmark').enable('table').parse(text))
        header = [
            '..',
            '  Generated from %s by scripts/md2rst.py: edit the Markdown file, then run `make docs`.' % self.source,
            '',
            '.. _%s%s:' % (LABEL_PREFIX, GUIDES[self.source]),
            '',
        ]
        return '\n'.join(header + self.blocks(tree.children, 0)) + '\n'


def generate(root):
    """Return {path of the generated file relative to ROOT: its content} for every guide."""
    out = {}
    for source, name in sorted(GUIDES.items()):
        with open(os.path.join(root, source), encoding='utf-8') as f:
            out[os.path.join(RST_DIR, name + '.rst')] = Converter(source).convert(f.read())
    return out


def main(argv=None):
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--check', action='store_true', help='only check that the generated files are current')
    args = parser.parse_args(argv)
    try:
        pages = generate(ROOT)
    except ConversionError as exc:
        sys.stderr.write('md2rst: %s\n' % exc)
        return 1
    stale = []
    for rel, content in sorted(pages.items()):
        path = os.path.join(ROOT, rel)
        try:
            with open(path, encoding='utf-8') as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current == content:
            continue
        stale.append(rel)
        if not args.check:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w', encoding='utf-8') as f:
                f.write(content)
            print('md2rst: wrote %s' % rel)
    if args.check and stale:
        sys.stderr.write('md2rst: stale (run make docs and commit): %s\n' % ', '.join(stale))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
