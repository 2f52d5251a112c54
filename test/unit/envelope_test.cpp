// The response envelope of every family (docs/envelope.md, with docs/decisions.md) rendered from
// the recorded fixtures: upstream_meta() on the raw response, the normalizer's items, then
// render_envelope(), checked field by field and in Tako's field order.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "core/envelope/envelope.hpp"
#include "core/envelope/upstream_meta.hpp"
#include "core/request/request.hpp"
#include "fixture.hpp"

namespace tako {
namespace {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

constexpr std::int64_t kFetchedUs = 1767323045678000;  // 2026-01-02T03:04:05.678Z
constexpr std::int64_t kExpiresUs = 1767409445678000;  // a day later

struct Rendered {
    ordered body;  // parsed in the order it was written
    std::string text;
};

// The envelope of `key`'s fresh hit, from the raw fixture as tako_cache would fetch and store it.
Rendered hit(const std::string &key_text, const std::string &fixture_path, bool cached = true) {
    const ParsedKey key = parse_key(key_text);
    const json raw = fixture::load(fixture_path);
    const json items =
        fixture::normalized(key.provider(), raw, normalizer_category(key), key.endpoint());
    const json upstream = upstream_meta(key, raw, "fr-FR", kFetchedUs);
    const std::string items_text = items.dump();
    EnvelopeInput in;
    in.key = &key;
    in.items = items_text;
    in.count = items.size();
    in.upstream = &upstream;
    in.saved_unix_us = kFetchedUs + 5000;
    in.expires_unix_us = kExpiresUs;
    in.cached = cached;
    Rendered r;
    r.text = render_envelope(in);
    r.body = ordered::parse(r.text);
    return r;
}

std::vector<std::string> keys_of(const ordered &object) {
    std::vector<std::string> keys;
    for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
    return keys;
}

using Keys = std::vector<std::string>;

void expect_tail(const ordered &meta, const std::string &key, bool cached = true) {
    EXPECT_EQ(meta["cached"], cached);
    EXPECT_EQ(meta["cacheKey"], key);
    EXPECT_EQ(meta["stale"], false);
    EXPECT_EQ(meta["expiresAt"], "2026-01-03T03:04:05.678Z");
    EXPECT_FALSE(meta.contains("error"));
}

TEST(Envelope, TmdbTrendingFieldByField) {
    Rendered r =
        hit("tmdb:trending:movie:week", "tmdb/trending-movie-week__themoviedbapi-java.json");
    const ordered &b = r.body;
    EXPECT_EQ(keys_of(b), (Keys{"success", "provider", "domain", "endpoint", "query", "searchType",
                                "total", "count", "data", "pagination", "meta"}));
    EXPECT_EQ(b["success"], true);
    EXPECT_EQ(b["provider"], "tmdb");
    EXPECT_EQ(b["domain"], "media");
    EXPECT_EQ(b["endpoint"], "trending");
    EXPECT_EQ(b["query"], "trending-movie-week");
    EXPECT_EQ(b["searchType"], "movie");
    EXPECT_EQ(b["total"], 20000);  // TMDB's total_results, not the 20 stored
    EXPECT_EQ(b["count"], 20);
    EXPECT_EQ(b["data"].size(), 20u);
    EXPECT_EQ(b["data"][0]["source"], "tmdb");
    EXPECT_EQ(b["pagination"].dump(), R"({"page":1,"limit":20,"hasMore":true})");
    EXPECT_EQ(keys_of(b["meta"]), (Keys{"fetchedAt", "category", "period", "limit", "page", "lang",
                                        "autoTrad", "cached", "cacheKey", "stale", "expiresAt"}));
    EXPECT_EQ(b["meta"]["fetchedAt"], "2026-01-02T03:04:05.678Z");
    EXPECT_EQ(b["meta"]["category"], "movie");
    EXPECT_EQ(b["meta"]["period"], "week");
    EXPECT_EQ(b["meta"]["limit"], 20);
    EXPECT_EQ(b["meta"]["page"], 1);
    EXPECT_EQ(b["meta"]["lang"], "fr-FR");
    EXPECT_EQ(b["meta"]["autoTrad"], false);
    expect_tail(b["meta"], "tmdb:trending:movie:week");
}

TEST(Envelope, TmdbListsNameTheirRoute) {
    Rendered popular = hit("tmdb:popular:tv", "tmdb/tv-popular__tmdb-api-rs.json");
    EXPECT_EQ(popular.body["endpoint"], "popular");
    EXPECT_EQ(popular.body["query"], "popular-tv");
    EXPECT_EQ(popular.body["searchType"], "tv");
    EXPECT_EQ(popular.body["total"], 161947);
    EXPECT_EQ(keys_of(popular.body["meta"]),
              (Keys{"fetchedAt", "category", "limit", "page", "lang", "autoTrad", "cached",
                    "cacheKey", "stale", "expiresAt"}));
    Rendered top = hit("tmdb:top-rated:movie", "tmdb/movie-top-rated__tmdb-api-rs.json");
    EXPECT_EQ(top.body["endpoint"], "top-rated");
    EXPECT_EQ(top.body["query"], "top-rated-movie");
    EXPECT_EQ(top.body["pagination"]["hasMore"], true);
    Rendered upcoming = hit("tmdb:upcoming:movie", "tmdb/movie-upcoming__tmdb-api-rs.json");
    EXPECT_EQ(upcoming.body["endpoint"], "upcoming");
    EXPECT_EQ(upcoming.body["query"], "upcoming-movie");
    EXPECT_EQ(upcoming.body["total"], 737);
    // On the air / airing today: the route's name, searchType tv, no category in meta.
    Rendered air =
        hit("tmdb:upcoming:tv:on-the-air", "tmdb/tv-on-the-air__themoviedbapi-java.json");
    EXPECT_EQ(air.body["endpoint"], "on-the-air");
    EXPECT_EQ(air.body["query"], "on-the-air");
    EXPECT_EQ(air.body["searchType"], "tv");
    EXPECT_EQ(air.body["total"], 1205);
    EXPECT_EQ(air.body["pagination"].dump(), R"({"page":1,"limit":20,"hasMore":true})");
    EXPECT_EQ(keys_of(air.body["meta"]), (Keys{"fetchedAt", "limit", "page", "lang", "autoTrad",
                                               "cached", "cacheKey", "stale", "expiresAt"}));
    Rendered today =
        hit("tmdb:upcoming:tv:airing-today", "tmdb/tv-airing-today__themoviedbapi-java.json");
    EXPECT_EQ(today.body["endpoint"], "airing-today");
    EXPECT_EQ(today.body["meta"]["cacheKey"], "tmdb:upcoming:tv:airing-today");
}

TEST(Envelope, JikanTopAnimeAndMangaFieldByField) {
    Rendered anime = hit("jikan:top:anime", "jikan/top-anime-type-tv__jikanpy.json");
    const ordered &b = anime.body;
    EXPECT_EQ(keys_of(b), (Keys{"success", "provider", "domain", "type", "query", "contentType",
                                "total", "count", "data", "pagination", "meta"}));
    EXPECT_EQ(b["provider"], "jikan");
    EXPECT_EQ(b["domain"], "anime-manga");
    EXPECT_EQ(b["type"], "top-anime");
    EXPECT_EQ(b["query"], nullptr);
    EXPECT_EQ(b["contentType"], "anime");
    EXPECT_EQ(b["total"], 7231);  // pagination.items.total
    EXPECT_EQ(b["count"], 25);
    EXPECT_EQ(b["pagination"].dump(), R"({"page":1,"limit":25,"hasMore":true})");
    EXPECT_EQ(keys_of(b["meta"]),
              (Keys{"fetchedAt", "autoTrad", "note", "cached", "cacheKey", "stale", "expiresAt"}));
    EXPECT_EQ(b["meta"]["note"], "Contenu adulte NON filtré");
    expect_tail(b["meta"], "jikan:top:anime");

    // 2022-era pagination without items: total falls back to the count, limit to 25.
    Rendered manga = hit("jikan:top:manga", "jikan/top-manga__reactive-jikan.json");
    EXPECT_EQ(manga.body["type"], "top-manga");
    EXPECT_EQ(manga.body["contentType"], "manga");
    EXPECT_EQ(manga.body["total"], manga.body["count"]);
    EXPECT_EQ(manga.body["pagination"].dump(), R"({"page":1,"limit":25,"hasMore":true})");
    EXPECT_EQ(manga.body["meta"]["translated"], false);
    // A safe-for-work list carries its sfw part, and no "unfiltered" note.
    Rendered sfw = hit("jikan:top:anime:sfw", "jikan/top-anime-type-tv__jikanpy.json");
    EXPECT_FALSE(sfw.body["meta"].contains("note"));
    EXPECT_EQ(sfw.body["meta"]["sfw"], "sfw");
}

TEST(Envelope, JikanTopTvMovie) {
    Rendered r = hit("jikan:top:tv:nsfw", "jikan/top-anime-type-tv__jikanpy.json");
    const ordered &b = r.body;
    EXPECT_EQ(keys_of(b), (Keys{"success", "provider", "domain", "endpoint", "query", "total",
                                "count", "data", "pagination", "meta"}));
    EXPECT_EQ(b["endpoint"], "top");
    EXPECT_EQ(b["total"], 25);  // Tako reports the count here
    EXPECT_EQ(b["pagination"].dump(), R"({"page":1,"limit":25,"hasMore":true})");
    EXPECT_EQ(keys_of(b["meta"]), (Keys{"fetchedAt", "category", "filter", "sfw", "limit", "page",
                                        "autoTrad", "cached", "cacheKey", "stale", "expiresAt"}));
    EXPECT_EQ(b["meta"]["category"], "tv");
    EXPECT_EQ(b["meta"]["filter"], "bypopularity");
    EXPECT_EQ(b["meta"]["sfw"], "nsfw");
    EXPECT_EQ(b["meta"]["limit"], 25);
}

TEST(Envelope, JikanTrendingCarriesTheSeason) {
    Rendered r = hit("jikan:trending:all", "jikan/seasons-now__jikanpy.json");
    const ordered &b = r.body;
    EXPECT_EQ(b["endpoint"], "trending");
    EXPECT_EQ(b["query"], nullptr);
    EXPECT_EQ(b["total"], 25);
    EXPECT_EQ(b["count"], 25);
    EXPECT_EQ(b["pagination"].dump(), R"({"page":1,"limit":25,"hasMore":true})");
    EXPECT_EQ(keys_of(b["meta"]), (Keys{"fetchedAt", "season", "year", "filter", "limit", "page",
                                        "autoTrad", "cached", "cacheKey", "stale", "expiresAt"}));
    EXPECT_EQ(b["meta"]["season"],
              "fall");  // D12 (docs/decisions.md): Tako means to send it and loses it
    EXPECT_EQ(b["meta"]["year"], 2022);
    EXPECT_EQ(b["meta"]["filter"], nullptr);
    Rendered tv = hit("jikan:trending:tv:sfw", "jikan/seasons-now__jikanpy.json");
    EXPECT_EQ(tv.body["meta"]["filter"], "tv");
    EXPECT_EQ(tv.body["meta"]["sfw"], "sfw");
}

TEST(Envelope, JikanUpcomingAndSchedule) {
    Rendered up = hit("jikan:upcoming:all", "jikan/seasons-upcoming__jikanpy.json");
    EXPECT_EQ(up.body["endpoint"], "upcoming");
    EXPECT_EQ(up.body["total"], 25);
    EXPECT_FALSE(up.body["meta"].contains("season"));  // not a season's list
    EXPECT_EQ(up.body["pagination"].dump(), R"({"page":1,"limit":25,"hasMore":true})");
    Rendered day = hit("jikan:schedule:monday", "jikan/schedules-monday__jikanpy.json");
    EXPECT_EQ(day.body["endpoint"], "schedule");
    EXPECT_EQ(day.body["total"], 9);
    EXPECT_EQ(day.body["pagination"].dump(), R"({"page":1,"limit":25,"hasMore":false})");
    EXPECT_EQ(keys_of(day.body["meta"]), (Keys{"fetchedAt", "day", "limit", "page", "autoTrad",
                                               "cached", "cacheKey", "stale", "expiresAt"}));
    EXPECT_EQ(day.body["meta"]["day"], "monday");
}

TEST(Envelope, RawgAndIgdb) {
    Rendered rawg = hit("rawg:trending:4,187", "rawg/games__rawgclient-cs.json");
    const ordered &b = rawg.body;
    EXPECT_EQ(keys_of(b), (Keys{"success", "provider", "domain", "endpoint", "query", "total",
                                "count", "data", "pagination", "meta"}));
    EXPECT_EQ(b["domain"], "videogames");
    EXPECT_EQ(b["endpoint"], "trending");
    EXPECT_EQ(b["total"], b["count"]);
    EXPECT_EQ(b["pagination"], nullptr);
    EXPECT_EQ(keys_of(b["meta"]), (Keys{"fetchedAt", "page", "platforms", "genres", "ordering",
                                        "cached", "cacheKey", "stale", "expiresAt"}));
    EXPECT_EQ(b["meta"]["platforms"], "4,187");
    EXPECT_EQ(b["meta"]["genres"], "all");
    EXPECT_EQ(b["meta"]["ordering"], "recently_added");
    EXPECT_FALSE(hit("rawg:popular:all", "rawg/games__rawgclient-cs.json")
                     .body["meta"]
                     .contains("ordering"));

    Rendered igdb = hit("igdb:popular:all", "igdb/games-list__henry-sarabia-igdb.json");
    EXPECT_EQ(igdb.body["endpoint"], "popular");
    EXPECT_EQ(igdb.body["pagination"], nullptr);
    EXPECT_EQ(keys_of(igdb.body["meta"]),
              (Keys{"fetchedAt", "limit", "offset", "platforms", "genres", "ordering", "cached",
                    "cacheKey", "stale", "expiresAt"}));
    EXPECT_EQ(igdb.body["meta"]["limit"], 20);
    EXPECT_EQ(igdb.body["meta"]["offset"], 0);
    EXPECT_EQ(igdb.body["meta"]["ordering"], "popularity");
}

TEST(Envelope, DeezerReportsDeezersTotal) {
    Rendered r = hit("deezer:charts:tracks", "deezer/chart-0-tracks__deezer-python.json");
    const ordered &b = r.body;
    EXPECT_EQ(b["domain"], "music");
    EXPECT_EQ(b["endpoint"], "charts");
    EXPECT_EQ(b["total"], 10);
    EXPECT_EQ(b["pagination"], nullptr);
    EXPECT_EQ(keys_of(b["meta"]),
              (Keys{"fetchedAt", "category", "limit", "cached", "cacheKey", "stale", "expiresAt"}));
    EXPECT_EQ(b["meta"]["category"], "tracks");
    EXPECT_EQ(b["meta"]["limit"], 25);
}

TEST(Envelope, ItunesCountryAndFeedDate) {
    Rendered r = hit("itunes:charts:us-album",
                     "itunes/legacy-rss-topalbums-limit2__front-end-challenge.json");
    const ordered &b = r.body;
    EXPECT_EQ(b["endpoint"], "charts");
    EXPECT_EQ(b["total"], 2);
    EXPECT_EQ(b["count"], 2);
    EXPECT_EQ(keys_of(b["meta"]), (Keys{"fetchedAt", "country", "category", "limit", "updated",
                                        "cached", "cacheKey", "stale", "expiresAt"}));
    EXPECT_EQ(b["meta"]["country"], "US");
    EXPECT_EQ(b["meta"]["category"], "album");
    EXPECT_EQ(b["meta"]["updated"], "2018-09-08T08:27:00-07:00");
    // The v2 feeds send the date as a plain string.
    Rendered v2 = hit("itunes:charts:fr-album",
                      "itunes/rss-v2-most-played-10-albums__unittestingdemo-swift.json");
    EXPECT_EQ(v2.body["meta"]["updated"], "Thu, 14 Apr 2022 06:27:50 +0000");
}

TEST(Envelope, MissStaleAndError) {
    const ParsedKey key = parse_key("deezer:charts");
    EnvelopeInput miss;
    miss.key = &key;
    miss.error = "not in the cache (tako_cache.mode is db_only)";
    const ordered b = ordered::parse(render_envelope(miss));
    EXPECT_EQ(b["success"], false);
    EXPECT_EQ(b["total"], 0);
    EXPECT_EQ(b["count"], 0);
    EXPECT_EQ(b["data"], ordered::array());
    EXPECT_EQ(b["pagination"], nullptr);
    EXPECT_EQ(b["meta"]["fetchedAt"], nullptr);
    EXPECT_EQ(b["meta"]["expiresAt"], nullptr);
    EXPECT_EQ(b["meta"]["cacheKey"], "deezer:charts:albums");
    EXPECT_EQ(b["meta"]["error"], "not in the cache (tako_cache.mode is db_only)");

    // Saved without upstream metadata (before 1.2, or by hand): fetchedAt is the save time.
    const json none = json::object();
    EnvelopeInput stale;
    stale.key = &key;
    stale.items = std::string_view("[]");
    stale.upstream = &none;
    stale.saved_unix_us = kFetchedUs;
    stale.cached = true;
    stale.stale = true;
    stale.error = "server_error: HTTP 503";
    const ordered s = ordered::parse(render_envelope(stale));
    EXPECT_EQ(s["success"], true);
    EXPECT_EQ(s["meta"]["fetchedAt"], "2026-01-02T03:04:05.678Z");
    EXPECT_EQ(s["meta"]["stale"], true);
    EXPECT_EQ(s["meta"]["error"], "server_error: HTTP 503");
}

TEST(Envelope, TextIsCompactAndEscaped) {
    const ParsedKey key = parse_key("deezer:charts:albums");
    EnvelopeInput in;
    in.key = &key;
    const std::string items = compact_json("[ {\"title\": \"a \\\" b\" ,\n \"x\" : [1, 2]} ]");
    EXPECT_EQ(items, R"([{"title":"a \" b","x":[1,2]}])");
    in.items = items;
    in.count = 1;
    in.error = "quote \" and \n newline";
    const std::string text = render_envelope(in);
    EXPECT_EQ(text.find(": "), std::string::npos);
    EXPECT_EQ(json::parse(text)["meta"]["error"], "quote \" and \n newline");
    EXPECT_THROW(compact_json("[\"open"), Error);
}

