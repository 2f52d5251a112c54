// tako_envelope(key, items, upstream, saved_at, expires_at, cached, stale, error) → json: Tako's
// response envelope of a key around its items (core/envelope/envelope.hpp), for every answer of
// tako_discover that is not a fresh hit (those render the same function's output once per row
// version: src/pg/hit_path.cpp).
#include <nlohmann/json.hpp>

#include "core/envelope/envelope.hpp"
#include "core/error.hpp"
#include "pg/datum.hpp"

extern "C" {
#include "utils/timestamp.h"
}

namespace tako::pg {

namespace {

std::optional<std::int64_t> time_arg(FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) return std::nullopt;
    return unix_us_of(PG_GETARG_TIMESTAMPTZ(n));
}

bool bool_arg(FunctionCallInfo fcinfo, int n) {
    return !PG_ARGISNULL(n) && PG_GETARG_BOOL(n);
}

Datum envelope(FunctionCallInfo fcinfo) {
    std::optional<std::string> key_text = text_arg(fcinfo, 0);
    if (!key_text) throw Error(sqlstate::kNullValue, "cache key must not be null");
    const ParsedKey key = parse_key(*key_text);
    std::optional<std::string> items = jsonb_arg(fcinfo, 1);
    std::optional<std::string> upstream_text = jsonb_arg(fcinfo, 2);
    nlohmann::json upstream = nlohmann::json::object();
    if (upstream_text) upstream = nlohmann::json::parse(*upstream_text);
    if (!upstream.is_object()) throw_invalid("upstream must be a JSON object");

    std::string compact;
    EnvelopeInput in;
    in.key = &key;
    if (items) {
        nlohmann::json parsed = nlohmann::json::parse(*items);
        if (!parsed.is_array()) throw_invalid("items must be a JSON array");
        in.count = parsed.size();
        compact = compact_json(*items);
        in.items = compact;
    }
    in.upstream = &upstream;
    in.saved_unix_us = time_arg(fcinfo, 3);
    in.expires_unix_us = time_arg(fcinfo, 4);
    in.cached = bool_arg(fcinfo, 5);
    in.stale = bool_arg(fcinfo, 6);
    if (PG_NARGS() > 7) in.error = text_arg(fcinfo, 7);
    return text_result(render_envelope(in));
}

}  // namespace

}  // namespace tako::pg

TAKO_FUNCTION(tako_envelope, tako::pg::envelope)
