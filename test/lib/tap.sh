# Helpers of the shell tests in test/integration/ (they print TAP). Source this file from the
# repository's root.
n=0
ctl=test/upstream/ctl

check() {  # check CONDITION DESCRIPTION: one TAP line, CONDITION eval'd
    n=$((n + 1))
    if eval "$1"; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
q() { psql -X -q -At "$@"; }
ms() { date +%s%3N; }
# How many requests the test upstream has seen on paths matching $1.
count_requests() { $ctl requests "$1" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
