// Jikan's GET /anime/{id}/pictures {data: [{jpg: {...}, webp: {...}}]} → the anime's backdrop:
// the picture Tako shows behind the items of its enriched lists (docs/items.md, "backdrop
// enrichment"), written to details.backdrop by the fetch engine (core/fetch/backdrops.hpp).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace tako {

// The first picture's large JPEG URL, else its JPEG, else its large WebP, else its WebP (Tako's
// order); nullopt when the anime has no picture (an empty list, or a first entry without a URL).
// Throws tako::Error 22P02 when `raw` is not a pictures response (a Jikan error body included):
// e.g. "unexpected Jikan pictures response: no \"data\" array".
std::optional<std::string> normalize_jikan_pictures(const nlohmann::json &raw);

}  // namespace tako
