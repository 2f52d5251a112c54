// Jikan v4 list responses {pagination, data[]} → anime / manga items (contract §3.2 "Jikan"),
// without defects 36 (position null outside the top lists) and 38 (year in local time).
#include "core/cpp_only.hpp"

#include <algorithm>
#include <array>

#include "core/normalize/item.hpp"
#include "core/normalize/providers.hpp"

namespace tako {

namespace {

using namespace normalize;

struct MalRating {
    std::string_view raw;
    std::string_view code;
    std::string_view label;
    int min_age;
};

// MyAnimeList's six age ratings, as Jikan spells them.
constexpr std::array<MalRating, 6> kMalRatings = {{
    {"G - All Ages", "G", "All Ages", 0},
    {"PG - Children", "PG", "Children", 0},
    {"PG-13 - Teens 13 or older", "PG-13", "13+", 13},
    {"R - 17+ (violence & profanity)", "R", "17+", 17},
    {"R+ - Mild Nudity", "R+", "17+ (mild nudity)", 17},
    {"Rx - Hentai", "Rx", "Hentai (18+)", 18},
}};

json rating(const json &raw) {
    const json value = text(raw);
    if (value.is_null()) return nullptr;
    const std::string &label = value.get_ref<const std::string &>();
    for (const MalRating &known : kMalRatings)
        if (label == known.raw)
            return {{"code", known.code}, {"label", known.label}, {"minAge", known.min_age}};
    return {{"code", "Unknown"}, {"label", label}, {"minAge", nullptr}};
}

// webp is preferred (smaller files), jpg otherwise; a webp object without URLs falls through to
// jpg rather than leaving the item without a picture.
json images(const json &raw) {
    const json &webp = get(get(raw, "images"), "webp");
    const json &jpg = get(get(raw, "images"), "jpg");
    json gallery = json::array();
    for (const json *url : {&get(webp, "large_image_url"), &get(webp, "image_url"),
                            &get(jpg, "large_image_url"), &get(jpg, "image_url")}) {
        json value = text(*url);
        if (!value.is_null() && std::find(gallery.begin(), gallery.end(), value) == gallery.end())
            gallery.push_back(std::move(value));
    }
    return {{"primary", first_text(get(webp, "large_image_url"), get(webp, "image_url"),
                                   get(jpg, "large_image_url"), get(jpg, "image_url"))},
            {"thumbnail", first_text(get(webp, "small_image_url"), get(webp, "image_url"),
                                     get(jpg, "small_image_url"), get(jpg, "image_url"))},
            {"gallery", std::move(gallery)}};
}

// Studios, genres, authors...: [{mal_id, type, name, url}] → [{id, name, url}].
json entities(const json &raw) {
    json out = json::array();
    for (const json &entry : array(raw)) {
        if (!entry.is_object()) continue;
        out.push_back({{"id", number(get(entry, "mal_id"))},
                       {"name", text(get(entry, "name"))},
                       {"url", text(get(entry, "url"))}});
    }
    return out;
}

json titles(const json &raw) {
    json out = json::array();
    for (const json &entry : array(raw)) {
        if (!entry.is_object()) continue;
        out.push_back({{"type", text(get(entry, "type"))}, {"title", text(get(entry, "title"))}});
    }
    return out;
}

// {from, to, string} of `aired` / `published`, or null when absent.
json period(const json &raw) {
    if (!raw.is_object()) return nullptr;
    return {{"from", text(get(raw, "from"))},
            {"to", text(get(raw, "to"))},
            {"string", text(get(raw, "string"))}};
}

json trailer(const json &raw) {
    if (!raw.is_object()) return nullptr;
    const json &images = get(raw, "images");
    json out = {{"url", text(get(raw, "url"))},
                {"embedUrl", text(get(raw, "embed_url"))},
                {"youtubeId", text(get(raw, "youtube_id"))},
                {"images", nullptr}};
    if (images.is_object())
        out["images"] = {{"default", text(get(images, "image_url"))},
                         {"small", text(get(images, "small_image_url"))},
                         {"medium", text(get(images, "medium_image_url"))},
                         {"large", text(get(images, "large_image_url"))},
                         {"maximum", text(get(images, "maximum_image_url"))}};
    return out;
}

json broadcast(const json &raw) {
    if (!raw.is_object()) return nullptr;
    return {{"day", text(get(raw, "day"))},
            {"time", text(get(raw, "time"))},
            {"timezone", text(get(raw, "timezone"))},
            {"string", text(get(raw, "string"))}};
}

json normalize_item(const json &raw, bool manga, std::size_t position) {
    const std::string id = id_string(get(raw, "mal_id"));
    const json title = text(get(raw, "title"));
    if (id.empty() || title.is_null()) return nullptr;

    const char *kind = manga ? "manga" : "anime";
    json item = make_item("jikan", kind, id, title.get<std::string>(),
                          "/api/anime-manga/jikan/" + std::string(kind) + "/" + id);
    const json &dates = get(raw, manga ? "published" : "aired");
    item["titleOriginal"] = text(get(raw, "title_japanese"));
    item["description"] = text(get(raw, "synopsis"));
    const json &year = get(raw, "year");
    item["year"] = year.is_number_integer() ? year : utc_year_of(get(dates, "from"));
    item["images"] = images(raw);
    item["urls"]["source"] = text(get(raw, "url"));

    const json type = text(get(raw, "type"));
    json &d = item["details"];
    d["position"] = position;
    d["malId"] = number(get(raw, "mal_id"));
    d["resourceType"] = type.is_null() ? std::string(kind) : ascii_lower(type.get<std::string>());
    d["titleEnglish"] = text(get(raw, "title_english"));
    d["titleAlternatives"] = titles(get(raw, "titles"));
    d["format"] = type;
    if (manga) {
        d["chapters"] = number(get(raw, "chapters"));
        d["volumes"] = number(get(raw, "volumes"));
        d["status"] = text(get(raw, "status"));
        d["publishing"] = boolean(get(raw, "publishing"));
        d["published"] = period(dates);
    } else {
        d["trailer"] = trailer(get(raw, "trailer"));
        d["sourceMaterial"] = text(get(raw, "source"));
        d["episodes"] = number(get(raw, "episodes"));
        d["status"] = text(get(raw, "status"));
        d["airing"] = boolean(get(raw, "airing"));
        d["aired"] = period(dates);
        d["duration"] = text(get(raw, "duration"));
        d["rating"] = rating(get(raw, "rating"));
    }
    // Early v4 manga responses spelled the score "scored" (fixture top-manga__reactive-jikan).
    const json score = number(get(raw, "score"));
    d["score"] = score.is_null() ? number(get(raw, "scored")) : score;
    d["scoredBy"] = number(get(raw, "scored_by"));
    d["rank"] = number(get(raw, "rank"));
    d["popularity"] = number(get(raw, "popularity"));
    d["members"] = number(get(raw, "members"));
    d["favorites"] = number(get(raw, "favorites"));
    if (manga) {
        d["authors"] = entities(get(raw, "authors"));
        d["serializations"] = entities(get(raw, "serializations"));
    } else {
        d["season"] = text(get(raw, "season"));
        d["studios"] = entities(get(raw, "studios"));
        d["producers"] = entities(get(raw, "producers"));
        d["licensors"] = entities(get(raw, "licensors"));
    }
    d["genres"] = entities(get(raw, "genres"));
    d["explicitGenres"] = entities(get(raw, "explicit_genres"));
    d["themes"] = entities(get(raw, "themes"));
    d["demographics"] = entities(get(raw, "demographics"));
    d["titleSynonyms"] = strings(get(raw, "title_synonyms"));
    if (!manga) d["broadcast"] = broadcast(get(raw, "broadcast"));
    return item;
}

}  // namespace

json normalize_jikan(const json &raw, std::string_view category) {
    // Every Jikan family lists anime (category is a type filter or a day) except the manga top.
    const bool manga = category == "manga";
    const json &data = get(raw, "data");
    if (!data.is_array()) throw_unexpected("Jikan", "no \"data\" array");

    json items = json::array();
    for (std::size_t i = 0; i < data.size(); ++i) {
        // The rank in this list, counting skipped entries, so positions match the upstream order.
        json item = normalize_item(data[i], manga, i + 1);
        if (!item.is_null()) items.push_back(std::move(item));
    }
    return items;
}

}  // namespace tako
