// Every recorded response in test/fixtures goes through its provider's normalizer: a list gives
// valid Format B items (as many as stated here), anything else a 22P02 error; a Jikan pictures
// response gives its backdrop. A fixture added without a line here fails the test, so none is
// left untested. Field-level checks are in normalize_{provider}_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "core/normalize/jikan_pictures.hpp"
#include "fixture.hpp"

namespace tako {
namespace {

constexpr int kRejected = -1;

struct Expectation {
    const char *file;  // under test/fixtures; the directory is the provider
    const char *category;
    int items;  // kRejected: normalize_list throws 22P02
};

const Expectation kFixtures[] = {
    {"deezer/chart-0-albums__deezer-python.json", "albums", 10},
    {"deezer/chart-0-artists__deezer-python.json", "artists", 10},
    {"deezer/chart-0-playlists__deezer-python.json", "albums", 0},  // playlists are skipped
    {"deezer/chart-0-podcasts__deezer-python.json", "tracks", 0},   // podcasts are skipped
    {"deezer/chart-0-tracks__deezer-python.json", "tracks", 10},
    {"deezer/chart-0__deezer-python.json", "artists", 10},  // whole chart: the artists section
    {"deezer/chart-106-tracks__deezer-python.json", "tracks", 10},
    {"deezer/chart-106__deezer-python.json", "tracks", 10},
    {"deezer/error-album-not-found__deezer-python.json", "albums", kRejected},
    {"igdb/covers-list__henry-sarabia-igdb.json", "", 0},  // covers, not games
    {"igdb/games-get-by-id__henry-sarabia-igdb.json", "", 1},
    {"igdb/games-list__henry-sarabia-igdb.json", "", 5},
    {"igdb/games-search__henry-sarabia-igdb.json", "", 5},
    {"igdb/release-dates-list__henry-sarabia-igdb.json", "", 0},  // release dates, not games
    {"itunes/legacy-rss-topalbums-limit2__front-end-challenge.json", "album", 2},
    {"itunes/rss-v1-top-albums-50__applemusictopalbums.json", "album", 38},
    {"itunes/rss-v2-most-played-10-albums__unittestingdemo-swift.json", "album", 10},
    {"jikan/error-404-anime__jikanpy.json", "anime", kRejected},
    {"jikan/schedules-monday-b__jikanpy.json", "monday", 10},
    {"jikan/schedules-monday__jikanpy.json", "monday", 9},
    {"jikan/schedules-monday__reactive-jikan.json", "monday", 1},
    {"jikan/seasons-now__jikanpy.json", "all", 25},
    {"jikan/seasons-now__reactive-jikan.json", "all", 1},
    {"jikan/seasons-upcoming__jikanpy.json", "all", 25},
    {"jikan/seasons-upcoming__reactive-jikan.json", "all", 1},
    {"jikan/top-anime-type-tv__jikanpy.json", "anime", 25},
    {"jikan/top-anime__reactive-jikan.json", "anime", 1},
    {"jikan/top-manga__reactive-jikan.json", "manga", 1},
    {"rawg/games__rawgclient-cs.json", "", 20},
    {"tmdb/configuration__themoviedbapi-java.json", "movie", kRejected},
    {"tmdb/error-invalid-api-key__tmdb-api-rs.json", "movie", kRejected},
    {"tmdb/error-resource-not-found__tmdb-api-rs.json", "movie", kRejected},
    {"tmdb/movie-now-playing__tmdb-api-rs.json", "movie", 20},
    {"tmdb/movie-popular__themoviedbapi-java.json", "movie", 20},
    {"tmdb/movie-popular__tmdb-api-rs.json", "movie", 20},
    {"tmdb/movie-top-rated__tmdb-api-rs.json", "movie", 20},
    {"tmdb/movie-upcoming__themoviedbapi-java.json", "movie", 20},
    {"tmdb/movie-upcoming__tmdb-api-rs.json", "movie", 20},
    {"tmdb/trending-all-week__themoviedbapi-java.json", "movie", 2},  // the person is skipped
    {"tmdb/trending-movie-week__themoviedbapi-java.json", "movie", 20},
    {"tmdb/trending-tv-week__themoviedbapi-java.json", "tv", 20},
    {"tmdb/tv-airing-today__themoviedbapi-java.json", "tv", 20},
    {"tmdb/tv-on-the-air__themoviedbapi-java.json", "tv", 20},
    {"tmdb/tv-popular__themoviedbapi-java.json", "tv", 20},
    {"tmdb/tv-popular__tmdb-api-rs.json", "tv", 20},
};

// GET /anime/{id}/pictures recordings (normalize_jikan_pictures): the backdrop each gives.
struct PicturesExpectation {
    const char *file;
    const char *backdrop;
};

const PicturesExpectation kPictures[] = {
    {"jikan/anime-pictures__reactive-jikan.json",
     "https://cdn.myanimelist.net/images/anime/8/36343l.jpg"},
};

TEST(NormalizeFixtures, EveryFixtureIsListedHere) {
    namespace fs = std::filesystem;
    std::set<std::string> listed;
    for (const Expectation &e : kFixtures) listed.insert(e.file);
    for (const PicturesExpectation &e : kPictures) listed.insert(e.file);
    std::set<std::string> found;
    for (const auto &entry : fs::recursive_directory_iterator(TAKO_FIXTURES_DIR))
        if (entry.is_regular_file() && entry.path().extension() == ".json")
            found.insert(entry.path().lexically_relative(TAKO_FIXTURES_DIR).generic_string());
    for (const std::string &file : found)
        EXPECT_EQ(listed.count(file), 1u) << file << " has no expectation in this test";
    for (const std::string &file : listed) EXPECT_EQ(found.count(file), 1u) << file << " is gone";
}

TEST(NormalizeFixtures, EachGivesValidItemsOrA22P02) {
    for (const Expectation &e : kFixtures) {
        SCOPED_TRACE(e.file);
        const std::string file = e.file;
        const std::string provider = file.substr(0, file.find('/'));
        const nlohmann::json raw = fixture::load(file);
        if (e.items == kRejected) {
            EXPECT_EQ(fixture::normalize_error(provider, raw, e.category).first, "22P02");
            continue;
        }
        nlohmann::json items = fixture::normalized(provider, raw, e.category);
        EXPECT_EQ(items.size(), static_cast<std::size_t>(e.items));
        for (const nlohmann::json &item : items) EXPECT_EQ(item["source"], provider);
    }
}

TEST(NormalizeFixtures, EachPicturesRecordingGivesItsBackdrop) {
    for (const PicturesExpectation &e : kPictures) {
        SCOPED_TRACE(e.file);
        EXPECT_EQ(normalize_jikan_pictures(fixture::load(e.file)), std::string(e.backdrop));
    }
}

}  // namespace
}  // namespace tako
