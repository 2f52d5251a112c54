// IGDB /v4/games responses (a top-level JSON array of games) → videogame items (docs/items.md),
// with decision D6 of docs/decisions.md: platforms are names, not {id, abbreviation} objects, and
// every expandable field (cover, platforms, genres...) is read only when expanded; unexpanded ids,
// as in IGDB's default answer, are skipped.
#include "core/cpp_only.hpp"

#include <array>

#include "core/normalize/item.hpp"
#include "core/normalize/providers.hpp"

namespace tako {

namespace {

using namespace normalize;

// IGDB's game categories (game_type ids since 2024 are the same numbers).
constexpr std::array<std::string_view, 15> kCategories = {
    "main_game",     "dlc_addon", "expansion", "bundle", "standalone_expansion",
    "mod",           "episode",   "season",    "remake", "remaster",
    "expanded_game", "port",      "fork",      "pack",   "update"};

json image_url(const json &image_id, std::string_view size) {
    const json id = text(image_id);
    if (id.is_null()) return nullptr;
    return "https://images.igdb.com/igdb/image/upload/" + std::string(size) + "/" +
           id.get<std::string>() + ".jpg";
}

std::string category(const json &raw) {
    json value = get(raw, "category");
    if (value.is_null()) {
        value = get(raw, "game_type");
        if (value.is_object()) value = get(value, "id");  // expanded game_type {id, type}
    }
    if (value.is_number_integer()) {
        const auto n = value.get<std::int64_t>();  // a huge unsigned wraps negative: unknown
        if (n >= 0 && n < static_cast<std::int64_t>(kCategories.size()))
            return std::string(kCategories[static_cast<std::size_t>(n)]);
    }
    return "unknown";
}

json platforms(const json &raw) {
    json out = json::array();
    for (const json &platform : array(raw)) {
        json name = first_text(get(platform, "name"), get(platform, "abbreviation"));
        if (!name.is_null()) out.push_back(std::move(name));
    }
    return out;
}

// involved_companies[] {developer, publisher, company: {name}}: the names with `role` true.
json companies(const json &raw, std::string_view role) {
    json out = json::array();
    for (const json &involved : array(raw)) {
        if (get(involved, role) != true) continue;
        json name = text(get(get(involved, "company"), "name"));
        if (!name.is_null()) out.push_back(std::move(name));
    }
    return out;
}

json screenshots(const json &raw) {
    json out = json::array();
    for (const json &shot : array(raw)) {
        json url = image_url(get(shot, "image_id"), "t_screenshot_big");
        if (!url.is_null()) out.push_back(std::move(url));
    }
    return out;
}

json normalize_item(const json &raw) {
    const std::string id = id_string(get(raw, "id"));
    const json title = text(get(raw, "name"));
    if (id.empty() || title.is_null()) return nullptr;

    json item = make_item("igdb", "videogame", id, title.get<std::string>(),
                          "/api/videogames/igdb/game/" + id);
    item["description"] = text(get(raw, "summary"));
    // year and releaseDate come from the same UTC date, so they always agree (docs/decisions.md,
    // D1).
    const std::optional<CivilDate> released = utc_date_from_unix(get(raw, "first_release_date"));
    if (released) item["year"] = released->year;

    const json &cover_id = get(get(raw, "cover"), "image_id");
    item["images"]["primary"] = image_url(cover_id, "t_cover_big");
    item["images"]["thumbnail"] = image_url(cover_id, "t_thumb");

    const json slug = text(get(raw, "slug"));
    const json url = text(get(raw, "url"));
    if (!url.is_null() && url.get<std::string>().rfind("https://", 0) == 0)
        item["urls"]["source"] = url;
    else if (!slug.is_null())
        item["urls"]["source"] = "https://www.igdb.com/games/" + slug.get<std::string>();

    const json rating = number(get(raw, "total_rating"));
    const json rating_count = number(get(raw, "total_rating_count"));
    json &d = item["details"];
    d["slug"] = slug;
    d["releaseDate"] = released ? json(iso_date(*released)) : json(nullptr);
    d["rating"] = rating.is_null() ? json(nullptr) : tenths(rating.get<double>() * 10);
    d["ratingCount"] = rating_count.is_null() ? json(0) : rating_count;
    d["platforms"] = platforms(get(raw, "platforms"));
    d["genres"] = names(get(raw, "genres"));
    d["themes"] = names(get(raw, "themes"));
    d["gameModes"] = names(get(raw, "game_modes"));
    d["developers"] = companies(get(raw, "involved_companies"), "developer");
    d["publishers"] = companies(get(raw, "involved_companies"), "publisher");
    d["screenshots"] = screenshots(get(raw, "screenshots"));
    d["category"] = category(raw);
    d["hypes"] = number(get(raw, "hypes"));
    d["follows"] = number(get(raw, "follows"));
    return item;
}

}  // namespace

json normalize_igdb(const json &raw) {
    if (!raw.is_array()) throw_unexpected("IGDB", "not a JSON array of games");
    json items = json::array();
    for (const json &entry : raw) {
        json item = normalize_item(entry);
        if (!item.is_null()) items.push_back(std::move(item));
    }
    return items;
}

}  // namespace tako
