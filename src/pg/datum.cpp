#include "pg/datum.hpp"

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

Datum text_result(std::string_view value) {
    return pg_call(
        [&] { return PointerGetDatum(cstring_to_text_with_len(value.data(), value.size())); });
}

Datum jsonb_result(const std::string &json_text) {
    return pg_call(
        [&] { return DirectFunctionCall1(jsonb_in, CStringGetDatum(json_text.c_str())); });
}

}  // namespace tako::pg
