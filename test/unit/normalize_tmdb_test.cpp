// TMDB normalizer (docs/items.md) on every recorded TMDB response, plus hand-made edge
// cases.
#include <gtest/gtest.h>

#include "fixture.hpp"

namespace tako {
namespace {

using fixture::normalized;
using fixture::normalized_file;
using nlohmann::json;

const std::string kPoster = "https://image.tmdb.org/t/p/w500";
const std::string kThumb = "https://image.tmdb.org/t/p/w185";
const std::string kBackdrop = "https://image.tmdb.org/t/p/w1280";

json one(const json &entry, std::string_view category = "movie") {
    json items = normalized("tmdb", json{{"results", json::array({entry})}}, category);
    EXPECT_EQ(items.size(), 1u);
    return items.empty() ? json() : items[0];
}

TEST(NormalizeTmdb, MoviePopularTmdbApiRsFieldByField) {
    json items = normalized_file("tmdb", "tmdb/movie-popular__tmdb-api-rs.json", "movie");
    ASSERT_EQ(items.size(), 20u);
    const json &wonka = items[0];
    EXPECT_EQ(wonka["id"], "tmdb:787699");
    EXPECT_EQ(wonka["type"], "movie");
    EXPECT_EQ(wonka["source"], "tmdb");
    EXPECT_EQ(wonka["sourceId"], "787699");
    EXPECT_EQ(wonka["title"], "Wonka");
    EXPECT_EQ(wonka["titleOriginal"], "Wonka");
    EXPECT_EQ(wonka["description"].get<std::string>().rfind("Willy Wonka \u2013 chock-full", 0),
              0u);
    EXPECT_EQ(wonka["year"], 2023);
    EXPECT_EQ(wonka["images"]["primary"], kPoster + "/qhb1qOilapbapxWQn9jtRCMwXJF.jpg");
    EXPECT_EQ(wonka["images"]["thumbnail"], kThumb + "/qhb1qOilapbapxWQn9jtRCMwXJF.jpg");
    EXPECT_EQ(wonka["images"]["gallery"],
              json::array({kBackdrop + "/yOm993lsJyPmBodlYjgpPwBjXP9.jpg"}));
    EXPECT_EQ(wonka["urls"]["source"], "https://www.themoviedb.org/movie/787699");
    EXPECT_EQ(wonka["urls"]["detail"], "/api/media/tmdb/movies/787699");
    EXPECT_EQ(wonka["details"], json::parse(R"({"mediaType":"movie","releaseDate":"2023-12-06",
        "genreIds":[35,10751,14],"rating":{"average":7.193,"voteCount":1401},"popularity":3205.442,
        "originalLanguage":"en","adult":false})"));
    EXPECT_EQ(items[19]["id"], "tmdb:346698");
    EXPECT_EQ(items[19]["title"], "Barbie");
    // TMDB items carry no position (docs/items.md).
    EXPECT_FALSE(items[19]["details"].contains("position"));
}

TEST(NormalizeTmdb, OtherMovieLists) {
    struct Case {
        const char *file;
        const char *first_id, *first_title;
        int first_year;
        const char *last_id;
    };
    for (const Case &c : {
             Case{"tmdb/movie-popular__themoviedbapi-java.json", "tmdb:640146",
                  "Ant-Man and the Wasp: Quantumania", 2023, "tmdb:1033219"},
             Case{"tmdb/movie-now-playing__tmdb-api-rs.json", "tmdb:787699", "Wonka", 2023,
                  "tmdb:1155089"},
             Case{"tmdb/movie-top-rated__tmdb-api-rs.json", "tmdb:278", "The Shawshank Redemption",
                  1994, "tmdb:11216"},
             Case{"tmdb/movie-upcoming__themoviedbapi-java.json", "tmdb:713704", "Evil Dead Rise",
                  2023, "tmdb:497828"},
             Case{"tmdb/movie-upcoming__tmdb-api-rs.json", "tmdb:787699", "Wonka", 2023,
                  "tmdb:365620"},
         }) {
        SCOPED_TRACE(c.file);
        json items = normalized_file("tmdb", c.file, "movie");
        ASSERT_EQ(items.size(), 20u);
        EXPECT_EQ(items[0]["id"], c.first_id);
        EXPECT_EQ(items[0]["title"], c.first_title);
        EXPECT_EQ(items[0]["year"], c.first_year);
        EXPECT_EQ(items[19]["id"], c.last_id);
        for (const json &item : items) EXPECT_EQ(item["type"], "movie");
    }
}

TEST(NormalizeTmdb, TitleOriginalIsTheUpstreamOriginal) {
    json items = normalized_file("tmdb", "tmdb/movie-top-rated__tmdb-api-rs.json", "movie");
    EXPECT_EQ(items[19]["title"], "Cinema Paradiso");
    EXPECT_EQ(items[19]["titleOriginal"], "Nuovo Cinema Paradiso");
    EXPECT_EQ(items[19]["year"], 1988);
    EXPECT_EQ(items[0]["details"]["rating"], json::parse(R"({"average":8.7,"voteCount":25411})"));
}

TEST(NormalizeTmdb, ZeroVoteAverageKeepsItsRating) {
    // D2 (docs/decisions.md): Tako turned vote_average 0 into rating null.
    json upcoming =
        normalized_file("tmdb", "tmdb/movie-upcoming__themoviedbapi-java.json", "movie");
    EXPECT_EQ(upcoming[4]["title"], "Fast X");
    EXPECT_EQ(upcoming[4]["details"]["rating"], json::parse(R"({"average":0,"voteCount":0})"));
    EXPECT_EQ(upcoming[4]["details"]["popularity"], 524.606);
    // An integer vote_average stays an integer.
    EXPECT_EQ(upcoming[0]["details"]["rating"], json::parse(R"({"average":7,"voteCount":207})"));

    json trending = normalized_file("tmdb", "tmdb/trending-movie-week__themoviedbapi-java.json");
    EXPECT_EQ(trending[5]["title"], "The Flash");
    EXPECT_EQ(trending[5]["details"]["rating"], json::parse(R"({"average":0,"voteCount":0})"));
}

TEST(NormalizeTmdb, TvPopularFieldByField) {
    json items = normalized_file("tmdb", "tmdb/tv-popular__themoviedbapi-java.json", "tv");
    ASSERT_EQ(items.size(), 20u);
    const json &first = items[0];
    EXPECT_EQ(first["id"], "tmdb:206559");
    EXPECT_EQ(first["type"], "series");
    EXPECT_EQ(first["title"], "Binnelanders");
    EXPECT_EQ(first["year"], 2005);
    EXPECT_EQ(first["images"]["primary"], kPoster + "/v9nGSRx5lFz6KEgfmgHJMSgaARC.jpg");
    EXPECT_EQ(first["images"]["gallery"],
              json::array({kBackdrop + "/eWF3oRyL4QWaidN9F4uvM7cBJUV.jpg"}));
    EXPECT_EQ(first["urls"]["source"], "https://www.themoviedb.org/tv/206559");
    EXPECT_EQ(first["urls"]["detail"], "/api/media/tmdb/series/206559");
    EXPECT_EQ(first["details"], json::parse(R"({"mediaType":"tv","firstAirDate":"2005-10-13",
        "genreIds":[10766],"rating":{"average":5.739,"voteCount":46},"popularity":4035.115,
        "originalLanguage":"af","originalCountry":["ZA"]})"));
    // An empty overview is no description; a 0 vote_average is still a rating.
    EXPECT_EQ(items[1]["title"], "Das perfekte Dinner");
    EXPECT_EQ(items[1]["description"], nullptr);
    EXPECT_EQ(items[1]["details"]["rating"], json::parse(R"({"average":0,"voteCount":0})"));
    EXPECT_EQ(items[19]["id"], "tmdb:234512");
    EXPECT_EQ(items[19]["title"], "Leading Role");
}

TEST(NormalizeTmdb, OtherTvLists) {
    json rs = normalized_file("tmdb", "tmdb/tv-popular__tmdb-api-rs.json", "tv");
    ASSERT_EQ(rs.size(), 20u);
    EXPECT_EQ(rs[0]["title"], "Tomorrow Is Ours");
    EXPECT_EQ(rs[0]["titleOriginal"], "Demain nous appartient");
    EXPECT_EQ(rs[0]["details"]["originalCountry"], json::array({"FR"}));
    EXPECT_EQ(rs[19]["id"], "tmdb:219109");

    for (const char *file : {"tmdb/tv-on-the-air__themoviedbapi-java.json",
                             "tmdb/tv-airing-today__themoviedbapi-java.json"}) {
        SCOPED_TRACE(file);
        json items = normalized_file("tmdb", file, "tv");
        ASSERT_EQ(items.size(), 20u);
        EXPECT_EQ(items[0]["id"], "tmdb:206559");
        EXPECT_EQ(items[19]["title"], "The Tonight Show Starring Jimmy Fallon");
        EXPECT_EQ(items[19]["year"], 2014);
        EXPECT_EQ(items[19]["type"], "series");
    }
}

TEST(NormalizeTmdb, TrendingTvWeek) {
    json items = normalized_file("tmdb", "tmdb/trending-tv-week__themoviedbapi-java.json", "tv");
    ASSERT_EQ(items.size(), 20u);
    EXPECT_EQ(items[0]["id"], "tmdb:103768");
    EXPECT_EQ(items[0]["title"], "Sweet Tooth");
    EXPECT_EQ(items[0]["year"], 2021);
    EXPECT_EQ(items[12]["title"], "The Long Season");
    EXPECT_EQ(items[12]["description"], nullptr);
    EXPECT_EQ(items[19]["title"], "The Witcher");
    EXPECT_EQ(items[19]["year"], 2019);
}

TEST(NormalizeTmdb, TrendingAllSkipsPeopleAndFollowsMediaType) {
    // The list mixes a movie, a person and a series; media_type wins over the category.
    for (const char *category : {"movie", "tv"}) {
        json items =
            normalized_file("tmdb", "tmdb/trending-all-week__themoviedbapi-java.json", category);
        ASSERT_EQ(items.size(), 2u);
        EXPECT_EQ(items[0]["id"], "tmdb:934433");
        EXPECT_EQ(items[0]["type"], "movie");
        EXPECT_EQ(items[0]["title"], "Scream VI");
        EXPECT_EQ(items[1]["id"], "tmdb:103768");
        EXPECT_EQ(items[1]["type"], "series");
        EXPECT_EQ(items[1]["details"]["mediaType"], "tv");
    }
}

TEST(NormalizeTmdb, CategoryDecidesWithoutMediaType) {
    // A movie list read as tv: its entries have no "name", so none is a series.
    EXPECT_EQ(normalized_file("tmdb", "tmdb/movie-popular__tmdb-api-rs.json", "tv"), json::array());
    // No category is the families' default, movie.
    EXPECT_EQ(normalized_file("tmdb", "tmdb/movie-popular__tmdb-api-rs.json")[0]["type"], "movie");
    auto [state, message] =
        fixture::normalize_error("tmdb", json{{"results", json::array()}}, "person");
    EXPECT_EQ(state, "22023");
    EXPECT_EQ(message, "TMDB category must be \"movie\" or \"tv\", not \"person\"");
}

TEST(NormalizeTmdb, NonListFixturesAreRejected) {
    auto config = fixture::normalize_error(
        "tmdb", fixture::load("tmdb/configuration__themoviedbapi-java.json"));
    EXPECT_EQ(config.first, "22P02");
    EXPECT_EQ(config.second, "unexpected TMDB response: no \"results\" array");

    auto key = fixture::normalize_error(
        "tmdb", fixture::load("tmdb/error-invalid-api-key__tmdb-api-rs.json"));
    EXPECT_EQ(key.first, "22P02");
    EXPECT_EQ(key.second,
              "unexpected TMDB response: an error body: TMDB status_code 7: Invalid API key: You "
              "must be granted a valid key.");

    auto missing = fixture::normalize_error(
        "tmdb", fixture::load("tmdb/error-resource-not-found__tmdb-api-rs.json"));
    EXPECT_EQ(missing.first, "22P02");
    EXPECT_NE(missing.second.find("status_code 34"), std::string::npos);

    for (const json &raw : {json(nullptr), json::array(), json("results"), json{{"results", 1}},
                            json{{"results", json::object()}}})
        EXPECT_EQ(fixture::normalize_error("tmdb", raw, "movie").first, "22P02") << raw.dump();
}

TEST(NormalizeTmdb, MissingAndWrongTypedFieldsBecomeNull) {
    json bare = one(json{{"id", 1}, {"title", "Bare"}});
    EXPECT_EQ(bare["titleOriginal"], nullptr);
    EXPECT_EQ(bare["description"], nullptr);
    EXPECT_EQ(bare["year"], nullptr);
    EXPECT_EQ(bare["images"], json::parse(R"({"primary":null,"thumbnail":null,"gallery":[]})"));
    EXPECT_EQ(bare["details"], json::parse(R"({"mediaType":"movie","releaseDate":null,"genreIds":[],
        "rating":null,"popularity":null,"originalLanguage":null,"adult":false})"));

    json odd = one(json::parse(R"({"id":2,"title":"Odd","release_date":20230101,"poster_path":5,
        "backdrop_path":"","vote_average":"7","vote_count":"12","genre_ids":[12,"x",null,16],
        "adult":"yes","popularity":0,"original_title":"","overview":null,"original_language":7})"));
    EXPECT_EQ(odd["year"], nullptr);
    EXPECT_EQ(odd["titleOriginal"], nullptr);
    EXPECT_EQ(odd["images"]["primary"], nullptr);
    EXPECT_EQ(odd["images"]["gallery"], json::array());
    EXPECT_EQ(odd["details"]["rating"], nullptr);
    EXPECT_EQ(odd["details"]["genreIds"], json::parse("[12,16]"));
    EXPECT_EQ(odd["details"]["adult"], false);
    EXPECT_EQ(odd["details"]["popularity"], 0);  // D2: 0 is not null
    EXPECT_EQ(odd["details"]["originalLanguage"], nullptr);

    // vote_average 0 without vote_count.
    EXPECT_EQ(one(json{{"id", 3}, {"title", "Z"}, {"vote_average", 0}})["details"]["rating"],
              json::parse(R"({"average":0,"voteCount":null})"));
    // A series without origin_country; a path without its leading slash still makes a URL.
    json series = one(
        json{{"id", 4}, {"name", "S"}, {"poster_path", "p.jpg"}, {"origin_country", "US"}}, "tv");
    EXPECT_EQ(series["details"]["originalCountry"], json::array());
    EXPECT_EQ(series["images"]["thumbnail"], kThumb + "/p.jpg");
    EXPECT_FALSE(series["details"].contains("adult"));
}

TEST(NormalizeTmdb, EntriesWithoutIdOrTitleAreSkipped) {
    json raw = json::parse(R"({"results":[
        {"title":"no id"}, {"id":null,"title":"null id"}, {"id":-5,"title":"negative"},
        {"id":5,"title":""}, {"id":6,"title":7}, {"id":7}, 42, null, "x", [],
        {"id":8,"title":"kept","media_type":null},
        {"id":9,"title":"empty media type","media_type":""},
        {"id":10,"name":"a person","media_type":"person"},
        {"id":11,"name":"a collection","media_type":"collection"},
        {"id":"12","title":"string id"}]})");
    json items = normalized("tmdb", raw, "movie");
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[0]["id"], "tmdb:8");
    EXPECT_EQ(items[1]["id"], "tmdb:9");
    EXPECT_EQ(items[2]["id"], "tmdb:12");
    EXPECT_EQ(normalized("tmdb", json{{"results", json::array()}}, "tv"), json::array());
}

TEST(NormalizeTmdb, YearIsTheUtcYearOfTheDate) {
    // D1 (docs/decisions.md): Tako read the year of a date-only string in the server's local time,
    // so 2000-01-01 was 1999 west of Greenwich.
    fixture::LocalTimeZone pacific("America/Los_Angeles");
    EXPECT_EQ(one(json{{"id", 1}, {"title", "t"}, {"release_date", "2000-01-01"}})["year"], 2000);
    EXPECT_EQ(one(json{{"id", 1}, {"title", "t"}, {"release_date", "1999-12-31"}})["year"], 1999);
    for (const char *bad : {"", "2023-02-30", "2023-13-01", "23-01-01", "2023/01/01", "soon"})
        EXPECT_EQ(one(json{{"id", 1}, {"title", "t"}, {"release_date", bad}})["year"], nullptr)
            << bad;
    EXPECT_EQ(one(json{{"id", 1}, {"title", "t"}, {"release_date", "2024-02-29"}})["year"], 2024);
    // The raw date is kept as TMDB sent it, "" as null.
    EXPECT_EQ(one(json{{"id", 1}, {"title", "t"}, {"release_date", ""}})["details"]["releaseDate"],
              nullptr);
}

}  // namespace
}  // namespace tako
