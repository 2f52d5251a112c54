// IGDB normalizer (docs/items.md; docs/decisions.md, D6) on every recorded IGDB response (2019-20
// recordings whose cover/platforms/genres are unexpanded ids), plus expanded and edge cases.
#include <gtest/gtest.h>

#include "fixture.hpp"

namespace tako {
namespace {

using fixture::normalized;
using fixture::normalized_file;
using nlohmann::json;

const std::string kImages = "https://images.igdb.com/igdb/image/upload/";

json one(const json &entry) {
    json items = normalized("igdb", json::array({entry}));
    EXPECT_EQ(items.size(), 1u);
    return items.empty() ? json() : items[0];
}

TEST(NormalizeIgdb, GetByIdFieldByField) {
    json items = normalized_file("igdb", "igdb/games-get-by-id__henry-sarabia-igdb.json");
    ASSERT_EQ(items.size(), 1u);
    const json &zelda = items[0];
    EXPECT_EQ(zelda["id"], "igdb:7346");
    EXPECT_EQ(zelda["type"], "videogame");
    EXPECT_EQ(zelda["title"], "The Legend of Zelda: Breath of the Wild");
    EXPECT_EQ(zelda["titleOriginal"], nullptr);
    EXPECT_EQ(zelda["description"].get<std::string>().rfind("Step into a world of discovery", 0),
              0u);
    EXPECT_EQ(zelda["year"], 2017);
    // cover is the bare id 54903: no image can be built from it.
    EXPECT_EQ(zelda["images"], json::parse(R"({"primary":null,"thumbnail":null,"gallery":[]})"));
    EXPECT_EQ(zelda["urls"]["source"],
              "https://www.igdb.com/games/the-legend-of-zelda-breath-of-the-wild");
    EXPECT_EQ(zelda["urls"]["detail"], "/api/videogames/igdb/game/7346");
    // platforms [41, 130], genres, themes, game_modes, involved_companies and screenshots are ids.
    EXPECT_EQ(zelda["details"], json::parse(R"({"slug":"the-legend-of-zelda-breath-of-the-wild",
        "releaseDate":"2017-03-03","rating":95.1,"ratingCount":484,"platforms":[],"genres":[],
        "themes":[],"gameModes":[],"developers":[],"publishers":[],"screenshots":[],
        "category":"main_game","hypes":142,"follows":null})"));
}

TEST(NormalizeIgdb, GamesList) {
    json items = normalized_file("igdb", "igdb/games-list__henry-sarabia-igdb.json");
    ASSERT_EQ(items.size(), 5u);
    EXPECT_EQ(items[0]["id"], "igdb:105842");
    EXPECT_EQ(items[0]["title"], "Robots Vs Zombies: Transform To Race And Fight");
    EXPECT_EQ(items[0]["year"], nullptr);  // no first_release_date
    EXPECT_EQ(items[0]["details"]["releaseDate"], nullptr);
    EXPECT_EQ(items[0]["details"]["rating"], nullptr);
    EXPECT_EQ(items[0]["details"]["ratingCount"], 0);
    EXPECT_EQ(items[0]["description"], nullptr);
    EXPECT_EQ(items[1]["title"], "Welcome to the Game");
    EXPECT_EQ(items[1]["year"], 2016);
    EXPECT_EQ(items[1]["details"]["releaseDate"], "2016-06-15");
    EXPECT_EQ(items[1]["details"]["rating"], 80);
    EXPECT_EQ(items[1]["details"]["ratingCount"], 2);
    EXPECT_EQ(items[3]["title"], "Woodpunk");
    EXPECT_EQ(items[3]["details"]["rating"], 70);  // total_rating 70 → 70, an integer
    EXPECT_EQ(items[3]["details"]["ratingCount"], 0);
    EXPECT_EQ(items[4]["id"], "igdb:69530");
    EXPECT_EQ(items[4]["urls"]["source"],
              "https://www.igdb.com/games/dai-senryaku-vii-modern-military-tactics");
}

TEST(NormalizeIgdb, GamesSearchDatesAreUtc) {
    // D1 (docs/decisions.md): Super Xevious came out at 1984-12-31T00:00Z, already 1985 in Tokyo.
    fixture::LocalTimeZone tokyo("Asia/Tokyo");
    json items = normalized_file("igdb", "igdb/games-search__henry-sarabia-igdb.json");
    ASSERT_EQ(items.size(), 5u);
    EXPECT_EQ(items[0]["id"], "igdb:21405");
    EXPECT_EQ(items[0]["details"]["releaseDate"], "2016-06-30");
    EXPECT_EQ(items[0]["details"]["rating"], 80);
    EXPECT_EQ(items[0]["details"]["ratingCount"], 1);
    EXPECT_EQ(items[1]["title"], "Super Smash Bros. for Wii U");
    EXPECT_EQ(items[1]["details"]["rating"], 89.8);  // 89.78101738014391
    EXPECT_EQ(items[1]["details"]["ratingCount"], 143);
    EXPECT_EQ(items[1]["year"], 2014);
    EXPECT_EQ(items[2]["title"], "Super Xevious");
    EXPECT_EQ(items[2]["year"], 1984);
    EXPECT_EQ(items[2]["details"]["releaseDate"], "1984-12-31");
    EXPECT_EQ(items[3]["details"]["releaseDate"], "1994-12-08");
    EXPECT_EQ(items[4]["id"], "igdb:42563");
    EXPECT_EQ(items[4]["details"]["releaseDate"], "1994-01-31");
}

TEST(NormalizeIgdb, OtherEndpointsListsHaveNoGames) {
    // Covers and release dates are not games: no name, so nothing to list.
    EXPECT_EQ(normalized_file("igdb", "igdb/covers-list__henry-sarabia-igdb.json"), json::array());
    EXPECT_EQ(normalized_file("igdb", "igdb/release-dates-list__henry-sarabia-igdb.json"),
              json::array());
}

TEST(NormalizeIgdb, ExpandedFieldsAsTheV4QueryAsksForThem) {
    json game = one(json::parse(R"j({"id":1942,"name":"The Witcher 3: Wild Hunt",
        "slug":"the-witcher-3-wild-hunt","summary":"RPG","first_release_date":1431993600,
        "cover":{"id":89386,"image_id":"co1wyy"},"total_rating":93.4560197,"total_rating_count":2994,
        "hypes":30,"follows":1550,
        "platforms":[{"id":6,"name":"PC (Microsoft Windows)","abbreviation":"PC"},
                     {"id":48,"abbreviation":"PS4"},130,{"id":49},null],
        "genres":[{"id":12,"name":"Role-playing (RPG)"},31],
        "themes":[{"id":1,"name":"Action"},{"id":17,"name":"Fantasy"}],
        "game_modes":[{"id":1,"name":"Single player"}],
        "involved_companies":[
            {"developer":true,"publisher":false,"company":{"name":"CD Projekt RED"}},
            {"developer":false,"publisher":true,"company":{"name":"Warner Bros."}},
            {"developer":true,"publisher":true,"company":{"name":"CD Projekt"}},
            {"developer":"yes","publisher":true,"company":7},43563],
        "screenshots":[{"image_id":"sc5vg7"},{"id":3},30198],
        "category":0})j"));
    EXPECT_EQ(game["year"], 2015);
    EXPECT_EQ(game["images"]["primary"], kImages + "t_cover_big/co1wyy.jpg");
    EXPECT_EQ(game["images"]["thumbnail"], kImages + "t_thumb/co1wyy.jpg");
    EXPECT_EQ(game["images"]["gallery"], json::array());
    EXPECT_EQ(game["urls"]["source"], "https://www.igdb.com/games/the-witcher-3-wild-hunt");
    const json &d = game["details"];
    EXPECT_EQ(d["releaseDate"], "2015-05-19");
    EXPECT_EQ(d["rating"], 93.5);
    EXPECT_EQ(d["ratingCount"], 2994);
    EXPECT_EQ(d["platforms"], json::parse(R"j(["PC (Microsoft Windows)","PS4"])j"));  // strings
    EXPECT_EQ(d["genres"], json::array({"Role-playing (RPG)"}));
    EXPECT_EQ(d["themes"], json::parse(R"(["Action","Fantasy"])"));
    EXPECT_EQ(d["gameModes"], json::array({"Single player"}));
    EXPECT_EQ(d["developers"], json::parse(R"(["CD Projekt RED","CD Projekt"])"));
    EXPECT_EQ(d["publishers"], json::parse(R"(["Warner Bros.","CD Projekt"])"));
    EXPECT_EQ(d["screenshots"], json::array({kImages + "t_screenshot_big/sc5vg7.jpg"}));
    EXPECT_EQ(d["category"], "main_game");
    EXPECT_EQ(d["hypes"], 30);
    EXPECT_EQ(d["follows"], 1550);
}

TEST(NormalizeIgdb, CategoryAndGameType) {
    auto category = [](const json &fields) {
        json entry = fields;
        entry["id"] = 1;
        entry["name"] = "g";
        return one(entry)["details"]["category"];
    };
    EXPECT_EQ(category(json{{"category", 1}}), "dlc_addon");
    EXPECT_EQ(category(json{{"category", 4}}), "standalone_expansion");
    EXPECT_EQ(category(json{{"category", 14}}), "update");
    EXPECT_EQ(category(json{{"game_type", 8}}), "remake");
    EXPECT_EQ(category(json{{"game_type", {{"id", 11}, {"type", "Port"}}}}), "port");
    EXPECT_EQ(category(json{{"category", 9}, {"game_type", 0}}), "remaster");  // category first
    for (const json &unknown : {json(15), json(-1), json("0"), json(2.5), json(nullptr)})
        EXPECT_EQ(category(json{{"category", unknown}}), "unknown") << unknown.dump();
    EXPECT_EQ(category(json::object()), "unknown");
}

TEST(NormalizeIgdb, RatingRoundsHalvesUp) {
    // 92.25 × 10 = 922.5 exactly → 923, as JavaScript's Math.round does.
    EXPECT_EQ(one(json{{"id", 1}, {"name", "g"}, {"total_rating", 92.25}})["details"]["rating"],
              92.3);
    EXPECT_EQ(one(json{{"id", 1}, {"name", "g"}, {"total_rating", "90"}})["details"]["rating"],
              nullptr);
}

TEST(NormalizeIgdb, ReleaseDatesAroundMidnightAndOutOfRange) {
    auto dated = [](const json &seconds) {
        return one(json{{"id", 1}, {"name", "g"}, {"first_release_date", seconds}});
    };
    fixture::LocalTimeZone pacific("America/Los_Angeles");
    EXPECT_EQ(dated(1704067199)["details"]["releaseDate"], "2023-12-31");
    EXPECT_EQ(dated(1704067199)["year"], 2023);
    EXPECT_EQ(dated(1704067200)["details"]["releaseDate"], "2024-01-01");
    EXPECT_EQ(dated(1704067200)["year"], 2024);  // 2023 in Los Angeles local time
    EXPECT_EQ(dated(-1)["details"]["releaseDate"], "1969-12-31");
    EXPECT_EQ(dated(-86400)["year"], 1969);
    EXPECT_EQ(dated(0)["details"]["releaseDate"], "1970-01-01");
    EXPECT_EQ(dated(951782400.5)["details"]["releaseDate"], "2000-02-29");
    for (const json &bad :
         {json("1488499200"), json(1e20), json(-1e20), json(nullptr), json::array()}) {
        EXPECT_EQ(dated(bad)["year"], nullptr) << bad.dump();
        EXPECT_EQ(dated(bad)["details"]["releaseDate"], nullptr) << bad.dump();
    }
}

TEST(NormalizeIgdb, SourceUrlPrefersIgdbsOwn) {
    auto source = [](const json &fields) {
        json entry = fields;
        entry["id"] = 1;
        entry["name"] = "g";
        return one(entry)["urls"]["source"];
    };
    EXPECT_EQ(source(json{{"url", "https://www.igdb.com/games/own"}, {"slug", "slug"}}),
              "https://www.igdb.com/games/own");
    EXPECT_EQ(source(json{{"url", "//www.igdb.com/games/x"}, {"slug", "slug"}}),
              "https://www.igdb.com/games/slug");
    EXPECT_EQ(source(json{{"slug", "slug"}}), "https://www.igdb.com/games/slug");
    EXPECT_EQ(source(json{{"url", 5}}), nullptr);
    EXPECT_EQ(source(json::object()), nullptr);
}

TEST(NormalizeIgdb, SkipsWhatIsNotAGameAndRejectsNonArrays) {
    json items = normalized("igdb", json::parse(R"([{"name":"no id"},{"id":2},{"id":3,"name":""},
        5,null,{"id":"4","name":"string id","total_rating":0,"total_rating_count":0}])"));
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0]["id"], "igdb:4");
    EXPECT_EQ(items[0]["details"]["rating"], 0);
    EXPECT_EQ(normalized("igdb", json::array()), json::array());

    auto object = fixture::normalize_error("igdb", json{{"games", json::array()}});
    EXPECT_EQ(object.first, "22P02");
    EXPECT_EQ(object.second, "unexpected IGDB response: not a JSON array of games");
    auto syntax = fixture::normalize_error(
        "igdb",
        json::parse(R"([{"title":"Syntax Error","status":400,"cause":"Expecting a STRING"}])"));
    EXPECT_EQ(syntax.first, "22P02");
    EXPECT_EQ(syntax.second,
              "unexpected IGDB response: an error body: IGDB status 400 Syntax Error: Expecting a "
              "STRING");
    auto auth = fixture::normalize_error(
        "igdb", json::parse(R"({"message":"Authorization Failure. Have you tried:"})"));
    EXPECT_EQ(auth.first, "22P02");
}

}  // namespace
}  // namespace tako
