// SQL functions that reach the upstream APIs or turn their answers into items:
// tako_fetch(key), tako_fetch_lists(keys), tako_normalize(provider, endpoint, raw, category).
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/fetch/fetch.hpp"
#include "core/format_b.hpp"
#include "core/normalize/normalize.hpp"
#include "pg/catalog/cache_table.hpp"
#include "pg/catalog/pictures.hpp"
#include "pg/datum.hpp"
#include "pg/fetch_environment.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "access/xact.h"
#include "funcapi.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"
}

namespace tako::pg {

namespace {

// tako_<name>() among the extension's internal routines, if it has one (tako_sync_request_usage
// came with 1.3, tako_load_request_usage with 1.4: a schema not yet updated keeps its counts in
// shared memory only, or writes them before the fetch too).
bool call_sibling(FunctionCallInfo fcinfo, const char *name) {
    return pg_call([&] {
        Oid fn = sibling_function(fcinfo->flinfo->fn_oid, name, 0, true);
        if (OidIsValid(fn)) OidFunctionCall0Coll(fn, InvalidOid);
        return OidIsValid(fn);
    });
}

// The schema of the extension's internal routines (the pictures' functions).
std::string own_schema(FunctionCallInfo fcinfo) {
    const char *name = nullptr;
    pg_call([&] { name = get_namespace_name(internal_schema_of(fcinfo->flinfo->fn_oid)); });
    return name ? name : "";
}

std::string required_text(FunctionCallInfo fcinfo, int n, const char *name) {
    std::optional<std::string> value = text_arg(fcinfo, n);
    if (!value) throw Error(sqlstate::kNullValue, std::string(name) + " must not be null");
    return *value;
}

// tako_fetch(key) → the raw upstream JSON of a key: one request (IGDB: the token, then the query),
// no retry, credentials redacted. Failures raise with the outcome's SQLSTATE.
Datum fetch(FunctionCallInfo fcinfo) {
    ParsedKey key = parse_key(required_text(fcinfo, 0, "cache key"));
    FetchOptions options = fetch_options();
    options.normalize = false;
    options.retry.max_attempts = 1;
    ListResult result = run_fetch({key}, options).at(0);
    if (result.outcome != Outcome::Ok)
        throw Error(sqlstate_of(result.outcome), "upstream request for " + key.key + " failed (" +
                                                     to_string(result.outcome) +
                                                     "): " + result.error);
    return jsonb_result(result.raw);
}

// tako_fetch_lists(keys text[], origin text DEFAULT 'manual') → one row per key: the outcome of
// fetching and normalizing its list, every key's requests running concurrently under the
// providers' rate limits. Automatic origins (anything but 'manual') skip providers paused by the
// circuit breaker. Writes no list: tako_refresh_keys() saves and logs them (it writes the
// requests counted today and the Jikan pictures learned, except for a read in a transaction block).
Datum fetch_lists_fn(FunctionCallInfo fcinfo) {
    auto texts = text_array_arg(fcinfo, 0);
    if (!texts) throw Error(sqlstate::kNullValue, "keys must not be null");
    std::vector<ParsedKey> keys;
    for (const auto &text : *texts) {
        if (!text) throw Error(sqlstate::kNullValue, "keys must not contain NULL");
        keys.push_back(parse_key(*text));
    }
    std::optional<std::string> origin = PG_NARGS() > 1 ? text_arg(fcinfo, 1) : std::nullopt;
    FetchOptions options = fetch_options();
    options.respect_breaker = origin.value_or("manual") != "manual";
    options.read_through = origin.value_or("manual") == "discover";
    // The requests counted today survive a restart through tako_request_usage: loaded into shared
    // memory by the first fetch of the server's life, and written back after every fetch.
    // Jikan backdrops already known are not asked again; those asked for are kept (1.4).
    const std::string schema = own_schema(fcinfo);
    options.known_backdrops = pictures::known(schema, keys);
    // Before the fetch the counts are only loaded (no row is locked while the upstream answers);
    // after it they are written.
    if (!call_sibling(fcinfo, "tako_load_request_usage"))
        call_sibling(fcinfo, "tako_sync_request_usage");
    std::vector<ListResult> results = run_fetch(keys, options);
    // A read in the caller's transaction block writes nothing: a row it wrote would stay locked
    // until the caller ends that transaction (the counts stay in shared memory for the next
    // fetch to write; the pictures are asked again).
    bool in_block = false;
    pg_call([&] { in_block = IsTransactionBlock(); });
    if (!(options.read_through && in_block)) {
        call_sibling(fcinfo, "tako_sync_request_usage");
        pictures::save(schema, results, origin.value_or("manual"));
    }

    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    pg_call([&] { InitMaterializedSRF(fcinfo, 0); });
    for (const ListResult &r : results) {
        const bool ok = r.outcome == Outcome::Ok;
        Datum values[12];
        bool nulls[12] = {false};
        values[0] = text_result(r.key);
        values[1] = text_result(r.provider);
        values[2] = text_result(to_string(r.outcome));
        values[3] = Int32GetDatum(static_cast<int32>(r.http_status));
        nulls[3] = r.http_status == 0;
        nulls[4] = !ok;
        values[4] = ok ? jsonb_result(r.items.dump()) : 0;
        nulls[5] = ok;
        values[5] = ok ? 0 : text_result(r.error);
        values[6] = Int64GetDatum(static_cast<int64>(r.bytes));
        values[7] = Int32GetDatum(r.attempts);
        values[8] = timestamptz_datum(r.started);
        values[9] = timestamptz_datum(r.finished);
        nulls[10] = ok;
        values[10] = ok ? 0 : text_result(sqlstate_of(r.outcome));
        nulls[11] = !ok;
        values[11] = ok ? jsonb_result(r.upstream.dump()) : 0;
        pg_call([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls); });
    }
    return 0;
}

// tako_normalize(provider, endpoint, raw jsonb, category text DEFAULT NULL) → array of Format B
// items. Pure: no network, no table.
Datum normalize(FunctionCallInfo fcinfo) {
    std::string provider = required_text(fcinfo, 0, "provider");
    std::string endpoint = required_text(fcinfo, 1, "endpoint");
    std::optional<std::string> raw = jsonb_arg(fcinfo, 2);
    if (!raw) throw Error(sqlstate::kNullValue, "raw must not be null");
    std::optional<std::string> category = PG_NARGS() > 3 ? text_arg(fcinfo, 3) : std::nullopt;

    // The family's defaults (through its canonical key) give the category when none is given.
    ParsedKey family = parse_key(provider + ":" + endpoint);
    std::string kind = category ? *category : normalizer_category(family);
    static const std::vector<std::pair<std::string_view, std::vector<std::string_view>>> kKinds = {
        {"tmdb", {"movie", "tv"}},
        {"jikan", {"anime", "manga"}},
        {"deezer", {"albums", "tracks", "artists"}},
        {"itunes", {"album", "song"}}};
    for (const auto &[p, kinds] : kKinds)
        if (p == provider && std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
            throw_invalid("invalid category " + quote_for_message(kind) + " for provider " +
                          provider);

    NormalizeOptions normalize_options;
    normalize_options.locale = settings::locale();
    nlohmann::json items =
        normalize_list(provider, endpoint, parse_json(*raw, "raw"), kind, normalize_options);
    validate_items(items, provider);
    return jsonb_result(items.dump());
}

}  // namespace

}  // namespace tako::pg

TAKO_FUNCTION(tako_fetch, tako::pg::fetch)
TAKO_FUNCTION(tako_fetch_lists, tako::pg::fetch_lists_fn)
TAKO_FUNCTION(tako_normalize, tako::pg::normalize)
