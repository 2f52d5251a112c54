// Request builders: the upstream request of every family (docs/items.md, "What is fetched";
// docs/decisions.md).
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/request/request.hpp"

namespace tako {
namespace {

using std::chrono::system_clock;

// 2026-11-24 19:00:00 UTC.
const system_clock::time_point kNow = system_clock::from_time_t(1795546800);

UpstreamSettings settings() {
    UpstreamSettings s;
    s.tmdb_base_url = "https://tmdb.test/3";
    s.jikan_base_url = "https://jikan.test/v4";
    s.rawg_base_url = "https://rawg.test/api";
    s.igdb_base_url = "https://igdb.test/v4";
    s.deezer_base_url = "https://deezer.test";
    s.itunes_base_url = "https://itunes.test";
    s.igdb_token_url = "https://twitch.test/oauth2/token";
    s.tmdb_api_key = "tmdbkey";
    s.tmdb_language = "fr-FR";
    s.rawg_api_key = "rawgkey";
    s.igdb_client_id = "client";
    s.igdb_client_secret = "s3cret&x";
    return s;
}

std::string url(std::string_view key) {
    return build_list_request(parse_key(key), settings(), "tok", kNow).url;
}

TEST(TmdbRequest, EveryFamily) {
    EXPECT_EQ(url("tmdb:trending:tv:day"),
              "https://tmdb.test/3/trending/tv/day?api_key=tmdbkey&language=fr-FR&page=1");
    EXPECT_EQ(url("tmdb:popular:movie"),
              "https://tmdb.test/3/movie/popular?api_key=tmdbkey&language=fr-FR&page=1");
    EXPECT_EQ(url("tmdb:top-rated:tv"),
              "https://tmdb.test/3/tv/top_rated?api_key=tmdbkey&language=fr-FR&page=1");
    EXPECT_EQ(url("tmdb:upcoming:movie"),
              "https://tmdb.test/3/discover/movie?api_key=tmdbkey&language=fr-FR&page=1"
              "&primary_release_date.gte=2026-11-24&sort_by=popularity.desc");
    EXPECT_EQ(url("tmdb:upcoming:tv"),
              "https://tmdb.test/3/discover/tv?api_key=tmdbkey&language=fr-FR&page=1"
              "&first_air_date.gte=2026-11-24&sort_by=popularity.desc");
    EXPECT_EQ(url("tmdb:upcoming:tv:on-the-air"),
              "https://tmdb.test/3/tv/on_the_air?api_key=tmdbkey&language=fr-FR&page=1");
    EXPECT_EQ(url("tmdb:upcoming:tv:airing-today"),
              "https://tmdb.test/3/tv/airing_today?api_key=tmdbkey&language=fr-FR&page=1");
}

TEST(TmdbRequest, V4TokenGoesInTheAuthorizationHeader) {
    UpstreamSettings s = settings();
    s.tmdb_api_key = "eyJhbGciOiJIUzI1NiJ9.e30.sig";
    HttpRequest r = build_list_request(parse_key("tmdb:popular:tv"), s, "", kNow);
    EXPECT_EQ(r.url, "https://tmdb.test/3/tv/popular?language=fr-FR&page=1");
    EXPECT_NE(
        std::find(r.headers.begin(), r.headers.end(),
                  std::pair<std::string, std::string>("Authorization", "Bearer " + s.tmdb_api_key)),
        r.headers.end());
}

TEST(TmdbRequest, LanguageIsEncodedAndKeyRequired) {
    UpstreamSettings s = settings();
    s.tmdb_language = "fr FR&x=1";
    EXPECT_EQ(build_list_request(parse_key("tmdb:popular"), s, "", kNow).url,
              "https://tmdb.test/3/movie/popular?api_key=tmdbkey&language=fr%20FR%26x%3D1&page=1");
    s.tmdb_api_key.clear();
    try {
        build_list_request(parse_key("tmdb:popular"), s, "", kNow);
        FAIL();
    } catch (const Error &e) {
        EXPECT_STREQ(e.sqlstate(), "55000");
        EXPECT_STREQ(e.what(), "tako_cache.tmdb_api_key is not set");
    }
}

TEST(JikanRequest, EveryFamily) {
    EXPECT_EQ(url("jikan:top:anime"), "https://jikan.test/v4/top/anime?page=1&limit=25&sfw=false");
    EXPECT_EQ(url("jikan:top:anime:sfw"),
              "https://jikan.test/v4/top/anime?page=1&limit=25&sfw=true");
    EXPECT_EQ(url("jikan:top:manga"), "https://jikan.test/v4/top/manga?page=1&limit=25");
    EXPECT_EQ(
        url("jikan:top:tv"),
        "https://jikan.test/v4/top/anime?page=1&limit=25&sfw=false&filter=bypopularity&type=tv");
    EXPECT_EQ(url("jikan:top:movie:nsfw"),
              "https://jikan.test/v4/top/"
              "anime?page=1&limit=25&sfw=false&filter=bypopularity&type=movie&rating=rx");
    EXPECT_EQ(url("jikan:trending:all"),
              "https://jikan.test/v4/seasons/now?page=1&limit=25&sfw=false");
    EXPECT_EQ(url("jikan:trending:ova:sfw"),
              "https://jikan.test/v4/seasons/now?page=1&limit=25&sfw=true&filter=ova");
    EXPECT_EQ(url("jikan:upcoming:tv:nsfw"),
              "https://jikan.test/v4/seasons/upcoming?page=1&limit=25&sfw=false&filter=tv");
    EXPECT_EQ(url("jikan:schedule:all"),
              "https://jikan.test/v4/schedules?page=1&limit=25&sfw=false");
    EXPECT_EQ(url("jikan:schedule:sunday"),
              "https://jikan.test/v4/schedules?page=1&limit=25&sfw=false&filter=sunday");
}

TEST(JikanRequest, PicturesOfOneAnime) {
    HttpRequest r = build_jikan_pictures_request(settings(), 5114);
    EXPECT_EQ(r.url, "https://jikan.test/v4/anime/5114/pictures");
    EXPECT_EQ(r.method, "GET");
    EXPECT_NE(std::find(r.headers.begin(), r.headers.end(),
                        std::pair<std::string, std::string>("Accept", "application/json")),
              r.headers.end());
}

TEST(JikanRequest, TheFamiliesTakoEnrichesWithBackdrops) {
    // The families Tako enriches with backdrops (docs/items.md): /top/tv|movie, /trending/tv|movie,
    // /upcoming/tv|movie.
    for (const char *key :
         {"jikan:top:tv", "jikan:top:movie:nsfw", "jikan:trending:tv", "jikan:trending:movie:sfw",
          "jikan:upcoming:tv:nsfw", "jikan:upcoming:movie"})
        EXPECT_TRUE(enriches_backdrops(parse_key(key))) << key;
    for (const char *key : {"jikan:top:anime", "jikan:top:manga", "jikan:trending:all",
                            "jikan:trending:ova", "jikan:upcoming:ona", "jikan:schedule:monday",
                            "tmdb:trending:tv:week", "rawg:trending:all"})
        EXPECT_FALSE(enriches_backdrops(parse_key(key))) << key;
}

TEST(RawgRequest, EveryFamily) {
    EXPECT_EQ(url("rawg:popular:all"),
              "https://rawg.test/api/"
              "games?key=rawgkey&page=1&page_size=20&metacritic=70%2C100&ordering=-rating");
    EXPECT_EQ(url("rawg:trending:4,187"),
              "https://rawg.test/api/"
              "games?key=rawgkey&page=1&page_size=20&platforms=4%2C187&ordering=-added");
    EXPECT_EQ(
        url("rawg:upcoming:all"),
        "https://rawg.test/api/"
        "games?key=rawgkey&page=1&page_size=20&dates=2026-11-24%2C2027-11-24&ordering=released");
}

TEST(IgdbRequest, WellFormedApicalypse) {
    HttpRequest r = build_list_request(parse_key("igdb:popular:6,48"), settings(), "tok", kNow);
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.url, "https://igdb.test/v4/games");
    EXPECT_NE(r.body.find("; where total_rating_count >= 50 & platforms = (6,48); sort "
                          "total_rating_count desc; limit 20;"),
              std::string::npos)
        << r.body;
    EXPECT_EQ(r.body.rfind("fields ", 0), 0u);
    EXPECT_EQ(std::count(r.body.begin(), r.body.end(), ';'), 4);  // fields; where; sort; limit;
    EXPECT_NE(r.body.find("platforms.name"), std::string::npos);
    EXPECT_NE(r.body.find("involved_companies.company.name"), std::string::npos);
    auto header = [&](const std::string &name) {
        for (const auto &[n, v] : r.headers)
            if (n == name) return v;
        return std::string();
    };
    EXPECT_EQ(header("Client-ID"), "client");
    EXPECT_EQ(header("Authorization"), "Bearer tok");
}

TEST(IgdbRequest, UpcomingAndTrendingUseTheClock) {
    std::string upcoming =
        build_list_request(parse_key("igdb:upcoming"), settings(), "t", kNow).body;
    EXPECT_NE(upcoming.find("where first_release_date > 1795546800; sort first_release_date asc;"),
              std::string::npos);
    std::string trending =
        build_list_request(parse_key("igdb:trending"), settings(), "t", kNow).body;
    EXPECT_NE(trending.find("where first_release_date >= 1787770800 & first_release_date <= "
                            "1795546800; sort hypes desc;"),
              std::string::npos)
        << trending;
}

TEST(IgdbToken, SecretInTheBodyNotTheUrl) {
    HttpRequest r = build_igdb_token_request(settings());
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.url, "https://twitch.test/oauth2/token");
    EXPECT_EQ(r.body, "client_id=client&client_secret=s3cret%26x&grant_type=client_credentials");
    UpstreamSettings s = settings();
    s.igdb_client_secret.clear();
    EXPECT_THROW(build_igdb_token_request(s), Error);
}

