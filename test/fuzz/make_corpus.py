#!/usr/bin/env python3
"""Writes the seed corpora (test/fuzz/corpus/<target>/) and dictionaries (test/fuzz/*.dict) of the
fuzz targets, from the recorded fixtures (test/fixtures), the unit tests' keys and a few synthetic
inputs. Deterministic: run it again after changing a fixture or a normalizer's field names.

    python3 test/fuzz/make_corpus.py

Seeds it writes are named "seed-*"; any other file in a corpus directory (the reproducers of bugs
the fuzzers found, "regression-*", and inputs merged from long runs) is left alone.
"""
import hashlib
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
FUZZ = ROOT / "test" / "fuzz"
CORPUS = FUZZ / "corpus"
FIXTURES = ROOT / "test" / "fixtures"

# Longest list kept from a fixture: a few items exercise every code path of a normalizer, and
# small seeds keep each execution fast and the corpus small.
KEEP_ITEMS = 3


def trim(value, depth=0):
    """The fixture with every list cut to KEEP_ITEMS elements and long strings shortened."""
    if isinstance(value, list):
        return [trim(v, depth + 1) for v in value[:KEEP_ITEMS]]
    if isinstance(value, dict):
        return {k: trim(v, depth + 1) for k, v in value.items()}
    if isinstance(value, str) and len(value) > 160:
        return value[:160]
    return value


def write(target, name, data):
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (directory / ("seed-" + name)).write_bytes(data)


def clear_seeds():
    for path in CORPUS.glob("*/seed-*"):
        path.unlink()


def minified(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def short_hash(data):
    return hashlib.sha1(data if isinstance(data, bytes) else data.encode()).hexdigest()[:10]


# ---- JSON bodies: normalize, upstream_error ---------------------------------------------------

def json_seeds():
    for path in sorted(FIXTURES.glob("*/*.json")):
        body = trim(json.loads(path.read_text()))
        name = f"{path.parent.name}-{path.stem.replace('__', '--')}.json"
        target = "upstream_error" if path.stem.startswith("error-") else "normalize"
        write(target, name, minified(body))
        if target == "upstream_error":
            write("normalize", name, minified(body))
    # Error bodies of the shapes providers.md documents, that no fixture records.
    errors = {
        "tmdb-rate-limit": {"success": False, "status_code": 25,
                            "status_message": "Your request count (41) is over the allowed limit of (40)."},
        "jikan-429": {"status": 429, "type": "RateLimitException",
                      "message": "You are being rate limited by MyAnimeList.", "error": None},
        "rawg-no-key": {"error": "The key parameter is not provided"},
        "rawg-not-found": {"detail": "Not found."},
        "igdb-query-error": [{"title": "Syntax Error", "status": 400, "cause": "Missing ;"}],
        "igdb-auth": {"message": "Authorization Failure. Have you tried:", "Tip 1": "Ensure you are sending Authorization and Client-ID"},
        "deezer-quota": {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}},
        "deezer-string": {"error": "invalid"},
    }
    for name, body in errors.items():
        write("upstream_error", name + ".json", minified(body))
    # Odd values the normalizers must survive: numbers as ids, huge and negative numbers,
    # dates with offsets, one-entry iTunes feeds, wrong types everywhere.
    odd = {
        "tmdb-odd": {"results": [
            {"id": 550.0, "title": "t", "release_date": "2000-12-31T23:30:00-01:00", "vote_average": 0,
             "poster_path": "x", "genre_ids": [1, "2", None], "media_type": "movie"},
            {"id": -1, "title": "neg"}, {"id": 18446744073709551615, "name": "u64", "media_type": "tv"},
            {"id": "abc", "title": ""}, None, 7]},
        "jikan-odd": {"data": [{"mal_id": 1, "title": "x", "year": 1e308, "aired": {"from": "2023-02-30"},
                                "images": {"webp": {}, "jpg": {"image_url": "u"}}, "score": -0.0,
                                "rating": "R+ - Mild Nudity", "titles": [{"type": 1}], "trailer": {"images": {}}}]},
        "rawg-odd": {"results": [{"id": 3, "name": "g", "rating": 4.75, "released": "1999",
                                  "tags": [{"name": str(i)} for i in range(12)],
                                  "platforms": [{"platform": {"name": "PC"}}, {"platform": None}]}]},
        "igdb-odd": [{"id": 1, "name": "n", "first_release_date": -62167219200, "total_rating": 1e300,
                      "category": 18446744073709551615, "game_type": {"id": 3},
                      "involved_companies": [{"developer": True, "company": {"name": "c"}}],
                      "url": "http://x", "slug": "s", "cover": {"image_id": "co1"}}],
        "deezer-odd": {"tracks": {"data": [{"id": 1, "title": "t", "type": "track", "duration": 1e11,
                                            "artist": {"id": "7", "name": "a"}, "album": {"id": -3}}]},
                       "albums": {"data": [{"id": 2, "title": "a", "type": "playlist"}]}},
        "itunes-legacy-one-entry": {"feed": {"entry": {"id": {"label": "u", "attributes": {"im:id": "9"}},
                                                       "im:name": {"label": "n"},
                                                       "link": [{"attributes": {"rel": "enclosure", "href": "h"}}],
                                                       "im:image": {"label": "i"},
                                                       "im:releaseDate": {"label": "2019-01-01T00:00:00-07:00"}}}},
        "itunes-v2": {"feed": {"results": [{"id": "1", "name": "s", "genres": [], "releaseDate": "2024-13-01"}]}},
        # Jikan /anime/{id}/pictures (the backdrops): none, a first picture without a JPEG, odd types.
        "jikan-pictures-empty": {"data": []},
        "jikan-pictures-webp-only": {"data": [{"jpg": {"image_url": None, "large_image_url": ""},
                                               "webp": {"image_url": "https://x/a.webp"}},
                                              {"jpg": {"large_image_url": "https://x/b.jpg"}}]},
        "jikan-pictures-odd": {"data": [None, {"jpg": "x"}], "pagination": 1},
    }
    for name, body in odd.items():
        write("normalize", name + ".json", minified(body))


