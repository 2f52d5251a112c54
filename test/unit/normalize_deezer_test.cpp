// Deezer normalizer (docs/items.md; docs/decisions.md, D4 and D11) on every recorded Deezer
// response: chart sections, whole charts, sections of other kinds and the error-in-200 body.
#include <gtest/gtest.h>

#include "fixture.hpp"

namespace tako {
namespace {

using fixture::normalized;
using fixture::normalized_file;
using nlohmann::json;

const std::string kCovers = "https://e-cdns-images.dzcdn.net/images/cover/";

json one(const json &entry, std::string_view category) {
    json items = normalized("deezer", json{{"data", json::array({entry})}}, category);
    EXPECT_EQ(items.size(), 1u);
    return items.empty() ? json() : items[0];
}

TEST(NormalizeDeezer, AlbumsChartFieldByField) {
    json items = normalized_file("deezer", "deezer/chart-0-albums__deezer-python.json", "albums");
    ASSERT_EQ(items.size(), 10u);
    const json &lacrim = items[0];
    EXPECT_EQ(lacrim["id"], "deezer:86473532");
    EXPECT_EQ(lacrim["type"], "music_album");
    EXPECT_EQ(lacrim["title"], "Lacrim");
    EXPECT_EQ(lacrim["titleOriginal"], nullptr);
    EXPECT_EQ(lacrim["description"], nullptr);
    EXPECT_EQ(lacrim["year"], nullptr);
    const std::string art = kCovers + "e59619df8fafabde84431bb6183c3001/";
    EXPECT_EQ(lacrim["images"]["primary"], art + "250x250-000000-80-0-0.jpg");
    EXPECT_EQ(lacrim["images"]["thumbnail"], art + "56x56-000000-80-0-0.jpg");
    // D4 (docs/decisions.md): URL strings, small to xl, not {size, url} objects.
    EXPECT_EQ(
        lacrim["images"]["gallery"],
        json::array({art + "56x56-000000-80-0-0.jpg", art + "250x250-000000-80-0-0.jpg",
                     art + "500x500-000000-80-0-0.jpg", art + "1000x1000-000000-80-0-0.jpg"}));
    EXPECT_EQ(lacrim["urls"]["source"], nullptr);  // this 2019 recording has no album "link"
    EXPECT_EQ(lacrim["urls"]["detail"], "/api/music/deezer/albums/86473532");
    EXPECT_EQ(lacrim["details"], json::parse(R"({"artist":"Lacrim","artistId":"deezer:4087782",
        "recordType":"album","trackCount":null,"explicit":true,"position":1})"));
    EXPECT_EQ(items[9]["id"], "deezer:85313112");
    EXPECT_EQ(items[9]["title"], "QUARTIER LATIN VOL.1");
    EXPECT_EQ(items[9]["details"]["position"], 10);
}

TEST(NormalizeDeezer, TracksChartFieldByField) {
    json items = normalized_file("deezer", "deezer/chart-0-tracks__deezer-python.json", "tracks");
    ASSERT_EQ(items.size(), 10u);
    const json &khapta = items[0];
    EXPECT_EQ(khapta["id"], "deezer:621314462");
    EXPECT_EQ(khapta["type"], "music_track");
    EXPECT_EQ(khapta["title"], "Khapta");
    const std::string art = kCovers + "6106f9b0084433aea99b35dfd1d4f8bd/";
    EXPECT_EQ(khapta["images"]["primary"], art + "250x250-000000-80-0-0.jpg");
    EXPECT_EQ(khapta["images"]["thumbnail"], art + "56x56-000000-80-0-0.jpg");
    EXPECT_EQ(khapta["images"]["gallery"], json::array());
    EXPECT_EQ(khapta["urls"]["source"], "https://www.deezer.com/track/621314462");
    EXPECT_EQ(khapta["urls"]["detail"], "/api/music/deezer/tracks/621314462");
    EXPECT_EQ(khapta["details"], json::parse(R"({"artist":"Heuss L'enfoir\u00e9",
        "artistId":"deezer:13645509","album":"En esprit","albumId":"deezer:85084202",
        "duration":162,"durationFormatted":"2:42",
        "preview":"https://cdns-preview-0.dzcdn.net/stream/c-053221651356adf1569bfb84ed362601-3.mp3",
        "explicit":true,"rank":995729,"position":1})"));
    EXPECT_EQ(items[9]["title"], "Trop beau");
    EXPECT_EQ(items[9]["details"]["durationFormatted"], "4:05");
    EXPECT_EQ(items[9]["details"]["position"], 10);

    json electro =
        normalized_file("deezer", "deezer/chart-106-tracks__deezer-python.json", "tracks");
    ASSERT_EQ(electro.size(), 10u);
    EXPECT_EQ(electro[0]["id"], "deezer:1432930542");
    EXPECT_EQ(electro[0]["details"]["artist"], "Lost Frequencies");
    EXPECT_EQ(electro[0]["details"]["durationFormatted"], "2:28");
    EXPECT_EQ(electro[0]["details"]["explicit"], false);
    EXPECT_EQ(electro[9]["title"], "Something Just Like This");
}

TEST(NormalizeDeezer, ArtistsChartFieldByField) {
    json items = normalized_file("deezer", "deezer/chart-0-artists__deezer-python.json", "artists");
    ASSERT_EQ(items.size(), 10u);
    const json &lacrim = items[0];
    EXPECT_EQ(lacrim["id"], "deezer:4087782");
    EXPECT_EQ(lacrim["type"], "music_artist");
    EXPECT_EQ(lacrim["title"], "Lacrim");
    const std::string art =
        "https://e-cdns-images.dzcdn.net/images/artist/133332a97ee5928b122b38f809bd0b91/";
    EXPECT_EQ(lacrim["images"]["primary"], art + "250x250-000000-80-0-0.jpg");
    EXPECT_EQ(lacrim["images"]["gallery"].size(), 4u);
    EXPECT_EQ(lacrim["images"]["gallery"][3], art + "1000x1000-000000-80-0-0.jpg");
    EXPECT_EQ(lacrim["urls"]["source"], "https://www.deezer.com/artist/4087782");
    EXPECT_EQ(lacrim["urls"]["detail"], "/api/music/deezer/artists/4087782");
    EXPECT_EQ(lacrim["details"], json::parse(R"({"nbAlbums":null,"nbFans":null,"position":1})"));
    EXPECT_EQ(items[9]["title"], "Xxxtentacion");
}

TEST(NormalizeDeezer, WholeChartGivesTheCategorysSection) {
    const json chart = fixture::load("deezer/chart-0__deezer-python.json");
    json albums = normalized("deezer", chart, "albums");
    ASSERT_EQ(albums.size(), 10u);
    EXPECT_EQ(albums[0]["id"], "deezer:265308262");
    EXPECT_EQ(albums[0]["title"], "Pebble Brain");
    EXPECT_EQ(albums[9]["id"], "deezer:1101548");
    json tracks = normalized("deezer", chart, "tracks");
    ASSERT_EQ(tracks.size(), 10u);
    EXPECT_EQ(tracks[0]["title"], "Bad Habits");
    EXPECT_EQ(tracks[0]["details"]["durationFormatted"], "3:51");
    EXPECT_EQ(tracks[9]["id"], "deezer:1279728532");
    json artists = normalized("deezer", chart, "artists");
    ASSERT_EQ(artists.size(), 10u);
    EXPECT_EQ(artists[0]["id"], "deezer:230");
    EXPECT_EQ(artists[0]["title"], "Kanye West");
    // The same items as normalizing the section alone.
    EXPECT_EQ(normalized("deezer", chart["tracks"], "tracks"), tracks);

    const json electro = fixture::load("deezer/chart-106__deezer-python.json");
    EXPECT_EQ(normalized("deezer", electro, "tracks")[0]["id"], "deezer:1432930542");
    EXPECT_EQ(normalized("deezer", electro, "albums")[0]["title"], "Dissid\u00e6nce Episode 2");
    EXPECT_EQ(normalized("deezer", electro, "artists")[9]["id"], "deezer:7912872");
    // No category: albums, the families' default.
    EXPECT_EQ(normalized("deezer", electro)[0]["type"], "music_album");
}

TEST(NormalizeDeezer, SectionsOfOtherKindsGiveNothing) {
    // Playlists and podcasts are not among the chart kinds Tako lists; their own "type" says so.
    for (const char *category : {"albums", "tracks", "artists"}) {
        EXPECT_EQ(
            normalized_file("deezer", "deezer/chart-0-playlists__deezer-python.json", category),
            json::array())
            << category;
        EXPECT_EQ(
            normalized_file("deezer", "deezer/chart-0-podcasts__deezer-python.json", category),
            json::array())
            << category;
    }
    // An album section read as tracks: every entry says "album".
    EXPECT_EQ(normalized_file("deezer", "deezer/chart-0-albums__deezer-python.json", "tracks"),
              json::array());
}

TEST(NormalizeDeezer, ErrorInA200BodyIsAnError) {
    // D11 (docs/decisions.md): Tako cached this as an empty chart for 24 h.
    auto [state, message] = fixture::normalize_error(
        "deezer", fixture::load("deezer/error-album-not-found__deezer-python.json"), "albums");
    EXPECT_EQ(state, "22P02");
    EXPECT_EQ(
        message,
        "unexpected Deezer response: an error body: Deezer error 800 (DataException): no data");
    auto quota = fixture::normalize_error(
        "deezer",
        json::parse(R"({"error":{"type":"Exception","message":"Quota limit exceeded","code":4}})"),
        "tracks");
    EXPECT_EQ(quota.first, "22P02");
    EXPECT_NE(quota.second.find("Quota limit exceeded"), std::string::npos);
}

TEST(NormalizeDeezer, ShapesAndCategories) {
    auto shape = fixture::normalize_error("deezer", json{{"total", 0}}, "albums");
    EXPECT_EQ(shape.first, "22P02");
    EXPECT_EQ(shape.second,
              "unexpected Deezer response: no \"data\" array (nor a \"albums\" chart section)");
    // A whole chart without the asked section.
    EXPECT_EQ(
        fixture::normalize_error("deezer", json{{"tracks", {{"data", json::array()}}}}, "albums")
            .first,
        "22P02");
    EXPECT_EQ(fixture::normalize_error("deezer", json::array(), "albums").first, "22P02");
    auto category = fixture::normalize_error("deezer", json{{"data", json::array()}}, "playlists");
    EXPECT_EQ(category.first, "22023");
    EXPECT_EQ(category.second,
              "Deezer category must be \"albums\", \"tracks\" or \"artists\", not \"playlists\"");
    EXPECT_EQ(normalized("deezer", json{{"data", json::array()}, {"total", 0}}, "tracks"),
              json::array());
}

TEST(NormalizeDeezer, MissingAndWrongTypedFields) {
    json album = one(json::parse(R"({"id":1,"title":"A","cover":"https://x/c","cover_small":"",
        "cover_big":"https://x/big","cover_xl":null,"artist":"someone"})"),
                     "albums");
    EXPECT_EQ(album["images"]["primary"], "https://x/c");  // cover_medium || cover
    EXPECT_EQ(album["images"]["thumbnail"], "https://x/c");
    EXPECT_EQ(album["images"]["gallery"], json::array({"https://x/big"}));
    EXPECT_EQ(album["details"], json::parse(R"({"artist":null,"artistId":null,"recordType":null,
        "trackCount":null,"explicit":false,"position":1})"));

