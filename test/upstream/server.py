#!/usr/bin/env python3
"""Test upstream for tako_cache: a local stand-in for TMDB, Jikan, RAWG, IGDB (+ the Twitch token
endpoint), Deezer and iTunes.

Each provider lives under its own path prefix (/tmdb, /jikan, /rawg, /igdb, /twitch, /deezer,
/itunes); the extension's base URL for a provider is http://127.0.0.1:PORT/<prefix>. The answers are
the real recorded responses in test/fixtures/ (see test/fixtures/SOURCES.md), served byte for byte.
A control API under /_control injects faults, records the provider requests and tunes latency.

    python3 test/upstream/server.py --port 0 --port-file FILE [--fixtures DIR] [--log FILE]
        [--tmdb-key K] [--rawg-key K] [--igdb-client-id ID] [--igdb-client-secret S]

Python 3 standard library only. The control API is described in test/upstream/README.md.
"""

import argparse
import gzip
import json
import os
import re
import secrets
import select
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import zlib
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
MAX_REQUEST_BODY = 16 * 1024 * 1024
HANG_SECONDS = 600
MALFORMED_BODY = b'{"results": [{"id": 1,'
TRUNCATED_MISSING = 1000
ITUNES_NOT_FOUND = b"<html><body>Not Found</body></html>"
IGDB_AUTH_FAILURE = {
    "message": "Authorization Failure. Have you tried:",
    "Tip 1": "Ensure you are sending Authorization and Client-ID as headers.",
    "Docs": "https://api-docs.igdb.com/#authentication",
}
PROVIDERS = ("tmdb", "jikan", "rawg", "igdb", "twitch", "deezer", "itunes")

# Fault fields accepted by POST /_control/faults (anything else is refused, to catch typos).
FAULT_FIELDS = {
    "status": int, "body": str, "headers": dict, "delay_ms": (int, float), "hang": (bool, int, float),
    "malformed": bool, "truncated": bool, "oversize_bytes": int, "reset": bool,
    "content_type": str, "error200": bool, "json": object, "fixture": str,
    "drip_bytes_per_sec": (int, float), "redirect": str, "gzip": bool, "chunked": bool,
    "close": bool,
}

# ---------------------------------------------------------------------------------------------
# Routes: (method, compiled path regex relative to the provider prefix, fixture path).

