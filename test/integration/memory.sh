#!/usr/bin/env bash
# A backend's memory stays flat over thousands of refreshes, half of them failing in different
# ways (issue 6): its private resident memory (RssAnon in /proc: VmRSS also counts the
# shared_buffers pages a backend touches, which grow with every new row and are not a leak),
# after 100 and after 600 transactions of 6 lists. A leak of a libcurl handle, a header list or a
# response per list would show here.
# Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$ctl reset
$ctl fault '{"match": "/deezer/chart/0/albums", "fault": {"status": 503}}'
$ctl fault '{"match": "/deezer/chart/0/tracks", "fault": {"malformed": true}}'
$ctl fault '{"match": "/rawg/games", "fault": {"reset": true}}'
# One session, 600 transactions (as scheduled and manual refreshes are): what a transaction
# allocates is freed at its end, so what stays is what tako_cache would leak.
{
    echo "SET tako_cache.retry_attempts = 1;"
    for provider in tmdb deezer rawg itunes; do echo "SET tako_cache.${provider}_requests_per_second = 1000;"; done
    echo "CREATE TEMP TABLE rss (batches integer, kb integer, failures integer);"
    echo "CREATE TEMP TABLE failed (n integer); INSERT INTO failed VALUES (0);"
    for i in $(seq 1 600); do
        echo "UPDATE failed SET n = n + (tako_cache.tako_refresh_keys(ARRAY['tmdb:popular:movie', 'itunes:charts:fr-album', 'tmdb:popular:tv', 'deezer:charts:albums', 'deezer:charts:tracks', 'rawg:popular:all'])->>'failed')::int;"
        if [ "$i" = 100 ] || [ "$i" = 600 ]; then
            echo "INSERT INTO rss SELECT $i, (regexp_match(pg_read_file('/proc/self/status'), 'RssAnon:\s+(\d+)'))[1]::int, n FROM failed;"
        fi
    done
    echo "SELECT string_agg(batches || ':' || kb || ':' || failures, ' ' ORDER BY batches) FROM rss;"
} >"$work/memory.sql"
out=$(psql -X -q -At -v ON_ERROR_STOP=1 -f "$work/memory.sql" 2>/dev/null | tail -1)
$ctl reset
read -r first last <<<"$out"
kb_100=$(echo "$first" | cut -d: -f2)
kb_600=$(echo "$last" | cut -d: -f2)
failures=$(echo "$last" | cut -d: -f3)
check '[ "${failures:-0}" = 1800 ]' "600 transactions of 6 lists: 3600 refreshes, 1800 of them failing (503, malformed JSON, reset)"
check '[ -n "$kb_100" ] && [ -n "$kb_600" ] && [ $((kb_600 - kb_100)) -lt 1024 ]' \
    "the backend's private memory stays flat: ${kb_100} kB after 600 lists, ${kb_600} kB after 3600 ($(( (kb_600 - kb_100) )) kB more)"
echo "1..$n"
