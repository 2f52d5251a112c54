// Conversions between PostgreSQL Datums and C++ values, each PostgreSQL call guarded by pg_call().
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/error_boundary.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace tako::pg {

// The text argument `n`, or nullopt when it is NULL.
std::optional<std::string> text_arg(FunctionCallInfo fcinfo, int n);
// A jsonb argument rendered as JSON text, or nullopt when it is NULL.
std::optional<std::string> jsonb_arg(FunctionCallInfo fcinfo, int n);

// A text[] argument; NULL elements are nullopt. nullopt when the array itself is NULL.
std::optional<std::vector<std::optional<std::string>>> text_array_arg(FunctionCallInfo fcinfo,
                                                                      int n);

// Results, palloc'd in the caller's memory context.
Datum text_result(std::string_view value);
Datum jsonb_result(const std::string &json_text);
// A timestamptz value (pure arithmetic: no PostgreSQL call).
Datum timestamptz_datum(std::chrono::system_clock::time_point time);
// Microseconds since the Unix epoch of a timestamptz (pure arithmetic).
std::int64_t unix_us_of(TimestampTz time);

}  // namespace tako::pg
