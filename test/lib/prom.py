#!/usr/bin/env python3
"""Reads a Prometheus text exposition (a scrape of /metrics) and answers one question.

  prom.py FILE value NAME [label=value...]   the value of the one series of NAME whose labels
                                             include those given (exit 1 when none or several)
  prom.py FILE type NAME                     the TYPE line's type of NAME
  prom.py FILE series NAME                   how many series NAME has
  prom.py FILE names PREFIX                  the metric names (of series) that start with PREFIX
"""
import re
import sys

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(path):
    series, types = [], {}
    with open(path) as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('# TYPE '):
                _, _, name, kind = line.split(' ', 3)
                types[name] = kind
            elif line and not line.startswith('#'):
                m = LINE.match(line)
                if not m:
                    raise SystemExit(f'unparsable line: {line}')
                labels = dict(LABEL.findall(m.group(2) or ''))
                series.append((m.group(1), labels, float(m.group(3))))
    return series, types


def main():
    path, what, name = sys.argv[1:4]
    series, types = parse(path)
    if what == 'type':
        print(types.get(name, 'none'))
    elif what == 'series':
        print(sum(1 for n, _, _ in series if n == name))
    elif what == 'names':
        print('\n'.join(sorted({n for n, _, _ in series if n.startswith(name)})))
    elif what == 'value':
        want = dict(arg.split('=', 1) for arg in sys.argv[4:])
        found = [v for n, labels, v in series
                 if n == name and all(labels.get(k) == w for k, w in want.items())]
        if len(found) != 1:
            print(f'{len(found)} series of {name} {want}', file=sys.stderr)
            sys.exit(1)
        v = found[0]
        print(int(v) if v == int(v) else v)
    else:
        raise SystemExit(f'unknown question {what}')


main()
