// Jikan normalizer (docs/items.md) on every recorded Jikan response, plus edge cases.
#include <gtest/gtest.h>

#include "fixture.hpp"

namespace tako {
namespace {

using fixture::normalized;
using fixture::normalized_file;
using nlohmann::json;

const std::string kCdn = "https://cdn.myanimelist.net/images/";

json one(const json &entry, std::string_view category = "anime") {
    json items = normalized("jikan", json{{"data", json::array({entry})}}, category);
    EXPECT_EQ(items.size(), 1u);
    return items.empty() ? json() : items[0];
}

TEST(NormalizeJikan, TopAnimeTvFieldByField) {
    json items = normalized_file("jikan", "jikan/top-anime-type-tv__jikanpy.json", "anime");
    ASSERT_EQ(items.size(), 25u);
    const json &fma = items[0];
    EXPECT_EQ(fma["id"], "jikan:5114");
    EXPECT_EQ(fma["type"], "anime");
    EXPECT_EQ(fma["sourceId"], "5114");
    EXPECT_EQ(fma["title"], "Fullmetal Alchemist: Brotherhood");
    EXPECT_EQ(fma["titleOriginal"], "\u92fc\u306e\u932c\u91d1\u8853\u5e2b FULLMETAL ALCHEMIST");
    EXPECT_EQ(fma["description"].get<std::string>().rfind("After a horrific alchemy experiment", 0),
              0u);
    EXPECT_EQ(fma["year"], 2009);
    EXPECT_EQ(fma["images"],
              json({{"primary", kCdn + "anime/1208/94745l.webp"},
                    {"thumbnail", kCdn + "anime/1208/94745t.webp"},
                    {"gallery",
                     {kCdn + "anime/1208/94745l.webp", kCdn + "anime/1208/94745.webp",
                      kCdn + "anime/1208/94745l.jpg", kCdn + "anime/1208/94745.jpg"}}}));
    EXPECT_EQ(fma["urls"]["source"],
              "https://myanimelist.net/anime/5114/Fullmetal_Alchemist__Brotherhood");
    EXPECT_EQ(fma["urls"]["detail"], "/api/anime-manga/jikan/anime/5114");

    const json &d = fma["details"];
    EXPECT_EQ(d["position"], 1);
    EXPECT_EQ(d["malId"], 5114);
    EXPECT_EQ(d["resourceType"], "tv");
    EXPECT_EQ(d["format"], "TV");
    EXPECT_EQ(d["titleEnglish"], "Fullmetal Alchemist: Brotherhood");
    ASSERT_EQ(d["titleAlternatives"].size(), 8u);
    EXPECT_EQ(d["titleAlternatives"][7],
              json({{"type", "French"}, {"title", "Fullmetal Alchemist Brotherhood"}}));
    EXPECT_EQ(d["trailer"]["youtubeId"], "--IcmZkvL0Q");
    EXPECT_EQ(d["trailer"]["url"], "https://www.youtube.com/watch?v=--IcmZkvL0Q");
    EXPECT_EQ(d["trailer"]["images"]["maximum"],
              "https://img.youtube.com/vi/--IcmZkvL0Q/maxresdefault.jpg");
    EXPECT_EQ(d["trailer"]["images"]["default"],
              "https://img.youtube.com/vi/--IcmZkvL0Q/default.jpg");
    EXPECT_EQ(d["sourceMaterial"], "Manga");
    EXPECT_EQ(d["episodes"], 64);
    EXPECT_EQ(d["status"], "Finished Airing");
    EXPECT_EQ(d["airing"], false);
    EXPECT_EQ(d["aired"], json::parse(R"({"from":"2009-04-05T00:00:00+00:00",
        "to":"2010-07-04T00:00:00+00:00","string":"Apr 5, 2009 to Jul 4, 2010"})"));
    EXPECT_EQ(d["duration"], "24 min per ep");
    EXPECT_EQ(d["rating"], json::parse(R"({"code":"R","label":"17+","minAge":17})"));
    EXPECT_EQ(d["score"], 9.11);
    EXPECT_EQ(d["scoredBy"], 1935162);
    EXPECT_EQ(d["rank"], 1);
    EXPECT_EQ(d["popularity"], 3);
    EXPECT_EQ(d["members"], 3032586);
    EXPECT_EQ(d["favorites"], 210775);
    EXPECT_EQ(d["season"], "spring");
    EXPECT_EQ(d["studios"], json::parse(R"([{"id":4,"name":"Bones",
        "url":"https://myanimelist.net/anime/producer/4/Bones"}])"));
    EXPECT_EQ(d["genres"].size(), 4u);
    EXPECT_EQ(d["genres"][0]["name"], "Action");
    EXPECT_EQ(d["explicitGenres"], json::array());
    EXPECT_EQ(d["titleSynonyms"], json::parse(R"j(["Hagane no Renkinjutsushi: Fullmetal Alchemist",
        "Fullmetal Alchemist (2009)","FMA","FMAB"])j"));
    EXPECT_EQ(d["broadcast"], json::parse(R"j({"day":"Sundays","time":"17:00",
        "timezone":"Asia/Tokyo","string":"Sundays at 17:00 (JST)"})j"));
    for (const char *field : {"producers", "licensors", "themes", "demographics"})
        EXPECT_TRUE(d[field].is_array()) << field;
    // No backdrop: it is not a Format B image (docs/decisions.md, D4).
    EXPECT_EQ(fma["images"].size(), 3u);
    EXPECT_FALSE(d.contains("backdrop"));

