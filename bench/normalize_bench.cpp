// Throughput of the C++ normalizers on the recorded fixtures, beside its baseline in the same run:
// parsing the same bytes with nlohmann::json alone. Prints one line per fixture:
//   <fixture> <bytes> <items> <parse MB/s> <parse+normalize+validate MB/s> <items/s> <ratio>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/format_b.hpp"
#include "core/normalize/normalize.hpp"

namespace {

struct Case {
    const char *file, *provider, *endpoint, *category;
};

const Case kCases[] = {
    {"tmdb/trending-movie-week__themoviedbapi-java.json", "tmdb", "trending", "movie"},
    {"tmdb/tv-popular__tmdb-api-rs.json", "tmdb", "popular", "tv"},
    {"jikan/top-anime-type-tv__jikanpy.json", "jikan", "top", "anime"},
    {"jikan/seasons-now__jikanpy.json", "jikan", "trending", "anime"},
    {"rawg/games__rawgclient-cs.json", "rawg", "popular", ""},
    {"igdb/games-search__henry-sarabia-igdb.json", "igdb", "popular", ""},
    {"deezer/chart-0-tracks__deezer-python.json", "deezer", "charts", "tracks"},
    {"itunes/legacy-rss-topalbums-limit2__front-end-challenge.json", "itunes", "charts", "album"},
};

template <typename Fn>
double seconds_for(int iterations, Fn &&fn) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) fn();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char **argv) {
    const std::string dir = argc > 1 ? argv[1] : "test/fixtures";
    const double budget = argc > 2 ? std::stod(argv[2]) : 1.0;  // seconds per measurement
    for (const Case &c : kCases) {
        std::ifstream in(dir + "/" + c.file, std::ios::binary);
        std::stringstream buffer;
        buffer << in.rdbuf();
        const std::string text = buffer.str();
        std::size_t items = 0;
        auto normalize = [&] {
            nlohmann::json items_json = tako::normalize_list(c.provider, c.endpoint, nlohmann::json::parse(text), c.category);
            tako::validate_items(items_json, c.provider);
            items = items_json.size();
        };
        normalize();
        // Enough iterations to fill the budget, measured on a short calibration run.
        int iterations = std::max(1, static_cast<int>(budget / std::max(1e-6, seconds_for(20, normalize) / 20)));
        double parse_s = seconds_for(iterations, [&] { volatile auto j = nlohmann::json::parse(text).size(); (void)j; });
        double full_s = seconds_for(iterations, normalize);
        double mb = text.size() * static_cast<double>(iterations) / 1e6;
        std::printf("%s %zu %zu %.1f %.1f %.0f %.2f\n", c.file, text.size(), items, mb / parse_s, mb / full_s,
                    items * iterations / full_s, parse_s / full_s);
    }
    return 0;
}