    json track =
        one(json{{"id", 2}, {"title", "T"}, {"duration", 59}, {"explicit_lyrics", "no"}}, "tracks");
    EXPECT_EQ(track["images"], json::parse(R"({"primary":null,"thumbnail":null,"gallery":[]})"));
    EXPECT_EQ(track["details"]["durationFormatted"], "0:59");
    EXPECT_EQ(track["details"]["explicit"], false);  // not a boolean: as absent, not explicit
    EXPECT_EQ(track["details"]["albumId"], nullptr);
    EXPECT_EQ(one(json{{"id", 2}, {"title", "T"}, {"duration", 600}},
                  "tracks")["details"]["durationFormatted"],
              "10:00");
    EXPECT_EQ(
        one(json{{"id", 2}, {"title", "T"}, {"duration", "3:00"}}, "tracks")["details"]["duration"],
        nullptr);
    // Deezer's 0 is "not known" for a rank or a duration: null, as Tako writes it.
    EXPECT_EQ(one(json{{"id", 2}, {"title", "T"}, {"rank", 0}}, "tracks")["details"]["rank"],
              nullptr);
    json no_length = one(json{{"id", 2}, {"title", "T"}, {"duration", 0}, {"rank", 5}}, "tracks");
    EXPECT_EQ(no_length["details"]["duration"], nullptr);
    EXPECT_EQ(no_length["details"]["durationFormatted"], nullptr);
    EXPECT_EQ(no_length["details"]["rank"], 5);
    EXPECT_EQ(no_length["details"]["explicit"], false);  // no explicit_lyrics: not explicit
    json huge = one(json{{"id", 2}, {"title", "T"}, {"duration", 1e300}}, "tracks");
    EXPECT_EQ(huge["details"]["duration"], 1e300);
    EXPECT_EQ(huge["details"]["durationFormatted"], nullptr);
    EXPECT_EQ(one(json{{"id", 2}, {"title", "T"}, {"duration", -5}},
                  "tracks")["details"]["durationFormatted"],
              nullptr);