    // A trailer object whose values are all null stays an object of nulls.
    EXPECT_EQ(items[4]["title"], "Gintama\u00b0");
    EXPECT_EQ(items[4]["details"]["trailer"], json::parse(R"({"url":null,"embedUrl":null,
        "youtubeId":null,"images":{"default":null,"small":null,"medium":null,"large":null,
        "maximum":null}})"));
    EXPECT_EQ(items[4]["details"]["rating"],
              json::parse(R"({"code":"PG-13","label":"13+","minAge":13})"));
    EXPECT_EQ(items[17]["title"], "Monster");
    EXPECT_EQ(
        items[17]["details"]["rating"],
        json::parse(R"j({"code":"R+","label":"17+ (nudit\u00e9 l\u00e9g\u00e8re)","minAge":17})j"));
    EXPECT_EQ(items[24]["id"], "jikan:47917");
    EXPECT_EQ(items[24]["details"]["position"], 25);
}

TEST(NormalizeJikan, TopAnimeReactiveJikanHasNoTitlesArray) {
    json items = normalized_file("jikan", "jikan/top-anime__reactive-jikan.json");
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0]["id"], "jikan:5114");
    EXPECT_EQ(items[0]["details"]["titleAlternatives"], json::array());
    EXPECT_EQ(items[0]["details"]["score"], 9.15);
    EXPECT_EQ(items[0]["details"]["position"], 1);
    EXPECT_EQ(items[0]["images"]["primary"], kCdn + "anime/1223/96541l.webp");
}

