# wait_queue: waits (up to 30 s) until the refresh worker has nothing pending or in flight. Needs q
# (psql -At into the database the worker serves). Sourced by test/lib/tap.sh and the suites.
wait_queue() {
    for _ in $(seq 1 300); do
        [ "$(q -c "SELECT (tako_cache.tako_queue_stats()->>'pending')::int + (tako_cache.tako_queue_stats()->>'in_flight')::int")" = 0 ] && return 0
        sleep 0.1
    done
    return 1
}
