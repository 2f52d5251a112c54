#include "core/cpp_only.hpp"

#include "core/families.hpp"

#include <algorithm>
#include <array>

namespace tako {

namespace {

constexpr int kHour = 3600;

Slot choice(std::string_view name, std::vector<std::string_view> values,
            std::string_view default_value) {
    return Slot{name, SlotKind::Choice, std::move(values), default_value, {}, {}};
}

Slot sfw_slot() {
    return Slot{"sfw", SlotKind::Choice, {"sfw", "nsfw", "all"}, {}, "all", {}};
}

Slot platforms_slot() {
    return Slot{"platforms", SlotKind::Platforms, {}, "all", {}, {}};
}

const std::vector<std::string_view> kJikanSeasonFilters = {"all",     "tv",  "movie", "ova",
                                                           "special", "ona", "music"};

std::vector<Family> make_families() {
    const auto tmdb_category = [] { return choice("category", {"movie", "tv"}, "movie"); };
    std::vector<Family> f;
    f.push_back({"tmdb",
                 "trending",
                 "tmdb:trending:{movie|tv}:{day|week}",
                 {tmdb_category(), choice("period", {"day", "week"}, "week")},
                 24 * kHour});
    f.push_back({"tmdb", "popular", "tmdb:popular:{movie|tv}", {tmdb_category()}, 24 * kHour});
    f.push_back({"tmdb", "top-rated", "tmdb:top-rated:{movie|tv}", {tmdb_category()}, 24 * kHour});
    f.push_back({"tmdb",
                 "upcoming",
                 "tmdb:upcoming:{movie|tv}[:on-the-air|:airing-today]",
                 {tmdb_category(),
                  Slot{"list", SlotKind::Choice, {"on-the-air", "airing-today"}, {}, {}, "tv"}},
                 6 * kHour});
    f.push_back({"jikan",
                 "top",
                 "jikan:top:{anime|manga|tv|movie}[:sfw|:nsfw]",
                 {choice("category", {"anime", "manga", "tv", "movie"}, "anime"), sfw_slot()},
                 24 * kHour});
    f.push_back({"jikan",
                 "trending",
                 "jikan:trending:{all|tv|movie|ova|special|ona|music}[:sfw|:nsfw]",
                 {choice("category", kJikanSeasonFilters, "all"), sfw_slot()},
                 24 * kHour});
    f.push_back({"jikan",
                 "upcoming",
                 "jikan:upcoming:{all|tv|movie|ova|special|ona|music}[:sfw|:nsfw]",
                 {choice("category", kJikanSeasonFilters, "all"), sfw_slot()},
                 6 * kHour});
    f.push_back({"jikan",
                 "schedule",
                 "jikan:schedule:{all|monday..sunday|unknown|other}",
                 {choice("day",
                         {"all", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                          "sunday", "unknown", "other"},
                         "all")},
                 12 * kHour});
    for (std::string_view provider : {std::string_view("rawg"), std::string_view("igdb")}) {
        const bool rawg = provider == "rawg";
        f.push_back(
            {provider,
             "popular",
             rawg ? "rawg:popular:{all|<platform ids>}" : "igdb:popular:{all|<platform ids>}",
             {platforms_slot()},
             24 * kHour});
        f.push_back(
            {provider,
             "trending",
             rawg ? "rawg:trending:{all|<platform ids>}" : "igdb:trending:{all|<platform ids>}",
             {platforms_slot()},
             24 * kHour});
        f.push_back(
            {provider,
             "upcoming",
             rawg ? "rawg:upcoming:{all|<platform ids>}" : "igdb:upcoming:{all|<platform ids>}",
             {platforms_slot()},
             6 * kHour});
    }
    f.push_back({"deezer",
                 "charts",
                 "deezer:charts:{albums|tracks|artists}",
                 {choice("category", {"albums", "tracks", "artists"}, "albums")},
                 24 * kHour});
    f.push_back({"itunes",
                 "charts",
                 "itunes:charts:{cc}-{album|song}",
                 {Slot{"chart", SlotKind::ItunesChart, {}, "fr-album", {}, {}}},
                 24 * kHour});
    return f;
}

// ISO 3166-1 alpha-2, officially assigned codes, sorted.
constexpr std::array<std::string_view, 249> kCountryCodes = {
    "ad", "ae", "af", "ag", "ai", "al", "am", "ao", "aq", "ar", "as", "at", "au", "aw", "ax", "az",
    "ba", "bb", "bd", "be", "bf", "bg", "bh", "bi", "bj", "bl", "bm", "bn", "bo", "bq", "br", "bs",
    "bt", "bv", "bw", "by", "bz", "ca", "cc", "cd", "cf", "cg", "ch", "ci", "ck", "cl", "cm", "cn",
    "co", "cr", "cu", "cv", "cw", "cx", "cy", "cz", "de", "dj", "dk", "dm", "do", "dz", "ec", "ee",
    "eg", "eh", "er", "es", "et", "fi", "fj", "fk", "fm", "fo", "fr", "ga", "gb", "gd", "ge", "gf",
    "gg", "gh", "gi", "gl", "gm", "gn", "gp", "gq", "gr", "gs", "gt", "gu", "gw", "gy", "hk", "hm",
    "hn", "hr", "ht", "hu", "id", "ie", "il", "im", "in", "io", "iq", "ir", "is", "it", "je", "jm",
    "jo", "jp", "ke", "kg", "kh", "ki", "km", "kn", "kp", "kr", "kw", "ky", "kz", "la", "lb", "lc",
    "li", "lk", "lr", "ls", "lt", "lu", "lv", "ly", "ma", "mc", "md", "me", "mf", "mg", "mh", "mk",
    "ml", "mm", "mn", "mo", "mp", "mq", "mr", "ms", "mt", "mu", "mv", "mw", "mx", "my", "mz", "na",
    "nc", "ne", "nf", "ng", "ni", "nl", "no", "np", "nr", "nu", "nz", "om", "pa", "pe", "pf", "pg",
    "ph", "pk", "pl", "pm", "pn", "pr", "ps", "pt", "pw", "py", "qa", "re", "ro", "rs", "ru", "rw",
    "sa", "sb", "sc", "sd", "se", "sg", "sh", "si", "sj", "sk", "sl", "sm", "sn", "so", "sr", "ss",
    "st", "sv", "sx", "sy", "sz", "tc", "td", "tf", "tg", "th", "tj", "tk", "tl", "tm", "tn", "to",
    "tr", "tt", "tv", "tw", "tz", "ua", "ug", "um", "us", "uy", "uz", "va", "vc", "ve", "vg", "vi",
    "vn", "vu", "wf", "ws", "ye", "yt", "za", "zm", "zw"};

}  // namespace

const std::vector<Family> &families() {
    static const std::vector<Family> all = make_families();
    return all;
}

const std::vector<std::string_view> &providers() {
    static const std::vector<std::string_view> all = {"tmdb", "jikan",  "rawg",
                                                      "igdb", "deezer", "itunes"};
    return all;
}

const Family *find_family(std::string_view provider, std::string_view endpoint) {
    for (const Family &family : families())
        if (family.provider == provider && family.endpoint == endpoint) return &family;
    return nullptr;
}

bool is_country_code(std::string_view code) {
    return std::binary_search(kCountryCodes.begin(), kCountryCodes.end(), code);
}

}  // namespace tako
