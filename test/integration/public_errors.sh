#!/usr/bin/env bash
# What an upstream failure tells a role with PUBLIC's grants only (1.5): the outcome, the HTTP status
# and the attempts, never the transfer's or the upstream's own text (an address, a port, what the
# upstream answered). The whole text stays in the refresh log, for the extension's owner. Read
# through the three ways PUBLIC meets a failure: a miss's error, a stale list's envelope, and
# tako_cache.discovery_cache.last_error (PUBLIC may SELECT the table). Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
refused=itunes:charts:se-album   # a miss; its base URL names a port where nothing listens
failing=deezer:charts:artists    # cached, expired; the upstream answers 503 with a revealing text
secret='db-7.internal:5432'
q -c "DROP ROLE IF EXISTS errors_public" -c "CREATE ROLE errors_public LOGIN" \
  -c "DELETE FROM tako_cache.discovery_cache WHERE cache_key = '$refused'" \
  -c "SELECT tako_cache.tako_refresh_keys(ARRAY['$failing'])" \
  -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key = '$failing'" >/dev/null
# The role's sessions fetch lists themselves (repeatable read: the worker's saves would be out of
# their snapshot), with the itunes base URL its owner gave it.
port=$(q -c "SHOW tako_cache.itunes_base_url" | sed -E 's|.*:([0-9]+)/.*|\1|')
q -c "ALTER ROLE errors_public SET default_transaction_isolation = 'repeatable read'" >/dev/null
$ctl fault "{\"match\": \"/deezer/chart/0/artists\", \"fault\": {\"status\": 503, \"json\": {\"error\": {\"type\": \"Exception\", \"message\": \"backend $secret is down\", \"code\": 700}}}}" >/dev/null

leaks() {  # TEXT: what of an address or the upstream's text it shows
    grep -oE "127\.0\.0\.1|port [0-9]+|:$port|:1/|$secret|backend|Couldn't|Failed to" <<<"$1" | sort -u | tr '\n' ' '
}

q -c "ALTER ROLE errors_public SET tako_cache.itunes_base_url = 'http://127.0.0.1:1/itunes'" >/dev/null
out=$(q -U errors_public -c "SELECT tako_discover('$refused')" 2>&1)
check '[ -z "$(leaks "$out")" ] && grep -q "failed (network_error): could not connect to the upstream (after 3 attempts; " <<<"$out"' \
    "a miss whose upstream refuses the connection: the error names no address (${out%%$'\n'*})"
logged=$(q -c "SELECT p->>'last_error_message' FROM jsonb_array_elements(tako_cache_stats()->'providers') AS p WHERE p->>'provider' = 'itunes'")
check '[ -n "$(leaks "$logged")" ]' "... tako_cache_stats() shows the owner the transfer's own words ($logged)"
out=$(q -U errors_public -c "SELECT tako_discover('$refused')" 2>&1)
check '[ -z "$(leaks "$out")" ] && grep -q "s ago; not retried before" <<<"$out"' \
    "... and the same miss a moment later, answered from the failure remembered: no address either (${out%%$'\n'*})"
q -c "ALTER ROLE errors_public RESET tako_cache.itunes_base_url" >/dev/null

# The first read queues the refresh (served stale at once); the worker's fetch fails; the next
# read says why the list is stale.
q -U errors_public -c "SELECT tako_discover('$failing')" >/dev/null 2>&1
wait_queue
out=$(q -U errors_public -c "SELECT d->'meta' FROM tako_discover('$failing') AS d" 2>&1)
check '[ -z "$(leaks "$out")" ] && grep -q "server_error: HTTP 503 from the upstream (after 3 attempts; " <<<"$out" && grep -q "\"stale\" *: *true" <<<"$out"' \
    "a stale list whose refresh fails: served stale, the reason names the HTTP status, not what the upstream said ($out)"
