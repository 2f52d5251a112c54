// Per provider, shared by every backend: the rate-limit cells, health and circuit breaker with the
// requests counted today (core/fetch/health.hpp) and the last error's text, and the IGDB token.
// One LWLock of the tranche "tako_cache providers" guards them.
#pragma once

#include <cstdint>
#include <string>

#include "core/fetch/health.hpp"
#include "core/rate_limit.hpp"
#include "pg/shared/shared_state.hpp"

namespace tako::pg::shared {

// Shared memory: the part's size and tranche, then its attachment (shared_state.cpp's hooks).
void request_provider_state();
void attach_provider_state();

// Reserves a rate-limit slot (microseconds of CLOCK_MONOTONIC, the same clock in every process).
std::int64_t reserve_slot(int provider, const RateLimit &limit, std::int64_t earliest_us);
void hold_until(int provider, std::int64_t until_us);

// The IGDB token if one is stored and valid at `now_unix_ms`, else "".
std::string igdb_token(std::int64_t now_unix_ms);
void store_igdb_token(const std::string &token, std::int64_t expires_unix_ms);
void forget_igdb_token(const std::string &token);

// Provider health and circuit breaker, with the last error's text.
struct HealthSnapshot {
    ProviderHealth health;
    std::string last_error;
};
// Takes one request from the provider's daily budget (see core/fetch/health.hpp): false when it is
// spent for this request.
bool take_request(int provider, const DailyBudget &budget, bool read_through, std::int64_t now_ms);
// Raises today's count to `requests` (what the table kept before a restart).
void restore_requests(int provider, std::int64_t requests, std::int64_t now_ms);
// Returns true when this outcome opened the breaker.
bool record_outcome(int provider, Outcome outcome, const std::string &error, std::int64_t now_ms,
                    const BreakerPolicy &policy);
HealthSnapshot health(int provider);

}  // namespace tako::pg::shared
