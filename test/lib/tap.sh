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
# psql's output with \timing on → the sum of its "Time:" lines, in whole ms: a statement's own time,
# without the connection's start (which a loaded machine, or a root's chroot, can make long).
statement_ms() {
    sed -n 's/^Time: \([0-9]*\)\..*/\1/p' | awk '{ sum += $1 } END { print sum + 0 }'
}
# How many requests the test upstream has seen on paths matching $1.
count_requests() { $ctl requests "$1" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
# Waits (up to 30 s) until the server answers again, after a restart or a crash.
wait_ready() {
    for _ in $(seq 1 120); do
        q -c "SELECT 1" >/dev/null 2>&1 && return 0
        sleep 0.25
    done
    return 1
}
source "$(dirname "${BASH_SOURCE[0]}")/wait_queue.sh"
