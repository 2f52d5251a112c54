#!/usr/bin/env bash
# Monitoring (docs/monitoring.md): the real prometheus-postgres-exporter (Debian 12's package) with
# monitoring/postgres_exporter.yaml, against a fresh cluster and the test upstream, connected as a
# role that has only the documented grant. A known sequence of reads and refreshes, then scrapes
# of /metrics: every value and label is checked. One "ok"/"not ok" line per check. (0.11's own
# bgwriter collector reads columns PostgreSQL 17 moved: it is turned off.)
set -u
source "$(dirname "$0")/../lib/suite.sh"
source "$TAKO_ROOT/test/lib/cluster.sh"
source "$TAKO_ROOT/test/lib/upstream.sh"
cd "$TAKO_ROOT"
passed=0
failed=0
exporter=/usr/bin/prometheus-postgres-exporter
yaml=$TAKO_ROOT/monitoring/postgres_exporter.yaml
key=deezer:charts:artists
path=/chart/0/artists

if [ ! -x "$exporter" ]; then
    echo "installing prometheus-postgres-exporter"
    source test/lib/deps.sh
    apt_install prometheus-postgres-exporter >/dev/null || { record_tally monitoring 0 1; exit 1; }
fi
upstream_start >/dev/null || { record_tally monitoring 0 1; exit 1; }
conf_args=()
while IFS= read -r line; do conf_args+=(--conf "$line"); done < <(upstream_conf_lines)
# One attempt per list (the injected 500 is one request); the breaker opens at the first failure;
# Deezer has a daily budget, so that its gauge is there.
cluster_start monitoring --conf "cron.database_name = 'tako_mon'" --conf "tako_cache.database_name = 'tako_mon'" \
    --conf "tako_cache.retry_attempts = 1" --conf "tako_cache.breaker_failures = 1" \
    --conf "tako_cache.deezer_daily_requests = 100" "${conf_args[@]}" || {
    upstream_stop
    record_tally monitoring 0 1
    exit 1
}
exporter_pid=""
stop_all() {
    [ -n "$exporter_pid" ] && kill "$exporter_pid" 2>/dev/null && wait "$exporter_pid" 2>/dev/null
    cluster_stop
    upstream_stop
    rm -rf "$work"
}
work=$(mktemp -d /tmp/tako_cache.monitoring-work.XXXXXX)
trap stop_all EXIT
export PGDATABASE=tako_mon
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
createdb tako_mon && q -c "CREATE EXTENSION tako_cache CASCADE" >/dev/null && cluster_wait_worker tako_mon || {
    record_tally monitoring 0 1
    exit 1
}
source "$TAKO_ROOT/test/lib/wait_queue.sh"

# The monitoring role: LOGIN and EXECUTE on tako_metrics(), nothing else (docs/monitoring.md).
q -c "CREATE ROLE tako_exporter LOGIN" -c "GRANT EXECUTE ON FUNCTION tako_metrics() TO tako_exporter"
as_exporter() { psql -X -q -At -U tako_exporter "$@"; }
check "the monitoring role reads tako_metrics()" \
    [ "$(as_exporter -c "SELECT count(*) > 0 FROM tako_metrics()" 2>&1)" = t ]
out=$(as_exporter -c "SELECT * FROM tako_cache.tako_metric_counters()" 2>&1)
check "... but not the counters under it, nor the detailed stats, nor the refresh log" \
    bash -c '[[ "$1" == *"permission denied"* ]] &&
             [[ "$(psql -X -q -At -U tako_exporter -c "SELECT tako_cache.tako_cache_stats_detailed()" 2>&1)" == *"permission denied"* ]] &&
             [[ "$(psql -X -q -At -U tako_exporter -c "SELECT count(*) FROM tako_cache.tako_refresh_log" 2>&1)" == *"permission denied"* ]]' _ "$out"
check "PUBLIC may not read tako_metrics()" \
    [ "$(q -c "SELECT has_function_privilege('public', 'tako_metrics()', 'EXECUTE')")" = f ]

