// Included first by every translation unit of src/core.
//
// The core is plain C++17: PostgreSQL's headers redefine names the standard library relies on
// (printf, Min/Max, foreach, gettext...), and the core must also build and be unit-tested without a
// server. This header fails the build if a PostgreSQL header came first, then poisons the include
// guards so that a later #include "postgres.h" turns into nothing and any PostgreSQL symbol used
// below it is a compile error.
#pragma once

#if defined(POSTGRES_H) || defined(C_H) || defined(FMGR_H) || defined(POSTGRES_FE_H)
#error "src/core must not include PostgreSQL headers (see src/core/cpp_only.hpp)"
#endif

#define POSTGRES_H
#define POSTGRES_FE_H
#define C_H
#define FMGR_H
