#include "pg/datum.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/timestamp.h"
}

namespace tako::pg {

std::optional<std::string> text_arg(FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) return std::nullopt;
    text *value = pg_call([&] { return PG_GETARG_TEXT_PP(n); });
    return std::string(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}

std::optional<std::string> jsonb_arg(FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) return std::nullopt;
    char *rendered = pg_call([&] {
        Jsonb *jb = PG_GETARG_JSONB_P(n);
        return JsonbToCString(nullptr, &jb->root, VARSIZE(jb));
    });
    std::string out(rendered);
    pg_call([&] { pfree(rendered); });
    return out;
}

std::optional<std::vector<std::optional<std::string>>> text_array_arg(FunctionCallInfo fcinfo,
                                                                      int n) {
    if (PG_ARGISNULL(n)) return std::nullopt;
    Datum *elements = nullptr;
    bool *nulls = nullptr;
    int count = 0;
    pg_call([&] {
        ArrayType *array = PG_GETARG_ARRAYTYPE_P(n);
        if (ARR_NDIM(array) > 1)
            ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                            errmsg("expected a one-dimensional text array")));
        deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elements, &nulls, &count);
    });
    std::vector<std::optional<std::string>> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        if (nulls[i]) {
            out.emplace_back(std::nullopt);
            continue;
        }
        text *value = pg_call([&] { return DatumGetTextPP(elements[i]); });
        out.emplace_back(std::string(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value)));
    }
    return out;
}

namespace {
constexpr std::int64_t kPostgresEpochOffsetUs =
    static_cast<std::int64_t>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
}

Datum timestamptz_datum(std::chrono::system_clock::time_point time) {
    std::int64_t unix_us =
        std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
    return TimestampTzGetDatum(unix_us - kPostgresEpochOffsetUs);
}

std::int64_t unix_us_of(TimestampTz time) {
    return static_cast<std::int64_t>(time) + kPostgresEpochOffsetUs;
}

Datum text_result(std::string_view value) {
    return pg_call(
        [&] { return PointerGetDatum(cstring_to_text_with_len(value.data(), value.size())); });
}

Datum jsonb_result(const std::string &json_text) {
    return pg_call(
        [&] { return DirectFunctionCall1(jsonb_in, CStringGetDatum(json_text.c_str())); });
}

}  // namespace tako::pg
