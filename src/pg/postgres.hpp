// The only way src/pg includes PostgreSQL: C linkage, postgres.h first. Include it after every
// standard and core header of the translation unit, because PostgreSQL's macros (printf, Min,
// gettext...) would otherwise rewrite the standard library.
#pragma once

// The module is built with -fvisibility=hidden so that its C++ internals (nlohmann, libstdc++
// templates) cannot clash with another extension's; PostgreSQL's entry points are made visible
// here, before c.h picks its own (empty, on Linux) PGDLLEXPORT.
#define PGDLLEXPORT __attribute__((visibility("default")))

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
}

// The differences between the PostgreSQL versions, each behind one wrapper (pg/compat.hpp).
#include "pg/compat.hpp"