TEST(IgdbToken, Parsing) {
    IgdbToken t =
        parse_igdb_token(R"({"access_token":"abc","expires_in":5184000,"token_type":"bearer"})");
    EXPECT_EQ(t.access_token, "abc");
    EXPECT_EQ(t.expires_in_seconds, 5184000);
    EXPECT_THROW(parse_igdb_token(R"({"status":403,"message":"invalid client secret"})"), Error);
    EXPECT_THROW(parse_igdb_token("<html>"), Error);
}

// The expiry arithmetic of fetch.cpp (now + expires_in - margin, in nanoseconds) overflowed on a
// huge expires_in; test/fuzz/fuzz_igdb_token checks it.
TEST(IgdbToken, LifetimeIsClampedToAYear) {
    auto lifetime = [](const std::string &expires_in) {
        return parse_igdb_token(R"({"access_token":"a","expires_in":)" + expires_in + "}")
            .expires_in_seconds;
    };
    EXPECT_EQ(lifetime("9223372036854775807"), kMaxIgdbTokenSeconds);
    EXPECT_EQ(lifetime("18446744073709551615"), kMaxIgdbTokenSeconds);
    EXPECT_EQ(lifetime("-9223372036854775808"), 0);
    EXPECT_EQ(lifetime("-5"), 0);
    EXPECT_EQ(lifetime("0"), 0);
    EXPECT_EQ(lifetime("1.5"), 3600);  // not an integer: the default
    EXPECT_EQ(lifetime("5184000"), 5184000);
    EXPECT_EQ(parse_igdb_token(R"({"access_token":"a"})").expires_in_seconds, 3600);
}