    json artist = one(json{{"id", 3}, {"name", "N"}, {"nb_album", 0}, {"nb_fan", 12}}, "artists");
    EXPECT_EQ(artist["details"], json::parse(R"({"nbAlbums":null,"nbFans":12,"position":1})"));
    EXPECT_EQ(
        one(json{{"id", 3}, {"title", "A"}, {"nb_tracks", 0}}, "albums")["details"]["trackCount"],
        nullptr);
    EXPECT_EQ(artist["images"]["gallery"], json::array());
    // One size only: both images use it, whichever it is (Tako's fallbacks).
    json small_only =
        one(json{{"id", 4}, {"title", "S"}, {"cover_small", "https://x/s"}}, "albums");
    EXPECT_EQ(small_only["images"]["primary"], "https://x/s");
    EXPECT_EQ(small_only["images"]["thumbnail"], "https://x/s");
    json medium_only =
        one(json{{"id", 5}, {"name", "M"}, {"picture_medium", "https://x/m"}}, "artists");
    EXPECT_EQ(medium_only["images"]["primary"], "https://x/m");
    EXPECT_EQ(medium_only["images"]["thumbnail"], "https://x/m");
}

TEST(NormalizeDeezer, SkipsEntriesAndKeepsListPositions) {
    json items =
        normalized("deezer", json::parse(R"({"data":[{"id":1,"title":"track","type":"track"},
        {"id":2,"title":"untyped"},{"title":"no id"},{"id":4,"title":"playlist","type":"playlist"},
        {"id":5,"name":"no title"},{"id":6,"title":"sixth","type":"album"}]})"),
                   "albums");
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0]["id"], "deezer:2");
    EXPECT_EQ(items[0]["details"]["position"], 2);
    EXPECT_EQ(items[1]["id"], "deezer:6");
    EXPECT_EQ(items[1]["details"]["position"], 6);
}

}  // namespace
}  // namespace tako
