// The refresh worker (refresh_worker.cpp).
#pragma once

namespace tako::pg::worker {

// From _PG_init while preloading: registers the worker (unless tako_cache.worker is off) and the
// hook that makes it leave a database being dropped.
void install();

}  // namespace tako::pg::worker