TMDB_ROUTES = [
    (r"/trending/movie/(day|week)", "tmdb/trending-movie-week__themoviedbapi-java.json"),
    (r"/trending/tv/(day|week)", "tmdb/trending-tv-week__themoviedbapi-java.json"),
    # Extra (not used by the extension today): the mixed movie/tv/person list.
    (r"/trending/all/(day|week)", "tmdb/trending-all-week__themoviedbapi-java.json"),
    (r"/movie/popular", "tmdb/movie-popular__tmdb-api-rs.json"),
    (r"/tv/popular", "tmdb/tv-popular__tmdb-api-rs.json"),
    (r"/movie/top_rated", "tmdb/movie-top-rated__tmdb-api-rs.json"),
    # No recording of /tv/top_rated exists in the fixture set; a recorded TV list of the same
    # shape ({page, results[], total_pages, total_results}, tv items) stands in for it.
    (r"/tv/top_rated", "tmdb/tv-popular__themoviedbapi-java.json"),
    (r"/discover/movie", "tmdb/movie-upcoming__tmdb-api-rs.json"),
    (r"/discover/tv", "tmdb/tv-on-the-air__themoviedbapi-java.json"),
    (r"/tv/on_the_air", "tmdb/tv-on-the-air__themoviedbapi-java.json"),
    (r"/tv/airing_today", "tmdb/tv-airing-today__themoviedbapi-java.json"),
    # Extras: the other recorded TMDB lists.
    (r"/movie/upcoming", "tmdb/movie-upcoming__tmdb-api-rs.json"),
    (r"/movie/now_playing", "tmdb/movie-now-playing__tmdb-api-rs.json"),
    (r"/configuration", "tmdb/configuration__themoviedbapi-java.json"),
]
JIKAN_ROUTES = [
    (r"/top/anime", "jikan/top-anime-type-tv__jikanpy.json"),
    (r"/top/manga", "jikan/top-manga__reactive-jikan.json"),
    (r"/seasons/now", "jikan/seasons-now__jikanpy.json"),
    (r"/seasons/upcoming", "jikan/seasons-upcoming__jikanpy.json"),
    (r"/schedules", "jikan/schedules-monday__jikanpy.json"),
    # The backdrop enrichment (docs/items.md): one recorded answer, for every anime id.
    (r"/anime/[0-9]+/pictures", "jikan/anime-pictures__reactive-jikan.json"),
]
DEEZER_ROUTES = [
    (r"/chart/0/albums", "deezer/chart-0-albums__deezer-python.json"),
    (r"/chart/0/tracks", "deezer/chart-0-tracks__deezer-python.json"),
    (r"/chart/0/artists", "deezer/chart-0-artists__deezer-python.json"),
    (r"/chart/0", "deezer/chart-0__deezer-python.json"),
    # Extras: the other recorded charts.
    (r"/chart/0/playlists", "deezer/chart-0-playlists__deezer-python.json"),
    (r"/chart/0/podcasts", "deezer/chart-0-podcasts__deezer-python.json"),
    (r"/chart/106", "deezer/chart-106__deezer-python.json"),
    (r"/chart/106/tracks", "deezer/chart-106-tracks__deezer-python.json"),
]
IGDB_ROUTES = [
    (r"/games", "igdb/games-search__henry-sarabia-igdb.json"),
    # Extras: other recorded IGDB endpoints.
    (r"/release_dates", "igdb/release-dates-list__henry-sarabia-igdb.json"),
    (r"/covers", "igdb/covers-list__henry-sarabia-igdb.json"),
]
ITUNES_ROUTE = re.compile(r"/[a-z]{2}/rss/(topalbums|topsongs)/limit=[0-9]+/json")
ITUNES_FIXTURE = "itunes/legacy-rss-topalbums-limit2__front-end-challenge.json"


def compile_routes(routes):
    return [(re.compile(pattern), fixture) for pattern, fixture in routes]


TMDB_ROUTES = compile_routes(TMDB_ROUTES)
JIKAN_ROUTES = compile_routes(JIKAN_ROUTES)
DEEZER_ROUTES = compile_routes(DEEZER_ROUTES)
IGDB_ROUTES = compile_routes(IGDB_ROUTES)


def find_route(routes, subpath):
    for pattern, fixture in routes:
        if pattern.fullmatch(subpath):
            return fixture
    return None


def json_bytes(value):
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


class Response:
    """A response to send: status, headers, and a body given either as bytes or as
    (length, chunk generator factory) for streamed bodies."""

    def __init__(self, status, body=b"", content_type=JSON_TYPE, headers=None):
        self.status = status
        self.body = body
        self.stream = None  # (length, factory) when the body is generated
        self.content_type = content_type
        self.headers = dict(headers or {})
        self.gzip = None  # None: decided by Accept-Encoding
        self.chunked = False
        self.drip = None
        self.truncated = False
        self.close = False


# ---------------------------------------------------------------------------------------------
# Shared state

