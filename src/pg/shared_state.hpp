// State every backend shares, in shared memory when tako_cache is in shared_preload_libraries:
// the per-provider rate-limit cells and the IGDB token. Without preloading each backend keeps its
// own copy, so limits hold per session only (a WARNING says so once per session).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/rate_limit.hpp"

namespace tako::pg::shared {

inline constexpr int kProviders = 6;

// Index of a provider in the shared arrays, or -1.
int provider_index(std::string_view provider);

// Installs the shared-memory hooks; call from _PG_init while preloading.
void install_hooks();

// True when the state lives in shared memory.
bool is_shared();

// Reserves a rate-limit slot (microseconds of CLOCK_MONOTONIC, the same clock in every process).
std::int64_t reserve_slot(int provider, const RateLimit &limit, std::int64_t earliest_us);
void hold_until(int provider, std::int64_t until_us);

// The IGDB token if one is stored and valid at `now_unix_ms`, else "".
std::string igdb_token(std::int64_t now_unix_ms);
void store_igdb_token(const std::string &token, std::int64_t expires_unix_ms);
void forget_igdb_token(const std::string &token);

}  // namespace tako::pg::shared