TEST(NormalizeJikan, TopMangaFieldByField) {
    json items = normalized_file("jikan", "jikan/top-manga__reactive-jikan.json", "manga");
    ASSERT_EQ(items.size(), 1u);
    const json &berserk = items[0];
    EXPECT_EQ(berserk["id"], "jikan:2");
    EXPECT_EQ(berserk["type"], "manga");
    EXPECT_EQ(berserk["title"], "Berserk");
    EXPECT_EQ(berserk["titleOriginal"], "\u30d9\u30eb\u30bb\u30eb\u30af");
    // Manga have no `year`: the UTC year of published.from.
    EXPECT_EQ(berserk["year"], 1989);
    EXPECT_EQ(berserk["urls"]["detail"], "/api/anime-manga/jikan/manga/2");
    EXPECT_EQ(berserk["images"]["thumbnail"], kCdn + "manga/1/157897t.webp");
    const json &d = berserk["details"];
    EXPECT_EQ(d["resourceType"], "manga");
    EXPECT_EQ(d["format"], "Manga");
    EXPECT_EQ(d["chapters"], 380);
    EXPECT_EQ(d["volumes"], 41);
    EXPECT_EQ(d["status"], "On Hiatus");
    EXPECT_EQ(d["publishing"], false);
    EXPECT_EQ(d["published"]["to"], "2021-09-10T00:00:00+00:00");
    // This early v4 recording spells the score "scored".
    EXPECT_EQ(d["score"], 9.43);
    EXPECT_EQ(d["scoredBy"], 236669);
    EXPECT_EQ(d["authors"], json::parse(R"([{"id":1868,"name":"Miura, Kentarou",
        "url":"https://myanimelist.net/people/1868/Kentarou_Miura"}])"));
    EXPECT_EQ(d["serializations"][0]["name"], "Young Animal");
    EXPECT_EQ(d["themes"].size(), 3u);
    EXPECT_EQ(d["demographics"][0]["name"], "Seinen");
    EXPECT_EQ(d["titleSynonyms"], json::array({"Berserk: The Prototype"}));
    EXPECT_EQ(d["position"], 1);
    for (const char *anime_only :
         {"episodes", "aired", "rating", "trailer", "studios", "broadcast"})
        EXPECT_FALSE(d.contains(anime_only)) << anime_only;
}

TEST(NormalizeJikan, SeasonsNow) {
    json items = normalized_file("jikan", "jikan/seasons-now__jikanpy.json", "all");
    ASSERT_EQ(items.size(), 25u);
    EXPECT_EQ(items[0]["id"], "jikan:44511");
    EXPECT_EQ(items[0]["title"], "Chainsaw Man");
    EXPECT_EQ(items[0]["details"]["broadcast"]["day"], "Wednesdays");
    EXPECT_EQ(items[1]["details"]["titleEnglish"], nullptr);  // null upstream: null
    EXPECT_EQ(items[21]["details"]["rating"]["code"], "R+");
    // D3 (docs/decisions.md): every Jikan list numbers its items.
    for (std::size_t i = 0; i < items.size(); ++i)
        EXPECT_EQ(items[i]["details"]["position"], i + 1);
    EXPECT_EQ(items[24]["id"], "jikan:50590");

    json reactive = normalized_file("jikan", "jikan/seasons-now__reactive-jikan.json");
    ASSERT_EQ(reactive.size(), 1u);
    EXPECT_EQ(reactive[0]["id"], "jikan:48583");
    EXPECT_EQ(reactive[0]["details"]["titleEnglish"], "Attack on Titan: The Final Season Part 2");
    EXPECT_EQ(reactive[0]["year"], 2022);
}

TEST(NormalizeJikan, SeasonsUpcomingYearsAndRatings) {
    json items = normalized_file("jikan", "jikan/seasons-upcoming__jikanpy.json", "all");
    ASSERT_EQ(items.size(), 25u);
    // Neither `year` nor aired.from: no year.
    EXPECT_EQ(items[0]["title"], "Tate no Yuusha no Nariagari Season 3");
    EXPECT_EQ(items[0]["year"], nullptr);
    EXPECT_EQ(items[0]["details"]["aired"]["from"], nullptr);
    // No `year` but aired.from: its UTC year.
    EXPECT_EQ(items[1]["id"], "jikan:51535");
    EXPECT_EQ(items[1]["year"], 2023);
    EXPECT_EQ(items[13]["year"], 2023);
    // A null rating is no rating.
    EXPECT_EQ(items[17]["title"], "Uzumaki");
    EXPECT_EQ(items[17]["details"]["rating"], nullptr);
    EXPECT_EQ(items[24]["details"]["position"], 25);

    json reactive = normalized_file("jikan", "jikan/seasons-upcoming__reactive-jikan.json");
    ASSERT_EQ(reactive.size(), 1u);
    EXPECT_EQ(reactive[0]["year"], 2022);
    EXPECT_EQ(reactive[0]["details"]["episodes"], nullptr);
    EXPECT_EQ(reactive[0]["details"]["score"], nullptr);
    // Jikan spells "no rating" as the string "None": an unknown rating, kept as sent.
    EXPECT_EQ(reactive[0]["details"]["rating"],
              json::parse(R"({"code":"Unknown","label":"None","minAge":null})"));
    EXPECT_EQ(reactive[0]["details"]["broadcast"],
              json::parse(R"({"day":null,"time":null,"timezone":null,"string":"Unknown"})"));
}

