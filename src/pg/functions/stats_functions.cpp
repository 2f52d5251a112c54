// tako_cache_stats(): which of the two stats the caller may read, decided as the caller. It is C
// rather than SQL because both live in the extension's schema, where PUBLIC has no USAGE: the
// function calls them by OID, so the caller needs EXECUTE on neither.
#include "pg/catalog/cache_table.hpp"
#include "pg/datum.hpp"

extern "C" {
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
}

namespace tako::pg {

namespace {

// The detailed stats (process ids, keys, error texts) when the caller may execute
// tako_cache_stats_detailed() (the owner, pg_monitor, whoever is granted it); the counts and
// states otherwise (tako_cache_stats_public(), which runs as the owner).
Datum cache_stats(FunctionCallInfo fcinfo) {
    return pg_call([&] {
        const Oid fn = fcinfo->flinfo->fn_oid;
        Oid detailed = sibling_function(fn, "tako_cache_stats_detailed", 0);
        bool may = DatumGetBool(DirectFunctionCall2(
            has_function_privilege_id, ObjectIdGetDatum(detailed), CStringGetTextDatum("EXECUTE")));
        Oid target = may ? detailed : sibling_function(fn, "tako_cache_stats_public", 0);
        return OidFunctionCall0Coll(target, InvalidOid);
    });
}

}  // namespace

}  // namespace tako::pg

TAKO_FUNCTION(tako_cache_stats, tako::pg::cache_stats)
