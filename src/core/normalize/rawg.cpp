// RAWG /api/games responses {count, next, previous, results[]} → videogame items (docs/items.md).
// A 0 rating stays 0 (docs/decisions.md, D2; Tako's `rating ? … : null` lost it). Where RAWG's 0
// means "not known" (playtime, metacritic, rating_top) the item says what Tako says: null, null, 5.
#include "core/cpp_only.hpp"

#include "core/normalize/item.hpp"
#include "core/normalize/providers.hpp"

namespace tako {

namespace {

using namespace normalize;

constexpr std::size_t kMaxTags = 10;

json number_or(const json &value, json fallback) {
    json n = number(value);
    return n.is_null() ? fallback : n;
}

// The number, or `fallback` when it is absent or 0 (Tako's `x || fallback`).
json nonzero_or(const json &value, json fallback) {
    json n = number(value);
    return n.is_null() || n == 0 ? fallback : n;
}

// Names of [{<key>: {name}}] lists such as platforms[].platform.name and stores[].store.name.
json nested_names(const json &list, std::string_view key) {
    json out = json::array();
    for (const json &entry : array(list)) {
        json name = text(get(get(entry, key), "name"));
        if (!name.is_null()) out.push_back(std::move(name));
    }
    return out;
}

json normalize_item(const json &raw) {
    const std::string id = id_string(get(raw, "id"));
    const json title = text(get(raw, "name"));
    if (id.empty() || title.is_null()) return nullptr;

    json item = make_item("rawg", "videogame", id, title.get<std::string>(),
                          "/api/videogames/rawg/game/" + id);
    const json &released = get(raw, "released");
    item["year"] = utc_year_of(released);

    json &images = item["images"];
    images["primary"] = text(get(raw, "background_image"));
    images["thumbnail"] = images["primary"];
    for (const json &shot : array(get(raw, "short_screenshots"))) {
        json url = text(get(shot, "image"));
        if (!url.is_null()) images["gallery"].push_back(std::move(url));
    }

    const json slug = text(get(raw, "slug"));
    if (!slug.is_null())
        item["urls"]["source"] = "https://rawg.io/games/" + slug.get<std::string>();

    // RAWG rates 0-5; Tako shows 0-10 with one decimal: round(rating × 20) / 10.
    const json rating = number(get(raw, "rating"));
    json tags = names(get(raw, "tags"));
    if (tags.size() > kMaxTags) tags.erase(tags.begin() + kMaxTags, tags.end());

    json &d = item["details"];
    d["slug"] = slug;
    d["releaseDate"] = text(released);
    d["rating"] = rating.is_null() ? json(nullptr) : tenths(rating.get<double>() * 20);
    d["ratingTop"] = nonzero_or(get(raw, "rating_top"), 5);  // unrated games: 0
    d["ratingsCount"] = number_or(get(raw, "ratings_count"), 0);
    d["metacritic"] = nonzero_or(get(raw, "metacritic"), nullptr);  // 0: no Metacritic score
    d["playtime"] = nonzero_or(get(raw, "playtime"), nullptr);      // 0: nobody reported one
    d["platforms"] = nested_names(get(raw, "platforms"), "platform");
    d["genres"] = names(get(raw, "genres"));
    d["stores"] = nested_names(get(raw, "stores"), "store");
    d["tags"] = std::move(tags);
    d["esrbRating"] = text(get(get(raw, "esrb_rating"), "name"));
    d["added"] = number_or(get(raw, "added"), 0);
    d["updated"] = text(get(raw, "updated"));
    return item;
}

}  // namespace

json normalize_rawg(const json &raw) {
    const json &results = get(raw, "results");
    if (!results.is_array()) throw_unexpected("RAWG", "no \"results\" array");
    json items = json::array();
    for (const json &entry : results) {
        json item = normalize_item(entry);
        if (!item.is_null()) items.push_back(std::move(item));
    }
    return items;
}

}  // namespace tako