TEST(NormalizeJikan, Schedules) {
    json monday = normalized_file("jikan", "jikan/schedules-monday__jikanpy.json", "monday");
    ASSERT_EQ(monday.size(), 9u);
    EXPECT_EQ(monday[0]["id"], "jikan:52815");
    EXPECT_EQ(monday[0]["details"]["rating"],
              json::parse(R"({"code":"G","label":"Tous publics","minAge":0})"));
    EXPECT_EQ(monday[0]["details"]["titleEnglish"], nullptr);
    EXPECT_EQ(monday[4]["details"]["rating"],
              json::parse(R"({"code":"PG","label":"Enfants","minAge":0})"));
    EXPECT_EQ(monday[8]["title"], "Golden Kamuy 4th Season");
    EXPECT_EQ(monday[8]["details"]["position"], 9);

    json other = normalized_file("jikan", "jikan/schedules-monday-b__jikanpy.json", "monday");
    ASSERT_EQ(other.size(), 10u);
    // Jikan's `year` (the season's) wins over aired.from: aired 2022-12-05, winter 2023 season.
    EXPECT_EQ(other[5]["title"], "Boku to Roboko");
    EXPECT_EQ(other[5]["year"], 2023);
    EXPECT_EQ(other[9]["details"]["position"], 10);

    json reactive = normalized_file("jikan", "jikan/schedules-monday__reactive-jikan.json");
    ASSERT_EQ(reactive.size(), 1u);
    EXPECT_EQ(reactive[0]["title"], "Hikari~be my light");
    EXPECT_EQ(reactive[0]["year"], 2020);  // year null upstream, aired.from 2020-01-17
}

TEST(NormalizeJikan, ErrorBodyIsRejected) {
    auto [state, message] =
        fixture::normalize_error("jikan", fixture::load("jikan/error-404-anime__jikanpy.json"));
    EXPECT_EQ(state, "22P02");
    EXPECT_EQ(message,
              "unexpected Jikan response: an error body: Jikan status 404 (HttpException): Not "
              "Found");
    for (const json &raw : {json(nullptr), json::array(), json{{"data", json::object()}},
                            json{{"pagination", json::object()}}})
        EXPECT_EQ(fixture::normalize_error("jikan", raw).first, "22P02") << raw.dump();
    EXPECT_EQ(normalized("jikan", json{{"data", json::array()}}), json::array());
}

