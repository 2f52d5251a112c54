// Normalizers: a provider's raw list response → a JSON array of Tako "Format B" items
// (docs/items.md). One file per provider in src/core/normalize/.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/normalize/locale.hpp"

namespace tako {

// What shapes the items besides the raw response.
struct NormalizeOptions {
    Locale locale = kDefaultLocale;  // the language of the labels (Jikan's age ratings)
};

// The raw response of one list request of `provider`/`endpoint` (as in the families table) →
// array of Format B items that pass validate_items(items, provider). `category` picks the item
// kind where the response does not say it: tmdb "movie"|"tv", jikan "anime"|"manga" (empty:
// anime), deezer "albums"|"tracks"|"artists", itunes "album"|"song"; ignored by rawg and igdb.
//
// `options.locale` picks the language of the human-readable labels (locale.hpp).
//
// Items lacking what Format B requires (an id, a title) are skipped. A response that is not the
// provider's list shape at all (no results array, an error body...) throws tako::Error with
// SQLSTATE 22P02 and a message naming what was expected, e.g.
// "unexpected TMDB response: no \"results\" array".
nlohmann::json normalize_list(std::string_view provider, std::string_view endpoint,
                              const nlohmann::json &raw, std::string_view category,
                              const NormalizeOptions &options = {});

// What an upstream said went wrong, read from its error body: TMDB {status_code, status_message},
// Jikan {status, type, message, error}, IGDB [{title, status, cause}] or {message}, Deezer
// {error: {type, message, code}} (sent with HTTP 200), RAWG {error} or {detail}.
struct UpstreamError {
    enum class Kind { Auth, RateLimited, NotFound, BadRequest, Server, Other };
    Kind kind;
    std::string
        message;  // e.g. "TMDB status_code 7: Invalid API key: You must be granted a valid key."
};

// nullopt when `body` (already parsed) is not an error of `provider`. Checks the body whatever the
// HTTP status: Deezer reports errors with HTTP 200.
std::optional<UpstreamError> detect_upstream_error(std::string_view provider, long http_status,
                                                   const nlohmann::json &body);

}  // namespace tako