# The known sequence.
started=$(date +%s)
q -c "SELECT tako_discover('$key') IS NOT NULL" >/dev/null                    # miss: fetched (ok)
q -c "SELECT count(tako_get_cached('$key')) FROM generate_series(1, 3)" >/dev/null  # 3 hits
q -c "SELECT tako_get_cached('deezer:charts:tracks')" >/dev/null              # miss: not cached
q -c "SELECT tako_get_cached('tmdb:popular:movie')" >/dev/null               # miss (tmdb)
q -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key = '$key'"
upstream_fault "{\"match\": \"$path\", \"times\": 5, \"fault\": {\"status\": 500}}" >/dev/null
q -c "SELECT tako_discover('$key') IS NOT NULL" >/dev/null                    # stale serve; the
wait_queue                                                                    # worker's refresh: 500
count_sent() { upstream_requests "$path" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
sent_before_reset=$(count_sent)  # (a reset forgets the requests seen)
upstream_reset >/dev/null

# The exporter, as the monitoring role, on a free port.
port=$(free_port)
DATA_SOURCE_NAME="host=$PGHOST port=$PGPORT user=tako_exporter dbname=tako_mon sslmode=disable" \
    "$exporter" --web.listen-address="127.0.0.1:$port" --extend.query-path="$yaml" \
    --disable-default-metrics --disable-settings-metrics --no-collector.bgwriter >"$work/exporter.log" 2>&1 &
exporter_pid=$!
scrape() {  # FILE: one scrape of /metrics
    local i
    for i in $(seq 1 50); do
        curl -sS --noproxy '*' --max-time 10 -o "$1" "http://127.0.0.1:$port/metrics" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "no answer from the exporter; its log:"; cat "$work/exporter.log"
    return 1
}
prom() { python3 test/lib/prom.py "$@"; }
is() {  # FILE NAME [label=value...] EXPECTED: the series' value is EXPECTED
    local file=$1 name=$2 expected=${*: -1} got
    got=$(prom "$file" value "$name" "${@:3:$#-3}" 2>&1)
    [ "$got" = "$expected" ] || { echo "#   $name ${*:3:$#-3}: $got, expected $expected"; return 1; }
}
export -f is prom
a=$work/a.prom
scrape "$a"
check "the exporter answers, as the monitoring role, without a query error" \
    bash -c '! grep -iE "level=(error|warn)" "$1" | sed "s/^/#   /" | grep .' _ "$work/exporter.log"
check "tako_cache_hits_total{provider=deezer} is 3 (3 fresh reads), a counter" \
    bash -c 'is "$@" && [ "$(prom "$1" type tako_cache_hits_total)" = counter ]' _ "$a" tako_cache_hits_total provider=deezer 3
check "tako_cache_misses_total: deezer 2 (the first read, an uncached key), tmdb 1" \
    bash -c 'is "$1" tako_cache_misses_total provider=deezer 2 && is "$1" tako_cache_misses_total provider=tmdb 1' _ "$a"
check "tako_cache_stale_serves_total{provider=deezer} is 1" is "$a" tako_cache_stale_serves_total provider=deezer 1
check "every provider has its hits, misses and stale serves (zeros too: 6 series each)" \
    bash -c 'for m in hits misses stale_serves; do [ "$(prom "$1" series tako_cache_${m}_total)" = 6 ] || exit 1; done' _ "$a"
check "tako_cache_refreshes_total{deezer}: ok 1, server_error 1 (the injected 500)" \
    bash -c 'is "$1" tako_cache_refreshes_total provider=deezer outcome=ok 1 &&
             is "$1" tako_cache_refreshes_total provider=deezer outcome=server_error 1 &&
             is "$1" tako_cache_refreshes_total provider=tmdb outcome=ok 0 &&
             [ "$(prom "$1" type tako_cache_refreshes_total)" = counter ]' _ "$a"
check "tako_cache_circuit_breaker_open: deezer 1 after its failure (breaker_failures = 1), tmdb 0" \
    bash -c 'is "$1" tako_cache_circuit_breaker_open provider=deezer 1 && is "$1" tako_cache_circuit_breaker_open provider=tmdb 0 &&
             is "$1" tako_cache_provider_consecutive_failures provider=deezer 1' _ "$a"
check "tako_cache_entries: 0 fresh, 1 expired" \
    bash -c 'is "$1" tako_cache_entries state=fresh 0 && is "$1" tako_cache_entries state=expired 1' _ "$a"

# A manual refresh that succeeds (it does not wait for the breaker).
result=$(q -c "SELECT tako_refresh('$key')->>'status'")
b=$work/b.prom
scrape "$b"
check "a manual refresh succeeds: refreshes_total{deezer,ok} is 2, server_error still 1 ($result)" \
    bash -c 'is "$1" tako_cache_refreshes_total provider=deezer outcome=ok 2 && is "$1" tako_cache_refreshes_total provider=deezer outcome=server_error 1' _ "$b"
check "... the breaker closes and the failures are forgotten" \
    bash -c 'is "$1" tako_cache_circuit_breaker_open provider=deezer 0 && is "$1" tako_cache_provider_consecutive_failures provider=deezer 0' _ "$b"
check "... the list is fresh again" \
    bash -c 'is "$1" tako_cache_entries state=fresh 1 && is "$1" tako_cache_entries state=expired 0' _ "$b"
sent=$((sent_before_reset + $(count_sent)))
check "tako_cache_daily_requests{deezer} is the requests the upstream saw ($sent); budgets: deezer 100, rawg 660 (its default), no other" \
    bash -c 'is "$1" tako_cache_daily_requests provider=deezer "$2" && [ "$2" = 3 ] &&
             is "$1" tako_cache_daily_request_budget provider=deezer 100 &&
             is "$1" tako_cache_daily_request_budget provider=rawg 660 &&
             [ "$(prom "$1" series tako_cache_daily_request_budget)" = 2 ]' _ "$b" "$sent"
check "the upstream request duration histogram: deezer counted 3 fetches, all under 60 s; others none" \
    bash -c 'is "$1" tako_cache_upstream_request_duration_seconds_count provider=deezer 3 &&
             is "$1" tako_cache_upstream_request_duration_seconds_bucket provider=deezer le=60 3 &&
             is "$1" tako_cache_upstream_request_duration_seconds_bucket provider=deezer le=+Inf 3 &&
             is "$1" tako_cache_upstream_request_duration_seconds_count provider=tmdb 0 &&
             [ "$(prom "$1" type tako_cache_upstream_request_duration_seconds)" = histogram ]' _ "$b"
sum=$(prom "$b" value tako_cache_upstream_request_duration_seconds_sum provider=deezer)
check "... its sum is the time they took: more than 0, less than the sequence ($sum s)" \
    python3 -c "import sys; sys.exit(not 0 < $sum < $(($(date +%s) - started + 1)))"
stats=$(q -c "SELECT concat_ws(' ', q->>'pending', q->>'in_flight', q->>'done', q->>'failed', q->>'refused') FROM tako_cache.tako_queue_stats() AS q")
check "queue depth and the queue's counters are tako_cache.tako_queue_stats()' ($stats)" \
    bash -c 'read -r p f d x r <<<"$2"; is "$1" tako_cache_queue_depth state=pending "$p" && is "$1" tako_cache_queue_depth state=in_flight "$f" &&
             is "$1" tako_cache_queue_refreshes_total result=done "$d" && is "$1" tako_cache_queue_refreshes_total result=failed "$x" &&
             is "$1" tako_cache_queue_refreshes_total result=refused "$r" && [ "$p $f" = "0 0" ] && [ "$x" -ge 1 ]' _ "$b" "$stats"
check "tako_cache_worker_up is 1" is "$b" tako_cache_worker_up 1
check "counters never went down between the two scrapes" \
    python3 - "$a" "$b" <<'PY'
import re, sys
def read(p):
    out = {}
    for line in open(p):
        if line.startswith('tako_cache_') and ('_total' in line.split(' ')[0] or '_seconds_' in line.split(' ')[0]):
            k, v = line.rsplit(' ', 1)
            out[k] = float(v)
    return out
a, b = read(sys.argv[1]), read(sys.argv[2])
bad = [k for k in a if k not in b or b[k] < a[k]]
print('\n'.join('#   ' + k for k in bad))
sys.exit(bool(bad) or not a)
PY
names=$(prom "$b" names tako_cache_ | tr '\n' ' ')
check "every metric is named as Prometheus names them (tako_cache_ prefix; counters end in _total, no other does)" \
    python3 - "$b" <<'PY'
import sys
types = {}
for line in open(sys.argv[1]):
    if line.startswith('# TYPE tako_cache'):
        _, _, name, kind = line.split()
        types[name] = kind
bad = [n for n, k in types.items() if (k == 'counter') != n.endswith('_total') and k != 'histogram']
print('\n'.join('#   ' + n + ' ' + types[n] for n in bad))
sys.exit(bool(bad) or len(types) < 15)
PY
echo "# metrics: $names"
record_tally monitoring "$passed" "$failed"
[ "$failed" = 0 ]
