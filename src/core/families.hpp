// The key families tako_cache serves (docs/keys.md): for each provider and endpoint, the optional
// parts a key may carry after "{provider}:{endpoint}", their allowed values and defaults, and the
// TTL.
#pragma once

#include <string_view>
#include <vector>

namespace tako {

enum class SlotKind {
    Choice,       // one of a fixed list of words
    Platforms,    // "all" or comma-separated numeric platform ids (RAWG, IGDB)
    ItunesChart,  // "{cc}-{album|song}", cc an ISO 3166-1 alpha-2 code in lower case
};

struct Slot {
    std::string_view name;  // what the part is called in messages and in `params`
    SlotKind kind;
    std::vector<std::string_view> choices;  // SlotKind::Choice only
    std::string_view default_value;         // empty: optional, left out of the key when absent
    std::string_view omitted_value;         // a value written by leaving the part out (sfw "all")
    std::string_view requires_category;     // only valid when the category part has this value
};

struct Family {
    std::string_view provider;
    std::string_view endpoint;
    std::string_view pattern;  // human-readable grammar, for messages and docs
    std::vector<Slot> slots;
    int ttl_seconds;
};

const std::vector<Family> &families();
const std::vector<std::string_view> &providers();
const Family *find_family(std::string_view provider, std::string_view endpoint);

// ISO 3166-1 alpha-2, lower case.
bool is_country_code(std::string_view code);

}  // namespace tako
