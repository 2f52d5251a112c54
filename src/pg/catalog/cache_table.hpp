// Where discovery_cache is, for the C hit path: the table, its cache_key index and the attribute
// numbers it reads, resolved once per backend from the extension's schema (internal_schema_of)
// and forgotten on any relcache invalidation of the table (DROP/CREATE EXTENSION, ALTER TABLE).
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "access/attnum.h"
}

namespace tako::pg {

struct CacheTable {
    Oid table = InvalidOid;
    Oid key_index = InvalidOid;
    AttrNumber cache_key = InvalidAttrNumber;
    AttrNumber data = InvalidAttrNumber;
    AttrNumber upstream = InvalidAttrNumber;
    AttrNumber updated_at = InvalidAttrNumber;
    AttrNumber expires_at = InvalidAttrNumber;
    AttrNumber data_version = InvalidAttrNumber;  // upstream, data_version: absent before 1.2
};

// The schema of the tables and internal routines of the extension that owns function `fn_oid`:
// tako_cache (1.9 and later), or the function's own schema (before). May ereport: pg_call().
Oid internal_schema_of(Oid fn_oid);

// The table of the extension that owns function `fn_oid`. May ereport: call through pg_call().
CacheTable cache_table_of(Oid fn_oid);

// The function `name` taking `nargs` text arguments (0 or 1) among the internal routines of the
// extension of function `fn_oid`; InvalidOid when there is none and `missing_ok`. May ereport:
// call through pg_call().
Oid sibling_function(Oid fn_oid, const char *name, int nargs = 1, bool missing_ok = false);

}  // namespace tako::pg
