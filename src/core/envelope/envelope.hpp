// The response envelope a Tako route sends for a discovery list (docs/envelope.md, with the
// decisions of docs/decisions.md), rendered as JSON text around the list's items.
//
// One layout per family, in the order Tako's route writes its fields when it builds the envelope
// (a miss), so the text is stable: {success, provider, domain, endpoint | type, query, [searchType
// | contentType], total, count, data, pagination, meta}. `meta` carries the key's parts and what
// Tako adds (TMDB lang/limit/page, Jikan season/year, iTunes country/updated...), then tako_cache's
// own cached, cacheKey, stale, expiresAt and error. meta.fetchedAt is always when the list was
// fetched upstream (Tako mixes that with "now").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/key.hpp"

namespace tako {

struct EnvelopeInput {
    const ParsedKey *key = nullptr;
    // The items as JSON text (an array), or nullopt when there is nothing to serve (a db_only miss:
    // success false, data []).
    std::optional<std::string_view> items;
    std::size_t count = 0;  // how many items `items` holds
    // discovery_cache.upstream (core/envelope/upstream_meta.hpp); an empty object when unknown.
    const nlohmann::json *upstream = nullptr;
    // When the list was saved (discovery_cache.updated_at), for lists saved without upstream
    // metadata; and when it expires (absent: null). Microseconds since the Unix epoch.
    std::optional<std::int64_t> saved_unix_us, expires_unix_us;
    bool cached = false;
    bool stale = false;
    std::optional<std::string> error;
};

std::string render_envelope(const EnvelopeInput &in);

// `json_text` re-written compactly (no insignificant white space), as JSON.stringify writes it.
// Throws tako::Error 22P02 when it is not JSON.
std::string compact_json(std::string_view json_text);

}  // namespace tako
