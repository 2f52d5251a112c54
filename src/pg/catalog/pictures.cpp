#include "pg/catalog/pictures.hpp"

#include <nlohmann/json.hpp>

#include "core/request/request.hpp"
#include "pg/datum.hpp"

extern "C" {
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
}

namespace tako::pg::pictures {

namespace {

// `schema`.`function`, quoted, when that function exists; "" otherwise (before 1.4).
std::string function_of(const std::string &schema, const char *function) {
    std::string quoted;
    pg_call([&] { quoted = quote_identifier(schema.c_str()); });
    quoted += std::string(".") + function;
    bool exists = false;
    pg_call([&] {
        Datum name = CStringGetTextDatum(quoted.c_str());
        exists = DatumGetObjectId(DirectFunctionCall1(to_regproc, name)) != InvalidOid;
    });
    return exists ? quoted : "";
}

// Runs `sql` with its arguments in a connection of its own, in the caller's transaction.
void execute(const std::string &sql, int count, Oid *types, Datum *args) {
    pg_call([&] {
        SPI_connect();
        SPI_execute_with_args(sql.c_str(), count, types, args, nullptr, false, 0);
        SPI_finish();
    });
}

}  // namespace

std::map<long, std::optional<std::string>> known(const std::string &schema,
                                                 const std::vector<ParsedKey> &keys) {
    std::map<long, std::optional<std::string>> out;
    bool enriched = false;
    for (const ParsedKey &k : keys) enriched = enriched || enriches_backdrops(k);
    if (!enriched) return out;
    const std::string function = function_of(schema, "tako_known_backdrops");
    if (function.empty()) return out;
    const std::string sql = "SELECT mal_id, backdrop FROM " + function + "()";
    pg_call([&] {
        SPI_connect();
        SPI_execute(sql.c_str(), true, 0);
    });
    for (uint64 i = 0; i < SPI_processed; ++i) {
        bool id_null = true, url_null = true;
        Datum id = 0;
        char *url = nullptr;
        pg_call([&] {
            id = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &id_null);
            SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &url_null);
            if (!url_null) url = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
        });
        if (id_null) continue;
        out[static_cast<long>(DatumGetInt64(id))] =
            url ? std::optional<std::string>(url) : std::nullopt;
    }
    pg_call([] { SPI_finish(); });
    return out;
}

void save(const std::string &schema, const std::vector<ListResult> &results,
          const std::string &origin) {
    nlohmann::json pictures = nlohmann::json::array();
    for (const ListResult &r : results)
        for (const FetchedPicture &p : r.pictures)
            pictures.push_back({{"mal_id", p.mal_id},
                                {"outcome", to_string(p.outcome)},
                                {"url", p.url ? nlohmann::json(*p.url) : nlohmann::json()},
                                {"error", p.error},
                                {"http_status", p.http_status},
                                {"attempts", p.attempts}});
    if (pictures.empty()) return;
    bool read_only = false;
    pg_call([&] { read_only = RecoveryInProgress() || XactReadOnly; });
    if (read_only) return;
    const std::string function = function_of(schema, "tako_save_pictures");
    if (function.empty()) return;
    const std::string sql = "SELECT " + function + "($1, $2)";
    Oid types[2] = {JSONBOID, TEXTOID};
    Datum args[2] = {jsonb_result(pictures.dump()), text_result(origin)};
    execute(sql, 2, types, args);
}

void fill(const std::string &schema, const std::string &key, const nlohmann::json &saved,
          const nlohmann::json &filled) {
    const std::string function = function_of(schema, "tako_fill_backdrops");
    if (function.empty()) return;
    const std::string sql = "SELECT " + function + "($1, $2, $3)";
    Oid types[3] = {TEXTOID, JSONBOID, JSONBOID};
    Datum args[3] = {text_result(key), jsonb_result(saved.dump()), jsonb_result(filled.dump())};
    execute(sql, 3, types, args);
}

}  // namespace tako::pg::pictures
