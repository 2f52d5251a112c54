#!/usr/bin/env bash
# Per-provider rate limits hold across sessions (docs/settings.md): two sessions refreshing Jikan lists at
# the same time still reach the upstream no faster than tako_cache.jikan_requests_per_second, and
# a 429 with Retry-After from one session holds the provider back for the other. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh

# Start times of the upstream's requests matching $1, in seconds, sorted.
starts() {
    $ctl requests "$1" | python3 -c '
import json, sys
print(" ".join("%.3f" % r["at"] for r in sorted(json.load(sys.stdin), key=lambda r: r["at"])))'
}
# The smallest gap between consecutive numbers ("none" for fewer than two).
min_gap() {
    python3 -c '
import sys
t = [float(x) for x in sys.argv[1:]]
print(min(b - a for a, b in zip(t, t[1:])) if len(t) > 1 else "none")' "$@"
}

$ctl reset
# Two sessions, four Jikan schedule lists each, started together.
psql -X -q -At -c "SELECT tako_cache.tako_refresh_keys(ARRAY['jikan:schedule:monday','jikan:schedule:tuesday','jikan:schedule:wednesday','jikan:schedule:thursday'])->>'failed'" >/tmp/tako_rl_a.$$ 2>&1 &
a=$!
psql -X -q -At -c "SELECT tako_cache.tako_refresh_keys(ARRAY['jikan:schedule:friday','jikan:schedule:saturday','jikan:schedule:sunday','jikan:schedule:other'])->>'failed'" >/tmp/tako_rl_b.$$ 2>&1 &
b=$!
wait $a $b
check '[ "$(cat /tmp/tako_rl_a.$$)" = 0 ] && [ "$(cat /tmp/tako_rl_b.$$)" = 0 ]' "both sessions refreshed their four lists"
rm -f /tmp/tako_rl_a.$$ /tmp/tako_rl_b.$$
times=$(starts /jikan/schedules)
count=$(echo "$times" | wc -w)
gap=$(min_gap $times)
gap=${gap:0:5}
check '[ "$count" = 8 ]' "the upstream saw the 8 requests"
# 3 per second: consecutive starts at least 1/3 s apart (a little slack for the server's clock).
check '[ "$count" = 8 ] && python3 -c "import sys; sys.exit(0 if $gap >= 0.30 else 1)"' \
    "requests of both sessions are spaced by Jikan's 3/s (smallest gap ${gap}s)"

# A Retry-After seen by one session holds the provider back for every session.
$ctl reset
$ctl fault '{"match": "/deezer/chart/0/albums", "times": 1, "fault": {"status": 429, "headers": {"Retry-After": "2"}}}'
psql -X -q -At -c "SELECT tako_refresh('deezer:charts:albums')->>'status'" >/tmp/tako_rl_c.$$ 2>&1 &
c=$!
sleep 0.5
psql -X -q -At -c "SELECT tako_refresh('deezer:charts:tracks')->>'status'" >/dev/null 2>&1
wait $c
check '[ "$(cat /tmp/tako_rl_c.$$)" = ok ]' "the 429'd refresh succeeds on its retry"
rm -f /tmp/tako_rl_c.$$
first=$(starts /deezer/chart/0/albums | cut -d' ' -f1)
tracks=$(starts /deezer/chart/0/tracks)
waited=$(python3 -c "print(round(${tracks:-0} - ${first:-0}, 2))")
check '[ -n "$first" ] && [ -n "$tracks" ] && python3 -c "import sys; sys.exit(0 if $waited >= 1.9 else 1)"' \
    "another session's Deezer request waited out the Retry-After (started ${waited} s after the 429)"
echo "1..$n"