TEST(UpstreamMeta, Iso8601LikeJavaScript) {
    EXPECT_EQ(iso8601_ms(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(iso8601_ms(kFetchedUs), "2026-01-02T03:04:05.678Z");
    EXPECT_EQ(iso8601_ms(-1000), "1969-12-31T23:59:59.999Z");
}

TEST(UpstreamMeta, ReadsOnlyWhatUpstreamSent) {
    const ParsedKey tmdb = parse_key("tmdb:popular:movie");
    json meta = upstream_meta(tmdb, json{{"results", json::array()}}, "en-US", 0);
    EXPECT_EQ(meta, (json{{"fetchedAt", "1970-01-01T00:00:00.000Z"}, {"lang", "en-US"}}));
    meta =
        upstream_meta(tmdb, json{{"total_results", -5}, {"page", "1"}, {"total_pages", 3}}, "", 0);
    EXPECT_FALSE(meta.contains("total"));
    EXPECT_FALSE(meta.contains("page"));
    EXPECT_EQ(meta["totalPages"], 3);
    const ParsedKey jikan = parse_key("jikan:trending:all");
    meta = upstream_meta(
        jikan, json{{"pagination", "broken"}, {"data", json::array({json{{"season", 3}}})}}, "", 0);
    EXPECT_EQ(meta, (json{{"fetchedAt", "1970-01-01T00:00:00.000Z"}}));
    EXPECT_EQ(upstream_meta(parse_key("itunes:charts:fr-song"), json::array(), "", 0).size(), 1u);
}

}  // namespace
}  // namespace tako
