// Apple's chart feeds → music_album / music_track items (docs/items.md), with decisions
// 30 (song charts typed as albums) and 34 (urls.detail null).
//
// Two shapes are read: the legacy iTunes RSS JSON, {feed: {entry: [...]}} where every value is
// wrapped as {label, attributes} and a one-entry feed has a bare object for `entry`; and the RSS
// generator's (v1, and v2 at rss.applemarketingtools.com), {feed: {results: [...]}} with plain
// values. A feed without entries is an empty chart, not an error.
#include "core/cpp_only.hpp"

#include "core/error.hpp"
#include "core/normalize/item.hpp"
#include "core/normalize/providers.hpp"

namespace tako {

namespace {

using namespace normalize;

struct Kind {
    std::string_view tako_type;
    std::string_view detail;  // urls.detail prefix
};

constexpr Kind kAlbum = {"music_album", "/api/music/itunes/albums/"};
constexpr Kind kTrack = {"music_track", "/api/music/itunes/tracks/"};

// The legacy feed's {label: "..."} wrapper.
json label(const json &wrapped) {
    return text(get(wrapped, "label"));
}

// The entry's web page: `link` is one {attributes} object for albums but a list for songs
// (the page, then the audio preview as rel "enclosure").
json legacy_link(const json &link) {
    json fallback;
    for (const json &candidate : as_list(link)) {
        const json &attributes = get(candidate, "attributes");
        json href = text(get(attributes, "href"));
        if (href.is_null()) continue;
        if (get(attributes, "rel") == "alternate") return href;
        if (fallback.is_null()) fallback = std::move(href);
    }
    return fallback;
}

json legacy_item(const json &entry, const Kind &kind, std::size_t position) {
    const json &id_field = get(entry, "id");
    const std::string id = id_string(get(get(id_field, "attributes"), "im:id"));
    const json title =
        first_text(get(get(entry, "im:name"), "label"), get(get(entry, "title"), "label"));
    if (id.empty() || title.is_null()) return nullptr;

    json item = make_item("itunes", kind.tako_type, id, title.get<std::string>(),
                          std::string(kind.detail) + id);
    const json release = label(get(entry, "im:releaseDate"));
    item["year"] = utc_year_of(release);

    // Apple lists the artwork small to large (55, 60, 170 px); Tako shows the 170 px one as both
    // primary and thumbnail (the 55 px one is too small for a list), the largest there is when an
    // entry has fewer than three.
    json artwork = json::array();
    for (const json &image : as_list(get(entry, "im:image"))) {
        json url = label(image);
        if (!url.is_null()) artwork.push_back(std::move(url));
    }
    if (!artwork.empty()) {
        item["images"]["primary"] = artwork.size() > 2 ? artwork[2] : artwork.back();
        item["images"]["thumbnail"] = item["images"]["primary"];
    }
    json source = legacy_link(get(entry, "link"));
    item["urls"]["source"] = source.is_null() ? label(id_field) : source;

    json &d = item["details"];
    d["position"] = position;
    d["artist"] = label(get(entry, "im:artist"));
    d["genre"] = text(get(get(get(entry, "category"), "attributes"), "label"));
    d["releaseDate"] = release;
    d["price"] = label(get(entry, "im:price"));
    d["rights"] = label(get(entry, "rights"));
    return item;
}

json generator_item(const json &result, const Kind &kind, std::size_t position) {
    const std::string id = id_string(get(result, "id"));
    const json title = text(get(result, "name"));
    if (id.empty() || title.is_null()) return nullptr;

    json item = make_item("itunes", kind.tako_type, id, title.get<std::string>(),
                          std::string(kind.detail) + id);
    const json release = text(get(result, "releaseDate"));
    item["year"] = utc_year_of(release);
    item["images"]["primary"] = text(get(result, "artworkUrl100"));
    item["images"]["thumbnail"] = item["images"]["primary"];
    item["urls"]["source"] = text(get(result, "url"));

    json &d = item["details"];
    d["position"] = position;
    d["artist"] = text(get(result, "artistName"));
    const json &genres = array(get(result, "genres"));  // the first is the chart's genre
    d["genre"] = genres.empty() ? json(nullptr) : text(get(genres.front(), "name"));
    d["releaseDate"] = release;
    d["price"] = nullptr;  // the generator feeds carry no price
    d["rights"] = text(get(result, "copyright"));
    return item;
}

}  // namespace

json normalize_itunes(const json &raw, std::string_view category) {
    // "album" / "song", or the key's "{country}-{album|song}" chart part.
    const std::size_t dash = category.rfind('-');
    const std::string_view chart =
        dash == std::string_view::npos ? category : category.substr(dash + 1);
    const Kind *kind = nullptr;
    if (chart.empty() || chart == "album")
        kind = &kAlbum;
    else if (chart == "song")
        kind = &kTrack;
    else
        throw_invalid("iTunes category must be \"album\" or \"song\", not " +
                      quote_for_message(category));

    const json &feed = get(raw, "feed");
    if (!feed.is_object()) throw_unexpected("iTunes", "no \"feed\" object");

    json items = json::array();
    const json &results = get(feed, "results");
    if (results.is_array()) {
        for (std::size_t i = 0; i < results.size(); ++i) {
            json item = generator_item(results[i], *kind, i + 1);
            if (!item.is_null()) items.push_back(std::move(item));
        }
        return items;
    }
    const json entries = as_list(get(feed, "entry"));
    for (std::size_t i = 0; i < entries.size(); ++i) {
        json item = legacy_item(entries[i], *kind, i + 1);
        if (!item.is_null()) items.push_back(std::move(item));
    }
    return items;
}

}  // namespace tako