TEST(NormalizeJikan, EveryMalRatingInBothLocales) {
    // {raw, fr-FR label (Tako's, the default), en-US label (MyAnimeList's)}; code and minAge are
    // the same in both.
    struct Case {
        const char *raw, *code, *fr, *en;
        int min_age;
    };
    const Case cases[] = {
        {"G - All Ages", "G", "Tous publics", "All Ages", 0},
        {"PG - Children", "PG", "Enfants", "Children", 0},
        {"PG-13 - Teens 13 or older", "PG-13", "13+", "13+", 13},
        {"R - 17+ (violence & profanity)", "R", "17+", "17+", 17},
        {"R+ - Mild Nudity", "R+", "17+ (nudit\u00e9 l\u00e9g\u00e8re)", "17+ (mild nudity)", 17},
        {"Rx - Hentai", "Rx", "Hentai (18+)", "Hentai (18+)", 18},
    };
    NormalizeOptions english;
    english.locale = Locale::EnUS;
    for (const Case &c : cases) {
        const json raw = {{"data", {{{"mal_id", 1}, {"title", "t"}, {"rating", c.raw}}}}};
        const json fr = normalize_list("jikan", "top", raw, "anime")[0]["details"]["rating"];
        const json en =
            normalize_list("jikan", "top", raw, "anime", english)[0]["details"]["rating"];
        EXPECT_EQ(fr, json({{"code", c.code}, {"label", c.fr}, {"minAge", c.min_age}})) << c.raw;
        EXPECT_EQ(en, json({{"code", c.code}, {"label", c.en}, {"minAge", c.min_age}})) << c.raw;
        // The default is Tako's fr-FR.
        NormalizeOptions french;
        french.locale = Locale::FrFR;
        EXPECT_EQ(normalize_list("jikan", "top", raw, "anime", french)[0]["details"]["rating"], fr);
    }
    // An unknown rating keeps Jikan's text, in every locale.
    const json unknown = {
        {"data", {{{"mal_id", 1}, {"title", "t"}, {"rating", "X - Something new"}}}}};
    const json expected =
        json::parse(R"({"code":"Unknown","label":"X - Something new","minAge":null})");
    EXPECT_EQ(normalize_list("jikan", "top", unknown, "anime")[0]["details"]["rating"], expected);
    EXPECT_EQ(normalize_list("jikan", "top", unknown, "anime", english)[0]["details"]["rating"],
              expected);
    for (const json &absent : {json(nullptr), json(""), json(17), json::object()})
        EXPECT_EQ(one(json{{"mal_id", 1}, {"title", "t"}, {"rating", absent}})["details"]["rating"],
                  nullptr);
    EXPECT_EQ(one(json{{"mal_id", 1}, {"title", "t"}})["details"]["rating"], nullptr);
}

TEST(NormalizeJikan, EnglishLabelsOnAFixture) {
    NormalizeOptions english;
    english.locale = Locale::EnUS;
    json monday =
        normalize_list("jikan", "schedule", fixture::load("jikan/schedules-monday__jikanpy.json"),
                       "monday", english);
    EXPECT_EQ(monday[0]["details"]["rating"],
              json::parse(R"({"code":"G","label":"All Ages","minAge":0})"));
    EXPECT_EQ(monday[4]["details"]["rating"],
              json::parse(R"({"code":"PG","label":"Children","minAge":0})"));
    // Only the labels change: the same items otherwise.
    json french = normalized_file("jikan", "jikan/schedules-monday__jikanpy.json", "monday");
    ASSERT_EQ(french.size(), monday.size());
    for (std::size_t i = 0; i < french.size(); ++i) {
        french[i]["details"].erase("rating");
        monday[i]["details"].erase("rating");
        EXPECT_EQ(french[i], monday[i]) << i;
    }
}

TEST(NormalizeJikan, ImagesFallBackToJpgAndDeduplicate) {
    json jpg_only = one(json::parse(R"({"mal_id":1,"title":"t","images":{"jpg":{
        "image_url":"https://x/a.jpg","small_image_url":"https://x/at.jpg","large_image_url":"https://x/a.jpg"}}})"));
    EXPECT_EQ(jpg_only["images"], json::parse(R"({"primary":"https://x/a.jpg",
        "thumbnail":"https://x/at.jpg","gallery":["https://x/a.jpg"]})"));

    // A webp object without URLs does not hide the jpg ones.
    json empty_webp = one(json::parse(R"({"mal_id":1,"title":"t","images":{"webp":{"image_url":null,
        "small_image_url":"","large_image_url":null},"jpg":{"image_url":"https://x/b.jpg"}}})"));
    EXPECT_EQ(empty_webp["images"], json::parse(R"({"primary":"https://x/b.jpg",
        "thumbnail":"https://x/b.jpg","gallery":["https://x/b.jpg"]})"));

    json none = one(json::parse(R"({"mal_id":1,"title":"t","images":"nope"})"));
    EXPECT_EQ(none["images"], json::parse(R"({"primary":null,"thumbnail":null,"gallery":[]})"));
}

