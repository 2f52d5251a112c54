// iTunes normalizer (docs/items.md; docs/decisions.md, D4 and D5) on the recorded legacy RSS,
// RSS generator v1 and v2 feeds, plus edge cases of the legacy feed's shape.
#include <gtest/gtest.h>

#include "fixture.hpp"

namespace tako {
namespace {

using fixture::normalized;
using fixture::normalized_file;
using nlohmann::json;

const char *const kLegacy = "itunes/legacy-rss-topalbums-limit2__front-end-challenge.json";

// A legacy entry as Apple writes it: every value wrapped as {label, attributes}.
json legacy_entry(const std::string &id, const std::string &name) {
    return json{{"im:name", {{"label", name}}},
                {"id",
                 {{"label", "https://itunes.apple.com/us/album/x/" + id},
                  {"attributes", {{"im:id", id}}}}}};
}

json legacy_feed(const json &entry) {
    return json{{"feed", {{"entry", entry}}}};
}

TEST(NormalizeItunes, LegacyTopAlbumsFieldByField) {
    json items = normalized_file("itunes", kLegacy, "album");
    ASSERT_EQ(items.size(), 2u);
    const json &first = items[0];
    EXPECT_EQ(first["id"], "itunes:1409149359");
    EXPECT_EQ(first["type"], "music_album");
    EXPECT_EQ(first["title"], "Look Up Child");
    EXPECT_EQ(first["titleOriginal"], nullptr);
    EXPECT_EQ(first["year"], 2018);
    // The 170 px artwork (the third) is both the picture and the thumbnail, as in Tako; the 55 px
    // one is never used.
    const std::string art170 =
        "https://is4-ssl.mzstatic.com/image/thumb/Music125/v4/e9/b8/8f/"
        "e9b88f7c-1ba8-4ed6-53ef-92ad2a13ba48/00829619167009.rgb.jpg/170x170bb-85.png";
    EXPECT_EQ(first["images"]["primary"], art170);
    EXPECT_EQ(first["images"]["thumbnail"], art170);
    EXPECT_EQ(first["images"]["gallery"], json::array());
    EXPECT_EQ(first["urls"]["source"],
              "https://itunes.apple.com/us/album/look-up-child/1409149359?uo=2");
    // D4 (docs/decisions.md): a detail path, never null.
    EXPECT_EQ(first["urls"]["detail"], "/api/music/itunes/albums/1409149359");
    EXPECT_EQ(first["details"], json::parse(R"({"position":1,"artist":"Lauren Daigle",
        "genre":"Christian & Gospel","releaseDate":"2018-09-07T00:00:00-07:00","price":"$9.99",
        "rights":"\u2117 2018 Centricity Music"})"));
    EXPECT_EQ(items[1]["id"], "itunes:1399826275");
    EXPECT_EQ(items[1]["title"], "Egypt Station");
    EXPECT_EQ(items[1]["details"]["artist"], "Paul McCartney");
    EXPECT_EQ(items[1]["details"]["genre"], "Rock");
    EXPECT_EQ(items[1]["details"]["position"], 2);
}

TEST(NormalizeItunes, SongChartsAreTracks) {
    // D5 (docs/decisions.md): Tako typed every chart as albums.
    for (const char *category : {"song", "fr-song"}) {
        json items = normalized_file("itunes", kLegacy, category);
        ASSERT_EQ(items.size(), 2u);
        EXPECT_EQ(items[0]["type"], "music_track") << category;
        EXPECT_EQ(items[0]["urls"]["detail"], "/api/music/itunes/tracks/1409149359");
    }
    EXPECT_EQ(normalized_file("itunes", kLegacy, "us-album")[0]["type"], "music_album");
    EXPECT_EQ(normalized_file("itunes", kLegacy)[0]["type"], "music_album");
    auto [state, message] = fixture::normalize_error("itunes", fixture::load(kLegacy), "songs");
    EXPECT_EQ(state, "22023");
    EXPECT_EQ(message, "iTunes category must be \"album\" or \"song\", not \"songs\"");
}

TEST(NormalizeItunes, RssGeneratorV1) {
    json items =
        normalized_file("itunes", "itunes/rss-v1-top-albums-50__applemusictopalbums.json", "album");
    ASSERT_EQ(items.size(), 38u);
    const json &aura = items[0];
    EXPECT_EQ(aura["id"], "itunes:1433976640");
    EXPECT_EQ(aura["title"], "Aura");
    EXPECT_EQ(aura["year"], 2018);
    const std::string art =
        "https://is2-ssl.mzstatic.com/image/thumb/Music128/v4/d7/60/f7/"
        "d760f7bf-e2bc-e48e-afcd-b9b562ad4c2f/697691884080.jpg/200x200bb.png";
    EXPECT_EQ(aura["images"],
              json({{"primary", art}, {"thumbnail", art}, {"gallery", json::array()}}));
    EXPECT_EQ(aura["urls"]["source"],
              "https://itunes.apple.com/us/album/aura/1433976640?app=music");
    EXPECT_EQ(aura["urls"]["detail"], "/api/music/itunes/albums/1433976640");
    EXPECT_EQ(aura["details"],
              json::parse(R"({"position":1,"artist":"Ozuna","genre":"Urbano latino",
        "releaseDate":"2018-08-24","price":null,
        "rights":"\u2117 2018 VP Records Corp./Dimelo Vi Dist. by Sony Music Entertainment U.S. Latin LLC"})"));
    EXPECT_EQ(items[37]["id"], "itunes:1269285897");
    EXPECT_EQ(items[37]["title"], "Odisea");
    EXPECT_EQ(items[37]["year"], 2017);
    EXPECT_EQ(items[37]["details"]["position"], 38);
}

TEST(NormalizeItunes, RssGeneratorV2) {
    json items = normalized_file(
        "itunes", "itunes/rss-v2-most-played-10-albums__unittestingdemo-swift.json", "album");
    ASSERT_EQ(items.size(), 10u);
    EXPECT_EQ(items[0]["id"], "itunes:1614870185");
    EXPECT_EQ(items[0]["title"], "7220 (Reloaded)");
    EXPECT_EQ(items[0]["year"], 2022);
    EXPECT_EQ(items[0]["images"]["primary"],
              "https://is3-ssl.mzstatic.com/image/thumb/Music126/v4/29/ba/71/"
              "29ba719b-9dfc-3693-ec8e-c80d518063d2/196589019684.jpg/100x100bb.jpg");
    EXPECT_EQ(items[0]["urls"]["source"],
              "https://music.apple.com/us/album/7220-reloaded/1614870185");
    EXPECT_EQ(items[0]["details"], json::parse(R"({"position":1,"artist":"Lil Durk",
        "genre":"Hip-Hop/Rap","releaseDate":"2022-03-11","price":null,"rights":null})"));
    EXPECT_EQ(items[9]["title"], "2 Aliv\u00eb (Ge\u00ebk Pack)");
    EXPECT_EQ(items[9]["details"]["artist"], "Yeat");
    EXPECT_EQ(items[9]["details"]["position"], 10);
}

TEST(NormalizeItunes, SingleEntryFeedIsAnObject) {
    json items = normalized("itunes", legacy_feed(legacy_entry("42", "Only One")), "album");
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0]["id"], "itunes:42");
    EXPECT_EQ(items[0]["title"], "Only One");
    EXPECT_EQ(items[0]["details"]["position"], 1);
    // Without a link the entry's id URL is the source page.
    EXPECT_EQ(items[0]["urls"]["source"], "https://itunes.apple.com/us/album/x/42");
    EXPECT_EQ(items[0]["images"], json::parse(R"({"primary":null,"thumbnail":null,"gallery":[]})"));
    EXPECT_EQ(items[0]["details"], json::parse(R"({"position":1,"artist":null,"genre":null,
        "releaseDate":null,"price":null,"rights":null})"));
}