# ---- Keys -------------------------------------------------------------------------------------

def key_seeds():
    test = (ROOT / "test" / "unit" / "key_test.cpp").read_text()
    keys = set()
    for literal in re.findall(r'"((?:[^"\\]|\\.)*)"', test):
        if ":" in literal and "{" not in literal and "(" not in literal[:1]:
            keys.add(literal.encode().decode("unicode_escape").encode("latin-1"))
    many = "rawg:popular:" + ",".join(str(i) for i in range(1, 22))
    keys.update(k.encode() for k in [many, many.replace(",21", ""), "a" * 256, "tmdb", "",
                                     "itunes:charts:fr-song", "jikan:top:manga:nsfw"])
    for key in sorted(keys):
        write("key", short_hash(key), key)
    # build_key's form: one part a line (provider, endpoint, category, period, type, filter, day,
    # sfw), "\N" for NULL.
    for parts in [["tmdb", "trending", "tv", "day"], ["jikan", "schedule", "", "", "", "", "monday"],
                  ["jikan", "top", "tv", "\\N", "\\N", "\\N", "\\N", "all"],
                  ["tmdb", "upcoming", "tv", "", "", "on-the-air"], ["tmdb", "trending", "movie:week"],
                  ["\\N", "trending"], ["deezer", "charts", ""]]:
        text = "\n".join(parts)
        write("key", "build-" + short_hash(text), text)


# ---- Retry-After ------------------------------------------------------------------------------

def retry_after_seeds():
    values = ["120", " 0 ", "-1", "1.5", "", "soon", "999999999",
              "Sun, 06 Nov 1994 08:49:47 GMT", "Sunday, 06-Nov-94 08:50:37 GMT",
              "Sun Nov  6 08:49:39 1994", "Mon, 07 Nov 1994 08:49:37 GMT",
              "Wed, 21 Oct 2015 07:28:00 GMT", "Tue, 24 Nov 2026 19:00:10 GMT",
              "Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:60 GMT",
              "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT",
              "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 PST"]
    for value in values:
        write("retry_after", short_hash(value), value)


# ---- judge: "<provider> <status> [<failure>]", headers, empty line, body ----------------------

def judge_seeds():
    responses = [
        ("tmdb 200", ["content-type: application/json;charset=utf-8"], '{"page":1,"results":[{"id":1,"title":"t"}]}'),
        ("tmdb 401", [], '{"status_code":7,"status_message":"Invalid API key: You must be granted a valid key.","success":false}'),
        ("jikan 429", ["retry-after: 3"], '{"status":429,"type":"RateLimitException","message":"slow down","error":null}'),
        ("jikan 503", ["Retry-After: Tue, 24 Nov 2026 19:00:10 GMT"], ""),
        ("deezer 200", [], '{"error":{"type":"Exception","message":"Quota limit exceeded","code":4}}'),
        ("deezer 200", [], '{"error":{"type":"DataException","message":"no data","code":800}}'),
        ("igdb 400", [], '[{"title":"Syntax Error","status":400,"cause":"Missing ;"}]'),
        ("igdb 401", [], '{"message":"Authorization Failure. Have you tried:"}'),
        ("rawg 200", ["content-type: text/html"], "<html>Service Unavailable</html>"),
        ("rawg 404", [], '{"detail":"Not found."}'),
        ("itunes 200", ["content-type: text/javascript"], '{"feed":{"results":[]}}'),
        ("tmdb 0 4", [], ""),
        ("jikan 0 7", [], ""),
        ("tmdb 302", ["location: https://elsewhere.test/"], ""),
    ]
    for first, headers, body in responses:
        text = "\n".join([first] + headers + ["", body])
        write("judge", short_hash(text), text)


# ---- Twitch token bodies ----------------------------------------------------------------------