TEST(NormalizeJikan, MissingAndWrongTypedFields) {
    json bare = one(json{{"mal_id", 7}, {"title", "Bare"}});
    const json &d = bare["details"];
    EXPECT_EQ(bare["titleOriginal"], nullptr);
    EXPECT_EQ(bare["description"], nullptr);
    EXPECT_EQ(bare["year"], nullptr);
    EXPECT_EQ(bare["urls"]["source"], nullptr);
    EXPECT_EQ(d["resourceType"], "anime");
    // Fields Tako copies as they are are left out when Jikan did not send them, as Tako's
    // JSON.stringify leaves out undefined values; `aired` is then {}.
    for (const char *absent :
         {"titleEnglish", "format", "sourceMaterial", "episodes", "status", "airing", "duration",
          "score", "scoredBy", "rank", "popularity", "members", "favorites", "season"})
        EXPECT_FALSE(d.contains(absent)) << absent;
    EXPECT_EQ(d["aired"], json::object());
    // Fields Tako builds are always there.
    EXPECT_EQ(d["trailer"], nullptr);
    EXPECT_EQ(d["rating"], nullptr);
    EXPECT_EQ(d["broadcast"], nullptr);
    EXPECT_EQ(d["studios"], json::array());
    EXPECT_EQ(d["titleSynonyms"], json::array());
    EXPECT_EQ(d["titleAlternatives"], json::array());
    EXPECT_EQ(d["position"], 1);
    EXPECT_EQ(d["malId"], 7);
    json bare_manga = one(json{{"mal_id", 7}, {"title", "Bare"}}, "manga");
    EXPECT_EQ(bare_manga["details"]["resourceType"], "manga");
    EXPECT_EQ(bare_manga["details"]["published"], json::object());
    for (const char *absent : {"titleEnglish", "chapters", "volumes", "status", "publishing"})
        EXPECT_FALSE(bare_manga["details"].contains(absent)) << absent;

    // Sent as null: null. An aired object without dates keeps the keys it has.
    json nulls = one(json::parse(R"({"mal_id":9,"title":"Nulls","title_english":null,
        "episodes":null,"score":null,"aired":{"from":null,"to":null,"string":"Not available"},
        "broadcast":{"day":null,"string":"Unknown"}})"));
    EXPECT_EQ(nulls["details"]["titleEnglish"], nullptr);
    EXPECT_TRUE(nulls["details"].contains("titleEnglish"));
    EXPECT_EQ(nulls["details"]["episodes"], nullptr);
    EXPECT_EQ(nulls["details"]["score"], nullptr);
    EXPECT_EQ(nulls["details"]["aired"],
              json::parse(R"({"from":null,"to":null,"string":"Not available"})"));
    EXPECT_EQ(nulls["details"]["broadcast"], json::parse(R"({"day":null,"string":"Unknown"})"));
    // Copied text is copied as it is, an empty string included (Tako's plain copy).
    EXPECT_EQ(
        one(json{{"mal_id", 1}, {"title", "t"}, {"title_english", ""}})["details"]["titleEnglish"],
        "");

    json odd = one(json::parse(R"({"mal_id":8,"title":"Odd","year":"2020","type":"ONA",
        "aired":{"from":"2021-04-01T00:00:00+00:00","to":5},"score":"high","episodes":"12",
        "studios":[{"mal_id":"x","name":"S"},3,null],"title_synonyms":["a",1,""],
        "titles":[{"type":"Default"},"x"],"trailer":{"images":"none"},"airing":"yes"})"));
    EXPECT_EQ(odd["year"], 2021);  // a non-numeric year falls back to aired.from
    EXPECT_EQ(odd["details"]["resourceType"], "ona");
    EXPECT_EQ(odd["details"]["format"], "ONA");
    EXPECT_EQ(odd["details"]["aired"],
              json::parse(R"({"from":"2021-04-01T00:00:00+00:00","to":null})"));
    // Sent with the wrong type: null (Tako would copy the value).
    EXPECT_EQ(odd["details"]["score"], nullptr);
    EXPECT_EQ(odd["details"]["episodes"], nullptr);
    EXPECT_EQ(odd["details"]["airing"], nullptr);
    EXPECT_EQ(odd["details"]["studios"], json::parse(R"([{"id":null,"name":"S"}])"));
    EXPECT_EQ(odd["details"]["titleSynonyms"], json::array({"a"}));
    EXPECT_EQ(odd["details"]["titleAlternatives"], json::parse(R"([{"type":"Default"}])"));
    EXPECT_EQ(odd["details"]["trailer"]["images"], nullptr);
    // A year of 0 is no year (Tako's `year ||`): aired.from's.
    EXPECT_EQ(one(json::parse(R"({"mal_id":1,"title":"t","year":0,
        "aired":{"from":"2019-01-01T00:00:00+00:00"}})"))["year"],
              2019);
}

