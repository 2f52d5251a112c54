#!/usr/bin/env bash
# bench/worker_load.sh [RESULTS]: tako_discover under load while the upstream flaps, with the refresh
# worker and without it (the baseline), one after the other, each on its own temporary cluster and
# test upstream (issue 11).
#
# Per configuration (tako_cache.worker = on, serving the bench database; tako_cache.worker = off):
#   - 12 lists of deezer, itunes, tmdb, jikan and rawg are warmed, and a trigger of the bench
#     database shortens every save's TTL to BENCH_WORKER_TTL seconds (default 4): refreshes set
#     expires_at from the family's TTL (24 h), so the trigger rewrites it at every save;
#   - pgbench (-M prepared, 8 clients, -j 2, a steady BENCH_WORKER_RATE calls/s in total, default
#     2000) runs `SELECT tako_discover(:key)` for BENCH_WORKER_SECONDS (default 60), a random key of
#     the 12 per transaction, each transaction logged (-l);
#   - meanwhile the test upstream (50 ms per answer) flaps in 12 phases of equal length: normal
#     answers, then a 3 s delay of every answer, 500s, 429s with Retry-After, 503s... A key whose
#     refresh failed is not asked again for a minute (tako_cache.tako_discover_fill and the worker alike), so
#     each error phase fails other providers than the ones before it.
# Collected: the time of each call (pgbench's per-transaction log, its schedule lag taken out), the
# upstream requests (the test upstream's record), the refreshes (tako_cache.tako_refresh_log), the share of time
# the lists were expired and sessions waited for another's transaction (sampled every 0.25 s), the
# server's CPU time, and the worker's queue (tako_cache.tako_queue_stats()).
#
# Uses the installed extension (make bench installs it first); needs root or the postgres user, as
# test/lib/cluster.sh. About 3 minutes. KEEP_BENCH_WORK=1 keeps its logs (in /tmp, named at the end).
#   bench/worker_load.sh RESULTS    appends "worker_load <on|off> <name> <value>" lines to RESULTS
#                                   (bench/run.sh; bench/report.py makes them a BENCHMARKS.md section)
#   bench/worker_load.sh            alone: prints that section
#   bench/worker_load.sh --update   alone, and replaces that section of BENCHMARKS.md (which then says
#                                   it comes from a run of its own)
set -euo pipefail
cd "$(dirname "$0")/.."
# Called from bench/run.sh: its cluster and upstream are not ours to use or stop.
unset PGDATA PGHOST PGPORT PGUSER PGDATABASE CLUSTER_DIR UPSTREAM_PID UPSTREAM_PORT UPSTREAM_DIR \
      TAKO_UPSTREAM UPSTREAM_OWN_DIR
source test/lib/cluster.sh
source test/lib/upstream.sh
SECONDS_PER_RUN=${BENCH_WORKER_SECONDS:-60}
RATE=${BENCH_WORKER_RATE:-2000}
TTL=${BENCH_WORKER_TTL:-4}
CLIENTS=8
DB=tako_bench
# Jikan's top anime and manga: lists without backdrops (the tv/movie ones would also fetch
# /anime/{id}/pictures, once per anime).
KEYS=(deezer:charts:albums deezer:charts:tracks deezer:charts:artists
      itunes:charts:fr-album itunes:charts:us-album itunes:charts:fr-song
      tmdb:popular:movie tmdb:trending:tv:day
      jikan:top:anime jikan:top:manga
      rawg:popular:all rawg:trending:all)
