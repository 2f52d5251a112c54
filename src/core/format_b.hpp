// Tako's item format ("Format B", defined in docs/items.md): what every element of
// discovery_cache.data must look like.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace tako {

// Throws tako::Error 22023 naming the first offending item and field ("data[3].sourceId must be a
// string") unless `items` is an array of Format B items. When `provider` is not empty every item's
// source must equal it.
void validate_items(const nlohmann::json &items, std::string_view provider = {});

// Parses JSON text; malformed text throws tako::Error 22P02.
nlohmann::json parse_json(std::string_view text, std::string_view what = "JSON");

}  // namespace tako