TEST(NormalizeJikan, MangaScoreFallsBackToScored) {
    // tako_cache reads the early-v4 "scored" when there is no "score" (Tako does not: a README
    // line); "score" wins when both are there.
    EXPECT_EQ(
        one(json{{"mal_id", 1}, {"title", "t"}, {"scored", 8.5}}, "manga")["details"]["score"],
        8.5);
    EXPECT_EQ(one(json{{"mal_id", 1}, {"title", "t"}, {"score", 7.0}, {"scored", 8.5}},
                  "manga")["details"]["score"],
              7.0);
    EXPECT_EQ(one(json{{"mal_id", 1}, {"title", "t"}, {"score", nullptr}, {"scored", 8.5}},
                  "manga")["details"]["score"],
              8.5);
}

TEST(NormalizeJikan, YearFromDatesIsUtc) {
    fixture::LocalTimeZone tokyo("Asia/Tokyo");
    auto year_of = [](const char *from, const char *key = "aired",
                      std::string_view category = "anime") {
        return one(json{{"mal_id", 1}, {"title", "t"}, {key, {{"from", from}}}}, category)["year"];
    };
    EXPECT_EQ(year_of("2022-10-05T00:00:00+00:00"), 2022);
    // 23:30 at UTC-01:00 on New Year's Eve is already next year in UTC, and 00:30 in Tokyo on
    // New Year's Day still the previous one.
    EXPECT_EQ(year_of("2022-12-31T23:30:00-01:00"), 2023);
    EXPECT_EQ(year_of("2023-01-01T00:30:00+09:00"), 2022);
    EXPECT_EQ(year_of("2023-01-01T09:00:00+09:00"), 2023);
    EXPECT_EQ(year_of("2022-12-31T23:59:59.999Z"), 2022);
    EXPECT_EQ(year_of("2024-01-01T00:00:00+0100"), 2023);
    EXPECT_EQ(year_of("1989-08-25T00:00:00+00:00", "published", "manga"), 1989);
    for (const char *bad : {"", "2022-10-05T25:00:00+00:00", "2022-10-05T00:00:00+00:00junk",
                            "2022-10-05X00:00", "2022-10-05T00:00:00+25:00", "Oct 5, 2022"})
        EXPECT_EQ(year_of(bad), nullptr) << bad;
}

TEST(NormalizeJikan, PositionCountsSkippedEntries) {
    json items = normalized("jikan", json::parse(R"({"data":[{"title":"no id"},
        {"mal_id":2,"title":"second"},null,{"mal_id":4,"title":""},{"mal_id":5,"title":"fifth"}]})"));
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0]["details"]["position"], 2);
    EXPECT_EQ(items[1]["details"]["position"], 5);
}

}  // namespace
}  // namespace tako
