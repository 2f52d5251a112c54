// Deezer chart responses → music_album / music_track / music_artist items (docs/items.md),
// with decision D4 of docs/decisions.md: images.gallery holds URL strings, not {size, url} objects.
//
// Counts and lengths where Deezer's 0 means "not known" (a track's duration and rank, an album's
// track count, an artist's albums and fans) are null, as Tako writes them (`x || null`); a track
// or album without explicit_lyrics is not explicit (false).
//
// Accepts a chart section, GET /chart/{genre}/{albums|tracks|artists} → {data[], total}, and the
// whole chart, GET /chart/{genre} → {tracks:{data}, albums:{data}, artists:{data}, ...}, from which
// the category's section is taken. Deezer's errors come with HTTP 200 as {"error": {...}}; they are
// turned into errors by normalize_list before this file sees them.
#include "core/cpp_only.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/normalize/item.hpp"
#include "core/normalize/providers.hpp"

namespace tako {

namespace {

using namespace normalize;

enum class Kind { Album, Track, Artist };

struct KindInfo {
    std::string_view section;    // the whole chart's member, and the category
    std::string_view item_type;  // Deezer's own "type" of the entries
    std::string_view tako_type;
    std::string_view detail;  // urls.detail prefix
};

KindInfo info(Kind kind) {
    switch (kind) {
        case Kind::Album:
            return {"albums", "album", "music_album", "/api/music/deezer/albums/"};
        case Kind::Artist:
            return {"artists", "artist", "music_artist", "/api/music/deezer/artists/"};
        default:
            return {"tracks", "track", "music_track", "/api/music/deezer/tracks/"};
    }
}

// {prefix}_small, _medium, _big, _xl: every size Deezer offers, small to large.
json gallery(const json &raw, const std::string &prefix) {
    json out = json::array();
    for (const char *size : {"_small", "_medium", "_big", "_xl"}) {
        json url = text(get(raw, prefix + size));
        if (!url.is_null()) out.push_back(std::move(url));
    }
    return out;
}

// "deezer:{id}" of a nested artist or album, null without an id.
json ref_id(const json &raw) {
    const std::string id = id_string(get(raw, "id"));
    return id.empty() ? json(nullptr) : json("deezer:" + id);
}

// The number, or null when it is absent or 0.
json nonzero(const json &value) {
    json n = number(value);
    return n == 0 ? json(nullptr) : n;
}

// The boolean, false when absent.
json flag(const json &value) {
    json b = boolean(value);
    return b.is_null() ? json(false) : b;
}

// m:ss, as Tako formats track durations; null for no duration (absent or 0).
json duration_text(const json &seconds) {
    const double value = seconds.is_number() ? seconds.get<double>() : -1;
    if (!(value > 0 && value < 1e12)) return nullptr;  // not a track length
    const auto total = static_cast<long long>(std::floor(value));
    const long long rest = total % 60;
    return std::to_string(total / 60) + ":" + (rest < 10 ? "0" : "") + std::to_string(rest);
}

json normalize_item(const json &raw, Kind kind, std::size_t position) {
    const KindInfo k = info(kind);
    // A chart section only holds its own kind; anything else (a playlist in albums) is not ours.
    const json &own_type = get(raw, "type");
    if (own_type.is_string() && own_type != k.item_type) return nullptr;

    const std::string id = id_string(get(raw, "id"));
    const json title = text(get(raw, kind == Kind::Artist ? "name" : "title"));
    if (id.empty() || title.is_null()) return nullptr;

    json item =
        make_item("deezer", k.tako_type, id, title.get<std::string>(), std::string(k.detail) + id);
    item["urls"]["source"] = text(get(raw, "link"));
    json &images = item["images"];
    json &d = item["details"];
    const json &artist = get(raw, "artist");
    switch (kind) {
        case Kind::Album:
            // Medium, else the plain cover, else small (and the reverse for the thumbnail), as
            // Tako.
            images["primary"] =
                first_text(get(raw, "cover_medium"), get(raw, "cover"), get(raw, "cover_small"));
            images["thumbnail"] =
                first_text(get(raw, "cover_small"), get(raw, "cover"), get(raw, "cover_medium"));
            images["gallery"] = gallery(raw, "cover");
            d["artist"] = text(get(artist, "name"));
            d["artistId"] = ref_id(artist);
            d["recordType"] = text(get(raw, "record_type"));
            d["trackCount"] = nonzero(get(raw, "nb_tracks"));
            d["explicit"] = flag(get(raw, "explicit_lyrics"));
            break;
        case Kind::Artist:
            images["primary"] = first_text(get(raw, "picture_medium"), get(raw, "picture"),
                                           get(raw, "picture_small"));
            images["thumbnail"] = first_text(get(raw, "picture_small"), get(raw, "picture"),
                                             get(raw, "picture_medium"));
            images["gallery"] = gallery(raw, "picture");
            d["nbAlbums"] = nonzero(get(raw, "nb_album"));
            d["nbFans"] = nonzero(get(raw, "nb_fan"));
            break;
        case Kind::Track: {
            const json &album = get(raw, "album");
            images["primary"] = first_text(get(album, "cover_medium"), get(album, "cover"));
            images["thumbnail"] = first_text(get(album, "cover_small"), get(album, "cover"));
            d["artist"] = text(get(artist, "name"));
            d["artistId"] = ref_id(artist);
            d["album"] = text(get(album, "title"));
            d["albumId"] = ref_id(album);
            d["duration"] = nonzero(get(raw, "duration"));
            d["durationFormatted"] = duration_text(get(raw, "duration"));
            d["preview"] = text(get(raw, "preview"));
            d["explicit"] = flag(get(raw, "explicit_lyrics"));
            d["rank"] = nonzero(get(raw, "rank"));
            break;
        }
    }
    d["position"] = position;
    return item;
}

}  // namespace

json normalize_deezer(const json &raw, std::string_view category) {
    Kind kind;
    if (category.empty() || category == "albums")  // the families' default
        kind = Kind::Album;
    else if (category == "tracks")
        kind = Kind::Track;
    else if (category == "artists")
        kind = Kind::Artist;
    else
        throw_invalid("Deezer category must be \"albums\", \"tracks\" or \"artists\", not " +
                      quote_for_message(category));

    const std::string section(info(kind).section);
    const json *data = &get(raw, "data");
    if (!data->is_array()) data = &get(get(raw, section), "data");
    if (!data->is_array())
        throw_unexpected("Deezer", "no \"data\" array (nor a \"" + section + "\" chart section)");

    json items = json::array();
    for (std::size_t i = 0; i < data->size(); ++i) {
        // Tako's position is the index in the list, not Deezer's own "position" field.
        json item = normalize_item((*data)[i], kind, i + 1);
        if (!item.is_null()) items.push_back(std::move(item));
    }
    return items;
}

}  // namespace tako