def igdb_token_seeds():
    bodies = ['{"access_token":"abc","expires_in":5184000,"token_type":"bearer"}',
              '{"access_token":"abc"}', '{"access_token":"","expires_in":1}',
              '{"access_token":"abc","expires_in":-5}', '{"access_token":"abc","expires_in":1.5}',
              '{"status":403,"message":"invalid client secret"}', "<html>", "[]"]
    for body in bodies:
        write("igdb_token", short_hash(body), body)


# ---- quote_for_message: first byte is max_chars -----------------------------------------------

def quote_seeds():
    texts = [b"abc", b'a"b\\c', b"a\nb\x00c", "café".encode(), b"bad\xc3", b"\xff\xfe",
             "a\u200bb".encode(), "\u202eevil".encode(), "😀€".encode(), b"x" * 100,
             b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"]
    for limit in (10, 64):
        for text in texts:
            data = bytes([limit]) + text
            write("quote", short_hash(data), data)


# ---- base URLs --------------------------------------------------------------------------------

def url_seeds():
    urls = ["https://api.themoviedb.org/3", "http://127.0.0.1:8080/tmdb", "http://[::1]:8080/x",
            "https://id.twitch.tv/oauth2/token", "file:///etc/passwd", "https://user:pw@host/",
            "https://host/?q=1", "https://host/#f", "https:///x", "http://a b", "https://)",
            "http://a:99999", "https://host:443/a/b/"]
    for url in urls:
        write("url", short_hash(url), url)


# ---- Dictionaries -----------------------------------------------------------------------------

def quoted(token):
    """A libFuzzer dictionary entry: quotes and backslashes escaped, other bytes as \\xNN."""
    out = ""
    for byte in token.encode():
        char = chr(byte)
        if char in '"\\':
            out += "\\" + char
        elif 0x20 <= byte < 0x7F:
            out += char
        else:
            out += f"\\x{byte:02X}"
    return '"' + out + '"'


def dictionaries():
    # Every field name a normalizer or error detector reads: get(x, "name") in src/core/normalize.
    fields = set()
    for source in sorted((ROOT / "src" / "core" / "normalize").glob("*.cpp")):
        fields.update(re.findall(r'get\([^;]*?,\s*"([^"]+)"\)', source.read_text()))
        # copy(out, "tako name", raw, "upstream name", reader) in jikan.cpp.
        fields.update(re.findall(r'copy\(\w+,\s*"[^"]+",\s*\w+,\s*"([^"]+)",', source.read_text()))
        fields.update(re.findall(r'"([a-z:_]+_(?:small|medium|big|xl|url))"', source.read_text()))
    syntax = ["{", "}", "[", "]", ":", ",", '""', "null", "true", "false", "0", "-1", "1e308",
              "0.5", "18446744073709551615", "-9223372036854775808", '"\\u0000"', '"\\ud800"',
              '"2023-12-31T23:59:59-01:00"', '"1970-01-01"']
    lines = ["# JSON syntax and the field names the normalizers read (make_corpus.py)."]
    lines += [f"{quoted(tok)}" for tok in syntax]
    lines += [f"{quoted(quoted(name))}" for name in sorted(fields)]
    (FUZZ / "json.dict").write_text("\n".join(lines) + "\n")

    words = set()
    families = (ROOT / "src" / "core" / "families.cpp").read_text()
    head = families.split("kCountryCodes")[0]
    words.update(re.findall(r'"([a-z][a-z-]*)"', head))
    words.update(["fr-album", "us-song", "all", ",", ":", "4,187"])
    lines = ["# Key words: providers, endpoints, slot values (make_corpus.py)."]
    lines += [quoted(w) for w in sorted(words)]
    (FUZZ / "key.dict").write_text("\n".join(lines) + "\n")

    date_words = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Sunday", "Jan", "Feb", "Mar",
                  "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "GMT", ", ", ":",
                  "-", " ", "1994", "94", "9999", "00:00:00", "23:59:60"]
    lines = ["# HTTP-date words (make_corpus.py)."]
    lines += [quoted(w) for w in date_words]
    (FUZZ / "retry_after.dict").write_text("\n".join(lines) + "\n")

    header_words = ["\n", "\n\n", "retry-after: ", "content-type: ", "location: ", "tmdb ", "jikan ",
                    "rawg ", "igdb ", "deezer ", "itunes ", "200", "429", "503", "401", " 4",
                    "application/json", "GMT", '{"error":{"code":4}}', '"status_code"', '"message"']
    lines = ["# judge input words: first line, headers, a few JSON tokens (make_corpus.py)."]
    lines += [quoted(w) for w in header_words]
    (FUZZ / "judge.dict").write_text("\n".join(lines) + "\n")


def main():
    clear_seeds()
    json_seeds()
    key_seeds()
    retry_after_seeds()
    judge_seeds()
    igdb_token_seeds()
    quote_seeds()
    url_seeds()
    dictionaries()
    total = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    print(f"{sum(1 for p in CORPUS.rglob('*') if p.is_file())} corpus files, {total} bytes")


if __name__ == "__main__":
    main()
