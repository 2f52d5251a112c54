// The loadable module: magic block and _PG_init.
#include "pg/error_boundary.hpp"
#include "pg/settings.hpp"

extern "C" {
PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);
void _PG_init(void) {
    tako::pg::invoke_void([] { tako::pg::pg_call([] { tako::pg::settings::define(); }); });
}
}