# The upstream's phases, in order: kind[:provider+provider...].
PHASES=(normal delay normal 500:deezer normal 429:itunes normal delay normal 503:tmdb normal 429:jikan+rawg)
PHASE_MS=$((SECONDS_PER_RUN * 1000 / ${#PHASES[@]}))

work=$(mktemp -d /tmp/tako_cache.bench-worker.XXXXXX)
chmod 755 "$work"
standalone=1 update=0
case ${1:-} in
"") results=$work/results.txt ;;
--update) results=$work/results.txt; update=1 ;;
-*) echo "usage: bench/worker_load.sh [RESULTS | --update]" >&2; exit 2 ;;
*) results=$(realpath -m "$1"); standalone=0 ;;
esac
flap_pid="" sampler_pid=""
cleanup() {
    set +e  # stop everything, whatever fails
    [ -n "$flap_pid" ] && kill "$flap_pid" 2>/dev/null && wait "$flap_pid" 2>/dev/null
    [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null && wait "$sampler_pid" 2>/dev/null
    cluster_stop
    upstream_stop
    if [ "${KEEP_BENCH_WORK:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
# CPU ticks (user + system) of the server: the postmaster, its children, and the children it reaped
# (the pgbench backends), /proc/PID/stat fields 14-17, counted after the ")" ending the name.
server_ticks() {
    local postmaster pid stat total=0 f
    postmaster=$(head -1 "$PGDATA/postmaster.pid")
    for pid in "$postmaster" $(pgrep -P "$postmaster"); do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        read -r -a f <<<"${stat##*) }"
        total=$((total + f[11] + f[12] + f[13] + f[14]))
    done
    echo "$total"
}
sql() { cluster_psql -d "$DB" -At -c "$1"; }

# set_phase KIND[:PROVIDERS]: the upstream's behaviour from now on. The control API has no way to
# remove one rule but a reset, which would also forget the requests recorded: each phase adds rules
# instead, the newest matching rule applying; a normal phase's rule (no delay) overrides them all.
set_phase() {
    local kind=${1%%:*} providers=${1#*:} p
    [ "$providers" = "$1" ] && providers=""
    case $kind in
    normal) upstream_fault '{"fault": {"delay_ms": 0}}' >/dev/null ;;
    delay) upstream_fault '{"fault": {"delay_ms": 3000}}' >/dev/null ;;
    esac
    for p in ${providers//+/ }; do
        case $kind in
        500 | 503) upstream_fault "{\"match\": \"/$p/\", \"fault\": {\"status\": $kind}}" >/dev/null ;;
        429) upstream_fault "{\"match\": \"/$p/\", \"fault\": {\"status\": 429, \"headers\": {\"Retry-After\": \"2\"}}}" >/dev/null ;;
        esac
    done
}

# flap T0_MS: the phases after the first, each PHASE_MS long from T0_MS.
flap() {
    local t0=$1 i wait_ms
    for ((i = 1; i < ${#PHASES[@]}; i++)); do
        wait_ms=$((t0 + i * PHASE_MS - $(now_ms)))
        [ "$wait_ms" -gt 0 ] && sleep "$(printf '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000)))"
        set_phase "${PHASES[$i]}"
        echo "$i $(now_ms)" >>"$dir/phases"
    done
}

# run_config on|off
run_config() {
    local label=$1
    dir=$work/$label
    mkdir -p "$dir"
    chmod 755 "$dir"
    echo "  tako_cache.worker = $label: starting a cluster and the test upstream"
    upstream_start "$dir/upstream" >/dev/null
    local conf=() line
    while IFS= read -r line; do conf+=(--conf "$line"); done < <(upstream_conf_lines)
    # Production durability, as bench/run.sh: the refreshes pay their commits.
    cluster_start "bench-worker-$label" --conf "tako_cache.worker = $label" \
        --conf "tako_cache.database_name = '$DB'" --conf "cron.database_name = 'postgres'" \
        --conf "fsync = on" --conf "synchronous_commit = on" --conf "full_page_writes = on" \
        "${conf[@]}" >/dev/null
    createdb "$DB"
    cluster_psql -d "$DB" <<SQL >/dev/null
CREATE EXTENSION tako_cache;
-- The bench's short TTL: every save of a list (a refresh, whoever makes it) expires after ${TTL} s.
CREATE FUNCTION bench_short_ttl() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS \$\$
BEGIN
    NEW.expires_at := least(NEW.expires_at, now() + make_interval(secs => $TTL));
    RETURN NEW;
END
\$\$;
CREATE TRIGGER bench_short_ttl BEFORE INSERT OR UPDATE OF expires_at ON tako_cache.discovery_cache
    FOR EACH ROW EXECUTE FUNCTION bench_short_ttl();
SQL
    if [ "$label" = on ]; then cluster_wait_worker "$DB"; fi
    if [ "$standalone" = 1 ] && [ "$label" = on ]; then
        echo "worker_load meta postgres $(sql "SHOW server_version")" >>"$results"
    fi

    local array
    array="ARRAY[$(printf "'%s'," "${KEYS[@]}" | sed 's/,$//')]"
    upstream_config '{"latency_ms": 50}' >/dev/null
    local warmed
    warmed=$(sql "SELECT (tako_cache.tako_refresh_keys($array)->>'succeeded')")
    [ "$warmed" = "${#KEYS[@]}" ] || { echo "warming failed: $warmed of ${#KEYS[@]} lists" >&2; exit 1; }
    [ "$(sql "SELECT count(*) FROM tako_cache.discovery_cache WHERE expires_at <= updated_at + make_interval(secs => $TTL)")" = "${#KEYS[@]}" ] ||
        { echo "the bench's TTL trigger did not apply" >&2; exit 1; }

    # One script per key, picked at random per transaction (equal weights).
    local defines=() files=() i
    for i in "${!KEYS[@]}"; do
        defines+=(-D "k$i=${KEYS[$i]}")
        echo "SELECT tako_discover(:k$i);" >"$dir/key$i.sql"
        files+=(-f "$dir/key$i.sql@1")
    done
    # Sampled on one connection: the lists expired, and the sessions waiting for another's
    # transaction to end (a row it locked).
    printf '%s\n\\watch 0.25\n' "SELECT round(extract(epoch FROM clock_timestamp()) * 1000),
        count(*) FILTER (WHERE expires_at <= now()), count(*),
        (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND wait_event = 'transactionid')
        FROM tako_cache.discovery_cache" >"$dir/sample.sql"
    local t0 load_start ticks0 ticks1
    upstream_reset >/dev/null  # the warming's requests are not counted
    upstream_config '{"latency_ms": 50}' >/dev/null
    load_start=$(sql "SELECT clock_timestamp()")
    ticks0=$(server_ticks)
    t0=$(now_ms)
    echo "0 $t0" >"$dir/phases"
    set_phase "${PHASES[0]}"
    flap "$t0" &
    flap_pid=$!
    cluster_psql -d "$DB" -At -f "$dir/sample.sql" >"$dir/samples" 2>/dev/null &
    sampler_pid=$!
    echo "  tako_cache.worker = $label: pgbench, $CLIENTS clients, $RATE calls/s, ${SECONDS_PER_RUN} s, the upstream flapping"
    pgbench -n -M prepared -c "$CLIENTS" -j 2 -R "$RATE" -T "$SECONDS_PER_RUN" -l --log-prefix="$dir/lat" \
        "${defines[@]}" "${files[@]}" "$DB" >"$dir/pgbench.out" 2>"$dir/pgbench.err" || true
    sleep 0.5  # the backends of pgbench exit, and are reaped
    ticks1=$(server_ticks)
    wait "$flap_pid" || true
    flap_pid=""
    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=""
    upstream_requests >"$dir/requests.json"
    if grep -q "aborted" "$dir/pgbench.err"; then
        echo "  pgbench clients aborted:" >&2
        grep "aborted" "$dir/pgbench.err" | head -5 >&2
    fi

    {
        echo "worker_load $label seconds $SECONDS_PER_RUN"
        echo "worker_load $label rate $RATE"
        echo "worker_load $label clients $CLIENTS"
        echo "worker_load $label ttl_s $TTL"
        echo "worker_load $label keys ${#KEYS[@]}"
        (IFS=,; echo "worker_load $label phases ${PHASES[*]}")
        awk -v t=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" -v l="$label" \
            'BEGIN { printf "worker_load %s server_cpu_s %.2f\n", l, t / hz }'
        echo "worker_load $label aborted_clients $(grep -c "aborted" "$dir/pgbench.err" || true)"
        # Call times: pgbench's log lines are "client tx time script epoch us [lag]" (µs); the time
        # of a call is its time less its schedule lag (how late its client began it).
        python3 - "$dir" "${KEYS[*]}" "${PHASES[@]}" <<'PY'
import glob, json, sys
d, keys, phases = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
label = d.rstrip("/").split("/")[-1]
# When each phase began (the control calls take a moment under load: not exactly on schedule).
starts = sorted((int(ms), int(i)) for i, ms in (line.split() for line in open(d + "/phases")))
def phase_at(ms):
    current = starts[0][1]
    for start, i in starts:
        if start <= ms:
            current = i
    return phases[current]
def faulted_in(phase, provider):
    kind, _, providers = phase.partition(":")
    return kind == "delay" or provider in providers.split("+")
calls = []
slow_by_kind = {}
slow_healthy = 0  # slow calls of a list whose provider answered normally when they began
for path in glob.glob(d + "/lat.*"):
    for line in open(path):
        f = line.split()
        if len(f) < 6:
            continue
        t = int(f[2]) - (int(f[6]) if len(f) > 6 else 0)
        calls.append(t)
        if t > 1_000_000:
            phase = phase_at(int(f[4]) * 1000 + int(f[5]) // 1000 - t // 1000)  # the log has its end
            kind = phase.split(":")[0]
            slow_by_kind[kind] = slow_by_kind.get(kind, 0) + 1
            if not faulted_in(phase, keys[int(f[3])].split(":")[0]):
                slow_healthy += 1
calls.sort()
n = len(calls)
def pct(p):
    return calls[min(n - 1, int(p * n))] / 1000 if n else 0
print(f"worker_load {label} calls {n}")
print(f"worker_load {label} p50_ms {pct(0.50):.3f}")
print(f"worker_load {label} p99_ms {pct(0.99):.3f}")
print(f"worker_load {label} p999_ms {pct(0.999):.3f}")
print(f"worker_load {label} max_ms {(calls[-1] / 1000 if n else 0):.3f}")
print(f"worker_load {label} over_100ms {sum(1 for c in calls if c > 100_000)}")
print(f"worker_load {label} over_1s {sum(1 for c in calls if c > 1_000_000)}")
for kind in ("normal", "delay", "500", "503", "429"):
    print(f"worker_load {label} over_1s_{kind} {slow_by_kind.get(kind, 0)}")
print(f"worker_load {label} over_1s_healthy {slow_healthy}")
expired = total = samples = waiting = 0
for line in open(d + "/samples"):
    f = line.strip().split("|")
    if len(f) == 4:
        expired += int(f[1])
        total += int(f[2])
        samples += 1
        waiting += int(f[3]) > 0
print(f"worker_load {label} expired_share {expired / total if total else 0:.4f}")
print(f"worker_load {label} lock_wait_share {waiting / samples if samples else 0:.4f}")
# The upstream's record: a request was faulted when its rule set a status or a delay.
requests = json.load(open(d + "/requests.json"))
faulted = sum(1 for r in requests if (r.get("fault") or {}).get("status") or (r.get("fault") or {}).get("delay_ms"))
print(f"worker_load {label} upstream_requests {len(requests)}")
print(f"worker_load {label} upstream_faulted {faulted}")
PY
        sql "SELECT 'worker_load $label refreshes ' || count(*) FILTER (WHERE outcome <> 'running') || E'\n' ||
                    'worker_load $label refreshes_ok ' || count(*) FILTER (WHERE outcome = 'ok') || E'\n' ||
                    'worker_load $label refreshes_failed ' || count(*) FILTER (WHERE outcome NOT IN ('ok', 'running')) || E'\n' ||
                    'worker_load $label refreshes_over_1s ' || count(*) FILTER (WHERE finished_at - started_at > interval '1 s') || E'\n' ||
                    'worker_load $label refresh_origins ' || coalesce((SELECT string_agg(origin || ':' || n, ',' ORDER BY origin)
                        FROM (SELECT origin, count(*) AS n FROM tako_cache.tako_refresh_log
                               WHERE started_at >= '$load_start' AND cache_key NOT LIKE 'jikan:pictures:%' GROUP BY 1) AS o), 'none')
               FROM tako_cache.tako_refresh_log WHERE started_at >= '$load_start' AND cache_key NOT LIKE 'jikan:pictures:%'"
        if [ "$label" = on ]; then
            # The worker's CPU time (user + system, /proc/PID/stat fields 14-15) over its life.
            local pid stat f
            pid=$(sql "SELECT tako_cache.tako_queue_stats()->>'worker_pid'")
            stat=$(cat "/proc/$pid/stat" 2>/dev/null || true)
            if [ -n "$stat" ]; then
                read -r -a f <<<"${stat##*) }"
                awk -v t=$((f[11] + f[12])) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "worker_load on worker_cpu_s %.2f\n", t / hz }'
            fi
            sql "SELECT string_agg('worker_load on queue_' || k || ' ' || coalesce(v, 'null'), E'\n' ORDER BY k)
                   FROM jsonb_each_text(tako_cache.tako_queue_stats()) AS e(k, v)
                  WHERE k IN ('worker_starts', 'pending', 'in_flight', 'done', 'failed', 'refused')"
        fi
    } >>"$dir/summary"
    cat "$dir/summary" >>"$results"
    awk '{ printf "    %s %s\n", $3, $4 }' "$dir/summary" | grep -E " (calls|p50_ms|p99_ms|max_ms|over_1s|over_1s_healthy|upstream_requests|refreshes_ok|refreshes_failed|expired_share|lock_wait_share|server_cpu_s|queue_done|queue_failed) "
    cluster_stop || true  # (they end with a failing kill or wait: not a failure)
    upstream_stop || true
}

if [ "$standalone" = 1 ]; then  # what bench/run.sh's machine lines say of the whole run
    {
        echo "worker_load meta date $(date -u +%Y-%m-%d)"
        echo "worker_load meta commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(
            [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && echo '+changes')"
        echo "worker_load meta cores $(nproc)"
        echo "worker_load meta load $(cut -d' ' -f1 /proc/loadavg)"
    } >>"$results"
fi
run_config on
run_config off
if [ "$standalone" = 1 ]; then
    echo
    if [ "$update" = 1 ]; then
        python3 bench/report.py --worker-load "$results" --update BENCHMARKS.md
        echo "Updated its section of BENCHMARKS.md"
    else
        python3 bench/report.py --worker-load "$results"
    fi
fi
