// TMDB list responses {page, results[], total_pages, total_results} → movie / series items
// (docs/items.md), with decisions D1 (UTC years) and D2 (0 ratings kept) of docs/decisions.md.
#include "core/cpp_only.hpp"

#include "core/error.hpp"
#include "core/normalize/item.hpp"
#include "core/normalize/providers.hpp"

namespace tako {

namespace {

using namespace normalize;

enum class Kind { Movie, Series };

json image_url(const json &path, std::string_view size) {
    std::string p = str(path);
    if (p.empty()) return nullptr;
    if (p.front() != '/') p.insert(p.begin(), '/');
    return "https://image.tmdb.org/t/p/" + std::string(size) + p;
}

// {average, voteCount}, or null only when there is no vote_average at all: an unrated title has
// vote_average 0, which is a real value (Tako's `vote_average ? … : null` lost it).
json rating(const json &raw) {
    const json average = number(get(raw, "vote_average"));
    if (average.is_null()) return nullptr;
    return {{"average", average}, {"voteCount", number(get(raw, "vote_count"))}};
}

json normalize_item(const json &raw, Kind kind) {
    const std::string id = id_string(get(raw, "id"));
    const json title = text(get(raw, kind == Kind::Movie ? "title" : "name"));
    if (id.empty() || title.is_null()) return nullptr;

    const bool movie = kind == Kind::Movie;
    json item = make_item("tmdb", movie ? "movie" : "series", id, title.get<std::string>(),
                          (movie ? "/api/media/tmdb/movies/" : "/api/media/tmdb/series/") + id);
    const json &date = get(raw, movie ? "release_date" : "first_air_date");
    item["titleOriginal"] = text(get(raw, movie ? "original_title" : "original_name"));
    item["description"] = text(get(raw, "overview"));
    item["year"] = utc_year_of(date);

    json &images = item["images"];
    images["primary"] = image_url(get(raw, "poster_path"), "w500");
    images["thumbnail"] = image_url(get(raw, "poster_path"), "w185");
    json backdrop = image_url(get(raw, "backdrop_path"), "w1280");
    if (!backdrop.is_null()) images["gallery"].push_back(std::move(backdrop));

    item["urls"]["source"] =
        "https://www.themoviedb.org/" + std::string(movie ? "movie/" : "tv/") + id;

    json &details = item["details"];
    details["mediaType"] = movie ? "movie" : "tv";
    details[movie ? "releaseDate" : "firstAirDate"] = text(date);
    details["genreIds"] = numbers(get(raw, "genre_ids"));
    details["rating"] = rating(raw);
    details["popularity"] = number(get(raw, "popularity"));
    details["originalLanguage"] = text(get(raw, "original_language"));
    if (movie) {
        const json adult = boolean(get(raw, "adult"));
        details["adult"] = adult.is_null() ? json(false) : adult;
    } else {
        details["originalCountry"] = strings(get(raw, "origin_country"));
    }
    return item;
}

}  // namespace

json normalize_tmdb(const json &raw, std::string_view category) {
    // Lists without media_type (popular, top_rated, discover, on_the_air...) are of the category's
    // kind; an empty category is the families' default, movie.
    Kind list_kind;
    if (category.empty() || category == "movie")
        list_kind = Kind::Movie;
    else if (category == "tv")
        list_kind = Kind::Series;
    else
        throw_invalid("TMDB category must be \"movie\" or \"tv\", not " +
                      quote_for_message(category));

    const json &results = get(raw, "results");
    if (!results.is_array()) throw_unexpected("TMDB", "no \"results\" array");

    json items = json::array();
    for (const json &entry : results) {
        // Trending lists say what each entry is; "all" mixes in people, which are not list items.
        Kind kind = list_kind;
        const json media_type = text(get(entry, "media_type"));
        if (!media_type.is_null()) {
            if (media_type == "movie")
                kind = Kind::Movie;
            else if (media_type == "tv")
                kind = Kind::Series;
            else
                continue;
        }
        json item = normalize_item(entry, kind);
        if (!item.is_null()) items.push_back(std::move(item));
    }
    return items;
}

}  // namespace tako
