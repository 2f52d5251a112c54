#!/usr/bin/env python3
"""The code blocks of the documentation, for test/suites/docs.sh.

    blocks.py OUTDIR FILE...

Every fenced code block of FILE... must follow a marker comment (on the line before its fence,
indented like it) that says how the docs suite checks it:

    <!-- include: PATH -->            the block is PATH, byte for byte (a tested file)
    <!-- include: PATH#NAME -->       ... the lines of PATH between the lines holding
                                      "docs:begin NAME" and "docs:end NAME"
    <!-- docs-test: conf -->          postgresql.conf lines: the docs suite's cluster runs with them
    <!-- docs-test: sql DB -->        SQL the docs suite runs in database DB, in document order
    <!-- docs-test: sql DB, last -->  ... after every other block (an uninstall)
    <!-- not run: REASON -->          a command the suite cannot run (it installs packages, restarts
                                      a server): the suite lists it, with its reason

Blocks fenced as `text` are output or grammar, not something to copy: they need no marker.

Writes each block to OUTDIR/NNN.block and prints one line per block, tab-separated:
    NNN  FILE:LINE  KIND  ARGUMENT
KIND is include, conf, sql, sql-last, not-run, or unmarked (ARGUMENT then says what is wrong).
"""
import os
import re
import sys

FENCE = re.compile(r'^( *)(```+|~~~+)\s*([\w+-]*)')
MARK = re.compile(r'^ *<!-- (include|docs-test|not run): *(.*?) *-->\s*$')


def blocks(path):
    lines = open(path, encoding='utf-8').read().split('\n')
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = len(m.group(1)), m.group(2), m.group(3)
        start = i
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence[:3]):
            line = lines[i]
            body.append(line[indent:] if line[:indent].strip() == '' else line)
            i += 1
        i += 1
        mark = MARK.match(lines[start - 1]) if start > 0 else None
        yield start + 1, lang, mark, '\n'.join(body) + '\n'


def region(path, name):
    text = open(path, encoding='utf-8').read()
    if not name:
        return text
    out, inside = [], False
    for line in text.split('\n'):
        if 'docs:end ' + name in line:
            return '\n'.join(out) + '\n'
        if inside:
            out.append(line)
        if 'docs:begin ' + name in line:
            inside = True
    return None


def main():
    outdir, files = sys.argv[1], sys.argv[2:]
    n = 0
    for path in files:
        for line, lang, mark, body in blocks(path):
            n += 1
            out = os.path.join(outdir, '%03d.block' % n)
            with open(out, 'w', encoding='utf-8') as f:
                f.write(body)
            where = '%s:%d' % (path, line)
            if mark is None:
                kind, arg = ('text', '') if lang == 'text' else ('unmarked', 'no marker comment before the fence')
            elif mark.group(1) == 'include':
                target, _, name = mark.group(2).partition('#')
                included = region(target, name) if os.path.isfile(target) else None
                if included is None:
                    kind, arg = 'unmarked', 'include: %s not found' % mark.group(2)
                else:
                    with open(out + '.included', 'w', encoding='utf-8') as f:
                        f.write(included)
                    kind, arg = 'include', mark.group(2)
            elif mark.group(1) == 'not run':
                kind, arg = 'not-run', mark.group(2)
            else:
                words = mark.group(2).replace(',', ' ').split()
                if words == ['conf']:
                    kind, arg = 'conf', ''
                elif len(words) == 2 and words[0] == 'sql':
                    kind, arg = 'sql', words[1]
                elif len(words) == 3 and words[0] == 'sql' and words[2] == 'last':
                    kind, arg = 'sql-last', words[1]
                else:
                    kind, arg = 'unmarked', 'unknown marker: ' + mark.group(2)
            print('%03d\t%s\t%s\t%s' % (n, where, kind, arg))


main()
