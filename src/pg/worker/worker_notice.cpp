// The once-per-session WARNING of a session the refresh worker cannot serve.
#include "pg/worker/worker_notice.hpp"

#include <string>

#include "pg/error_boundary.hpp"
#include "pg/settings.hpp"
#include "pg/shared/refresh_queue.hpp"

extern "C" {
#include "miscadmin.h"
}

namespace tako::pg {

// Once per session, where the worker cannot help: what is missing, and the consequence.
void warn_no_worker() {
    static bool warned = false;
    if (warned || queue::available(MyDatabaseId)) return;
    warned = true;
    const bool preloaded = queue::is_shared();
    const std::string database = settings::database_name();
    pg_call([&] {
        if (!preloaded)
            ereport(
                WARNING,
                (errmsg("tako_cache is not in shared_preload_libraries: there is no refresh "
                        "worker, and expired lists are refreshed in the session that reads "
                        "them"),
                 errhint("Add tako_cache to shared_preload_libraries and restart the server.")));
        else
            ereport(WARNING,
                    (errmsg("tako_cache's refresh worker does not serve this database: expired "
                            "lists are refreshed in the session that reads them"),
                     errdetail("The worker runs in database \"%s\" (tako_cache.database_name), "
                               "when tako_cache.worker is on and the server is not a standby.",
                               database.c_str())));
    });
}

}  // namespace tako::pg