TEST(DeezerAndItunesRequests, EveryFamily) {
    EXPECT_EQ(url("deezer:charts:artists"), "https://deezer.test/chart/0/artists?limit=25");
    EXPECT_EQ(url("itunes:charts:fr-album"), "https://itunes.test/fr/rss/topalbums/limit=25/json");
    EXPECT_EQ(url("itunes:charts:us-song"), "https://itunes.test/us/rss/topsongs/limit=25/json");
}

TEST(Requests, AcceptJsonOnEveryList) {
    for (const Family &f : families()) {
        HttpRequest r =
            build_list_request(parse_key(std::string(f.provider) + ":" + std::string(f.endpoint)),
                               settings(), "t", kNow);
        EXPECT_NE(std::find(r.headers.begin(), r.headers.end(),
                            std::pair<std::string, std::string>("Accept", "application/json")),
                  r.headers.end())
            << f.pattern;
    }
}

TEST(Requests, NormalizerCategoryAndNeverEmpty) {
    EXPECT_EQ(normalizer_category(parse_key("jikan:top:manga")), "manga");
    EXPECT_EQ(normalizer_category(parse_key("jikan:top:tv")), "anime");
    EXPECT_EQ(normalizer_category(parse_key("itunes:charts:us-song")), "song");
    EXPECT_EQ(normalizer_category(parse_key("tmdb:trending:tv")), "tv");
    EXPECT_TRUE(never_empty(parse_key("tmdb:upcoming:tv:airing-today")));
    EXPECT_TRUE(never_empty(parse_key("rawg:popular:all")));
    EXPECT_FALSE(never_empty(parse_key("rawg:popular:4,187")));
    EXPECT_TRUE(never_empty(parse_key("jikan:schedule:all")));
    EXPECT_FALSE(never_empty(parse_key("jikan:schedule:monday")));
    EXPECT_FALSE(never_empty(parse_key("jikan:upcoming:music")));
}

TEST(Requests, RedactsEveryCredentialInItsPlainAndEncodedForms) {
    std::string text =
        "next=https://rawg/api/games?key=rawgkey&page=2 tmdbkey s3cret&x s3cret%26x client";
    EXPECT_EQ(
        redact_secrets(text, settings()),
        "next=https://rawg/api/games?key=REDACTED&page=2 REDACTED REDACTED REDACTED REDACTED");
}

TEST(UrlEncode, UnreservedKept) {
    EXPECT_EQ(url_encode("aZ09-_.~"), "aZ09-_.~");
    EXPECT_EQ(url_encode("a b/c?d=e&f,\xC3\xA9"), "a%20b%2Fc%3Fd%3De%26f%2C%C3%A9");
}

}  // namespace
}  // namespace tako
