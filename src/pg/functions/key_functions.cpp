// SQL functions over cache keys: tako_cache_key(), tako_canonical_key(), tako_key_info().
#include <nlohmann/json.hpp>

#include "core/key.hpp"
#include "pg/datum.hpp"

extern "C" {
#include "funcapi.h"
#include "utils/tuplestore.h"
}

namespace tako::pg {

namespace {

Datum cache_key(FunctionCallInfo fcinfo) {
    KeyArguments args;
    std::optional<std::string> *slots[] = {&args.category, &args.period, &args.type,
                                           &args.filter,   &args.day,    &args.sfw};
    for (int i = 0; i < 6; ++i)
        if (PG_NARGS() > i + 2) *slots[i] = text_arg(fcinfo, i + 2);
    return text_result(build_key(text_arg(fcinfo, 0), text_arg(fcinfo, 1), args));
}

std::string required_key(FunctionCallInfo fcinfo) {
    std::optional<std::string> key = text_arg(fcinfo, 0);
    if (!key) throw Error(sqlstate::kNullValue, "cache key must not be null");
    return *key;
}

Datum canonical_key(FunctionCallInfo fcinfo) {
    return text_result(parse_key(required_key(fcinfo)).key);
}

Datum key_info(FunctionCallInfo fcinfo) {
    ParsedKey parsed = parse_key(required_key(fcinfo));
    nlohmann::json info = {
        {"key", parsed.key},
        {"provider", parsed.provider()},
        {"endpoint", parsed.endpoint()},
        {"category",
         parsed.category().empty() ? nlohmann::json() : nlohmann::json(parsed.category())},
        {"period", parsed.period().empty() ? nlohmann::json() : nlohmann::json(parsed.period())},
        {"params", nlohmann::json::parse(parsed.params_json())},
        {"ttl_seconds", parsed.ttl_seconds()},
        {"pattern", parsed.family->pattern},
    };
    return jsonb_result(info.dump());
}

// tako_families() → the key families served: provider, endpoint, pattern, canonical default key,
// TTL.
Datum families_fn(FunctionCallInfo fcinfo) {
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    pg_call([&] { InitMaterializedSRF(fcinfo, 0); });
    for (const Family &family : families()) {
        ParsedKey defaults =
            parse_key(std::string(family.provider) + ":" + std::string(family.endpoint));
        Datum values[5] = {text_result(family.provider), text_result(family.endpoint),
                           text_result(family.pattern), text_result(defaults.key),
                           Int32GetDatum(family.ttl_seconds)};
        bool nulls[5] = {false};
        pg_call([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls); });
    }
    return 0;
}

}  // namespace

}  // namespace tako::pg

TAKO_FUNCTION(tako_families, tako::pg::families_fn)
TAKO_FUNCTION(tako_cache_key, tako::pg::cache_key)
TAKO_FUNCTION(tako_canonical_key, tako::pg::canonical_key)
TAKO_FUNCTION(tako_key_info, tako::pg::key_info)
