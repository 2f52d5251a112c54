#!/usr/bin/env python3
"""pg_regress's alternative expected outputs for PostgreSQL 16 and later, made from test/regress/expected/*.out.

    python3 test/lib/regress_alternates.py EXPECTED_DIR

The server words a few messages differently since 16; for each test/regress/expected/NAME.out that shows one,
EXPECTED_DIR/NAME_1.out is written with 16's wording (pg_regress accepts either file). The rules are
these, and only these:

  - a setting's range names its unit: "0 ms is outside the valid range for parameter "x" (1 .. 10)"
    becomes "(1 ms .. 10 ms)";
  - reading a secret setting: "must be superuser or have privileges of pg_read_all_settings to
    examine "x"" becomes "permission denied to examine "x"" (a one-column result is laid out again,
    as psql does, for the new width).

test/lib/pg_version.sh runs it on the copy of the sources that a PostgreSQL 17 or 18 build tests
(build/pg<v>/tree/test/regress/expected), never on the clone's.
"""
import pathlib
import re
import sys

RANGE = re.compile(r'^(ERROR:  \S+ (\S+) is outside the valid range for parameter "[^"]+" \()(\S+) \.\. (\S+)\)$')
SECRET = re.compile(r'must be superuser or have privileges of pg_read_all_settings to examine ("[^"]+")')


def relayout(lines, i):
    """Lines i-2..i are a one-column result (header, dashes, value): lay them out for the value."""
    if i < 2 or '+' in lines[i - 1] or not re.fullmatch(r'-+', lines[i - 1]):
        return
    name = lines[i - 2].strip()
    value = lines[i][1:].rstrip()
    width = max(len(name), len(value))
    before = (width - len(name)) // 2
    lines[i - 2] = ' ' + ' ' * before + name + ' ' * (width - len(name) - before) + ' '
    lines[i - 1] = '-' * (width + 2)
    lines[i] = ' ' + value  # psql pads no last column


def alternate(text):
    lines = text.split('\n')
    for i, line in enumerate(lines):
        m = RANGE.match(line)
        if m:
            lines[i] = f'{m.group(1)}{m.group(3)} {m.group(2)} .. {m.group(4)} {m.group(2)})'
            continue
        if SECRET.search(line):
            lines[i] = SECRET.sub(r'permission denied to examine \1', line)
            if not line.startswith(('ERROR:', 'WARNING:', 'NOTICE:')):
                relayout(lines, i)
    return '\n'.join(lines)


def main():
    expected = pathlib.Path(sys.argv[1])
    for out in sorted(expected.glob('*.out')):
        if re.search(r'_\d+$', out.stem):
            continue
        text = out.read_text()
        alt = alternate(text)
        target = out.with_name(out.stem + '_1.out')
        if alt != text and not target.exists():  # one of the sources' own is kept
            target.write_text(alt)


if __name__ == '__main__':
    main()