TEST(NormalizeItunes, EmptyFeedsAreEmptyCharts) {
    EXPECT_EQ(normalized("itunes", json{{"feed", json::object()}}), json::array());
    EXPECT_EQ(normalized("itunes", legacy_feed(json::array())), json::array());
    EXPECT_EQ(normalized("itunes", json{{"feed", {{"results", json::array()}}}}), json::array());
    for (const json &raw :
         {json(nullptr), json::array(), json{{"feed", "x"}}, json{{"entry", json::array()}}}) {
        auto [state, message] = fixture::normalize_error("itunes", raw);
        EXPECT_EQ(state, "22P02") << raw.dump();
        EXPECT_EQ(message, "unexpected iTunes response: no \"feed\" object");
    }
}

TEST(NormalizeItunes, LegacyEntryVariants) {
    json song = legacy_entry("7", "A Song");
    // Song feeds list two links: the page, then the audio preview.
    song["link"] = json::parse(R"([
        {"attributes":{"rel":"enclosure","type":"audio/x-m4a","href":"https://audio/preview.m4a"}},
        {"attributes":{"rel":"alternate","type":"text/html","href":"https://itunes/song/7"}}])");
    song["im:image"] = json{{"label", "https://img/only.png"}};  // a lone image object
    song["title"] = json{{"label", "A Song - Someone"}};
    song["im:price"] = json{{"label", "$1.29"}};
    json items = normalized("itunes", legacy_feed(json::array({song})), "song");
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0]["urls"]["source"], "https://itunes/song/7");
    EXPECT_EQ(items[0]["images"]["primary"], "https://img/only.png");
    EXPECT_EQ(items[0]["images"]["thumbnail"], "https://img/only.png");
    EXPECT_EQ(items[0]["details"]["price"], "$1.29");

    // Four artworks: the third (Tako's im:image[2]) is the 170 px one; two: the larger.
    json four = legacy_entry("10", "Four");
    four["im:image"] = json::parse(R"([{"label":"https://img/55"},{"label":"https://img/60"},
        {"label":"https://img/170"},{"label":"https://img/600"}])");
    json two = legacy_entry("11", "Two");
    two["im:image"] = json::parse(R"([{"label":"https://img/55"},{"label":"https://img/60"}])");
    json sizes = normalized("itunes", legacy_feed(json::array({four, two})), "album");
    ASSERT_EQ(sizes.size(), 2u);
    EXPECT_EQ(sizes[0]["images"]["primary"], "https://img/170");
    EXPECT_EQ(sizes[0]["images"]["thumbnail"], "https://img/170");
    EXPECT_EQ(sizes[1]["images"]["primary"], "https://img/60");
    EXPECT_EQ(sizes[1]["images"]["thumbnail"], "https://img/60");

    // No im:name: the feed's title label; no id or no title at all: skipped.
    json untitled = legacy_entry("8", "");
    untitled["title"] = json{{"label", "Fallback Title"}};
    json no_id = legacy_entry("", "No id");
    json numeric_id = legacy_entry("9", "Numeric id");
    numeric_id["id"]["attributes"]["im:id"] = 9;
    json items2 = normalized(
        "itunes",
        legacy_feed(json::array({untitled, no_id, 5, numeric_id, legacy_entry("10", "")})));
    ASSERT_EQ(items2.size(), 2u);
    EXPECT_EQ(items2[0]["title"], "Fallback Title");
    EXPECT_EQ(items2[1]["id"], "itunes:9");
    EXPECT_EQ(items2[1]["details"]["position"], 4);
}

