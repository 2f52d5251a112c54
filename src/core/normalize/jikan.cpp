// Jikan v4 list responses {pagination, data[]} → anime / manga items (docs/items.md),
// without defects 36 (position null outside the top lists) and 38 (year in local time).
//
// Like Tako, fields copied from Jikan as they are (`titleEnglish: raw.title_english`) are left out
// when Jikan did not send them: Tako's JSON.stringify drops undefined values. A value of the wrong
// type is null (Tako would copy it).
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
    std::string_view label_fr;  // Tako's own labels (its locale is fr-FR)
    std::string_view label_en;  // MyAnimeList's
    int min_age;
};

// MyAnimeList's six age ratings, as Jikan spells them.
constexpr std::array<MalRating, 6> kMalRatings = {{
    {"G - All Ages", "G", "Tous publics", "All Ages", 0},
    {"PG - Children", "PG", "Enfants", "Children", 0},
    {"PG-13 - Teens 13 or older", "PG-13", "13+", "13+", 13},
    {"R - 17+ (violence & profanity)", "R", "17+", "17+", 17},
    {"R+ - Mild Nudity", "R+", "17+ (nudit\u00e9 l\u00e9g\u00e8re)", "17+ (mild nudity)", 17},
    {"Rx - Hentai", "Rx", "Hentai (18+)", "Hentai (18+)", 18},
}};

using Reader = json (*)(const json &);

// out[key] = read(raw[raw_key]) when Jikan sent raw_key (even as null); nothing otherwise.
void copy(json &out, const char *key, const json &raw, std::string_view raw_key, Reader read) {
    if (!raw.is_object()) return;
    auto it = raw.find(raw_key);
    if (it != raw.end()) out[key] = read(*it);
}

// {code, label, minAge}; an unknown rating keeps Jikan's text as its label, in every locale.
json rating(const json &raw, Locale locale) {
    const json value = text(raw);
    if (value.is_null()) return nullptr;
    const std::string &label = value.get_ref<const std::string &>();
    for (const MalRating &known : kMalRatings)
        if (label == known.raw)
            return {{"code", known.code},
                    {"label", locale == Locale::EnUS ? known.label_en : known.label_fr},
                    {"minAge", known.min_age}};
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
        json e = json::object();
        copy(e, "id", entry, "mal_id", number);
        copy(e, "name", entry, "name", string_or_null);
        copy(e, "url", entry, "url", string_or_null);
        out.push_back(std::move(e));
    }
    return out;
}

json titles(const json &raw) {
    json out = json::array();
    for (const json &entry : array(raw)) {
        if (!entry.is_object()) continue;
        json t = json::object();
        copy(t, "type", entry, "type", string_or_null);
        copy(t, "title", entry, "title", string_or_null);
        out.push_back(std::move(t));
    }
    return out;
}

// {from, to, string} of `aired` / `published`: always an object, as Tako builds it, with the dates
// Jikan sent ({} when it sent none).
json period(const json &raw) {
    json out = json::object();
    copy(out, "from", raw, "from", string_or_null);
    copy(out, "to", raw, "to", string_or_null);
    copy(out, "string", raw, "string", string_or_null);
    return out;
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
    json out = json::object();
    copy(out, "day", raw, "day", string_or_null);
    copy(out, "time", raw, "time", string_or_null);
    copy(out, "timezone", raw, "timezone", string_or_null);
    copy(out, "string", raw, "string", string_or_null);
    return out;
}

json normalize_item(const json &raw, bool manga, std::size_t position, Locale locale) {
    const std::string id = id_string(get(raw, "mal_id"));
    const json title = text(get(raw, "title"));
    if (id.empty() || title.is_null()) return nullptr;

    const char *kind = manga ? "manga" : "anime";
    json item = make_item("jikan", kind, id, title.get<std::string>(),
                          "/api/anime-manga/jikan/" + std::string(kind) + "/" + id);
    const json &dates = get(raw, manga ? "published" : "aired");
    item["titleOriginal"] = text(get(raw, "title_japanese"));
    item["description"] = text(get(raw, "synopsis"));
    const json &year = get(raw, "year");  // the season's year; 0 is none (Tako's `year ||`)
    item["year"] = year.is_number_integer() && year != 0 ? year : utc_year_of(get(dates, "from"));
    item["images"] = images(raw);
    item["urls"]["source"] = text(get(raw, "url"));

    const json type = text(get(raw, "type"));
    json &d = item["details"];
    d["position"] = position;
    d["malId"] = number(get(raw, "mal_id"));
    d["resourceType"] = type.is_null() ? std::string(kind) : ascii_lower(type.get<std::string>());
    copy(d, "titleEnglish", raw, "title_english", string_or_null);
    d["titleAlternatives"] = titles(get(raw, "titles"));
    copy(d, "format", raw, "type", string_or_null);
    if (manga) {
        copy(d, "chapters", raw, "chapters", number);
        copy(d, "volumes", raw, "volumes", number);
        copy(d, "status", raw, "status", string_or_null);
        copy(d, "publishing", raw, "publishing", boolean);
        d["published"] = period(dates);
    } else {
        d["trailer"] = trailer(get(raw, "trailer"));
        copy(d, "sourceMaterial", raw, "source", string_or_null);
        copy(d, "episodes", raw, "episodes", number);
        copy(d, "status", raw, "status", string_or_null);
        copy(d, "airing", raw, "airing", boolean);
        d["aired"] = period(dates);
        copy(d, "duration", raw, "duration", string_or_null);
        d["rating"] = rating(get(raw, "rating"), locale);
    }
    copy(d, "score", raw, "score", number);
    // Early v4 manga responses spelled the score "scored" (fixture top-manga__reactive-jikan); Tako
    // reads only "score" (a deliberate difference, in the README).
    if (d.find("score") == d.end() || d["score"].is_null()) copy(d, "score", raw, "scored", number);
    copy(d, "scoredBy", raw, "scored_by", number);
    copy(d, "rank", raw, "rank", number);
    copy(d, "popularity", raw, "popularity", number);
    copy(d, "members", raw, "members", number);
    copy(d, "favorites", raw, "favorites", number);
    if (manga) {
        d["authors"] = entities(get(raw, "authors"));
        d["serializations"] = entities(get(raw, "serializations"));
    } else {
        copy(d, "season", raw, "season", string_or_null);
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

json normalize_jikan(const json &raw, std::string_view category, const NormalizeOptions &options) {
    // Every Jikan family lists anime (category is a type filter or a day) except the manga top.
    const bool manga = category == "manga";
    const json &data = get(raw, "data");
    if (!data.is_array()) throw_unexpected("Jikan", "no \"data\" array");

    json items = json::array();
    for (std::size_t i = 0; i < data.size(); ++i) {
        // The rank in this list, counting skipped entries, so positions match the upstream order.
        json item = normalize_item(data[i], manga, i + 1, options.locale);
        if (!item.is_null()) items.push_back(std::move(item));
    }
    return items;
}

}  // namespace tako
