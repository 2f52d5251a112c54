// Shared memory of tako_cache: the registry of its parts, each in a file of its own with its own
// LWLock tranche (provider_state, budgets, key_failures, hit_counters, refresh_queue, metrics). The
// hooks here ask PostgreSQL for every part's memory and locks and attach them at startup. Without
// preloading there is no shared memory: each backend keeps its own copy of the parts that have
// one (limits then hold per session only; a WARNING says so once per session).
#pragma once

#include <cstdint>
#include <string_view>

namespace tako::pg::shared {

inline constexpr int kProviders = 6;

// Index of a provider in the shared arrays, or -1.
int provider_index(std::string_view provider);
const char *provider_name(int provider);

// Installs the shared-memory hooks; call from _PG_init while preloading.
void install_hooks();

// True when the state lives in shared memory.
bool is_shared();

// The wall clock in Unix milliseconds, as the budgets and remembered failures count time.
std::int64_t now_unix_ms();

}  // namespace tako::pg::shared
