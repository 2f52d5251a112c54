// SQL functions over Format B items: tako_validate_items().
#include "core/format_b.hpp"
#include "pg/datum.hpp"

namespace tako::pg {

namespace {

// tako_validate_items(data jsonb, provider text DEFAULT NULL) → true, or ERROR 22023 naming the
// first bad item. Used by tako_save_cached and by discovery_cache's CHECK constraint.
Datum validate_items_fn(FunctionCallInfo fcinfo) {
    std::optional<std::string> data = jsonb_arg(fcinfo, 0);
    if (!data) throw Error(sqlstate::kNullValue, "data must not be null");
    std::optional<std::string> provider = PG_NARGS() > 1 ? text_arg(fcinfo, 1) : std::nullopt;
    validate_items(parse_json(*data, "data"), provider.value_or(""));
    return BoolGetDatum(true);
}

}  // namespace

}  // namespace tako::pg

TAKO_FUNCTION(tako_validate_items, tako::pg::validate_items_fn)
