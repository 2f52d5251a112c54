#include "pg/catalog/cache_table.hpp"

extern "C" {
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

namespace tako::pg {

namespace {

Oid cached_fn = InvalidOid;
CacheTable cached;
bool callback_registered = false;

void forget(Datum, Oid relid) {
    if (relid == InvalidOid || relid == cached.table || relid == cached.key_index)
        cached_fn = InvalidOid;
}

// The column's number, or InvalidAttrNumber when the table has none of that name.
AttrNumber optional_attribute(Relation rel, const char *name) {
    AttrNumber attnum = InvalidAttrNumber;
    for (int i = 0; i < RelationGetNumberOfAttributes(rel); ++i) {
        Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), i);
        if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0) attnum = att->attnum;
    }
    return attnum;
}

AttrNumber attribute(Relation rel, const char *name) {
    AttrNumber attnum = optional_attribute(rel, name);
    if (attnum == InvalidAttrNumber)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                        errmsg("discovery_cache has no column \"%s\"", name)));
    return attnum;
}

}  // namespace

Oid internal_schema_of(Oid fn_oid) {
    // The schema tako_cache when it belongs to the extension of fn_oid (1.9 and later); otherwise
    // (a schema of 1.8 or earlier, served by this library until ALTER EXTENSION ... UPDATE; or an
    // install into a schema the user named tako_cache) everything is in the function's own schema.
    // Never another schema of that name: public.discovery_cache may be the Tako API's own table.
    Oid schema = get_namespace_oid("tako_cache", true);
    if (OidIsValid(schema)) {
        Oid extension = getExtensionOfObject(ProcedureRelationId, fn_oid);
        if (OidIsValid(extension) && getExtensionOfObject(NamespaceRelationId, schema) == extension)
            return schema;
    }
    return get_func_namespace(fn_oid);
}

CacheTable cache_table_of(Oid fn_oid) {
    if (cached_fn == fn_oid && fn_oid != InvalidOid) return cached;
    if (!callback_registered) {
        CacheRegisterRelcacheCallback(forget, (Datum)0);
        callback_registered = true;
    }
    Oid schema = internal_schema_of(fn_oid);
    CacheTable t;
    t.table = get_relname_relid("discovery_cache", schema);
    t.key_index = get_relname_relid("discovery_cache_cache_key_key", schema);
    if (!OidIsValid(t.table) || !OidIsValid(t.key_index))
        ereport(ERROR,
                (errcode(ERRCODE_UNDEFINED_TABLE),
                 errmsg("discovery_cache or its cache_key index is missing from schema \"%s\"",
                        get_namespace_name(schema))));
    Relation rel = table_open(t.table, AccessShareLock);
    t.cache_key = attribute(rel, "cache_key");
    t.data = attribute(rel, "data");
    t.updated_at = attribute(rel, "updated_at");
    t.expires_at = attribute(rel, "expires_at");
    // Added by 1.2: a 1.0 or 1.1 schema served by this library until ALTER EXTENSION ... UPDATE.
    t.upstream = optional_attribute(rel, "upstream");
    t.data_version = optional_attribute(rel, "data_version");
    table_close(rel, AccessShareLock);
    cached = t;
    cached_fn = fn_oid;
    return t;
}

Oid sibling_function(Oid fn_oid, const char *name, int nargs, bool missing_ok) {
    // By the catalog, not by name lookup: the caller may have no USAGE on the extension's schema
    // (PUBLIC has none), and the function is called by OID as the extension's code, not by it.
    Oid schema = internal_schema_of(fn_oid);
    Oid argtypes[1] = {TEXTOID};
    oidvector *args = buildoidvector(argtypes, nargs);
    Oid fn = GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid, CStringGetDatum(name),
                             PointerGetDatum(args), ObjectIdGetDatum(schema));
    if (!OidIsValid(fn) && !missing_ok)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                        errmsg("function %s.%s is missing", get_namespace_name(schema), name)));
    return fn;
}

}  // namespace tako::pg