class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.fixtures = os.path.abspath(args.fixtures)
        self.tmdb_key = args.tmdb_key
        self.rawg_key = args.rawg_key
        self.igdb_client_id = args.igdb_client_id
        self.igdb_client_secret = args.igdb_client_secret
        self.rules = []
        self.next_rule_id = 1
        self.requests = []
        self.latency_ms = 0
        self.tokens = set()  # valid IGDB tokens
        self.revoked = set()
        self.log_file = open(args.log, "a", buffering=1, encoding="utf-8") if args.log else sys.stderr
        self.log_lock = threading.Lock()
        self._fixture_cache = {}

    def log(self, text):
        line = "%s %s\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), text.rstrip("\n"))
        with self.log_lock:
            try:
                self.log_file.write(line)
                self.log_file.flush()
            except (OSError, ValueError):
                pass

    def fixture(self, relpath):
        path = os.path.normpath(os.path.join(self.fixtures, relpath))
        if not path.startswith(self.fixtures + os.sep):
            raise FileNotFoundError(relpath)
        with self.lock:
            cached = self._fixture_cache.get(path)
        if cached is None:
            with open(path, "rb") as f:
                cached = f.read()
            with self.lock:
                self._fixture_cache[path] = cached
        return cached

    def take_fault(self, method, target):
        """The newest rule matching this request with uses left; consumes one use."""
        with self.lock:
            for rule in reversed(self.rules):
                if rule["times"] is not None and rule["times"] <= 0:
                    continue
                if rule["method"] and rule["method"] != method:
                    continue
                if rule["match"] not in target:
                    continue
                if rule["times"] is not None:
                    rule["times"] -= 1
                rule["applied"] += 1
                return rule["fault"]
        return None

    def record(self, entry):
        with self.lock:
            self.requests.append(entry)

    def issue_token(self):
        token = secrets.token_hex(15)
        with self.lock:
            self.tokens.add(token)
        return token

    def token_valid(self, token):
        with self.lock:
            return token in self.tokens


# ---------------------------------------------------------------------------------------------
# Provider-shaped error bodies

TMDB_CODES = {
    401: (7, "Invalid API key: You must be granted a valid key."),
    404: (34, "The resource you requested could not be found."),
    429: (25, "Your request count (#) is over the allowed limit of (40)."),
    500: (11, "Internal error: Something went wrong, contact TMDb."),
    503: (9, "Service offline: This service is temporarily offline, try again later."),
    504: (24, "Your request to the backend server timed out. Try again."),
}


