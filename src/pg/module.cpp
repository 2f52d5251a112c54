// The loadable module: magic block and _PG_init.
// Headers that bring in the C++ core come before any PostgreSQL header (see pg/postgres.hpp).
#include "core/http/curl_handles.hpp"
#include "pg/settings.hpp"
#include "pg/shared/shared_state.hpp"
#include "pg/worker/refresh_worker.hpp"

#include "pg/error_boundary.hpp"

extern "C" {
#include "miscadmin.h"
}

extern "C" {
PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);
void _PG_init(void) {
    tako::pg::invoke_void([] {
        tako::pg::pg_call([] { tako::pg::settings::define(); });
        // libcurl's global state, once, before any backend runs a transfer.
        tako::curl::global_init();
        if (process_shared_preload_libraries_in_progress) {
            tako::pg::shared::install_hooks();
            tako::pg::pg_call([] { tako::pg::worker::install(); });
        }
    });
}
}
