// The differences between the PostgreSQL versions tako_cache builds on (15, 17 and 18), each
// behind one inline wrapper here: the rest of src/pg calls the wrappers and tests no version of its
// own. Included by pg/postgres.hpp, so every translation unit of src/pg has them.
//
// Tested on 15, 17 and 18. 16 has never been compiled nor tested: it cannot be installed on the
// project's machines (no Debian suite they reach has it).
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "access/genam.h"
}

#if PG_VERSION_NUM < 150000
#error "tako_cache needs PostgreSQL 15 or later"
#endif

// index_beginscan: PostgreSQL 18 takes the scan's instrumentation (IndexScanInstrumentation *,
// for EXPLAIN ANALYZE) after the snapshot; none here.
inline IndexScanDesc tako_index_beginscan(Relation heap, Relation index, Snapshot snapshot,
                                          int nkeys, int norderbys) {
#if PG_VERSION_NUM >= 180000
    return index_beginscan(heap, index, snapshot, nullptr, nkeys, norderbys);
#else
    return index_beginscan(heap, index, snapshot, nkeys, norderbys);
#endif
}