out=$(q -c "SELECT last_error FROM tako_cache.discovery_cache WHERE cache_key = '$failing'" 2>&1)
denied=$(q -U errors_public -c "SELECT last_error FROM tako_cache.discovery_cache WHERE cache_key = '$failing'" 2>&1)
check '[ -z "$(leaks "$out")" ] && grep -q "HTTP 503" <<<"$out" && grep -q "permission denied for schema tako_cache" <<<"$denied"' \
    "... tako_cache.discovery_cache.last_error says the same, and PUBLIC may not read it anyway ($out)"
logged=$(q -c "SELECT error FROM tako_cache.tako_refresh_log WHERE cache_key = '$failing' ORDER BY id DESC LIMIT 1")
check 'grep -q "$secret" <<<"$logged"' "... while the refresh log keeps the upstream's text ($logged)"
out=$(q -U errors_public -c "SELECT tako_cache_stats()" 2>&1)
check '[ -z "$(leaks "$out")" ]' "... and tako_cache_stats() shows PUBLIC none of it"

# Every error a PUBLIC-only role can cause with what it may call: the message (CONTEXT aside) shows
# no SQL statement, file path, source file or internal schema (PROBE_SHOW=1 prints them).
probe_sql() {
    cat <<'SQL'
\set ON_ERROR_STOP off
SET client_min_messages = error;
SELECT tako_get_cached(NULL);
SELECT tako_get_cached('nope');
SELECT tako_get_cached(repeat('a', 300));
SELECT tako_discover('tmdb:trending:movie:year');
SELECT tako_discover('rawg:popular:999999');
SELECT tako_discover(repeat('x:', 200));
SELECT tako_cache_key('tmdb', 'nope');
SELECT tako_cache_key(NULL, NULL);
SELECT tako_canonical_key('deezer:charts:planets');
SELECT tako_parse_key('');
SELECT tako_cache.tako_key_info('itunes:charts:zz-album');
SELECT tako_normalize('tmdb', 'popular', '{"results": 5}');
SELECT tako_normalize('nope', 'popular', '{}');
SELECT tako_validate_items('{"not": "an array"}');
SELECT tako_validate_items('[{"id": 1}]', 'strict');
SELECT tako_cache.tako_envelope('nope', '[]', '{}', now(), now(), true, false, NULL);
SELECT tako_cache.tako_next_run('every day', now());
SELECT tako_cache.tako_cron_time('02:00', 'Mars/Olympus', 'UTC', now());
SELECT tako_cache.tako_require_canonical_key('TMDB:Trending');
SELECT tako_cache.tako_require_platforms('igdb:popular:6,999999');
SELECT * FROM tako_schedule_plan(now());
SELECT tako_cache.tako_discover_fill('tmdb:popular:movie');
SELECT tako_refresh('tmdb:popular:movie');
SELECT tako_save_cached('tmdb:popular:movie', NULL, NULL, '[]');
SELECT * FROM tako_cache.tako_secret;
UPDATE tako_cache.discovery_cache SET data = '[]';
SQL
}
errors=$(probe_sql | psql -X -q -At -U errors_public 2>&1 | grep -E '^(ERROR|psql:.*ERROR)')
total=$(grep -c ERROR <<<"$errors"); [ -z "${PROBE_SHOW:-}" ] || sed "s/^/# /" <<<"$errors"
bad=$(grep -E '\b(SELECT|INSERT|UPDATE|DELETE|PERFORM)\b .*\b(FROM|INTO|SET|WHERE)\b|base/[0-9]|/usr/|/var/|/tmp/|\.so\b|\.c:[0-9]|\.cpp|pg_temp|@extschema@|SPI_' <<<"$errors")
check '[ "$total" -ge 20 ] && [ -z "$bad" ]' \
    "$total errors a PUBLIC-only role causes with what it may call: none shows SQL, a file path or an internal schema${bad:+ ($bad)}"

$ctl reset >/dev/null
q -c "DROP OWNED BY errors_public" -c "DROP ROLE errors_public" >/dev/null 2>&1
echo "1..$n"