def reason(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def provider_error(provider, status):
    """(content type, body) of an error as the provider would send it with this HTTP status."""
    if provider == "tmdb":
        code, message = TMDB_CODES.get(status, (11, "Internal error: Something went wrong, contact TMDb."))
        return JSON_TYPE, json_bytes({"status_code": code, "status_message": message, "success": False})
    if provider == "jikan":
        kind, message = "HttpException", reason(status)
        if status == 429:
            kind, message = "BadResponseException", "Jikan is being rate limited by MyAnimeList"
        elif status >= 500:
            kind, message = "BadResponseException", "Jikan could not connect to MyAnimeList"
        return JSON_TYPE, json_bytes({"status": status, "type": kind, "message": message, "error": None})
    if provider == "rawg":
        if status == 401:
            return JSON_TYPE, json_bytes({"error": "The key parameter is not provided"})
        return JSON_TYPE, json_bytes({"detail": reason(status)})
    if provider == "igdb":
        if status == 401:
            return JSON_TYPE, json_bytes(IGDB_AUTH_FAILURE)
        return JSON_TYPE, json_bytes([{"title": reason(status), "status": status, "cause": "injected by the test upstream"}])
    if provider == "deezer":
        if status == 429:
            return JSON_TYPE, json_bytes({"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}})
        return JSON_TYPE, json_bytes({"error": {"type": "Exception", "message": reason(status), "code": 700}})
    if provider == "twitch":
        return JSON_TYPE, json_bytes({"status": status, "message": reason(status).lower()})
    if provider == "itunes":
        return HTML_TYPE, ("<html><body>%s</body></html>" % reason(status)).encode()
    return JSON_TYPE, json_bytes({"error": reason(status)})


# ---------------------------------------------------------------------------------------------
# Request handler

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tako-upstream/1"
    timeout = 300  # idle keep-alive connections are dropped after this

    # -- plumbing -------------------------------------------------------------------------------

    def version_string(self):
        return self.server_version

    @property
    def state(self):
        return self.server.state

    def log_message(self, fmt, *args):
        self.state.log("%s %s" % (self.client_address[0], fmt % args))

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError, socket.timeout, BrokenPipeError) as e:
            self.state.log("client went away: %s: %s" % (type(e).__name__, e))
            self.close_connection = True
        except OSError as e:
            self.state.log("socket error: %s: %s" % (type(e).__name__, e))
            self.close_connection = True
        except Exception:  # never let a bug kill the connection thread silently
            self.state.log("internal error:\n" + traceback.format_exc())
            self.close_connection = True
            if not getattr(self, "_sent_headers", True):
                try:
                    self._send(Response(500, json_bytes({"error": "internal error in the test upstream"})))
                except Exception:
                    pass

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_GET

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts, total = [], 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_REQUEST_BODY:
                    raise ValueError("request body too large")
                parts.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_REQUEST_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length) if length else b""

    def header_dict(self):
        out = {}
        for name, value in self.headers.items():
            name = name.lower()
            out[name] = out[name] + ", " + value if name in out else value
        return out

    def accepts_gzip(self):
        for part in self.headers.get("Accept-Encoding", "").lower().split(","):
            fields = [f.strip() for f in part.split(";")]
            if fields[0] in ("gzip", "x-gzip", "*"):
                q = 1.0
                for f in fields[1:]:
                    if f.startswith("q="):
                        try:
                            q = float(f[2:])
                        except ValueError:
                            pass
                return q > 0
        return False

    def dispatch(self):
        self._sent_headers = False
        raw = self.path
        if raw.startswith("http://") or raw.startswith("https://"):  # absolute-form request target
            raw = "/" + raw.split("/", 3)[3] if raw.count("/") >= 3 else "/"
        path, _, query = raw.partition("?")
        path = path.partition("#")[0]
        control = path == "/_control" or path.startswith("/_control/")
        try:
            body = self.read_body()
        except (ValueError, TypeError) as e:
            if not control:
                self.state.record({"method": self.command, "path": path, "query": query,
                                   "headers": self.header_dict(), "body": "", "at": time.time(),
                                   "fault": None})
            self.close_connection = True
            self._send(Response(400, json_bytes({"error": "bad request body: %s" % e})))
            return
        if control:
            self.control(path[len("/_control"):], query, body)
        else:
            self.provider(path, query, body)

    # -- sending ---------------------------------------------------------------------------------

    def _send(self, resp):
        body, stream_len, factory = resp.body, None, None
        if resp.stream is not None:
            stream_len, factory = resp.stream
        compress = resp.gzip if resp.gzip is not None else self.accepts_gzip()
        if compress:
            if factory is not None:
                comp = zlib.compressobj(6, zlib.DEFLATED, 31)
                parts = [comp.compress(chunk) for chunk in factory()]
                parts.append(comp.flush())
                body, factory = b"".join(parts), None
            else:
                body = gzip.compress(body, compresslevel=6, mtime=0)
        length = len(body) if factory is None else stream_len
        head = self.command == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200

        self.send_response(resp.status)
        if resp.content_type is not None:
            self.send_header("Content-Type", resp.content_type)
        if compress:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        if resp.chunked and not head:
            self.send_header("Transfer-Encoding", "chunked")
        elif resp.status not in (204, 304):
            self.send_header("Content-Length", str(length + (TRUNCATED_MISSING if resp.truncated else 0)))
        for name, value in resp.headers.items():
            self.send_header(name, str(value))
        if resp.close or resp.truncated:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self._sent_headers = True
        if head:
            return

        chunks = factory() if factory is not None else iter_bytes(body, 65536)
        if resp.drip:
            chunks = self._drip(chunks, resp.drip)
        for chunk in chunks:
            if not chunk:
                continue
            if resp.chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            else:
                self.wfile.write(chunk)
        if resp.chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    @staticmethod
    def _drip(chunks, rate):
        rate = float(rate)
        piece = max(1, int(rate / 20))
        start, sent = time.monotonic(), 0
        for chunk in chunks:
            for part in iter_bytes(chunk, piece):
                wait = start + sent / rate - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                yield part
                sent += len(part)

    def send_json(self, status, value):
        self._send(Response(status, json_bytes(value)))

    # -- special faults --------------------------------------------------------------------------

    def reset_connection(self):
        """Close with a TCP RST: SO_LINGER on with a zero timeout, then close without a response."""
        self.close_connection = True
        sock = self.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.rfile.close()  # drops the makefile() reference so close() really closes
        except OSError:
            pass
        try:
            sock.close()
        except OSError:
            pass

    def hang(self, seconds):
        """Never answer; keep the socket open until the client goes away or `seconds` pass."""
        self.close_connection = True
        sock = self.connection
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.state.log("hang: released after %.0f s" % seconds)
                return
            try:
                readable, _, _ = select.select([sock], [], [], min(left, 1.0))
                if readable:
                    data = sock.recv(65536)
                    if not data:
                        self.state.log("hang: client went away")
                        return
            except OSError:
                self.state.log("hang: client went away (error)")
                return

    # -- provider requests -----------------------------------------------------------------------

    def provider(self, path, query, body):
        state = self.state
        method = self.command
        target = path + ("?" + query if query else "")
        fault = state.take_fault(method, target)
        state.record({
            "method": method,
            "path": path,
            "query": query,
            "headers": self.header_dict(),
            "body": body.decode("utf-8", "replace"),
            "at": time.time(),
            "fault": fault,
        })
        if fault is not None:
            state.log("fault on %s %s: %s" % (method, target, json.dumps(fault)))

        delay = state.latency_ms / 1000.0
        if fault is not None:
            delay += float(fault.get("delay_ms") or 0) / 1000.0
        if delay > 0:
            time.sleep(delay)

        provider = path.split("/", 2)[1] if path.count("/") >= 1 else ""
        subpath = "/" + path.split("/", 2)[2] if path.count("/") >= 2 else ""
        if provider not in PROVIDERS:
            provider, subpath = "", path

        if fault is not None:
            if fault.get("reset"):
                self.reset_connection()
                return
            hang = fault.get("hang")
            if hang:
                self.hang(HANG_SECONDS if hang is True else float(hang))
                return
            resp = self.fault_response(fault, provider, subpath, query, body)
        else:
            resp = self.route(provider, subpath, query, body)
        self._send(resp)

    def fault_response(self, fault, provider, subpath, query, body):
        state = self.state
        status = fault.get("status")
        if fault.get("redirect"):
            resp = Response(status or 302, b"", content_type=None)
            resp.headers["Location"] = fault["redirect"]
        elif "fixture" in fault:
            resp = Response(200, state.fixture(fault["fixture"]))
        elif "json" in fault:
            resp = Response(200, json_bytes(fault["json"]))
        elif fault.get("malformed"):
            resp = Response(200, MALFORMED_BODY)
        elif fault.get("error200"):
            resp = Response(200, *self.error200_body(provider))
        elif fault.get("oversize_bytes"):
            resp = Response(200, b"")
            resp.stream = oversize_stream(int(fault["oversize_bytes"]))
        elif "body" in fault:
            resp = Response(200, fault["body"].encode("utf-8"))
        elif fault.get("content_type"):
            resp = Response(status or 200, b"<html>Service Unavailable</html>")
        elif status is not None and status >= 400:
            resp = Response(status, *reversed(provider_error(provider, status)))
        elif status is not None and 300 <= status < 400:
            resp = Response(status, b"", content_type=None)
        else:
            resp = self.route(provider, subpath, query, body)
        if status is not None:
            resp.status = status
        if fault.get("content_type"):
            resp.content_type = fault["content_type"]
        for name, value in (fault.get("headers") or {}).items():
            if name.lower() == "content-type":
                resp.content_type = str(value)
            else:
                resp.headers[name] = value
        streaming = bool(fault.get("truncated") or fault.get("oversize_bytes") or fault.get("drip_bytes_per_sec"))
        if "gzip" in fault:
            resp.gzip = bool(fault["gzip"])
        elif streaming:
            resp.gzip = False  # keep the wire bytes what the fault says
        resp.truncated = bool(fault.get("truncated"))
        resp.drip = fault.get("drip_bytes_per_sec") or None
        resp.chunked = bool(fault.get("chunked"))
        resp.close = bool(fault.get("close"))
        return resp

    def error200_body(self, provider):
        """(body, content type) of the provider's error body, to be sent with HTTP 200."""
        state = self.state
        if provider == "deezer":
            return state.fixture("deezer/error-album-not-found__deezer-python.json"), JSON_TYPE
        if provider == "tmdb":
            return state.fixture("tmdb/error-invalid-api-key__tmdb-api-rs.json"), JSON_TYPE
        if provider == "jikan":
            return state.fixture("jikan/error-404-anime__jikanpy.json"), JSON_TYPE
        if provider == "rawg":
            return json_bytes({"error": "The key parameter is not provided"}), JSON_TYPE
        if provider == "igdb":
            return json_bytes([{"title": "Syntax Error", "status": 400,
                                "cause": "Expecting a STRING as input, surround your input with quotes starting at 'x' exactly here: x"}]), JSON_TYPE
        if provider == "twitch":
            return json_bytes({"status": 400, "message": "invalid client"}), JSON_TYPE
        if provider == "itunes":
            return ITUNES_NOT_FOUND, HTML_TYPE
        return json_bytes({"error": "error"}), JSON_TYPE

    def route(self, provider, subpath, query, body):
        state = self.state
        method = "GET" if self.command == "HEAD" else self.command
        params = parse_qs(query, keep_blank_values=True)

        def fixture(relpath, status=200):
            return Response(status, state.fixture(relpath))

        if provider == "tmdb":
            auth = self.headers.get("Authorization", "")
            bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
            if state.tmdb_key not in params.get("api_key", []) and bearer != state.tmdb_key:
                return fixture("tmdb/error-invalid-api-key__tmdb-api-rs.json", 401)
            found = find_route(TMDB_ROUTES, subpath) if method == "GET" else None
            return fixture(found) if found else fixture("tmdb/error-resource-not-found__tmdb-api-rs.json", 404)

        if provider == "jikan":
            found = find_route(JIKAN_ROUTES, subpath) if method == "GET" else None
            return fixture(found) if found else fixture("jikan/error-404-anime__jikanpy.json", 404)

        if provider == "rawg":
            keys = params.get("key")
            if not keys or keys == [""]:
                return Response(401, json_bytes({"error": "The key parameter is not provided"}))
            if state.rawg_key not in keys:
                return Response(401, json_bytes({"error": "Invalid API key"}))
            if method == "GET" and subpath == "/games":
                return fixture("rawg/games__rawgclient-cs.json")
            return Response(404, json_bytes({"detail": "Not found."}))

        if provider == "igdb":
            found = find_route(IGDB_ROUTES, subpath) if method == "POST" else None
            if not found:
                return Response(404, json_bytes([{"title": "Not Found", "status": 404,
                                                  "cause": "No endpoint %s %s" % (self.command, subpath or "/")}]))
            auth = self.headers.get("Authorization", "")
            token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
            if self.headers.get("Client-ID") != state.igdb_client_id or not token or not state.token_valid(token):
                return Response(401, json_bytes(IGDB_AUTH_FAILURE))
            return fixture(found)

        if provider == "twitch":
            return self.twitch(subpath, query, body)

        if provider == "deezer":
            found = find_route(DEEZER_ROUTES, subpath) if method == "GET" else None
            return fixture(found or "deezer/error-album-not-found__deezer-python.json")

        if provider == "itunes":
            if method == "GET" and ITUNES_ROUTE.fullmatch(subpath):
                return fixture(ITUNES_FIXTURE)
            return Response(404, ITUNES_NOT_FOUND, content_type=HTML_TYPE)

        return Response(404, json_bytes({"error": "unknown provider prefix; use one of /" + ", /".join(PROVIDERS)}))

    def twitch(self, subpath, query, body):
        state = self.state

        def error(status, message):
            return Response(status, json_bytes({"status": status, "message": message}))

        if subpath != "/oauth2/token":
            return error(404, "Not Found")
        if self.command != "POST":
            return error(405, "method not allowed")
        in_query = parse_qs(query, keep_blank_values=True)
        if "client_secret" in in_query or "client_id" in in_query:
            return error(400, "secret must be sent in the body")
        ctype = self.headers.get("Content-Type", "application/x-www-form-urlencoded").lower()
        if not ctype.startswith("application/x-www-form-urlencoded"):
            return error(400, "body must be application/x-www-form-urlencoded")
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)

        def field(name):
            values = form.get(name)
            return values[0] if values else ""

        if not field("client_id"):
            return error(400, "missing client id")
        if not field("client_secret"):
            return error(400, "missing client secret")
        if field("grant_type") != "client_credentials":
            return error(400, "invalid grant type")
        if field("client_id") != state.igdb_client_id:
            return error(403, "invalid client")
        if field("client_secret") != state.igdb_client_secret:
            return error(403, "invalid client secret")
        token = state.issue_token()
        return Response(200, json_bytes({"access_token": token, "expires_in": 5184000, "token_type": "bearer"}))

    # -- control API -----------------------------------------------------------------------------

    def control(self, sub, query, body):
        state = self.state
        method = self.command
        try:
            payload = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (ValueError, UnicodeDecodeError) as e:
            self.send_json(400, {"error": "body is not JSON: %s" % e})
            return

        if sub == "/health" and method in ("GET", "HEAD"):
            self.send_json(200, {"ok": True})
        elif sub == "/requests" and method in ("GET", "HEAD"):
            params = parse_qs(query)
            match = (params.get("match") or [""])[0]
            with state.lock:
                out = [r for r in state.requests if match in r["path"] + ("?" + r["query"] if r["query"] else "")]
            self.send_json(200, out)
        elif sub == "/faults" and method in ("GET", "HEAD"):
            with state.lock:
                self.send_json(200, [dict(r) for r in state.rules])
        elif sub == "/faults" and method == "POST":
            try:
                rule = validate_rule(payload)
            except ValueError as e:
                self.send_json(400, {"error": str(e)})
                return
            if "fixture" in rule["fault"]:
                try:
                    state.fixture(rule["fault"]["fixture"])
                except OSError:
                    self.send_json(400, {"error": "no such fixture: %s" % rule["fault"]["fixture"]})
                    return
            with state.lock:
                rule["id"] = state.next_rule_id
                state.next_rule_id += 1
                state.rules.append(rule)
            state.log("fault rule added: %s" % json.dumps(rule))
            self.send_json(200, {"ok": True, "id": rule["id"]})
        elif sub == "/reset" and method == "POST":
            if not isinstance(payload, dict):
                self.send_json(400, {"error": "body must be a JSON object"})
                return
            with state.lock:
                state.rules.clear()
                state.requests.clear()
                state.latency_ms = 0
                if payload.get("tokens"):
                    state.tokens.clear()
                    state.revoked.clear()
            state.log("reset%s" % (" (tokens too)" if payload.get("tokens") else ""))
            self.send_json(200, {"ok": True})
        elif sub == "/config" and method == "POST":
            if not isinstance(payload, dict) or set(payload) - {"latency_ms"}:
                self.send_json(400, {"error": "accepted fields: latency_ms"})
                return
            latency = payload.get("latency_ms", None)
            if latency is not None:
                if isinstance(latency, bool) or not isinstance(latency, (int, float)) or latency < 0:
                    self.send_json(400, {"error": "latency_ms must be a number >= 0"})
                    return
                with state.lock:
                    state.latency_ms = latency
            state.log("config: latency_ms=%s" % state.latency_ms)
            self.send_json(200, {"ok": True, "latency_ms": state.latency_ms})
        elif sub == "/config" and method in ("GET", "HEAD"):
            self.send_json(200, {"latency_ms": state.latency_ms})
        elif sub == "/revoke_tokens" and method == "POST":
            with state.lock:
                count = len(state.tokens)
                state.revoked |= state.tokens
                state.tokens = set()
            state.log("revoked %d IGDB token(s)" % count)
            self.send_json(200, {"ok": True, "revoked": count})
        else:
            self.send_json(404, {"error": "unknown control endpoint %s %s" % (method, "/_control" + sub)})


