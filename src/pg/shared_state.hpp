// State every backend shares, in shared memory when tako_cache is in shared_preload_libraries:
// the per-provider rate-limit cells and the IGDB token. Without preloading each backend keeps its
// own copy, so limits hold per session only (a WARNING says so once per session).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/fetch/health.hpp"
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

// Provider health and circuit breaker (core/fetch/health.hpp), with the last error's text.
struct HealthSnapshot {
    ProviderHealth health;
    std::string last_error;
};
// Takes one request from the provider's daily budget (see core/fetch/health.hpp): false when it is
// spent for this request.
bool take_request(int provider, const DailyBudget &budget, bool read_through, std::int64_t now_ms);
// Raises today's count to `requests` (what the table kept before a restart).
void restore_requests(int provider, std::int64_t requests, std::int64_t now_ms);
// True the first time it is called in this server's life (or this session's, when not preloaded):
// that caller loads the counts kept in the table.
bool first_usage_load();
// The wall clock in Unix milliseconds, as the budgets below count time.
std::int64_t now_unix_ms();
// Takes one of the new keys read-through may fetch this hour; false when they are all taken.
bool take_new_key(int provider, std::int64_t limit, std::int64_t now_ms);
std::int64_t new_keys_this_hour(int provider, std::int64_t now_ms);
void give_back_new_key(int provider, std::int64_t taken_ms);
// Returns true when this outcome opened the breaker.
bool record_outcome(int provider, Outcome outcome, const std::string &error, std::int64_t now_ms,
                    const BreakerPolicy &policy);
HealthSnapshot health(int provider);

// Keys whose latest fetch failed (tako_discover does not fetch them again for a while). Kept
// outside any transaction: a failed tako_discover rolls back, its memory of the failure stays.
struct KeyFailure {
    Outcome outcome;
    std::string error;
    std::int64_t failed_ms;
};
void remember_failure(const std::string &key, Outcome outcome, const std::string &error,
                      std::int64_t now_ms);
void forget_failure(const std::string &key);
std::optional<KeyFailure> recent_failure(const std::string &key, std::int64_t since_ms);

const char *provider_name(int provider);

}  // namespace tako::pg::shared