TEST(NormalizeItunes, ReleaseYearIsUtc) {
    auto year_of = [](const char *release) {
        json entry = legacy_entry("1", "t");
        entry["im:releaseDate"] = json{{"label", release}};
        return normalized("itunes", legacy_feed(entry))[0]["year"];
    };
    fixture::LocalTimeZone pacific("America/Los_Angeles");
    EXPECT_EQ(year_of("2018-09-07T00:00:00-07:00"), 2018);
    // 20:00 in California on New Year's Eve is 04:00 next year in UTC; midnight in Paris on New
    // Year's Day is still the previous year.
    EXPECT_EQ(year_of("2018-12-31T20:00:00-08:00"), 2019);
    EXPECT_EQ(year_of("2019-01-01T00:00:00+01:00"), 2018);
    EXPECT_EQ(year_of("2019-01-01"), 2019);
    EXPECT_EQ(year_of("September 7, 2018"), nullptr);

    json result = json{{"id", "1"}, {"name", "n"}, {"releaseDate", "2020-01-01"}};
    EXPECT_EQ(normalized("itunes", json{{"feed", {{"results", json::array({result})}}}})[0]["year"],
              2020);
}

TEST(NormalizeItunes, GeneratorResultsWithMissingFields) {
    json raw = json::parse(R"({"feed":{"results":[{"id":"1","name":"bare"},{"name":"no id"},
        {"id":"3","name":"odd","genres":"Pop","artworkUrl100":7,"url":null,"releaseDate":20200101},
        {"id":"4","name":"genre objects","genres":[{"genreId":"14"},{"name":"Pop"}]}]}})");
    json items = normalized("itunes", raw, "song");
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[0]["type"], "music_track");
    EXPECT_EQ(items[0]["details"], json::parse(R"({"position":1,"artist":null,"genre":null,
        "releaseDate":null,"price":null,"rights":null})"));
    EXPECT_EQ(items[1]["details"]["position"], 3);
    EXPECT_EQ(items[1]["images"]["primary"], nullptr);
    EXPECT_EQ(items[1]["year"], nullptr);
    EXPECT_EQ(items[1]["details"]["genre"], nullptr);
    EXPECT_EQ(items[2]["details"]["genre"], nullptr);  // the first genre has no name
}

}  // namespace
}  // namespace tako