def iter_bytes(data, size):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def oversize_stream(total):
    """(length, factory) of a valid JSON body of exactly `total` bytes (at least the skeleton)."""
    head, tail = b'{"results":[],"pad":"', b'"}'
    pad = max(0, total - len(head) - len(tail))
    length = len(head) + pad + len(tail)
    block = b"x" * 65536

    def chunks():
        yield head
        left = pad
        while left > 0:
            n = min(left, len(block))
            yield block[:n]
            left -= n
        yield tail

    return length, chunks


def validate_rule(payload):
    if not isinstance(payload, dict):
        raise ValueError("the rule must be a JSON object")
    unknown = set(payload) - {"match", "method", "times", "fault"}
    if unknown:
        raise ValueError("unknown rule field(s): %s" % ", ".join(sorted(unknown)))
    match = payload.get("match", "")
    if not isinstance(match, str):
        raise ValueError("match must be a string")
    method = payload.get("method")
    if method is not None and not isinstance(method, str):
        raise ValueError("method must be a string")
    times = payload.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError("times must be an integer >= 1")
    fault = payload.get("fault")
    if not isinstance(fault, dict) or not fault:
        raise ValueError("fault must be a non-empty JSON object")
    for name, value in fault.items():
        kind = FAULT_FIELDS.get(name)
        if kind is None:
            raise ValueError("unknown fault field %r (known: %s)" % (name, ", ".join(sorted(FAULT_FIELDS))))
        if kind is not object and (not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, (int, float)))):
            raise ValueError("fault field %r has the wrong type" % name)
    if "status" in fault and not 100 <= fault["status"] <= 599:
        raise ValueError("status must be within 100..599")
    for name in ("delay_ms", "oversize_bytes", "drip_bytes_per_sec"):
        if name in fault and fault[name] < 0:
            raise ValueError("%s must be >= 0" % name)
    if fault.get("drip_bytes_per_sec") == 0:
        raise ValueError("drip_bytes_per_sec must be > 0")
    return {"match": match, "method": method.upper() if method else None, "times": times,
            "fault": fault, "applied": 0}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        self.state.log("error with %s:\n%s" % (client_address, traceback.format_exc()))


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description="tako_cache test upstream")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--fixtures", default=os.path.join(here, "..", "fixtures"))
    parser.add_argument("--log")
    parser.add_argument("--tmdb-key", default="test-tmdb-key")
    parser.add_argument("--rawg-key", default="test-rawg-key")
    parser.add_argument("--igdb-client-id", default="test-igdb-client")
    parser.add_argument("--igdb-client-secret", default="test-igdb-secret")
    args = parser.parse_args(argv)

    if not os.path.isdir(args.fixtures):
        print("fixtures directory not found: %s" % args.fixtures, file=sys.stderr)
        return 2
    state = State(args)
    server = Server(("127.0.0.1", args.port), Handler)
    server.state = state
    port = server.server_address[1]

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    state.log("listening on 127.0.0.1:%d (fixtures %s)" % (port, state.fixtures))
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        state.log("stopping")
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
