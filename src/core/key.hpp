// Cache keys (docs/keys.md):
// "{provider}:{endpoint}[:{category}][:{period}][:{type}][:{filter}][:{day}][:{sfw}]".
//
// parse_key() validates a key against the families table and returns its canonical form: absent
// parts take the family's default ("deezer:charts" is "deezer:charts:albums") and sfw "all" is left
// out, so one list is stored under one key. build_key() is the seed's generateCacheKey: it joins
// the parts that are present in the seed's order, then validates the result.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/families.hpp"

namespace tako {

inline constexpr std::size_t kMaxKeyLength = 255;
// Platform ids a RAWG or IGDB key may carry (Tako's users filter by a handful of platforms; each
// list is one more key to fetch and store). A list has one canonical form: numeric order, each id
// once ("187,4,4" is "4,187").
inline constexpr std::size_t kMaxPlatformIds = 8;

struct ParsedKey {
    std::string key;  // canonical form
    const Family *family = nullptr;
    // Every part of the family, in key order, defaults filled; optional parts absent from the key
    // are left out. ("category", "movie"), ("period", "week")...
    std::vector<std::pair<std::string, std::string>> parts;

    std::string_view provider() const { return family->provider; }
    std::string_view endpoint() const { return family->endpoint; }
    int ttl_seconds() const { return family->ttl_seconds; }

    // The value of a named part ("" when absent). An iTunes chart also answers "country" and
    // "category" ("fr-album" → "fr", "album").
    std::string part(std::string_view name) const;
    // Values for the discovery_cache columns `category` and `period` ("" → NULL).
    std::string category() const { return part("category"); }
    std::string period() const { return part("period"); }
    // All parts as a JSON object, for the `params` column: {"category":"movie","period":"week"}.
    std::string params_json() const;
};

ParsedKey parse_key(std::string_view key);

// The arguments of tako_cache_key() after provider and endpoint, in the seed's order; a null or
// empty value is left out, as is sfw "all".
struct KeyArguments {
    std::optional<std::string> category, period, type, filter, day, sfw;
};

std::string build_key(const std::optional<std::string> &provider,
                      const std::optional<std::string> &endpoint, const KeyArguments &args);

}  // namespace tako
