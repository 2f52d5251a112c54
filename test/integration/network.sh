#!/usr/bin/env bash
# Network faults beyond the fault matrix (issue 6): DNS failure, TLS failure (a self-signed
# certificate), a slow drip, a redirect loop, a redirect to a host that is not a configured
# provider (never contacted), a redirect on the same host (followed), a 1 GB body. Each time the
# cache keeps its data and the refresh log names the cause. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
work=$(mktemp -d)
tls_pid=""
trap '[ -n "$tls_pid" ] && kill $tls_pid 2>/dev/null; rm -rf "$work"' EXIT

key=tmdb:popular:movie
q -c "SELECT tako_refresh('$key')" >/dev/null
good=$(q -c "SELECT md5(data::text) FROM tako_cache.discovery_cache WHERE cache_key = '$key'")
# refresh SETTINGS: outcome|error|still-good, for $key, with the given settings.
refresh() {
    q -c "SET tako_cache.retry_attempts = 1; SET tako_cache.http_connect_timeout_ms = 1500;
          SET tako_cache.http_timeout_ms = 2500; $1
          SELECT (r->>'outcome') || '|' || coalesce(r->>'error', '') FROM tako_refresh('$key') AS r" | tail -1
}
kept() { [ "$(q -c "SELECT md5(data::text) FROM tako_cache.discovery_cache WHERE cache_key = '$key'")" = "$good" ]; }

# DNS: a name that cannot resolve (a resolver that does not answer ends in the connect timeout).
out=$(refresh "SET tako_cache.tmdb_base_url = 'http://tako-cache-test.invalid/3';")
check '[[ $out == network_error\|dns:* || $out == timeout\|* ]] && kept' "DNS failure: data kept, logged as: ${out:0:90}"

# TLS: an https upstream whose certificate nobody signed.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
    -subj /CN=127.0.0.1 >/dev/null 2>&1
python3 - "$work" <<'PY' &
import http.server, ssl, sys, os
work = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"page":1,"results":[],"total_pages":0,"total_results":0}'
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(f"{work}/cert.pem", f"{work}/key.pem")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(f"{work}/port.tmp", "w").write(str(srv.server_address[1])); os.rename(f"{work}/port.tmp", f"{work}/port")
srv.serve_forever()
PY
tls_pid=$!
for _ in $(seq 1 50); do [ -s "$work/port" ] && break; sleep 0.1; done
out=$(refresh "SET tako_cache.tmdb_base_url = 'https://127.0.0.1:$(cat "$work/port")/3';")
check '[[ $out == tls_error\|* ]] && kept' "TLS failure (self-signed certificate): tls_error, data kept: ${out:0:110}"

# A slow drip: the body arrives, but slower than the whole-request timeout allows.
$ctl reset
$ctl fault '{"match": "/tmdb/movie/popular", "fault": {"drip_bytes_per_sec": 2000}}'
out=$(refresh "")
check '[[ $out == timeout\|* ]] && kept' "slow drip past the timeout: timeout, data kept: ${out:0:90}"

# A redirect loop: at most 3 redirects are followed.
$ctl reset
$ctl fault '{"match": "/tmdb/movie/popular", "fault": {"redirect": "/tmdb/movie/popular"}}'
out=$(refresh "")
check '[[ $out == http_error\|*"too many redirects"* ]] && kept' "redirect loop: http_error, data kept: ${out:0:90}"
check '[ "$(count_requests /tmdb/movie/popular)" = 4 ]' "... after the first request and 3 redirects"

# A redirect to a host that is not a configured provider is refused before it is followed.
$ctl reset
$ctl fault '{"match": "/tmdb/movie/popular", "fault": {"redirect": "http://169.254.169.254/latest/meta-data/"}}'
out=$(refresh "")
check '[[ $out == http_error\|*"refused: http://169.254.169.254/latest/meta-data/"* ]] && kept' \
    "redirect to another host: refused, data kept: ${out:0:120}"
check '[ "$(count_requests /tmdb/movie/popular)" = 1 ]' "... only the configured upstream was asked"

# A base URL naming a host (not an address) that resolves to loopback: refused before connecting;
# the tests' own base URLs name 127.0.0.1 itself, which is allowed.
$ctl reset
base=$(q -c "SHOW tako_cache.tmdb_base_url")
out=$(refresh "SET tako_cache.tmdb_base_url = '${base/127.0.0.1/localhost}';")
check '[[ $out == network_error\|*"an internal address that no base URL names"* ]] && kept' \
    "a provider host resolving to loopback is refused: ${out:0:120}"
check '[ "$(count_requests /tmdb/movie/popular)" = 0 ]' "... nothing reached it"

# A redirect on the same host is followed.
$ctl reset
$ctl fault '{"match": "/tmdb/movie/popular", "times": 1, "fault": {"redirect": "/tmdb/movie/top_rated?api_key=test-tmdb-key&language=fr-FR&page=1"}}'
out=$(refresh "")
check '[[ $out == ok\|* ]]' "a redirect on the provider's own host is followed: ${out:0:40}"
check '[ "$(q -c "SELECT data->0->>'"'title'"' FROM tako_cache.discovery_cache WHERE cache_key = '"'$key'"'")" = "The Shawshank Redemption" ]' \
    "... and its answer saved"
q -c "SELECT tako_refresh('$key')" >/dev/null
good=$(q -c "SELECT md5(data::text) FROM tako_cache.discovery_cache WHERE cache_key = '$key'")

# A 1 GB body: refused at tako_cache.max_response_bytes, without reading the rest.
$ctl reset
$ctl fault '{"match": "/tmdb/movie/popular", "fault": {"oversize_bytes": 1000000000}}'
start=$(date +%s)
out=$(refresh "")
took=$(( $(date +%s) - start ))
check '[[ $out == too_large\|*"larger than 16777216 bytes"* ]] && kept' "a 1 GB body: too_large at 16 MB, data kept: ${out:0:80}"
check '[ $took -lt 20 ]' "... in ${took} s (the rest is never read)"
$ctl reset
echo "1..$n"
