// RAWG normalizer (docs/items.md) on the recorded /api/games page, plus edge cases.
#include <gtest/gtest.h>

#include "fixture.hpp"

namespace tako {
namespace {

using fixture::normalized;
using fixture::normalized_file;
using nlohmann::json;

json one(const json &entry) {
    json items = normalized("rawg", json{{"results", json::array({entry})}});
    EXPECT_EQ(items.size(), 1u);
    return items.empty() ? json() : items[0];
}

TEST(NormalizeRawg, GamesFieldByField) {
    json items = normalized_file("rawg", "rawg/games__rawgclient-cs.json");
    ASSERT_EQ(items.size(), 20u);
    const json &gta = items[0];
    EXPECT_EQ(gta["id"], "rawg:3498");
    EXPECT_EQ(gta["type"], "videogame");
    EXPECT_EQ(gta["title"], "Grand Theft Auto V");
    EXPECT_EQ(gta["titleOriginal"], nullptr);
    EXPECT_EQ(gta["description"], nullptr);
    EXPECT_EQ(gta["year"], 2013);
    const std::string cover =
        "https://media.rawg.io/media/games/20a/20aa03a10cda45239fe22d035c0ebe64.jpg";
    EXPECT_EQ(gta["images"]["primary"], cover);
    EXPECT_EQ(gta["images"]["thumbnail"], cover);
    ASSERT_EQ(gta["images"]["gallery"].size(), 7u);
    EXPECT_EQ(gta["images"]["gallery"][0], cover);
    EXPECT_EQ(gta["images"]["gallery"][6],
              "https://media.rawg.io/media/screenshots/592/592e2501d8734b802b2a34fee2df59fa.jpg");
    EXPECT_EQ(gta["urls"]["source"], "https://rawg.io/games/grand-theft-auto-v");
    EXPECT_EQ(gta["urls"]["detail"], "/api/videogames/rawg/game/3498");

    const json &d = gta["details"];
    EXPECT_EQ(d["slug"], "grand-theft-auto-v");
    EXPECT_EQ(d["releaseDate"], "2013-09-17");
    EXPECT_EQ(d["rating"], 8.9);  // 4.47 on RAWG's 0-5 scale
    EXPECT_EQ(d["ratingTop"], 5);
    EXPECT_EQ(d["ratingsCount"], 6847);
    EXPECT_EQ(d["metacritic"], 92);
    EXPECT_EQ(d["playtime"], 74);
    EXPECT_EQ(d["platforms"], json::parse(R"(["PC","PlayStation 5","Xbox Series S/X",
        "PlayStation 4","PlayStation 3","Xbox 360","Xbox One"])"));
    EXPECT_EQ(d["genres"], json::array({"Action"}));
    EXPECT_EQ(d["stores"], json::parse(R"(["PlayStation Store","Epic Games","Steam",
        "Xbox 360 Store","Xbox Store"])"));
    EXPECT_EQ(d["tags"], json::parse(R"(["Singleplayer","Steam Achievements","Multiplayer",
        "Full controller support","Atmospheric","Great Soundtrack","RPG","Co-op","Open World",
        "cooperative"])"));  // the first 10 of 19
    EXPECT_EQ(d["esrbRating"], "Mature");
    EXPECT_EQ(d["added"], 21078);
    EXPECT_EQ(d["updated"], "2024-08-10T17:43:58");

    EXPECT_EQ(items[19]["id"], "rawg:2454");
    EXPECT_EQ(items[19]["title"], "DOOM (2016)");
    EXPECT_EQ(items[19]["year"], 2016);
    EXPECT_EQ(items[19]["urls"]["source"], "https://rawg.io/games/doom");
}

TEST(NormalizeRawg, RatingRoundsLikeTako) {
    json items = normalized_file("rawg", "rawg/games__rawgclient-cs.json");
    EXPECT_EQ(items[1]["title"], "The Witcher 3: Wild Hunt");
    EXPECT_EQ(items[1]["details"]["rating"], 9.3);  // 4.65 × 20 = 93.00000000000001
    EXPECT_EQ(items[3]["details"]["rating"], 7.1);  // 3.56
    EXPECT_EQ(items[3]["details"]["ratingTop"], 4);
    // 4.5 → 9: a whole rating is an integer, as Tako's JSON.stringify writes it.
    EXPECT_EQ(items[5]["title"], "Portal");
    EXPECT_TRUE(items[5]["details"]["rating"].is_number_integer());
    EXPECT_EQ(items[5]["details"]["rating"], 9);
    EXPECT_EQ(items[18]["details"]["esrbRating"], "Adults Only");
    // Halves go up, as with JavaScript's Math.round: 4.125 × 20 = 82.5 → 83.
    EXPECT_EQ(one(json{{"id", 1}, {"name", "n"}, {"rating", 4.125}})["details"]["rating"], 8.3);
}

TEST(NormalizeRawg, ZerosAndAbsentValues) {
    json zero = one(json::parse(R"({"id":1,"name":"Zero","rating":0,"rating_top":0,
        "ratings_count":0,"metacritic":0,"playtime":0,"added":0})"));
    // A 0 rating is a rating (docs/decisions.md, D2: Tako's `rating ? … : null` lost it).
    EXPECT_EQ(zero["details"]["rating"], 0);
    // RAWG's 0 means "not known" for these: what Tako writes, 5 (the scale's top) and null.
    EXPECT_EQ(zero["details"]["ratingTop"], 5);
    EXPECT_EQ(zero["details"]["metacritic"], nullptr);
    EXPECT_EQ(zero["details"]["playtime"], nullptr);
    EXPECT_EQ(zero["details"]["ratingsCount"], 0);
    EXPECT_EQ(zero["details"]["added"], 0);

    json bare = one(json{{"id", 2}, {"name", "Bare"}});
    EXPECT_EQ(bare["year"], nullptr);
    EXPECT_EQ(bare["images"], json::parse(R"({"primary":null,"thumbnail":null,"gallery":[]})"));
    EXPECT_EQ(bare["urls"]["source"], nullptr);
    EXPECT_EQ(bare["details"], json::parse(R"({"slug":null,"releaseDate":null,"rating":null,
        "ratingTop":5,"ratingsCount":0,"metacritic":null,"playtime":null,"platforms":[],
        "genres":[],"stores":[],"tags":[],"esrbRating":null,"added":0,"updated":null})"));
}

TEST(NormalizeRawg, WrongTypedFieldsAreSkipped) {
    json odd = one(json::parse(R"({"id":3,"name":"Odd","released":null,"tba":true,
        "rating":"4.5","metacritic":null,"background_image":"","esrb_rating":null,
        "short_screenshots":[{"image":null},{"image":"https://x/1.jpg"},"x",{"id":4}],
        "platforms":[{"platform":{"name":"PC"}},{"platform":4},null,{"platform":{"name":""}}],
        "stores":"steam","genres":[{"name":"RPG"},{"id":5}],
        "tags":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"},{"name":"e"},{"name":"f"},
                {"name":"g"},{"name":"h"},{"name":"i"},{"name":"j"},{"name":"k"},{"name":"l"}]})"));
    EXPECT_EQ(odd["year"], nullptr);
    EXPECT_EQ(odd["details"]["rating"], nullptr);
    EXPECT_EQ(odd["images"]["primary"], nullptr);
    EXPECT_EQ(odd["images"]["gallery"], json::array({"https://x/1.jpg"}));
    EXPECT_EQ(odd["details"]["platforms"], json::array({"PC"}));
    EXPECT_EQ(odd["details"]["stores"], json::array());
    EXPECT_EQ(odd["details"]["genres"], json::array({"RPG"}));
    EXPECT_EQ(odd["details"]["tags"], json::parse(R"(["a","b","c","d","e","f","g","h","i","j"])"));
    EXPECT_EQ(odd["details"]["esrbRating"], nullptr);

    json items = normalized("rawg", json::parse(R"({"results":[{"name":"no id"},{"id":4},
        {"id":5,"name":null},7,{"id":6,"name":"kept","released":"2020-02-29"}]})"));
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0]["id"], "rawg:6");
    EXPECT_EQ(items[0]["year"], 2020);
}

TEST(NormalizeRawg, NonListBodiesAreRejected) {
    auto key =
        fixture::normalize_error("rawg", json{{"error", "The key parameter is not provided"}});
    EXPECT_EQ(key.first, "22P02");
    EXPECT_EQ(key.second,
              "unexpected RAWG response: an error body: RAWG: The key parameter is not provided");
    EXPECT_EQ(fixture::normalize_error("rawg", json{{"detail", "Not found."}}).first, "22P02");
    auto shape = fixture::normalize_error("rawg", json{{"count", 0}});
    EXPECT_EQ(shape.first, "22P02");
    EXPECT_EQ(shape.second, "unexpected RAWG response: no \"results\" array");
    EXPECT_EQ(fixture::normalize_error("rawg", json::array()).first, "22P02");
    EXPECT_EQ(normalized("rawg", json{{"count", 0}, {"results", json::array()}}), json::array());
}

}  // namespace
}  // namespace tako
