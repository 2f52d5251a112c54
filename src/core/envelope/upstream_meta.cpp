#include "core/cpp_only.hpp"

#include "core/envelope/upstream_meta.hpp"

#include <ctime>
#include <map>
#include <utility>

#include "core/normalize/item.hpp"

namespace tako {

namespace {

using nlohmann::json;
using normalize::get;

// A non-negative integer as upstream sent it, else null (upstream JSON is never trusted).
json count(const json &value) {
    if (value.is_number_unsigned()) return value;
    if (value.is_number_integer() && value.get<std::int64_t>() >= 0) return value;
    return nullptr;
}

void put(json &meta, const char *name, json value) {
    if (!value.is_null()) meta[name] = std::move(value);
}

// The season most of the items belong to ({"fall", 2022}), for a seasonal Jikan list; Jikan's
// /seasons answers carry no season of their own (Tako's raw.season is always undefined).
void jikan_season(json &meta, const json &items) {
    std::map<std::pair<std::string, std::int64_t>, int> seen;
    for (const json &item : normalize::array(items)) {
        const json &season = get(item, "season"), &year = get(item, "year");
        if (season.is_string() && year.is_number_integer())
            ++seen[{season.get<std::string>(), year.get<std::int64_t>()}];
    }
    const std::pair<const std::pair<std::string, std::int64_t>, int> *best = nullptr;
    for (const auto &entry : seen)
        if (!best || entry.second > best->second) best = &entry;
    if (!best) return;
    meta["season"] = best->first.first;
    meta["year"] = best->first.second;
}

}  // namespace

std::string iso8601_ms(std::int64_t unix_us) {
    std::int64_t seconds = unix_us / 1000000;
    std::int64_t micros = unix_us % 1000000;
    if (micros < 0) {
        micros += 1000000;
        --seconds;
    }
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm parts{};
    gmtime_r(&t, &parts);
    char text[40];
    std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
    std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(micros / 1000));
    return text;
}

json upstream_meta(const ParsedKey &key, const json &raw, const std::string &tmdb_language,
                   std::int64_t fetched_unix_us) {
    json meta = json::object();
    meta["fetchedAt"] = iso8601_ms(fetched_unix_us);
    const std::string_view provider = key.provider();
    if (provider == "tmdb") {
        put(meta, "total", count(get(raw, "total_results")));
        put(meta, "page", count(get(raw, "page")));
        put(meta, "totalPages", count(get(raw, "total_pages")));
        if (!tmdb_language.empty()) meta["lang"] = tmdb_language;
    } else if (provider == "jikan") {
        const json &pagination = get(raw, "pagination");
        put(meta, "total", count(get(get(pagination, "items"), "total")));
        put(meta, "page", count(get(pagination, "current_page")));
        put(meta, "perPage", count(get(get(pagination, "items"), "per_page")));
        put(meta, "hasMore", normalize::boolean(get(pagination, "has_next_page")));
        if (key.endpoint() == "trending") jikan_season(meta, get(raw, "data"));
    } else if (provider == "deezer") {
        put(meta, "total", count(get(raw, "total")));
    } else if (provider == "itunes") {
        const json &updated = get(get(raw, "feed"), "updated");
        // RSS v1 wraps it ({"label": ...}); the v2 feeds send the string itself.
        put(meta, "updated",
            normalize::text(updated.is_object() ? get(updated, "label") : updated));
    }
    return meta;
}

}  // namespace tako
